import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import type { Ipv6InterfaceOptions } from '../../../src/ip/addrconf.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { eth6, h6, ip6hdr, LL_A, MAC_A, Recorder, withIcmp6Checksum } from './helpers.js';

/**
 * MLDv2 (RFC 3810) as a host does it: State Change Reports on join and
 * leave, Current State Reports answering queries, the MLDv1 fallback — and
 * every message with hop limit 1 and the Router Alert Hop-by-Hop header.
 */
const MLD2_ROUTERS = h6('ff02::16');
const GROUP = h6('ff15::1234');
const SOL_A = h6('ff02::1:ff00:1');
const HBH_RA = '3a00050200000100';

/** An MLDv2 report frame from `src` with the given records (type, group). */
function report(src: string, records: [number, string][]): string {
  const body = '8f000000' + '0000' + records.length.toString(16).padStart(4, '0') +
    records.map(([t, g]) => t.toString(16).padStart(2, '0') + '000000' + g).join('');
  const msg = withIcmp6Checksum(src, MLD2_ROUTERS, body);
  return eth6('333300000016', MAC_A) + ip6hdr({ plen: 8 + msg.length / 2, nh: 0, hop: 1, src, dst: MLD2_ROUTERS }) + HBH_RA + msg;
}

/** A query from fe80::1 (hop limit 1, Router Alert). v2 when `qrv` is given (28+ bytes), else the 24-byte v1 form. */
function query(o: { group?: string; maxResp: number; v1?: boolean; src?: string; hop?: number; sources?: string[] }): string {
  const src = o.src ?? h6('fe80::1');
  const group = o.group ?? '0'.repeat(32);
  const dst = o.group === undefined ? h6('ff02::1') : group;
  let body = '82000000' + o.maxResp.toString(16).padStart(4, '0') + '0000' + group;
  if (!o.v1) body += '02' + '7d' + (o.sources?.length ?? 0).toString(16).padStart(4, '0') + (o.sources ?? []).join('');
  const msg = withIcmp6Checksum(src, dst, body);
  const dstMac = '3333' + dst.slice(24);
  return eth6(dstMac, '0200000000fe') + ip6hdr({ plen: 8 + msg.length / 2, nh: 0, hop: o.hop ?? 1, src, dst }) + HBH_RA + msg;
}

/** A host with its link-local address valid, quiet (no RS), and nothing recorded yet. */
function host(config: Ipv6InterfaceOptions = {}) {
  const clock = new VirtualClock();
  const [mine, theirs] = createMemoryPair(clock, { linkType: 'ethernet' });
  theirs.setReceiver(() => undefined);
  const rec = new Recorder(mine, clock);
  const s = new Stack({ clock, seed: 5, id: 's' });
  const iface = s.addInterface(rec, { ipv6: [], ipv6Config: { routerSolicitations: 0, ...config } });
  clock.runUntilIdle();
  rec.clear();
  return { clock, s, iface, rec, inject: (hex: string) => s.ip.receiveFrame(iface, fromHex(hex)) };
}

describe('MLDv2 listener (RFC 3810)', () => {
  it('reports a join at once and once more within the Unsolicited Report Interval, then a leave the same way', () => {
    const { clock, s, iface, rec } = host();
    const before = s.counters.Icmp6OutMLDv2Reports; // the link-local address's own reports
    expect(s.ip.joinIpv6Group(iface.index, fromHex(GROUP))).toBe(true);
    clock.runDue();
    const join = report(LL_A, [[4, GROUP]]); // CHANGE_TO_EXCLUDE_MODE {}
    expect(rec.sent).toEqual([{ t: 0 + clock.now(), frame: join }]);
    const t0 = clock.now();
    clock.advance(1_000_000);
    expect(rec.frames()).toEqual([join, join]);
    expect(rec.sent[1]!.t - t0).toBeGreaterThan(0);
    expect(rec.sent[1]!.t - t0).toBeLessThanOrEqual(1_000_000);
    // A second join of the same group is only counted.
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    s.ip.leaveIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    expect(rec.frames()).toHaveLength(2);
    s.ip.leaveIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    const leave = report(LL_A, [[3, GROUP]]); // CHANGE_TO_INCLUDE_MODE {}
    expect(rec.frames()).toEqual([join, join, leave, leave]);
    expect(s.counters.Icmp6OutMLDv2Reports - before).toBe(4);
  });

  it('puts changes made in the same instant into one report', () => {
    const { clock, s, iface, rec } = host();
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    s.ip.joinIpv6Group(iface.index, fromHex(h6('ff05::2')));
    clock.runDue();
    expect(rec.frames()).toEqual([report(LL_A, [[4, GROUP], [4, h6('ff05::2')]])]);
  });

  it('answers a General Query with every group it listens to (not ff02::1) after a random delay within Max Response Delay', () => {
    const { clock, s, iface, rec, inject } = host();
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    rec.clear();
    inject(query({ maxResp: 2000 }));
    const t0 = clock.now();
    clock.runUntilIdle();
    expect(rec.frames()).toEqual([report(LL_A, [[2, SOL_A], [2, GROUP]])]); // MODE_IS_EXCLUDE {}
    expect(rec.sent[0]!.t - t0).toBeLessThan(2_000_000);
  });

  it('answers a Multicast Address Specific Query for a group it has, and not for others', () => {
    const { clock, s, iface, rec, inject } = host();
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    rec.clear();
    inject(query({ group: h6('ff15::9999'), maxResp: 1000 }));
    clock.runUntilIdle();
    expect(rec.frames()).toEqual([]);
    inject(query({ group: GROUP, maxResp: 1000 }));
    clock.runUntilIdle();
    expect(rec.frames()).toEqual([report(LL_A, [[2, GROUP]])]);
    // A source-specific query for an EXCLUDE {} group: the queried sources are all heard (IS_IN, RFC 3810 §6.3).
    rec.clear();
    const src1 = h6('2001:db8::7');
    inject(query({ group: GROUP, maxResp: 1000, sources: [src1] }));
    clock.runUntilIdle();
    const body = '8f000000' + '00000001' + '01000001' + GROUP + src1;
    const msg = withIcmp6Checksum(LL_A, MLD2_ROUTERS, body);
    expect(rec.frames()).toEqual([eth6('333300000016', MAC_A) + ip6hdr({ plen: 8 + msg.length / 2, nh: 0, hop: 1, src: LL_A, dst: MLD2_ROUTERS }) + HBH_RA + msg]);
  });

  it('ignores queries from off-link sources or with a hop limit other than 1', () => {
    const { clock, s, rec, inject } = host();
    inject(query({ maxResp: 1000, src: h6('2001:db8::1') }));
    inject(query({ maxResp: 1000, hop: 2 }));
    clock.runUntilIdle();
    expect(rec.frames()).toEqual([]);
    expect(s.dropReasons()).toMatchObject({ 'mld:query-source-not-link-local': 1, 'mld:query-bad-hop-limit': 1 });
  });

  it('falls back to MLDv1 while an MLDv1 querier is present (RFC 3810 §8.2.1)', () => {
    const { clock, s, iface, rec, inject } = host();
    inject(query({ maxResp: 1000, v1: true }));
    const heard = clock.now();
    clock.runUntilIdle();
    // One MLDv1 Report (131) per group, sent to the group itself.
    const v1 = withIcmp6Checksum(LL_A, SOL_A, '8300000000000000' + SOL_A);
    expect(rec.frames()).toEqual([eth6('3333ff000001', MAC_A) + ip6hdr({ plen: 32, nh: 0, hop: 1, src: LL_A, dst: SOL_A }) + HBH_RA + v1]);
    rec.clear();
    // Leaving in v1 mode: one Done (132) to ff02::2.
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    rec.clear();
    s.ip.leaveIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    const done = withIcmp6Checksum(LL_A, h6('ff02::2'), '8400000000000000' + GROUP);
    expect(rec.frames()).toEqual([eth6('333300000002', MAC_A) + ip6hdr({ plen: 32, nh: 0, hop: 1, src: LL_A, dst: h6('ff02::2') }) + HBH_RA + done]);
    // 260 s after the query (Robustness × Query Interval + Query Response Interval) it is MLDv2 again.
    clock.advanceTo(heard + 259_999_999);
    expect(iface.v6!.mld.v1Mode).toBe(true);
    clock.advance(1);
    expect(iface.v6!.mld.v1Mode).toBe(false);
  });

  it('sends nothing when reports are turned off', () => {
    const { clock, s, iface, rec } = host({ mldReports: false });
    s.ip.joinIpv6Group(iface.index, fromHex(GROUP));
    clock.runUntilIdle();
    expect(rec.frames()).toEqual([]);
    expect(iface.v6!.mld.has(fromHex(GROUP))).toBe(true);
  });
});
