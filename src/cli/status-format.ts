import { formatIp } from '../core/address.js';
import { nonZeroCounters, type Counters } from '../core/counters.js';
import type { TcpInfo } from '../tcp/info.js';

/** The non-zero counters as `nstat -a` prints them (name, value, padded). */
export function formatNstat(counters: Counters): string[] {
  return Object.entries(nonZeroCounters(counters)).map(([k, v]) => `${k.padEnd(32)} ${String(v).padStart(12)}`);
}

function endpoint(addr: TcpInfo['localAddress'], port: number): string {
  const a = formatIp(addr);
  return `${a.includes(':') ? `[${a}]` : a}:${port}`;
}

function ms(us: number): string {
  return (us / 1000).toFixed(3).replace(/\.?0+$/, '');
}

/**
 * TCP connections as `ss -tni` prints them: one line of state, queues and
 * endpoints, then an indented line of internals.
 */
export function formatSs(infos: readonly TcpInfo[]): string[] {
  const out = [`${'State'.padEnd(11)} ${'Recv-Q'.padStart(6)} ${'Send-Q'.padStart(6)} ${'Local Address:Port'.padEnd(24)} Peer Address:Port`];
  for (const c of infos) {
    out.push(
      `${c.ssState.padEnd(11)} ${String(c.recvQ).padStart(6)} ${String(c.sendQ).padStart(6)} ${endpoint(c.localAddress, c.localPort).padEnd(24)} ${endpoint(c.remoteAddress, c.remotePort)}`,
    );
    const parts = [
      c.congestionControl,
      ...(c.timestamps ? ['ts'] : []),
      ...(c.sack ? ['sack'] : []),
      `wscale:${c.sndWscale},${c.rcvWscale}`,
      `rto:${ms(c.rtoUs)}`,
      `rtt:${ms(c.srttUs)}/${ms(c.rttvarUs)}`,
      `mss:${c.mss}`,
      `rcvmss:${c.rcvMss}`,
      `cwnd:${c.cwnd}`,
      ...(Number.isFinite(c.ssthresh) && c.ssthresh < 0x7fffffff ? [`ssthresh:${c.ssthresh}`] : []),
      `bytes_sent:${c.bytesSent}`,
      `bytes_acked:${c.bytesAcked}`,
      `bytes_received:${c.bytesReceived}`,
      `segs_out:${c.segsOut}`,
      `segs_in:${c.segsIn}`,
      ...(c.retransmits > 0 ? [`retrans:${c.retransmits}`] : []),
      ...(c.unacked > 0 ? [`unacked:${c.unacked}`] : []),
      ...(c.lost > 0 ? [`lost:${c.lost}`] : []),
      `snd_wnd:${c.sndWnd}`,
      `rcv_wnd:${c.rcvWnd}`,
    ];
    out.push(`\t ${parts.join(' ')}`);
  }
  return out;
}
