import { describe, expect, it } from 'vitest';
import { seq, seqAdd, type Seq } from '../../../src/core/seq.js';
import { SackScoreboard, type NextSegment } from '../../../src/tcp/sack-scoreboard.js';

// Ten 100-byte segments: segment i (1-based) is [1000 + 100(i−1), 1000 + 100i).
const MSS = 100;
const UNA = 1000;
const seg = (i: number): [number, number] => [UNA + 100 * (i - 1), UNA + 100 * i];

function board(segments = 10, una = UNA, options = {}): SackScoreboard {
  const sb = new SackScoreboard(seq(una), options);
  sb.onSend(seq(una + segments * MSS));
  return sb;
}

function sack(sb: SackScoreboard, ack: number, ...blocks: [number, number][]): ReturnType<SackScoreboard['onAck']> {
  return sb.onAck(seq(ack), blocks.flat(), blocks.length);
}

function ranges(sb: SackScoreboard): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < sb.rangeCount; i++) out.push([sb.rangeStart(i), sb.rangeEnd(i)]);
  return out;
}

const next = (): NextSegment => ({ kind: 'none', start: seq(0), length: 0 });

describe('SACK scoreboard: marking (RFC 2018, RFC 6675 §5)', () => {
  it('records SACKed ranges, merging overlapping and adjacent blocks', () => {
    const sb = board();
    let r = sack(sb, UNA, seg(3));
    expect(r.newlySacked).toBe(100);
    expect(r.delivered).toBe(100);
    r = sack(sb, UNA, seg(5), seg(3));
    expect(r.newlySacked).toBe(100);
    expect(ranges(sb)).toEqual([seg(3), seg(5)]);
    r = sack(sb, UNA, [seg(4)[0], seg(4)[1]]); // fills the gap: one range 3..5
    expect(r.newlySacked).toBe(100);
    expect(ranges(sb)).toEqual([[seg(3)[0], seg(5)[1]]]);
    r = sack(sb, UNA, [seg(2)[0] + 50, seg(6)[1]]);
    expect(r.newlySacked).toBe(50 + 100);
    expect(ranges(sb)).toEqual([[seg(2)[0] + 50, seg(6)[1]]]);
    expect(sb.sackedBytes).toBe(450);
    expect(sb.highSacked).toBe(seg(6)[1]);
  });

  it('clears what a cumulative ACK covers and reports DeliveredData (RFC 6937)', () => {
    const sb = board();
    sack(sb, UNA, seg(3), seg(5));
    const r = sack(sb, seg(3)[1]); // ACK through segment 3
    expect(r.ackedBytes).toBe(300);
    expect(r.sackedAcked).toBe(100);
    expect(r.delivered).toBe(200);
    expect(sb.sndUna).toBe(seg(3)[1]);
    expect(ranges(sb)).toEqual([seg(5)]);
    const r2 = sack(sb, seg(5)[0] + 50); // an ACK inside a SACKed range trims it
    expect(r2.sackedAcked).toBe(50);
    expect(ranges(sb)).toEqual([[seg(5)[0] + 50, seg(5)[1]]]);
  });

  it('refuses blocks outside (SND.UNA, SND.NXT], empty or reversed (Linux tcp_is_sackblock_valid)', () => {
    const sb = board();
    sack(sb, UNA, seg(2));
    const r = sb.onAck(seq(UNA), [UNA, UNA + 100, 1500, 2100, 1700, 1700, 1800, 1750, 1300, 1400], 5);
    // First block [UNA, UNA+100) is not below the ACK and not inside the second: not a D-SACK,
    // and a block starting at SND.UNA is refused.
    expect(r.dsack).toBe(false);
    expect(r.invalidBlocks).toBe(4);
    expect(r.newlySacked).toBe(100);
    expect(ranges(sb)).toEqual([seg(2), seg(4)]);
  });

  it('detects a D-SACK below the cumulative ACK (RFC 2883 §4.1)', () => {
    const sb = board();
    sack(sb, seg(3)[1]);
    const r = sack(sb, seg(3)[1], seg(2));
    expect(r.dsack).toBe(true);
    expect([r.dsackStart, r.dsackEnd]).toEqual(seg(2));
    expect(r.invalidBlocks).toBe(0);
    expect(sb.sackedBytes).toBe(0);
  });

  it('detects a D-SACK inside the second block (RFC 2883 §4.2)', () => {
    const sb = board();
    sack(sb, UNA, [seg(4)[0], seg(6)[1]]);
    const r = sack(sb, UNA, seg(5), [seg(4)[0], seg(6)[1]]);
    expect(r.dsack).toBe(true);
    expect([r.dsackStart, r.dsackEnd]).toEqual(seg(5));
    expect(r.newlySacked).toBe(0);
    // Only the first block can be a D-SACK: a later block below SND.UNA is just invalid.
    const r2 = sack(sb, seg(2)[1], seg(8), seg(1));
    expect(r2.dsack).toBe(false);
    expect(r2.invalidBlocks).toBe(1);
  });

  it('caps the number of ranges', () => {
    const sb = board(10, UNA, { maxRanges: 2 });
    const r = sack(sb, UNA, seg(2), seg(4), seg(6));
    expect(r.invalidBlocks).toBe(1);
    expect(sb.rangeCount).toBe(2);
    // Merging into an existing range is still allowed.
    expect(sack(sb, UNA, seg(3)).newlySacked).toBe(100);
  });
});

describe('SACK scoreboard: IsLost() and pipe (RFC 6675 §4)', () => {
  it('deems a hole lost once DupThresh discontiguous ranges lie above it', () => {
    const sb = board();
    sack(sb, UNA, seg(3), seg(5));
    expect(sb.isLost(seq(UNA), MSS)).toBe(false); // 2 ranges, 200 bytes: not more than 2·SMSS
    sack(sb, UNA, seg(7));
    expect(sb.isLost(seq(UNA), MSS)).toBe(true); // 3 ranges above
    expect(sb.isLost(seq(seg(2)[0] + 99), MSS)).toBe(true);
    expect(sb.isLost(seq(seg(4)[0]), MSS)).toBe(false); // 2 ranges above
    expect(sb.isLost(seq(seg(3)[0]), MSS)).toBe(false); // SACKed
    expect(sb.isLost(seq(seg(9)[0]), MSS)).toBe(false); // nothing above
  });

  it('deems a hole lost once more than (DupThresh − 1)·SMSS bytes are SACKed above it', () => {
    const sb = board();
    sack(sb, UNA, [seg(3)[0], seg(4)[1]]);
    expect(sb.isLost(seq(UNA), MSS)).toBe(false); // exactly 200 bytes
    sack(sb, UNA, [seg(5)[0], seg(5)[0] + 1]);
    expect(sb.isLost(seq(UNA), MSS)).toBe(true); // 201 bytes (and 1 range is enough)
    expect(sb.isLost(seq(seg(4)[1]), MSS)).toBe(false);
  });

  it('adapts to a larger DupThresh (reordering)', () => {
    const sb = board();
    sack(sb, UNA, seg(3), seg(5), seg(7));
    sb.dupThresh = 4;
    expect(sb.isLost(seq(UNA), MSS)).toBe(false);
    sack(sb, UNA, seg(9));
    expect(sb.isLost(seq(UNA), MSS)).toBe(true);
  });

  it('counts unSACKed, not-lost bytes once and retransmitted bytes once more', () => {
    const sb = board();
    expect(sb.pipe(MSS)).toBe(1000);
    sack(sb, UNA, seg(3), seg(5), seg(7));
    // Lost: segments 1, 2. In flight: 4, 6, 8, 9, 10.
    expect(sb.pipe(MSS)).toBe(500);
    sb.enterRecovery();
    sb.onRetransmit(seq(seg(1)[0]), seq(seg(1)[1]));
    expect(sb.highRxt).toBe(seg(1)[1]);
    expect(sb.pipe(MSS)).toBe(600);
    sb.onRetransmit(seq(seg(2)[0]), seq(seg(2)[1]));
    expect(sb.pipe(MSS)).toBe(700);
    // Retransmitting a not-lost segment (rule 3) counts it twice; a SACKed one not at all.
    sb.onRetransmit(seq(seg(4)[0]), seq(seg(4)[1]));
    expect(sb.pipe(MSS)).toBe(800);
    // A SACK of a segment below HighRxt removes both counts.
    sack(sb, UNA, seg(4));
    expect(sb.pipe(MSS)).toBe(600);
    // The cumulative ACK of the retransmissions.
    sack(sb, seg(7)[1]);
    expect(sb.pipe(MSS)).toBe(300);
    expect(sb.highRxt).toBe(seg(7)[1]);
  });

  it('counts everything below a loss mark as lost (after an RTO or RACK)', () => {
    const sb = board();
    sack(sb, UNA, seg(5));
    sb.markLostBelow(seq(seg(3)[1]));
    expect(sb.isLost(seq(seg(3)[0]), MSS)).toBe(true);
    expect(sb.isLost(seq(seg(4)[0]), MSS)).toBe(false);
    expect(sb.pipe(MSS)).toBe(1000 - 100 - 300);
    sb.markLostBelow(seq(UNA + 1000));
    expect(sb.pipe(MSS)).toBe(0);
    sb.clearLostMarks();
    expect(sb.pipe(MSS)).toBe(900);
  });
});

describe('SACK scoreboard: NextSeg() (RFC 6675 §4)', () => {
  it('retransmits lost holes in order, then sends new data (rules 1 and 2)', () => {
    const sb = board();
    sack(sb, UNA, seg(3), seg(5), seg(7));
    sb.enterRecovery();
    const out = next();
    expect(sb.nextSeg(MSS, true, out)).toEqual({ kind: 'rexmit', start: seg(1)[0], length: 100 });
    sb.onRetransmit(out.start, seqAdd(out.start, out.length));
    expect(sb.nextSeg(MSS, true, out)).toEqual({ kind: 'rexmit', start: seg(2)[0], length: 100 });
    sb.onRetransmit(out.start, seqAdd(out.start, out.length));
    // Segment 4 has only 2 SACKed ranges above it: not lost. New data next.
    expect(sb.nextSeg(MSS, true, out)).toEqual({ kind: 'new', start: UNA + 1000, length: 100 });
    expect(sb.nextSeg(MSS, false, out).kind).toBe('none');
  });

  it('stops a retransmission at the end of its hole', () => {
    const sb = board();
    sack(sb, UNA, [UNA + 50, UNA + 100], seg(3), seg(5));
    sb.enterRecovery();
    expect(sb.nextSeg(MSS, false, next())).toEqual({ kind: 'rexmit', start: UNA, length: 50 });
  });

  it('offers rule (3) and the rescue retransmission of rule (4) when enabled', () => {
    const sb = board(10, UNA, { rule3: true, rescue: true });
    sack(sb, UNA, seg(3), seg(5), seg(7));
    sb.enterRecovery();
    const out = next();
    sb.onRetransmit(seq(seg(1)[0]), seq(seg(2)[1]));
    expect(sb.nextSeg(MSS, false, out)).toEqual({ kind: 'rexmit', start: seg(4)[0], length: 100 });
    sb.onRetransmit(seq(seg(4)[0]), seq(seg(6)[1]));
    // Rule 3 has nothing left below the highest SACK (segment 7): the rescue goes for segment 10.
    expect(sb.nextSeg(MSS, false, out)).toEqual({ kind: 'rescue', start: seg(10)[0], length: 100 });
    expect(sb.rescueRxt).toBe(UNA + 1000);
    expect(sb.highRxt).toBe(seg(6)[1]); // HighRxt MUST NOT move
    expect(sb.nextSeg(MSS, false, out).kind).toBe('none'); // one rescue per recovery
  });

  it('does not use rules (3) and (4) by default, as Linux', () => {
    const sb = board();
    sack(sb, UNA, seg(3), seg(5), seg(7));
    sb.enterRecovery();
    sb.onRetransmit(seq(seg(1)[0]), seq(seg(2)[1]));
    expect(sb.nextSeg(MSS, false, next()).kind).toBe('none');
  });

  it('retransmits marked-lost data above the highest SACK after an RTO', () => {
    const sb = board();
    sack(sb, UNA, seg(2));
    sb.enterRecovery();
    sb.markLostBelow(seq(UNA + 1000));
    const out = next();
    const starts: number[] = [];
    for (let i = 0; i < 20 && sb.nextSeg(MSS, false, out).kind === 'rexmit'; i++) {
      starts.push(out.start);
      sb.onRetransmit(out.start, seqAdd(out.start, out.length));
    }
    expect(starts).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => seg(i)[0]));
  });
});

describe('SACK scoreboard: scale and wrap-around', () => {
  it('handles hundreds of holes', () => {
    const n = 1000;
    const sb = board(n);
    const blocks: number[] = [];
    for (let i = 2; i <= n; i += 2) blocks.push(...seg(i));
    // Fed 4 blocks per ACK, in random-ish order (high first), as a receiver would report them.
    for (let k = blocks.length - 8; k >= 0; k -= 8) sb.onAck(seq(UNA), blocks.slice(k, k + 8), 4);
    expect(sb.rangeCount).toBe(n / 2);
    expect(sb.sackedBytes).toBe((n / 2) * MSS);
    // Every odd segment but the top two holes is lost: 498 holes · 100 bytes.
    expect(sb.isLost(seq(seg(1)[0]), MSS)).toBe(true);
    expect(sb.isLost(seq(seg(n - 5)[0]), MSS)).toBe(true);
    expect(sb.isLost(seq(seg(n - 3)[0]), MSS)).toBe(false);
    expect(sb.pipe(MSS)).toBe(2 * MSS);
    sack(sb, seg(n / 2)[1]);
    expect(sb.rangeCount).toBe(n / 4);
  });

  it('works across the 2^32 wrap', () => {
    const base = 0xffff_ff80;
    const sb = new SackScoreboard(seq(base));
    sb.onSend(seq(base + 1000));
    const at = (o: number): Seq => seqAdd(seq(base), o);
    sb.onAck(at(0), [at(200), at(300), at(400), at(500), at(600), at(700)], 3);
    expect(ranges(sb)).toEqual([
      [at(200), at(300)],
      [at(400), at(500)],
      [at(600), at(700)],
    ]);
    expect(sb.isLost(at(0), MSS)).toBe(true);
    expect(sb.isLost(at(300), MSS)).toBe(false);
    expect(sb.pipe(MSS)).toBe(500);
    sb.onAck(at(450), [], 0);
    expect(sb.sndUna).toBe(at(450));
    expect(ranges(sb)).toEqual([
      [at(450), at(500)],
      [at(600), at(700)],
    ]);
  });
});
