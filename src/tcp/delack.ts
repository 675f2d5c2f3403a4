import { Timer } from '../core/scheduler.js';
import { seqDiff } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { FIN, PSH, SYN, TCP_HEADER_LEN, URG } from './header.js';
import * as out from './output.js';
import { TcpState } from './state.js';

/**
 * When to acknowledge (RFC 1122 §4.2.3.2, RFC 5681 §4.2: delay at most
 * 500 ms, ACK at least every second full-sized segment), the way Linux
 * decides it: a quick-ACK budget at connection start and after surprises,
 * an adaptive delay estimate (`ato`, 40–200 ms), interactive ("ping-pong")
 * mode in which ACKs wait to ride on replies, and ACKs sent when the
 * application drains a pushed segment.
 */

/** Linux icsk_ack.pending bits. */
export const ACK_SCHED = 1;
/** A sub-MSS (or PSH-ed full) segment arrived: ACK once the application reads it. */
export const ACK_PUSHED = 2;
/** Two such segments in a row: ACK on read even in interactive mode. */
export const ACK_PUSHED2 = 4;

/** Linux TCP_MSS_DEFAULT and TCP_REMNANT (flags a full-sized segment cannot carry). */
const MSS_DEFAULT = 536;
const REMNANT = FIN | URG | SYN | PSH;

/** In interactive mode (Linux inet_csk_in_pingpong_mode). */
export function inPingpong(c: TcpConnection): boolean {
  return c.pingpong >= c.host.config.pingpongThresh;
}

/** Linux tcp_in_quickack_mode: ACK every segment while the budget lasts, unless interactive. */
function inQuickAckMode(c: TcpConnection): boolean {
  return c.quickAcks > 0 && !inPingpong(c);
}

/** Linux tcp_incr_quickack: a budget of about half a window of segments, at most TCP_MAX_QUICKACKS. */
function incrQuickAck(c: TcpConnection, max: number): void {
  let q = Math.floor(c.rcvWnd / (2 * c.rcvMss));
  if (q === 0) q = 2;
  q = Math.min(q, max);
  if (q > c.quickAcks) c.quickAcks = q;
}

/** Linux tcp_enter_quickack_mode: ACK promptly for a while; leaves interactive mode. */
export function enterQuickAck(c: TcpConnection): void {
  incrQuickAck(c, c.host.config.maxQuickAcks);
  c.pingpong = 0;
  c.ato = c.host.config.delackMinUs;
}

/**
 * Linux tcp_measure_rcv_mss: track the peer's segment size, and flag a
 * segment that looks like the end of a write (shorter than the estimate,
 * or full-sized with PSH) so that reading it triggers an ACK.
 */
function measureRcvMss(c: TcpConnection, len: number, hdrLen: number, flags: number): void {
  const lss = c.lastSegSize;
  c.lastSegSize = 0;
  if (len >= c.rcvMss) {
    c.rcvMss = Math.min(len, c.advMss);
    if (flags & PSH) c.ackPending |= ACK_PUSHED;
    return;
  }
  const withHeader = len + hdrLen;
  if (withHeader >= MSS_DEFAULT + TCP_HEADER_LEN ||
      (withHeader >= c.host.config.minMss + TCP_HEADER_LEN && (flags & REMNANT) === 0)) {
    // Net of the header we expect on every segment (fixed header + timestamps).
    const l = withHeader - TCP_HEADER_LEN - (c.tsOk ? 12 : 0);
    c.lastSegSize = l;
    if (l === lss) {
      c.rcvMss = l;
      return;
    }
  }
  if (c.ackPending & ACK_PUSHED) c.ackPending |= ACK_PUSHED2;
  c.ackPending |= ACK_PUSHED;
}

/**
 * In-order data arrived (Linux tcp_event_data_recv): an ACK is owed; the
 * delay estimate follows the inter-arrival time (40 ms floor, RTO ceiling),
 * and a first segment or a long gap refills the quick-ACK budget.
 */
export function dataReceived(c: TcpConnection, len: number, hdrLen: number, flags: number, now: number): void {
  const cfg = c.host.config;
  c.unackedSegs++;
  c.ackPending |= ACK_SCHED;
  measureRcvMss(c, len, hdrLen, flags);
  if (c.ato === 0) {
    incrQuickAck(c, cfg.maxQuickAcks);
    c.ato = cfg.delackMinUs;
  } else {
    const m = now - c.lastDataRecvAt;
    if (m <= cfg.delackMinUs / 2) c.ato = (c.ato >>> 1) + cfg.delackMinUs / 2;
    else if (m < c.ato) c.ato = Math.min((c.ato >>> 1) + m, c.rtt.rtoUs);
    else if (m > c.rtt.rtoUs) incrQuickAck(c, cfg.maxQuickAcks);
  }
  c.lastDataRecvAt = now;
  // Linux tcp_grow_window: open the window as in-order data flows.
  const clamp = c.rcvBufSize - (c.rcvBufSize >>> 1);
  if (c.rcvSsthresh < clamp) c.rcvSsthresh = Math.min(clamp, c.rcvSsthresh + 2 * c.advMss);
}

/**
 * Linux __tcp_ack_snd_check after in-order data: ACK now when more than
 * one full segment arrived and the window would move, or in quick-ACK mode;
 * otherwise delay.
 */
export function ackPolicy(c: TcpConnection): void {
  if (c.ackNow) return;
  const sinceUpdate = seqDiff(c.rcvNxt, c.rcvWup);
  if ((sinceUpdate > c.rcvMss && out.selectWindow(c) >= c.rcvWnd) || inQuickAckMode(c)) {
    c.ackNow = true;
    return;
  }
  scheduleDelayedAck(c);
}

function delackTimer(c: TcpConnection): Timer {
  return (c.delackTimer ??= new Timer(() => onDelack(c), 'delack'));
}

/**
 * Linux tcp_send_delayed_ack: wait `ato`, bounded by 200 ms (TCP_DELACK_MAX
 * — RFC 1122 allows 500) and by the smoothed RTT; keep an earlier deadline,
 * and ACK at once if that deadline is about to pass anyway.
 */
export function scheduleDelayedAck(c: TcpConnection): void {
  const cfg = c.host.config;
  let ato = c.ato || cfg.delackMinUs;
  if (ato > cfg.delackMinUs) {
    let max = inPingpong(c) || (c.ackPending & ACK_PUSHED) !== 0 ? cfg.delackMaxUs : 500_000;
    if (c.rtt.srttUs > 0) max = Math.min(max, Math.max(c.rtt.srttUs, cfg.delackMinUs));
    ato = Math.min(ato, max);
  }
  ato = Math.min(ato, cfg.delackMaxUs);
  const now = c.host.ctx.clock.now();
  let deadline = now + ato;
  const t = delackTimer(c);
  if (t.armed) {
    if (t.deadline <= now + (ato >>> 2)) {
      out.sendAck(c);
      return;
    }
    if (t.deadline < deadline) deadline = t.deadline;
  }
  c.ackPending |= ACK_SCHED;
  c.host.ctx.timers.arm(t, deadline);
}

/** Arms the delayed-ACK timer for exactly `us` (the deferred ACK of a SYN-ACK). */
export function delayAckFor(c: TcpConnection, us: number): void {
  c.ackPending |= ACK_SCHED;
  c.host.ctx.timers.armIn(delackTimer(c), us);
}

function onDelack(c: TcpConnection): void {
  c.host.enter();
  try {
    const s = c.state;
    if (s === TcpState.CLOSED || s === TcpState.LISTEN || s === TcpState.SYN_SENT) return;
    if ((c.ackPending & ACK_SCHED) === 0 && !c.ackNow) return;
    const cfg = c.host.config;
    // Linux: a delayed ACK that had to fire means we ACK too slowly: back off
    // the estimate, or, if interactive, leave interactive mode.
    if (!inPingpong(c)) c.ato = Math.min(2 * (c.ato || cfg.delackMinUs), c.rtt.rtoUs);
    else {
      c.pingpong = 0;
      c.ato = cfg.delackMinUs;
    }
    c.host.ctx.counters.TcpExtDelayedACKs++;
    out.sendAck(c);
  } finally {
    c.host.leave();
  }
}

/**
 * Every segment carrying an ACK (Linux tcp_event_ack_sent): one less
 * quick ACK if one was owed (leaving quick-ACK mode deflates `ato`), and
 * nothing is pending any more.
 */
export function ackSent(c: TcpConnection): void {
  if (c.quickAcks > 0 && (c.ackPending & ACK_SCHED) !== 0) {
    if (--c.quickAcks === 0) c.ato = c.host.config.delackMinUs;
  }
  c.ackPending = 0;
  c.ackNow = false;
  c.unackedSegs = 0;
  const t = c.delackTimer;
  if (t !== null && t.armed) c.host.ctx.timers.disarm(t);
}

/**
 * Data is about to be sent (Linux tcp_event_data_sent): a reply within
 * `ato` of the last data received counts towards interactive mode.
 */
export function replySent(c: TcpConnection, now: number): void {
  if (now - c.lastDataRecvAt < c.ato && c.pingpong < 255) c.pingpong++;
}

/**
 * After the application read `copied` bytes (the ACK half of Linux
 * tcp_cleanup_rbuf): a pending ACK goes now if a full segment's worth is
 * unacknowledged, or if the read drained a pushed segment (in interactive
 * mode only after two of them). Returns true if an ACK was sent.
 */
export function ackAfterRead(c: TcpConnection, copied: number): boolean {
  if ((c.ackPending & ACK_SCHED) === 0) return false;
  const drained = c.recvBuf.length === 0 && (c.ooo === null || c.ooo.empty);
  const pushed = (c.ackPending & ACK_PUSHED2) !== 0 || ((c.ackPending & ACK_PUSHED) !== 0 && !inPingpong(c));
  if (seqDiff(c.rcvNxt, c.rcvWup) > c.rcvMss || (copied > 0 && pushed && drained)) {
    out.sendAck(c);
    return true;
  }
  return false;
}

/** setsockopt(TCP_QUICKACK) (Linux __tcp_sock_set_quickack). */
export function setQuickAck(c: TcpConnection, on: boolean): void {
  if (!on) {
    c.pingpong = c.host.config.pingpongThresh;
    return;
  }
  c.pingpong = 0;
  if ((c.state === TcpState.ESTABLISHED || c.state === TcpState.CLOSE_WAIT) && (c.ackPending & ACK_SCHED) !== 0) {
    c.ackPending |= ACK_PUSHED;
    ackAfterRead(c, 1);
  }
}

/** Forgets any pending ACK and stops its timer (teardown). */
export function stopDelack(c: TcpConnection): void {
  const t = c.delackTimer;
  if (t !== null && t.armed) c.host.ctx.timers.disarm(t);
  c.ackPending = 0;
}
