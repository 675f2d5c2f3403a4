import { describe, expect, it } from 'vitest';
import { fromHex, readU16, toHex } from '../../../src/core/bytes.js';
import {
  arp,
  build,
  encodeIpv4Options,
  encodeTcpOptions,
  ether,
  evenPieces,
  fragmentIpv4,
  fragmentIpv6,
  icmp,
  icmp6,
  icmpEcho,
  icmpError,
  ipv4,
  ipv6,
  parseTcpFlags,
  raw,
  tcp,
  udp,
  wrongChecksum,
} from '../../../src/craft/index.js';
import { icmpv4ChecksumValid, parseIcmpv4, parseIcmpv4Quote } from '../../../src/icmp/icmpv4-header.js';
import { icmpv6ChecksumValid, parseIcmpv6 } from '../../../src/icmp/icmpv6-header.js';
import { ipv4HeaderChecksumValid, parseIpv4 } from '../../../src/ip/ipv4-header.js';
import { parseIpv6, walkIpv6Extensions } from '../../../src/ip/ipv6-header.js';
import { parseArp } from '../../../src/link/arp.js';
import { parseEthernet } from '../../../src/link/ethernet.js';
import { ACK, FIN, PSH, SYN, URG, parseTcp, tcpChecksumValid } from '../../../src/tcp/header.js';
import { parseUdp, udpChecksumValid } from '../../../src/udp/header.js';

const ME = '192.0.2.2';
const IT = '192.0.2.1';

// Expected bytes below were computed independently with Python's struct module
// and an RFC 1071 checksum written there (not with the codecs under test).
describe('composed builders produce the exact bytes', () => {
  it('ipv4(tcp SYN with options): lengths, data offset, protocol and both checksums derived', () => {
    const syn = build(
      ipv4(
        { src: ME, dst: IT, id: 0x1234, df: true },
        tcp({
          srcPort: 40000, dstPort: 7, seq: 1000, flags: 'S', window: 64240,
          options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 1000, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
        }),
      ),
    );
    expect(toHex(syn)).toBe(
      '4500003c123440004006a484c0000202c00002019c400007000003e800000000a002faf024f40000020405b40402080a000003e80000000001030307',
    );
  });

  it('ipv4(udp) and ipv4(icmp echo)', () => {
    expect(toHex(build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 40100, dstPort: 7 }, new TextEncoder().encode('hi')))))).toBe(
      '4500001e000000004011f6cbc0000202c00002019ca40007000a76c16869',
    );
    expect(toHex(build(ipv4({ src: ME, dst: IT }, icmpEcho({ identifier: 1, sequence: 2 }, new TextEncoder().encode('ping')))))).toBe(
      '45000020000000004001f6d9c0000202c00002010800192c0001000270696e67',
    );
  });

  it('addresses may be numbers or text, with the same result', () => {
    const a = build(ipv4({ src: 0xc0000202, dst: 0xc0000201 }, udp({ srcPort: 1, dstPort: 2 })));
    const b = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2 })));
    expect(toHex(a)).toBe(toHex(b));
  });
});

describe('derived fields can be set wrong on purpose', () => {
  const seg = (over: Partial<Parameters<typeof tcp>[0]>): Uint8Array =>
    build(ipv4({ src: ME, dst: IT }, tcp({ seq: 5, flags: 'PA', ...over, srcPort: 1, dstPort: 7 }, Uint8Array.of(1, 2, 3))));

  it('IPv4 total length, IHL, version and checksum', () => {
    const p = build(ipv4({ src: ME, dst: IT, totalLength: 999, ihl: 7, version: 6, checksum: 0xbeef }, udp({ srcPort: 1, dstPort: 2 })));
    expect(readU16(p, 2)).toBe(999);
    expect(p[0]).toBe(0x67);
    expect(readU16(p, 10)).toBe(0xbeef);
    expect(p.length).toBe(28); // the bytes written do not change
  });

  it("checksum 'bad' is the right checksum with one bit flipped, so exactly that field is wrong", () => {
    const good = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2 }, Uint8Array.of(9))));
    const badIp = build(ipv4({ src: ME, dst: IT, checksum: 'bad' }, udp({ srcPort: 1, dstPort: 2 }, Uint8Array.of(9))));
    expect(ipv4HeaderChecksumValid(good)).toBe(true);
    expect(ipv4HeaderChecksumValid(badIp)).toBe(false);
    expect(readU16(badIp, 10)).toBe(readU16(good, 10) ^ 1);
    expect(toHex(badIp.subarray(20))).toBe(toHex(good.subarray(20)));

    const badUdp = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2, checksum: 'bad' }, Uint8Array.of(9))));
    expect(ipv4HeaderChecksumValid(badUdp)).toBe(true);
    expect(udpChecksumValid(badUdp.subarray(20), 0xc0000202, 0xc0000201)).toBe(false);

    const badTcp = seg({ checksum: 'bad' });
    expect(tcpChecksumValid(badTcp.subarray(20), 0xc0000202, 0xc0000201)).toBe(false);
    expect(tcpChecksumValid(seg({}).subarray(20), 0xc0000202, 0xc0000201)).toBe(true);
  });

  it('wrongChecksum never yields an equivalent value (0 and 0xffff) nor 0', () => {
    expect(wrongChecksum(0xffff)).toBe(0xfffe);
    expect(wrongChecksum(0)).toBe(1);
    expect(wrongChecksum(1)).toBe(2);
    expect(wrongChecksum(0x1234)).toBe(0x1235);
  });

  it('TCP data offset, reserved bits and urgent pointer', () => {
    const p = seg({ dataOffset: 15, reserved: 5, urgent: 0x1234, flags: SYN | FIN | URG });
    expect(p[20 + 12]).toBe((15 << 4) | (5 << 1));
    expect(p[20 + 13]).toBe(SYN | FIN | URG);
    expect(readU16(p, 20 + 18)).toBe(0x1234);
  });

  it('UDP length', () => {
    const p = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2, length: 3 }, Uint8Array.of(1, 2))));
    expect(readU16(p, 24)).toBe(3);
    expect(parseUdp(p.subarray(20)).ok).toBe(false);
  });

  it('IPv6 payload length and next header', () => {
    const p = build(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', payloadLength: 7, nextHeader: 99 }, udp({ srcPort: 1, dstPort: 2 })));
    expect(readU16(p, 4)).toBe(7);
    expect(p[6]).toBe(99);
  });
});

describe('TCP flags and options', () => {
  it('parses flag letters as tcpdump, packetdrill and scapy write them', () => {
    expect(parseTcpFlags('S')).toBe(SYN);
    expect(parseTcpFlags('S.')).toBe(SYN | ACK);
    expect(parseTcpFlags('SA')).toBe(SYN | ACK);
    expect(parseTcpFlags('FPA')).toBe(FIN | PSH | ACK);
    expect(parseTcpFlags('EWN')).toBe(0x40 | 0x80 | 0x100);
    expect(() => parseTcpFlags('X')).toThrow(RangeError);
  });

  it('encodes lying option lengths as told, between honest options', () => {
    const o = encodeTcpOptions([{ kind: 'nop' }, { kind: 'lie', type: 2, length: 1, data: Uint8Array.of(5, 0xb4) }, { kind: 'sackOK' }]);
    expect(toHex(o)).toBe('01020105b40402');
    const p = build(ipv4({ src: ME, dst: IT }, tcp({ srcPort: 1, dstPort: 2, options: o })));
    // 7 option bytes padded to 8 with EOL: data offset 7 words.
    expect(p[32]! >>> 4).toBe(7);
    expect(toHex(p.subarray(40, 48))).toBe('01020105b4040200');
    expect(parseTcp(p.subarray(20)).ok).toBe(true);
  });

  it('IPv4 options: lists (with lying lengths) are encoded and padded with EOL', () => {
    expect(toHex(encodeIpv4Options([{ type: 1 }, { type: 148, data: Uint8Array.of(0, 0) }, { type: 7, length: 2, data: Uint8Array.of(4) }]))).toBe(
      '019404000007' + '0204',
    );
    const p = build(ipv4({ src: ME, dst: IT, options: [{ type: 148, data: Uint8Array.of(0, 0) }, { type: 1 }] }, udp({ srcPort: 1, dstPort: 2 })));
    expect(p[0]).toBe(0x47);
    expect(toHex(p.subarray(20, 28))).toBe('9404000001000000');
    expect(parseIpv4(p).ok).toBe(true);
  });
});

describe('every layer parses back with the codecs', () => {
  it('ether(arp) and ether(ipv4(...)) derive the EtherType', () => {
    const a = build(ether({ dst: Uint8Array.of(1, 2, 3, 4, 5, 6) }, arp({ senderMac: Uint8Array.of(2, 0, 0, 0, 0, 2), senderIp: ME, targetIp: IT })));
    const f = parseEthernet(a);
    expect(f.ok && f.value.ethertype).toBe(0x0806);
    const ap = f.ok ? parseArp(f.value.payload) : null;
    expect(ap?.ok && ap.value.targetIp).toBe(0xc0000201);
    const e = parseEthernet(build(ether({ vlans: [{ vid: 5 }] }, ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2 })))));
    expect(e.ok && e.value.ethertype).toBe(0x0800);
    expect(e.ok && e.value.vlans[0]!.vid).toBe(5);
    expect(() => build(ether({}, Uint8Array.of(1)))).toThrow(RangeError);
  });

  it('icmpError quotes the original datagram (IP header + transport bytes)', () => {
    const original = ipv4({ src: IT, dst: ME }, tcp({ srcPort: 7, dstPort: 40000, seq: 0xdeadbeef, flags: 'PA' }, new Uint8Array(600)));
    const p = build(ipv4({ src: ME, dst: IT }, icmpError({ type: 3, code: 4, mtu: 576 }, original)));
    const h = parseIpv4(p);
    expect(h.ok).toBe(true);
    if (!h.ok) return;
    const m = parseIcmpv4(h.value.payload);
    expect(m.ok && m.value.mtu).toBe(576);
    expect(m.ok && m.value.body.length).toBe(548); // Linux's 576-byte rule
    const q = m.ok ? parseIcmpv4Quote(m.value.body) : null;
    expect(q?.ok && q.value.dst).toBe(0xc0000202);
    expect(icmpv4ChecksumValid(h.value.payload)).toBe(true);
    expect(icmpv4ChecksumValid(build(icmp({ type: 8, checksum: 'bad' })))).toBe(false);
  });

  it('ipv6 with extension headers around icmp6 and tcp; checksums use the IPv6 pseudo-header', () => {
    const src = '2001:db8::2';
    const dst = '2001:db8::1';
    const p = build(ipv6({ src, dst, extensions: [{ kind: 'hbh', options: [{ type: 5, data: Uint8Array.of(0, 0) }] }] }, icmp6({ kind: 'echo-request', identifier: 7, sequence: 9, data: Uint8Array.of(1) })));
    const h = parseIpv6(p);
    expect(h.ok && h.value.nextHeader).toBe(0);
    if (!h.ok) return;
    const w = walkIpv6Extensions(p);
    expect(w.ok && w.value.protocol).toBe(58);
    if (!w.ok) return;
    const upper = p.subarray(w.value.payloadOffset);
    expect(icmpv6ChecksumValid(upper, h.value.src, h.value.dst)).toBe(true);
    const m = parseIcmpv6(upper, h.value.src, h.value.dst);
    expect(m.ok && m.value.fields.kind).toBe('echo-request');
    const t = build(ipv6({ src, dst }, tcp({ srcPort: 1, dstPort: 7, flags: 'S' })));
    const th = parseIpv6(t);
    expect(th.ok && tcpChecksumValid(th.value.payload, th.value.src, th.value.dst)).toBe(true);
  });

  it('raw bytes need a protocol to be wrapped', () => {
    expect(build(ipv4({ src: ME, dst: IT }, raw([1, 2, 3], { protocol: 253 })))[9]).toBe(253);
    expect(() => build(ipv4({ src: ME, dst: IT }, Uint8Array.of(1)))).toThrow(RangeError);
    expect(build(ipv4({ src: ME, dst: IT, protocol: 99 }, Uint8Array.of(1)))[9]).toBe(99);
  });
});

describe('fragments', () => {
  const datagram = ipv4({ src: ME, dst: IT, id: 0x4242 }, udp({ srcPort: 1, dstPort: 2 }, new Uint8Array(40).map((_, i) => i)));

  it('honest IPv4 fragments: MF on all but the last, offsets in 8-byte units, header checksum rewritten', () => {
    const frags = fragmentIpv4(datagram, evenPieces(48, 16));
    expect(frags.map((f) => f.length)).toEqual([36, 36, 36]);
    const flags = frags.map((f) => readU16(f, 6));
    expect(flags).toEqual([0x2000, 0x2002, 0x0004]);
    for (const f of frags) expect(ipv4HeaderChecksumValid(f)).toBe(true);
    expect(toHex(frags[1]!.subarray(20))).toBe(toHex(build(datagram).subarray(36, 52)));
  });

  it('overlapping pieces can carry different bytes', () => {
    const [a, b] = fragmentIpv4(datagram, [{ offset: 0, length: 24 }, { offset: 16, length: 32, data: new Uint8Array(32).fill(0xee) }]);
    expect(readU16(a!, 6)).toBe(0x2000);
    expect(readU16(b!, 6)).toBe(0x0002);
    expect(b![20]).toBe(0xee);
    expect(() => fragmentIpv4(datagram, [{ offset: 3, length: 8 }])).toThrow(RangeError);
  });

  it('IPv6 fragments carry a Fragment header with the original next header', () => {
    const p6 = ipv6({ src: '2001:db8::2', dst: '2001:db8::1' }, udp({ srcPort: 1, dstPort: 2 }, new Uint8Array(100)));
    const frags = fragmentIpv6(p6, evenPieces(108, 64), 0xabcd);
    expect(frags.length).toBe(2);
    expect(frags[0]![6]).toBe(44);
    expect(frags[0]![40]).toBe(17);
    expect(readU16(frags[0]!, 42)).toBe(1); // offset 0, M
    expect(readU16(frags[1]!, 42)).toBe(64); // offset 64, last
    expect(toHex(frags[1]!.subarray(44, 48))).toBe('0000abcd');
    expect(readU16(frags[1]!, 4)).toBe(8 + 44);
  });
});

describe('hex helpers used above', () => {
  it('round-trip', () => expect(toHex(fromHex('00ff10'))).toBe('00ff10'));
});
