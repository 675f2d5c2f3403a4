import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Echo, buildIcmpv4Error } from '../../../src/icmp/icmpv4-header.js';
import type { IcmpReceived } from '../../../src/icmp/raw-endpoints.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { A, B, onesSum, twoHosts, utf8, type Host } from '../udp/fixture.js';

function take(ep: { recv(): IcmpReceived | string | null }): IcmpReceived {
  const r = ep.recv();
  if (r === null || typeof r === 'string') throw new Error(`expected a message, got ${String(r)}`);
  return r;
}

/** An ICMP error from `from` to `h` quoting `original`, injected as if from the wire. */
function injectError(h: Host, from: number, type: number, code: number, original: Uint8Array): void {
  const icmp = buildIcmpv4Error({ type, code, original });
  h.stack.ip.receiveIp(h.iface, buildIpv4({ src: from, dst: A, protocol: 1 }, icmp));
}

describe('raw ICMP endpoints (SOCK_RAW, IPPROTO_ICMP)', () => {
  it('see every inbound echo request and reply with its IPv4 header, not what the stack sends', async () => {
    const { clock, a, b } = twoHosts();
    const rawA = a.raw.open();
    const rawB = b.raw.open();
    const reply = a.stack.ping('192.0.2.2', { identifier: 0x1234, sequence: 9, data: utf8('abc') });
    clock.runUntilIdle();
    await reply;
    const request = a.rec.frames(1)[0]!;
    const answer = b.rec.frames(1)[0]!;

    const seenByB = take(rawB);
    expect(toHex(seenByB.data)).toBe(toHex(request));
    expect(seenByB).toMatchObject({ srcAddress: A, dstAddress: B, ifindex: 1, ttl: 64, tos: 0 });
    expect(rawB.recv()).toBeNull(); // b's own reply is outbound: not seen

    const seenByA = take(rawA);
    expect(toHex(seenByA.data)).toBe(toHex(answer));
    expect(seenByA.data[20]).toBe(0); // echo reply
    expect(rawA.recv()).toBeNull();
  });

  it('ICMP_FILTER drops the filtered types; connect and bind filter by address', async () => {
    const { clock, a, b } = twoHosts();
    const filtered = b.raw.open();
    filtered.icmpFilter = 1 << 8; // no echo requests
    const connected = b.raw.open();
    expect(connected.connect(parseIPv4('192.0.2.9')!)).toBe('ok');
    const boundElsewhere = b.raw.open();
    b.stack.addAddress(b.iface, '192.0.2.3/24');
    expect(boundElsewhere.bind(parseIPv4('192.0.2.3')!)).toBe('ok');
    expect(b.raw.open().bind(parseIPv4('192.0.2.99')!)).toBe('EADDRNOTAVAIL');
    const all = b.raw.open();
    const p = a.stack.ping('192.0.2.2');
    clock.runUntilIdle();
    await p;
    expect(filtered.recv()).toBeNull();
    expect(connected.recv()).toBeNull();
    expect(boundElsewhere.recv()).toBeNull();
    expect(take(all).data[20]).toBe(8);
  });

  it('sends the caller’s ICMP message unchanged behind an IPv4 header, and reads the reply', () => {
    const { clock, a } = twoHosts();
    const raw = a.raw.open();
    const msg = buildIcmpv4Echo({ identifier: 0x4242, sequence: 1, data: utf8('raw!') });
    expect(raw.send(msg)).toBe('EDESTADDRREQ');
    expect(raw.send(msg, B)).toBe('ok');
    clock.runUntilIdle();
    const f = a.rec.frames(1)[0]!;
    // IPv4 header (DF under IP_PMTUDISC_WANT, TTL 64, protocol 1), then the message byte for byte.
    expect(toHex(f.subarray(0, 4))).toBe('45000020'); // 20 + 8 + 4 bytes
    expect(toHex(f.subarray(6, 10))).toBe('40004001');
    expect(toHex(f.subarray(12, 20))).toBe('c0000201c0000202');
    expect(toHex(f.subarray(20))).toBe(toHex(msg));
    expect(a.stack.counters.IcmpOutEchos).toBe(1);
    expect(a.stack.counters.IcmpOutMsgs).toBe(1);
    const r = take(raw);
    expect(toHex(r.data.subarray(20, 21))).toBe('00');
    expect(toHex(r.data.subarray(24))).toBe('42420001' + toHex(utf8('raw!')));
  });

  it('needs SO_BROADCAST for a broadcast destination', () => {
    const { a } = twoHosts();
    const raw = a.raw.open();
    const msg = buildIcmpv4Echo({ identifier: 1, sequence: 1 });
    expect(raw.send(msg, parseIPv4('192.0.2.255')!)).toBe('EACCES');
    raw.setOption('SO_BROADCAST', true);
    expect(raw.send(msg, parseIPv4('192.0.2.255')!)).toBe('ok');
  });
});

describe('ping endpoints (SOCK_DGRAM, IPPROTO_ICMP)', () => {
  it('use the local port as the echo identifier, fill in the checksum, and get their reply', () => {
    const { clock, a } = twoHosts();
    const ep = a.ping.open();
    // The application's identifier and checksum are overwritten by the stack.
    const msg = fromHex('0800ffff0000000768656c6c6f');
    expect(ep.send(msg, B)).toBe('ok');
    const id = ep.identifier;
    expect(id).toBe(ep.localPort);
    expect(id).toBeGreaterThanOrEqual(32768);
    expect(id).toBeLessThanOrEqual(60999);
    clock.runUntilIdle();
    const f = a.rec.frames(1)[0]!;
    const idHex = id.toString(16).padStart(4, '0');
    expect(toHex(f.subarray(20))).toBe('0800' + toHex(f.subarray(22, 24)) + idHex + '0007' + '68656c6c6f');
    expect(onesSum(f.subarray(20))).toBe(0xffff);
    const r = take(ep);
    // What a ping socket reads: the echo reply's ICMP header and data.
    expect(toHex(r.data)).toBe('0000' + toHex(r.data.subarray(2, 4)) + idHex + '0007' + '68656c6c6f');
    expect(r).toMatchObject({ srcAddress: B, dstAddress: A, ttl: 64 });
    expect(a.stack.counters.IcmpOutEchos).toBe(1);
  });

  it('deliver a reply only to the endpoint owning its identifier', () => {
    const { clock, a } = twoHosts();
    const mine = a.ping.open();
    const other = a.ping.open();
    expect(mine.bind(0, 4242)).toBe('ok');
    expect(other.bind(0, 0)).toBe('ok');
    expect(a.ping.open().bind(0, 4242)).toBe('EADDRINUSE');
    expect(a.ping.open().bind(parseIPv4('224.0.0.1')!, 0)).toBe('EADDRNOTAVAIL');
    mine.send(fromHex('080000000000000100'), B);
    clock.runUntilIdle();
    expect(toHex(a.rec.frames(1)[0]!.subarray(24, 26))).toBe('1092'); // 4242
    expect(take(mine).data[0]).toBe(0);
    expect(other.recv()).toBeNull();
  });

  it('refuse what is not an echo request, and need a destination', () => {
    const { a } = twoHosts();
    const ep = a.ping.open();
    expect(ep.send(fromHex('08000000'), B)).toBe('EMSGSIZE');
    expect(ep.send(fromHex('0000000000000001'), B)).toBe('EINVAL');
    expect(ep.send(fromHex('0801000000000001'), B)).toBe('EINVAL');
    expect(ep.send(fromHex('0800000000000001'))).toBe('EDESTADDRREQ');
    expect(ep.send(fromHex('0800000000000001'), parseIPv4('192.0.2.255')!)).toBe('EACCES');
    expect(ep.connect(B)).toBe('ok');
    expect(ep.send(fromHex('0800000000000001'))).toBe('ok');
    ep.close();
    expect(ep.send(fromHex('0800000000000001'))).toBe('EBADF');
  });

  it('get hard ICMP errors about their requests when connected; soft ones are ignored', () => {
    const { clock, a } = twoHosts();
    const ep = a.ping.open();
    ep.connect(parseIPv4('192.0.2.50')!);
    ep.send(fromHex('0800000000000001'));
    clock.runUntilIdle();
    const request = a.rec.frames(1)[0]!;
    const router = parseIPv4('192.0.2.254')!;
    injectError(a, router, 3, 1, request); // host unreachable: soft
    expect(ep.pendingError).toBeNull();
    injectError(a, router, 3, 10, request); // host administratively prohibited: hard
    expect(ep.recv()).toBe('EHOSTUNREACH');
    expect(ep.recv()).toBeNull();
  });
});
