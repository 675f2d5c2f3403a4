import { describe, expect, it } from 'vitest';
import { PacketBuffer } from '../../../src/core/packet-buffer.js';
import { Ipv4RouteCache, type Route4Entry } from '../../../src/ip/route-cache4.js';
import { stackUnderTest } from '../../helpers/stacks.js';

const ME = 0xc0000202; // 192.0.2.2/24 on the stack under test
const PEER = 0xc0000201; // on-link
const FAR = 0xcb007107; // 203.0.113.7, only through a gateway
const GW = 0xc00002fe; // 192.0.2.254

/** A UDP-sized datagram body for ip.send. */
const body = (): PacketBuffer => {
  const p = PacketBuffer.alloc(8);
  p.buf.fill(0, p.start, p.end);
  return p;
};

describe('IPv4 route cache (answers equal a fresh lookup)', () => {
  it('routes on-link, and reuses one result while nothing changes', () => {
    const { stack } = stackUnderTest();
    const r1 = stack.ip.route(PEER);
    expect(r1).toEqual({ family: 4, src: ME, dst: PEER, nextHop: PEER, ifindex: 1, mtu: 1500 });
    expect(stack.ip.route(PEER)).toBe(r1);
    // A different asked-for source is a different entry.
    expect(stack.ip.route(PEER, 0x0a000001)).toEqual({ family: 4, src: 0x0a000001, dst: PEER, nextHop: PEER, ifindex: 1, mtu: 1500 });
  });

  it('sees a route added later (the table version empties the cache)', () => {
    const { stack } = stackUnderTest();
    expect(stack.ip.route(FAR)).toBeNull();
    stack.addRoute('0.0.0.0/0', { via: '192.0.2.254' });
    expect(stack.ip.route(FAR)).toEqual({ family: 4, src: ME, dst: FAR, nextHop: GW, ifindex: 1, mtu: 1500 });
    // A more specific route through another gateway wins at once.
    stack.addRoute('203.0.113.0/24', { via: '192.0.2.253' });
    expect(stack.ip.route(FAR)?.nextHop).toBe(0xc00002fd);
    expect(stack.ip.routes4.remove(0xcb007100, 24)).toBe(1);
    expect(stack.ip.route(FAR)?.nextHop).toBe(GW);
  });

  it('sees an address added later (interface address versions empty the cache)', () => {
    const { stack, iface } = stackUnderTest();
    const other = 0xc6336401; // 198.51.100.1
    expect(stack.ip.route(other)).toBeNull();
    stack.ip.addIpv4Address(iface, 0xc6336402, 24);
    expect(stack.ip.route(other)).toEqual({ family: 4, src: 0xc6336402, dst: other, nextHop: other, ifindex: 1, mtu: 1500 });
    // Now a local destination: looped back, MTU 65535 (Linux's `local` table).
    expect(stack.ip.route(0xc6336402)).toEqual({ family: 4, src: 0xc6336402, dst: 0xc6336402, nextHop: 0xc6336402, ifindex: 1, mtu: 65535 });
  });

  it('checks the interface up flag on every use; local destinations ignore it, as before', () => {
    const { stack, iface } = stackUnderTest();
    expect(stack.ip.route(PEER)).not.toBeNull();
    iface.up = false;
    expect(stack.ip.route(PEER)).toBeNull();
    expect(stack.ip.send({ dst: PEER, protocol: 17 }, body())).toBe('ENETUNREACH');
    expect(stack.counters.IpOutNoRoutes).toBe(1);
    expect(stack.ip.route(ME)?.mtu).toBe(65535);
    iface.up = true;
    expect(stack.ip.route(PEER)?.nextHop).toBe(PEER);
  });

  it('reads the interface MTU and the learned path MTU on every use (RFC 1191)', () => {
    const { stack, iface } = stackUnderTest();
    const first = stack.ip.route(PEER);
    expect(first?.mtu).toBe(1500);
    iface.mtu = 1400;
    expect(stack.ip.route(PEER)?.mtu).toBe(1400);
    expect(stack.ip.updatePathMtu(PEER, 1280)).toBe(1280);
    expect(stack.ip.route(PEER)?.mtu).toBe(1280);
  });

  it('sends with the cached route: same header as a fresh lookup, IDs still advancing', () => {
    const { stack, out, clock } = stackUnderTest();
    expect(stack.ip.send({ dst: PEER, protocol: 17, ttl: 7, tos: 0x10, dontFragment: true }, body())).toBe('ok');
    expect(stack.ip.send({ dst: PEER, protocol: 17 }, body())).toBe('ok');
    clock.advance(10);
    expect(out).toHaveLength(2);
    const [a, b] = out as [Uint8Array, Uint8Array];
    // 45 10 001c id 4000 07 11 csum c0000202 c0000201
    expect(a[1]).toBe(0x10);
    expect((a[6]! << 8) | a[7]!).toBe(0x4000);
    expect(a[8]).toBe(7);
    expect(a[9]).toBe(17);
    expect(b[1]).toBe(0);
    expect((b[6]! << 8) | b[7]!).toBe(0);
    expect(b[8]).toBe(64);
    expect(((b[4]! << 8) | b[5]!) - ((a[4]! << 8) | a[5]!)).toBe(1);
    for (const p of out) {
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      expect(sum).toBe(0xffff); // the header checksum verifies (RFC 1071)
    }
  });
});

describe('Ipv4RouteCache', () => {
  const entry = (dst: number, srcKey: number): Route4Entry => ({
    dst, srcKey, gen: 0, iface: null as never, src: 1, nextHop: dst, local: false, broadcast: false, result: null,
  });

  it('forgets everything when either version moves', () => {
    const c = new Ipv4RouteCache();
    c.sync(0, 1);
    const e = entry(PEER, -1);
    c.put(e);
    expect(c.get(PEER, -1)).toBe(e);
    expect(c.get(PEER, ME)).toBeUndefined();
    c.sync(0, 1);
    expect(c.get(PEER, -1)).toBe(e);
    c.sync(1, 1);
    expect(c.get(PEER, -1)).toBeUndefined();
    c.put(e);
    c.sync(1, 2);
    expect(c.get(PEER, -1)).toBeUndefined();
  });
});
