import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, readU16 } from '../../src/core/bytes.js';
import { PacketBuffer } from '../../src/core/packet-buffer.js';
import {
  buildIcmpv4,
  buildIcmpv4Echo,
  buildIcmpv4Error,
  icmpv4ChecksumValid,
  parseIcmpv4,
  parseIcmpv4Quote,
} from '../../src/icmp/icmpv4-header.js';
import {
  internetChecksum,
  pseudoSumV4,
  pseudoSumV6,
  sumBytes,
  updateChecksum16,
  updateChecksum32,
} from '../../src/ip/checksum.js';
import {
  buildIpv4,
  ipv4HeaderChecksumValid,
  ipv4HeaderLength,
  parseIpv4,
  setIpv4Ttl,
  writeIpv4Header,
} from '../../src/ip/ipv4-header.js';
import { padIpv4Options, walkIpv4Options } from '../../src/ip/ipv4-options.js';
import { buildArp, parseArp } from '../../src/link/arp.js';
import { buildEthernet, ETH_MIN_FRAME_LEN, parseEthernet, writeEthernetHeader } from '../../src/link/ethernet.js';
import { buildUdp, parseUdp, udpChecksumValid } from '../../src/udp/header.js';
import {
  arbArpSpec,
  arbEthernetSpec,
  arbIcmpv4EchoSpec,
  arbIcmpv4Spec,
  arbIpv4Address,
  arbIpv4Spec,
  arbIpv6Address,
  arbPayload,
  arbU16,
  arbU8,
  arbUdpSpec,
} from './arbitraries-l2-l3.js';

const params = { numRuns: 1000, seed: 0x12c3 };

/** Arbitrary bytes, and valid packets with a few random bytes changed: the latter reach deeper checks. */
function arbMangled(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 128 }),
    fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), arbU8), { maxLength: 4 }), fc.nat())
      .map(([b, edits, cut]) => {
        const out = b.slice(0, b.length === 0 ? 0 : b.length - (cut % Math.min(b.length, 8)));
        for (const [at, v] of edits) if (out.length > 0) out[at % out.length] = v;
        return out;
      }),
  );
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >>> 3]! ^= 0x80 >>> (bit & 7);
  return out;
}

function isAllZero(b: Uint8Array): boolean {
  for (const v of b) if (v !== 0) return false;
  return true;
}

describe('Ethernet properties', () => {
  it('build -> parse round-trips every field, and writeEthernetHeader matches buildEthernet', () => {
    fc.assert(
      fc.property(arbEthernetSpec, arbPayload(), (spec, payload) => {
        const frame = buildEthernet(spec, payload);
        const r = parseEthernet(frame);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(bytesEqual(r.value.dst, spec.dst)).toBe(true);
        expect(bytesEqual(r.value.src, spec.src)).toBe(true);
        expect(r.value.vlans).toEqual(spec.vlans);
        expect(r.value.ethertype).toBe(spec.ethertype);
        expect(r.value.headerLength).toBe(14 + 4 * spec.vlans.length);
        expect(bytesEqual(r.value.payload, payload)).toBe(true);

        const pkt = PacketBuffer.alloc(payload.length);
        pkt.buf.set(payload, pkt.start);
        expect(bytesEqual(writeEthernetHeader(pkt, spec), frame)).toBe(true);
      }),
      params,
    );
  });

  it('padding keeps the payload in front and reaches 60 bytes', () => {
    fc.assert(
      fc.property(arbEthernetSpec, arbPayload(), (spec, payload) => {
        const frame = buildEthernet({ ...spec, pad: true }, payload);
        const r = parseEthernet(frame);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(frame.length).toBe(Math.max(ETH_MIN_FRAME_LEN, r.value.headerLength + payload.length));
        expect(bytesEqual(r.value.payload.subarray(0, payload.length), payload)).toBe(true);
        expect(isAllZero(r.value.payload.subarray(payload.length))).toBe(true);
      }),
      params,
    );
  });

  it('parse never throws, and accepted frames are consistent views', () => {
    const valid = fc.tuple(arbEthernetSpec, arbPayload(16)).map(([s, p]) => buildEthernet(s, p));
    fc.assert(
      fc.property(arbMangled(valid), (b) => {
        const r = parseEthernet(b);
        if (!r.ok) {
          expect(['eth-truncated', 'eth-vlan-truncated', 'eth-too-many-vlans']).toContain(r.reason);
          return;
        }
        expect(r.value.headerLength).toBe(14 + 4 * r.value.vlans.length);
        expect(r.value.headerLength + r.value.payload.length).toBe(b.length);
        expect(r.value.ethertype).toBe(readU16(b, r.value.headerLength - 2));
      }),
      params,
    );
  });
});

describe('ARP properties', () => {
  it('build -> parse round-trips every field', () => {
    fc.assert(
      fc.property(arbArpSpec, (spec) => {
        const r = parseArp(buildArp(spec));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.opcode).toBe(spec.opcode);
        expect(bytesEqual(r.value.senderMac, spec.senderMac)).toBe(true);
        expect(r.value.senderIp).toBe(spec.senderIp);
        expect(bytesEqual(r.value.targetMac, spec.targetMac)).toBe(true);
        expect(r.value.targetIp).toBe(spec.targetIp);
      }),
      params,
    );
  });

  it('parse never throws on arbitrary or mangled bytes', () => {
    fc.assert(
      fc.property(arbMangled(arbArpSpec.map(buildArp)), (b) => {
        const r = parseArp(b);
        if (r.ok) expect(b.length).toBeGreaterThanOrEqual(28);
        else expect(r.reason).toMatch(/^arp-(truncated|bad-htype|bad-ptype|bad-hlen|bad-plen)$/);
      }),
      params,
    );
  });
});

describe('IPv4 header properties', () => {
  it('build -> parse round-trips every field; the PacketBuffer path writes the same bytes', () => {
    fc.assert(
      fc.property(arbIpv4Spec, arbPayload(), (spec, payload) => {
        const b = buildIpv4(spec, payload);
        const r = parseIpv4(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const h = r.value;
        const hl = ipv4HeaderLength(spec);
        expect(h).toMatchObject({
          version: 4,
          ihl: hl / 4,
          headerLength: hl,
          tos: spec.tos,
          dscp: spec.tos >>> 2,
          ecn: spec.tos & 3,
          totalLength: hl + payload.length,
          id: spec.id,
          flags: (spec.reservedFlag ? 4 : 0) | (spec.df ? 2 : 0) | (spec.mf ? 1 : 0),
          df: spec.df,
          mf: spec.mf,
          fragmentOffset: spec.fragmentOffset,
          ttl: spec.ttl,
          protocol: spec.protocol,
          src: spec.src,
          dst: spec.dst,
        });
        expect(bytesEqual(h.options, padIpv4Options(spec.options))).toBe(true);
        expect(bytesEqual(h.payload, payload)).toBe(true);
        expect(ipv4HeaderChecksumValid(b)).toBe(true);
        // Generated options are well formed.
        expect(walkIpv4Options(h.options).error).toBeNull();

        const pkt = PacketBuffer.alloc(payload.length);
        pkt.buf.set(payload, pkt.start);
        writeIpv4Header(pkt, spec);
        expect(bytesEqual(pkt.view(), b)).toBe(true);
      }),
      params,
    );
  });

  it('flipping any single header bit breaks verification', () => {
    fc.assert(
      fc.property(arbIpv4Spec, arbPayload(16), (spec, payload) => {
        const b = buildIpv4(spec, payload);
        const hl = ipv4HeaderLength(spec);
        const wrong: string[] = [];
        for (let bit = 0; bit < hl * 8; bit++) {
          const f = flipBit(b, bit);
          // Over the bytes the sender covered, the sum is always off.
          if (internetChecksum(f, 0, hl) === 0) wrong.push(`bit ${bit}: covered sum still 0`);
          // Bits 4..7 of byte 0 are the IHL, which moves the range the
          // receiver sums; all other flips are refused by parse with the
          // checksum check (or the version check, which comes first).
          if (bit >= 4 && bit < 8) continue;
          if (ipv4HeaderChecksumValid(f)) wrong.push(`bit ${bit}: checksum valid`);
          const r = parseIpv4(f);
          const want = bit < 4 ? 'ipv4-bad-version' : 'ipv4-bad-checksum';
          if (r.ok || r.reason !== want) wrong.push(`bit ${bit}: parse gave ${r.ok ? 'ok' : r.reason}`);
        }
        expect(wrong).toEqual([]);
      }),
      params,
    );
  });

  it('setIpv4Ttl (RFC 1624) leaves the same bytes as rebuilding with the new TTL', () => {
    fc.assert(
      fc.property(arbIpv4Spec, arbPayload(8), arbU8, (spec, payload, ttl) => {
        const b = buildIpv4(spec, payload);
        setIpv4Ttl(b, ttl);
        expect(bytesEqual(b, buildIpv4({ ...spec, ttl }, payload))).toBe(true);
      }),
      params,
    );
  });

  it('parse and the options walker never throw, and accepted headers are consistent', () => {
    const valid = fc.tuple(arbIpv4Spec, arbPayload(16)).map(([s, p]) => buildIpv4(s, p));
    fc.assert(
      fc.property(arbMangled(valid), fc.boolean(), (b, verify) => {
        const r = parseIpv4(b, verify);
        if (!r.ok) {
          expect(r.reason).toMatch(
            /^ipv4-(truncated|bad-version|bad-ihl|bad-checksum|truncated-packet|bad-total-length)$/,
          );
          return;
        }
        const h = r.value;
        expect(h.headerLength).toBeGreaterThanOrEqual(20);
        expect(h.totalLength).toBeLessThanOrEqual(b.length);
        expect(h.options.length).toBe(h.headerLength - 20);
        expect(h.payload.length).toBe(h.totalLength - h.headerLength);
        if (verify) expect(ipv4HeaderChecksumValid(b)).toBe(true);
        const w = walkIpv4Options(h.options);
        let end = 0;
        for (const o of w.options) {
          expect(o.offset).toBe(end);
          end += o.length;
        }
        expect(end).toBeLessThanOrEqual(h.options.length);
        if (w.error !== null) {
          expect(w.errorOffset).toBeGreaterThanOrEqual(end);
          expect(w.errorOffset).toBeLessThan(h.options.length);
        }
      }),
      params,
    );
  });

  it('the options walker never throws on arbitrary bytes and always accounts for where it stopped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (b) => {
        const w = walkIpv4Options(b);
        let end = 0;
        for (const o of w.options) {
          expect(o.offset).toBe(end);
          expect(o.data.length).toBe(o.length <= 1 ? 0 : o.length - 2);
          end += o.length;
        }
        expect(end).toBeLessThanOrEqual(b.length);
        if (w.error === null) {
          // Either everything was walked or the walk ended at an EOL.
          const last = w.options[w.options.length - 1];
          expect(end === b.length || last?.type === 0).toBe(true);
        } else {
          expect(w.errorOffset).toBeGreaterThanOrEqual(end);
          expect(w.errorOffset).toBeLessThan(b.length);
        }
      }),
      params,
    );
  });
});

describe('ICMPv4 properties', () => {
  it('build -> parse round-trips type, code, rest and body', () => {
    fc.assert(
      fc.property(arbIcmpv4Spec, (spec) => {
        const b = buildIcmpv4(spec);
        const r = parseIcmpv4(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value).toMatchObject({
          type: spec.type,
          code: spec.code,
          rest: spec.rest,
          identifier: spec.rest >>> 16,
          sequence: spec.rest & 0xffff,
          mtu: spec.rest & 0xffff,
          pointer: spec.rest >>> 24,
          gateway: spec.rest,
        });
        expect(bytesEqual(r.value.body, spec.body)).toBe(true);
      }),
      params,
    );
  });

  it('echo messages round-trip identifier, sequence and data', () => {
    fc.assert(
      fc.property(arbIcmpv4EchoSpec, (spec) => {
        const r = parseIcmpv4(buildIcmpv4Echo(spec));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.type).toBe(spec.reply ? 0 : 8);
        expect(r.value.identifier).toBe(spec.identifier);
        expect(r.value.sequence).toBe(spec.sequence);
        expect(bytesEqual(r.value.body, spec.data)).toBe(true);
      }),
      params,
    );
  });

  it('errors quote the original so that parseIcmpv4Quote recovers its addresses and protocol', () => {
    fc.assert(
      fc.property(arbIpv4Spec, fc.uint8Array({ minLength: 8, maxLength: 600 }), fc.integer({ min: 0, max: 15 }), (ip, data, code) => {
        const original = buildIpv4(ip, data);
        const r = parseIcmpv4(buildIcmpv4Error({ type: 3, code, original }));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.body.length).toBe(Math.min(original.length, 548));
        const q = parseIcmpv4Quote(r.value.body);
        expect(q.ok).toBe(true);
        if (!q.ok) return;
        expect(q.value).toMatchObject({ src: ip.src, dst: ip.dst, protocol: ip.protocol, id: ip.id });
        expect(bytesEqual(q.value.transport, data.subarray(0, q.value.transport.length))).toBe(true);
        expect(q.value.transport.length).toBeGreaterThanOrEqual(8);
      }),
      params,
    );
  });

  it('flipping any single bit of a message breaks verification', () => {
    fc.assert(
      fc.property(arbIcmpv4Spec, (spec) => {
        const b = buildIcmpv4(spec);
        expect(icmpv4ChecksumValid(b)).toBe(true);
        const wrong: number[] = [];
        for (let bit = 0; bit < b.length * 8; bit++) {
          const f = flipBit(b, bit);
          const r = parseIcmpv4(f);
          if (icmpv4ChecksumValid(f) || r.ok || r.reason !== 'icmpv4-bad-checksum') wrong.push(bit);
        }
        expect(wrong).toEqual([]);
      }),
      params,
    );
  });

  it('parse and the quote parser never throw', () => {
    const valid = arbIcmpv4Spec.map(buildIcmpv4);
    fc.assert(
      fc.property(arbMangled(valid), fc.boolean(), (b, verify) => {
        const r = parseIcmpv4(b, verify);
        if (!r.ok) {
          expect(['icmpv4-truncated', 'icmpv4-bad-checksum']).toContain(r.reason);
          return;
        }
        expect(r.value.body.length).toBe(b.length - 8);
        const q = parseIcmpv4Quote(r.value.body);
        if (q.ok) {
          expect(q.value.transport.length).toBeGreaterThanOrEqual(8);
          expect(q.value.headerLength + q.value.transport.length).toBeLessThanOrEqual(r.value.body.length);
        } else {
          expect(q.reason).toMatch(/^icmpv4-quote-(truncated|bad-version|bad-ihl)$/);
        }
      }),
      params,
    );
  });
});

describe('Internet checksum properties (src/ip/checksum.ts)', () => {
  const arbData = fc.uint8Array({ minLength: 2, maxLength: 101 });

  it('RFC 1624 incremental update of one word equals recomputation (odd lengths included)', () => {
    fc.assert(
      fc.property(arbData, fc.nat(), arbU16, (data, pick, newWord) => {
        const before = internetChecksum(data);
        // Word positions include the padded half-word at the end of odd data.
        const word = pick % Math.ceil(data.length / 2);
        const o = word * 2;
        const half = o + 1 >= data.length;
        const oldWord = half ? data[o]! << 8 : readU16(data, o);
        const after = data.slice();
        after[o] = newWord >>> 8;
        if (!half) after[o + 1] = newWord & 0xff;
        const effective = half ? newWord & 0xff00 : newWord;
        const incremental = updateChecksum16(before, oldWord, effective);
        const recomputed = internetChecksum(after);
        if (isAllZero(after)) {
          // The one ambiguity of ones' complement: both are zero (0x0000 / 0xffff),
          // eqn. 3 gives +0 where a fresh sum over nothing but zeros gives -0.
          expect([incremental, recomputed].sort()).toEqual([0, 0xffff]);
        } else {
          expect(incremental).toBe(recomputed);
        }
      }),
      params,
    );
  });

  it('updateChecksum32 equals recomputation for a changed aligned 32-bit value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (data, pick, v) => {
        const o = (pick % Math.floor(data.length / 4)) * 4;
        const before = internetChecksum(data);
        const old = ((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!) >>> 0;
        const after = data.slice();
        after.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], o);
        fc.pre(!isAllZero(after));
        expect(updateChecksum32(before, old, v)).toBe(internetChecksum(after));
      }),
      params,
    );
  });

  it('a checksum written into the data it covers makes the sum over all of it 0', () => {
    fc.assert(
      fc.property(arbData, fc.nat(), (data, pick) => {
        const o = (pick % Math.floor(data.length / 2)) * 2;
        const b = data.slice();
        b[o] = 0;
        b[o + 1] = 0;
        const c = internetChecksum(b);
        b[o] = c >>> 8;
        b[o + 1] = c & 0xff;
        expect(internetChecksum(b)).toBe(0);
      }),
      params,
    );
  });

  it('odd lengths sum as if padded with one zero byte, and even splits add up', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 101 }), fc.nat(), (data, pick) => {
        const padded = concatBytes([data, new Uint8Array(1)]);
        expect(sumBytes(data)).toBe(sumBytes(padded));
        expect(internetChecksum(data)).toBe(internetChecksum(padded));
        const split = (pick % (Math.floor(data.length / 2) + 1)) * 2;
        expect(sumBytes(data, split, data.length, sumBytes(data, 0, split))).toBe(sumBytes(data));
      }),
      params,
    );
  });

  it('pseudo-header sums equal the sums of the pseudo-headers written out as bytes', () => {
    fc.assert(
      fc.property(arbIpv4Address, arbIpv4Address, arbIpv6Address, arbIpv6Address, arbU8, arbU16, (s4, d4, s6, d6, proto, len) => {
        const v4 = Uint8Array.of(
          s4 >>> 24, (s4 >>> 16) & 0xff, (s4 >>> 8) & 0xff, s4 & 0xff,
          d4 >>> 24, (d4 >>> 16) & 0xff, (d4 >>> 8) & 0xff, d4 & 0xff,
          0, proto, len >>> 8, len & 0xff,
        );
        expect(internetChecksum(new Uint8Array(0), 0, 0, pseudoSumV4(s4, d4, proto, len))).toBe(internetChecksum(v4));
        const v6 = concatBytes([s6, d6, Uint8Array.of(0, 0, len >>> 8, len & 0xff, 0, 0, 0, proto)]);
        expect(internetChecksum(new Uint8Array(0), 0, 0, pseudoSumV6(s6, d6, proto, len))).toBe(internetChecksum(v6));
      }),
      params,
    );
  });
});

describe('UDP codec properties (src/udp/header.ts)', () => {
  const arbAddrPair = fc.oneof(
    fc.tuple(arbIpv4Address, arbIpv4Address),
    fc.tuple(arbIpv6Address, arbIpv6Address),
  );

  it('build -> parse round-trips, and the checksum verifies over either family', () => {
    fc.assert(
      fc.property(arbUdpSpec, arbAddrPair, (spec, [src, dst]) => {
        const b = buildUdp(spec, src, dst);
        const r = parseUdp(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.srcPort).toBe(spec.srcPort);
        expect(r.value.dstPort).toBe(spec.dstPort);
        expect(r.value.length).toBe(8 + spec.payload.length);
        expect(r.value.checksum).not.toBe(0); // RFC 768: a computed 0 is sent as 0xffff
        expect(bytesEqual(r.value.payload, spec.payload)).toBe(true);
        expect(udpChecksumValid(b, src, dst)).toBe(true);
      }),
      params,
    );
  });

  it('parse never throws, and accepted datagrams are consistent views', () => {
    const valid = fc.tuple(arbUdpSpec, arbIpv4Address, arbIpv4Address).map(([s, a, d]) => buildUdp(s, a, d));
    fc.assert(
      fc.property(arbMangled(valid), (b) => {
        const r = parseUdp(b);
        if (!r.ok) {
          expect(['udp-truncated', 'udp-bad-length']).toContain(r.reason);
          return;
        }
        expect(r.value.length).toBeLessThanOrEqual(b.length);
        expect(r.value.payload.length).toBe(r.value.length - 8);
      }),
      params,
    );
  });

  it('flipping any single bit of the pseudo-header addresses or the datagram breaks verification', () => {
    fc.assert(
      fc.property(arbUdpSpec, arbAddrPair, (spec, [src, dst]) => {
        const b = buildUdp({ ...spec, payload: spec.payload.subarray(0, 24) }, src, dst);
        const v4 = typeof src === 'number';
        const wrong: string[] = [];
        for (let bit = 0; bit < b.length * 8; bit++) {
          const f = flipBit(b, bit);
          const valid = udpChecksumValid(f, src, dst);
          // RFC 768: over IPv4 a zero checksum field means "not computed"
          // and is accepted; a flip that clears a one-bit checksum makes it so.
          const zeroOverV4 = v4 && readU16(f, 6) === 0;
          if (valid !== zeroOverV4) wrong.push(`datagram bit ${bit}`);
        }
        for (let bit = 0; bit < (v4 ? 32 : 128); bit++) {
          if (typeof src === 'number' && typeof dst === 'number') {
            const m = (1 << bit) >>> 0;
            if (udpChecksumValid(b, (src ^ m) >>> 0, dst)) wrong.push(`src bit ${bit}`);
            if (udpChecksumValid(b, src, (dst ^ m) >>> 0)) wrong.push(`dst bit ${bit}`);
          } else if (typeof src !== 'number' && typeof dst !== 'number') {
            if (udpChecksumValid(b, flipBit(src, bit), dst)) wrong.push(`src bit ${bit}`);
            if (udpChecksumValid(b, src, flipBit(dst, bit))) wrong.push(`dst bit ${bit}`);
          }
        }
        expect(wrong).toEqual([]);
      }),
      params,
    );
  });
});
