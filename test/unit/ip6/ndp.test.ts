import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { PacketBuffer } from '../../../src/core/packet-buffer.js';
import { key6 } from '../../../src/ip/ipv6-address.js';
import type { IcmpErrorReport } from '../../../src/ip/types.js';
import { eth6, ethernetPair, h6, ip6hdr, LL_A, LL_B, MAC_A, MAC_B, withIcmp6Checksum, type Pair } from './helpers.js';

/**
 * Neighbor Discovery on an Ethernet link (RFC 4861 §7): address resolution,
 * the NUD states (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), the rules
 * for what an advertisement may change, and message validation. Expected
 * messages were checksummed by an independent python3 script.
 */
const ALL_NODES = h6('ff02::1');
const SOL_B = h6('ff02::1:ff00:2');
const MAC_X = '020000000099';
const LL_X = h6('fe80::99');

/** NS LL_A → ff02::1:ff00:2 for LL_B with SLLA MAC_A (python3: checksum 0x7c97). */
const NS_A_FOR_B = eth6('3333ff000002', MAC_A) + ip6hdr({ plen: 32, nh: 58, hop: 255, src: LL_A, dst: SOL_B }) +
  '87007c9700000000' + LL_B + '0101' + MAC_A;
/** NA LL_B → LL_A, Solicited and Override, target LL_B with TLLA MAC_B (checksum 0x1b1a). */
const NA_B_TO_A = eth6(MAC_A, MAC_B) + ip6hdr({ plen: 32, nh: 58, hop: 255, src: LL_B, dst: LL_A }) +
  '88001b1a60000000' + LL_B + '0201' + MAC_B;
/** The unicast NUD probe LL_A → LL_B (to MAC_B), with SLLA (checksum 0x7d1b). */
const PROBE_A_FOR_B = eth6(MAC_B, MAC_A) + ip6hdr({ plen: 32, nh: 58, hop: 255, src: LL_A, dst: LL_B }) +
  '87007d1b00000000' + LL_B + '0101' + MAC_A;
/** b defending LL_B against a DAD probe: NA to ff02::1, Override only, with TLLA (checksum 0x5998). */
const NA_B_DEFEND = eth6('333300000001', MAC_B) + ip6hdr({ plen: 32, nh: 58, hop: 255, src: LL_B, dst: ALL_NODES }) +
  '8800599820000000' + LL_B + '0201' + MAC_B;

/** Link-local only, no router solicitation, DAD done. */
function settled(): Pair {
  const p = ethernetPair({ configA: { routerSolicitations: 0 }, configB: { routerSolicitations: 0 } });
  p.clock.advance(3_000_000);
  p.ra.clear();
  p.rb.clear();
  // Setup traffic (each side's MLD reports and DAD probes, to groups the other did not join) is not what the tests count.
  p.a.ctx.trace.clearDrops();
  p.b.ctx.trace.clearDrops();
  return p;
}

/** An NA from `src`/`mac` about `target` to `dst` with flags word `flags`, optional TLLA. */
function na(o: { src: string; mac: string; dst: string; dstMac: string; target: string; flags: number; tlla?: string; hop?: number }): Uint8Array {
  const opt = o.tlla === undefined ? '' : '0201' + o.tlla;
  const msg = withIcmp6Checksum(o.src, o.dst, '88000000' + o.flags.toString(16).padStart(8, '0') + o.target + opt);
  return fromHex(eth6(o.dstMac, o.mac) + ip6hdr({ plen: msg.length / 2, nh: 58, hop: o.hop ?? 255, src: o.src, dst: o.dst }) + msg);
}

function ns(o: { src: string; mac: string; dst: string; dstMac: string; target: string; slla?: string; hop?: number }): Uint8Array {
  let opt = '';
  if (o.slla !== undefined) {
    // Length in 8-octet units, value zero-padded (RFC 4861 §4.6).
    const units = (2 + o.slla.length / 2 + 7) >> 3;
    opt = '01' + units.toString(16).padStart(2, '0') + o.slla.padEnd(units * 16 - 4, '0');
  }
  const msg = withIcmp6Checksum(o.src, o.dst, '8700000000000000' + o.target + opt);
  return fromHex(eth6(o.dstMac, o.mac) + ip6hdr({ plen: msg.length / 2, nh: 58, hop: o.hop ?? 255, src: o.src, dst: o.dst }) + msg);
}

describe('Neighbor Discovery address resolution (RFC 4861 §7.2)', () => {
  it('solicits the solicited-node group, queues the packet, and sends it on the solicited advertisement', async () => {
    const { clock, a, b, ra, rb } = settled();
    const p = a.ping6('fe80::ff:fe00:2', { identifier: 1, sequence: 1 });
    clock.advance(1000);
    await p;
    expect(ra.frames()[0]).toBe(NS_A_FOR_B);
    expect(ra.frames()[1]!.slice(0, 28)).toBe(eth6(MAC_B, MAC_A));
    // b learned a's address from the NS (STALE) and answers at once; its echo reply needs no resolution.
    expect(rb.frames()[0]).toBe(NA_B_TO_A);
    expect(rb.frames()[1]!.slice(0, 28)).toBe(eth6(MAC_A, MAC_B));
    expect(rb.frames()).toHaveLength(2);
    const cacheA = a.ip.interfaces[0]!.v6!.neighbors!;
    const cacheB = b.ip.interfaces[0]!.v6!.neighbors!;
    expect(cacheA.get(key6(fromHex(LL_B)))?.state).toBe('reachable');
    expect(toHex(cacheA.get(key6(fromHex(LL_B)))!.mac!)).toBe(MAC_B);
    // b's entry was STALE and was used for the NA and the reply: DELAY (RFC 4861 §7.3.3).
    expect(cacheB.get(key6(fromHex(LL_A)))?.state).toBe('delay');
    // One NS was a's own DAD probe during setup, the other this resolution.
    expect(a.counters).toMatchObject({ Icmp6OutNeighborSolicits: 2, Icmp6InNeighborAdvertisements: 1 });
    expect(b.counters).toMatchObject({ Icmp6InNeighborSolicits: 1, Icmp6OutNeighborAdvertisements: 1 });
  });

  it('goes REACHABLE → STALE → DELAY → PROBE, probes by unicast, and is REACHABLE again on the answer', async () => {
    const { clock, a, ra } = settled();
    const p = a.ping6('fe80::ff:fe00:2');
    clock.advance(1000);
    await p;
    const cache = a.ip.interfaces[0]!.v6!.neighbors!;
    const key = key6(fromHex(LL_B));
    clock.advance(46_000_000); // past any randomised ReachableTime (at most 1.5 × 30 s)
    expect(cache.get(key)?.state).toBe('stale');
    ra.clear();
    void a.ping6('fe80::ff:fe00:2', { sequence: 2 });
    expect(cache.get(key)?.state).toBe('delay');
    expect(ra.frames()).toHaveLength(1); // the echo goes out at once on the stale address
    // b's echo reply is no confirmation for a (only upper-layer hints or an NA are): after 5 s, PROBE.
    clock.advance(5_000_000);
    expect(cache.get(key)?.state).toBe('probe');
    expect(ra.frames()[1]).toBe(PROBE_A_FOR_B);
    clock.advance(1000);
    expect(cache.get(key)?.state).toBe('reachable');
  });

  it('after three unanswered solicitations drops the queued packet and tells its transport "address unreachable"', () => {
    const { clock, a, ra } = settled();
    const reports: IcmpErrorReport[] = [];
    a.ip.registerErrorHandler(253, (r) => reports.push(r));
    const dst = parseIPv6('fe80::99')!;
    expect(a.ip.send({ dst, protocol: 253 }, PacketBuffer.alloc(8))).toBe('ok');
    clock.advance(2_999_999);
    expect(ra.sent.map((s) => s.t - ra.sent[0]!.t)).toEqual([0, 1_000_000, 2_000_000]);
    expect(ra.frames().every((f) => f.startsWith(eth6('3333ff000099', MAC_A)))).toBe(true);
    expect(reports).toHaveLength(0);
    clock.advance(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ family: 6, kind: 'host-unreachable', type: 1, code: 3, errno: 'EHOSTUNREACH', protocol: 253 });
    expect(toHex(reports[0]!.dst as Uint8Array)).toBe(toHex(dst));
    expect(a.ip.interfaces[0]!.v6!.neighbors!.get(key6(dst))).toBeUndefined();
    expect(a.counters.Ip6OutDiscards).toBe(1);
  });

  it('holds at most three packets for an unresolved neighbour, keeping the newest', () => {
    const { clock, a } = settled();
    const dst = parseIPv6('fe80::99')!;
    for (let i = 0; i < 5; i++) a.ip.send({ dst, protocol: 253 }, PacketBuffer.alloc(8));
    expect(a.ip.interfaces[0]!.v6!.neighbors!.get(key6(dst))?.queue.length).toBe(3);
    expect(a.counters.Ip6OutDiscards).toBe(2);
    expect(a.dropReasons()).toEqual({ 'ndp:resolution-queue-full': 2 });
    clock.runUntilIdle();
  });
});

describe('Neighbor Advertisement processing (RFC 4861 §7.2.5)', () => {
  async function reachableB(): Promise<Pair> {
    const p = settled();
    const ping = p.a.ping6('fe80::ff:fe00:2');
    p.clock.advance(1000);
    await ping;
    return p;
  }

  it('an unsolicited NA without Override and with another address only makes a REACHABLE entry STALE', async () => {
    const { a, ia } = await reachableB();
    const cache = ia.v6!.neighbors!;
    const key = key6(fromHex(LL_B));
    a.ip.receiveFrame(ia, na({ src: LL_B, mac: MAC_X, dst: ALL_NODES, dstMac: '333300000001', target: LL_B, flags: 0, tlla: MAC_X }));
    expect(cache.get(key)?.state).toBe('stale');
    expect(toHex(cache.get(key)!.mac!)).toBe(MAC_B);
    // With Override, the new address is taken (and the entry stays STALE: not solicited).
    a.ip.receiveFrame(ia, na({ src: LL_B, mac: MAC_X, dst: ALL_NODES, dstMac: '333300000001', target: LL_B, flags: 0x20000000, tlla: MAC_X }));
    expect(cache.get(key)?.state).toBe('stale');
    expect(toHex(cache.get(key)!.mac!)).toBe(MAC_X);
    // Solicited with Override: REACHABLE.
    a.ip.receiveFrame(ia, na({ src: LL_B, mac: MAC_B, dst: LL_A, dstMac: MAC_A, target: LL_B, flags: 0x60000000, tlla: MAC_B }));
    expect(cache.get(key)?.state).toBe('reachable');
    expect(toHex(cache.get(key)!.mac!)).toBe(MAC_B);
  });

  it('creates no entry from an unsolicited NA, and drops malformed ones under their reasons', () => {
    const { a, ia } = settled();
    const cache = ia.v6!.neighbors!;
    a.ip.receiveFrame(ia, na({ src: LL_X, mac: MAC_X, dst: ALL_NODES, dstMac: '333300000001', target: LL_X, flags: 0x20000000, tlla: MAC_X }));
    expect(cache.size).toBe(0);
    a.ip.receiveFrame(ia, na({ src: LL_X, mac: MAC_X, dst: ALL_NODES, dstMac: '333300000001', target: LL_X, flags: 0x60000000, tlla: MAC_X }));
    a.ip.receiveFrame(ia, na({ src: LL_X, mac: MAC_X, dst: LL_A, dstMac: MAC_A, target: LL_X, flags: 0x60000000, tlla: MAC_X, hop: 254 }));
    a.ip.receiveFrame(ia, na({ src: LL_X, mac: MAC_X, dst: LL_A, dstMac: MAC_A, target: ALL_NODES, flags: 0x60000000 }));
    expect(a.dropReasons()).toEqual({
      'ndp:na-no-entry': 1,
      'ndp:solicited-to-multicast': 1,
      'ndp:bad-hop-limit': 1,
      'ndp:multicast-target': 1,
    });
    expect(cache.size).toBe(0);
  });
});

describe('Neighbor Solicitation processing (RFC 4861 §7.2.3, §7.2.4)', () => {
  it('answers a multicast NS with a solicited NA carrying our address, and records the solicitor as STALE', () => {
    const { clock, b, ib, rb } = settled();
    b.ip.receiveFrame(ib, fromHex(NS_A_FOR_B));
    clock.runDue();
    expect(rb.frames()).toEqual([NA_B_TO_A]);
    expect(ib.v6!.neighbors!.get(key6(fromHex(LL_A)))?.state).toBe('delay'); // created STALE, then used for the NA
  });

  it('answers a unicast NUD probe without the Target Link-Layer Address option (as Linux)', () => {
    const { clock, b, ib, rb } = settled();
    b.ip.receiveFrame(ib, fromHex(PROBE_A_FOR_B));
    clock.runDue();
    const msg = withIcmp6Checksum(LL_B, LL_A, '8800000060000000' + LL_B);
    expect(rb.frames()).toEqual([eth6(MAC_A, MAC_B) + ip6hdr({ plen: 24, nh: 58, hop: 255, src: LL_B, dst: LL_A }) + msg]);
  });

  it('defends its address against another node\'s DAD probe with an NA to all-nodes', () => {
    const { clock, b, ib, rb } = settled();
    b.ip.receiveFrame(ib, ns({ src: h6('::'), mac: MAC_X, dst: SOL_B, dstMac: '3333ff000002', target: LL_B }));
    clock.runDue();
    expect(rb.frames()).toEqual([NA_B_DEFEND]);
    expect(ib.v6!.neighbors!.size).toBe(0); // nothing learned from ::
  });

  it('ignores solicitations for others and drops invalid ones under their reasons', () => {
    const { clock, b, ib, rb } = settled();
    b.ip.receiveFrame(ib, ns({ src: LL_X, mac: MAC_X, dst: h6('ff02::1:ff00:77'), dstMac: '3333ff000077', target: h6('fe80::77'), slla: MAC_X }));
    b.ip.receiveFrame(ib, ns({ src: LL_X, mac: MAC_X, dst: SOL_B, dstMac: '3333ff000002', target: LL_B, slla: MAC_X, hop: 64 }));
    // A DAD probe (from ::) must not carry a link-layer address, and must go to a solicited-node group.
    b.ip.receiveFrame(ib, ns({ src: h6('::'), mac: MAC_X, dst: SOL_B, dstMac: '3333ff000002', target: LL_B, slla: MAC_X }));
    b.ip.receiveFrame(ib, ns({ src: h6('::'), mac: MAC_X, dst: ALL_NODES, dstMac: '333300000001', target: LL_B }));
    b.ip.receiveFrame(ib, ns({ src: LL_X, mac: MAC_X, dst: SOL_B, dstMac: '3333ff000002', target: LL_B, slla: MAC_X + '0000000000000000' })); // 14 bytes: not an Ethernet address
    clock.runDue();
    expect(rb.frames()).toEqual([]);
    expect(b.dropReasons()).toEqual({
      'ipv6:multicast-not-joined': 1,
      'ndp:bad-hop-limit': 1,
      'ndp:bad-dad-solicitation': 2,
      'ndp:bad-lla-option': 1,
    });
  });
});
