import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../src/core/clock.js';
import { ERRNO } from '../../../../src/core/errno.js';
import type { Link } from '../../../../src/link/link.js';
import { createMemoryPair } from '../../../../src/link/memory-link.js';
import {
  AF_INET, AF_INET6, IPPROTO_ICMP, IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, IPV6_MTU, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP,
  IPV6_TCLASS, IPV6_UNICAST_HOPS, IPV6_V6ONLY, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_IPV6,
} from '../../../../src/socket/bsd/constants.js';
import { createBsdSockets } from '../../../../src/socket/bsd/index.js';
import type { SockAddr, SockAddrOut } from '../../../../src/socket/bsd/types.js';
import { Stack } from '../../../../src/stack.js';
import { dec, enc, inet } from './fixture.js';

const E = ERRNO;

function inet6(address: string, port: number): SockAddr {
  return { family: AF_INET6, address, port };
}

/** Two dual-stack stacks (192.0.2.1 / 2001:db8::1 and .2 / ::2) on a memory wire, each with the facade; frames b sends recorded. */
function pair6() {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: 100 });
  const sentByB: Uint8Array[] = [];
  const tapB: Link = Object.assign(Object.create(lb) as Link, {
    send: (f: Uint8Array) => {
      sentByB.push(f.slice());
      lb.send(f);
    },
    setReceiver: (r: Parameters<Link['setReceiver']>[0]) => lb.setReceiver(r),
  });
  const cfg = { routerSolicitations: 0, mldReports: false, linkLocal: false };
  const a = new Stack({ clock, seed: 11, id: 'a' });
  const b = new Stack({ clock, seed: 21, id: 'b' });
  a.addInterface(la, { ipv4: ['192.0.2.1/24'], ipv6: ['2001:db8::1/64'], ipv6Config: cfg });
  b.addInterface(tapB, { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'], ipv6Config: cfg });
  clock.runUntilIdle();
  sentByB.length = 0;
  return { clock, a, b, sa: createBsdSockets(a), sb: createBsdSockets(b), sentByB };
}

describe('AF_INET6 SOCK_DGRAM', () => {
  it('sendto / recvfrom over IPv6 with sockaddr_in6 names; getsockname after connect', () => {
    const { clock, sa, sb } = pair6();
    const srv = sb.sys.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(srv).toBeGreaterThan(0);
    expect(sb.sys.bind(srv, inet6('::', 5353))).toBe(0);
    expect(sb.sys.getsockname(srv)).toEqual(inet6('::', 5353));
    const cli = sa.sys.socket(AF_INET6, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(cli, enc('over v6'), 0, inet6('2001:db8::2', 5353))).toBe(7);
    clock.advance(1_000);
    const buf = new Uint8Array(64);
    const from: SockAddrOut = {};
    expect(sb.sys.recvfrom(srv, buf, 0, from)).toBe(7);
    expect(dec(buf.subarray(0, 7))).toBe('over v6');
    const cliName = sa.sys.getsockname(cli) as SockAddr;
    expect(from.addr).toEqual(inet6('2001:db8::1', cliName.port));
    // connect fixes the source address.
    const c2 = sa.sys.socket(AF_INET6, SOCK_DGRAM, 0);
    expect(sa.sys.connect(c2, inet6('2001:db8::2', 5353))).toBe(0);
    expect((sa.sys.getsockname(c2) as SockAddr).address).toBe('2001:db8::1');
    expect(sa.sys.getpeername(c2)).toEqual(inet6('2001:db8::2', 5353));
    expect(sa.sys.getsockopt(c2, SOL_IPV6, IPV6_MTU)).toEqual({ value: 1500, optlen: 4 });
    expect(sa.sys.getsockopt(cli, SOL_IPV6, IPV6_MTU)).toBe(-E.ENOTCONN);
  });

  it('a dual-stack :: socket receives IPv4 as ::ffff:a.b.c.d and answers it', () => {
    const { clock, sa, sb } = pair6();
    const srv = sb.sys.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.bind(srv, inet6('::', 7))).toBe(0);
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.bind(cli, inet('192.0.2.1', 4000))).toBe(0);
    expect(sa.sys.sendto(cli, enc('ping'), 0, inet('192.0.2.2', 7))).toBe(4);
    clock.advance(1_000);
    const buf = new Uint8Array(16);
    const from: SockAddrOut = {};
    expect(sb.sys.recvfrom(srv, buf, 0, from)).toBe(4);
    expect(from.addr).toEqual(inet6('::ffff:192.0.2.1', 4000));
    expect(sb.sys.sendto(srv, enc('pong'), 0, from.addr!)).toBe(4);
    clock.advance(1_000);
    const back: SockAddrOut = {};
    expect(sa.sys.recvfrom(cli, buf, 0, back)).toBe(4);
    expect(back.addr).toEqual(inet('192.0.2.2', 7));
  });

  it('IPV6_V6ONLY: refused before bind only, v4-mapped sends fail with ENETUNREACH, IPv4 draws port unreachable', () => {
    const { clock, sa, sb, sentByB } = pair6();
    const srv = sb.sys.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.getsockopt(srv, SOL_IPV6, IPV6_V6ONLY)).toEqual({ value: 0, optlen: 4 });
    expect(sb.sys.setsockopt(srv, SOL_IPV6, IPV6_V6ONLY, 1)).toBe(0);
    expect(sb.sys.getsockopt(srv, SOL_IPV6, IPV6_V6ONLY)).toEqual({ value: 1, optlen: 4 });
    expect(sb.sys.bind(srv, inet6('::', 7))).toBe(0);
    expect(sb.sys.setsockopt(srv, SOL_IPV6, IPV6_V6ONLY, 0)).toBe(-E.EINVAL);
    expect(sb.sys.sendto(srv, enc('x'), 0, inet6('::ffff:192.0.2.1', 9))).toBe(-E.ENETUNREACH);
    // An IPv4 socket may take the same port now: the V6ONLY one does not hold it for IPv4.
    const v4 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sb.sys.bind(v4, inet('0.0.0.0', 7))).toBe(0);
    sb.sys.close(v4);
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(cli, enc('v4'), 0, inet('192.0.2.2', 7))).toBe(2);
    clock.advance(1_000);
    expect(sb.sys.recv(srv, new Uint8Array(8))).toBe(-E.EAGAIN);
    // ICMP destination unreachable (type 3), port unreachable (code 3).
    const icmp = sentByB.filter((f) => f[0]! >>> 4 === 4 && f[9] === IPPROTO_ICMP);
    expect(icmp).toHaveLength(1);
    expect([icmp[0]![20], icmp[0]![21]]).toEqual([3, 3]);
  });

  it('a dual-stack :: socket holds the port for IPv4 too (EADDRINUSE), and ping sockets stay AF_INET', () => {
    const { sb } = pair6();
    const s6 = sb.sys.socket(AF_INET6, SOCK_DGRAM, 0);
    expect(sb.sys.bind(s6, inet6('::', 53))).toBe(0);
    const s4 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sb.sys.bind(s4, inet('0.0.0.0', 53))).toBe(-E.EADDRINUSE);
    expect(sb.sys.socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMP)).toBe(-E.EAFNOSUPPORT);
  });

  it('hop limits, traffic class and multicast options: ranges, read-back, the wire', () => {
    const { clock, sb, sentByB } = pair6();
    const s = sb.sys.socket(AF_INET6, SOCK_DGRAM, 0);
    expect(sb.sys.getsockopt(s, SOL_IPV6, IPV6_UNICAST_HOPS)).toEqual({ value: 64, optlen: 4 });
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_UNICAST_HOPS, 256)).toBe(-E.EINVAL);
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_UNICAST_HOPS, -2)).toBe(-E.EINVAL);
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_UNICAST_HOPS, 9)).toBe(0);
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_TCLASS, 0x28)).toBe(0);
    expect(sb.sys.getsockopt(s, SOL_IPV6, IPV6_TCLASS)).toEqual({ value: 0x28, optlen: 4 });
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_MULTICAST_HOPS, 3)).toBe(0);
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_MULTICAST_LOOP, 2)).toBe(-E.EINVAL);
    expect(sb.sys.setsockopt(s, SOL_IPV6, IPV6_MULTICAST_LOOP, 0)).toBe(0);
    expect(sb.sys.getsockopt(s, SOL_IPV6, IPV6_MULTICAST_LOOP)).toEqual({ value: 0, optlen: 4 });
    expect(sb.sys.sendto(s, enc('u'), 0, inet6('2001:db8::1', 9))).toBe(1);
    expect(sb.sys.sendto(s, enc('m'), 0, inet6('ff12::9', 9))).toBe(1);
    clock.advance(1_000);
    const udp = sentByB.filter((f) => f[0]! >>> 4 === 6 && f[6] === 17);
    expect(udp).toHaveLength(2);
    // Traffic class 0x28 sits across the version and flow-label nibbles.
    expect([udp[0]![0], udp[0]![1]! >>> 4, udp[0]![7]]).toEqual([0x62, 0x8, 9]);
    expect(udp[1]![7]).toBe(3);
    // SOL_IPV6 does not exist on an AF_INET socket.
    const v4 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sb.sys.setsockopt(v4, SOL_IPV6, IPV6_V6ONLY, 1)).toBe(-E.ENOPROTOOPT);
    expect(sb.sys.getsockopt(v4, SOL_IPV6, IPV6_TCLASS)).toBe(-E.ENOPROTOOPT);
  });

  it('IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP with struct ipv6_mreq', () => {
    const { clock, a, sa, sb } = pair6();
    const rx = sb.sys.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.bind(rx, inet6('::', 4242))).toBe(0);
    const mreq = { ipv6mr_multiaddr: 'ff12::4242', ipv6mr_interface: 1 };
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_JOIN_GROUP, mreq, 19)).toBe(-E.EINVAL);
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_JOIN_GROUP, { ipv6mr_multiaddr: '2001:db8::2', ipv6mr_interface: 1 }, 20)).toBe(-E.EINVAL);
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_JOIN_GROUP, mreq, 20)).toBe(0);
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_JOIN_GROUP, mreq, 20)).toBe(-E.EADDRINUSE);
    const tx = sa.sys.socket(AF_INET6, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(tx, enc('grp'), 0, inet6('ff12::4242', 4242))).toBe(3);
    clock.advance(1_000);
    const buf = new Uint8Array(8);
    expect(sb.sys.recv(rx, buf)).toBe(3);
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_LEAVE_GROUP, mreq, 20)).toBe(0);
    expect(sb.sys.setsockopt(rx, SOL_IPV6, IPV6_LEAVE_GROUP, mreq, 20)).toBe(-E.EADDRNOTAVAIL);
    expect(sa.sys.sendto(tx, enc('grp'), 0, inet6('ff12::4242', 4242))).toBe(3);
    clock.advance(1_000);
    expect(sb.sys.recv(rx, buf)).toBe(-E.EAGAIN);
    expect(a.ctx.counters.Udp6OutDatagrams).toBe(2);
  });
});

describe('AF_INET6 SOCK_STREAM options', () => {
  it('IPV6_V6ONLY decides whether a :: listener takes IPv4; before bind only', async () => {
    const { clock, sa, sb } = pair6();
    const l = sb.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.setsockopt(l, SOL_IPV6, IPV6_V6ONLY, 1)).toBe(0);
    expect(sb.sys.bind(l, inet6('::', 80))).toBe(0);
    expect(sb.sys.setsockopt(l, SOL_IPV6, IPV6_V6ONLY, 0)).toBe(-E.EINVAL);
    expect(sb.sys.listen(l, 8)).toBe(0);
    // An IPv4 listener may share the port with a V6ONLY one.
    const l4 = sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.bind(l4, inet('0.0.0.0', 80))).toBe(0);
    sb.sys.close(l4);
    const c4 = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.connect(c4, inet('192.0.2.2', 80))).toBe(-E.EINPROGRESS);
    const c6 = sa.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.connect(c6, inet6('2001:db8::2', 80))).toBe(-E.EINPROGRESS);
    clock.advance(10_000);
    await Promise.resolve();
    // The IPv4 SYN met no listener: RST, ECONNREFUSED.
    expect(sa.sys.connect(c4, inet('192.0.2.2', 80))).toBe(-E.ECONNREFUSED);
    expect(sa.sys.connect(c6, inet6('2001:db8::2', 80))).toBe(0);
    const from: SockAddrOut = {};
    const s = sb.sys.accept(l, from);
    expect(s).toBeGreaterThan(0);
    expect(from.addr?.address).toBe('2001:db8::1');
    expect(sb.sys.accept(l)).toBe(-E.EAGAIN);
  });

  it('IPV6_UNICAST_HOPS and IPV6_TCLASS reach the segments of an IPv6 connection', () => {
    const { clock, sa, sb, sentByB } = pair6();
    const l = sa.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.bind(l, inet6('::', 81))).toBe(0);
    expect(sa.sys.listen(l, 8)).toBe(0);
    const c = sb.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.getsockopt(c, SOL_IPV6, IPV6_UNICAST_HOPS)).toEqual({ value: 64, optlen: 4 });
    expect(sb.sys.setsockopt(c, SOL_IPV6, IPV6_UNICAST_HOPS, 33)).toBe(0);
    expect(sb.sys.setsockopt(c, SOL_IPV6, IPV6_TCLASS, 0x20)).toBe(0);
    expect(sb.sys.setsockopt(c, SOL_IPV6, IPV6_MULTICAST_HOPS, 1)).toBe(-E.ENOPROTOOPT);
    expect(sb.sys.setsockopt(c, SOL_IPV6, IPV6_JOIN_GROUP, { ipv6mr_multiaddr: 'ff12::1' }, 20)).toBe(-E.EPROTO);
    expect(sb.sys.connect(c, inet6('2001:db8::1', 81))).toBe(-E.EINPROGRESS);
    clock.advance(10_000);
    expect(sb.sys.write(c, enc('data'))).toBe(4);
    clock.advance(10_000);
    const tcp = sentByB.filter((f) => f[0]! >>> 4 === 6 && f[6] === 6);
    const withData = tcp.filter((f) => f.length > 40 + 20 + 12);
    expect(withData.length).toBeGreaterThan(0);
    const f = withData[withData.length - 1]!;
    expect([f[0], f[1]! >>> 4, f[7]]).toEqual([0x62, 0x0, 33]);
    expect(sb.sys.getsockopt(c, SOL_IPV6, IPV6_MTU)).toEqual({ value: 1500, optlen: 4 });
  });
});
