import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbAlmostValid,
  arbBitFlips,
  arbChecksumWrong,
  arbEtherLayer,
  arbIpPacket,
  arbIpv4Layer,
  arbIpv6Layer,
  arbLyingTcpOption,
  arbOneFieldOff,
  arbOptionLengthLies,
  arbOverlappingFragments,
  arbTcpCraft,
  arbTcpWithLyingOption,
  arbTruncated,
  build,
  dissect,
  emptyDissection,
  encodeTcpOptions,
  ipv4,
  tcp,
  type TcpOptionCraft,
} from '../../src/craft/index.js';
import { icmpv4ChecksumValid } from '../../src/icmp/icmpv4-header.js';
import { icmpv6ChecksumValid } from '../../src/icmp/icmpv6-header.js';
import { ipv4HeaderChecksumValid, parseIpv4 } from '../../src/ip/ipv4-header.js';
import { parseIpv6, walkIpv6Extensions } from '../../src/ip/ipv6-header.js';
import { parseEthernet } from '../../src/link/ethernet.js';
import { parseTcp, tcpChecksumValid } from '../../src/tcp/header.js';
import { decodeTcpOptionList, parseTcpOptions } from '../../src/tcp/options.js';
import { udpChecksumValid } from '../../src/udp/header.js';
import { SelfTarget } from '../../src/fuzz/self-target.js';

const RUNS = { numRuns: 1000, seed: 424242 };
const ME = 0xc0000202;
const IT = 0xc0000201;

/** True when the transport checksum of an IP packet verifies (TCP, UDP, ICMP, ICMPv6). */
function transportChecksumOk(p: Uint8Array): boolean {
  if (p[0]! >>> 4 === 4) {
    const h = parseIpv4(p);
    if (!h.ok) return false;
    const t = h.value.payload;
    if (h.value.protocol === 6) return tcpChecksumValid(t, h.value.src, h.value.dst);
    if (h.value.protocol === 17) return udpChecksumValid(t, h.value.src, h.value.dst);
    return icmpv4ChecksumValid(t);
  }
  const h = parseIpv6(p);
  if (!h.ok) return false;
  const w = walkIpv6Extensions(p, p[6], 40, 40 + h.value.payloadLength);
  if (!w.ok) return false;
  const t = p.subarray(w.value.payloadOffset, 40 + h.value.payloadLength);
  if (w.value.protocol === 6) return tcpChecksumValid(t, h.value.src, h.value.dst);
  if (w.value.protocol === 17) return udpChecksumValid(t, h.value.src, h.value.dst);
  return icmpv6ChecksumValid(t, h.value.src, h.value.dst);
}

describe('valid arbitraries build what the codecs accept', () => {
  it('IPv4 datagrams parse with a valid header checksum, exact total length and a valid transport checksum', () => {
    fc.assert(
      fc.property(arbIpv4Layer().map(build), (p) => {
        const h = parseIpv4(p);
        return h.ok && h.value.totalLength === p.length && ipv4HeaderChecksumValid(p) && transportChecksumOk(p);
      }),
      RUNS,
    );
  });

  it('IPv6 packets walk their extension chain to a transport whose checksum verifies', () => {
    fc.assert(
      fc.property(arbIpv6Layer().map(build), (p) => {
        const h = parseIpv6(p);
        return h.ok && h.value.payloadLength === p.length - 40 && transportChecksumOk(p);
      }),
      RUNS,
    );
  });

  it('Ethernet frames parse and carry the EtherType of what is inside', () => {
    fc.assert(
      fc.property(arbEtherLayer().map(build), (f) => {
        const e = parseEthernet(f);
        if (!e.ok) return false;
        const v = e.value.payload[0]! >>> 4;
        return e.value.ethertype === 0x0806 || (e.value.ethertype === 0x0800 && v === 4) || (e.value.ethertype === 0x86dd && v === 6);
      }),
      RUNS,
    );
  });

  it('TCP crafts round-trip field by field, options included', () => {
    fc.assert(
      fc.property(arbTcpCraft(), fc.uint8Array({ maxLength: 32 }), (spec, payload) => {
        const p = build(ipv4({ src: ME, dst: IT }, tcp(spec, payload)));
        const s = parseTcp(p.subarray(20));
        if (!s.ok) return false;
        const v = s.value;
        const opts = decodeTcpOptionList(v.options);
        const sent = decodeTcpOptionList(encodeTcpOptions(spec.options as readonly TcpOptionCraft[]));
        return (
          v.srcPort === spec.srcPort && v.dstPort === spec.dstPort && v.seq === spec.seq && v.ack === spec.ack &&
          v.flags === spec.flags && v.window === spec.window && v.urgent === spec.urgent && v.payload.length === payload.length &&
          opts.ok && sent.ok &&
          JSON.stringify(opts.value.filter((o) => o.kind !== 'eol')) === JSON.stringify(sent.value) &&
          tcpChecksumValid(p.subarray(20), ME, IT)
        );
      }),
      RUNS,
    );
  });
});

describe('almost-valid arbitraries are wrong in the way they say', () => {
  const v4 = arbIpv4Layer().map(build);
  const nonChecksumDiffs = (a: Uint8Array, b: Uint8Array): number => {
    const d = dissect(a, a.length, emptyDissection());
    let n = 0;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (i === 10 || i === 11 || i === d.l4ChecksumOffset || i === d.l4ChecksumOffset + 1) continue;
      if (a[i] !== b[i]) n++;
    }
    return n;
  };

  it('a wrong checksum: exactly one of IPv4-header / transport checksum fails, the bytes are otherwise the same', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 1 }), (p, which) => {
        const m = arbChecksumWrongOnce(p, which);
        const ipOk = ipv4HeaderChecksumValid(m);
        const l4Ok = transportChecksumOkIgnoringHeader(m);
        return nonChecksumDiffs(p, m) === 0 && (which === 0 ? !ipOk && l4Ok : ipOk && !l4Ok);
      }),
      RUNS,
    );
  });

  it('one field off changes at most one field (4 bytes) besides the checksums', () => {
    fc.assert(
      fc.property(fc.tuple(v4, v4).chain(([p]) => fc.tuple(fc.constant(p), arbOneFieldOff(fc.constant(p)))), ([p, m]) => {
        return m.length === p.length && nonChecksumDiffs(p, m) <= 4;
      }),
      RUNS,
    );
  });

  it('truncated packets are shorter, and the IPv4 parser refuses them or sees a shorter datagram', () => {
    fc.assert(
      fc.property(v4.chain((p) => fc.tuple(fc.constant(p), arbTruncated(fc.constant(p)))), ([p, t]) => {
        const h = parseIpv4(t);
        return t.length < p.length && (!h.ok || h.value.totalLength < p.length);
      }),
      RUNS,
    );
  });

  it('bit flips change between 1 and 8 bits', () => {
    fc.assert(
      fc.property(v4.chain((p) => fc.tuple(fc.constant(p), arbBitFlips(fc.constant(p)))), ([p, m]) => {
        let bits = 0;
        for (let i = 0; i < p.length; i++) for (let x = p[i]! ^ m[i]!; x !== 0; x &= x - 1) bits++;
        return m.length === p.length && bits <= 8;
      }),
      RUNS,
    );
  });

  it('lying TCP options: the segment still parses, the option list does not (or skips the liar)', () => {
    fc.assert(
      fc.property(arbTcpWithLyingOption(ME, IT), (p) => {
        const s = parseTcp(p.subarray(20));
        if (!s.ok || !tcpChecksumValid(p.subarray(20), ME, IT)) return false;
        // Linux skips a known kind of the wrong size; a length that breaks the walk is refused with a reason.
        const r = parseTcpOptions(s.value.options);
        return r.ok || r.reason === 'tcp-opt-truncated' || r.reason === 'tcp-opt-bad-length';
      }),
      RUNS,
    );
    fc.assert(fc.property(arbLyingTcpOption, (o) => o.kind === 'lie' && o.length !== 2 + (o.data?.length ?? 0)), RUNS);
  });

  it('option-length lies keep the header checksum right', () => {
    fc.assert(fc.property(arbOptionLengthLies(v4), (m) => m.length < 20 || ipv4HeaderChecksumValid(m) || (m[0]! & 0x0f) < 5), RUNS);
  });

  it('overlapping fragments are well-formed IPv4 fragments of one datagram', () => {
    const datagrams = arbIpv4Layer({ transports: ['udp'], maxPayload: 200 }).map(build);
    fc.assert(
      fc.property(arbOverlappingFragments(datagrams), (frags) => {
        const ids = new Set<number>();
        for (const f of frags) {
          const h = parseIpv4(f);
          if (!h.ok || !(h.value.mf || h.value.fragmentOffset > 0)) return false;
          ids.add(h.value.id);
        }
        return ids.size === 1 && frags.length >= 2;
      }),
      { numRuns: 1000, seed: 99 },
    );
  });
});

function arbChecksumWrongOnce(p: Uint8Array, which: number): Uint8Array {
  return fc.sample(arbChecksumWrong(fc.constant(p)).filter((m) => (which === 0 ? !ipv4HeaderChecksumValid(m) : ipv4HeaderChecksumValid(m))), { numRuns: 1, seed: which })[0]!;
}

function transportChecksumOkIgnoringHeader(p: Uint8Array): boolean {
  const q = p.slice();
  const h = parseIpv4(q, false);
  if (!h.ok) return false;
  const t = h.value.payload;
  if (h.value.protocol === 6) return tcpChecksumValid(t, h.value.src, h.value.dst);
  if (h.value.protocol === 17) return udpChecksumValid(t, h.value.src, h.value.dst);
  return icmpv4ChecksumValid(t);
}

describe('a fresh stack under short almost-valid sequences (fast-check shrinks any failure)', () => {
  it('never throws, and its counters and memory stay consistent', () => {
    const packets = arbIpPacket({
      src4: fc.constantFrom(ME, ME, 0xc0000203, 0),
      dst4: fc.constantFrom(IT, IT, IT, 0xc00002ff),
      dstPort: fc.constantFrom(7, 7, 9, 80),
    });
    const seqs = fc.array(fc.oneof(packets, arbAlmostValid(packets), arbOverlappingFragments(arbIpv4Layer({ src4: fc.constant(ME), dst4: fc.constant(IT), transports: ['udp'] }).map(build)).map((f) => f[0]!)), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(seqs, fc.integer({ min: 0, max: 2_000_000 }), (seq, gapUs) => {
        const t = new SelfTarget({ seed: 5 });
        try {
          for (const p of seq) {
            t.inject(p.slice());
            t.advance(gapUs % 50_000);
          }
          t.advance(gapUs);
          const problem = t.checkInternals(seq.length);
          expect(problem).toBeNull();
        } finally {
          void t.close();
        }
      }),
      { numRuns: 1000, seed: 777 },
    );
  });
});
