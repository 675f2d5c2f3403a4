import { type Seq, seqAdd, seqGt, seqLe } from '../core/seq.js';
import { updatePacingRate } from './tso-burst.js';
import type { TcpConnection } from './connection.js';
import { delayAckFor, enterQuickAck, inPingpong } from './delack.js';
import { ACK, RST, SYN, type TcpSegment } from './header.js';
import { Notify } from './host.js';
import { applyPeerSyn } from './negotiate.js';
import type { TcpOptions } from './options.js';
import * as out from './output.js';
import { processText } from './receive.js';
import { TcpState } from './state.js';
import * as life from './lifetime.js';
import * as timers from './timers.js';

/**
 * SEGMENT ARRIVES in SYN-SENT (RFC 9293 §3.10.7.3), and the step both
 * opens share when our SYN is acknowledged.
 */
export function synSent(c: TcpConnection, seg: TcpSegment, o: TcpOptions): void {
  const f = seg.flags;
  const ack = seg.ack as Seq;
  let ackOk = false;
  if (f & ACK) {
    // First: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable.
    if (seqLe(ack, c.iss) || seqGt(ack, c.sndNxt)) {
      if (!(f & RST)) c.host.sendResetFor(c.family, c.localAddress, c.remoteAddress, c.localPort, c.remotePort, seg.ack, 0, false);
      return;
    }
    ackOk = true;
  }
  if (f & RST) {
    // Second: RST is honoured only with an acceptable ACK (RFC 5961 §3.2 keeps this for SYN-SENT).
    if (ackOk) life.tcpDone(c, 'ECONNREFUSED');
    else c.host.ctx.trace.dropped('tcp', 'syn-sent-rst-without-ack', seg.payload);
    return;
  }
  if (!(f & SYN)) {
    c.host.ctx.trace.dropped('tcp', 'syn-sent-no-syn', seg.payload);
    return;
  }
  // Fourth: SYN.
  applyPeerSyn(c, o, true, seg.seq, seg.window);
  if (ackOk) {
    c.sndWl1 = seg.seq as Seq;
    c.sndWl2 = ack;
    establishFromSyn(c, ack);
    if (c.options.deferAccept > 0 || inPingpong(c)) {
      // Linux tcp_rcv_synsent_state_process "saves one ACK" with
      // TCP_DEFER_ACCEPT (or in interactive mode): the ACK waits up to
      // TCP_DELACK_MAX to ride on the first data.
      enterQuickAck(c);
      delayAckFor(c, c.host.config.delackMaxUs);
    } else c.ackNow = true;
    processText(c, seg, seqAdd(seg.seq as Seq, 1));
    return;
  }
  // Simultaneous open: SYN-RECEIVED, resend our SYN as SYN-ACK (RFC 9293 Figure 7).
  c.setState(TcpState.SYN_RECEIVED);
  c.rtx.clear();
  out.sendSyn(c, false);
}

/** Our SYN was acknowledged: RTT sample, congestion state, ESTABLISHED. */
export function establishFromSyn(c: TcpConnection, ack: Seq): void {
  const now = c.host.ctx.clock.now();
  const first = c.rtx.first();
  c.rtx.ackTo(ack);
  c.sndUna = ack;
  if (first !== undefined && first.retrans === 0) c.rtt.sample(Math.max(1, now - first.sentAt), now, c.sndUna, c.sndNxt);
  else if (c.totalRetrans > 0) c.rtt.applyHandshakeFallback();
  c.backoff = 0;
  c.retransStamp = -1;
  timers.stopRtx(c);
  c.cc = c.host.newCongestionControl(c.mss);
  // The handshake's RTT sets the first pacing rate, which sizes the first bursts.
  updatePacingRate(c);
  // Linux lsndtime / lrcvtime start at establishment (idle restart and interactive mode measure from here).
  c.lastSendAt = now;
  c.lastDataRecvAt = now;
  c.setState(TcpState.ESTABLISHED);
  life.resetKeepalive(c);
  if (c.listener === null) c.host.notify(c, Notify.CONNECTED | Notify.WRITABLE);
  if (c.finQueued) {
    c.finQueued = false;
    out.queueFin(c);
  }
}
