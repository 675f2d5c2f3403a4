import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../../src/core/errno.js';
import type { Stack } from '../../../../src/stack.js';
import type { TcpConnection } from '../../../../src/tcp/connection.js';
import {
  AF_INET, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_TOS, IP_TTL, SO_ERROR, SO_REUSEPORT, SOCK_NONBLOCK, SOCK_STREAM, SOL_IP, SOL_SOCKET,
} from '../../../../src/socket/bsd/constants.js';
import { B, B_TEXT, inet, pair, type Pair } from './fixture.js';

/** IPv4 headers of the TCP segments `st` receives: TOS, TTL, DF and the TCP flags. */
interface Seen {
  tos: number;
  ttl: number;
  df: boolean;
  flags: number;
}

function watch(st: Stack): Seen[] {
  const seen: Seen[] = [];
  const ip = st.ip;
  const orig = ip.receiveIp.bind(ip);
  ip.receiveIp = (iface, pkt) => {
    if (pkt[9] === 6) seen.push({ tos: pkt[1]!, ttl: pkt[8]!, df: (pkt[6]! & 0x40) !== 0, flags: pkt[((pkt[0]! & 15) << 2) + 13]! });
    orig(iface, pkt);
  };
  return seen;
}

const E = ERRNO;

function reusePortListener(p: Pair, port: number, reuse: boolean): number {
  const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (reuse) expect(p.sb.sys.setsockopt(l, SOL_SOCKET, SO_REUSEPORT, 1)).toBe(0);
  const r = p.sb.sys.bind(l, inet('0.0.0.0', port));
  if (r !== 0) return r;
  const rl = p.sb.sys.listen(l, 64);
  return rl === 0 ? l : rl;
}

function acceptAll(p: Pair, l: number): number {
  let n = 0;
  for (;;) {
    const fd = p.sb.sys.accept(l);
    if (typeof fd !== 'number' || fd < 0) return n;
    n++;
  }
}

describe('SO_REUSEPORT on TCP listeners', () => {
  it('lets two listening sockets share a port and spreads new connections between them', () => {
    const p = pair();
    const l1 = reusePortListener(p, 8080, true);
    const l2 = reusePortListener(p, 8080, true);
    expect(l1).toBeGreaterThan(0);
    expect(l2).toBeGreaterThan(0);
    // A third socket without SO_REUSEPORT is refused, as Linux does.
    expect(reusePortListener(p, 8080, false)).toBe(-E.EADDRINUSE);
    const clients: number[] = [];
    for (let i = 0; i < 40; i++) {
      const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      expect(p.sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
      clients.push(c);
    }
    p.clock.advance(10_000);
    const n1 = acceptAll(p, l1);
    const n2 = acceptAll(p, l2);
    expect(n1 + n2).toBe(40);
    expect(n1).toBeGreaterThan(0);
    expect(n2).toBeGreaterThan(0);
    // Once one member closes, the other takes every new connection.
    expect(p.sb.sys.close(l1)).toBe(0);
    for (let i = 0; i < 5; i++) {
      const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      expect(p.sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    }
    p.clock.advance(10_000);
    expect(acceptAll(p, l2)).toBe(5);
  });

  it('keeps the layer rule: without SO_REUSEPORT on both, a second listener is EADDRINUSE', () => {
    const p = pair();
    p.b.tcp.listen({ port: 9000, reusePort: true });
    expect(() => p.b.tcp.listen({ port: 9000 })).toThrow(/EADDRINUSE/);
    const second = p.b.tcp.listen({ port: 9000, reusePort: true });
    expect(second.reusePort).toBe(true);
  });
});

describe('IP_TTL / IP_TOS / IP_MTU_DISCOVER through TcpSocketOptions', () => {
  it('an active open carries them from its first SYN on', () => {
    const p = pair();
    const atB = watch(p.b);
    const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sb.sys.bind(l, inet('0.0.0.0', 8080))).toBe(0);
    expect(p.sb.sys.listen(l, 8)).toBe(0);
    const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.setsockopt(c, SOL_IP, IP_TTL, 9)).toBe(0);
    expect(p.sa.sys.setsockopt(c, SOL_IP, IP_TOS, 0x10)).toBe(0);
    expect(p.sa.sys.setsockopt(c, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)).toBe(0);
    expect(p.sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    p.clock.advance(10_000);
    expect(atB.length).toBeGreaterThanOrEqual(2);
    expect(atB[0]).toEqual({ tos: 0x10, ttl: 9, df: false, flags: 0x02 });
    expect(atB[1]).toEqual({ tos: 0x10, ttl: 9, df: false, flags: 0x10 });
    // Changed on the live connection: the next segment follows.
    expect(p.sa.sys.setsockopt(c, SOL_IP, IP_TTL, 33)).toBe(0);
    expect(p.sa.sys.send(c, new Uint8Array([1]))).toBe(1);
    p.clock.advance(10_000);
    expect(atB.at(-1)).toEqual({ tos: 0x10, ttl: 33, df: false, flags: 0x18 });
  });

  it("a listener's SYN-ACK and its accepted connection carry the listener's settings", () => {
    const p = pair();
    const atA = watch(p.a);
    const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sb.sys.setsockopt(l, SOL_IP, IP_TTL, 5)).toBe(0);
    expect(p.sb.sys.setsockopt(l, SOL_IP, IP_TOS, 0x20)).toBe(0);
    expect(p.sb.sys.bind(l, inet('0.0.0.0', 8080))).toBe(0);
    expect(p.sb.sys.listen(l, 8)).toBe(0);
    const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    p.clock.advance(10_000);
    expect(atA[0]).toEqual({ tos: 0x20, ttl: 5, df: true, flags: 0x12 });
    const s = p.sb.sys.accept(l) as number;
    expect(s).toBeGreaterThan(0);
    expect((p.sb.sys.getsockopt(s, SOL_IP, IP_TTL) as { value: number }).value).toBe(5);
    expect(p.sb.sys.send(s, new Uint8Array([1, 2]))).toBe(2);
    p.clock.advance(10_000);
    expect(atA.at(-1)).toEqual({ tos: 0x20, ttl: 5, df: true, flags: 0x18 });
  });

  it('a SYN cookie SYN-ACK carries them too', () => {
    const p = pair({ tcp: { syncookies: 2 } });
    const atA = watch(p.a);
    p.b.tcp.listen({ port: 7000, options: { ttl: 17, tos: 0x08 } });
    const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.connect(c, inet(B_TEXT, 7000))).toBe(-E.EINPROGRESS);
    p.clock.advance(10_000);
    expect(atA[0]).toEqual({ tos: 0x08, ttl: 17, df: true, flags: 0x12 });
  });
});

describe('port reservation: bound sockets keep their port from the layer', () => {
  it('connect and listen on port 0 never pick a port a bound, idle socket holds', () => {
    const p = pair({ tcp: { localPortRange: [40000, 40001] } });
    const x = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.bind(x, inet('0.0.0.0', 40000))).toBe(0);
    const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sb.sys.bind(l, inet('0.0.0.0', 8080))).toBe(0);
    expect(p.sb.sys.listen(l, 8)).toBe(0);
    const c1 = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.connect(c1, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    const name = p.sa.sys.getsockname(c1) as { port: number };
    expect(name.port).toBe(40001);
    // The only other port is reserved: a second connection to the same peer has nowhere to go.
    const c2 = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.connect(c2, inet(B_TEXT, 8080))).toBe(-E.EADDRNOTAVAIL);
    expect(() => p.a.tcp.connect({ remoteAddress: B, remotePort: 8080 })).toThrow(/EADDRNOTAVAIL/);
    expect(() => p.a.tcp.listen({ port: 0 })).toThrow(/EADDRINUSE/);
    // Released by close(): the port is the layer's again.
    expect(p.sa.sys.close(x)).toBe(0);
    expect(p.a.tcp.listen({ port: 0 }).localPort).toBe(40000);
  });
});

describe('SO_ERROR and soft errors', () => {
  it('returns the hard error first, then the soft one, each once (sock_getsockopt: sk_err, else sk_err_soft)', () => {
    const p = pair();
    const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sb.sys.bind(l, inet('0.0.0.0', 8080))).toBe(0);
    expect(p.sb.sys.listen(l, 8)).toBe(0);
    const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(p.sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    p.clock.advance(10_000);
    const conn = p.sa.sys.inspect(c)!.endpoint as TcpConnection;
    expect(conn.stateName).toBe('ESTABLISHED');
    const soError = (): number => (p.sa.sys.getsockopt(c, SOL_SOCKET, SO_ERROR) as { value: number }).value;
    expect(soError()).toBe(0);
    // What an ICMP host unreachable leaves on an established connection (icmp-errors.ts).
    conn.softError = 'EHOSTUNREACH';
    expect(soError()).toBe(E.EHOSTUNREACH);
    expect(soError()).toBe(0);
    expect(conn.softError).toBeNull();
    // A pending hard error is reported before the soft one.
    conn.softError = 'ENETUNREACH';
    // The facade's handler records a hard error as sk_err (as a reset would).
    conn.handler!.onClosed!(conn, 'ECONNRESET');
    expect(soError()).toBe(E.ECONNRESET);
    expect(soError()).toBe(E.ENETUNREACH);
    expect(soError()).toBe(0);
  });
});
