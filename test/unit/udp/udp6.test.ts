import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { buildUdp } from '../../../src/udp/header.js';
import type { ReceivedDatagram, UdpEndpoint } from '../../../src/udp/udp-endpoint.js';
import { Recorder, text, utf8 } from './fixture.js';

const A6 = parseIPv6('2001:db8::1')!;
const B6 = parseIPv6('2001:db8::2')!;
const A4 = parseIPv4('192.0.2.1')!;
const B4 = parseIPv4('192.0.2.2')!;
const GROUP = parseIPv6('ff12::1234')!;

/** Two dual-stack stacks on an in-memory IP link: a = 192.0.2.1 / 2001:db8::1, b = .2 / ::2. */
function dualHosts(mtu = 1500) {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: 100, mtu });
  const make = (link: typeof la, seed: number, id: string, v4: string, v6: string) => {
    const rec = new Recorder(link, clock);
    const stack = new Stack({ clock, seed, id });
    const iface = stack.addInterface(rec, {
      ipv4: [v4],
      ipv6: [v6],
      ipv6Config: { routerSolicitations: 0, mldReports: false, linkLocal: false },
    });
    return { stack, iface, rec, udp: stack.udp };
  };
  const a = make(la, 1, 'a', '192.0.2.1/24', '2001:db8::1/64');
  const b = make(lb, 2, 'b', '192.0.2.2/24', '2001:db8::2/64');
  clock.runUntilIdle();
  a.rec.sent.length = 0;
  b.rec.sent.length = 0;
  return { clock, a, b };
}
type Host = ReturnType<typeof dualHosts>['a'];

/** IPv6 frames carrying `nextHeader` that host `h` sent. */
function v6Frames(h: Host, nextHeader: number): Uint8Array[] {
  return h.rec.sent.map((s) => s.frame).filter((f) => f[0]! >>> 4 === 6 && f[6] === nextHeader);
}

function v4Frames(h: Host, protocol: number): Uint8Array[] {
  return h.rec.sent.map((s) => s.frame).filter((f) => f[0]! >>> 4 === 4 && f[9] === protocol);
}

function received(ep: UdpEndpoint): ReceivedDatagram {
  const r = ep.recv();
  if (r === null || typeof r === 'string') throw new Error(`expected a datagram, got ${String(r)}`);
  return r;
}

/** An IPv6 datagram injected into h as if it arrived from `src`. */
function inject6(h: Host, src: Uint8Array, dst: Uint8Array, udp: Uint8Array): void {
  const p = new Uint8Array(40 + udp.length);
  p[0] = 0x60;
  p[4] = udp.length >> 8;
  p[5] = udp.length & 0xff;
  p[6] = 17;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(udp, 40);
  h.stack.ip.receiveIp(h.iface, p);
}

describe('UDP over IPv6: output and input', () => {
  it('sends the exact datagram with the v6 pseudo-header checksum and the peer reads it', () => {
    const { clock, a, b } = dualHosts();
    const rx = b.udp.open(6);
    expect(rx.bind(new Uint8Array(16), 53)).toBe('ok');
    const tx = a.udp.open(6);
    expect(tx.bind(A6, 5000)).toBe('ok');
    expect(tx.send(utf8('hello'), { address: B6, port: 53 })).toBe('ok');
    clock.runUntilIdle();

    const frames = v6Frames(a, 17);
    expect(frames).toHaveLength(1);
    const f = frames[0]!;
    // Payload length 13, next header 17, hop limit 64, 2001:db8::1 -> ::2.
    expect(toHex(f.subarray(4, 8))).toBe('000d1140');
    expect(toHex(f.subarray(8, 40))).toBe(toHex(A6) + toHex(B6));
    // UDP 5000 -> 53, length 13, checksum 0x4cd0 (python over the RFC 8200 §8.1 pseudo-header).
    expect(toHex(f.subarray(40))).toBe('13880035000d4cd068656c6c6f');

    const d = received(rx);
    expect(text(d.data)).toBe('hello');
    expect(formatIPv6(d.srcAddress as Uint8Array)).toBe('2001:db8::1');
    expect(d.srcPort).toBe(5000);
    expect(formatIPv6(d.dstAddress as Uint8Array)).toBe('2001:db8::2');
    expect(a.stack.ctx.counters.Udp6OutDatagrams).toBe(1);
    expect(a.stack.ctx.counters.UdpOutDatagrams).toBe(0);
    expect(b.stack.ctx.counters.Udp6InDatagrams).toBe(1);
    expect(b.stack.ctx.counters.UdpInDatagrams).toBe(0);
  });

  it('counts a zero checksum (mandatory over IPv6) and a wrong one as Udp6InCsumErrors', () => {
    const { clock, b } = dualHosts();
    const rx = b.udp.open(6);
    expect(rx.bind(B6, 53)).toBe('ok');
    inject6(b, A6, B6, buildUdp({ srcPort: 5000, dstPort: 53, payload: utf8('x'), checksum: 0 }));
    inject6(b, A6, B6, buildUdp({ srcPort: 5000, dstPort: 53, payload: utf8('x'), checksum: 0x1234 }));
    inject6(b, A6, B6, fromHex('13880035000d4cd068656c6c6f'));
    clock.runUntilIdle();
    const c = b.stack.ctx.counters;
    expect(c.Udp6InCsumErrors).toBe(2);
    expect(c.Udp6InErrors).toBe(2);
    expect(c.UdpInCsumErrors).toBe(0);
    expect(text(received(rx).data)).toBe('hello');
    expect(rx.recv()).toBeNull();
  });

  it('answers an unbound port with ICMPv6 port unreachable quoting the datagram', () => {
    const { clock, b } = dualHosts();
    const udp = fromHex('13880035000d4cd068656c6c6f');
    inject6(b, A6, B6, udp);
    clock.runUntilIdle();
    expect(b.stack.ctx.counters.Udp6NoPorts).toBe(1);
    expect(b.stack.ctx.counters.UdpNoPorts).toBe(0);
    const icmp = v6Frames(b, 58);
    expect(icmp).toHaveLength(1);
    const f = icmp[0]!;
    expect(toHex(f.subarray(24, 40))).toBe(toHex(A6));
    // Type 1 (destination unreachable), code 4 (port unreachable), then the original packet.
    expect(f[40]).toBe(1);
    expect(f[41]).toBe(4);
    expect(toHex(f.subarray(48 + 40))).toBe(toHex(udp));
  });

  it('a connected endpoint learns ECONNREFUSED from the peer port unreachable', () => {
    const { clock, a } = dualHosts();
    const tx = a.udp.open(6);
    expect(tx.connect(B6, 9)).toBe('ok');
    expect(formatIPv6(tx.localAddress as Uint8Array)).toBe('2001:db8::1');
    expect(tx.send(utf8('x'))).toBe('ok');
    clock.runUntilIdle();
    expect(tx.recv()).toBe('ECONNREFUSED');
  });

  it('fragments a datagram over the path MTU at the source; the peer reassembles it', () => {
    const { clock, a, b } = dualHosts(1280);
    const rx = b.udp.open(6);
    expect(rx.bind(B6, 7)).toBe('ok');
    const tx = a.udp.open(6);
    const payload = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    expect(tx.send(payload, { address: B6, port: 7 })).toBe('ok');
    clock.runUntilIdle();
    const frags = v6Frames(a, 44);
    expect(frags.length).toBe(3);
    for (const f of frags) expect(f.length).toBeLessThanOrEqual(1280);
    expect(toHex(received(rx).data)).toBe(toHex(payload));
    // IP_MTU_DISCOVER 'do' stands in for IPV6_DONTFRAG: too big is refused.
    expect(tx.setOption('IP_MTU_DISCOVER', 'do')).toBe('ok');
    expect(tx.send(payload, { address: B6, port: 7 })).toBe('EMSGSIZE');
    expect(tx.send(new Uint8Array(65528), { address: B6, port: 7 })).toBe('EMSGSIZE');
  });
});

describe('UDP over IPv6: dual-stack endpoints', () => {
  it('an AF_INET6 wildcard endpoint takes IPv4 as ::ffff:a.b.c.d and answers over IPv4', () => {
    const { clock, a, b } = dualHosts();
    const rx = b.udp.open(6);
    expect(rx.bind(new Uint8Array(16), 53)).toBe('ok');
    const tx = a.udp.open(4);
    expect(tx.bind(A4, 5000)).toBe('ok');
    expect(tx.send(utf8('v4'), { address: B4, port: 53 })).toBe('ok');
    clock.runUntilIdle();
    const d = received(rx);
    expect(formatIPv6(d.srcAddress as Uint8Array)).toBe('::ffff:192.0.2.1');
    expect(formatIPv6(d.dstAddress as Uint8Array)).toBe('::ffff:192.0.2.2');
    expect(b.stack.ctx.counters.UdpInDatagrams).toBe(1);
    expect(b.stack.ctx.counters.Udp6InDatagrams).toBe(0);

    expect(rx.send(utf8('back'), { address: d.srcAddress, port: d.srcPort })).toBe('ok');
    clock.runUntilIdle();
    const out = v4Frames(b, 17);
    expect(out).toHaveLength(1);
    expect(b.stack.ctx.counters.UdpOutDatagrams).toBe(1);
    const back = received(tx);
    expect(back.srcAddress).toBe(B4);
    expect(text(back.data)).toBe('back');
  });

  it('IPV6_V6ONLY refuses IPv4: port unreachable, no v4-mapped send, set only before bind', () => {
    const { clock, a, b } = dualHosts();
    const rx = b.udp.open(6);
    expect(rx.setOption('IPV6_V6ONLY', true)).toBe('ok');
    expect(rx.getOption('IPV6_V6ONLY')).toBe(true);
    expect(rx.bind(new Uint8Array(16), 53)).toBe('ok');
    expect(rx.setOption('IPV6_V6ONLY', false)).toBe('EINVAL');
    const tx = a.udp.open(4);
    expect(tx.send(utf8('v4'), { address: B4, port: 53 })).toBe('ok');
    clock.runUntilIdle();
    expect(rx.recv()).toBeNull();
    expect(b.stack.ctx.counters.UdpNoPorts).toBe(1);
    expect(v4Frames(b, 1)).toHaveLength(1);
    expect(rx.send(utf8('x'), { address: parseIPv6('::ffff:192.0.2.1')!, port: 9 })).toBe('ENETUNREACH');
    expect(rx.send(utf8('x'), { address: A4, port: 9 })).toBe('ENETUNREACH');
    const v6only = b.udp.open(6);
    expect(v6only.setOption('IPV6_V6ONLY', true)).toBe('ok');
    expect(v6only.bind(parseIPv6('::ffff:192.0.2.2')!, 0)).toBe('EINVAL');
  });

  it('ports: a dual-stack :: clashes with 0.0.0.0, a V6ONLY one does not; IPv4 endpoints win IPv4 lookups', () => {
    const { b } = dualHosts();
    const v4 = b.udp.open(4);
    expect(v4.bind(0, 53)).toBe('ok');
    const dual = b.udp.open(6);
    expect(dual.bind(new Uint8Array(16), 53)).toBe('EADDRINUSE');
    const only = b.udp.open(6);
    expect(only.setOption('IPV6_V6ONLY', true)).toBe('ok');
    expect(only.bind(new Uint8Array(16), 53)).toBe('ok');
    // Both with SO_REUSEADDR: the IPv4 endpoint scores 2, the dual-stack one 1.
    const r4 = b.udp.open(4);
    const r6 = b.udp.open(6);
    expect(r4.setOption('SO_REUSEADDR', true)).toBe('ok');
    expect(r6.setOption('SO_REUSEADDR', true)).toBe('ok');
    expect(r6.bind(new Uint8Array(16), 54)).toBe('ok');
    expect(r4.bind(0, 54)).toBe('ok');
    expect(b.udp.table.lookup(A4, 1, B4, 54, 1)).toBe(r4);
    expect(b.udp.table.lookup(A6, 1, B6, 54, 1)).toBe(r6);
  });

  it('binds a v4-mapped address (IPv4 only) and connects to a v4-mapped peer', () => {
    const { clock, a, b } = dualHosts();
    const rx = a.udp.open(4);
    expect(rx.bind(A4, 7)).toBe('ok');
    const ep = b.udp.open(6);
    expect(ep.bind(parseIPv6('::ffff:192.0.2.2')!, 0)).toBe('ok');
    expect(ep.connect(A4, 7)).toBe('ok');
    expect(formatIPv6(ep.remoteAddress as Uint8Array)).toBe('::ffff:192.0.2.1');
    expect(ep.send(utf8('m'))).toBe('ok');
    expect(ep.send(utf8('m'), { address: A6, port: 7 })).toBe('ENETUNREACH');
    expect(ep.connect(A6, 7)).toBe('EAFNOSUPPORT');
    clock.runUntilIdle();
    expect(received(rx).srcPort).toBe(ep.localPort);
    // An IPv4 datagram reaches the mapped binding.
    b.stack.ip.receiveIp(b.iface, buildIpv4({ src: A4, dst: B4, protocol: 17 }, buildUdp({ srcPort: 7, dstPort: ep.localPort, payload: utf8('r') }, A4, B4)));
    expect(text(received(ep).data)).toBe('r');
  });
});

describe('UDP over IPv6: options and multicast', () => {
  it('IPV6_UNICAST_HOPS, IPV6_TCLASS and IPV6_MULTICAST_HOPS set the header fields', () => {
    const { clock, a } = dualHosts();
    const tx = a.udp.open(6);
    expect(tx.setOption('IPV6_UNICAST_HOPS', 7)).toBe('ok');
    expect(tx.setOption('IPV6_TCLASS', 0xb8)).toBe('ok');
    expect(tx.setOption('IPV6_UNICAST_HOPS', 256)).toBe('EINVAL');
    expect(tx.getOption('IPV6_UNICAST_HOPS')).toBe(7);
    expect(tx.send(utf8('u'), { address: B6, port: 9 })).toBe('ok');
    expect(tx.send(utf8('m'), { address: GROUP, port: 9 })).toBe('ok');
    expect(tx.setOption('IPV6_MULTICAST_HOPS', 5)).toBe('ok');
    expect(tx.send(utf8('m'), { address: GROUP, port: 9 })).toBe('ok');
    clock.runUntilIdle();
    const f = v6Frames(a, 17);
    expect(f).toHaveLength(3);
    // Version 6, traffic class 0xb8 across the first two bytes; hop limits 7, 1 (multicast default), 5.
    expect(f[0]![0]).toBe(0x6b);
    expect(f[0]![1]! >>> 4).toBe(0x8);
    expect(f.map((x) => x[7])).toEqual([7, 1, 5]);
    const v4 = a.udp.open(4);
    expect(v4.setOption('IPV6_TCLASS', 1)).toBe('ENOPROTOOPT');
  });

  it('IPV6_JOIN_GROUP delivers the group, IPV6_LEAVE_GROUP stops it, errors as Linux', () => {
    const { clock, a, b } = dualHosts();
    const rx = b.udp.open(6);
    expect(rx.bind(new Uint8Array(16), 4000)).toBe('ok');
    expect(rx.joinGroup6(B6, 1)).toBe('EINVAL');
    expect(rx.joinGroup6(GROUP, 99)).toBe('ENODEV');
    expect(rx.joinGroup6(GROUP, b.iface.index)).toBe('ok');
    expect(rx.joinGroup6(GROUP, b.iface.index)).toBe('EADDRINUSE');
    expect(b.iface.v6!.mld.has(GROUP)).toBe(true);
    const tx = a.udp.open(6);
    expect(tx.setOption('IPV6_MULTICAST_IF', a.iface.index)).toBe('ok');
    expect(tx.setOption('IPV6_MULTICAST_IF', 99)).toBe('ENODEV');
    expect(tx.send(utf8('g1'), { address: GROUP, port: 4000 })).toBe('ok');
    clock.runUntilIdle();
    expect(text(received(rx).data)).toBe('g1');
    expect(rx.leaveGroup6(GROUP, b.iface.index)).toBe('ok');
    expect(rx.leaveGroup6(GROUP, b.iface.index)).toBe('EADDRNOTAVAIL');
    expect(b.iface.v6!.mld.has(GROUP)).toBe(false);
    expect(tx.send(utf8('g2'), { address: GROUP, port: 4000 })).toBe('ok');
    clock.runUntilIdle();
    expect(rx.recv()).toBeNull();
  });

  it('loops our own multicast back to a local member unless IPV6_MULTICAST_LOOP is off', () => {
    const { clock, a } = dualHosts();
    const rx = a.udp.open(6);
    expect(rx.bind(new Uint8Array(16), 4001)).toBe('ok');
    expect(rx.joinGroup6(GROUP, a.iface.index)).toBe('ok');
    const tx = a.udp.open(6);
    expect(tx.send(utf8('loop'), { address: GROUP, port: 4001 })).toBe('ok');
    clock.runUntilIdle();
    expect(text(received(rx).data)).toBe('loop');
    expect(tx.setOption('IPV6_MULTICAST_LOOP', false)).toBe('ok');
    expect(tx.send(utf8('no'), { address: GROUP, port: 4001 })).toBe('ok');
    clock.runUntilIdle();
    expect(rx.recv()).toBeNull();
    rx.close();
    expect(a.iface.v6!.mld.has(GROUP)).toBe(false);
  });
});
