import type { TcpConnection } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';
import { TcpState } from '../../tcp/state.js';
import type { TcpInfoStruct } from './types.js';

/**
 * TCP_INFO (Linux tcp_get_info, include/uapi/linux/tcp.h): what `ss -ti`
 * and packetdrill's `%{ tcpi_* }%` snippets read, built from the
 * connection's state.
 */

/** sizeof(struct tcp_info) through tcpi_rehash (Linux 6.2+), the optlen getsockopt reports. */
export const TCP_INFO_LEN = 240;

/** Linux's TCP_* state numbers (include/net/tcp_states.h) by RFC 9293 state. */
const LINUX_STATE: Record<TcpState, number> = {
  [TcpState.CLOSED]: 7,
  [TcpState.LISTEN]: 10,
  [TcpState.SYN_SENT]: 2,
  [TcpState.SYN_RECEIVED]: 3,
  [TcpState.ESTABLISHED]: 1,
  [TcpState.FIN_WAIT_1]: 4,
  [TcpState.FIN_WAIT_2]: 5,
  [TcpState.CLOSE_WAIT]: 8,
  [TcpState.CLOSING]: 11,
  [TcpState.LAST_ACK]: 9,
  [TcpState.TIME_WAIT]: 6,
};

/** Linux tcp_ca_state: TCP_CA_Open 0, Disorder 1, CWR 2, Recovery 3, Loss 4. */
function caState(c: TcpConnection): number {
  if (c.inLoss) return 4;
  if (c.inRecovery) return 3;
  if (c.dupAcks > 0 || c.rtx.sackedBytes > 0) return 1;
  return 0;
}

/** TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4. */
function optionBits(c: TcpConnection): number {
  return (c.tsOk ? 1 : 0) | (c.sackOk ? 2 : 0) | (c.wsOk ? 4 : 0);
}

/** Linux TCP_INFINITE_SSTHRESH. */
const INFINITE_SSTHRESH = 0x7fffffff;

function zeroInfo(state: number): TcpInfoStruct {
  return {
    tcpi_state: state, tcpi_ca_state: 0, tcpi_retransmits: 0, tcpi_probes: 0, tcpi_backoff: 0, tcpi_options: 0,
    tcpi_snd_wscale: 0, tcpi_rcv_wscale: 0, tcpi_delivery_rate_app_limited: 0, tcpi_fastopen_client_fail: 0,
    tcpi_rto: 0, tcpi_ato: 0, tcpi_snd_mss: 0, tcpi_rcv_mss: 0, tcpi_unacked: 0, tcpi_sacked: 0, tcpi_lost: 0,
    tcpi_retrans: 0, tcpi_fackets: 0, tcpi_last_data_sent: 0, tcpi_last_ack_sent: 0, tcpi_last_data_recv: 0,
    tcpi_last_ack_recv: 0, tcpi_pmtu: 0, tcpi_rcv_ssthresh: 0, tcpi_rtt: 0, tcpi_rttvar: 0, tcpi_snd_ssthresh: 0,
    tcpi_snd_cwnd: 0, tcpi_advmss: 0, tcpi_reordering: 0, tcpi_rcv_rtt: 0, tcpi_rcv_space: 0, tcpi_total_retrans: 0,
    tcpi_pacing_rate: 0, tcpi_max_pacing_rate: 0, tcpi_bytes_acked: 0, tcpi_bytes_received: 0, tcpi_segs_out: 0,
    tcpi_segs_in: 0, tcpi_notsent_bytes: 0, tcpi_min_rtt: 0, tcpi_data_segs_in: 0, tcpi_data_segs_out: 0,
    tcpi_delivery_rate: 0, tcpi_busy_time: 0, tcpi_rwnd_limited: 0, tcpi_sndbuf_limited: 0, tcpi_delivered: 0,
    tcpi_delivered_ce: 0, tcpi_bytes_sent: 0, tcpi_bytes_retrans: 0, tcpi_dsack_dups: 0, tcpi_reord_seen: 0,
    tcpi_rcv_ooopack: 0, tcpi_snd_wnd: 0, tcpi_rcv_wnd: 0,
  };
}

/** TCP_INFO of a socket that has neither connection nor listener (Linux reports TCP_CLOSE and zeros). */
export function closedTcpInfo(): TcpInfoStruct {
  return zeroInfo(LINUX_STATE[TcpState.CLOSED]);
}

/** TCP_INFO of a listener: Linux puts the accept-queue length in tcpi_unacked and the backlog in tcpi_sacked. */
export function listenerTcpInfo(l: TcpListener): TcpInfoStruct {
  const i = zeroInfo(LINUX_STATE[TcpState.LISTEN]);
  i.tcpi_unacked = l.pending;
  i.tcpi_sacked = l.backlog;
  return i;
}

/**
 * TCP_INFO of a connection. Fields the stack does not track are 0:
 * tcpi_rcv_rtt, tcpi_data_segs_in/out, tcpi_delivery_rate, tcpi_busy_time,
 * tcpi_rwnd_limited, tcpi_sndbuf_limited, tcpi_delivered(_ce),
 * tcpi_bytes_retrans, tcpi_dsack_dups, tcpi_rcv_ooopack, tcpi_fackets
 * (always 0 since Linux 4.15 too) and tcpi_last_ack_sent (Linux: "not
 * remembered").
 */
export function connectionTcpInfo(c: TcpConnection, now: number, reordering: number): TcpInfoStruct {
  const i = zeroInfo(LINUX_STATE[c.state]);
  const mss = Math.max(1, c.mss);
  i.tcpi_ca_state = caState(c);
  i.tcpi_retransmits = c.backoff;
  i.tcpi_probes = Math.max(c.probesOut, c.keepaliveProbesOut);
  i.tcpi_backoff = c.backoff;
  i.tcpi_options = optionBits(c);
  if (c.wsOk) {
    i.tcpi_snd_wscale = c.sndWscale;
    i.tcpi_rcv_wscale = c.rcvWscale;
  }
  let rto = c.rtt.rtoUs;
  for (let k = 0; k < c.backoff; k++) rto *= 2;
  i.tcpi_rto = Math.round(Math.min(rto, c.host.config.rtoMaxUs));
  i.tcpi_ato = c.ato;
  i.tcpi_snd_mss = c.mss;
  i.tcpi_rcv_mss = c.rcvMss;
  // Linux counts these in segments (packets_out, sacked_out, lost_out, retrans_out).
  let sacked = 0;
  let lost = 0;
  let retrans = 0;
  c.rtx.forEach((s) => {
    if (s.sacked) sacked++;
    if (s.lost) lost++;
    if (s.retrans > 0 && !s.sacked) retrans++;
  });
  i.tcpi_unacked = c.rtx.count;
  i.tcpi_sacked = sacked;
  i.tcpi_lost = lost;
  i.tcpi_retrans = retrans;
  const ms = (t: number): number => (t > 0 ? Math.floor((now - t) / 1000) : 0);
  i.tcpi_last_data_sent = ms(c.lastSendAt);
  i.tcpi_last_data_recv = ms(c.lastDataRecvAt);
  i.tcpi_last_ack_recv = ms(c.lastRecvAt);
  i.tcpi_pmtu = c.pmtu;
  i.tcpi_rcv_ssthresh = c.rcvSsthresh;
  i.tcpi_rtt = Math.round(c.rtt.srttUs);
  i.tcpi_rttvar = Math.round(c.rtt.rttvarUs);
  i.tcpi_snd_ssthresh = Number.isFinite(c.cc.ssthresh) ? Math.floor(c.cc.ssthresh / mss) : INFINITE_SSTHRESH;
  i.tcpi_snd_cwnd = Math.floor(c.cc.cwnd / mss);
  i.tcpi_advmss = c.advMss;
  i.tcpi_reordering = reordering;
  i.tcpi_rcv_space = c.rcvWnd;
  i.tcpi_total_retrans = c.totalRetrans;
  // Linux tcp_update_pacing_rate: cwnd·mss/srtt, ×2 in slow start, ×1.2 after; bytes/s.
  if (c.rtt.srttUs > 0) {
    const ratio = c.cc.cwnd < c.cc.ssthresh ? 2 : 1.2;
    i.tcpi_pacing_rate = Math.floor((c.cc.cwnd * 1e6 * ratio) / c.rtt.srttUs);
  }
  i.tcpi_max_pacing_rate = Number.MAX_SAFE_INTEGER; // ~0UL: no SO_MAX_PACING_RATE
  i.tcpi_bytes_acked = c.bytesAcked;
  i.tcpi_bytes_received = c.bytesReceived;
  i.tcpi_segs_out = c.segsOut;
  i.tcpi_segs_in = c.segsIn;
  i.tcpi_notsent_bytes = Math.max(0, c.unsentLength);
  const minRtt = c.rtt.minRtt.value;
  i.tcpi_min_rtt = Number.isFinite(minRtt) ? Math.round(minRtt) : 0;
  i.tcpi_bytes_sent = c.bytesSent;
  i.tcpi_reord_seen = c.rack?.reorderingSeen === true ? 1 : 0;
  i.tcpi_snd_wnd = c.sndWnd;
  i.tcpi_rcv_wnd = c.rcvWnd;
  return i;
}
