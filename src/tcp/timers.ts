import { Timer } from '../core/scheduler.js';
import { seqAdd, seqDiff } from '../core/seq.js';
import { rackDetectLoss, segmentsInFlight, tlpOf } from './rack-tlp.js';
import { enterRecovery, openUndo } from './recovery.js';
import type { TcpConnection } from './connection.js';
import * as life from './lifetime.js';
import * as out from './output.js';
import { TcpState } from './state.js';

/**
 * The retransmission timer (rtxTimer) and what happens when it fires:
 * retransmission (RFC 6298), SYN/SYN-ACK retries, tail-loss probes and
 * RACK's reordering timer (RFC 8985), zero-window probes (persist, RFC 9293
 * §3.8.6.1), which also end a TCP_CORK hold. The delayed-ACK timer lives
 * in delack.ts, keepalive/FIN-WAIT-2/TIME-WAIT in lifetime.ts, the linger
 * wait in linger.ts. Timers are created on first use and dropped when idle,
 * so idle connections stay small.
 */
function rtxTimer(c: TcpConnection): Timer {
  return (c.rtxTimer ??= new Timer(() => onRtxTimer(c), 'rtx'));
}

/** Current RTO with exponential backoff (RFC 6298 §5.5), bounded by TCP_RTO_MAX. */
export function currentRto(c: TcpConnection): number {
  const max = c.host.config.rtoMaxUs;
  let rto = c.rtt.rtoUs;
  for (let i = 0; i < c.backoff && rto < max; i++) rto *= 2;
  return Math.min(rto, max);
}

/** Arms the retransmission timer for an RTO from now (RFC 6298 §5.1 / §5.3). */
export function armRto(c: TcpConnection): void {
  let rto = currentRto(c);
  // TCP_USER_TIMEOUT: never wait past the deadline (Linux tcp_clamp_rto_to_user_timeout).
  const ut = c.options.userTimeoutMs * 1000;
  if (ut > 0 && c.retransStamp >= 0) {
    const left = c.retransStamp + ut - c.host.ctx.clock.now();
    if (left > 0 && left < rto) rto = left;
  }
  c.rtxKind = c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED ? 'syn' : 'rto';
  c.host.ctx.timers.armIn(rtxTimer(c), Math.max(rto, 1));
}

/**
 * The timer for outstanding data after an ACK or a transmission: RACK's
 * reordering timer if it asked for one (RFC 8985 §6.3), else a tail loss
 * probe (§7.2) when allowed, else the RTO (RFC 6298 §5.3).
 */
export function armRetransmitTimer(c: TcpConnection): void {
  const now = c.host.ctx.clock.now();
  if (c.rackTimeoutUs > 0) {
    c.rtxKind = 'rack';
    c.host.ctx.timers.armIn(rtxTimer(c), c.rackTimeoutUs);
    c.rackTimeoutUs = 0;
    return;
  }
  const tlp = tlpOf(c);
  if (tlp !== null && c.backoff === 0 && tlp.canSchedule(seqDiff(c.sndNxt, c.sndUna) > 0, c.sackOk, c.inRecovery || c.inLoss)) {
    const first = c.rtx.first();
    const rtoLeft = first !== undefined ? first.sentAt + currentRto(c) - now : 0;
    const pto = tlp.pto(c.rtt.srttUs, c.rtt.hasSample, segmentsInFlight(c), rtoLeft);
    c.rtxKind = 'tlp';
    c.host.ctx.timers.armIn(rtxTimer(c), Math.max(pto, 1));
    return;
  }
  armRto(c);
}

/** After transmitting: keep the right timer running (RFC 6298 §5.1, §5.2; persist when the window is closed). */
export function afterOutput(c: TcpConnection): void {
  const t = c.host.ctx.timers;
  const outstanding = seqDiff(c.sndNxt, c.sndUna) > 0;
  if (outstanding) {
    // A pending probe moves with new data (Linux re-arms the PTO after each send).
    if (!c.rtxTimer?.armed || c.rtxKind === 'persist' || c.rtxKind === 'tlp') armRetransmitTimer(c);
    return;
  }
  const unsent = c.sendBuf.length - seqDiff(c.sndNxt, c.sndUna);
  if (unsent > 0 || (c.finQueued && !c.finSent)) {
    // Nothing in flight but data waits: the window must be too small. Probe it.
    if (!c.rtxTimer?.armed) {
      c.rtxKind = 'persist';
      t.armIn(rtxTimer(c), Math.max(currentRto(c), c.host.config.rtoMinUs));
    }
    return;
  }
  stopRtx(c);
}

/**
 * Stops the retransmission timer (everything acknowledged) and lets the
 * timer object go: an idle connection keeps no timer (the next flight makes
 * a new one, which costs less than pinning it on every idle connection).
 */
export function stopRtx(c: TcpConnection): void {
  const t = c.rtxTimer;
  if (t === null) return;
  if (t.armed) c.host.ctx.timers.disarm(t);
  c.rtxTimer = null;
}

/** Linux tcp_model_timeout: how long `boundary` backed-off retransmissions take from `base`. */
function modelTimeout(boundary: number, base: number, max: number): number {
  let thresh = 0;
  while (base * 2 ** (thresh + 1) <= max) thresh++;
  if (boundary <= thresh) return ((2 << boundary) - 1) * base;
  return ((2 << thresh) - 1) * base + (boundary - thresh) * max;
}

function timedOut(c: TcpConnection, boundary: number, base: number): boolean {
  if (c.retransStamp < 0) return false;
  const now = c.host.ctx.clock.now();
  const ut = c.options.userTimeoutMs * 1000;
  const limit = ut > 0 ? ut : modelTimeout(boundary, base, c.host.config.rtoMaxUs);
  return now - c.retransStamp >= limit;
}

function onRtxTimer(c: TcpConnection): void {
  c.host.enter();
  try {
    switch (c.rtxKind) {
      case 'syn': synTimeout(c); break;
      case 'persist': persistTimeout(c); break;
      case 'tlp': probeTimeout(c); break;
      case 'rack': reorderTimeout(c); break;
      default: retransmitTimeout(c); break;
    }
  } finally {
    c.host.leave();
  }
}

/**
 * SYN or SYN-ACK timeout: retransmit with backoff until tcp_syn_retries /
 * tcp_synack_retries. A passive child under TCP_DEFER_ACCEPT whose bare ACK
 * was dropped stays quiet until the last timeout of the deferring period,
 * then sends one more SYN-ACK to draw data or an ACK (Linux
 * reqsk_timer_handler with syn_ack_recalc).
 */
function synTimeout(c: TcpConnection): void {
  const cfg = c.host.config;
  const passive = c.state === TcpState.SYN_RECEIVED && c.listener !== null;
  const max = c.state === TcpState.SYN_SENT ? cfg.synRetries : cfg.synackRetries;
  const defer = passive ? c.options.deferAccept : 0;
  const n = c.backoff;
  let expire: boolean;
  let resend = true;
  if (defer === 0) expire = n >= max;
  else {
    expire = n >= max && (!c.deferAcked || n >= defer);
    resend = !c.deferAcked || n >= defer - 1;
  }
  if (expire) {
    life.tcpDone(c, c.state === TcpState.SYN_SENT ? c.softError ?? 'ETIMEDOUT' : null);
    return;
  }
  c.backoff++;
  c.host.ctx.counters.TcpExtTCPTimeouts++;
  if (resend) out.sendSyn(c, true);
  else armRto(c);
}

/** RFC 8985 §7.3: the probe timeout fired — send one segment to elicit an ACK. */
function probeTimeout(c: TcpConnection): void {
  const tlp = c.tlp;
  if (seqDiff(c.sndNxt, c.sndUna) <= 0) return;
  if (tlp === null || !tlp.canSend()) {
    armRto(c);
    return;
  }
  const now = c.host.ctx.clock.now();
  const offset = seqDiff(c.sndNxt, c.sndUna);
  const unsent = c.sendBuf.length - offset;
  const usable = seqDiff(seqAdd(c.sndUna, c.sndWnd), c.sndNxt);
  let isRetrans = false;
  if (unsent > 0 && usable >= Math.min(unsent, c.mss)) {
    out.sendProbe(c);
  } else {
    const last = c.rtx.last();
    if (last === undefined) return;
    if (last.length - (last.fin ? 1 : 0) > c.mss) {
      // Probe with the last MSS of data only (Linux tcp_send_loss_probe).
      c.rtx.split(last, last.length - (last.fin ? 1 : 0) - c.mss);
    }
    out.retransmit(c, c.rtx.last()!, now);
    isRetrans = true;
  }
  tlp.onProbeSent(c.sndNxt, isRetrans);
  c.host.ctx.counters.TcpExtTCPLossProbes++;
  armRto(c);
}

/** RFC 8985 §6.3: the reordering timer fired — run loss detection again. */
function reorderTimeout(c: TcpConnection): void {
  if (seqDiff(c.sndNxt, c.sndUna) <= 0) return;
  const marked = rackDetectLoss(c, c.host.ctx.clock.now(), true);
  if (marked > 0) {
    if (!c.inRecovery && !c.inLoss) enterRecovery(c);
    out.tcpOutput(c);
  }
  armRetransmitTimer(c);
}

/** RFC 6298 §5.4–5.7 and RFC 5681 §3.1: retransmission timeout. */
function retransmitTimeout(c: TcpConnection): void {
  if (seqDiff(c.sndNxt, c.sndUna) <= 0) return;
  const cfg = c.host.config;
  const retries = c.orphan ? (cfg.orphanRetries || 8) : cfg.retries2;
  if (timedOut(c, retries, cfg.rtoMinUs)) {
    c.host.ctx.counters.TcpExtTCPAbortOnTimeout++;
    life.tcpDone(c, c.softError ?? 'ETIMEDOUT');
    return;
  }
  const counters = c.host.ctx.counters;
  counters.TcpExtTCPTimeouts++;
  // RFC 5681 §3.1 eq. 4; a repeated timeout of the same episode keeps ssthresh (Linux tcp_enter_loss).
  c.cc.onRto(c.host.ctx.clock.now(), c.pipe(), c.mss, c.inLoss && c.backoff > 0);
  if (!c.inLoss) {
    openUndo(c);
  }
  c.inLoss = true;
  c.tlp?.reset();
  c.inRecovery = false;
  c.recover = c.sndNxt;
  c.dupAcks = 0;
  c.rtx.markAllLost();
  c.backoff++;
  // RFC 6298 §5.4: retransmit the earliest unacknowledged segment now, whatever cwnd says.
  const first = c.rtx.firstLost();
  if (first !== undefined) {
    if (first.length - (first.fin ? 1 : 0) > c.mss) c.rtx.split(first, c.mss);
    out.retransmit(c, first, c.host.ctx.clock.now());
  }
  out.tcpOutput(c);
  armRto(c);
}

/** Zero-window probe (RFC 9293 §3.8.6.1 MUST-36/37), with exponential backoff. */
function persistTimeout(c: TcpConnection): void {
  const unsent = c.sendBuf.length - seqDiff(c.sndNxt, c.sndUna);
  if (unsent <= 0 && !(c.finQueued && !c.finSent)) return;
  if (seqDiff(c.sndNxt, c.sndUna) > 0) {
    armRto(c);
    return;
  }
  const cfg = c.host.config;
  const ut = c.options.userTimeoutMs * 1000;
  const now = c.host.ctx.clock.now();
  if (c.probesOut === 0) c.retransStamp = now;
  if ((ut > 0 && now - c.retransStamp >= ut) || c.probesOut > (c.orphan ? (cfg.orphanRetries || 8) : cfg.retries2)) {
    life.tcpDone(c, 'ETIMEDOUT');
    return;
  }
  if (c.sndWnd > 0 && c.finQueued && unsent <= 0) {
    out.tcpOutput(c, true);
    return;
  }
  // Linux tcp_send_probe0 → tcp_write_wakeup: if the window has room, the
  // queued data goes out now (this is what ends a TCP_CORK hold after about
  // 200 ms, the RTO floor); only a real zero-window probe counts as one.
  out.sendProbe(c, 'TcpExtTCPWinProbe');
  if (seqDiff(c.sndNxt, c.sndUna) > 0) {
    c.probesOut = 0;
    c.backoff = 0;
    armRto(c);
    return;
  }
  c.probesOut++;
  c.backoff++;
  c.rtxKind = 'persist';
  c.host.ctx.timers.armIn(rtxTimer(c), Math.max(currentRto(c), cfg.rtoMinUs));
}
