import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import {
  addressOfKey6,
  addressScope6,
  commonPrefixLength6,
  eui64FromMac,
  isReservedIid,
  key6,
  linkLocalFromIid,
  maskPrefix6,
  multicastMac6,
  prefixMatch6,
  solicitedNode6,
} from '../../../src/ip/ipv6-address.js';
import { Ipv6RouteTable } from '../../../src/ip/route-table6.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { lonelyStack } from './helpers.js';

const a6 = (t: string): Uint8Array => parseIPv6(t)!;

describe('IPv6 address arithmetic', () => {
  it('derives the modified EUI-64 identifier and link-local address of a MAC (RFC 4291 Appendix A)', () => {
    // The RFC's own example shape: the universal/local bit (0x02 of the first byte) is inverted, ff:fe inserted.
    expect(toHex(eui64FromMac(fromHex('34567890abcd')))).toBe('365678fffe90abcd');
    expect(toHex(eui64FromMac(fromHex('020000000001')))).toBe('000000fffe000001');
    expect(formatIPv6(linkLocalFromIid(eui64FromMac(fromHex('525400123456'))))).toBe('fe80::5054:ff:fe12:3456');
  });

  it('maps addresses to their solicited-node group and groups to their MAC (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    expect(formatIPv6(solicitedNode6(a6('2001:db8::abcd:1234:5678')))).toBe('ff02::1:ff34:5678');
    expect(toHex(multicastMac6(a6('ff02::1:ff34:5678')))).toBe('3333ff345678');
    expect(toHex(multicastMac6(a6('ff02::16')))).toBe('333300000016');
  });

  it('knows scopes (RFC 6724 §3.1), prefixes, and reserved identifiers (RFC 5453)', () => {
    expect([a6('fe80::1'), a6('::1'), a6('2001:db8::1'), a6('fd00::1'), a6('ff02::1'), a6('ff05::2'), a6('ff0e::3')].map(addressScope6)).toEqual([
      2, 2, 14, 14, 2, 5, 14,
    ]);
    expect(prefixMatch6(a6('2001:db8:ff00::'), a6('2001:db8:fe00::'), 39)).toBe(true);
    expect(prefixMatch6(a6('2001:db8:ff00::'), a6('2001:db8:fe00::'), 40)).toBe(false);
    expect(commonPrefixLength6(a6('2001:db8::1'), a6('2001:db8::3'))).toBe(126);
    expect(commonPrefixLength6(a6('2001:db8::1'), a6('2001:db8::1'))).toBe(128);
    expect(commonPrefixLength6(a6('8000::'), a6('::'))).toBe(0);
    expect(formatIPv6(maskPrefix6(a6('2001:db8:abcd:ef01::5'), 35))).toBe('2001:db8:a000::');
    expect(isReservedIid(new Uint8Array(8))).toBe(true);
    expect(isReservedIid(fromHex('fdffffffffffff80'))).toBe(true);
    expect(isReservedIid(fromHex('fdffffffffffff7f'))).toBe(false);
  });

  it('round-trips the compact map key', () => {
    const a = a6('2001:db8:1:2:3:4:5:6');
    expect(key6(a)).toHaveLength(8);
    expect(toHex(addressOfKey6(key6(a)))).toBe(toHex(a));
  });
});

describe('the IPv6 route table', () => {
  it('finds the longest prefix, then the lowest metric, and honours an interface scope', () => {
    const t = new Ipv6RouteTable();
    t.add({ network: a6('::'), prefix: 0, gateway: a6('fe80::1'), ifindex: 1, metric: 1024 });
    t.add({ network: a6('2001:db8::'), prefix: 32, gateway: null, ifindex: 2, metric: 256 });
    t.add({ network: a6('2001:db8::'), prefix: 32, gateway: null, ifindex: 1, metric: 100 });
    t.add({ network: a6('2001:db8:1::5'), prefix: 64, gateway: null, ifindex: 1, metric: 256 }); // host bits cleared
    expect(t.lookup(a6('2001:db8:1::9'))).toMatchObject({ prefix: 64, ifindex: 1 });
    expect(formatIPv6(t.lookup(a6('2001:db8:1::9'))!.network)).toBe('2001:db8:1::');
    expect(t.lookup(a6('2001:db8:2::9'))).toMatchObject({ prefix: 32, ifindex: 1, metric: 100 });
    expect(t.lookup(a6('2001:db8:2::9'), 2)).toMatchObject({ prefix: 32, ifindex: 2 });
    expect(t.lookup(a6('2001:db9::1'))).toMatchObject({ prefix: 0 });
    expect(t.lookup(a6('2001:db9::1'), 2)).toBeNull();
    expect(t.remove(a6('2001:db8::'), 32, 1)).toBe(1);
    expect(t.lookup(a6('2001:db8:2::9'))).toMatchObject({ ifindex: 2 });
    expect(t.remove(a6('::'), 0, undefined, a6('fe80::2'))).toBe(0);
    expect(t.remove(a6('::'), 0, undefined, a6('fe80::1'))).toBe(1);
    expect(() => t.add({ network: a6('::'), prefix: 129, gateway: null, ifindex: 1, metric: 0 })).toThrow(RangeError);
  });
});

describe('source address selection (RFC 6724 §5)', () => {
  it('prefers the destination itself, then the right scope, then non-deprecated, then the longest match', () => {
    const { s, iface } = lonelyStack({ ipv6: ['2001:db8::2/64', '2001:db8:0:0:8000::2/64', '2001:db9::2/64'] });
    s.addRoute('::/0', { via: 'fe80::1', ifindex: iface.index });
    const src = (dst: string): string => formatIPv6(s.ip.route(a6(dst))!.src as Uint8Array);
    const ll = formatIPv6(iface.ipv6[0]!.address);
    // Rule 1: a local destination is its own source.
    expect(src('2001:db9::2')).toBe('2001:db9::2');
    // Rule 2: link-local for link-local destinations, global for global ones.
    expect(src('fe80::77')).toBe(ll);
    expect(src('2001:db8:5::1')).not.toBe(ll);
    // Rule 8: the longest common prefix.
    expect(src('2001:db8::9')).toBe('2001:db8::2');
    expect(src('2001:db8::8000:0:0:9')).toBe('2001:db8::8000:0:0:2');
    expect(src('2001:db9:1::9')).toBe('2001:db9::2');
    // Rule 3: a deprecated address loses even with a longer match.
    iface.ipv6.find((a) => formatIPv6(a.address) === '2001:db9::2')!.state = 'deprecated';
    expect(src('2001:db9:1::9')).not.toBe('2001:db9::2');
  });

  it("uses another interface's global address when the outgoing one has none (but never its link-local)", () => {
    const clock = new VirtualClock();
    const s = new Stack({ clock, seed: 9 });
    const [l1] = createMemoryPair(clock, { namePrefix: 'one' });
    const [l2] = createMemoryPair(clock, { namePrefix: 'two' });
    const quiet = { routerSolicitations: 0, mldReports: false };
    const if1 = s.addInterface(l1, { ipv6: [], ipv6Config: quiet });
    const if2 = s.addInterface(l2, { ipv6: ['2001:db8::1/64'], ipv6Config: quiet });
    s.addRoute('::/0', { via: 'fe80::1', ifindex: if1.index });
    const r = s.ip.route(a6('2001:db9::5'))!;
    expect(r.ifindex).toBe(if1.index);
    expect(formatIPv6(r.src as Uint8Array)).toBe('2001:db8::1');
    // A link-local destination out of if1 takes if1's link-local, never if2's.
    const ll = s.ip.route6(a6('fe80::5'), undefined, if1.index);
    expect(typeof ll === 'string' ? ll : toHex(ll.src as Uint8Array)).toBe(toHex(if1.ipv6[0]!.address));
    expect(toHex(if1.ipv6[0]!.address)).not.toBe(toHex(if2.ipv6[0]!.address));
    s.close();
  });
});
