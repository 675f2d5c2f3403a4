import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { Ipv4RouteTable } from '../../../src/ip/route-table.js';

const ip = (s: string): number => parseIPv4(s)!;

describe('IPv4 routing table', () => {
  it('picks the longest matching prefix, then the lowest metric, and falls back to the default', () => {
    const t = new Ipv4RouteTable();
    t.add({ network: 0, prefix: 0, gateway: ip('192.0.2.1'), ifindex: 1, metric: 0 });
    t.add({ network: ip('198.51.100.0'), prefix: 24, gateway: null, ifindex: 2, metric: 10 });
    t.add({ network: ip('198.51.100.0'), prefix: 24, gateway: null, ifindex: 3, metric: 5 });
    t.add({ network: ip('198.51.100.128'), prefix: 25, gateway: ip('198.51.100.1'), ifindex: 2, metric: 0 });
    t.add({ network: ip('198.51.100.200'), prefix: 32, gateway: null, ifindex: 4, metric: 0 });
    expect(t.lookup(ip('198.51.100.7'))?.ifindex).toBe(3);
    expect(t.lookup(ip('198.51.100.129'))?.gateway).toBe(ip('198.51.100.1'));
    expect(t.lookup(ip('198.51.100.200'))?.ifindex).toBe(4);
    expect(t.lookup(ip('203.0.113.9'))?.gateway).toBe(ip('192.0.2.1'));
    expect(t.list().map((r) => r.prefix)).toEqual([32, 25, 24, 24, 0]);
  });

  it('normalises host bits, removes routes, and returns null without a default', () => {
    const t = new Ipv4RouteTable();
    t.add({ network: ip('192.0.2.77'), prefix: 24, gateway: null, ifindex: 1, metric: 0 });
    expect(t.list()[0]!.network).toBe(ip('192.0.2.0'));
    expect(t.lookup(ip('192.0.3.1'))).toBeNull();
    expect(t.remove(ip('192.0.2.0'), 24)).toBe(1);
    expect(t.lookup(ip('192.0.2.1'))).toBeNull();
    expect(() => t.add({ network: 0, prefix: 33, gateway: null, ifindex: 1, metric: 0 })).toThrow(RangeError);
  });

  it('formats routes as ip route does', () => {
    const t = new Ipv4RouteTable();
    t.add({ network: 0, prefix: 0, gateway: ip('192.0.2.1'), ifindex: 1, metric: 0 });
    t.add({ network: ip('192.0.2.0'), prefix: 24, gateway: null, ifindex: 1, metric: 0, src: ip('192.0.2.2') });
    expect(t.list().map((r) => Ipv4RouteTable.format(r, () => 'tun0'))).toEqual([
      '192.0.2.0/24 dev tun0 src 192.0.2.2 metric 0',
      'default via 192.0.2.1 dev tun0 metric 0',
    ]);
  });
});
