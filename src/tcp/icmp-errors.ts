import { readU32 } from '../core/bytes.js';
import { type Seq, seqGe, seqLe } from '../core/seq.js';
import type { IcmpErrorReport } from '../ip/types.js';
import type { TcpConnection } from './connection.js';
import { computeSendMss } from './negotiate.js';
import * as out from './output.js';
import { TcpState } from './state.js';
import * as life from './lifetime.js';

/**
 * ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927, Linux
 * tcp_v4_err): the quoted sequence number must lie in [SND.UNA, SND.NXT]
 * (a passive child still in SYN-RECEIVED: be our ISN, Linux tcp_req_err)
 * or the message is ignored and counted as TcpExtOutOfWindowIcmps (RFC
 * 5927 §4.1). "Fragmentation needed" lowers
 * the path MTU (RFC 1191 / RFC 8201) and resends what no longer fits.
 * Unreachables abort a connection still opening (as Linux) and are
 * remembered as a soft error on an established one (RFC 5927 §4.2 treats
 * them as soft, since they may be forged): if the connection later times
 * out, that error is what the application sees.
 */
export function handleIcmpError(c: TcpConnection, r: IcmpErrorReport): void {
  const seq = readU32(r.quoted, 4) as Seq;
  const inWindow = c.state === TcpState.SYN_RECEIVED && c.listener !== null
    ? seq === c.iss
    : seqGe(seq, c.sndUna) && seqLe(seq, c.sndNxt);
  if (!inWindow) {
    c.host.ctx.counters.TcpExtOutOfWindowIcmps++;
    return;
  }
  if (r.kind === 'frag-needed') {
    pmtuReduced(c, r.mtu);
    return;
  }
  const s = c.state;
  if (s === TcpState.SYN_SENT || (s === TcpState.SYN_RECEIVED && c.listener === null)) {
    if (r.kind === 'time-exceeded' || r.kind === 'parameter-problem' || r.kind === 'other') {
      c.softError = r.errno;
      return;
    }
    life.tcpDone(c, r.errno);
    return;
  }
  c.softError = r.errno;
}

/** RFC 1191 §6.3 / RFC 8201: a smaller path MTU; resend what exceeds the new MSS. */
function pmtuReduced(c: TcpConnection, mtu: number): void {
  const minMtu = c.family === 4 ? 68 : 1280;
  if (mtu === 0 || mtu >= c.pmtu) return;
  c.pmtu = Math.max(mtu, minMtu);
  const old = c.mss;
  c.mss = computeSendMss(c);
  if (c.mss >= old) return;
  // Linux tcp_simple_retransmit: every in-flight segment larger than the new MSS is lost.
  c.rtx.forEach((s) => {
    if (s.length - (s.fin ? 1 : 0) > c.mss) c.rtx.markLost(s);
  });
  out.tcpOutput(c);
}
