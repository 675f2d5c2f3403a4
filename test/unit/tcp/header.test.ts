import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import {
  ACK, AE, buildTcp, FIN, formatTcpFlags, parseTcp, PSH, RST, SYN, tcpChecksumValid,
} from '../../../src/tcp/header.js';
import {
  decodeTcpOptionList, emptyOptionPlan, encodeTcpOptionList, linuxOptionsLength, parseTcpOptions, writeLinuxOptions,
} from '../../../src/tcp/options.js';

const A = parseIPv4('192.0.2.1')!;
const B = parseIPv4('192.0.2.2')!;

// Both vectors were computed independently with a short python3 script
// (struct.pack + RFC 1071 sum over the pseudo-header).
const SYN_HEX = '9c401f900102030400000000a002faf008d10000020405b40402080a000000640000000001030307';
const DATA_HEX = '1f909c40fffffffe01020305801801f6847000000101080afffffff01234567868656c6c6f';

function plan(p: Partial<ReturnType<typeof emptyOptionPlan>>): Uint8Array {
  const full = { ...emptyOptionPlan(), ...p };
  const b = new Uint8Array(linuxOptionsLength(full));
  expect(writeLinuxOptions(b, 0, full)).toBe(b.length);
  return b;
}

describe('TCP header codec', () => {
  it('parses a Linux-style SYN: fields, flags, option view', () => {
    const bytes = fromHex(SYN_HEX);
    const r = parseTcp(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      srcPort: 40000, dstPort: 8080, seq: 0x01020304, ack: 0, dataOffset: 10, flags: SYN,
      reserved: 0, window: 64240, checksum: 0x08d1, urgent: 0,
    });
    expect(r.value.payload.length).toBe(0);
    expect(r.value.options.buffer).toBe(bytes.buffer);
    expect(tcpChecksumValid(bytes, A, B)).toBe(true);
    expect(tcpChecksumValid(bytes, B, A)).toBe(true); // the sum is symmetric in src/dst
    expect(tcpChecksumValid(bytes, A, parseIPv4('192.0.2.3')!)).toBe(false);
  });

  it('builds the same SYN bytes from a spec with Linux option layout', () => {
    const opts = plan({ mss: 1460, sackPermitted: true, hasTimestamp: true, tsVal: 100, tsEcr: 0, wscale: 7 });
    const b = buildTcp({ srcPort: 40000, dstPort: 8080, seq: 0x01020304, flags: SYN, window: 64240, options: opts }, A, B);
    expect(toHex(b)).toBe(SYN_HEX);
  });

  it('builds and parses a data segment near the sequence wrap, payload as a view', () => {
    const opts = plan({ hasTimestamp: true, tsVal: 0xfffffff0, tsEcr: 0x12345678 });
    const b = buildTcp({
      srcPort: 8080, dstPort: 40000, seq: 0xfffffffe, ack: 0x01020305, flags: ACK | PSH, window: 502,
      options: opts, payload: new TextEncoder().encode('hello'),
    }, B, A);
    expect(toHex(b)).toBe(DATA_HEX);
    const r = parseTcp(b);
    expect(r.ok && new TextDecoder().decode(r.value.payload)).toBe('hello');
    expect(r.ok && r.value.payload.buffer).toBe(b.buffer);
  });

  it('refuses short headers and bad data offsets with a reason', () => {
    const bytes = fromHex(SYN_HEX);
    expect(parseTcp(bytes.subarray(0, 19))).toEqual({ ok: false, reason: 'tcp-truncated' });
    const low = bytes.slice();
    low[12] = 0x40; // data offset 4 words < 5
    expect(parseTcp(low)).toEqual({ ok: false, reason: 'tcp-bad-data-offset' });
    const high = bytes.slice();
    high[12] = 0xf0; // 60 bytes > 40 available
    expect(parseTcp(high)).toEqual({ ok: false, reason: 'tcp-bad-data-offset' });
  });

  it('reads the AE bit and the reserved bits separately', () => {
    const b = buildTcp({ srcPort: 1, dstPort: 2, flags: AE | ACK, reserved: 5 });
    expect(toHex(b.subarray(12, 14))).toBe('5b10');
    const r = parseTcp(b);
    expect(r.ok && r.value.flags).toBe(AE | ACK);
    expect(r.ok && r.value.reserved).toBe(5);
  });

  it('lets a fuzzer override data offset and checksum', () => {
    const b = buildTcp({ srcPort: 1, dstPort: 2, dataOffset: 3, checksum: 0xbeef });
    expect(toHex(b.subarray(12, 18))).toBe('30000000beef');
  });

  it('formats flags as packetdrill does', () => {
    expect(formatTcpFlags(SYN)).toBe('S');
    expect(formatTcpFlags(SYN | ACK)).toBe('S.');
    expect(formatTcpFlags(PSH | ACK)).toBe('P.');
    expect(formatTcpFlags(FIN | ACK)).toBe('F.');
    expect(formatTcpFlags(RST)).toBe('R');
    expect(formatTcpFlags(ACK)).toBe('.');
    expect(formatTcpFlags(0)).toBe('-');
  });
});

describe('TCP options: Linux layouts (conformance §1.8)', () => {
  it('SYN with TS+SACK+WS: mss, sackOK, TS, nop, wscale', () => {
    expect(toHex(plan({ mss: 1460, sackPermitted: true, hasTimestamp: true, tsVal: 1, tsEcr: 2, wscale: 8 })))
      .toBe('020405b4' + '0402080a0000000100000002' + '01030308');
  });
  it('SYN without TS: mss, nop, nop, sackOK, nop, wscale', () => {
    expect(toHex(plan({ mss: 1460, sackPermitted: true, wscale: 8 }))).toBe('020405b4' + '01010402' + '01030308');
  });
  it('SYN with WS only: mss, nop, wscale', () => {
    expect(toHex(plan({ mss: 1000, wscale: 7 }))).toBe('020403e8' + '01030307');
  });
  it('SYN with TS+SACK, no WS: mss, sackOK, TS', () => {
    expect(toHex(plan({ mss: 1460, sackPermitted: true, hasTimestamp: true, tsVal: 0, tsEcr: 0 })))
      .toBe('020405b4' + '0402080a0000000000000000');
  });
  it('SYN with TS, no SACK: mss, nop, nop, TS, nop, wscale', () => {
    expect(toHex(plan({ mss: 1460, hasTimestamp: true, tsVal: 0, tsEcr: 0, wscale: 2 })))
      .toBe('020405b4' + '0101080a0000000000000000' + '01030302');
  });
  it('data: nop, nop, TS then nop, nop, sack blocks', () => {
    const b = plan({ hasTimestamp: true, tsVal: 5, tsEcr: 6, sackCount: 2, sackBlocks: [10, 20, 30, 40, 0, 0, 0, 0] });
    expect(toHex(b)).toBe('0101080a0000000500000006' + '01010512' + '0000000a00000014' + '0000001e00000028');
    const list = decodeTcpOptionList(b);
    expect(list.ok && list.value.map((o) => o.kind)).toEqual(['nop', 'nop', 'ts', 'nop', 'nop', 'sack']);
  });
});

describe('TCP options: parsing', () => {
  it('parses every known kind and keeps unknown ones', () => {
    const b = encodeTcpOptionList([
      { kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'wscale', shift: 14 }, { kind: 'sackOK' },
      { kind: 'ts', val: 7, ecr: 9 }, { kind: 'sack', blocks: [[1, 2], [3, 4]] },
      { kind: 'raw', type: 30, data: new Uint8Array([1, 2]) }, { kind: 'eol' }, { kind: 'mss', value: 5 },
    ]);
    const r = parseTcpOptions(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ mss: 1000, wscale: 14, sackPermitted: true, hasTimestamp: true, tsVal: 7, tsEcr: 9, sackCount: 2 });
    expect(r.value.sackBlocks.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(r.value.ignored?.map((x) => x.kind)).toEqual([30]); // the MSS after EOL is not read
  });

  it('ignores known kinds with a wrong length, as Linux does', () => {
    const r = parseTcpOptions(fromHex('0203ff 0803000000'));
    expect(r.ok && r.value.mss).toBe(-1);
    expect(r.ok && r.value.hasTimestamp).toBe(false);
    expect(r.ok && r.value.ignored?.map((x) => x.kind)).toEqual([2, 8]);
  });

  it('refuses truncated options and zero lengths with a reason', () => {
    expect(parseTcpOptions(fromHex('02'))).toEqual({ ok: false, reason: 'tcp-opt-truncated' });
    expect(parseTcpOptions(fromHex('020405'))).toEqual({ ok: false, reason: 'tcp-opt-truncated' });
    expect(parseTcpOptions(fromHex('0100'))).toEqual({ ok: true, value: expect.anything() });
    expect(parseTcpOptions(fromHex('1e00'))).toEqual({ ok: false, reason: 'tcp-opt-bad-length' });
    expect(parseTcpOptions(fromHex('1e01'))).toEqual({ ok: false, reason: 'tcp-opt-bad-length' });
    expect(decodeTcpOptionList(fromHex('0a'))).toEqual({ ok: false, reason: 'tcp-opt-truncated' });
  });
});
