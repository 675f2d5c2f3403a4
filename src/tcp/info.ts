import { seqDiff } from '../core/seq.js';
import type { IpAddress } from '../ip/types.js';
import type { TcpConnection } from './connection.js';
import { SS_STATE_NAMES, STATE_NAMES, TcpState, type TcpStateName } from './state.js';

/**
 * What `ss -tni` (and TCP_INFO) shows about one connection. Times are in
 * microseconds, sizes in bytes, windows unscaled.
 */
export interface TcpInfo {
  state: TcpStateName;
  /** The `ss` spelling (ESTAB, SYN-RECV, …). */
  ssState: string;
  localAddress: IpAddress;
  localPort: number;
  remoteAddress: IpAddress;
  remotePort: number;
  /** Bytes received and not read (Recv-Q). */
  recvQ: number;
  /** Bytes written and not acknowledged (Send-Q). */
  sendQ: number;
  /** Congestion window in segments and bytes, slow-start threshold in segments (as ss prints). */
  cwnd: number;
  cwndBytes: number;
  ssthresh: number;
  srttUs: number;
  rttvarUs: number;
  rtoUs: number;
  /** Consecutive timeouts (tcpi_backoff) and retransmissions in total (tcpi_total_retrans). */
  backoff: number;
  retransmits: number;
  /** Send MSS, advertised MSS, receive MSS estimate. */
  mss: number;
  advMss: number;
  rcvMss: number;
  /** Window scales (send, receive), or -1 when not negotiated. */
  sndWscale: number;
  rcvWscale: number;
  timestamps: boolean;
  sack: boolean;
  sndWnd: number;
  rcvWnd: number;
  bytesAcked: number;
  bytesReceived: number;
  bytesSent: number;
  segsIn: number;
  segsOut: number;
  /** Bytes in flight, SACKed, marked lost (RFC 6675 scoreboard). */
  unacked: number;
  sacked: number;
  lost: number;
  congestionControl: string;
  inRecovery: boolean;
}

/** Builds the snapshot for {@link TcpConnection.info}. */
export function buildInfo(c: TcpConnection): TcpInfo {
  const mss = Math.max(1, c.mss);
  const synced = c.state >= TcpState.ESTABLISHED;
  return {
    state: STATE_NAMES[c.state]!,
    ssState: SS_STATE_NAMES[c.state]!,
    localAddress: c.localAddress,
    localPort: c.localPort,
    remoteAddress: c.remoteAddress,
    remotePort: c.remotePort,
    recvQ: c.recvBuf.length,
    sendQ: c.sendBuf.length,
    cwnd: Math.floor(c.cc.cwnd / mss),
    cwndBytes: c.cc.cwnd,
    ssthresh: Number.isFinite(c.cc.ssthresh) ? Math.floor(c.cc.ssthresh / mss) : 0x7fffffff,
    srttUs: Math.round(c.rtt.srttUs),
    rttvarUs: Math.round(c.rtt.rttvarUs),
    rtoUs: Math.round(c.rtt.rtoUs * 2 ** c.backoff),
    backoff: c.backoff,
    retransmits: c.totalRetrans,
    mss: c.mss,
    advMss: c.advMss,
    rcvMss: c.rcvMss,
    sndWscale: synced && c.wsOk ? c.sndWscale : -1,
    rcvWscale: synced && c.wsOk ? c.rcvWscale : -1,
    timestamps: c.tsOk,
    sack: c.sackOk,
    sndWnd: c.sndWnd,
    rcvWnd: c.rcvWnd,
    bytesAcked: c.bytesAcked,
    bytesReceived: c.bytesReceived,
    bytesSent: c.bytesSent,
    segsIn: c.segsIn,
    segsOut: c.segsOut,
    unacked: Math.max(0, seqDiff(c.sndNxt, c.sndUna)),
    sacked: c.rtx.sackedBytes,
    lost: c.rtx.lostBytes,
    congestionControl: c.cc.name,
    inRecovery: c.inRecovery,
  };
}
