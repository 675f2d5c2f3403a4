import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { toHex } from '../../../src/core/bytes.js';
import type { ErrnoCode } from '../../../src/core/errno.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { buildUdp } from '../../../src/udp/header.js';
import type { ReceivedDatagram, UdpEndpoint } from '../../../src/udp/udp-endpoint.js';
import { A, B, onesSum, text, twoHosts, utf8, type Host } from './fixture.js';

const BCAST = parseIPv4('192.0.2.255')!;

/** A datagram from `src` to host `h`, injected as if it arrived on h's interface. */
function inject(h: Host, spec: { src?: number; dst?: number; sport: number; dport: number; data?: string; checksum?: number; length?: number }): void {
  const src = spec.src ?? A;
  const dst = spec.dst ?? B;
  const udp = buildUdp(
    {
      srcPort: spec.sport,
      dstPort: spec.dport,
      payload: utf8(spec.data ?? 'x'),
      ...(spec.checksum !== undefined ? { checksum: spec.checksum } : {}),
      ...(spec.length !== undefined ? { length: spec.length } : {}),
    },
    src,
    dst,
  );
  h.stack.ip.receiveIp(h.iface, buildIpv4({ src, dst, protocol: 17 }, udp));
}

function received(ep: UdpEndpoint): ReceivedDatagram {
  const r = ep.recv();
  if (r === null || typeof r === 'string') throw new Error(`expected a datagram, got ${String(r)}`);
  return r;
}

function drain(ep: UdpEndpoint): string[] {
  const out: string[] = [];
  for (;;) {
    const r = ep.recv();
    if (r === null) return out;
    out.push(typeof r === 'string' ? r : text(r.data));
  }
}

describe('UDP output', () => {
  it('sends the exact datagram and the peer reads it with its addressing', () => {
    const { clock, a, b } = twoHosts();
    const rx = b.udp.open();
    expect(rx.bind(0, 53)).toBe('ok');
    const tx = a.udp.open();
    expect(tx.bind(A, 5000)).toBe('ok');
    expect(tx.send(utf8('hello'), { address: B, port: 53 })).toBe('ok');
    clock.runUntilIdle();

    const frames = a.rec.frames();
    expect(frames).toHaveLength(1);
    const f = frames[0]!;
    // IPv4: length 33, DF (Linux sets it under IP_PMTUDISC_WANT when the datagram
    // fits the path), TTL 64, protocol 17. UDP: 5000 -> 53, length 13, checksum
    // 0x2441 worked out independently (python over the pseudo-header).
    expect(toHex(f)).toBe(
      '45000021' + toHex(f.subarray(4, 6)) + '4000' + '4011' + toHex(f.subarray(10, 12)) + 'c0000201c0000202' +
        '13880035000d2441' + '68656c6c6f',
    );
    expect(onesSum(f.subarray(0, 20))).toBe(0xffff);

    const d = received(rx);
    expect(text(d.data)).toBe('hello');
    expect(d).toMatchObject({ srcAddress: A, srcPort: 5000, dstAddress: B, ifindex: 1, ttl: 64, tos: 0 });
    expect(rx.recv()).toBeNull();
    expect(a.stack.counters.UdpOutDatagrams).toBe(1);
    // Linux counts UdpInDatagrams when the application reads (udp_recvmsg).
    expect(b.stack.counters.UdpInDatagrams).toBe(1);
  });

  it('applies IP_TTL and IP_TOS, and reads them back', () => {
    const { clock, a, b } = twoHosts();
    const rx = b.udp.open();
    rx.bind(0, 9);
    const tx = a.udp.open();
    expect(tx.setOption('IP_TTL', 7)).toBe('ok');
    expect(tx.setOption('IP_TOS', 0x10)).toBe('ok');
    expect(tx.getOption('IP_TTL')).toBe(7);
    expect(tx.setOption('IP_TTL', 0)).toBe('EINVAL');
    expect(tx.setOption('IP_TTL', 256)).toBe('EINVAL');
    tx.send(utf8('t'), { address: B, port: 9 });
    expect(tx.setOption('IP_TTL', -1)).toBe('ok');
    expect(tx.getOption('IP_TTL')).toBe(64);
    clock.runUntilIdle();
    const f = a.rec.frames()[0]!;
    expect(f[1]).toBe(0x10);
    expect(f[8]).toBe(7);
    expect(received(rx)).toMatchObject({ ttl: 7, tos: 0x10 });
  });

  it('binds an ephemeral port on send and on bind(0), from the Linux range', () => {
    const { clock, a, b } = twoHosts();
    const rx = b.udp.open();
    rx.bind(0, 7);
    const tx = a.udp.open();
    expect(tx.localPort).toBe(0);
    expect(tx.send(utf8('x'), { address: B, port: 7 })).toBe('ok');
    expect(tx.localPort).toBeGreaterThanOrEqual(32768);
    expect(tx.localPort).toBeLessThanOrEqual(60999);
    const other = a.udp.open();
    expect(other.bind(0, 0)).toBe('ok');
    expect(other.localPort).not.toBe(tx.localPort);
    clock.runUntilIdle();
    expect(received(rx).srcPort).toBe(tx.localPort);
  });
});

describe('UDP errno paths', () => {
  it('EADDRINUSE for a taken port, wildcard and specific overlapping', () => {
    const { b } = twoHosts();
    const e1 = b.udp.open();
    expect(e1.bind(0, 4000)).toBe('ok');
    expect(b.udp.open().bind(0, 4000)).toBe('EADDRINUSE');
    expect(b.udp.open().bind(B, 4000)).toBe('EADDRINUSE');
    const e2 = b.udp.open();
    expect(e2.bind(B, 4001)).toBe('ok');
    expect(b.udp.open().bind(0, 4001)).toBe('EADDRINUSE');
    // Only when every binder sets SO_REUSEADDR may they share.
    const r1 = b.udp.open();
    r1.setOption('SO_REUSEADDR', true);
    expect(r1.bind(0, 4002)).toBe('ok');
    const r2 = b.udp.open();
    expect(r2.bind(0, 4002)).toBe('EADDRINUSE');
    r2.setOption('SO_REUSEADDR', true);
    expect(r2.bind(0, 4002)).toBe('ok');
  });

  it('EADDRNOTAVAIL for an address that is not ours; groups and broadcasts may be bound', () => {
    const { b } = twoHosts();
    expect(b.udp.open().bind(parseIPv4('192.0.2.99')!, 1)).toBe('EADDRNOTAVAIL');
    expect(b.udp.open().bind(parseIPv4('239.1.2.3')!, 1)).toBe('ok');
    expect(b.udp.open().bind(BCAST, 2)).toBe('ok');
    expect(b.udp.open().bind(0xffffffff, 3)).toBe('ok');
  });

  it('EINVAL for a second bind, a bad port, and sending to port 0', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    expect(ep.bind(0, 70000)).toBe('EINVAL');
    expect(ep.bind(0, 1.5)).toBe('EINVAL');
    expect(ep.bind(0, 5)).toBe('ok');
    expect(ep.bind(0, 6)).toBe('EINVAL');
    expect(ep.send(utf8('x'), { address: A, port: 0 })).toBe('EINVAL');
  });

  it('EDESTADDRREQ without a destination, EAFNOSUPPORT for IPv6, ENETUNREACH without a route, EBADF once closed', () => {
    const { a } = twoHosts();
    const ep = a.udp.open();
    expect(ep.send(utf8('x'))).toBe('EDESTADDRREQ');
    expect(ep.send(utf8('x'), { address: parseIPv6('2001:db8::2')!, port: 1 })).toBe('EAFNOSUPPORT');
    expect(ep.bind(parseIPv6('2001:db8::1')!, 1)).toBe('EAFNOSUPPORT');
    expect(ep.send(utf8('x'), { address: parseIPv4('198.51.100.1')!, port: 1 })).toBe('ENETUNREACH');
    expect(a.stack.counters.IpOutNoRoutes).toBe(1);
    expect(ep.connect(parseIPv4('198.51.100.1')!, 1)).toBe('ENETUNREACH');
    ep.close();
    expect(ep.send(utf8('x'), { address: B, port: 1 })).toBe('EBADF');
    expect(ep.bind(0, 9)).toBe('EBADF');
  });

  it('EACCES for broadcast without SO_BROADCAST (send and connect), as Linux', () => {
    const { clock, a, b } = twoHosts();
    const ep = a.udp.open();
    expect(ep.send(utf8('x'), { address: BCAST, port: 6000 })).toBe('EACCES');
    expect(ep.send(utf8('x'), { address: 0xffffffff, port: 6000 })).toBe('EACCES');
    expect(ep.connect(BCAST, 6000)).toBe('EACCES');
    expect(ep.setOption('SO_BROADCAST', true)).toBe('ok');
    expect(ep.send(utf8('x'), { address: BCAST, port: 6000 })).toBe('ok');
    clock.runUntilIdle();
    const f = a.rec.frames(17)[0]!;
    expect(toHex(f.subarray(16, 20))).toBe('c00002ff');
    // Nobody listens on b: a broadcast draws no ICMP error, only UdpIgnoredMulti.
    expect(b.stack.counters.UdpIgnoredMulti).toBe(1);
    expect(b.stack.counters.UdpNoPorts).toBe(0);
    expect(b.rec.frames()).toHaveLength(0);
  });

  it('EMSGSIZE past 65507 bytes of payload, and past the path MTU under IP_PMTUDISC_DO', () => {
    const { a } = twoHosts();
    const ep = a.udp.open();
    expect(ep.send(new Uint8Array(65508), { address: B, port: 9 })).toBe('EMSGSIZE');
    expect(ep.send(new Uint8Array(70000), { address: B, port: 9 })).toBe('EMSGSIZE');
    expect(ep.setOption('IP_MTU_DISCOVER', 'do')).toBe('ok');
    expect(ep.send(new Uint8Array(1473), { address: B, port: 9 })).toBe('EMSGSIZE');
    expect(ep.send(new Uint8Array(1472), { address: B, port: 9 })).toBe('ok');
    // To ourselves the path MTU is the loopback's.
    expect(ep.send(new Uint8Array(20000), { address: A, port: 9 })).toBe('ok');
  });

  it('ECONNREFUSED after a port unreachable, on a connected endpoint only', () => {
    const { clock, a, b } = twoHosts();
    const conn = a.udp.open();
    const errors: ErrnoCode[] = [];
    conn.listener = { error: (code) => errors.push(code) };
    expect(conn.connect(B, 9999)).toBe('ok');
    const loose = a.udp.open();
    loose.bind(0, 0);
    expect(conn.send(utf8('knock'))).toBe('ok');
    expect(loose.send(utf8('knock'), { address: B, port: 9998 })).toBe('ok');
    clock.runUntilIdle();

    expect(b.stack.counters.UdpNoPorts).toBe(2);
    expect(b.stack.counters.IcmpOutDestUnreachs).toBe(2);
    const icmp = b.rec.frames(1);
    expect(icmp).toHaveLength(2);
    expect(toHex(icmp[0]!.subarray(20, 22))).toBe('0303'); // type 3 code 3
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(conn.pendingError).toBe('ECONNREFUSED');
    expect(loose.pendingError).toBeNull();
    // Reported once by the next call, then cleared.
    expect(conn.send(utf8('again'))).toBe('ECONNREFUSED');
    expect(conn.send(utf8('again'))).toBe('ok');
    clock.runUntilIdle();
    expect(conn.recv()).toBe('ECONNREFUSED');
    expect(conn.recv()).toBeNull();
    expect(conn.takeError()).toBeNull();
  });
});

describe('UDP demultiplexing', () => {
  it('prefers an exact local address over the wildcard, and a connected endpoint by score', () => {
    const { a, b } = twoHosts();
    const B3 = parseIPv4('192.0.2.3')!;
    b.stack.addAddress(b.iface, '192.0.2.3/24');
    const any = b.udp.open();
    const exact = b.udp.open();
    const conn = b.udp.open();
    for (const ep of [any, exact, conn]) ep.setOption('SO_REUSEADDR', true);
    expect(any.bind(0, 7000)).toBe('ok');
    expect(exact.bind(B3, 7000)).toBe('ok');
    expect(conn.bind(0, 7000)).toBe('ok');
    expect(conn.connect(A, 5000)).toBe('ok');
    // connect() gives an unbound address the route's source (Linux rehashes it).
    expect(conn.localAddress).toBe(B);

    inject(b, { dst: B3, sport: 5000, dport: 7000, data: 'to-3' });
    inject(b, { dst: B, sport: 5000, dport: 7000, data: 'from-peer' });
    inject(b, { dst: B, sport: 5001, dport: 7000, data: 'from-other-port' });
    expect(drain(exact)).toEqual(['to-3']);
    expect(drain(conn)).toEqual(['from-peer']);
    expect(drain(any)).toEqual(['from-other-port']);
    void a;
  });

  it('filters a connected endpoint to its peer, and disconnect releases an autobound port', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    expect(ep.connect(A, 5000)).toBe('ok');
    const port = ep.localPort;
    expect(port).toBeGreaterThanOrEqual(32768);
    inject(b, { sport: 5000, dport: port, data: 'peer' });
    inject(b, { sport: 5001, dport: port, data: 'stranger' });
    inject(b, { src: parseIPv4('192.0.2.9')!, sport: 5000, dport: port, data: 'stranger2' });
    expect(drain(ep)).toEqual(['peer']);
    expect(b.stack.counters.UdpNoPorts).toBe(2);

    expect(ep.disconnect()).toBe('ok');
    expect(ep.connected).toBe(false);
    expect(ep.localPort).toBe(0);
    expect(ep.localAddress).toBe(0);

    const bound = b.udp.open();
    bound.bind(0, 4444);
    bound.connect(A, 5000);
    inject(b, { sport: 5001, dport: 4444, data: 'filtered' });
    bound.disconnect();
    // An explicitly bound port stays bound and now takes anyone's datagrams.
    expect(bound.localPort).toBe(4444);
    inject(b, { sport: 5001, dport: 4444, data: 'open' });
    expect(drain(bound)).toEqual(['open']);
  });

  it('SO_REUSEADDR: unicast goes to the last endpoint bound', () => {
    const { b } = twoHosts();
    const first = b.udp.open();
    const second = b.udp.open();
    first.setOption('SO_REUSEADDR', true);
    second.setOption('SO_REUSEADDR', true);
    first.bind(0, 8000);
    second.bind(0, 8000);
    inject(b, { sport: 1, dport: 8000, data: 'one' });
    expect(drain(second)).toEqual(['one']);
    expect(drain(first)).toEqual([]);
    second.close();
    inject(b, { sport: 1, dport: 8000, data: 'two' });
    expect(drain(first)).toEqual(['two']);
  });

  it('SO_REUSEPORT: spreads flows over the group by 4-tuple hash, deterministically per seed', () => {
    const run = (): number[] => {
      const { b } = twoHosts({ seedB: 42 });
      const group: UdpEndpoint[] = [];
      for (let i = 0; i < 4; i++) {
        const ep = b.udp.open();
        ep.setOption('SO_REUSEPORT', true);
        expect(ep.bind(0, 9000)).toBe('ok');
        group.push(ep);
      }
      const plain = b.udp.open();
      expect(plain.bind(0, 9000)).toBe('EADDRINUSE');
      const owner: number[] = [];
      for (let sport = 20000; sport < 20064; sport++) {
        // Two datagrams per flow: the same flow must land on the same member.
        inject(b, { sport, dport: 9000, data: String(sport) });
        inject(b, { sport, dport: 9000, data: String(sport) });
        const hits = group.map((ep) => drain(ep));
        const who = hits.findIndex((h) => h.length > 0);
        expect(hits[who]).toEqual([String(sport), String(sport)]);
        expect(hits.filter((h) => h.length > 0)).toHaveLength(1);
        owner.push(who);
      }
      return owner;
    };
    const first = run();
    expect(new Set(first).size).toBe(4);
    expect(run()).toEqual(first);
  });

  it('drops on a full receive buffer and counts UdpRcvbufErrors and UdpInErrors', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    ep.bind(0, 3000);
    expect(ep.setOption('SO_RCVBUF', 1024)).toBe('ok');
    // Linux doubles the request and enforces a minimum (SOCK_MIN_RCVBUF).
    expect(ep.getOption('SO_RCVBUF')).toBe(2304);
    const big = 'y'.repeat(1000);
    inject(b, { sport: 1, dport: 3000, data: big });
    inject(b, { sport: 1, dport: 3000, data: big });
    inject(b, { sport: 1, dport: 3000, data: big });
    expect(ep.queuedDatagrams).toBe(1);
    expect(ep.drops).toBe(2);
    expect(b.stack.counters.UdpRcvbufErrors).toBe(2);
    expect(b.stack.counters.UdpInErrors).toBe(2);
    expect(ep.nextDatagramSize).toBe(1000);
    expect(drain(ep)).toHaveLength(1);
    inject(b, { sport: 1, dport: 3000, data: big });
    expect(ep.queuedDatagrams).toBe(1);
  });

  it('FIONREAD is the next datagram, peek leaves it, the listener hears every arrival', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    let readable = 0;
    ep.listener = { readable: () => readable++ };
    ep.bind(0, 3001);
    expect(ep.nextDatagramSize).toBe(0);
    inject(b, { sport: 1, dport: 3001, data: 'abc' });
    inject(b, { sport: 1, dport: 3001, data: 'defgh' });
    expect(readable).toBe(2);
    expect(ep.nextDatagramSize).toBe(3);
    const p = ep.peek();
    expect(p !== null && typeof p !== 'string' && text(p.data)).toBe('abc');
    expect(ep.queuedDatagrams).toBe(2);
    expect(b.stack.counters.UdpInDatagrams).toBe(0);
    expect(drain(ep)).toEqual(['abc', 'defgh']);
    expect(b.stack.counters.UdpInDatagrams).toBe(2);
  });

  it('validates checksums and lengths: UdpInCsumErrors, UdpInErrors, no ICMP for bad datagrams', () => {
    const { b } = twoHosts();
    const ep = b.udp.open();
    ep.bind(0, 3002);
    inject(b, { sport: 1, dport: 3002, data: 'bad', checksum: 0x1234 });
    expect(b.stack.counters.UdpInCsumErrors).toBe(1);
    expect(b.stack.counters.UdpInErrors).toBe(1);
    // RFC 768: a zero checksum means none was computed (valid over IPv4).
    inject(b, { sport: 1, dport: 3002, data: 'nosum', checksum: 0 });
    inject(b, { sport: 1, dport: 3002, data: 'long', length: 200 });
    expect(b.stack.counters.UdpInErrors).toBe(2);
    expect(drain(ep)).toEqual(['nosum']);
    inject(b, { sport: 1, dport: 3999, data: 'bad', checksum: 0x1234 });
    expect(b.stack.counters.UdpNoPorts).toBe(0);
    expect(b.stack.counters.IcmpOutDestUnreachs).toBe(0);
  });

  it('answers a unicast datagram to an unbound port with an exact ICMP port unreachable', () => {
    const { clock, a, b } = twoHosts();
    const tx = a.udp.open();
    tx.bind(A, 5000);
    tx.send(utf8('hello'), { address: B, port: 53 });
    clock.runUntilIdle();
    const sent = a.rec.frames(17)[0]!;
    const err = b.rec.frames(1)[0]!;
    // ICMP type 3 code 3, quoting the whole offending datagram.
    expect(toHex(err.subarray(20, 22))).toBe('0303');
    expect(toHex(err.subarray(24, 28))).toBe('00000000');
    expect(toHex(err.subarray(28))).toBe(toHex(sent));
    expect(onesSum(err.subarray(20))).toBe(0xffff);
  });
});

describe('UDP broadcast', () => {
  it('delivers a broadcast to every matching endpoint, and loops our own back', () => {
    const { clock, a, b } = twoHosts();
    const w1 = b.udp.open();
    const w2 = b.udp.open();
    const specific = b.udp.open();
    for (const ep of [w1, w2, specific]) ep.setOption('SO_REUSEADDR', true);
    w1.bind(0, 6000);
    w2.bind(0, 6000);
    specific.bind(B, 6000);
    const onBcast = b.udp.open();
    onBcast.bind(BCAST, 6001);

    const tx = a.udp.open();
    tx.setOption('SO_BROADCAST', true);
    tx.bind(0, 6000);
    expect(tx.send(utf8('all'), { address: BCAST, port: 6000 })).toBe('ok');
    expect(tx.send(utf8('all2'), { address: 0xffffffff, port: 6001 })).toBe('ok');
    expect(tx.send(utf8('sub'), { address: BCAST, port: 6001 })).toBe('ok');
    clock.runUntilIdle();
    expect(drain(w1)).toEqual(['all']);
    expect(drain(w2)).toEqual(['all']);
    expect(drain(specific)).toEqual([]);
    // Bound to the subnet broadcast: takes datagrams to it, not to 255.255.255.255.
    expect(drain(onBcast)).toEqual(['sub']);
    // Linux loops broadcasts back to local listeners (ip_mc_output).
    expect(drain(tx)).toEqual(['all']);
    expect(b.stack.counters.UdpIgnoredMulti).toBe(1);
  });
});
