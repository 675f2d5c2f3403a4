import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../../src/core/errno.js';
import { SocketError } from '../../../../src/core/errno.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, IP_MTU, IP_MTU_DISCOVER, IP_MULTICAST_LOOP, IP_PMTUDISC_DO, IPPROTO_ICMP, IPPROTO_TCP,
  IPPROTO_UDP, MSG_DONTWAIT, POLLERR, POLLHUP, POLLIN, POLLOUT, SHUT_RD, SHUT_WR, SO_ERROR, SO_LINGER, SO_RCVTIMEO,
  SO_REUSEADDR, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SOL_IP, SOL_SOCKET, SOL_TCP,
  SOL_UDP, TCP_MAXSEG, TCP_NODELAY,
} from '../../../../src/socket/bsd/constants.js';
import { WOULD_BLOCK } from '../../../../src/socket/bsd/types.js';
import { A_TEXT, B_TEXT, drive, enc, inet, pair, type Pair } from './fixture.js';

const E = ERRNO;

/** A listener on b:port and a connected pair (client on a, server on b), via sys, non-blocking. */
function connected(p: Pair, port = 8080): { l: number; c: number; s: number } {
  const { clock, sa, sb } = p;
  const l = sb.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  expect(sb.sys.bind(l, inet('0.0.0.0', port))).toBe(0);
  expect(sb.sys.listen(l, 16)).toBe(0);
  const c = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  expect(sa.sys.connect(c, inet(B_TEXT, port))).toBe(-E.EINPROGRESS);
  clock.advance(5_000);
  expect(sa.sys.connect(c, inet(B_TEXT, port))).toBe(0);
  const s = sb.sys.accept(l);
  expect(typeof s === 'number' && s >= 3).toBe(true);
  return { l, c, s: s as number };
}

describe('socket(): EAFNOSUPPORT EINVAL ESOCKTNOSUPPORT EPROTONOSUPPORT EMFILE', () => {
  it('rejects what inet_create rejects, with Linux errnos', () => {
    const { sa } = pair();
    expect(sa.sys.socket(AF_UNSPEC, SOCK_STREAM, 0)).toBe(-E.EAFNOSUPPORT);
    expect(sa.sys.socket(17, SOCK_STREAM, 0)).toBe(-E.EAFNOSUPPORT);
    expect(sa.sys.socket(AF_INET, 0, 0)).toBe(-E.EINVAL);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM | 0x10000, 0)).toBe(-E.EINVAL);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, -1)).toBe(-E.EINVAL);
    expect(sa.sys.socket(AF_INET, SOCK_SEQPACKET, 0)).toBe(-E.ESOCKTNOSUPPORT);
    // packetdrill's socket_err.pkt relies on this one.
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)).toBe(-E.EPROTONOSUPPORT);
    expect(sa.sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)).toBe(-E.EPROTONOSUPPORT);
    expect(sa.sys.socket(AF_INET, SOCK_RAW, 0)).toBe(-E.EPROTONOSUPPORT);
    // Nothing was allocated by the failures: the first good socket is still 3.
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)).toBe(3);
    expect(sa.sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)).toBe(4);
    expect(sa.sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)).toBe(5);
    expect(sa.sys.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)).toBe(6);
  });

  it('EMFILE when the descriptor table is full', () => {
    const { sa } = pair({ socketsA: { maxDescriptors: 6 } });
    expect([0, 1, 2].map(() => sa.sys.socket(AF_INET, SOCK_STREAM, 0))).toEqual([3, 4, 5]);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(-E.EMFILE);
    expect(sa.sys.close(4)).toBe(0);
    expect(sa.sys.socket(AF_INET, SOCK_STREAM, 0)).toBe(4);
  });

  it('the Promise layer throws SocketError with code, errno and syscall', () => {
    const { sa } = pair();
    let err: unknown;
    try {
      sa.api.socket(AF_INET, SOCK_STREAM, IPPROTO_UDP);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SocketError);
    expect(err).toMatchObject({ code: 'EPROTONOSUPPORT', errno: -93, syscall: 'socket' });
  });
});

describe('EBADF', () => {
  it('every call on a descriptor that is not open', () => {
    const { sa } = pair();
    const buf = new Uint8Array(4);
    for (const fd of [0, 1, 2, 3, 99, -1]) {
      expect(sa.sys.bind(fd, inet('0.0.0.0', 1))).toBe(-E.EBADF);
      expect(sa.sys.listen(fd, 1)).toBe(-E.EBADF);
      expect(sa.sys.accept(fd)).toBe(-E.EBADF);
      expect(sa.sys.connect(fd, inet(B_TEXT, 1))).toBe(-E.EBADF);
      expect(sa.sys.send(fd, buf)).toBe(-E.EBADF);
      expect(sa.sys.recv(fd, buf)).toBe(-E.EBADF);
      expect(sa.sys.shutdown(fd, SHUT_WR)).toBe(-E.EBADF);
      expect(sa.sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(-E.EBADF);
      expect(sa.sys.getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(-E.EBADF);
      expect(sa.sys.getsockname(fd)).toBe(-E.EBADF);
      expect(sa.sys.fcntl(fd, 3)).toBe(-E.EBADF);
      expect(sa.sys.ioctl(fd, 0x541b)).toBe(-E.EBADF);
      expect(sa.sys.close(fd)).toBe(-E.EBADF);
    }
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.close(fd)).toBe(0);
    expect(sa.sys.close(fd)).toBe(-E.EBADF);
  });
});

describe('EINVAL', () => {
  it('bind twice, listen on a connected socket, accept on a non-listener, bad shutdown, bad accept4 flags, bad TCP_MAXSEG', () => {
    const p = pair();
    const { sa, sb } = p;
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.bind(fd, inet(A_TEXT, 5000))).toBe(0);
    expect(sa.sys.bind(fd, inet(A_TEXT, 5001))).toBe(-E.EINVAL);
    expect(sa.sys.accept(fd)).toBe(-E.EINVAL);
    expect(sa.sys.shutdown(fd, 3)).toBe(-E.EINVAL);
    expect(sa.sys.shutdown(fd, -1)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(fd, SOL_TCP, TCP_MAXSEG, 87)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(fd, SOL_TCP, TCP_MAXSEG, 32768)).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(fd, SOL_TCP, TCP_NODELAY, 1, 2)).toBe(-E.EINVAL); // optlen < sizeof(int)
    const { l, c } = connected(p);
    expect(sa.sys.listen(c, 1)).toBe(-E.EINVAL);
    expect(sb.sys.accept4(l, undefined, 0x1)).toBe(-E.EINVAL);
    expect(sa.sys.bind(c, inet(A_TEXT, 0))).toBe(-E.EINVAL);
    expect(sa.sys.fcntl(c, 99)).toBe(-E.EINVAL);
  });
});

describe('EADDRINUSE EADDRNOTAVAIL', () => {
  it('a port bound by a socket that does not listen yet is reserved', () => {
    const { sa } = pair();
    const x = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    const y = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.bind(x, inet('0.0.0.0', 7000))).toBe(0);
    expect(sa.sys.bind(y, inet(A_TEXT, 7000))).toBe(-E.EADDRINUSE);
    expect(sa.sys.bind(y, inet('0.0.0.0', 7000))).toBe(-E.EADDRINUSE);
    // Another port is fine; and once x is closed, 7000 is free again.
    expect(sa.sys.close(x)).toBe(0);
    expect(sa.sys.bind(y, inet(A_TEXT, 7000))).toBe(0);
  });

  it('SO_REUSEADDR on both lets two sockets bind one port until one of them listens', () => {
    const { sa } = pair();
    const [x, y, z] = [0, 1, 2].map(() => sa.sys.socket(AF_INET, SOCK_STREAM, 0));
    for (const fd of [x!, y!, z!]) expect(sa.sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    expect(sa.sys.bind(x!, inet('0.0.0.0', 7001))).toBe(0);
    expect(sa.sys.bind(y!, inet('0.0.0.0', 7001))).toBe(0);
    expect(sa.sys.listen(x!, 1)).toBe(0);
    // y is bound but x listens now: y may not listen, and a new bind is refused even with SO_REUSEADDR.
    expect(sa.sys.listen(y!, 1)).toBe(-E.EADDRINUSE);
    expect(sa.sys.bind(z!, inet('0.0.0.0', 7001))).toBe(-E.EADDRINUSE);
  });

  it('EADDRNOTAVAIL for an address the stack does not own; EAFNOSUPPORT for the wrong family', () => {
    const { sa } = pair();
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.bind(fd, inet('192.0.2.77', 80))).toBe(-E.EADDRNOTAVAIL);
    expect(sa.sys.bind(fd, { family: AF_INET6, address: '::', port: 80 })).toBe(-E.EAFNOSUPPORT);
    // inet_bind takes AF_UNSPEC with INADDR_ANY, for compatibility.
    expect(sa.sys.bind(fd, { family: AF_UNSPEC, address: '0.0.0.0', port: 80 })).toBe(0);
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.bind(u, inet('192.0.2.77', 53))).toBe(-E.EADDRNOTAVAIL);
    expect(sa.sys.bind(u, inet(A_TEXT, 53))).toBe(0);
    const u2 = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.bind(u2, inet(A_TEXT, 53))).toBe(-E.EADDRINUSE);
  });
});

describe('EISCONN ENOTCONN EALREADY EINPROGRESS', () => {
  it('connect() through its states on a non-blocking socket', () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const l = sb.sys.socket(AF_INET, SOCK_STREAM, 0);
    sb.sys.bind(l, inet('0.0.0.0', 8080));
    sb.sys.listen(l, 4);
    const c = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.getpeername(c)).toBe(-E.ENOTCONN);
    expect(sa.sys.recv(c, new Uint8Array(1))).toBe(-E.ENOTCONN);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EINPROGRESS);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EALREADY);
    expect(sa.sys.getpeername(c)).toBe(-E.ENOTCONN); // SYN-SENT has no peer yet
    clock.advance(5_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(0); // the first call after completion reports success
    expect(sa.sys.connect(c, inet(B_TEXT, 8080))).toBe(-E.EISCONN);
    expect(sa.sys.getpeername(c)).toEqual(inet(B_TEXT, 8080));
    expect(sb.sys.connect(l, inet(A_TEXT, 1))).toBe(-E.EISCONN); // a listener
  });

  it('ENOTCONN from shutdown and IP_MTU on an unconnected socket', () => {
    const { sa } = pair();
    const fd = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.shutdown(fd, SHUT_WR)).toBe(-E.ENOTCONN);
    expect(sa.sys.getsockopt(fd, SOL_IP, IP_MTU)).toBe(-E.ENOTCONN);
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.shutdown(u, SHUT_RD)).toBe(-E.ENOTCONN);
    expect(sa.sys.getpeername(u)).toBe(-E.ENOTCONN);
  });
});

describe('EPIPE ECONNRESET', () => {
  it('send on a never-connected socket and after shutdown(SHUT_WR) is EPIPE', () => {
    const p = pair();
    const { sa } = p;
    const fresh = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    expect(sa.sys.send(fresh, enc('x'))).toBe(-E.EPIPE);
    const { c } = connected(p);
    expect(sa.sys.shutdown(c, SHUT_WR)).toBe(0);
    expect(sa.sys.send(c, enc('x'))).toBe(-E.EPIPE);
    expect(sa.sys.write(c, enc('x'))).toBe(-E.EPIPE);
  });

  it('an abortive close by the peer: recv gives ECONNRESET once, then end of stream; send then EPIPE', () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = connected(p);
    expect(sb.sys.setsockopt(s, SOL_SOCKET, SO_LINGER, { onoff: 1, linger: 0 })).toBe(0);
    expect(sb.sys.close(s)).toBe(0);
    clock.advance(5_000);
    const pf = [{ fd: c, events: POLLIN, revents: 0 }];
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents & (POLLIN | POLLERR | POLLHUP)).toBe(POLLIN | POLLERR | POLLHUP);
    const buf = new Uint8Array(8);
    expect(sa.sys.recv(c, buf)).toBe(-E.ECONNRESET);
    expect(sa.sys.recv(c, buf)).toBe(0);
    expect(sa.sys.send(c, enc('x'))).toBe(-E.EPIPE);
  });

  it('the first send after a reset reports ECONNRESET (sk_stream_error), later ones EPIPE', () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = connected(p);
    sb.sys.setsockopt(s, SOL_SOCKET, SO_LINGER, { onoff: 1, linger: 0 });
    sb.sys.close(s);
    clock.advance(5_000);
    expect(sa.sys.send(c, enc('x'))).toBe(-E.ECONNRESET);
    expect(sa.sys.send(c, enc('x'))).toBe(-E.EPIPE);
  });
});

describe('ECONNREFUSED ETIMEDOUT', () => {
  it('non-blocking connect to a closed port: POLLOUT|POLLERR, SO_ERROR ECONNREFUSED (then 0)', () => {
    const { clock, sa } = pair();
    const c = sa.sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.connect(c, inet(B_TEXT, 9))).toBe(-E.EINPROGRESS);
    clock.advance(5_000);
    const pf = [{ fd: c, events: POLLOUT, revents: 0 }];
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents & (POLLOUT | POLLERR)).toBe(POLLOUT | POLLERR);
    expect(sa.sys.getsockopt(c, SOL_SOCKET, SO_ERROR)).toEqual({ value: E.ECONNREFUSED, optlen: 4 });
    expect(sa.sys.getsockopt(c, SOL_SOCKET, SO_ERROR)).toEqual({ value: 0, optlen: 4 });
    // The error was consumed: the next connect() reports ECONNABORTED (sock_error() ?: -ECONNABORTED), then may retry.
    expect(sa.sys.connect(c, inet(B_TEXT, 9))).toBe(-E.ECONNABORTED);
    expect(sa.sys.connect(c, inet(B_TEXT, 9))).toBe(-E.EINPROGRESS);
  });

  it('blocking connect through the Promise layer rejects ECONNREFUSED', async () => {
    const { clock, sa } = pair();
    const c = sa.api.socket(AF_INET, SOCK_STREAM);
    await expect(drive(clock, sa.api.connect(c, inet(B_TEXT, 9)))).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    // The socket is usable again after a failed connect (tcp_disconnect).
    expect(sa.sys.getsockname(c)).toEqual(inet('0.0.0.0', 0));
  });

  it('connect to a host that never answers: ETIMEDOUT after the SYN retries', async () => {
    const { clock, sa } = pair({ tcp: { synRetries: 2 } });
    const c = sa.api.socket(AF_INET, SOCK_STREAM);
    const t0 = clock.now();
    await expect(drive(clock, sa.api.connect(c, inet('192.0.2.99', 80)))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // RTO 1 s, doubled: SYN at 0, 1 and 3 s, given up at 7 s.
    expect(clock.now() - t0).toBe(7_000_000);
  });
});

describe('EAGAIN EMSGSIZE ENOPROTOOPT EOPNOTSUPP', () => {
  it('EAGAIN: non-blocking accept and recv, MSG_DONTWAIT, a negative SO_RCVTIMEO; WOULD_BLOCK when blocking', () => {
    const p = pair();
    const { sa, sb } = p;
    const { l, c } = connected(p);
    const buf = new Uint8Array(8);
    expect(sb.sys.accept(l)).toBe(-E.EAGAIN);
    expect(sa.sys.recv(c, buf)).toBe(-E.EAGAIN);
    expect(sa.sys.fcntl(c, 4, 0)).toBe(0); // blocking now
    expect(sa.sys.recv(c, buf)).toBe(WOULD_BLOCK);
    expect(sa.sys.recv(c, buf, MSG_DONTWAIT)).toBe(-E.EAGAIN);
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: -1, tv_usec: 0 })).toBe(0);
    expect(sa.sys.recv(c, buf)).toBe(-E.EAGAIN);
    expect(sa.sys.setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 0, tv_usec: 1_000_000 })).toBe(-33); // EDOM
  });

  it('EAGAIN from a timed-out blocking recv in the Promise layer, at the timeout on the stack clock', async () => {
    const p = pair();
    const { clock, sa } = p;
    const { c } = connected(p);
    sa.api.setNonBlocking(c, false);
    sa.api.setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 2, tv_usec: 500_000 });
    const t0 = clock.now();
    await expect(drive(clock, sa.api.recv(c, 10))).rejects.toMatchObject({ code: 'EAGAIN', syscall: 'recv' });
    expect(clock.now() - t0).toBe(2_500_000);
  });

  it('EMSGSIZE: a UDP datagram beyond 65507 bytes, or beyond the MTU with IP_PMTUDISC_DO', () => {
    const { sa } = pair();
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(u, new Uint8Array(65508), 0, inet(B_TEXT, 9))).toBe(-E.EMSGSIZE);
    expect(sa.sys.sendto(u, new Uint8Array(3000), 0, inet(B_TEXT, 9))).toBe(3000); // fragmented
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)).toBe(0);
    expect(sa.sys.sendto(u, new Uint8Array(3000), 0, inet(B_TEXT, 9))).toBe(-E.EMSGSIZE);
    expect(sa.sys.sendto(u, new Uint8Array(1472), 0, inet(B_TEXT, 9))).toBe(1472);
  });

  it('ENOPROTOOPT: options the stack does not implement, and options of another protocol', () => {
    const { sa } = pair();
    const t = sa.sys.socket(AF_INET, SOCK_STREAM, 0);
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.setsockopt(t, SOL_SOCKET, 1 /* SO_DEBUG */, 1)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.setsockopt(t, SOL_TCP, 10 /* TCP_WINDOW_CLAMP */, 5)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.setsockopt(t, SOL_IP, IP_MULTICAST_LOOP, 1)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.getsockopt(t, SOL_TCP, 13 /* TCP_CONGESTION */)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.setsockopt(u, SOL_TCP, TCP_NODELAY, 1)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.setsockopt(u, SOL_UDP, 1 /* UDP_CORK */, 1)).toBe(-E.ENOPROTOOPT);
    expect(sa.sys.setsockopt(t, SOL_SOCKET, SO_ERROR, 1)).toBe(-E.ENOPROTOOPT);
  });

  it('EOPNOTSUPP: listen and accept on a datagram socket, MSG_OOB on TCP', () => {
    const p = pair();
    const { sa } = p;
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.listen(u, 1)).toBe(-E.EOPNOTSUPP);
    expect(sa.sys.accept(u)).toBe(-E.EOPNOTSUPP);
    const { c } = connected(p);
    expect(sa.sys.send(c, enc('x'), 1 /* MSG_OOB */)).toBe(-E.EOPNOTSUPP);
    expect(sa.sys.recv(c, new Uint8Array(1), 1)).toBe(-E.EINVAL);
  });
});
