import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { internetChecksum } from '../../../src/ip/checksum.js';
import { buildTcpPacket, encodeScriptOptions, IDENTITY_MAPPING, scriptFlagBits } from '../../../src/packetdrill/packet-builder.js';
import {
  aggregate, checkFragment, parseLivePacket, toScriptSpace, verifyOutbound, type OutboundExpectation,
} from '../../../src/packetdrill/packet-matcher.js';
import { ACK, CWR, PSH, tcpChecksumValid } from '../../../src/tcp/header.js';

const A = parseIPv4('192.0.2.2')!;
const B = parseIPv4('192.0.2.1')!;

function seg(seq: number, len: number, flags = ACK, opts: Uint8Array = new Uint8Array(0), window = 251): Uint8Array {
  return buildTcpPacket(
    { family: 4, src: A, dst: B, tos: 0, ttl: 64, flowLabel: 0 },
    { srcPort: 8080, dstPort: 40000, seq, ack: 1000, flags, window, urgent: 0, options: opts, payloadLen: len },
  );
}

function expectation(over: Partial<OutboundExpectation> = {}): OutboundExpectation {
  return { family: 4, flags: ACK | PSH, ace: false, seq: 1, ack: 1, window: null, urgent: 0, options: new Uint8Array(0), payloadLen: 100, ip: null, ...over };
}

describe('script options on the wire', () => {
  it('encodes options in the order written, SACK blocks shifted and TS ecr mapped', () => {
    const r = encodeScriptOptions(
      [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1001, 2001]] }, { kind: 'ts', val: 7, ecr: 100 }],
      { sackOffset: 0x10, tsEcr: (e) => (e === 100 ? 0xaabbccdd : null) },
    );
    expect(r).toEqual({
      ok: true,
      bytes: Uint8Array.from([1, 1, 5, 10, 0, 0, 0x03, 0xf9, 0, 0, 0x07, 0xe1, 8, 10, 0, 0, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd]),
    });
    expect(encodeScriptOptions([{ kind: 'ts', val: 1, ecr: 5 }], { sackOffset: 0, tsEcr: () => null })).toMatchObject({ ok: false });
    expect(encodeScriptOptions([{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 8 }], IDENTITY_MAPPING)).toEqual({
      ok: true, bytes: Uint8Array.from([2, 4, 0x05, 0xb4, 3, 3, 8]),
    });
  });

  it('builds datagrams with valid checksums and AccECN digits as AE/CWR/ECE', () => {
    const b = seg(5, 10, ACK, Uint8Array.from([1, 1, 1]));
    expect(internetChecksum(b, 0, 20)).toBe(0);
    expect(tcpChecksumValid(b.subarray(20), A, B)).toBe(true);
    expect(b[32]! >>> 4).toBe(6); // 20 + 3 option bytes padded to 4
    expect(b.length).toBe(20 + 24 + 10);
    const f = { fin: false, syn: false, rst: false, psh: false, ack: true, urg: false, ece: false, cwr: false, ae: false, ace: 5 };
    expect(scriptFlagBits(f)).toBe(ACK | 0x100 | 0x40);
  });
});

describe('outbound checks', () => {
  it('maps live numbers into script space and accepts the expected packet', () => {
    const live = parseLivePacket(seg(1_000_001, 100, ACK | PSH), 0)!;
    const actual = toScriptSpace(live, -1_000_000, -999);
    expect(actual.tcp!.seq).toBe(1);
    expect(actual.tcp!.ack).toBe(1);
    expect(tcpChecksumValid(actual.bytes.subarray(20), A, B)).toBe(true);
    expect(verifyOutbound(expectation(), actual, { tsTickUs: 0, toleranceUs: 4000 }, { script: 0, live: 0 })).toBeNull();
  });

  it('names the first field that differs', () => {
    const actual = toScriptSpace(parseLivePacket(seg(1_000_001, 100, ACK), 0)!, -1_000_000, -999);
    const s = { tsTickUs: 0, toleranceUs: 4000 };
    const flow = { script: 0, live: 0 };
    expect(verifyOutbound(expectation(), actual, s, flow)).toEqual({ field: 'tcp_psh', expected: '1', actual: '0' });
    expect(verifyOutbound(expectation({ flags: ACK, payloadLen: 99 }), actual, s, flow)).toMatchObject({ field: 'ipv4_total_length' });
    expect(verifyOutbound(expectation({ flags: ACK, window: 250 }), actual, s, flow)).toEqual({ field: 'tcp_window', expected: '250', actual: '251' });
    expect(verifyOutbound(expectation({ flags: ACK, options: 'any' }), actual, s, flow)).toBeNull();
    const bad = actual.bytes.slice();
    bad[10] ^= 0xff;
    expect(verifyOutbound(expectation({ flags: ACK }), parseLivePacket(bad, 0)!, s, flow)).toMatchObject({ field: 'ipv4_checksum' });
  });

  it('aggregates equal-sized contiguous segments: headers of the last, seq and CWR of the first', () => {
    const a = parseLivePacket(seg(100, 1000, ACK | CWR), 10)!;
    const b = parseLivePacket(seg(1100, 1000, ACK), 10)!;
    const c = parseLivePacket(seg(2100, 500, ACK | PSH), 12)!;
    expect(checkFragment(a, b, 1000, 2500)).toBeNull();
    expect(checkFragment(b, c, 2000, 2500)).toBeNull();
    const agg = aggregate([a, b, c]);
    expect(agg.tcp!.seq).toBe(100);
    expect(agg.tcp!.flags).toBe(ACK | PSH | CWR);
    expect(agg.tcp!.payload.length).toBe(2500);
    expect(agg.ipLength).toBe(40 + 2500);
    expect(agg.timeUs).toBe(12);
    expect(internetChecksum(agg.bytes, 0, 20)).toBe(0);
    expect(tcpChecksumValid(agg.bytes.subarray(20), A, B)).toBe(true);
  });

  it('refuses to aggregate gaps, unequal middle segments and different windows', () => {
    const a = parseLivePacket(seg(100, 1000), 0)!;
    expect(checkFragment(a, parseLivePacket(seg(1200, 1000), 0)!, 1000, 3000)).toMatchObject({ field: 'aggregate candidate tcp_seq' });
    expect(checkFragment(a, parseLivePacket(seg(1100, 500), 0)!, 1000, 3000)).toMatchObject({ field: 'fragment payload' });
    expect(checkFragment(a, parseLivePacket(seg(1100, 1000, ACK, new Uint8Array(0), 300), 0)!, 1000, 3000)).toMatchObject({
      field: 'aggregate candidate tcp_window',
    });
  });
});
