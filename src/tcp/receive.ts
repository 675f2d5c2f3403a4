import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLt } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { ackPolicy, dataReceived, enterQuickAck } from './delack.js';
import { FIN, type TcpSegment } from './header.js';
import { Notify } from './host.js';
import * as out from './output.js';
import { TcpState } from './state.js';
import * as life from './lifetime.js';

/**
 * The receive half of SEGMENT ARRIVES (RFC 9293 §3.10.7.4 seventh and
 * eighth): trimming to what is new and what fits, in-order delivery to the
 * receive buffer, the out-of-order queue with its SACK and D-SACK blocks
 * (RFC 2018, RFC 2883), and the FIN. When to ACK is delack.ts's business.
 */

/**
 * Seventh and eighth: segment text and FIN. `seq` is where the text starts
 * (after a SYN's sequence number when the SYN-ACK carried data).
 */
export function processText(c: TcpConnection, seg: TcpSegment, seq: Seq): void {
  const f = seg.flags;
  let data = seg.payload;
  const counters = c.host.ctx.counters;
  const s = c.state;
  const receiving = s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2;
  if (!receiving) {
    // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent FIN; text is ignored,
    // but a retransmitted FIN is acknowledged again.
    if (f & FIN && seqLt(seq, c.rcvNxt)) {
      c.ackNow = true;
      if (s === TcpState.TIME_WAIT) life.restartTimeWait(c);
    } else if (data.length > 0 || f & FIN) c.ackNow = true;
    return;
  }
  let fin = (f & FIN) !== 0;
  if (data.length === 0 && !fin) return;
  // Data after close()/shutdown(SHUT_RD) in a closing state aborts (Linux tcp_rcv_state_process, RFC 9293 §3.10.7.4 note).
  if ((c.orphan || (c.readShutdown && s !== TcpState.ESTABLISHED)) && data.length > 0 && seqGt(seqAdd(seq, data.length), c.rcvNxt)) {
    counters.TcpExtTCPAbortOnData++;
    c.host.sendResetFor(c.family, c.localAddress, c.remoteAddress, c.localPort, c.remotePort, seg.ack, 0, false);
    life.tcpDone(c, 'ECONNRESET');
    return;
  }
  const now = c.host.ctx.clock.now();
  // Trim what we already have (RFC 9293 §3.10.7.4 seventh: "trim to the window").
  if (seqLt(seq, c.rcvNxt)) {
    const dup = seqDiff(c.rcvNxt, seq);
    if (dup >= data.length) {
      if (data.length > 0 && c.sackOk && c.host.config.dsack) {
        c.oooQueue().dsack = [seq, seqAdd(seq, data.length)];
        counters.TcpExtTCPDSACKOldSent++;
      }
      const finSeq = seqAdd(seq, data.length);
      if (fin && seqLt(finSeq, c.rcvNxt)) fin = false; // an old FIN: just ACK
      data = data.subarray(data.length);
      seq = c.rcvNxt;
      c.ackNow = true;
      enterQuickAck(c);
      if (!fin || finSeq !== c.rcvNxt) return;
    } else {
      if (c.sackOk && c.host.config.dsack) {
        c.oooQueue().dsack = [seq, c.rcvNxt];
        counters.TcpExtTCPDSACKOldSent++;
      }
      data = data.subarray(dup);
      seq = c.rcvNxt;
      c.ackNow = true;
    }
  }
  // Trim beyond the right edge of the buffer space.
  const room = Math.max(0, c.rcvBufSize - c.recvBuf.length - (c.ooo?.size ?? 0));
  const offset = seqDiff(seq, c.rcvNxt);
  if (offset + data.length > room) {
    const keep = Math.max(0, room - offset);
    if (keep < data.length) {
      // No room left (the peer overran the window we offered). In order:
      // Linux tcp_data_queue counts TCPRcvQDrop; out of order, TCPOFODrop.
      if (offset === 0) counters.TcpExtTCPRcvQDrop++;
      else counters.TcpExtTCPOFODrop++;
      data = data.subarray(0, keep);
      fin = false;
      c.host.ctx.trace.dropped('tcp', 'rcvbuf-full', seg.payload);
    }
  }
  if (seq === c.rcvNxt) {
    if (data.length > 0) {
      c.recvBuf.append(data);
      c.rcvNxt = seqAdd(c.rcvNxt, data.length);
      c.bytesReceived += data.length;
      dataReceived(c, data.length, seg.dataOffset * 4, f, now);
      if (c.ooo !== null && !c.ooo.empty) {
        c.rcvNxt = c.ooo.drain(c.rcvNxt, (d) => {
          c.recvBuf.append(d);
          c.bytesReceived += d.length;
        });
        // RFC 5681 §4.2: ACK at once when a hole is filled.
        c.ackNow = true;
        if (c.oooFin !== -1 && c.oooFin === c.rcvNxt) {
          c.oooFin = -1;
          fin = true;
        }
      }
      if (!c.orphan) c.host.notify(c, Notify.READABLE);
    }
    if (fin) processFin(c);
    else if (data.length > 0) ackPolicy(c);
    return;
  }
  // Out of order: queue, report with SACK, ACK at once (RFC 5681 §4.2; RFC 9293 §3.10.7.4).
  if (data.length > 0) {
    const r = c.oooQueue().insert(seq, data);
    if (r === 'full') counters.TcpExtTCPOFODrop++;
    else counters.TcpExtTCPOFOQueue++;
  }
  if (fin) c.oooFin = seqAdd(seq, data.length);
  c.ackNow = true;
  enterQuickAck(c);
}

/** Eighth: the FIN (RFC 9293 §3.10.7.4), in order. */
function processFin(c: TcpConnection): void {
  c.rcvNxt = seqAdd(c.rcvNxt, 1);
  c.finReceived = true;
  c.ackNow = true;
  if (!c.orphan) c.host.notify(c, Notify.PEER_FIN | Notify.READABLE);
  switch (c.state) {
    case TcpState.SYN_RECEIVED:
    case TcpState.ESTABLISHED:
      c.setState(TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT_1:
      if (c.finSent && seqGe(c.sndUna, seqAdd(c.finSeq, 1))) {
        out.sendAck(c);
        life.enterTimeWait(c);
      } else c.setState(TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      out.sendAck(c);
      life.enterTimeWait(c);
      break;
    default:
      break;
  }
}
