import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import type { Ipv6InterfaceOptions } from '../../../src/ip/addrconf.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { eth6, h6, ip6hdr, LL_A, MAC_A, Recorder, withIcmp6Checksum } from './helpers.js';

/**
 * Duplicate Address Detection (RFC 4862 §5.4) on an Ethernet link, and its
 * absence on TUN-like links. The first frames were checksummed by an
 * independent python3 script.
 */
const UNSPEC = '0'.repeat(32);
const SOL_A = h6('ff02::1:ff00:1');
/** MLDv2 report from :: (RFC 3810 §5.2.13: DAD is running), CHANGE_TO_EXCLUDE {} for ff02::1:ff00:1 (checksum 0x6f89). */
const MLD_FROM_UNSPEC = eth6('333300000016', MAC_A) + ip6hdr({ plen: 36, nh: 0, hop: 1, src: UNSPEC, dst: h6('ff02::16') }) +
  '3a00050200000100' + '8f006f890000000104000000' + SOL_A;
/** The DAD probe: NS from :: to ff02::1:ff00:1 for fe80::ff:fe00:1, no options (checksum 0x7d25). */
const NS_DAD = eth6('3333ff000001', MAC_A) + ip6hdr({ plen: 24, nh: 58, hop: 255, src: UNSPEC, dst: SOL_A }) +
  '87007d2500000000' + LL_A;
/** The same report again from the link-local address once it is valid (checksum 0x7207). */
const MLD_FROM_LL = eth6('333300000016', MAC_A) + ip6hdr({ plen: 36, nh: 0, hop: 1, src: LL_A, dst: h6('ff02::16') }) +
  '3a00050200000100' + '8f0072070000000104000000' + SOL_A;

function oneStack(config: Ipv6InterfaceOptions = {}, linkType: 'ethernet' | 'ip' = 'ethernet') {
  const clock = new VirtualClock();
  const [mine, theirs] = createMemoryPair(clock, { linkType });
  theirs.setReceiver(() => undefined);
  const rec = new Recorder(mine, clock);
  const s = new Stack({ clock, seed: 5, id: 's' });
  const iface = s.addInterface(rec, { ipv6: [], ipv6Config: { routerSolicitations: 0, ...config } });
  return { clock, s, iface, rec, inject: (hex: string) => s.ip.receiveFrame(iface, fromHex(hex)) };
}

describe('duplicate address detection (RFC 4862 §5.4)', () => {
  it('keeps a new address tentative, probes from :: after a random delay, and makes it preferred RetransTimer later', async () => {
    const { clock, s, iface, rec } = oneStack();
    const a = iface.ipv6[0]!;
    expect(toHex(a.address)).toBe(LL_A);
    expect(a.state).toBe('tentative');
    expect(s.describe()).toContain('inet6 fe80::ff:fe00:1/64 scope link tentative');
    // Joining the solicited-node group is reported at once (in the same instant, batched), from ::.
    expect(rec.sent).toHaveLength(0);
    clock.runDue();
    expect(rec.sent[0]).toEqual({ t: 0, frame: MLD_FROM_UNSPEC });
    // Nothing may be sent from a tentative address.
    await expect(s.ping6('fe80::2')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    clock.advance(999_999);
    const probes = rec.sent.filter((x) => x.frame === NS_DAD);
    expect(probes).toHaveLength(1);
    const t = probes[0]!.t;
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(1_000_000); // MAX_RTR_SOLICITATION_DELAY
    clock.advanceTo(t + 999_999);
    expect(a.state).toBe('tentative');
    clock.advance(1);
    expect(a.state).toBe('preferred');
    expect(s.describe()).toBe('1: mem-a mtu 1500\n    inet6 fe80::ff:fe00:1/64 scope link');
    // Reports made during DAD came from ::; they are made again from the new address (Linux's ipv6_mc_dad_complete).
    expect(rec.sent.filter((x) => x.t === t + 1_000_000).map((x) => x.frame)).toEqual([MLD_FROM_LL]);
    clock.runUntilIdle();
    // Two reports of each kind (Robustness 2), one probe.
    expect(rec.frames().filter((f) => f === MLD_FROM_UNSPEC)).toHaveLength(2);
    expect(rec.frames().filter((f) => f === MLD_FROM_LL)).toHaveLength(2);
    expect(rec.frames().filter((f) => f === NS_DAD)).toHaveLength(1);
    expect(s.counters).toMatchObject({ Icmp6OutNeighborSolicits: 1, Icmp6OutMLDv2Reports: 4 });
  });

  it('drops packets to a tentative address, except neighbour discovery', () => {
    const { s, inject } = oneStack();
    const peer = h6('fe80::2');
    const echo = withIcmp6Checksum(peer, LL_A, '8000000000010001');
    inject(eth6(MAC_A, '020000000002') + ip6hdr({ plen: 8, nh: 58, hop: 64, src: peer, dst: LL_A }) + echo);
    expect(s.dropReasons()).toEqual({ 'ipv6:tentative-address': 1 });
    expect(s.counters.Ip6InAddrErrors).toBe(1);
    expect(s.counters.Icmp6InMsgs).toBe(0);
  });

  it('marks the address duplicate when another node advertises it, and leaves its group', () => {
    const { clock, s, iface, rec, inject } = oneStack();
    clock.advance(100);
    rec.clear();
    const na = withIcmp6Checksum(LL_A, h6('ff02::1'), '8800000020000000' + LL_A + '0201020000000099');
    inject(eth6('333300000001', '020000000099') + ip6hdr({ plen: 32, nh: 58, hop: 255, src: LL_A, dst: h6('ff02::1') }) + na);
    const a = iface.ipv6[0]!;
    expect(a.state).toBe('duplicate');
    expect(s.describe()).toContain('inet6 fe80::ff:fe00:1/64 scope link dadfailed tentative');
    expect(s.dropReasons()).toMatchObject({ 'ndp:dad-conflict-advertisement': 1 });
    clock.runUntilIdle();
    // No probe goes out any more; the group is left: CHANGE_TO_INCLUDE {} from ::, twice.
    const leave = withIcmp6Checksum(UNSPEC, h6('ff02::16'), '8f0000000000000103000000' + SOL_A);
    const leaveFrame = eth6('333300000016', MAC_A) + ip6hdr({ plen: 36, nh: 0, hop: 1, src: UNSPEC, dst: h6('ff02::16') }) + '3a00050200000100' + leave;
    expect(rec.frames()).toEqual([leaveFrame, leaveFrame]);
    expect(s.ip.isLocalAddress(a.address)).toBe(false);
    expect(iface.v6!.mld.has(fromHex(SOL_A))).toBe(false);
  });

  it('marks the address duplicate when another node probes for it too, and ignores address resolution for it', () => {
    const { clock, iface, rec, inject } = oneStack();
    clock.advance(100);
    // Address resolution from a unicast source for a tentative address: silently ignored (§5.4.3).
    const nsRes = withIcmp6Checksum(h6('fe80::99'), SOL_A, '8700000000000000' + LL_A + '0101020000000099');
    inject(eth6('3333ff000001', '020000000099') + ip6hdr({ plen: 32, nh: 58, hop: 255, src: h6('fe80::99'), dst: SOL_A }) + nsRes);
    expect(iface.ipv6[0]!.state).toBe('tentative');
    expect(rec.frames().some((f) => f.slice(108, 110) === '88')).toBe(false);
    // Another DAD probe for the same address: duplicate.
    const nsDad = withIcmp6Checksum(UNSPEC, SOL_A, '8700000000000000' + LL_A);
    inject(eth6('3333ff000001', '020000000099') + ip6hdr({ plen: 24, nh: 58, hop: 255, src: UNSPEC, dst: SOL_A }) + nsDad);
    expect(iface.ipv6[0]!.state).toBe('duplicate');
  });

  it('sends DupAddrDetectTransmits probes RetransTimer apart', () => {
    const { clock, iface, rec } = oneStack({ dadTransmits: 3, neighbor: { retransUs: 250_000 } });
    clock.runUntil(() => iface.ipv6[0]!.state === 'preferred');
    const probes = rec.sent.filter((x) => x.frame === NS_DAD).map((x) => x.t);
    expect(probes).toHaveLength(3);
    expect([probes[1]! - probes[0]!, probes[2]! - probes[1]!, clock.now() - probes[2]!]).toEqual([250_000, 250_000, 250_000]);
  });

  it('skips DAD when DupAddrDetectTransmits is 0, and on links without neighbour discovery (TUN, as Linux for IFF_NOARP)', () => {
    const off = oneStack({ dadTransmits: 0 });
    expect(off.iface.ipv6[0]!.state).toBe('preferred');
    const tun = oneStack({}, 'ip');
    expect(tun.iface.ipv6[0]!.state).toBe('preferred');
    tun.clock.runUntilIdle();
    expect(tun.s.counters.Icmp6OutNeighborSolicits).toBe(0);
    expect(tun.s.counters.Icmp6OutMLDv2Reports).toBe(2); // from the link-local address straight away
  });
});
