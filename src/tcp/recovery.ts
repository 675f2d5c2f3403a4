import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import type { TcpOptions } from './options.js';
import * as out from './output.js';
import { Prr } from './prr.js';
import type { SentSegment } from './rtx-queue.js';
import * as timers from './timers.js';

/**
 * What an arriving ACK does to the send side: RTT samples (RFC 6298, Karn),
 * the SACK scoreboard (RFC 2018, RFC 6675), D-SACK (RFC 2883), duplicate
 * ACK counting, fast retransmit and recovery (RFC 5681 §3.2, NewReno RFC
 * 6582, SACK-based RFC 6675), and congestion-window growth.
 */

/** Processes the SACK blocks of an ACK; returns newly SACKed bytes. */
function processSack(c: TcpConnection, opts: TcpOptions, ack: Seq): number {
  let added = 0;
  const counters = c.host.ctx.counters;
  for (let i = 0; i < opts.sackCount; i++) {
    const s = opts.sackBlocks[2 * i]! as Seq;
    const e = opts.sackBlocks[2 * i + 1]! as Seq;
    if (!seqLt(s, e)) {
      counters.TcpExtTCPSACKDiscard++;
      continue;
    }
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, is a D-SACK.
    if (i === 0 && (seqLe(e, ack) || (opts.sackCount > 1 && seqGe(s, opts.sackBlocks[2]! as Seq) && seqLe(e, opts.sackBlocks[3]! as Seq)))) {
      counters.TcpExtTCPDSACKRecv++;
      continue;
    }
    if (seqLe(e, c.sndUna) || seqGt(e, c.sndNxt)) {
      counters.TcpExtTCPSACKDiscard++;
      continue;
    }
    added += c.rtx.markSacked(seqGt(s, c.sndUna) ? s : c.sndUna, e, (seg) => noteDelivered(c, seg));
  }
  return added;
}

/** RACK (RFC 8985 §6.2 step 2): remember the most recently sent delivered segment. */
function noteDelivered(c: TcpConnection, seg: SentSegment): void {
  if (seg.order > c.rackOrder) {
    c.rackOrder = seg.order;
    c.rackXmitTime = seg.sentAt;
    c.rackEndSeq = seg.end;
    if (seg.retrans === 0) c.rackRtt = c.host.ctx.clock.now() - seg.sentAt;
  }
}

/**
 * RFC 6675 §5 "IsLost" applied to the scoreboard: a hole is lost when at
 * least DupThresh segments (or (DupThresh−1)·MSS + 1 bytes) were SACKed
 * above it. Marks such segments lost; returns whether any was.
 */
function markLostFromSacks(c: TcpConnection): boolean {
  const thresh = c.host.config.reordering;
  let sackedAbove = 0;
  let segsAbove = 0;
  // Walk from the highest segment down, counting SACKed data above.
  const n = c.rtx.count;
  let marked = false;
  for (let i = n - 1; i >= 0; i--) {
    const s = c.rtx.at(i);
    if (s.sacked) {
      sackedAbove += s.length;
      segsAbove++;
      continue;
    }
    if (segsAbove >= thresh || sackedAbove > (thresh - 1) * c.mss) {
      if (!s.lost && (s.retrans === 0 || c.inLoss)) {
        c.rtx.markLost(s);
        marked = true;
      }
    }
  }
  return marked;
}

/** Starts fast recovery (RFC 5681 §3.2 steps 2–3, RFC 6675 §5 step 4). */
function enterRecovery(c: TcpConnection): void {
  const counters = c.host.ctx.counters;
  c.inRecovery = true;
  c.recover = c.sndNxt;
  const flight = c.pipe();
  const priorCwnd = c.cc.cwnd;
  c.cc.onCongestionEvent('fast-retransmit', c.host.ctx.clock.now(), flight, c.mss);
  // RFC 6937: cwnd comes down gradually; Linux takes RecoverFS = prior cwnd.
  (c.prr ??= new Prr()).start(c.cc.ssthresh, priorCwnd, c.mss);
  if (c.sackOk) counters.TcpExtTCPSackRecovery++;
  else counters.TcpExtTCPRenoRecovery++;
  counters.TcpExtTCPFastRetrans++;
  const first = c.rtx.first();
  if (first !== undefined && !first.sacked) c.rtx.markLost(first);
  if (c.sackOk) markLostFromSacks(c);
  // The first retransmission goes out regardless of cwnd (RFC 5681 §3.2 step 3).
  const seg = c.rtx.firstLost();
  if (seg !== undefined) {
    if (seg.length - (seg.fin ? 1 : 0) > c.mss) c.rtx.split(seg, c.mss);
    out.retransmit(c, seg, c.host.ctx.clock.now());
  }
}

/**
 * Handles the ACK number, SACK blocks and timing of an acceptable ACK
 * (SND.UNA − MAX.SND.WND ≤ SEG.ACK ≤ SND.NXT). `isPureDup` is the RFC 5681
 * duplicate-ACK test minus the SND.UNA comparison (no data, no window
 * change, not SYN/FIN). Returns the number of bytes newly acknowledged.
 */
export function onAck(c: TcpConnection, ack: Seq, opts: TcpOptions, isPureDup: boolean): number {
  const now = c.host.ctx.clock.now();
  let newlySacked = 0;
  if (c.sackOk && opts.sackCount > 0) newlySacked = processSack(c, opts, ack);

  if (seqGt(ack, c.sndUna)) {
    const acked = seqDiff(ack, c.sndUna);
    // RTT: the oldest newly acknowledged segment never retransmitted (Karn, RFC 6298 §3).
    let sample = -1;
    let dataAcked = 0;
    c.rtx.ackTo(ack, (s) => {
      if (sample < 0 && s.retrans === 0) sample = now - s.sentAt;
      noteDelivered(c, s);
    });
    if (sample < 0 && c.tsOk && opts.hasTimestamp && opts.tsEcr !== 0) {
      // RFC 7323 §4.1: timestamps give samples even for retransmitted data.
      const ticks = (c.tsNow() - opts.tsEcr) | 0;
      if (ticks >= 0) sample = Math.max(1, ticks) * c.host.config.tsTickUs;
    }
    if (sample >= 0) c.rtt.sample(Math.max(sample, 1), now, ack, c.sndNxt);
    // Bytes of the send buffer covered (the FIN's sequence number is not data).
    dataAcked = acked;
    if (c.finSent && seqGe(ack, seqAdd(c.finSeq, 1))) dataAcked--;
    dataAcked = Math.min(dataAcked, c.sendBuf.length);
    c.sendBuf.consume(dataAcked);
    c.sndUna = ack;
    c.bytesAcked += dataAcked;
    c.backoff = 0;
    c.probesOut = 0;
    c.dupAcks = 0;
    if (seqGe(ack, c.recover) || c.rtx.empty) c.retransStamp = -1;
    if (c.renoSackedBytes > 0) c.renoSackedBytes = Math.max(0, c.renoSackedBytes - acked);

    if (c.inRecovery) {
      if (seqGe(ack, c.recover)) {
        // Full ACK: recovery ends (RFC 6582 §3.2 step 3; Linux tcp_end_cwnd_reduction).
        c.inRecovery = false;
        c.renoSackedBytes = 0;
        c.cc.onRecoveryEnd(now);
      } else {
        // Partial ACK: the next hole is lost too (RFC 6582 §3.2 step 5; RFC 6675 §5.1).
        const first = c.rtx.first();
        let newLoss = false;
        if (first !== undefined && !first.sacked && !c.sackOk && !first.lost) {
          c.rtx.markLost(first);
          newLoss = true;
        }
        if (c.sackOk) newLoss = markLostFromSacks(c) || newLoss;
        prrAck(c, acked + newlySacked, !newLoss);
      }
    } else {
      if (c.inLoss && seqGe(ack, c.recover)) c.inLoss = false;
      if (c.inLoss && c.sackOk) markLostFromSacks(c);
      ccAck(c, dataAcked + newlySacked, sample, now);
    }
    // RFC 6298 §5.2/5.3: restart the timer, or stop it when nothing is outstanding.
    if (seqDiff(c.sndNxt, c.sndUna) > 0) timers.armRto(c);
    else timers.stopRtx(c);
    return acked;
  }

  // SEG.ACK == SND.UNA: maybe a duplicate ACK (RFC 5681 §2, RFC 6675 §2 with SACK).
  const outstanding = seqDiff(c.sndNxt, c.sndUna) > 0;
  if (!outstanding || ack !== c.sndUna) return 0;
  const dup = c.sackOk ? newlySacked > 0 || (isPureDup && opts.sackCount === 0) : isPureDup;
  if (!dup) return 0;
  c.dupAcks++;
  if (!c.sackOk) {
    // Each duplicate ACK means a segment left the network (Linux tcp_add_reno_sack).
    const flight = seqDiff(c.sndNxt, c.sndUna);
    c.renoSackedBytes = Math.min(c.renoSackedBytes + c.mss, Math.max(0, flight - c.mss));
  }
  if (c.inRecovery) {
    if (c.sackOk) markLostFromSacks(c);
    prrAck(c, c.sackOk ? newlySacked : c.mss, false);
    return 0;
  }
  const thresh = c.host.config.reordering;
  if (c.dupAcks >= thresh || (c.sackOk && newlySacked > 0 && markLostFromSacksProbe(c))) {
    enterRecovery(c);
  }
  return 0;
}

/** RFC 6675 §5 step (4)(b): would the scoreboard declare SND.UNA lost? */
function markLostFromSacksProbe(c: TcpConnection): boolean {
  const thresh = c.host.config.reordering;
  let sackedBytes = 0;
  let segs = 0;
  for (let i = 0; i < c.rtx.count; i++) {
    const s = c.rtx.at(i);
    if (s.sacked) {
      sackedBytes += s.length;
      segs++;
    }
  }
  return segs >= thresh || sackedBytes > (thresh - 1) * c.mss;
}

/** RFC 6937 per-ACK step: cwnd = pipe + sndcnt. */
function prrAck(c: TcpConnection, delivered: number, safeAck: boolean): void {
  if (c.prr === null) return;
  const pipe = c.pipe();
  const sndcnt = c.prr.onAck(delivered, pipe, safeAck);
  if (sndcnt >= 0) c.cc.setCwnd(Prr.cwnd(pipe, sndcnt));
}

/** Congestion avoidance / slow start growth for an ACK outside recovery. */
function ccAck(c: TcpConnection, acked: number, rttUs: number, now: number): void {
  if (acked <= 0) return;
  const s = (c.ackSample ??= {
    ackedBytes: 0, rttUs: -1, now: 0, bytesInFlight: 0, mss: 0, cwndLimited: false, sndUna: c.sndUna, sndNxt: c.sndNxt,
  });
  s.ackedBytes = acked;
  s.rttUs = rttUs;
  s.now = now;
  s.bytesInFlight = c.pipe();
  s.mss = c.mss;
  s.cwndLimited = c.cwndLimited;
  s.sndUna = c.sndUna;
  s.sndNxt = c.sndNxt;
  c.cc.onAck(s);
}
