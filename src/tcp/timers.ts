import { type ErrnoCode } from '../core/errno.js';
import { Timer } from '../core/scheduler.js';
import { seqAdd, seqDiff } from '../core/seq.js';
import { rackDetectLoss, segmentsInFlight, tlpOf } from './rack-tlp.js';
import { enterRecovery, openUndo } from './recovery.js';
import { timeWaitUs } from './config.js';
import type { TcpConnection } from './connection.js';
import { Notify } from './host.js';
import * as out from './output.js';
import { TcpState } from './state.js';

/**
 * The three timers of a connection and what happens when they fire:
 * - rtxTimer: retransmission (RFC 6298), SYN/SYN-ACK retries, zero-window
 *   probes (persist, RFC 9293 §3.8.6.1);
 * - delackTimer: delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2);
 * - lifeTimer: keepalive (RFC 1122 §4.2.3.6), FIN-WAIT-2 and TIME-WAIT.
 * Timers are created on first use so idle connections stay small.
 */

function rtxTimer(c: TcpConnection): Timer {
  return (c.rtxTimer ??= new Timer(() => onRtxTimer(c), 'rtx'));
}

function lifeTimer(c: TcpConnection): Timer {
  return (c.lifeTimer ??= new Timer(() => onLifeTimer(c), 'life'));
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
  if (c.rtxTimer?.armed) t.disarm(c.rtxTimer);
}

/** Stops the retransmission timer (everything acknowledged). */
export function stopRtx(c: TcpConnection): void {
  if (c.rtxTimer?.armed) c.host.ctx.timers.disarm(c.rtxTimer);
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

function synTimeout(c: TcpConnection): void {
  const cfg = c.host.config;
  const limit = c.state === TcpState.SYN_SENT ? cfg.synRetries : cfg.synackRetries;
  if (c.backoff >= limit) {
    tcpDone(c, c.state === TcpState.SYN_SENT ? c.softError ?? 'ETIMEDOUT' : null);
    return;
  }
  c.backoff++;
  c.host.ctx.counters.TcpExtTCPTimeouts++;
  out.sendSyn(c, true);
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
    tcpDone(c, c.softError ?? 'ETIMEDOUT');
    return;
  }
  const counters = c.host.ctx.counters;
  counters.TcpExtTCPTimeouts++;
  // RFC 5681 §3.1 eq. 4; a repeated timeout of the same episode keeps ssthresh (Linux tcp_enter_loss).
  c.cc.onRto(c.host.ctx.clock.now(), c.pipe(), c.mss, c.inLoss && c.backoff > 0);
  if (!c.inLoss) {
    c.undoActive = false;
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
    tcpDone(c, 'ETIMEDOUT');
    return;
  }
  if (c.sndWnd > 0 && c.finQueued && unsent <= 0) {
    out.tcpOutput(c, true);
    return;
  }
  c.probesOut++;
  c.host.ctx.counters.TcpExtTCPWinProbe++;
  out.sendProbe(c);
  if (seqDiff(c.sndNxt, c.sndUna) > 0) {
    armRto(c);
    return;
  }
  c.backoff++;
  c.rtxKind = 'persist';
  c.host.ctx.timers.armIn(rtxTimer(c), Math.max(currentRto(c), cfg.rtoMinUs));
}

// ---------------------------------------------------------------- delayed ACK

/** Arms the delayed-ACK timer if it is not running (RFC 5681 §4.2: at most 500 ms; Linux 40–200 ms). */
export function scheduleDelayedAck(c: TcpConnection): void {
  const cfg = c.host.config;
  let ato = c.ato || cfg.delackMinUs;
  if (ato > cfg.delackMinUs) {
    let max = c.pingpong ? cfg.delackMaxUs : 500_000;
    if (c.rtt.srttUs > 0) max = Math.min(max, Math.max(c.rtt.srttUs, cfg.delackMinUs));
    ato = Math.min(ato, max);
  }
  const t = (c.delackTimer ??= new Timer(() => onDelack(c), 'delack'));
  if (!t.armed) c.host.ctx.timers.armIn(t, ato);
}

function onDelack(c: TcpConnection): void {
  c.host.enter();
  try {
    const s = c.state;
    if (s === TcpState.CLOSED || s === TcpState.LISTEN || s === TcpState.SYN_SENT) return;
    if (c.unackedSegs === 0 && !c.ackNow) return;
    const cfg = c.host.config;
    // Linux: a delayed ACK that had to fire means we ACK too slowly: back off
    // the estimate unless interactive, where we leave ping-pong mode.
    if (!c.pingpong) c.ato = Math.min(2 * (c.ato || cfg.delackMinUs), c.rtt.rtoUs);
    else {
      c.pingpong = false;
      c.ato = cfg.delackMinUs;
    }
    c.host.ctx.counters.TcpExtDelayedACKs++;
    out.sendAck(c);
  } finally {
    c.host.leave();
  }
}

// ---------------------------------------------------------------- life timer

/** TIME-WAIT (RFC 9293 §3.10.7.4): wait 2·MSL, then delete the TCB. Buffers are freed now. */
export function enterTimeWait(c: TcpConnection): void {
  c.setState(TcpState.TIME_WAIT);
  c.host.ctx.counters.TcpExtTW++;
  // Unread data stays readable until the application takes it.
  releaseResources(c, !c.orphan);
  c.host.ctx.timers.armIn(lifeTimer(c), timeWaitUs(c.host.config));
  c.host.notify(c, Notify.CLOSED);
}

/** Restarts the 2·MSL wait (a retransmitted FIN arrived in TIME-WAIT). */
export function restartTimeWait(c: TcpConnection): void {
  c.host.ctx.timers.armIn(lifeTimer(c), timeWaitUs(c.host.config));
}

/** An orphan in FIN-WAIT-2 waits tcp_fin_timeout (or TCP_LINGER2) for the peer's FIN, then goes away. */
export function armFinWait2(c: TcpConnection): void {
  if (!c.orphan || c.state !== TcpState.FIN_WAIT_2) return;
  const l2 = c.options.linger2S;
  if (l2 < 0) {
    tcpDone(c, null);
    return;
  }
  const us = l2 > 0 ? l2 * 1_000_000 : c.host.config.finTimeoutUs;
  c.host.ctx.timers.armIn(lifeTimer(c), us);
}

/** (Re)starts keepalive for a connection that has it on (SO_KEEPALIVE). */
export function resetKeepalive(c: TcpConnection): void {
  const s = c.state;
  if (s === TcpState.TIME_WAIT || s === TcpState.FIN_WAIT_2 && c.orphan) return;
  const t = c.host.ctx.timers;
  if (!c.options.keepAlive || !(s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2 || s === TcpState.CLOSING || s === TcpState.LAST_ACK)) {
    if (c.lifeTimer?.armed) t.disarm(c.lifeTimer);
    return;
  }
  c.keepaliveProbesOut = 0;
  t.armIn(lifeTimer(c), keepIdle(c));
}

function keepIdle(c: TcpConnection): number {
  return c.options.keepIdleS > 0 ? c.options.keepIdleS * 1_000_000 : c.host.config.keepaliveTimeUs;
}

function keepIntvl(c: TcpConnection): number {
  return c.options.keepIntvlS > 0 ? c.options.keepIntvlS * 1_000_000 : c.host.config.keepaliveIntvlUs;
}

function onLifeTimer(c: TcpConnection): void {
  c.host.enter();
  try {
    switch (c.state) {
      case TcpState.TIME_WAIT:
      case TcpState.FIN_WAIT_2:
        if (c.state === TcpState.FIN_WAIT_2 && !c.orphan) {
          keepaliveTimeout(c);
          return;
        }
        tcpDone(c, null);
        return;
      default:
        keepaliveTimeout(c);
    }
  } finally {
    c.host.leave();
  }
}

/** RFC 1122 §4.2.3.6 keepalive, with Linux's probe count and TCP_USER_TIMEOUT override. */
function keepaliveTimeout(c: TcpConnection): void {
  if (!c.options.keepAlive) return;
  const now = c.host.ctx.clock.now();
  const t = c.host.ctx.timers;
  // Data in flight or a probe pending: the retransmission logic watches the connection.
  if (seqDiff(c.sndNxt, c.sndUna) > 0 || c.sendBuf.length > 0) {
    t.armIn(lifeTimer(c), keepIdle(c));
    return;
  }
  const idle = now - c.lastRecvAt;
  if (idle < keepIdle(c) && c.keepaliveProbesOut === 0) {
    t.armIn(lifeTimer(c), keepIdle(c) - idle);
    return;
  }
  const ut = c.options.userTimeoutMs * 1000;
  const cnt = c.options.keepCnt > 0 ? c.options.keepCnt : c.host.config.keepaliveProbes;
  if ((ut > 0 && idle >= ut && c.keepaliveProbesOut > 0) || (ut === 0 && c.keepaliveProbesOut >= cnt)) {
    out.sendResetFromConnection(c);
    tcpDone(c, 'ETIMEDOUT');
    return;
  }
  c.keepaliveProbesOut++;
  c.host.ctx.counters.TcpExtTCPKeepAlive++;
  out.sendProbe(c);
  t.armIn(lifeTimer(c), keepIntvl(c));
}

// ---------------------------------------------------------------- teardown

function releaseResources(c: TcpConnection, keepRecv: boolean): void {
  const t = c.host.ctx.timers;
  if (c.rtxTimer?.armed) t.disarm(c.rtxTimer);
  if (c.delackTimer?.armed) t.disarm(c.delackTimer);
  if (c.lifeTimer?.armed) t.disarm(c.lifeTimer);
  c.sendBuf.clear();
  c.rtx.clear();
  c.ooo?.clear();
  c.ooo = null;
  if (!keepRecv) c.recvBuf.clear();
}

/**
 * The connection reaches CLOSED: stop its timers, free its buffers (unread
 * data stays readable unless orphaned), leave the demux and tell the
 * application. `err` becomes the socket error if none is set yet.
 */
export function tcpDone(c: TcpConnection, err: ErrnoCode | null): void {
  if (c.state === TcpState.CLOSED) return;
  if (err !== null && c.error === null) c.error = err;
  const from = c.state;
  const counters = c.host.ctx.counters;
  if (from === TcpState.SYN_SENT || from === TcpState.SYN_RECEIVED) counters.TcpAttemptFails++;
  c.setState(TcpState.CLOSED);
  releaseResources(c, !c.orphan);
  c.host.unhash(c);
  if (c.listener !== null) {
    c.listener.removeChild(c);
    c.listener = null;
  }
  if (from !== TcpState.TIME_WAIT) c.host.notify(c, Notify.CLOSED);
}
