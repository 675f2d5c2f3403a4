import fc from 'fast-check';

/**
 * Packets from `valid`, then up to four edits that keep them "almost valid":
 * a flipped bit, an overwritten byte, a truncation, or a garbage tail.
 */
export function almostValid(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'set', 'cut', 'extend')), { maxLength: 4 }))
    .map(([pkt, edits]) => {
      let b: Uint8Array = pkt.slice();
      for (const [pos, val, op] of edits) {
        if (b.length === 0) break;
        const i = pos % b.length;
        if (op === 'flip') b[i]! ^= 1 << (val % 8);
        else if (op === 'set') b[i] = val;
        else if (op === 'cut') b = b.subarray(0, i);
        else {
          const n = new Uint8Array(b.length + (val % 64));
          n.set(b);
          b = n;
        }
      }
      return b;
    });
}
