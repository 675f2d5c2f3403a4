import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import type { Ipv6InterfaceOptions } from '../../../src/ip/addrconf.js';
import { key6 } from '../../../src/ip/ipv6-address.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { eth6, h6, ip6hdr, LL_A, MAC_A, Recorder, withIcmp6Checksum } from './helpers.js';

/**
 * Router and prefix discovery (RFC 4861 §6.3) and stateless address
 * autoconfiguration (RFC 4862 §5.5) on an Ethernet link, with a router
 * fe80::1 at 02:00:00:00:00:fe played by the test.
 */
const ROUTER = h6('fe80::1');
const ROUTER_MAC = '0200000000fe';
/** RS from fe80::ff:fe00:1 to ff02::2 with SLLA 02:00:00:00:00:01 (python3: checksum 0x7b2c). */
const RS = eth6('333300000002', MAC_A) + ip6hdr({ plen: 16, nh: 58, hop: 255, src: LL_A, dst: h6('ff02::2') }) +
  '85007b2c000000000101' + MAC_A;

interface RaSpec {
  hopLimit?: number;
  lifetime?: number;
  reachable?: number;
  retrans?: number;
  curHop?: number;
  src?: string;
  code?: number;
  options?: string[];
}

function ra(o: RaSpec = {}): string {
  const src = o.src ?? ROUTER;
  const dst = h6('ff02::1');
  const body =
    '86' + (o.code ?? 0).toString(16).padStart(2, '0') + '0000' +
    (o.curHop ?? 0).toString(16).padStart(2, '0') + '00' + (o.lifetime ?? 1800).toString(16).padStart(4, '0') +
    (o.reachable ?? 0).toString(16).padStart(8, '0') + (o.retrans ?? 0).toString(16).padStart(8, '0') +
    (o.options ?? []).join('');
  const msg = withIcmp6Checksum(src, dst, body);
  return eth6('333300000001', ROUTER_MAC) + ip6hdr({ plen: msg.length / 2, nh: 58, hop: o.hopLimit ?? 255, src, dst }) + msg;
}

const SLLA = '0101' + ROUTER_MAC;
function mtuOpt(mtu: number): string {
  return '05010000' + mtu.toString(16).padStart(8, '0');
}
function pio(prefix: string, len: number, flags: number, valid: number, preferred: number): string {
  return '0304' + len.toString(16).padStart(2, '0') + flags.toString(16).padStart(2, '0') +
    valid.toString(16).padStart(8, '0') + preferred.toString(16).padStart(8, '0') + '00000000' + h6(prefix);
}
const L = 0x80;
const A = 0x40;

function host(config: Ipv6InterfaceOptions = {}, linkType: 'ethernet' | 'ip' = 'ethernet', seed = 5) {
  const clock = new VirtualClock();
  const [mine, theirs] = createMemoryPair(clock, { linkType });
  theirs.setReceiver(() => undefined);
  const rec = new Recorder(mine, clock);
  const s = new Stack({ clock, seed, id: 's' });
  const iface = s.addInterface(rec, { ipv6: [], ipv6Config: config });
  const inject = (hex: string): void => s.ip.receiveFrame(iface, fromHex(linkType === 'ip' ? hex.slice(28) : hex));
  return { clock, s, iface, rec, inject };
}

/** A host whose link-local address has finished DAD. */
function readyHost(config: Ipv6InterfaceOptions = {}) {
  const h = host(config);
  h.clock.runUntil(() => h.iface.ipv6[0]!.state === 'preferred');
  return h;
}

describe('router solicitation (RFC 4861 §6.3.7)', () => {
  it('sends three solicitations 4 s apart from the link-local address once it is valid, then stops', () => {
    const { clock, iface, rec } = host();
    clock.runUntil(() => iface.ipv6[0]!.state === 'preferred');
    const valid = clock.now();
    clock.runUntilIdle();
    const rs = rec.sent.filter((x) => x.frame === RS).map((x) => x.t);
    expect(rs).toHaveLength(3);
    expect(rs[0]! - valid).toBeGreaterThanOrEqual(0);
    expect(rs[0]! - valid).toBeLessThan(1_000_000);
    expect([rs[1]! - rs[0]!, rs[2]! - rs[1]!]).toEqual([4_000_000, 4_000_000]);
  });

  it('stops soliciting once an advertisement arrives', () => {
    const { clock, s, rec, inject } = readyHost();
    clock.runUntil(() => rec.frames().includes(RS));
    inject(ra());
    clock.runUntilIdle();
    expect(rec.frames().filter((f) => f === RS)).toHaveLength(1);
    expect(s.counters.Icmp6OutRouterSolicits).toBe(1);
    expect(s.counters.Icmp6InRouterAdvertisements).toBe(1);
  });
});

describe('router advertisement processing (RFC 4861 §6.3.4) and SLAAC (RFC 4862 §5.5)', () => {
  it('learns the router, the on-link prefix, the link parameters, and forms an EUI-64 address that goes through DAD', async () => {
    const { clock, s, iface, rec, inject } = readyHost();
    rec.clear();
    inject(ra({ curHop: 55, lifetime: 1800, reachable: 20_000, retrans: 2_000, options: [SLLA, mtuOpt(1400), pio('2001:db8:1::', 64, L | A, 7200, 3600)] }));
    const v6 = iface.v6!;
    expect(v6.hopLimit).toBe(55);
    expect(v6.mtu).toBe(1400);
    expect(v6.config.neighbor).toMatchObject({ baseReachableUs: 20_000_000, retransUs: 2_000_000 });
    expect(s.describeRoutes6().split('\n')).toEqual([
      'fe80::/64 dev mem-a proto kernel metric 256',
      '2001:db8:1::/64 dev mem-a proto ra metric 256',
      'ff00::/8 dev mem-a proto kernel metric 256',
      'default via fe80::1 dev mem-a proto ra metric 1024',
    ]);
    const router = v6.neighbors!.get(key6(fromHex(ROUTER)))!;
    expect(router.state).toBe('stale');
    expect(toHex(router.mac!)).toBe(ROUTER_MAC);
    // The new address: the prefix and the modified EUI-64 of 02:00:00:00:00:01.
    const slaac = iface.ipv6[1]!;
    expect(formatIPv6(slaac.address)).toBe('2001:db8:1::ff:fe00:1');
    expect(slaac).toMatchObject({ prefix: 64, origin: 'slaac', state: 'tentative' });
    expect(s.describe()).toContain('inet6 2001:db8:1::ff:fe00:1/64 scope global dynamic tentative');
    // DAD runs with the advertised RetransTimer (2 s).
    clock.runUntil(() => rec.frames().some((f) => f.startsWith(eth6('3333ff000001', MAC_A)) && f.slice(108, 110) === '87'));
    const probeAt = clock.now();
    clock.runUntil(() => slaac.state === 'preferred');
    expect(clock.now() - probeAt).toBe(2_000_000);
    // Off-link traffic goes to the router's MAC, from the new address, with the advertised hop limit.
    rec.clear();
    void s.ping6('2001:db8:2::5', { timeoutUs: 100 }).catch(() => undefined);
    const echo = rec.frames()[0]!;
    expect(echo.slice(0, 28)).toBe(eth6(ROUTER_MAC, MAC_A));
    expect(echo.slice(28 + 14, 28 + 16)).toBe('37'); // hop limit 55
    expect(echo.slice(28 + 16, 28 + 48)).toBe(h6('2001:db8:1::ff:fe00:1'));
    clock.runUntilIdle();
  });

  it('deprecates an address when its preferred lifetime ends and removes it with its route when the valid one ends', () => {
    const { clock, s, iface, inject } = readyHost();
    inject(ra({ lifetime: 20, options: [pio('2001:db8:1::', 64, L | A, 30, 10)] }));
    const t0 = clock.now();
    const slaac = iface.ipv6[1]!;
    clock.advanceTo(t0 + 9_999_999);
    expect(slaac.state).toBe('preferred');
    clock.advanceTo(t0 + 10_000_000);
    expect(slaac.state).toBe('deprecated');
    expect(s.describe()).toContain('scope global dynamic deprecated');
    clock.advanceTo(t0 + 20_000_000);
    expect(s.describeRoutes6()).not.toContain('default');
    clock.advanceTo(t0 + 30_000_000);
    expect(iface.ipv6).toHaveLength(1);
    expect(s.describeRoutes6()).not.toContain('2001:db8:1::');
  });

  it('never lets an advertisement cut a valid lifetime below two hours (RFC 4862 §5.5.3 e)', () => {
    const { clock, iface, inject } = readyHost();
    const H = 3600_000_000;
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 3 * 3600, 3600)] }));
    const a = iface.ipv6[1]!;
    let now = clock.now();
    expect(a.validUntil - now).toBe(3 * H);
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 60, 60)] })); // remaining 3 h > 2 h: cut to 2 h
    expect(a.validUntil - now).toBe(2 * H);
    expect(a.preferredUntil - now).toBe(60_000_000);
    clock.advance(1_000_000);
    now = clock.now();
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 60, 60)] })); // remaining ≤ 2 h: ignored
    expect(a.validUntil - now).toBe(2 * H - 1_000_000);
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 4 * 3600, 60)] })); // longer than 2 h: taken
    expect(a.validUntil - now).toBe(4 * H);
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 0xffffffff, 0xffffffff)] }));
    expect(a.validUntil).toBe(Infinity);
  });

  it('removes the default router on lifetime 0 and refuses invalid advertisements and options', () => {
    const { s, iface, inject } = readyHost();
    inject(ra({ src: h6('2001:db8::1') }));
    inject(ra({ hopLimit: 64 }));
    inject(ra({ code: 1 }));
    expect(iface.v6!.routers).toHaveLength(0);
    expect(s.dropReasons()).toMatchObject({ 'ndp:ra-source-not-link-local': 1, 'ndp:bad-hop-limit': 1, 'ndp:bad-code': 1 });
    inject(
      ra({
        options: [
          mtuOpt(1000),
          pio('2001:db8:1::', 64, L | A, 100, 200), // preferred > valid: ignored for SLAAC
          pio('fe80::', 64, L | A, 100, 100), // link-local: ignored
          pio('2001:db8:2::', 48, L | A, 100, 100), // on-link, but no address: 48 + 64 ≠ 128
          pio('2001:db8:3::', 64, A, 100, 100), // autonomous only: an address, no on-link route
        ],
      }),
    );
    expect(iface.v6!.mtu).toBe(1500);
    expect(iface.ipv6.map((a) => formatIPv6(a.address))).toEqual(['fe80::ff:fe00:1', '2001:db8:3::ff:fe00:1']);
    expect(s.describeRoutes6()).toContain('2001:db8:2::/48 dev mem-a proto ra');
    expect(s.describeRoutes6()).toContain('2001:db8:1::/64 dev mem-a proto ra');
    expect(s.describeRoutes6()).not.toContain('2001:db8:3::');
    expect(s.dropReasons()).toMatchObject({ 'ndp:ra-bad-mtu': 1, 'slaac:preferred-exceeds-valid': 1, 'slaac:link-local-prefix': 1, 'slaac:prefix-length-not-64': 1 });
    expect(iface.v6!.routers).toHaveLength(1);
    inject(ra({ lifetime: 0 }));
    expect(iface.v6!.routers).toHaveLength(0);
    expect(s.describeRoutes6()).not.toContain('default');
  });

  it('ignores an advertisement that came in a fragment, even an atomic one (RFC 6980 §5)', () => {
    const { s, iface, inject } = readyHost();
    const whole = ra({ options: [pio('2001:db8:1::', 64, L | A, 100, 100)] });
    const msg = whole.slice(28 + 80);
    const fragmented = eth6('333300000001', ROUTER_MAC) +
      ip6hdr({ plen: 8 + msg.length / 2, nh: 44, hop: 255, src: ROUTER, dst: h6('ff02::1') }) + '3a000000' + '0000abcd' + msg;
    inject(fragmented);
    expect(iface.v6!.routers).toHaveLength(0);
    expect(iface.ipv6).toHaveLength(1);
    expect(s.dropReasons()).toMatchObject({ 'ndp:fragmented-nd': 1 });
    inject(whole);
    expect(iface.v6!.routers).toHaveLength(1);
  });

  it('ignores advertisements when accept_ra is off', () => {
    const { s, iface, inject } = readyHost({ acceptRa: false });
    inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 100, 100)] }));
    expect(iface.ipv6).toHaveLength(1);
    expect(s.dropReasons()).toMatchObject({ 'ndp:ra-not-accepted': 1 });
  });
});

describe('addresses on links without a hardware address (TUN)', () => {
  it('takes a stable random interface identifier (RFC 7217 style) for the link-local and SLAAC addresses, without DAD', () => {
    const one = host({}, 'ip', 5);
    const again = host({}, 'ip', 5);
    const other = host({}, 'ip', 6);
    const ll = one.iface.ipv6[0]!;
    expect(ll.state).toBe('preferred');
    expect(toHex(ll.address).slice(0, 16)).toBe('fe80000000000000');
    expect(toHex(ll.address).slice(16)).not.toBe('0000000000000000');
    expect(toHex(again.iface.ipv6[0]!.address)).toBe(toHex(ll.address));
    expect(toHex(other.iface.ipv6[0]!.address)).not.toBe(toHex(ll.address));
    one.inject(ra({ options: [pio('2001:db8:1::', 64, L | A, 100, 100)] }));
    const slaac = one.iface.ipv6[1]!;
    expect(slaac.state).toBe('preferred');
    expect(toHex(slaac.address).slice(0, 16)).toBe(h6('2001:db8:1::').slice(0, 16));
    // The identifier depends on the prefix too (RFC 7217 §5), so it differs from the link-local one.
    expect(toHex(slaac.address).slice(16)).not.toBe(toHex(ll.address).slice(16));
    one.clock.runUntilIdle();
    expect(one.s.counters.Icmp6OutNeighborSolicits).toBe(0);
  });
});
