/**
 * fast-check arbitraries for "almost valid" packets: a valid packet with
 * one thing wrong (a field off by a little, a checksum, a length), cut
 * short, with bits flipped, with option lengths that lie, or a datagram
 * cut into overlapping fragments. The mutations are data ({@link Mutation}),
 * so fast-check shrinks a failing case towards the fewest, smallest changes.
 */
import fc from 'fast-check';
import { evenPieces, fragmentIpv4, type FragmentPiece } from './fragments.js';
import { MUTATION_OPS, mutatePacket, oneFieldOff, type Mutation } from './mutate.js';
import { arbLyingTcpOption, arbTcpCraft, fitTcpOptions, arbTcpOptions } from './arb-transport.js';
import { ipv4 } from './ip.js';
import { build } from './layer.js';
import { tcp, type TcpOptionCraft } from './transport.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Any single mutation. */
export const arbMutation: fc.Arbitrary<Mutation> = fc.record({ op: fc.constantFrom(...MUTATION_OPS), a: u32, b: u32 });

/** A packet from `packets` with 1..`max` arbitrary mutations applied. */
export function arbAlmostValid(packets: fc.Arbitrary<Uint8Array>, max = 4): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(packets, fc.array(arbMutation, { minLength: 1, maxLength: max }))
    .map(([p, ms]) => mutatePacket(p, ms));
}

/** One header field off by a small non-zero amount; checksums recomputed unless the field is the checksum. */
export function arbOneFieldOff(packets: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(packets, fc.nat(), fc.integer({ min: 1, max: 16 }), fc.boolean())
    .map(([p, index, mag, neg]) => oneFieldOff(p, index, neg ? -mag : mag));
}

/** A wrong IPv4 header checksum or a wrong transport checksum, everything else intact. */
export function arbChecksumWrong(packets: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(packets, fc.integer({ min: 0, max: 1 })).map(([p, which]) => mutatePacket(p, [{ op: 'badsum', a: which, b: 0 }]));
}

/** Cut short at any length; with `fixLength`, the IP length field (and checksums) agree with the cut. */
export function arbTruncated(packets: fc.Arbitrary<Uint8Array>, fixLength = false): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(packets, fc.nat())
    .filter(([p]) => p.length > 1)
    .map(([p, cut]) => {
      const ms: Mutation[] = [{ op: 'truncate', a: 1 + (cut % (p.length - 1)), b: 0 }];
      if (fixLength) ms.push({ op: 'fixlen', a: 0, b: 0 }, { op: 'fixsum', a: 0, b: 0 });
      return mutatePacket(p, ms);
    });
}

/** 1..`max` single-bit flips anywhere. */
export function arbBitFlips(packets: fc.Arbitrary<Uint8Array>, max = 8): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(packets, fc.array(u32, { minLength: 1, maxLength: max }))
    .map(([p, bits]) => mutatePacket(p, bits.map((a) => ({ op: 'flip' as const, a, b: 0 }))));
}

/** A packet whose IPv4 or TCP option lengths lie (checksums recomputed so the lie is what gets parsed). */
export function arbOptionLengthLies(packets: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(packets, fc.array(fc.tuple(u32, fc.integer({ min: 0, max: 0xff })), { minLength: 1, maxLength: 3 }))
    .map(([p, lies]) =>
      mutatePacket(p, [...lies.map(([a, b]) => ({ op: 'optlen' as const, a, b })), { op: 'fixsum', a: 0, b: 0 }]),
    );
}

/** A TCP segment (inside IPv4) whose option list holds one lying option among honest ones. */
export function arbTcpWithLyingOption(src: number, dst: number): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(arbTcpCraft(), arbTcpOptions, arbLyingTcpOption, fc.nat())
    .map(([spec, honest, lie, at]) => {
      const list: TcpOptionCraft[] = [...honest];
      list.splice(at % (list.length + 1), 0, lie);
      return build(ipv4({ src, dst }, tcp({ ...spec, options: fitTcpOptions(list) })));
    });
}

/**
 * A datagram cut into fragments that overlap (some carrying different bytes
 * in the overlap), with duplicates, in any order: the teardrop family
 * (RFC 1858 §4, RFC 5722). `datagrams` must yield IPv4 datagrams whose
 * payload is at least 16 bytes.
 */
export function arbOverlappingFragments(datagrams: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array[]> {
  const payloadOf = (d: Uint8Array): number => Math.max(0, Math.min(d.length, (d[2]! << 8) | d[3]!) - ((d[0]! & 0x0f) << 2));
  return datagrams
    .filter((d) => d.length >= 20 && d[0]! >>> 4 === 4 && payloadOf(d) >= 16)
    .chain((d) => {
      const payloadLength = payloadOf(d);
      return fc.record({
        datagram: fc.constant(d),
        // At most payload - 8, so that the honest cut has at least two pieces (each a real fragment).
        size: fc.integer({ min: 8, max: Math.max(8, payloadLength - 8) }),
        overlaps: fc.array(
          fc.record({
            at: fc.nat(),
            back: fc.integer({ min: 1, max: 4 }),
            len: fc.integer({ min: 1, max: 64 }),
            fill: fc.option(fc.integer({ min: 0, max: 0xff }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        order: fc.array(fc.nat(), { maxLength: 8 }),
        payloadLength: fc.constant(payloadLength),
      });
    })
    .map(({ datagram, size, overlaps, order, payloadLength }) => {
      const pieces: FragmentPiece[] = evenPieces(payloadLength, size);
      for (const o of overlaps) {
        // Start a few 8-byte units before an honest boundary, so the piece overlaps its neighbour.
        const base = pieces[o.at % pieces.length]!.offset;
        const offset = Math.max(0, base - 8 * o.back);
        const piece: FragmentPiece = { offset, length: o.len, more: true };
        if (o.fill !== undefined) piece.data = new Uint8Array(o.len).fill(o.fill);
        pieces.push(piece);
      }
      const frags = fragmentIpv4(datagram, pieces);
      // A deterministic shuffle driven by `order` (shrinks towards the honest order).
      for (let i = 0; i < order.length; i++) {
        const a = order[i]! % frags.length;
        const b = (i * 7 + 3) % frags.length;
        const t = frags[a]!;
        frags[a] = frags[b]!;
        frags[b] = t;
      }
      return frags;
    });
}
