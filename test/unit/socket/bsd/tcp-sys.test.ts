import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../../src/core/errno.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, FIONBIO, FIONREAD, IP_MTU, IP_TOS, IP_TTL,
  MSG_PEEK, MSG_TRUNC, O_NONBLOCK, O_RDWR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, SHUT_RD,
  SHUT_WR, SIOCOUTQ, SO_ACCEPTCONN, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_RCVTIMEO, SO_REUSEADDR,
  SO_SNDBUF, SO_TYPE, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SOL_IP, SOL_SOCKET, SOL_TCP, TCP_CORK, TCP_INFO,
  TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_LINGER2, TCP_MAXSEG, TCP_NODELAY, TCP_USER_TIMEOUT,
} from '../../../../src/socket/bsd/constants.js';
import type { TcpConnection } from '../../../../src/tcp/connection.js';
import { type SockAddrOut, type TcpInfoStruct, WOULD_BLOCK } from '../../../../src/socket/bsd/types.js';
import { A_TEXT, B_TEXT, dec, enc, inet, pair, type Pair } from './fixture.js';

const E = ERRNO;

function listener(p: Pair, port: number, nonBlocking = true): number {
  const l = p.sb.sys.socket(AF_INET, SOCK_STREAM | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
  expect(p.sb.sys.setsockopt(l, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
  expect(p.sb.sys.bind(l, inet('0.0.0.0', port))).toBe(0);
  expect(p.sb.sys.listen(l, 16)).toBe(0);
  return l;
}

function dial(p: Pair, port: number): number {
  const c = p.sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  expect(p.sa.sys.connect(c, inet(B_TEXT, port))).toBe(-E.EINPROGRESS);
  return c;
}

describe('descriptors', () => {
  it('start at 3 and reuse the lowest free number first; accept takes the lowest too', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const fds = [0, 1, 2, 3, 4].map(() => sa.sys.socket(AF_INET, SOCK_STREAM, 0));
    expect(fds).toEqual([3, 4, 5, 6, 7]);
    expect(sa.sys.close(5)).toBe(0);
    expect(sa.sys.close(3)).toBe(0);
    expect(sa.sys.close(6)).toBe(0);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(3);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(5);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(6);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(8);
    expect(sa.sys.descriptors()).toEqual([3, 4, 5, 6, 7, 8]);
    // Closing the highest ones lets the table shrink back.
    for (const fd of [8, 7, 6]) sa.sys.close(fd);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(6);

    const l = listener(p, 80); // 3 on b
    const x = sb.sys.socket(AF_INET, SOCK_STREAM, 0); // 4
    sb.sys.close(l === 3 ? 4 : 3);
    expect(x).toBe(4);
    dial(p, 80);
    clock.advance(5_000);
    expect(sb.sys.accept(l)).toBe(4); // the freed 4, not 5
  });

  it('fcntl F_GETFL/F_SETFL O_NONBLOCK, F_GETFD/F_SETFD FD_CLOEXEC, SOCK_NONBLOCK|SOCK_CLOEXEC at creation, FIONBIO', () => {
    const { sa } = pair();
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.fcntl(fd, F_GETFL)).toBe(O_RDWR);
    expect(sa.sys.fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK)).toBe(0);
    expect(sa.sys.fcntl(fd, F_GETFL)).toBe(O_RDWR | O_NONBLOCK);
    expect(sa.sys.recv(fd, new Uint8Array(1))).toBe(-E.ENOTCONN);
    expect(sa.sys.fcntl(fd, F_SETFL, O_RDWR)).toBe(0);
    expect(sa.sys.fcntl(fd, F_GETFL)).toBe(O_RDWR);
    expect(sa.sys.ioctl(fd, FIONBIO, 1)).toBe(0);
    expect(sa.sys.fcntl(fd, F_GETFL)).toBe(O_RDWR | O_NONBLOCK);
    expect(sa.sys.fcntl(fd, F_GETFD)).toBe(0);
    expect(sa.sys.fcntl(fd, F_SETFD, FD_CLOEXEC)).toBe(0);
    expect(sa.sys.fcntl(fd, F_GETFD)).toBe(FD_CLOEXEC);
    const fd2 = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    expect(sa.sys.fcntl(fd2, F_GETFL)).toBe(O_RDWR | O_NONBLOCK);
    expect(sa.sys.fcntl(fd2, F_GETFD)).toBe(FD_CLOEXEC);
  });
});

describe('connection setup', () => {
  it('non-blocking connect, then poll for POLLOUT, then SO_ERROR 0; names on both sides', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    const pf = [{ fd: c, events: POLLIN | POLLOUT, revents: 0 }];
    expect(sa.sys.poll(pf)).toBe(0); // SYN-SENT: nothing
    expect(sa.sys.poll(pf, 100)).toBe(WOULD_BLOCK);
    clock.advance(150); // SYN there, SYN-ACK not back yet
    expect(sa.sys.poll(pf)).toBe(0);
    clock.advance(100);
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents).toBe(POLLOUT);
    expect(sa.sys.getsockopt(c, SOL_SOCKET, SO_ERROR)).toEqual({ value: 0, optlen: 4 });
    const local = sa.sys.getsockname(c) as { port: number };
    expect(local).toMatchObject({ family: AF_INET, address: A_TEXT });
    expect(local.port).toBeGreaterThanOrEqual(32768);
    clock.advance(200);
    const from: SockAddrOut = {};
    const s = sb.sys.accept(l, from);
    expect(s).toBe(4);
    expect(from.addr).toEqual(inet(A_TEXT, local.port));
    expect(sb.sys.getsockname(s as number)).toEqual(inet(B_TEXT, 8080));
    expect(sb.sys.getpeername(s as number)).toEqual(inet(A_TEXT, local.port));
    expect(sb.sys.getsockname(l)).toEqual(inet('0.0.0.0', 8080));
    expect(sb.sys.getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN)).toEqual({ value: 1, optlen: 4 });
    expect(sb.sys.getsockopt(s as number, SOL_SOCKET, SO_ACCEPTCONN)).toEqual({ value: 0, optlen: 4 });
    expect(sb.sys.getsockopt(s as number, SOL_SOCKET, SO_TYPE)).toEqual({ value: SOCK_STREAM, optlen: 4 });
  });

  it('a blocking connect follows the WOULD_BLOCK contract: wait for POLLOUT, call again, get 0', () => {
    const p = pair();
    const { sa, clock } = p;
    listener(p, 8080);
    const c = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(WOULD_BLOCK);
    let woke = -1;
    const h = sa.sys.wait(c, POLLOUT, (rev) => (woke = rev));
    expect(typeof h).toBe('object');
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(WOULD_BLOCK); // still in progress: the continuation waits
    clock.advance(1_000);
    expect(woke & POLLOUT).toBe(POLLOUT);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EISCONN);
  });

  it('listen() without bind takes an ephemeral port; listen() again only changes the backlog', () => {
    const p = pair();
    const { sb, sa, clock } = p;
    const l = sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.listen(l, 1)).toBe(0);
    const name = sb.sys.getsockname(l) as { port: number };
    expect(name.port).toBeGreaterThanOrEqual(32768);
    expect(sb.sys.listen(l, 64)).toBe(0);
    const c = dial(p, name.port);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, name.port))).toBe(0);
    expect(sb.sys.accept(l)).toBeGreaterThanOrEqual(3);
  });

  it('connect(AF_UNSPEC) resets a connection and leaves a socket that can connect again', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    const s = sb.sys.accept(l) as number;
    expect(sa.sys.connect(c, { family: AF_UNSPEC, address: '0.0.0.0', port: 0 })).toBe(0);
    clock.advance(1_000);
    expect(sb.sys.recv(s, new Uint8Array(4))).toBe(-E.ECONNRESET);
    expect(sa.sys.getpeername(c)).toBe(-E.ENOTCONN);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
  });

  it('shutdown(SHUT_RD) on a listener stops it; a blocked accept wakes and fails with EINVAL', () => {
    const p = pair();
    const { sb } = p;
    const l = listener(p, 8080, false);
    expect(sb.sys.accept(l)).toBe(WOULD_BLOCK);
    let rev = -1;
    sb.sys.wait(l, POLLIN, (r) => (rev = r));
    expect(sb.sys.shutdown(l, SHUT_RD)).toBe(0);
    expect(rev).not.toBe(-1);
    expect(sb.sys.accept(l)).toBe(-E.EINVAL);
    expect(sb.sys.getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN)).toEqual({ value: 0, optlen: 4 });
  });

  it('an AF_INET6 socket bound to :: listens for IPv4 too (dual stack) and reports IPv4-mapped addresses', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = sb.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.bind(l, { family: AF_INET6, address: '::', port: 8080 })).toBe(0);
    expect(sb.sys.listen(l, 4)).toBe(0);
    const c = dial(p, 8080);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    const from: SockAddrOut = {};
    const s = sb.sys.accept(l, from) as number;
    const cport = (sa.sys.getsockname(c) as { port: number }).port;
    expect(from.addr).toEqual({ family: AF_INET6, address: `::ffff:${A_TEXT}`, port: cport });
    expect(sb.sys.getsockname(s)).toEqual({ family: AF_INET6, address: `::ffff:${B_TEXT}`, port: 8080 });
    // And an AF_INET6 client reaches an IPv4 peer through a mapped address.
    const c6 = sa.sys.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.connect(c6, { family: AF_INET6, address: `::ffff:${B_TEXT}`, port: 8080 })).toBe(-E.EINPROGRESS);
    clock.advance(1_000);
    expect(sa.sys.connect(c6, { family: AF_INET6, address: `::ffff:${B_TEXT}`, port: 8080 })).toBe(0);
    expect(sa.sys.getpeername(c6)).toEqual({ family: AF_INET6, address: `::ffff:${B_TEXT}`, port: 8080 });
  });
});

describe('data', () => {
  it('data (and FIN) that arrive before accept() are not lost; SIOCINQ counts it; recv then gives end of stream', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    expect(sa.sys.send(c, enc('early bird'))).toBe(10);
    expect(sa.sys.shutdown(c, SHUT_WR)).toBe(0);
    clock.advance(50_000);
    const s = sb.sys.accept(l) as number;
    expect(sb.sys.ioctl(s, FIONREAD)).toBe(10);
    // revents holds only what was asked for (plus POLLERR/POLLHUP).
    const pf = [{ fd: s, events: POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT, revents: 0 }];
    expect(sb.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents).toBe(POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT);
    const buf = new Uint8Array(64);
    expect(sb.sys.recv(s, buf, MSG_PEEK)).toBe(10);
    expect(sb.sys.recv(s, buf.subarray(0, 5))).toBe(5);
    expect(dec(buf.subarray(0, 5))).toBe('early');
    expect(sb.sys.readv(s, [buf.subarray(0, 2), buf.subarray(10, 20)])).toBe(5);
    expect(dec(buf.subarray(0, 2)) + dec(buf.subarray(10, 13))).toBe(' bird');
    expect(sb.sys.ioctl(s, FIONREAD)).toBe(0);
    expect(sb.sys.recv(s, buf)).toBe(0);
    expect(sb.sys.read(s, buf)).toBe(0);
  });

  it('a send may overshoot SO_SNDBUF by one skb, then EAGAIN; SIOCOUTQ counts unacknowledged bytes; POLLOUT returns', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 8192)).toBe(0);
    expect(sa.sys.getsockopt(c, SOL_SOCKET, SO_SNDBUF)).toEqual({ value: 16384, optlen: 4 });
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    const s = sb.sys.accept(l) as number;
    // Linux checks SO_SNDBUF only before it starts a new skb
    // (tcp_sendmsg_locked → sk_stream_memory_free): the first skb takes the
    // whole send, and later sends fill it up to size_goal; then EAGAIN.
    expect(sa.sys.send(c, new Uint8Array(40_000))).toBe(40_000);
    const more = sa.sys.send(c, new Uint8Array(100_000)) as number;
    expect(more).toBeGreaterThan(0);
    expect(more).toBeLessThan(65536 - 40_000);
    expect(sa.sys.send(c, new Uint8Array(1))).toBe(-E.EAGAIN);
    const queued = 40_000 + more;
    expect(sa.sys.ioctl(c, SIOCOUTQ)).toBe(queued);
    const pf = [{ fd: c, events: POLLOUT, revents: 0 }];
    expect(sa.sys.poll(pf)).toBe(0);
    clock.advance(10_000);
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents).toBe(POLLOUT);
    pf[0]!.events = POLLOUT | POLLWRNORM;
    sa.sys.poll(pf);
    expect(pf[0]!.revents).toBe(POLLOUT | POLLWRNORM);
    expect(sa.sys.ioctl(c, SIOCOUTQ)).toBe(0);
    const buf = new Uint8Array(65536);
    expect(sb.sys.recv(s, buf, MSG_TRUNC)).toBe(Math.min(queued, 65536)); // discarded, not copied
    expect(sb.sys.ioctl(s, FIONREAD)).toBe(0);
  });

  it('the peer closing: POLLIN|POLLRDHUP, reads drain then 0; after our close POLLHUP on nothing (fd gone)', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    clock.advance(1_000);
    sa.sys.connect(c, inet(B_TEXT, 8080));
    const s = sb.sys.accept(l) as number;
    sb.sys.send(s, enc('bye'));
    sb.sys.close(s);
    clock.advance(10_000);
    const pf = [{ fd: c, events: POLLIN | POLLOUT, revents: 0 }];
    sa.sys.poll(pf);
    expect(pf[0]!.revents).toBe(POLLIN | POLLOUT);
    pf[0]!.events = POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM;
    sa.sys.poll(pf);
    expect(pf[0]!.revents).toBe(POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM);
    const buf = new Uint8Array(8);
    expect(sa.sys.recv(c, buf)).toBe(3);
    expect(sa.sys.recv(c, buf)).toBe(0);
    expect(sa.sys.shutdown(c, SHUT_WR)).toBe(0);
    clock.advance(10_000);
    sa.sys.poll(pf);
    expect(pf[0]!.revents & POLLHUP).toBe(POLLHUP);
    sa.sys.close(c);
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents).toBe(0x20); // POLLNVAL
  });
});

describe('vectors and messages', () => {
  it('writev gathers, sendmsg sends (control messages refused with EINVAL), recvmsg scatters; IOV_MAX; unknown ioctl ENOTTY', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    clock.advance(1_000);
    sa.sys.connect(c, inet(B_TEXT, 8080));
    const s = sb.sys.accept(l) as number;
    expect(sa.sys.writev(c, [enc('ab'), enc(''), enc('cde')])).toBe(5);
    expect(sa.sys.sendmsg(c, { iov: [enc('fg')], name: null })).toBe(2);
    expect(sa.sys.sendmsg(c, { iov: [enc('x')], control: [{ level: 0 }] })).toBe(-E.EINVAL);
    expect(sa.sys.writev(c, new Array<Uint8Array>(1025).fill(enc('x')))).toBe(-E.EINVAL);
    clock.advance(1_000);
    const x = new Uint8Array(3);
    const y = new Uint8Array(10);
    const msg = { iov: [x, y], flags: -1 };
    expect(sb.sys.recvmsg(s, msg)).toBe(7);
    expect(dec(x) + dec(y.subarray(0, 4))).toBe('abcdefg');
    expect(msg.flags).toBe(0);
    expect('name' in msg).toBe(false); // TCP leaves msg_name empty
    expect(sb.sys.ioctl(s, 0x8905 /* SIOCATMARK */)).toBe(-25);
  });
});

describe('port reservations', () => {
  it('a connection in TIME-WAIT keeps its port from a bind without SO_REUSEADDR; SO_REUSEPORT on both shares a port', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sb.sys.bind(l, inet('0.0.0.0', 8080));
    sb.sys.listen(l, 4);
    const c = dial(p, 8080);
    clock.advance(1_000);
    sa.sys.connect(c, inet(B_TEXT, 8080));
    const s = sb.sys.accept(l) as number;
    // The server closes first, so its side of the connection goes to TIME-WAIT.
    sb.sys.close(s);
    sb.sys.close(l);
    clock.advance(1_000);
    sa.sys.close(c);
    clock.advance(1_000);
    expect(p.b.connections().map((i) => i.state)).toEqual(['TIME-WAIT']);
    const again = sb.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sb.sys.bind(again, inet('0.0.0.0', 8080))).toBe(-E.EADDRINUSE);
    expect(sb.sys.setsockopt(again, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    // Linux needs SO_REUSEADDR on both sides; the old socket did not set it.
    expect(sb.sys.bind(again, inet('0.0.0.0', 8080))).toBe(-E.EADDRINUSE);
    clock.advance(60_000_000); // 2·MSL
    expect(sb.sys.bind(again, inet('0.0.0.0', 8080))).toBe(0);
    const r1 = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    const r2 = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    for (const fd of [r1, r2]) expect(sa.sys.setsockopt(fd, SOL_SOCKET, 15 /* SO_REUSEPORT */, 1)).toBe(0);
    expect(sa.sys.bind(r1, inet(A_TEXT, 9000))).toBe(0);
    expect(sa.sys.bind(r2, inet(A_TEXT, 9000))).toBe(0);
  });
});

describe('options', () => {
  it('SO_SNDBUF and SO_RCVBUF double what is set (Linux), with the kernel minimum and rmem_max', () => {
    const { sa } = pair();
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toEqual({ value: 262144, optlen: 4 }); // tcp_wmem[1]
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toEqual({ value: 540000, optlen: 4 }); // tcp_rmem[1]
    sa.sys.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 21000);
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toEqual({ value: 42000, optlen: 4 });
    sa.sys.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 1);
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toEqual({ value: 4608, optlen: 4 });
    sa.sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 30);
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toEqual({ value: 425984, optlen: 4 });
    sa.sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, -1); // unsigned: the maximum
    expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toEqual({ value: 425984, optlen: 4 });
  });

  it('TCP options reach the connection; getsockopt reads Linux defaults and what was set', () => {
    const p = pair();
    const { sa, clock } = p;
    listener(p, 8080);
    const c = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const get = (level: number, name: number): unknown => (sa.sys.getsockopt(c, level, name) as { value: unknown }).value;
    expect(get(SOL_TCP, TCP_MAXSEG)).toBe(536);
    expect(get(SOL_TCP, TCP_KEEPIDLE)).toBe(7200);
    expect(get(SOL_TCP, TCP_KEEPINTVL)).toBe(75);
    expect(get(SOL_TCP, TCP_KEEPCNT)).toBe(9);
    expect(get(SOL_TCP, TCP_LINGER2)).toBe(60);
    expect(get(SOL_IP, IP_TTL)).toBe(64);
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_MAXSEG, 1100)).toBe(0);
    expect(get(SOL_TCP, TCP_MAXSEG)).toBe(1100);
    for (const [name, v] of [[TCP_NODELAY, 1], [TCP_KEEPIDLE, 30], [TCP_KEEPINTVL, 5], [TCP_KEEPCNT, 3], [TCP_USER_TIMEOUT, 3000], [TCP_LINGER2, 1000]] as const) {
      expect(sa.sys.setsockopt(c, SOL_TCP, name, v)).toBe(0);
    }
    expect(get(SOL_TCP, TCP_LINGER2)).toBe(120); // capped at TCP_FIN_TIMEOUT_MAX
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_LINGER2, -5)).toBe(0);
    expect(get(SOL_TCP, TCP_LINGER2)).toBe(-1);
    // TCP_DEFER_ACCEPT is kept as SYN-ACK retransmissions: 5 s → 3 (1+2+4 s), read back as 7 s.
    expect(sa.sys.setsockopt(c, SOL_TCP, 9 /* TCP_DEFER_ACCEPT */, 5)).toBe(0);
    expect(get(SOL_TCP, 9)).toBe(7);
    expect(sa.sys.setsockopt(c, SOL_TCP, 9, 0)).toBe(0);
    expect(get(SOL_TCP, 9)).toBe(0);
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 128)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 0)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_USER_TIMEOUT, -1)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1)).toBe(0);
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_LINGER, { onoff: 1, linger: 7 })).toBe(0);
    expect(get(SOL_SOCKET, SO_LINGER)).toEqual({ onoff: 1, linger: 7 });
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 250_000 })).toBe(0);
    expect(get(SOL_SOCKET, SO_RCVTIMEO)).toEqual({ tv_sec: 1, tv_usec: 250_000 });
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    clock.advance(1_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0);
    const conn = sa.sys.inspect(c)!.endpoint as TcpConnection;
    expect(conn.options).toMatchObject({
      noDelay: true, keepAlive: true, keepIdleS: 30, keepIntvlS: 5, keepCnt: 3, userTimeoutMs: 3000, linger2S: -1,
      lingerOn: true, lingerS: 7, maxSeg: 1100,
    });
    expect(conn.advMss).toBe(1100);
    expect(get(SOL_TCP, TCP_MAXSEG)).toBe(conn.mss);
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_CORK, 1)).toBe(0);
    expect(conn.options.cork).toBe(true);
    expect(get(SOL_TCP, 12 /* TCP_QUICKACK */)).toBe(1);
    expect(sa.sys.setsockopt(c, SOL_TCP, 12, 0)).toBe(0);
    expect(conn.interactive).toBe(true);
    expect(get(SOL_TCP, 12)).toBe(0);
    expect(get(SOL_IP, IP_MTU)).toBe(1500);
  });

  it('IP_TTL and IP_TOS apply to the segments of a connection', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const c = dial(p, 8080);
    clock.advance(1_000);
    sa.sys.connect(c, inet(B_TEXT, 8080));
    const s = sb.sys.accept(l) as number;
    expect(sa.sys.setsockopt(c, SOL_IP, IP_TTL, 9)).toBe(0);
    expect(sa.sys.setsockopt(c, SOL_IP, IP_TOS, 0x10, 1)).toBe(0);
    expect((sa.sys.getsockopt(c, SOL_IP, IP_TOS) as { value: number }).value).toBe(0x10);
    expect(sa.sys.setsockopt(c, SOL_IP, IP_TTL, 0)).toBe(-E.EINVAL);
    // Watch what reaches b's IP layer: the next data segment carries TTL 9 and TOS 0x10.
    const seen: number[][] = [];
    const ipb = p.b.ip;
    const orig = ipb.receiveIp.bind(ipb);
    ipb.receiveIp = (iface, pkt) => {
      seen.push([pkt[1]!, pkt[8]!]);
      orig(iface, pkt);
    };
    sa.sys.send(c, enc('x'));
    clock.advance(1_000);
    expect(seen[0]).toEqual([0x10, 9]);
    expect(sb.sys.recv(s, new Uint8Array(4))).toBe(1);
  });

  it('TCP_INFO: Linux tcpi_* fields of a connection, a listener and a fresh socket', () => {
    const p = pair();
    const { sa, sb, clock } = p;
    const l = listener(p, 8080);
    const fresh = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    const c = dial(p, 8080);
    clock.advance(1_000);
    sa.sys.connect(c, inet(B_TEXT, 8080));
    sa.sys.send(c, new Uint8Array(3000));
    clock.advance(1_000);
    const info = (fd: number, st = sa): TcpInfoStruct => {
      const r = st.sys.getsockopt(fd, SOL_TCP, TCP_INFO) as { value: TcpInfoStruct; optlen: number };
      expect(r.optlen).toBe(240);
      return r.value;
    };
    const i = info(c);
    expect(i).toMatchObject({
      tcpi_state: 1, tcpi_ca_state: 0, tcpi_options: 1 | 2 | 4, tcpi_snd_wscale: 8, tcpi_rcv_wscale: 8,
      tcpi_snd_mss: 1448, tcpi_advmss: 1460, tcpi_pmtu: 1500, tcpi_snd_cwnd: 10, tcpi_snd_ssthresh: 0x7fffffff,
      tcpi_bytes_acked: 3000, tcpi_unacked: 0, tcpi_total_retrans: 0, tcpi_reordering: 3,
    });
    expect(i.tcpi_rtt).toBeGreaterThan(0);
    expect(i.tcpi_segs_out).toBeGreaterThanOrEqual(3);
    expect(info(l, sb)).toMatchObject({ tcpi_state: 10, tcpi_unacked: 1, tcpi_sacked: 16 });
    expect(info(fresh)).toMatchObject({ tcpi_state: 7, tcpi_rtt: 0 });
    expect(sa.sys.setsockopt(c, SOL_TCP, TCP_INFO, 0)).toBe(-E.ENOPROTOOPT);
  });
});
