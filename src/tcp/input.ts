import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { enterQuickAck } from './delack.js';
import { ACK, FIN, RST, SYN, type TcpSegment } from './header.js';
import { Notify } from './host.js';
import type { TcpOptions } from './options.js';
import * as out from './output.js';
import { processText } from './receive.js';
import { onAck } from './recovery.js';
import { establishFromSyn, synSent } from './syn-sent.js';
import { TcpState } from './state.js';
import * as life from './lifetime.js';
import * as timers from './timers.js';

/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7) for a connection in SYN-SENT or a
 * later state, in the RFC's order: sequence check (with PAWS, RFC 7323
 * §5.3), RST (RFC 5961 §3.2), SYN (RFC 5961 §4), ACK (RFC 5961 §5), URG
 * (ignored), segment text, FIN. Where Linux departs from the RFC's letter
 * the comment says so. SYN-SENT is syn-sent.ts, the text and FIN
 * receive.ts, the ACK's effect on the send side recovery.ts.
 */
export function segmentArrives(c: TcpConnection, seg: TcpSegment, o: TcpOptions): void {
  c.segsIn++;
  c.lastRecvAt = c.host.ctx.clock.now();
  c.keepaliveProbesOut = 0;
  if (c.state === TcpState.SYN_SENT) synSent(c, seg, o);
  else synchronized(c, seg, o);
  if (c.state !== TcpState.CLOSED) {
    out.tcpOutput(c);
  }
}

/** Linux tcp_sequence + RFC 9293 §3.10.7.4 first check. */
function acceptable(c: TcpConnection, seq: Seq, segLen: number): boolean {
  const wnd = Math.max(0, seqDiff(seqAdd(c.rcvWup, c.rcvWnd), c.rcvNxt));
  if (segLen === 0) {
    if (wnd === 0) return seq === c.rcvNxt;
    return seqGe(seq, c.rcvNxt) ? seqLe(seq, seqAdd(c.rcvNxt, wnd)) : seqGe(seq, c.rcvWup);
  }
  const end = seqAdd(seq, segLen);
  // Anything overlapping [RCV.NXT, RCV.NXT + RCV.WND); Linux also takes the
  // left edge from the last window update (rcv_wup) so a retransmission of
  // data we just ACKed still gets a (D-SACK) reply through the data path.
  return seqGe(end, c.rcvWup) && seqLe(seq, seqAdd(c.rcvNxt, wnd)) && (wnd > 0 || seqLe(end, c.rcvNxt) || seq === c.rcvNxt);
}

/** RFC 7323 §5.3: TSval older than TS.Recent (and TS.Recent not older than 24 days) fails PAWS. */
function pawsFails(c: TcpConnection, o: TcpOptions): boolean {
  if (!c.tsOk || !o.hasTimestamp) return false;
  if (((o.tsVal - c.tsRecent) | 0) >= 0) return false;
  const age = c.host.ctx.clock.now() - c.tsRecentStamp;
  return age < 24 * 24 * 3600 * 1_000_000;
}

function synchronized(c: TcpConnection, seg: TcpSegment, o: TcpOptions): void {
  const f = seg.flags;
  const seq = seg.seq as Seq;
  const counters = c.host.ctx.counters;
  const segLen = seg.payload.length + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);

  // RFC 7323 §5.3 R1: PAWS comes before the window test (a RST is accepted even if it fails).
  if (!(f & RST) && pawsFails(c, o)) {
    if (f & SYN) {
      synChallenge(c, seq, f);
      return;
    }
    counters.TcpExtPAWSEstab++;
    badSegmentAck(c, seq, seg.payload.length, segLen, 'paws');
    return;
  }

  // First: sequence number acceptable?
  if (!acceptable(c, seq, segLen)) {
    if (f & RST) {
      dropped(c, 'rst-out-of-window', seg); // RFC 5961 §3.2: dropped silently
      return;
    }
    if (f & SYN) {
      synChallenge(c, seq, f);
      return;
    }
    if (c.state === TcpState.TIME_WAIT && f & FIN) life.restartTimeWait(c);
    badSegmentAck(c, seq, seg.payload.length, segLen, 'seq');
    return;
  }

  // Second: RST (RFC 5961 §3.2: only an exact match resets; otherwise a challenge ACK).
  if (f & RST) {
    if (seq !== c.rcvNxt) {
      out.sendChallengeAck(c);
      return;
    }
    onReset(c);
    return;
  }

  // Fourth: SYN (RFC 5961 §4 replaces RFC 793's reset with a challenge ACK).
  let textSeq = seq;
  if (f & SYN) {
    // Simultaneous open (RFC 9293 Figure 7): the peer's SYN-ACK in SYN-RECEIVED
    // acknowledges our SYN-ACK; Linux lets it through (tcp_validate_incoming).
    const simOpen = c.state === TcpState.SYN_RECEIVED && c.listener === null && (f & ACK) !== 0 &&
      seqAdd(seq, 1) === c.rcvNxt && seg.ack === c.sndNxt;
    if (!simOpen) {
      synChallenge(c, seq, f);
      return;
    }
    textSeq = seqAdd(seq, 1);
  }

  // Fifth: ACK. Without it the segment is dropped (Linux validate-established-no-flags).
  if (!(f & ACK)) {
    dropped(c, 'no-ack-flag', seg);
    return;
  }
  const ack = seg.ack as Seq;
  if (c.state === TcpState.SYN_RECEIVED) {
    if (seqLe(ack, c.sndUna) || seqGt(ack, c.sndNxt)) {
      c.host.sendResetFor(c.family, c.localAddress, c.remoteAddress, c.localPort, c.remotePort, seg.ack, 0, false);
      return;
    }
    // TCP_DEFER_ACCEPT (Linux tcp_check_req): until that many SYN-ACK
    // timeouts passed, a bare ACK (nothing beyond the SYN) does not complete
    // the handshake; it is dropped and remembered, and data completes it.
    if (c.listener !== null && c.backoff < c.options.deferAccept && seqAdd(seq, segLen) === c.rcvNxt) {
      c.deferAcked = true;
      counters.TcpExtTCPDeferAcceptDrop++;
      dropped(c, 'defer-accept-bare-ack', seg);
      return;
    }
    c.sndWnd = seg.window << c.sndWscale;
    c.maxSndWnd = Math.max(c.maxSndWnd, c.sndWnd);
    c.sndWl1 = seq;
    c.sndWl2 = ack;
    const listener = c.listener;
    establishFromSyn(c, ack);
    if (listener !== null && !c.host.passiveEstablished(c)) {
      // Accept queue full: Linux drops the ACK and stays half-open; the SYN-ACK timer retries.
      c.setState(TcpState.SYN_RECEIVED);
      c.sndUna = c.iss;
      c.rtx.push(c.iss, seqAdd(c.iss, 1), c.host.ctx.clock.now(), true, false);
      c.sndNxt = seqAdd(c.iss, 1);
      timers.armRto(c);
      return;
    }
  } else {
    // RFC 5961 §5.2: acceptable range SND.UNA − MAX.SND.WND ≤ SEG.ACK ≤ SND.NXT.
    if (seqGt(ack, c.sndNxt)) {
      // Linux drops it without an ACK (tcp_ack: "ack of unsent data"; ts_recent/invalid_ack.pkt).
      dropped(c, 'ack-unsent-data', seg);
      return;
    }
    if (seqLt(ack, seqAdd(c.sndUna, -c.maxSndWnd))) {
      out.sendChallengeAck(c);
      return;
    }
    const wndUpdateCandidate = seg.window << c.sndWscale;
    const isPureDup = seg.payload.length === 0 && !(f & FIN) && wndUpdateCandidate === c.sndWnd;
    const before = c.sndWnd;
    onAck(c, ack, o, isPureDup);
    updateWindow(c, seq, ack, seg.window);
    // An acceptable ACK proves the path works: forget an old ICMP soft error (Linux tcp_ack clears sk_err_soft).
    c.softError = null;
    if (before === 0 && c.sndWnd > 0) c.probesOut = 0;
    if (c.wantWritable && c.writeable) {
      c.wantWritable = false;
      c.host.notify(c, Notify.WRITABLE);
    }
    if (!ackStateTransitions(c)) return;
  }

  // RFC 7323 §4.3: update TS.Recent from an acceptable segment at or before Last.ACK.sent.
  if (c.tsOk && o.hasTimestamp && seqLe(seq, c.lastAckSent) && ((o.tsVal - c.tsRecent) | 0) >= 0) {
    c.tsRecent = o.tsVal;
    c.tsRecentStamp = c.host.ctx.clock.now();
  }

  // Sixth: URG is ignored (RFC 6093 discourages its use). Seventh and eighth:
  processText(c, seg, textSeq);
}

/** Counts a segment the state machine drops without a reply (trace drop reasons, like Linux skb drop reasons). */
function dropped(c: TcpConnection, reason: string, seg: TcpSegment): void {
  c.host.ctx.trace.dropped('tcp', reason, seg.payload);
}

/** A SYN in a synchronized state: RFC 5961 §4 challenge ACK (a retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again). */
function synChallenge(c: TcpConnection, seq: Seq, f: number): void {
  if (c.state === TcpState.SYN_RECEIVED && seq === c.irs && !(f & ACK)) {
    out.sendSyn(c, true);
    return;
  }
  c.host.ctx.counters.TcpExtTCPSYNChallenge++;
  out.sendChallengeAck(c);
}

/**
 * The reply to an unacceptable segment (RFC 9293 §3.10.7.4 first: "send an
 * acknowledgment"), as Linux tcp_send_dupack: old data is reported with a
 * D-SACK and re-enters quick-ACK mode; segments without data are
 * rate-limited (tcp_invalid_ratelimit) so two stacks cannot ACK-loop.
 */
function badSegmentAck(c: TcpConnection, seq: Seq, dataLen: number, segLen: number, why: 'seq' | 'paws'): void {
  const counters = c.host.ctx.counters;
  if (segLen === 0) {
    const now = c.host.ctx.clock.now();
    if (now - c.lastOowAckAt < c.host.config.invalidRatelimitUs) {
      if (why === 'paws') counters.TcpExtTCPACKSkippedPAWS++;
      else if (c.state === TcpState.TIME_WAIT) counters.TcpExtTCPACKSkippedTimeWait++;
      else counters.TcpExtTCPACKSkippedSeq++;
      return;
    }
    c.lastOowAckAt = now;
  } else if (seqLt(seq, c.rcvNxt)) {
    counters.TcpExtDelayedACKLost++;
    enterQuickAck(c);
    if (c.sackOk && c.host.config.dsack && dataLen > 0) {
      const end = seqAdd(seq, dataLen);
      c.oooQueue().dsack = [seq, seqLe(end, c.rcvNxt) ? end : c.rcvNxt];
      counters.TcpExtTCPDSACKOldSent++;
    }
  }
  c.ackNow = true;
}

/** RFC 9293 §3.10.7.4 second check, per state. */
function onReset(c: TcpConnection): void {
  const counters = c.host.ctx.counters;
  switch (c.state) {
    case TcpState.SYN_RECEIVED:
      // Passive open: back to LISTEN (the half-open child just goes away); active: refused.
      life.tcpDone(c, c.listener !== null ? null : 'ECONNREFUSED');
      return;
    case TcpState.ESTABLISHED:
    case TcpState.FIN_WAIT_1:
    case TcpState.FIN_WAIT_2:
    case TcpState.CLOSE_WAIT:
      if (c.state === TcpState.ESTABLISHED || c.state === TcpState.CLOSE_WAIT) counters.TcpEstabResets++;
      // Linux reports EPIPE for a reset in CLOSE-WAIT, ECONNRESET otherwise.
      life.tcpDone(c, c.state === TcpState.CLOSE_WAIT ? 'EPIPE' : 'ECONNRESET');
      return;
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
      life.tcpDone(c, null);
      return;
    case TcpState.TIME_WAIT:
      // RFC 1337: no TIME-WAIT assassination — ignore the RST.
      return;
    default:
      return;
  }
}

/** RFC 9293 §3.10.7.4 fifth, window update: SND.WL1 < SEG.SEQ or (= and SND.WL2 =< SEG.ACK). */
function updateWindow(c: TcpConnection, seq: Seq, ack: Seq, window: number): void {
  if (seqLt(c.sndWl1, seq) || (c.sndWl1 === seq && seqLe(c.sndWl2, ack))) {
    c.sndWnd = window << c.sndWscale;
    c.sndWl1 = seq;
    c.sndWl2 = ack;
    if (c.sndWnd > c.maxSndWnd) c.maxSndWnd = c.sndWnd;
  }
}

/** The state changes an ACK of our FIN causes. Returns false when processing must stop. */
function ackStateTransitions(c: TcpConnection): boolean {
  const finAcked = c.finSent && seqGe(c.sndUna, seqAdd(c.finSeq, 1));
  switch (c.state) {
    case TcpState.FIN_WAIT_1:
      if (finAcked) {
        c.setState(TcpState.FIN_WAIT_2);
        timers.stopRtx(c);
        if (c.orphan) life.armFinWait2(c);
        if ((c.state as TcpState) === TcpState.CLOSED) return false;
      }
      return true;
    case TcpState.CLOSING:
      if (finAcked) {
        life.enterTimeWait(c);
        return false;
      }
      return true;
    case TcpState.LAST_ACK:
      if (finAcked) {
        life.tcpDone(c, null);
        return false;
      }
      return true;
    case TcpState.TIME_WAIT:
      return true;
    default:
      return true;
  }
}

