import { emptyDissection } from '../craft/dissect.js';
import { fragmentIpv4, type FragmentPiece } from '../craft/fragments.js';
import { applyMutation, MAX_EXTEND, type Mutation, type MutationOp } from '../craft/mutate.js';
import type { GenContext } from './gen-context.js';
import type { Template } from './templates.js';

/** Ops drawn for a mutation, weighted: field-aware changes most, then bit-level noise, then structure. */
const OPS: readonly MutationOp[] = [
  'field', 'field', 'field', 'field', 'field', 'field', 'flip', 'flip', 'flip', 'byte', 'byte', 'optlen', 'optlen',
  'truncate', 'extend', 'fixlen',
];

/**
 * Mutation mode: a template or seed packet with one to three
 * {@link Mutation}s (the same ops the fast-check arbitraries shrink), then
 * usually checksums made right again so the lie reaches past the checksum
 * check; sometimes one made wrong on purpose; sometimes the result cut into
 * overlapping IPv4 fragments.
 */
export class Mutator {
  private readonly d = emptyDissection();
  /** One mutation record, refilled for every op (no allocation per packet). */
  private readonly m: { op: MutationOp; a: number; b: number } = { op: 'flip', a: 0, b: 0 };

  constructor(private readonly g: GenContext) {}

  /**
   * Writes a mutated copy of `t` into the scratch buffer and returns its
   * length. Extra packets (the other fragments) go to `more`.
   */
  mutate(t: Template, more: Uint8Array[], maxLen: number): number {
    const g = this.g;
    const dice = g.dice;
    const b = g.buf;
    let len = Math.min(t.bytes.length, b.length - 3 * MAX_EXTEND);
    b.set(t.bytes.subarray(0, len));
    const n = dice.range(1, 3);
    const m = this.m;
    for (let i = 0; i < n; i++) {
      m.op = dice.pick(OPS);
      m.a = dice.u32();
      m.b = dice.u32();
      len = applyMutation(b, len, m, this.d);
    }
    if (dice.chance(78)) len = applyMutation(b, len, FIX_SUMS, this.d);
    if (dice.chance(6)) {
      m.op = 'badsum';
      m.a = dice.u32();
      len = applyMutation(b, len, m, this.d);
    }
    if (len > maxLen) len = maxLen;
    if (dice.chance(6)) return this.fragment(len, more);
    return len;
  }

  /**
   * Cuts the IPv4 datagram in the scratch buffer into 2-4 pieces, some
   * overlapping (and with other bytes in the overlap); the first piece is
   * left in the scratch buffer, the rest appended to `more` in a shuffled order.
   */
  private fragment(len: number, more: Uint8Array[]): number {
    const g = this.g;
    const dice = g.dice;
    const b = g.buf;
    if (len < 36 || b[0]! >>> 4 !== 4) return len;
    const hl = (b[0]! & 0x0f) << 2;
    const payloadLength = len - hl;
    if (hl < 20 || payloadLength < 16) return len;
    const count = dice.range(2, 4);
    const pieces: FragmentPiece[] = [];
    let offset = 0;
    for (let i = 0; i < count && offset < payloadLength; i++) {
      const last = i === count - 1;
      const size = last ? payloadLength - offset : Math.max(8, (dice.range(8, payloadLength - offset) & ~7));
      const piece: FragmentPiece = { offset, length: size };
      if (dice.chance(10)) piece.data = new Uint8Array(size).fill(dice.below(256));
      pieces.push(piece);
      // Overlap the next piece with this one now and then (teardrop, RFC 1858 §4).
      offset += size;
      if (dice.chance(25) && offset >= 16) offset -= 8 * dice.range(1, Math.min(4, offset >>> 3));
    }
    const frags = fragmentIpv4(b.slice(0, len), pieces);
    for (let i = frags.length - 1; i > 0; i--) {
      const j = dice.below(i + 1);
      const t = frags[i]!;
      frags[i] = frags[j]!;
      frags[j] = t;
    }
    const first = frags[0]!;
    b.set(first);
    for (let i = 1; i < frags.length; i++) more.push(frags[i]!);
    return first.length;
  }
}

const FIX_SUMS: Mutation = Object.freeze({ op: 'fixsum', a: 0, b: 0 });
