import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { toHex } from '../../../src/core/bytes.js';
import { buildIgmp, type IgmpSpec } from '../../../src/ip/igmp-header.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { routerAlertOption } from '../../../src/ip/ipv4-options.js';
import type { UdpEndpoint } from '../../../src/udp/udp-endpoint.js';
import { A, onesSum, text, twoHosts, utf8, type Host } from './fixture.js';

const GROUP = parseIPv4('239.1.2.3')!;
const GROUP2 = parseIPv4('239.9.9.9')!;
const ALL_HOSTS = parseIPv4('224.0.0.1')!;

// IGMP datagrams from 192.0.2.2, as Linux sends them: IHL 6 with Router Alert
// (94 04 00 00), TOS 0xc0, ID 0, DF, TTL 1, protocol 2. Checksums worked out
// independently (python, RFC 1071) and the join checked with tshark.
const IP_TO_V3_ROUTERS = '46c00028' + '0000' + '4000' + '0102' + '41f7' + 'c0000202' + 'e0000016' + '94040000';
const V3_JOIN = IP_TO_V3_ROUTERS + '2200e8f9' + '00000001' + '04000000' + 'ef010203'; // CHANGE_TO_EXCLUDE {}
const V3_LEAVE = IP_TO_V3_ROUTERS + '2200e9f9' + '00000001' + '03000000' + 'ef010203'; // CHANGE_TO_INCLUDE {}
const V3_IS_EX = IP_TO_V3_ROUTERS + '2200eaf9' + '00000001' + '02000000' + 'ef010203'; // MODE_IS_EXCLUDE {}
const V2_REPORT = '46c00020' + '0000' + '4000' + '0102' + '3111' + 'c0000202' + 'ef010203' + '94040000' + '1600f8fa' + 'ef010203';
const V2_LEAVE = '46c00020' + '0000' + '4000' + '0102' + '4213' + 'c0000202' + 'e0000002' + '94040000' + '1700f7fa' + 'ef010203';

/** IGMP frames `h` sent, as hex, with their send times. */
function igmpSent(h: Host): { at: number; hex: string }[] {
  return h.rec.sent.filter((s) => s.frame[9] === 2).map((s) => ({ at: s.at, hex: toHex(s.frame) }));
}

/** A query from the router 192.0.2.1, delivered to `h` as if from the wire. */
function query(h: Host, spec: IgmpSpec, dst = ALL_HOSTS): void {
  const dgram = buildIpv4({ src: A, dst, protocol: 2, ttl: 1, tos: 0xc0, options: routerAlertOption() }, buildIgmp(spec));
  h.stack.ip.receiveIp(h.iface, dgram);
}

function drain(ep: UdpEndpoint): string[] {
  const out: string[] = [];
  for (;;) {
    const r = ep.recv();
    if (r === null) return out;
    out.push(typeof r === 'string' ? r : text(r.data));
  }
}

describe('multicast delivery', () => {
  it('two endpoints of one stack joined to a group both receive a datagram from another stack', () => {
    const { clock, a, b } = twoHosts();
    const r1 = b.udp.open();
    const r2 = b.udp.open();
    for (const ep of [r1, r2]) {
      expect(ep.setOption('SO_REUSEADDR', true)).toBe('ok');
      expect(ep.bind(0, 5353)).toBe('ok');
      expect(ep.addMembership(GROUP)).toBe('ok');
    }
    // Reference counted per interface: one membership, two joins.
    expect(b.iface.ipv4Groups.get(GROUP)).toBe(2);
    const tx = a.udp.open();
    expect(tx.send(utf8('mdns'), { address: GROUP, port: 5353 })).toBe('ok');
    clock.runUntilIdle();
    const f = a.rec.frames(17)[0]!;
    // IP_MULTICAST_TTL defaults to 1; the destination is the group.
    expect(f[8]).toBe(1);
    expect(toHex(f.subarray(16, 20))).toBe('ef010203');
    expect(drain(r1)).toEqual(['mdns']);
    expect(drain(r2)).toEqual(['mdns']);
    // Only the first join was reported (twice: the robustness retransmission).
    expect(igmpSent(b).map((s) => s.hex)).toEqual([V3_JOIN, V3_JOIN]);
  });

  it('IP_MULTICAST_TTL and IP_MULTICAST_IF shape the datagram; bad values are refused', () => {
    const { clock, a } = twoHosts();
    const tx = a.udp.open();
    expect(tx.setOption('IP_MULTICAST_TTL', 5)).toBe('ok');
    expect(tx.setOption('IP_MULTICAST_TTL', 256)).toBe('EINVAL');
    expect(tx.setOption('IP_MULTICAST_IF', { ifindex: 7, address: 0 })).toBe('EADDRNOTAVAIL');
    expect(tx.setOption('IP_MULTICAST_IF', { ifindex: 0, address: parseIPv4('10.9.9.9')! })).toBe('EADDRNOTAVAIL');
    expect(tx.setOption('IP_MULTICAST_IF', { ifindex: 0, address: A })).toBe('ok');
    expect(tx.getOption('IP_MULTICAST_IF')).toEqual({ ifindex: 1, address: A });
    expect(tx.send(utf8('x'), { address: GROUP, port: 1 })).toBe('ok');
    clock.runUntilIdle();
    const f = a.rec.frames(17)[0]!;
    expect(f[8]).toBe(5);
    expect(toHex(f.subarray(12, 16))).toBe('c0000201');
  });

  it('IP_MULTICAST_LOOP (default on) delivers our own datagram to local members', () => {
    const { clock, a, b } = twoHosts();
    const member = b.udp.open();
    member.setOption('SO_REUSEADDR', true);
    member.bind(0, 7000);
    member.addMembership(GROUP);
    const sender = b.udp.open();
    expect(sender.getOption('IP_MULTICAST_LOOP')).toBe(true);
    sender.send(utf8('looped'), { address: GROUP, port: 7000 });
    expect(sender.setOption('IP_MULTICAST_LOOP', false)).toBe('ok');
    sender.send(utf8('not-looped'), { address: GROUP, port: 7000 });
    const remote = a.udp.open();
    remote.bind(0, 7000);
    remote.addMembership(GROUP);
    clock.runUntilIdle();
    expect(drain(member)).toEqual(['looped']);
    expect(drain(remote)).toEqual(['looped', 'not-looped']);
  });

  it('IP_MULTICAST_ALL off: only endpoints that joined the group receive it', () => {
    const { clock, a, b } = twoHosts();
    const joined = b.udp.open();
    const bystander = b.udp.open();
    for (const ep of [joined, bystander]) {
      ep.setOption('SO_REUSEADDR', true);
      ep.bind(0, 7001);
    }
    joined.addMembership(GROUP);
    a.udp.open().send(utf8('one'), { address: GROUP, port: 7001 });
    clock.runUntilIdle();
    // Linux's default (IP_MULTICAST_ALL on): the bystander receives the group too.
    expect(drain(bystander)).toEqual(['one']);
    expect(bystander.setOption('IP_MULTICAST_ALL', false)).toBe('ok');
    a.udp.open().send(utf8('two'), { address: GROUP, port: 7001 });
    clock.runUntilIdle();
    expect(drain(bystander)).toEqual([]);
    expect(drain(joined)).toEqual(['one', 'two']);
  });

  it('membership errors: EINVAL, EADDRINUSE, EADDRNOTAVAIL, ENODEV, ENOBUFS', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    expect(ep.addMembership(parseIPv4('192.0.2.9')!)).toBe('EINVAL');
    expect(ep.addMembership(GROUP, { ifindex: 9 })).toBe('ENODEV');
    expect(ep.addMembership(GROUP, { address: parseIPv4('10.0.0.1')! })).toBe('ENODEV');
    expect(ep.addMembership(GROUP, { ifindex: 1 })).toBe('ok');
    expect(ep.addMembership(GROUP)).toBe('EADDRINUSE');
    expect(ep.dropMembership(GROUP2)).toBe('EADDRNOTAVAIL');
    for (let i = 1; i < 20; i++) expect(ep.addMembership(parseIPv4(`239.0.0.${i}`)!)).toBe('ok');
    expect(ep.addMembership(parseIPv4('239.0.0.200')!)).toBe('ENOBUFS');
    ep.close();
    expect(b.iface.ipv4Groups.size).toBe(0);
  });
});

describe('IGMPv3 (RFC 3376)', () => {
  it('announces a join at once, once more within the 1 s unsolicited interval, and nothing after', () => {
    const { clock, b } = twoHosts();
    const ep = b.udp.open();
    clock.advance(5000);
    expect(ep.addMembership(GROUP)).toBe('ok');
    clock.runUntilIdle();
    const sent = igmpSent(b);
    expect(sent.map((s) => s.hex)).toEqual([V3_JOIN, V3_JOIN]);
    expect(sent[0]!.at).toBe(5000);
    expect(sent[1]!.at).toBeGreaterThan(5000);
    expect(sent[1]!.at).toBeLessThan(5000 + 1_000_000);
    for (const s of b.rec.frames(2)) {
      expect(onesSum(s.subarray(0, 24))).toBe(0xffff);
      expect(onesSum(s.subarray(24))).toBe(0xffff);
    }
    expect(b.igmp.stats.v3ReportsSent).toBe(2);
  });

  it('announces the last leave with CHANGE_TO_INCLUDE {}, and stops receiving the group', () => {
    const { clock, a, b } = twoHosts();
    const e1 = b.udp.open();
    const e2 = b.udp.open();
    for (const ep of [e1, e2]) {
      ep.setOption('SO_REUSEADDR', true);
      ep.bind(0, 6000);
      ep.addMembership(GROUP);
    }
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    expect(e1.dropMembership(GROUP)).toBe('ok');
    clock.runUntilIdle();
    expect(igmpSent(b)).toEqual([]);
    e2.close();
    clock.runUntilIdle();
    expect(igmpSent(b).map((s) => s.hex)).toEqual([V3_LEAVE, V3_LEAVE]);
    expect(b.iface.ipv4Groups.has(GROUP)).toBe(false);
    a.udp.open().send(utf8('late'), { address: GROUP, port: 6000 });
    clock.runUntilIdle();
    expect(b.stack.dropReasons()).toMatchObject({ 'ipv4:multicast-not-joined': 1 });
  });

  it('answers a general query after a random delay below Max Resp Time with the current state', () => {
    const { clock, b } = twoHosts();
    const ep = b.udp.open();
    ep.addMembership(GROUP);
    ep.addMembership(GROUP2);
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    const t0 = clock.now();
    query(b, { kind: 'query', maxRespCode: 100, group: 0, v3: { qrv: 2, qqic: 125 } });
    // A second general query does not schedule a second answer (RFC 3376 §5.2 rule 1).
    query(b, { kind: 'query', maxRespCode: 100, group: 0, v3: { qrv: 2, qqic: 125 } });
    clock.runUntilIdle();
    const sent = igmpSent(b);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at - t0).toBeLessThan(10_000_000);
    // One report, two MODE_IS_EXCLUDE {} records.
    const f = b.rec.frames(2)[0]!;
    expect(toHex(f.subarray(24))).toBe('2200' + toHex(f.subarray(26, 28)) + '00000002' + '02000000ef010203' + '02000000ef090909');
    expect(onesSum(f.subarray(24))).toBe(0xffff);
  });

  it('answers a group-specific query with MODE_IS_EXCLUDE for that group only', () => {
    const { clock, b } = twoHosts();
    const ep = b.udp.open();
    ep.addMembership(GROUP);
    ep.addMembership(GROUP2);
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    const t0 = clock.now();
    query(b, { kind: 'query', maxRespCode: 10, group: GROUP, v3: { qrv: 2 } }, GROUP);
    // Not a member: ignored.
    query(b, { kind: 'query', maxRespCode: 10, group: parseIPv4('239.5.5.5')!, v3: {} }, parseIPv4('239.5.5.5')!);
    clock.runUntilIdle();
    const sent = igmpSent(b);
    expect(sent.map((s) => s.hex)).toEqual([V3_IS_EX]);
    expect(sent[0]!.at - t0).toBeLessThan(1_000_000);
  });

  it('ignores a general query not sent to 224.0.0.1 and a malformed one', () => {
    const { clock, b } = twoHosts();
    b.udp.open().addMembership(GROUP);
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    query(b, { kind: 'query', maxRespCode: 10, group: 0, v3: {} }, GROUP);
    const bad = buildIgmp({ kind: 'query', maxRespCode: 10, group: 0, v3: {} });
    bad[4] ^= 1; // checksum now wrong
    b.stack.ip.receiveIp(b.iface, buildIpv4({ src: A, dst: ALL_HOSTS, protocol: 2, ttl: 1 }, bad));
    clock.runUntilIdle();
    expect(igmpSent(b)).toEqual([]);
    expect(b.igmp.stats.inErrors).toBe(2);
  });
});

describe('IGMPv2 compatibility (RFC 2236, RFC 3376 §7)', () => {
  it('falls back to v2 on a v2 query: v2 report to the group, v2 leave to 224.0.0.2', () => {
    const { clock, b } = twoHosts();
    const ep = b.udp.open();
    ep.addMembership(GROUP);
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    const t0 = clock.now();
    // An 8-byte query with a non-zero Max Resp Time is IGMPv2 (RFC 3376 §7.1).
    query(b, { kind: 'query', maxRespCode: 50, group: 0 });
    expect(b.igmp.version(1)).toBe(2);
    clock.runUntilIdle();
    const sent = igmpSent(b);
    expect(sent.map((s) => s.hex)).toEqual([V2_REPORT]);
    expect(sent[0]!.at - t0).toBeLessThan(5_000_000);
    ep.dropMembership(GROUP);
    clock.runUntilIdle();
    expect(igmpSent(b).map((s) => s.hex)).toEqual([V2_REPORT, V2_LEAVE]);
  });

  it('suppresses its report when another member answers first', () => {
    const { clock, b } = twoHosts();
    b.udp.open().addMembership(GROUP);
    clock.runUntilIdle();
    query(b, { kind: 'query', maxRespCode: 100, group: 0 });
    b.rec.sent.length = 0;
    // Another host's v2 report for the group, sent to the group.
    const other = parseIPv4('192.0.2.7')!;
    b.stack.ip.receiveIp(b.iface, buildIpv4({ src: other, dst: GROUP, protocol: 2, ttl: 1 }, buildIgmp({ kind: 'v2-report', group: GROUP })));
    clock.runUntilIdle();
    expect(igmpSent(b)).toEqual([]);
    expect(b.igmp.stats.reportsReceived).toBe(1);
  });

  it('returns to v3 once the Older Version Querier Present Timeout has passed', () => {
    const { clock, b } = twoHosts();
    const ep = b.udp.open();
    query(b, { kind: 'query', maxRespCode: 100, group: 0 });
    expect(b.igmp.version(1)).toBe(2);
    // Robustness 2 x 125 s + 10 s (RFC 3376 §8.12).
    clock.advance(260_000_000);
    expect(b.igmp.version(1)).toBe(3);
    ep.addMembership(GROUP);
    clock.runUntilIdle();
    expect(igmpSent(b).map((s) => s.hex)).toEqual([V3_JOIN, V3_JOIN]);
  });

  it('joins with v2 reports, unsolicited, when forced to version 2', () => {
    const { clock, b } = twoHosts({ igmp: { forceVersion: 2 } });
    b.udp.open().addMembership(GROUP);
    clock.runUntilIdle();
    const sent = igmpSent(b);
    expect(sent.map((s) => s.hex)).toEqual([V2_REPORT, V2_REPORT]);
    // RFC 2236 §8.10: the repetition comes within the 10 s Unsolicited Report Interval.
    expect(sent[1]!.at - sent[0]!.at).toBeLessThan(10_000_000);
  });

  it('announces nothing once closed (stack shutdown), yet releases the memberships', () => {
    const { clock, b } = twoHosts({ igmp: { forceVersion: 2 } });
    const ep = b.udp.open();
    ep.addMembership(GROUP);
    clock.runUntilIdle();
    b.rec.sent.length = 0;
    // The order Stack.close() uses: IGMP first, then the endpoints.
    b.igmp.close();
    b.udp.close();
    clock.runUntilIdle();
    expect(igmpSent(b)).toEqual([]);
    expect(ep.closed).toBe(true);
    expect(b.iface.ipv4Groups.size).toBe(0);
  });
});
