import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { ACK, FIN, RST, SYN, type TcpSegment } from './header.js';
import { Notify } from './host.js';
import { applyPeerSyn } from './negotiate.js';
import type { TcpOptions } from './options.js';
import * as out from './output.js';
import { onAck } from './recovery.js';
import { TcpState } from './state.js';
import * as timers from './timers.js';

/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7) for a connection in SYN-SENT or a
 * later state, in the RFC's order: sequence check (with PAWS, RFC 7323
 * §5.3), RST (RFC 5961 §3.2), SYN (RFC 5961 §4), ACK (RFC 5961 §5), URG
 * (ignored), segment text, FIN. Where Linux departs from the RFC's letter
 * the comment says so.
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

/** RFC 9293 §3.10.7.3. */
function synSent(c: TcpConnection, seg: TcpSegment, o: TcpOptions): void {
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
    if (ackOk) timers.tcpDone(c, 'ECONNREFUSED');
    else dropped(c, 'syn-sent-rst-without-ack', seg);
    return;
  }
  if (!(f & SYN)) {
    dropped(c, 'syn-sent-no-syn', seg);
    return;
  }
  // Fourth: SYN.
  applyPeerSyn(c, o, true, seg.seq, seg.window);
  if (ackOk) {
    c.sndWl1 = seg.seq as Seq;
    c.sndWl2 = ack;
    establishFromSyn(c, ack);
    c.ackNow = true;
    processText(c, seg, seqAdd(seg.seq as Seq, 1));
    return;
  }
  // Simultaneous open: SYN-RECEIVED, resend our SYN as SYN-ACK (RFC 9293 Figure 7).
  c.setState(TcpState.SYN_RECEIVED);
  c.rtx.clear();
  out.sendSyn(c, false);
}

/** Our SYN was acknowledged: RTT sample, congestion state, ESTABLISHED. */
function establishFromSyn(c: TcpConnection, ack: Seq): void {
  const now = c.host.ctx.clock.now();
  const first = c.rtx.first();
  c.rtx.ackTo(ack, () => undefined);
  c.sndUna = ack;
  if (first !== undefined && first.retrans === 0) c.rtt.sample(Math.max(1, now - first.sentAt), now, c.sndUna, c.sndNxt);
  else if (c.totalRetrans > 0) c.rtt.applyHandshakeFallback();
  c.backoff = 0;
  c.retransStamp = -1;
  timers.stopRtx(c);
  c.cc = c.host.newCongestionControl(c.mss);
  c.setState(TcpState.ESTABLISHED);
  timers.resetKeepalive(c);
  if (c.listener === null) c.host.notify(c, Notify.CONNECTED | Notify.WRITABLE);
  if (c.finQueued) {
    c.finQueued = false;
    out.queueFin(c);
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
    if (c.state === TcpState.TIME_WAIT && f & FIN) timers.restartTimeWait(c);
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
    if (before === 0 && c.sndWnd > 0) c.probesOut = 0;
    if (c.wantWritable && c.writableLength >= (c.sndBufSize >>> 1)) {
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
      timers.tcpDone(c, c.listener !== null ? null : 'ECONNREFUSED');
      return;
    case TcpState.ESTABLISHED:
    case TcpState.FIN_WAIT_1:
    case TcpState.FIN_WAIT_2:
    case TcpState.CLOSE_WAIT:
      if (c.state === TcpState.ESTABLISHED || c.state === TcpState.CLOSE_WAIT) counters.TcpEstabResets++;
      // Linux reports EPIPE for a reset in CLOSE-WAIT, ECONNRESET otherwise.
      timers.tcpDone(c, c.state === TcpState.CLOSE_WAIT ? 'EPIPE' : 'ECONNRESET');
      return;
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
      timers.tcpDone(c, null);
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
        if (c.orphan) timers.armFinWait2(c);
        if ((c.state as TcpState) === TcpState.CLOSED) return false;
      }
      return true;
    case TcpState.CLOSING:
      if (finAcked) {
        timers.enterTimeWait(c);
        return false;
      }
      return true;
    case TcpState.LAST_ACK:
      if (finAcked) {
        timers.tcpDone(c, null);
        return false;
      }
      return true;
    case TcpState.TIME_WAIT:
      return true;
    default:
      return true;
  }
}

/**
 * Seventh and eighth: segment text and FIN. `seq` is where the text starts
 * (after a SYN's sequence number when the SYN-ACK carried data).
 */
function processText(c: TcpConnection, seg: TcpSegment, seq: Seq): void {
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
      if (s === TcpState.TIME_WAIT) timers.restartTimeWait(c);
    } else if (data.length > 0 || f & FIN) c.ackNow = true;
    return;
  }
  let fin = (f & FIN) !== 0;
  if (data.length === 0 && !fin) return;
  // Data after close()/shutdown(SHUT_RD) in a closing state aborts (Linux tcp_rcv_state_process, RFC 9293 §3.10.7.4 note).
  if ((c.orphan || (c.readShutdown && s !== TcpState.ESTABLISHED)) && data.length > 0 && seqGt(seqAdd(seq, data.length), c.rcvNxt)) {
    counters.TcpExtTCPAbortOnData++;
    c.host.sendResetFor(c.family, c.localAddress, c.remoteAddress, c.localPort, c.remotePort, seg.ack, 0, false);
    timers.tcpDone(c, 'ECONNRESET');
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
      dataReceived(c, data.length, now);
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

/** Linux tcp_event_data_recv: delayed-ACK timing estimate and quick-ACK budget. */
function dataReceived(c: TcpConnection, len: number, now: number): void {
  const cfg = c.host.config;
  c.unackedSegs++;
  if (len >= c.rcvMss) c.rcvMss = Math.min(len, c.advMss);
  if (c.ato === 0) {
    incrQuickAck(c);
    c.ato = cfg.delackMinUs;
  } else {
    const m = now - c.lastDataRecvAt;
    if (m <= cfg.delackMinUs / 2) c.ato = (c.ato >>> 1) + cfg.delackMinUs / 2;
    else if (m < c.ato) c.ato = Math.min((c.ato >>> 1) + m, c.rtt.rtoUs);
    else if (m > c.rtt.rtoUs) incrQuickAck(c);
  }
  c.lastDataRecvAt = now;
  // Linux tcp_grow_window: open the window as in-order data flows.
  const clamp = c.rcvBufSize - (c.rcvBufSize >>> 1);
  if (c.rcvSsthresh < clamp) c.rcvSsthresh = Math.min(clamp, c.rcvSsthresh + 2 * c.advMss);
}

function incrQuickAck(c: TcpConnection): void {
  const q = Math.min(c.host.config.maxQuickAcks, Math.max(2, Math.floor(c.rcvWnd / (2 * c.rcvMss))));
  if (q > c.quickAcks) c.quickAcks = q;
}

function enterQuickAck(c: TcpConnection): void {
  incrQuickAck(c);
  c.pingpong = false;
  c.ato = c.host.config.delackMinUs;
}

/** Linux __tcp_ack_snd_check: ACK now, or delay it. */
function ackPolicy(c: TcpConnection): void {
  if (c.ackNow) return;
  const sinceUpdate = seqDiff(c.rcvNxt, c.rcvWup);
  if ((sinceUpdate > c.rcvMss && out.selectWindow(c) >= c.rcvWnd) || (c.quickAcks > 0 && !c.pingpong)) {
    c.ackNow = true;
    return;
  }
  timers.scheduleDelayedAck(c);
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
        timers.enterTimeWait(c);
      } else c.setState(TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      out.sendAck(c);
      timers.enterTimeWait(c);
      break;
    default:
      break;
  }
}
