import type { Seq } from '../../core/seq.js';

/**
 * The contract between a TCP connection and its congestion controller.
 *
 * Units: `cwnd`, `ssthresh`, `ackedBytes` and `bytesInFlight` are BYTES
 * (RFC 5681 counts in bytes); controllers work in segments internally where
 * their RFC does (CUBIC), converting with the `mss` passed in. Linux counts
 * cwnd in packets; a connection that wants Linux's packet counting for small
 * segments can pass `ackedBytes = newly acknowledged segments × MSS`.
 *
 * The connection's side of the protocol, following Linux's tcp_input.c:
 *
 *  1. `init(mss, now)` once the MSS is known (end of the handshake).
 *  2. On every ACK that newly acknowledges data (cumulatively or by SACK)
 *     while NOT reducing cwnd, `onAck(sample)`. During fast recovery or an
 *     ECN/TLP reduction, do not call `onAck`: compute the send quota with PRR
 *     (`../prr.ts`) and `setCwnd(pipe + sndcnt)`.
 *  3. On entering fast recovery, `onCongestionEvent('fast-retransmit', ...)`;
 *     on an ECN-Echo, `onCongestionEvent('ecn', ...)`; when RACK-TLP finds
 *     that a loss probe repaired a loss, `onCongestionEvent('loss-probe', ...)`
 *     followed at once by `onRecoveryEnd()` (Linux `tcp_process_tlp_ack()`).
 *     These set ssthresh; cwnd then comes down through PRR.
 *  4. When recovery (or the ECN CWR episode) ends, `onRecoveryEnd(now)`:
 *     cwnd = ssthresh (Linux `tcp_end_cwnd_reduction()`).
 *  5. On a retransmission timeout, `onRto(...)`.
 *  6. When a retransmission proves spurious (DSACK, F-RTO, timestamps; RFC
 *     2883/3708, 5682, 3522) `undo()` restores cwnd and ssthresh as Linux's
 *     `tcp_undo_cwnd_reduction()` does. Only 'fast-retransmit' and RTO
 *     reductions can be undone.
 *  7. Before sending after the connection was idle: `onSendAfterIdle()`
 *     always, and `onIdleRestart()` when slow start after idle is on
 *     (RFC 5681 §4.1, Linux sysctl tcp_slow_start_after_idle).
 */
export interface CongestionControl {
  /** The algorithm's name as `ss -i` prints it. */
  readonly name: CongestionAlgorithm;
  /** Congestion window, bytes. */
  readonly cwnd: number;
  /** Slow start threshold, bytes; `Infinity` until the first congestion event (Linux TCP_INFINITE_SSTHRESH). */
  readonly ssthresh: number;
  /** cwnd < ssthresh (Linux `tcp_in_slow_start()`). */
  readonly inSlowStart: boolean;

  /** Sets the initial window for `mss` (see {@link initialWindow}) and resets all state. */
  init(mss: number, now: number): void;
  /** An ACK newly acknowledged data outside a cwnd reduction (see the protocol above). */
  onAck(sample: AckSample): void;
  /** Congestion was detected: enter recovery and set ssthresh (RFC 5681 §3.2, RFC 9438 §4.6, RFC 3168 §6.1.2). */
  onCongestionEvent(kind: CongestionEventKind, now: number, bytesInFlight: number, mss: number): void;
  /** The connection's cwnd during a reduction (PRR's `pipe + sndcnt`), or any other explicit adjustment. Clamped to at least 1 MSS. */
  setCwnd(bytes: number): void;
  /** Recovery or CWR ended: cwnd = ssthresh. */
  onRecoveryEnd(now: number): void;
  /**
   * Retransmission timeout (RFC 5681 §3.1 eq. 4 and "LW"; Linux `tcp_enter_loss()`):
   * ssthresh is reduced and cwnd drops to one segment. Pass `repeated = true`
   * for a back-to-back timeout of the same episode (no new data acknowledged
   * since the previous one): like Linux, ssthresh is then left alone.
   */
  onRto(now: number, bytesInFlight: number, mss: number, repeated?: boolean): void;
  /**
   * The connection sends after being idle for longer than an RTO with slow
   * start after idle enabled (RFC 5681 §4.1). Like Linux `tcp_cwnd_restart()`,
   * cwnd is halved per RTO of idleness down to the restart window
   * min(IW, cwnd), and ssthresh keeps 3/4 of the old cwnd.
   */
  onIdleRestart(now: number, idleUs: number, rtoUs: number, mss: number): void;
  /**
   * The connection starts sending again with nothing in flight after an
   * application-limited pause of `idleUs` (Linux CA_EVENT_TX_START). CUBIC
   * shifts its epoch so the idle time does not count as growth time
   * (RFC 9438 §5.8); NewReno ignores it.
   */
  onSendAfterIdle(now: number, idleUs: number): void;
  /** Restores the state from before the last undoable reduction; false if there is none. */
  undo(): boolean;
}

/** The algorithms the stack provides. */
export type CongestionAlgorithm = 'cubic' | 'newreno';

/**
 * What triggered a reduction: loss found by fast retransmit / SACK / RACK,
 * an ECN-Echo (RFC 3168), or a loss repaired by a TLP probe (RFC 8985 §7.4.2).
 */
export type CongestionEventKind = 'fast-retransmit' | 'ecn' | 'loss-probe';

/**
 * One ACK as the congestion controller sees it. The connection may keep one
 * object and refill it for every ACK (no allocation per ACK).
 */
export interface AckSample {
  /** Bytes newly acknowledged, cumulatively or by SACK (RFC 6937 DeliveredData). */
  ackedBytes: number;
  /** An RTT sample taken from this ACK (µs), or -1 if there is none (Karn's rule). */
  rttUs: number;
  /** Now (µs). */
  now: number;
  /** Bytes in flight after processing this ACK (RFC 6675 pipe, or FlightSize). */
  bytesInFlight: number;
  /** The sender's MSS (SMSS). */
  mss: number;
  /**
   * Whether the sender used its whole cwnd (Linux `tcp_is_cwnd_limited()`:
   * in slow start, cwnd < 2 × the largest flight of the last RTT; otherwise
   * the flight filled cwnd). When false (application- or receiver-window
   * limited), cwnd does not grow (RFC 7661, RFC 9438 §5.8).
   */
  cwndLimited: boolean;
  /** SND.UNA after this ACK (rounds of HyStart++ end when it passes a mark). */
  sndUna: Seq;
  /** SND.NXT now. */
  sndNxt: Seq;
}

/** Tunables shared by the controllers. */
export interface CongestionOptions {
  /**
   * Initial window in segments before RFC 6928's byte cap (default 10,
   * RFC 6928 and Linux TCP_INIT_CWND).
   */
  initialWindowSegments?: number;
  /**
   * Apply RFC 6928's cap IW = min(10·MSS, max(2·MSS, 14600)) (default true).
   * Linux uses 10 segments whatever the MSS; set false to match it with
   * MSS above 1460 (jumbo frames, loopback).
   */
  rfc6928Cap?: boolean;
  /**
   * Slow start growth limit per ACK, in segments (RFC 3465's L). Defaults:
   * NewReno 2 (RFC 3465 §2.2), CUBIC 8 (RFC 9406's L for a non-paced
   * sender). Linux has no limit (Infinity): an ACK of n segments grows cwnd
   * by n, which packetdrill's slow-start-ack-per-4pkt expects.
   */
  slowStartLimitSegments?: number;
}

/** Makes a fresh controller; the connection picks one by name. */
export type CongestionFactory = (options?: CongestionOptions) => CongestionControl;

/**
 * RFC 6928 §2 initial window: min(10·MSS, max(2·MSS, 14600)) bytes, or
 * `segments`·MSS without the cap (Linux).
 */
export function initialWindow(mss: number, options: CongestionOptions = {}): number {
  const segs = options.initialWindowSegments ?? 10;
  if (options.rfc6928Cap === false) return segs * mss;
  return Math.min(segs * mss, Math.max(2 * mss, 14600));
}
