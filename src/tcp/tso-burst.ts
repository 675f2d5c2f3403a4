import { seqDiff } from '../core/seq.js';
import type { TcpConnection } from './connection.js';

/**
 * Transmission bursts, as Linux forms them. Linux hands new data to the
 * device in TSO/GSO packets of several segments; where such a packet ends
 * is visible on the wire because its last segment carries PSH (observed on
 * Linux 6.18: every multi-segment burst ends with PSH, and so does a burst
 * that carries the end of a write). tsip sends plain segments, but groups
 * them into the same bursts so that PSH lands where Linux puts it — the
 * packetdrill corpus checks it.
 *
 * A burst holds at most min(half of cwnd, free cwnd, autosize) segments:
 * tcp_write_xmit's cwnd quota (tcp_cwnd_test keeps at least two bursts in
 * flight) and tcp_tso_autosize (about 1 ms of data at the pacing rate, at
 * least tcp_min_tso_segs, at most 64 KiB).
 */

/** Linux sk_pacing_shift: a burst carries about 2^-10 s of data at the pacing rate. */
const PACING_SHIFT = 10;
/** Linux tcp_tso_rtt_log: below ~512 µs·2^k of min RTT, bursts grow by gso_max_size >> k. */
const TSO_RTT_LOG = 9;

/**
 * Linux tcp_update_pacing_rate, run at the end of every ACK: 200 % of
 * cwnd·MSS/SRTT in slow start (while cwnd < ssthresh/2), 120 % after.
 * Before an RTT is known the rate is unlimited.
 */
export function updatePacingRate(c: TcpConnection): void {
  const srtt = c.rtt.srttUs;
  if (srtt <= 0) {
    c.pacingRate = Infinity;
    return;
  }
  const mss = c.mss;
  const cc = c.cc;
  const outSegs = Math.ceil(seqDiff(c.sndNxt, c.sndUna) / mss);
  const ratio = cc.cwnd < cc.ssthresh / 2 ? 2 : 1.2;
  c.pacingRate = (mss * Math.max(cwndSegs(c), outSegs) * ratio * 1_000_000) / srtt;
}

/** Linux tcp_tso_autosize: the largest burst, in segments. */
export function tsoAutosizeSegs(c: TcpConnection): number {
  const cfg = c.host.config;
  const mss = c.mss;
  let bytes = c.pacingRate === Infinity ? cfg.gsoMaxSize : Math.floor(c.pacingRate / (1 << PACING_SHIFT));
  const minRtt = c.rtt.minRttUs;
  if (minRtt !== Infinity) {
    const r = Math.floor(minRtt) >>> TSO_RTT_LOG;
    if (r < 32) bytes += Math.floor(cfg.gsoMaxSize / 2 ** r);
  }
  if (bytes > cfg.gsoMaxSize) bytes = cfg.gsoMaxSize;
  return Math.max(Math.floor(bytes / mss), cfg.minTsoSegs);
}

/**
 * Linux tcp_cwnd_test: segments cwnd lets out now, but at most half of
 * cwnd in one burst ("ensure we have at least 2 GSO packets in flight").
 * 0 when cwnd is full.
 */
export function cwndQuotaSegs(c: TcpConnection): number {
  const room = cwndRoomSegs(c);
  return room <= 0 ? 0 : Math.min(Math.max(cwndSegs(c) >>> 1, 1), room);
}

/**
 * Linux tcp_xmit_retransmit_queue: how many segments one retransmission may
 * carry (cwnd minus what is in flight; no half-cwnd cap there).
 */
export function cwndRoomSegs(c: TcpConnection): number {
  return cwndSegs(c) - Math.ceil(c.pipe() / c.mss);
}

/** cwnd in whole segments, at least one (Linux counts cwnd in packets). */
function cwndSegs(c: TcpConnection): number {
  return Math.max(1, Math.floor(c.cc.cwnd / c.mss));
}
