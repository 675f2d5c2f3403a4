import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../core/seq.js';
import { cwndRoomSegs, updatePacingRate } from './tso-burst.js';
import type { TcpConnection } from './connection.js';
import type { TcpOptions } from './options.js';
import * as out from './output.js';
import { Prr } from './prr.js';
import { rackDelivered, rackDetectLoss, rackOf, tlpOf } from './rack-tlp.js';
import type { SentSegment } from './rtx-queue.js';
import * as timers from './timers.js';

/**
 * What an arriving ACK does to the send side: RTT samples (RFC 6298, Karn),
 * the SACK scoreboard (RFC 2018, RFC 6675), D-SACK (RFC 2883), duplicate
 * ACK counting, fast retransmit and recovery (RFC 5681 §3.2, NewReno RFC
 * 6582, SACK-based RFC 6675), and congestion-window growth.
 */

/**
 * Per-ACK scratch of {@link processSack}: the earliest last-transmit time
 * among the segments the ACK newly SACKed (µs; Infinity if none).
 */
interface SackScan {
  firstSentAt: number;
}

/** Processes the SACK blocks of an ACK; returns newly SACKed bytes (c.dsackEnd notes a D-SACK). */
function processSack(c: TcpConnection, opts: TcpOptions, ack: Seq, now: number, tsEcr: number, scan: SackScan): number {
  let added = 0;
  const onSacked = (seg: SentSegment): void => {
    if (seg.sentAt < scan.firstSentAt) scan.firstSentAt = seg.sentAt;
    rackDelivered(c, seg, now, tsEcr);
  };
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
      c.dsackEnd = e;
      // A duplicate of data retransmitted in this episode: one retransmission was not needed.
      if (c.undoActive && c.undoRetrans > 0 && seqGt(e, c.undoMarker) && seqLe(e, c.sndNxt)) c.undoRetrans--;
      continue;
    }
    if (seqLe(e, c.sndUna) || seqGt(e, c.sndNxt)) {
      counters.TcpExtTCPSACKDiscard++;
      continue;
    }
    added += c.rtx.markSacked(seqGt(s, c.sndUna) ? s : c.sndUna, e, onSacked);
  }
  return added;
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

/**
 * Starts fast recovery (RFC 5681 §3.2 steps 2–3, RFC 6675 §5 step 4).
 * `delivered` is what the triggering ACK newly acknowledged or SACKed
 * (bytes); Linux's reordering timer passes one segment. PRR (RFC 6937 §3)
 * sizes cwnd from it at once, so the entering event sends the fast
 * retransmission and only what PRR allows beyond it (Linux
 * tcp_cwnd_reduction before tcp_xmit_retransmit_queue).
 */
export function enterRecovery(c: TcpConnection, delivered = c.mss): void {
  const counters = c.host.ctx.counters;
  c.inRecovery = true;
  c.tlp?.reset();
  openUndo(c);
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
  if (c.rack === null || c.rtx.lostBytes === 0) {
    if (first !== undefined && !first.sacked) c.rtx.markLost(first);
    if (c.sackOk && c.rack === null) markLostFromSacks(c);
  }
  prrAck(c, delivered > 0 ? delivered : c.mss, false);
  // The first retransmission goes out regardless of cwnd (RFC 5681 §3.2
  // step 3), with what PRR allows of the same original burst.
  out.retransmitLostBurst(c, Math.max(1, cwndRoomSegs(c)), c.host.ctx.clock.now());
}

/**
 * Handles the ACK number, SACK blocks and timing of an acceptable ACK
 * (SND.UNA − MAX.SND.WND ≤ SEG.ACK ≤ SND.NXT). `isPureDup` is the RFC 5681
 * duplicate-ACK test minus the SND.UNA comparison (no data, no window
 * change, not SYN/FIN). Returns the number of bytes newly acknowledged.
 */
export function onAck(c: TcpConnection, ack: Seq, opts: TcpOptions, isPureDup: boolean): number {
  const now = c.host.ctx.clock.now();
  const counters = c.host.ctx.counters;
  const tsEcr = c.tsOk && opts.hasTimestamp ? opts.tsEcr : -1;
  rackOf(c)?.startAck();
  c.dsackEnd = null;
  let newlySacked = 0;
  const scan: SackScan = { firstSentAt: Infinity };
  if (c.sackOk && opts.sackCount > 0) newlySacked = processSack(c, opts, ack, now, tsEcr, scan);
  // Linux tcp_clean_rtx_queue (FLAG_SET_XMIT_TIMER): an ACK that acknowledges
  // nothing new re-arms the probe / retransmission timer only when it SACKs
  // data sent before the head's last transmission; otherwise the pending
  // PTO or RTO keeps its deadline (RFC 8985 §7.2 arms the PTO on sending).
  const head = c.rtx.first();
  const sackRearm = head !== undefined && scan.firstSentAt < head.sentAt;
  const tlp = tlpOf(c);
  if (tlp !== null && tlp.endSeq !== null) {
    const pure = isPureDup && newlySacked === 0 && ack === c.sndUna;
    if (tlp.onAck(ack, c.dsackEnd, pure) === 'loss-repaired') {
      // RFC 8985 §7.4.2: the probe repaired a loss: reduce cwnd once.
      c.cc.onCongestionEvent('loss-probe', now, c.pipe(), c.mss);
      c.cc.onRecoveryEnd(now);
      c.host.ctx.counters.TcpExtTCPLossProbeRecovery++;
    }
  }

  if (seqGt(ack, c.sndUna)) {
    const acked = seqDiff(ack, c.sndUna);
    // RTT: the oldest newly acknowledged segment never retransmitted (Karn, RFC 6298 §3).
    let sample = -1;
    let dataAcked = 0;
    const rtx = c.rtx;
    for (let i = 0, n = rtx.count; i < n; i++) {
      const s = rtx.at(i);
      if (seqGt(s.end, ack)) break;
      if (sample < 0 && s.retrans === 0) sample = now - s.sentAt;
      rackDelivered(c, s, now, tsEcr);
    }
    const sackedBefore = rtx.sackedBytes;
    rtx.ackTo(ack);
    // Bytes this ACK covers that an earlier SACK already reported delivered.
    const sackedCovered = sackedBefore - rtx.sackedBytes;
    if (sample < 0 && c.tsOk && opts.hasTimestamp && opts.tsEcr !== 0) {
      // RFC 7323 §4.1: timestamps give samples even for retransmitted data.
      const ticks = (c.tsNow() - opts.tsEcr) | 0;
      if (ticks >= 0) sample = Math.max(1, ticks) * c.host.config.tsTickUs;
    }
    if (sample >= 0) {
      c.rtt.sample(Math.max(sample, 1), now, ack, c.sndNxt);
      c.tlp?.onRttSample();
    }
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
    // What the ACK newly delivered (Linux tcp_newly_delivered, RFC 6937
    // DeliveredData): data SACKed earlier was counted when it was SACKed
    // (tcp_sacktag_one), so a cumulative ACK over it adds only the holes.
    let delivered: number;
    if (c.sackOk) delivered = Math.max(0, dataAcked - sackedCovered) + newlySacked;
    else {
      // Without SACK each duplicate ACK stood for one delivered segment
      // (tcp_add_reno_sack); the ACK that fills the hole delivers the rest, at
      // least one segment (tcp_remove_reno_sacks), and its other segments
      // consume the duplicate ACKs: SACKed-out shrinks by acked − 1 segment.
      delivered = Math.max(dataAcked - c.renoSackedBytes, Math.min(dataAcked, c.mss));
      if (c.renoSackedBytes > 0) {
        // Outside recovery the count restarts at once (tcp_fastretrans_alert: tcp_reset_reno_sack).
        c.renoSackedBytes = c.inRecovery ? Math.max(0, c.renoSackedBytes - Math.max(0, acked - c.mss)) : 0;
      }
    }

    if (c.inRecovery) {
      if (seqGe(ack, c.recover)) {
        // Full ACK: recovery ends (RFC 6582 §3.2 step 3; Linux tcp_end_cwnd_reduction),
        // undone if every retransmission proved spurious (Linux tcp_try_undo_recovery).
        c.inRecovery = false;
        c.renoSackedBytes = 0;
        if (mayUndo(c, tsEcr) && c.cc.undo()) {
          counters.TcpExtTCPFullUndo++;
          c.undoActive = false;
        } else c.cc.onRecoveryEnd(now);
        // Without an undo the episode stays open (Linux keeps undo_marker):
        // D-SACKs arriving later may still prove it spurious (afterAck).
        c.rack?.onRecoveryExit();
        identifyLoss(c, now, delivered);
      } else {
        // Partial ACK: the next hole is lost too (RFC 6582 §3.2 step 5; RFC 6675 §5.1).
        const first = c.rtx.first();
        let newLoss = false;
        if (first !== undefined && !first.sacked && !c.sackOk && !first.lost) {
          c.rtx.markLost(first);
          newLoss = true;
        }
        if (c.sackOk && c.rack === null) newLoss = markLostFromSacks(c) || newLoss;
        // Linux tcp_fastretrans_alert runs RACK (tcp_identify_packet_loss)
        // before tcp_cong_control, so PRR sees the pipe after this ACK's
        // losses, and a loss found now withholds the PRR-SSRB extra segment.
        const marked = identifyLoss(c, now, delivered);
        if (marked >= 0 && c.inRecovery) prrAck(c, delivered, !newLoss && marked === 0);
      }
    } else {
      if (c.inLoss && seqGe(ack, c.recover)) {
        c.inLoss = false;
        if (mayUndo(c, tsEcr) && c.cc.undo()) {
          counters.TcpExtTCPLossUndo++;
          c.undoActive = false;
        }
        c.rack?.onRecoveryExit();
      }
      if (c.inLoss && c.sackOk && c.rack === null) markLostFromSacks(c);
      // Linux tcp_cong_control → tcp_may_raise_cwnd: only an ACK that
      // advances SND.UNA over data grows cwnd, by what it newly delivered;
      // one whose loss detection starts recovery reduces it instead (PRR).
      if (identifyLoss(c, now, delivered) >= 0) ccAck(c, delivered, sample, now);
    }
    afterAck(c, now, true, delivered, true);
    return acked;
  }

  // SEG.ACK == SND.UNA: maybe a duplicate ACK (RFC 5681 §2, RFC 6675 §2 with SACK).
  const outstanding = seqDiff(c.sndNxt, c.sndUna) > 0;
  if (!outstanding || ack !== c.sndUna) {
    afterAck(c, now);
    return 0;
  }
  const dup = c.sackOk ? newlySacked > 0 || (isPureDup && opts.sackCount === 0) : isPureDup;
  if (!dup) {
    afterAck(c, now, sackRearm);
    return 0;
  }
  c.dupAcks++;
  let dupDelivered = newlySacked;
  if (!c.sackOk) {
    // Each duplicate ACK means a segment left the network (Linux
    // tcp_add_reno_sack), unless SACKed-out already covers all but the hole
    // (tcp_limit_reno_sacked): what it delivered is the increase.
    const flight = seqDiff(c.sndNxt, c.sndUna);
    const prior = c.renoSackedBytes;
    c.renoSackedBytes = Math.max(prior, Math.min(prior + c.mss, Math.max(0, flight - c.mss)));
    dupDelivered = c.renoSackedBytes - prior;
  }
  if (c.inRecovery) {
    if (c.sackOk && c.rack === null) markLostFromSacks(c);
    // Loss detection first, then PRR on the resulting pipe (see the partial ACK above).
    if (identifyLoss(c, now, dupDelivered) >= 0 && c.inRecovery) prrAck(c, dupDelivered, false);
    afterAck(c, now, true, 0, true);
    return 0;
  }
  const wasRecovering = c.inRecovery || c.inLoss;
  // With RACK on, time-based detection replaces the DupThresh rule (Linux
  // tcp_time_to_recover); its reordering window is 0 until reordering is seen,
  // so three SACKed segments still trigger recovery at once.
  const thresh = c.host.config.reordering;
  if (c.rack === null && (c.dupAcks >= thresh || (c.sackOk && newlySacked > 0 && markLostFromSacksProbe(c)))) {
    enterRecovery(c, dupDelivered);
  }
  afterAck(c, now, sackRearm || wasRecovering !== (c.inRecovery || c.inLoss), newlySacked);
  return 0;
}

/**
 * The loss-detection step of an ACK (Linux tcp_fastretrans_alert): a D-SACK
 * undo (RFC 2883 §4.2), RACK's D-SACK bookkeeping and loss detection (RFC
 * 8985 §6.2 steps 4–5), and the start of recovery if RACK found a loss
 * outside it. Returns the number of segments newly marked lost, or -1 when
 * recovery was started (enterRecovery already applied PRR for this ACK).
 * Runs once per ACK, before PRR or cwnd growth see the ACK.
 */
/**
 * Loss detection for one ACK, before cwnd reacts (Linux
 * tcp_fastretrans_alert → tcp_identify_packet_loss): a D-SACK undo, then
 * RACK. Returns the segments RACK marked lost, or -1 when that started
 * recovery (enterRecovery has then set cwnd and retransmitted).
 */
function identifyLoss(c: TcpConnection, now: number, delivered: number): number {
  if (c.dsackEnd !== null && c.undoActive && c.undoRetrans === 0 && !c.inLoss) dsackUndo(c);
  const r = c.rack;
  if (r === null) return 0;
  r.onAckDsack(c.dsackEnd !== null, c.sndUna, c.sndNxt);
  const marked = rackDetectLoss(c, now, false);
  if (marked > 0 && !c.inRecovery && !c.inLoss) {
    enterRecovery(c, delivered);
    return -1;
  }
  return marked;
}

/**
 * Common tail of ACK processing: RACK loss detection (RFC 8985 §6.2 step 5)
 * — which may start recovery — then the retransmission / probe / reordering
 * timer (RFC 6298 §5.2–5.3, RFC 8985 §6.3, §7.2).
 */
function afterAck(c: TcpConnection, now: number, rearm = true, delivered = 0, lossDone = false): void {
  if (!lossDone && identifyLoss(c, now, delivered) < 0) rearm = true;
  updatePacingRate(c);
  if (seqDiff(c.sndNxt, c.sndUna) <= 0) {
    timers.stopRtx(c);
    return;
  }
  // A pending probe or RTO keeps its deadline on an ACK that acknowledged
  // nothing new (see onAck); RACK's reordering timer always replaces it.
  const kind = c.rtxKind;
  if (!rearm && c.rackTimeoutUs === 0 && c.rtxTimer?.armed === true && (kind === 'tlp' || kind === 'rto')) return;
  timers.armRetransmitTimer(c);
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
  // Send-buffer auto-tuning (Linux tcp_sndbuf_expand): room for two windows'
  // worth of data, up to tcp_wmem[2], unless SO_SNDBUF fixed the size.
  if (c.options.sndBuf === 0) {
    const want = Math.min(c.host.config.wmem[2], 2 * Math.max(c.cc.cwnd, c.sndWnd));
    if (want > c.sndBufSize) c.sndBufSize = want;
  }
}

/**
 * D-SACKs reported every retransmission of the episode as a duplicate: none
 * was needed, so the reduction is undone, in recovery or after it (Linux
 * tcp_try_undo_dsack, RFC 2883 §4.2), and recovery ends.
 */
function dsackUndo(c: TcpConnection): void {
  c.cc.undo();
  c.host.ctx.counters.TcpExtTCPDSACKUndo++;
  c.undoActive = false;
  if (c.inRecovery) {
    c.inRecovery = false;
    c.renoSackedBytes = 0;
    c.rack?.onRecoveryExit();
  }
}

/**
 * Opens an undoable episode (Linux tcp_init_undo): from SND.UNA, with the
 * retransmissions still in flight counted (-1 when there are none yet: then
 * only a timestamp can prove the episode spurious until one is sent).
 */
export function openUndo(c: TcpConnection): void {
  c.undoActive = true;
  c.undoMarker = c.sndUna;
  c.undoRetrans = c.rtx.retransOutstanding > 0 ? c.rtx.retransOutstanding : -1;
  c.undoTs = -1;
}

/**
 * Linux tcp_may_undo: every retransmission of the episode was reported as a
 * duplicate (D-SACK, RFC 2883 §4.2), or the ACK echoes a timestamp older than
 * the first retransmission, so it answers an original (Eifel, RFC 3522).
 */
function mayUndo(c: TcpConnection, tsEcr: number): boolean {
  if (!c.undoActive) return false;
  if (c.undoRetrans === 0) return true;
  return tsEcr >= 0 && c.undoTs >= 0 && tsEcr !== 0 && ((tsEcr - c.undoTs) | 0) < 0;
}
