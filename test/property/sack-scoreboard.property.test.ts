import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seq, seqAdd, type Seq } from '../../src/core/seq.js';
import { SackScoreboard, type NextSegment } from '../../src/tcp/sack-scoreboard.js';

/**
 * The scoreboard against a byte-by-byte model of RFC 6675: every byte of
 * the sequence space sent so far has a SACKed flag, and IsLost / pipe /
 * NextSeg rule (1) are evaluated octet by octet from their definitions.
 * Offsets are relative to a random initial SND.UNA, so runs cross the 2^32
 * wrap.
 */

const MAX_SENT = 1500;

type Op =
  | { t: 'send'; n: number }
  | { t: 'ack'; adv: number; blocks: [number, number][] }
  | { t: 'recover' }
  | { t: 'rexmit'; at: number; len: number }
  | { t: 'mark'; at: number }
  | { t: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('send' as const), n: fc.integer({ min: 0, max: 300 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('ack' as const),
      // Fractions of the outstanding window, so that most values are meaningful.
      adv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })),
      blocks: fc.array(fc.tuple(fc.integer({ min: -100, max: 1100 }), fc.integer({ min: -100, max: 1100 })), {
        maxLength: 4,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('recover' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('rexmit' as const),
      at: fc.integer({ min: 0, max: 1000 }),
      len: fc.integer({ min: 1, max: 300 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('mark' as const), at: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
);

/** The reference: flags per byte offset from the initial SND.UNA. */
class Model {
  una = 0;
  nxt = 0;
  hr = 0;
  mark = 0;
  readonly sacked = new Uint8Array(MAX_SENT + 400);

  sackedCount(): number {
    let c = 0;
    for (let o = this.una; o < this.nxt; o++) c += this.sacked[o]!;
    return c;
  }

  /** IsLost for every offset in [una, nxt): RFC 6675 §4, octet by octet. */
  lostMap(dupThresh: number, mss: number): Uint8Array {
    const lost = new Uint8Array(this.nxt + 1);
    let runs = 0;
    let bytes = 0;
    for (let o = this.nxt - 1; o >= this.una; o--) {
      if (this.sacked[o]) {
        bytes++;
        if (o + 1 >= this.nxt || !this.sacked[o + 1]) runs++;
        continue;
      }
      lost[o] = o < this.mark || runs >= dupThresh || bytes > (dupThresh - 1) * mss ? 1 : 0;
    }
    return lost;
  }

  pipe(dupThresh: number, mss: number): number {
    const lost = this.lostMap(dupThresh, mss);
    let p = 0;
    for (let o = this.una; o < this.nxt; o++) {
      if (this.sacked[o]) continue;
      if (!lost[o]) p++;
      if (o < this.hr) p++;
    }
    return p;
  }

  runs(): [number, number][] {
    const out: [number, number][] = [];
    for (let o = this.una; o < this.nxt; o++) {
      if (!this.sacked[o]) continue;
      const s = o;
      while (o < this.nxt && this.sacked[o]) o++;
      out.push([s, o]);
    }
    return out;
  }
}

describe('SACK scoreboard against a byte-level RFC 6675 model', () => {
  it('keeps ranges sorted, disjoint and inside [SND.UNA, SND.NXT]; pipe, IsLost and NextSeg match', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (base, mss, dupThresh, ops) => {
          const at = (o: number): Seq => seqAdd(seq(base), o);
          const off = (x: number): number => (x - base) >>> 0;
          const sb = new SackScoreboard(seq(base), { dupThresh });
          const m = new Model();
          const out: NextSegment = { kind: 'none', start: seq(0), length: 0 };

          for (const op of ops) {
            switch (op.t) {
              case 'send': {
                const n = Math.min(op.n, MAX_SENT - m.nxt);
                m.nxt += n;
                sb.onSend(at(m.nxt));
                break;
              }
              case 'ack': {
                const window = m.nxt - m.una;
                const ack = m.una + Math.round((op.adv / 1000) * window);
                const blocks: number[] = [];
                for (const [a, b] of op.blocks) {
                  blocks.push(at(m.una + Math.round((a / 1000) * window)), at(m.una + Math.round((b / 1000) * window)));
                }
                const sackedBefore = m.sackedCount();
                // Reference: cumulative ACK first, then the blocks (Linux order).
                let acked = 0;
                let sackedAcked = 0;
                if (ack > m.una && ack <= m.nxt) {
                  for (let o = m.una; o < ack; o++) sackedAcked += m.sacked[o]!;
                  acked = ack - m.una;
                  m.una = ack;
                  if (m.hr < ack) m.hr = ack;
                  if (m.mark < ack) m.mark = ack;
                }
                let dsack = false;
                let invalid = 0;
                const count = blocks.length / 2;
                for (let k = 0; k < count; k++) {
                  const s = off(blocks[2 * k]!);
                  const e = off(blocks[2 * k + 1]!);
                  // Signed comparisons relative to SND.UNA (offsets may "go negative" below base).
                  const rel = (x: number): number => ((x - m.una) | 0);
                  const valid = rel(s) > 0 && rel(s) < rel(e) && rel(e) <= m.nxt - m.una;
                  let isD = false;
                  if (k === 0) {
                    const ackRel = ((off(at(ack)) - m.una) | 0);
                    if (rel(s) < ackRel) isD = true;
                    else if (count > 1) {
                      const s1 = off(blocks[2]!);
                      const e1 = off(blocks[3]!);
                      isD = rel(e) <= rel(e1) && rel(s) >= rel(s1);
                    }
                  }
                  if (isD) dsack = true;
                  else if (!valid) invalid++;
                  if (valid) for (let o = s; o < e; o++) m.sacked[o] = 1;
                }
                const r = sb.onAck(at(ack), blocks, count);
                expect(r.ackedBytes).toBe(acked);
                expect(r.sackedAcked).toBe(sackedAcked);
                expect(r.dsack).toBe(dsack);
                expect(r.invalidBlocks).toBe(invalid);
                const newly = m.sackedCount() - (sackedBefore - sackedAcked);
                expect(r.newlySacked).toBe(newly);
                expect(r.delivered).toBe(acked + newly - sackedAcked);
                break;
              }
              case 'recover':
                m.hr = m.una;
                sb.enterRecovery();
                break;
              case 'rexmit': {
                const s = m.una + Math.round((op.at / 1000) * (m.nxt - m.una));
                const e = Math.min(s + op.len, m.nxt);
                if (e > m.hr) m.hr = e;
                sb.onRetransmit(at(s), at(s + op.len));
                break;
              }
              case 'mark': {
                const x = m.una + Math.round((op.at / 1000) * (m.nxt - m.una));
                if (x > m.mark) m.mark = x;
                sb.markLostBelow(at(x));
                break;
              }
              case 'clear':
                m.mark = m.una;
                sb.clearLostMarks();
                break;
            }

            // Structure: sorted, disjoint, non-adjacent, inside [SND.UNA, SND.NXT], equal to the model's runs.
            expect(off(sb.sndUna)).toBe(m.una);
            expect(off(sb.sndNxt)).toBe(m.nxt);
            const got: [number, number][] = [];
            for (let i = 0; i < sb.rangeCount; i++) got.push([off(sb.rangeStart(i)), off(sb.rangeEnd(i))]);
            for (let i = 0; i < got.length; i++) {
              const [s, e] = got[i]!;
              expect(s).toBeGreaterThanOrEqual(m.una);
              expect(s).toBeLessThan(e);
              expect(e).toBeLessThanOrEqual(m.nxt);
              if (i > 0) expect(s).toBeGreaterThan(got[i - 1]![1]);
            }
            expect(got).toEqual(m.runs());
            expect(sb.sackedBytes).toBe(m.sackedCount());
            expect(off(sb.highRxt)).toBe(m.hr);

            // pipe and IsLost.
            const pipe = sb.pipe(mss);
            expect(pipe).toBeGreaterThanOrEqual(0);
            expect(pipe).toBe(m.pipe(dupThresh, mss));
            const lost = m.lostMap(dupThresh, mss);
            for (let o = m.una; o < m.nxt; o += 7) {
              expect(sb.isLost(at(o), mss), `offset ${o}`).toBe(!m.sacked[o] && lost[o] === 1);
            }

            // NextSeg rule (1): the first lost, unSACKed byte at or above HighRxt.
            let first = -1;
            for (let o = m.hr; o < m.nxt; o++) {
              if (!m.sacked[o] && lost[o]) {
                first = o;
                break;
              }
            }
            sb.nextSeg(mss, false, out);
            if (first < 0) {
              expect(out.kind).toBe('none');
            } else {
              expect(out.kind).toBe('rexmit');
              expect(off(out.start)).toBe(first);
              expect(out.length).toBeGreaterThan(0);
              expect(out.length).toBeLessThanOrEqual(mss);
              for (let o = first; o < first + out.length; o++) expect(!m.sacked[o] && lost[o] === 1).toBe(true);
            }
          }
        },
      ),
      { numRuns: 1000, seed: 6675 },
    );
  });
});
