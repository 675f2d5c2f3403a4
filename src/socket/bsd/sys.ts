import { ERRNO } from '../../core/errno.js';
import {
  AF_INET, AF_INET6, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, FIONBIO, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP,
  O_APPEND, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLNVAL, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW,
  SOCK_STREAM, SOCK_TYPE_MASK,
} from './constants.js';
import { DescriptorTable } from './descriptors.js';
import { DatagramSocket } from './dgram-socket.js';
import type { BsdSocket, SocketHost, Waiter } from './socket-base.js';
import { TcpSocket } from './tcp-socket.js';
import type {
  GetsockoptResult, OptionValue, PollFd, RecvMsgHdr, SendMsgHdr, SockAddr, SockAddrOut, SysResult,
} from './types.js';
import { WOULD_BLOCK } from './types.js';

/** Linux UIO_MAXIOV: the most buffers one readv/writev/sendmsg/recvmsg takes. */
const IOV_MAX = 1024;
/** Linux SOCK_MAX: socket types are below it. */
const SOCK_MAX = 11;
/** IPPROTO_MAX. */
const IPPROTO_MAX = 256;

/** A registered {@link BsdSys.wait}; `cancel()` removes it if it has not run. */
export interface WaitHandle {
  cancel(): void;
}

/** The natural optlen of a setsockopt value when the caller gives none. */
function naturalOptlen(v: OptionValue): number {
  if (typeof v === 'number') return 4;
  if (typeof v === 'string') return 4;
  if (v instanceof Uint8Array) return v.length;
  if ('onoff' in v) return 8;
  if ('tv_sec' in v) return 16;
  return 'imr_ifindex' in v ? 12 : 8;
}

/**
 * The system-call layer of the BSD socket facade: Linux's socket calls on
 * integer descriptors, synchronous, never blocking, never throwing on an
 * errno.
 *
 * ## Results
 * Every call returns its C result: a non-negative number (a descriptor, a
 * byte count, 0 for success) or a negative Linux errno (`-ERRNO.EBADF`…),
 * except where C returns a struct: getsockname/getpeername return a
 * {@link SockAddr} and getsockopt returns `{ value, optlen }` (or a
 * negative errno). ioctl returns the int C would store through its
 * pointer argument (FIONREAD, SIOCOUTQ…), 0 for FIONBIO.
 *
 * ## Blocking: the WOULD_BLOCK contract
 * `sys` never sleeps. When a call cannot complete now:
 * - on a socket with O_NONBLOCK, with MSG_DONTWAIT, or with a zero
 *   SO_RCVTIMEO/SO_SNDTIMEO (a negative timeval), it fails as Linux's
 *   non-blocking call does: -EAGAIN (accept, recv*, read*, send* with a
 *   full buffer), -EINPROGRESS (the first connect), -EALREADY (a connect
 *   while one is in progress);
 * - on a blocking socket it returns {@link WOULD_BLOCK} instead, and has
 *   done nothing that the retry would repeat. The caller then waits with
 *   {@link wait} (POLLIN for accept/recv, POLLOUT for connect/send) and
 *   calls again with the same arguments. The Promise layer does exactly
 *   this; so can an interpreter that runs "blocking" calls on a virtual
 *   clock.
 *
 * Details:
 * - **connect** on a blocking TCP socket sends the SYN and returns
 *   WOULD_BLOCK; while that blocking connect is pending, connect() on the
 *   socket is its continuation: WOULD_BLOCK until the handshake ends, then
 *   0 or the error (ECONNREFUSED, ETIMEDOUT, ECONNRESET…), as the one
 *   blocking call Linux makes would return. Non-blocking: -EINPROGRESS,
 *   then -EALREADY while in progress; completion shows as POLLOUT (plus
 *   POLLERR and SO_ERROR on failure); the next connect() returns 0 (or
 *   the error) once, then -EISCONN.
 * - **send/write** on TCP accept what fits in the send buffer and return
 *   that count, which may be less than asked; WOULD_BLOCK (or -EAGAIN)
 *   only when nothing fits. Linux's blocking send would sleep until all is
 *   queued: a blocking caller loops on the rest (the Promise layer does).
 *   Datagram sends never block.
 * - **recv/read** return what is there (at least 1 byte) without waiting
 *   for more; MSG_WAITALL is the blocking caller's loop (the Promise layer
 *   does it). 0 is end of stream.
 * - **poll** with a timeout other than 0 returns WOULD_BLOCK when nothing
 *   is ready; with 0 it returns 0.
 * - **close** never blocks: the descriptor is released at once and the
 *   connection closes in the background (SO_LINGER with a timeout is
 *   honoured by the Promise layer's close, which waits).
 */
export class BsdSys {
  private readonly fds: DescriptorTable<BsdSocket>;

  constructor(
    private readonly host: SocketHost,
    options: { maxDescriptors?: number } = {},
  ) {
    this.fds = new DescriptorTable<BsdSocket>(3, options.maxDescriptors ?? 1024);
  }

  // ================================================================ creation

  /**
   * socket(2). `type` may carry SOCK_NONBLOCK and SOCK_CLOEXEC. Supported:
   * AF_INET/AF_INET6 SOCK_STREAM (0 or IPPROTO_TCP); AF_INET/AF_INET6
   * SOCK_DGRAM (0 or IPPROTO_UDP; AF_INET IPPROTO_ICMP: a ping socket); AF_INET SOCK_RAW
   * IPPROTO_ICMP. Errors as inet_create: EAFNOSUPPORT, EINVAL (bad type or
   * flags, protocol out of range), ESOCKTNOSUPPORT (a type inet lacks),
   * EPROTONOSUPPORT (SOCK_STREAM with IPPROTO_UDP…), EMFILE.
   */
  socket(domain: number, type: number, protocol = 0): number {
    if (domain !== AF_INET && domain !== AF_INET6) return -ERRNO.EAFNOSUPPORT;
    const base = type & SOCK_TYPE_MASK;
    const flags = type & ~SOCK_TYPE_MASK;
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0 || base < 1 || base >= SOCK_MAX) return -ERRNO.EINVAL;
    if (!Number.isInteger(protocol) || protocol < 0 || protocol >= IPPROTO_MAX) return -ERRNO.EINVAL;
    let sock: BsdSocket;
    const h = this.host;
    if (base === SOCK_STREAM) {
      if (protocol !== 0 && protocol !== IPPROTO_TCP) return -ERRNO.EPROTONOSUPPORT;
      sock = new TcpSocket(h, domain, protocol);
    } else if (base === SOCK_DGRAM) {
      if (protocol !== 0 && protocol !== IPPROTO_UDP && protocol !== IPPROTO_ICMP) return -ERRNO.EPROTONOSUPPORT;
      if (protocol === IPPROTO_ICMP) {
        // Ping sockets are IPv4 only here (no ICMPv6 ping endpoints yet).
        if (domain !== AF_INET) return -ERRNO.EAFNOSUPPORT;
        sock = new DatagramSocket(h, domain, base, protocol, { kind: 'ping', ep: h.ping().open() });
      } else {
        sock = new DatagramSocket(h, domain, base, IPPROTO_UDP, { kind: 'udp', ep: h.udp().open(domain === AF_INET6 ? 6 : 4) });
      }
    } else if (base === SOCK_RAW) {
      // Linux takes any protocol on a raw socket; this stack has raw ICMP only.
      if (protocol !== IPPROTO_ICMP) return -ERRNO.EPROTONOSUPPORT;
      if (domain !== AF_INET) return -ERRNO.EAFNOSUPPORT;
      sock = new DatagramSocket(h, domain, base, protocol, { kind: 'raw', ep: h.raw().open() });
    } else {
      return -ERRNO.ESOCKTNOSUPPORT;
    }
    sock.nonBlocking = (flags & SOCK_NONBLOCK) !== 0;
    sock.cloexec = (flags & SOCK_CLOEXEC) !== 0;
    const fd = this.fds.alloc(sock);
    if (fd < 0) {
      sock.close();
      return -ERRNO.EMFILE;
    }
    return fd;
  }

  // ================================================================ connection setup

  /** bind(2): EBADF, EINVAL (already bound), EAFNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE. Port 0 picks an ephemeral port. */
  bind(fd: number, addr: SockAddr): number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.bind(addr);
  }

  /** listen(2): EBADF, EINVAL (connected), EOPNOTSUPP (datagram), EADDRINUSE. Unbound sockets get an ephemeral port. */
  listen(fd: number, backlog: number): number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.listen(backlog);
  }

  /** accept(2): the new descriptor; `addr.addr` receives the peer. EINVAL when not listening, EAGAIN / WOULD_BLOCK, EMFILE. */
  accept(fd: number, addr?: SockAddrOut): SysResult {
    return this.accept4(fd, addr, 0);
  }

  /** accept4(2): accept with SOCK_NONBLOCK / SOCK_CLOEXEC for the new descriptor (other flags: EINVAL). */
  accept4(fd: number, addr: SockAddrOut | undefined, flags: number): SysResult {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    return this.acceptOn(s, addr, flags);
  }

  /** @internal accept on a socket object (the Promise layer holds objects, not numbers). */
  acceptOn(s: BsdSocket, addr: SockAddrOut | undefined, flags: number): SysResult {
    if (s.closed) return -ERRNO.EBADF;
    // Linux reserves the descriptor before it dequeues (get_unused_fd_flags first).
    if (this.fds.full) return -ERRNO.EMFILE;
    const r = s.accept(flags, addr);
    if (typeof r === 'number' || r === WOULD_BLOCK) return r;
    return this.fds.alloc(r);
  }

  /** connect(2); see the class comment for blocking and non-blocking results. AF_UNSPEC dissolves the association. */
  connect(fd: number, addr: SockAddr): SysResult {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.connect(addr);
  }

  // ================================================================ data out

  /** send(2). */
  send(fd: number, data: Uint8Array, flags = 0): SysResult {
    return this.sendmsgOn(fd, [data], flags, null);
  }

  /** sendto(2); `addr` null is send(). TCP ignores the address, as Linux does. */
  sendto(fd: number, data: Uint8Array, flags: number, addr: SockAddr | null): SysResult {
    return this.sendmsgOn(fd, [data], flags, addr);
  }

  /** sendmsg(2). Control messages are not supported: EINVAL when `msg.control` is not empty. */
  sendmsg(fd: number, msg: SendMsgHdr, flags = 0): SysResult {
    if (msg.control !== undefined && msg.control.length > 0) return this.fds.get(fd) === undefined ? -ERRNO.EBADF : -ERRNO.EINVAL;
    return this.sendmsgOn(fd, msg.iov, flags, msg.name ?? null);
  }

  /** write(2). */
  write(fd: number, data: Uint8Array): SysResult {
    return this.sendmsgOn(fd, [data], 0, null);
  }

  /** writev(2). */
  writev(fd: number, iov: readonly Uint8Array[]): SysResult {
    return this.sendmsgOn(fd, iov, 0, null);
  }

  private sendmsgOn(fd: number, iov: readonly Uint8Array[], flags: number, to: SockAddr | null): SysResult {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    if (iov.length > IOV_MAX) return -ERRNO.EINVAL;
    return s.send(iov, flags, to);
  }

  // ================================================================ data in

  /** recv(2) into `buf`: the byte count (0 = end of stream). */
  recv(fd: number, buf: Uint8Array, flags = 0): SysResult {
    return this.recvmsgOn(fd, [buf], flags, null);
  }

  /** recvfrom(2): `from.addr` receives the sender (datagram sockets; TCP leaves it unset, as Linux does). */
  recvfrom(fd: number, buf: Uint8Array, flags: number, from?: SockAddrOut): SysResult {
    const msg: RecvMsgHdr = { iov: [buf], flags: 0 };
    const r = this.recvmsgOn(fd, msg.iov, flags, msg);
    if (from !== undefined && msg.name !== undefined) from.addr = msg.name;
    return r;
  }

  /** recvmsg(2): fills `msg.name` (datagram sockets) and `msg.flags` (MSG_TRUNC). */
  recvmsg(fd: number, msg: RecvMsgHdr, flags = 0): SysResult {
    return this.recvmsgOn(fd, msg.iov, flags, msg);
  }

  /** read(2). */
  read(fd: number, buf: Uint8Array): SysResult {
    return this.recvmsgOn(fd, [buf], 0, null);
  }

  /** readv(2). */
  readv(fd: number, iov: readonly Uint8Array[]): SysResult {
    return this.recvmsgOn(fd, iov, 0, null);
  }

  private recvmsgOn(fd: number, iov: readonly Uint8Array[], flags: number, msg: RecvMsgHdr | null): SysResult {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    if (iov.length > IOV_MAX) return -ERRNO.EINVAL;
    return s.recv(iov, flags, msg);
  }

  // ================================================================ teardown

  /** shutdown(2): SHUT_RD, SHUT_WR, SHUT_RDWR; ENOTCONN when not connected (the bits are recorded anyway, as Linux does). */
  shutdown(fd: number, how: number): number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.shutdown(how);
  }

  /**
   * close(2): releases the descriptor at once. Waiters on the socket run at
   * once with POLLNVAL, so pending Promises reject with EBADF.
   */
  close(fd: number): number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    this.fds.free(fd);
    s.close();
    return 0;
  }

  /**
   * @internal close(2) of a blocking TCP socket under SO_LINGER: releases the
   * descriptor at once, and `done` runs when Linux's close would return (FIN
   * acknowledged, or linger time up). Other sockets: `done` runs at once.
   */
  closeLingering(fd: number, done: () => void): number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    this.fds.free(fd);
    if (s instanceof TcpSocket) s.close(done);
    else {
      s.close();
      done();
    }
    return 0;
  }

  // ================================================================ options and names

  /**
   * setsockopt(2). `optlen` defaults to the natural size of the value (4
   * for an int, 8 for a Linger, 16 for a Timeval, 12 for an IpMreq with an
   * index, else 8); give it to reproduce a C caller's short lengths.
   * Options the stack does not implement fail with ENOPROTOOPT.
   */
  setsockopt(fd: number, level: number, name: number, value: OptionValue, optlen?: number): number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    return s.setsockopt(level, name, value, optlen ?? naturalOptlen(value));
  }

  /** getsockopt(2): `{ value, optlen }` or a negative errno. */
  getsockopt(fd: number, level: number, name: number): GetsockoptResult | number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.getsockopt(level, name);
  }

  /** getsockname(2). */
  getsockname(fd: number): SockAddr | number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.getsockname();
  }

  /** getpeername(2): ENOTCONN without a peer. */
  getpeername(fd: number): SockAddr | number {
    const s = this.fds.get(fd);
    return s === undefined ? -ERRNO.EBADF : s.getpeername();
  }

  // ================================================================ descriptor control

  /**
   * fcntl(2): F_GETFL (O_RDWR plus O_NONBLOCK / O_APPEND), F_SETFL
   * (O_NONBLOCK and O_APPEND change; the access mode is ignored, as Linux
   * does; O_ASYNC and O_DIRECT fail with EINVAL: there are no signals and
   * no direct I/O here), F_GETFD / F_SETFD (FD_CLOEXEC). Others: EINVAL.
   */
  fcntl(fd: number, cmd: number, arg = 0): number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    switch (cmd) {
      case F_GETFL:
        return O_RDWR | (s.nonBlocking ? O_NONBLOCK : 0) | s.extraStatusFlags;
      case F_SETFL: {
        const settable = O_NONBLOCK | O_APPEND;
        const other = arg & ~(settable | 3);
        if ((other & (0o20000 | 0o40000)) !== 0) return -ERRNO.EINVAL;
        s.nonBlocking = (arg & O_NONBLOCK) !== 0;
        s.extraStatusFlags = arg & O_APPEND;
        return 0;
      }
      case F_GETFD:
        return s.cloexec ? FD_CLOEXEC : 0;
      case F_SETFD:
        s.cloexec = (arg & FD_CLOEXEC) !== 0;
        return 0;
      default:
        return -ERRNO.EINVAL;
    }
  }

  /**
   * ioctl(2): FIONREAD/SIOCINQ (bytes readable; on a datagram socket the
   * size of the next datagram), SIOCOUTQ (bytes not yet acknowledged),
   * SIOCOUTQNSD (TCP: bytes not yet sent), FIONBIO (`arg` non-zero sets
   * O_NONBLOCK). The int C stores through the pointer is the return value.
   * TCP listeners answer EINVAL; unknown requests ENOTTY (25).
   */
  ioctl(fd: number, request: number, arg = 0): number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    if (request === FIONBIO) {
      s.nonBlocking = arg !== 0;
      return 0;
    }
    return s.ioctl(request);
  }

  // ================================================================ readiness

  /**
   * poll(2): fills `revents` of each entry (POLLNVAL for a descriptor that
   * is not open; negative descriptors are skipped) and returns how many
   * have events. `timeoutMs` 0 polls; any other timeout returns
   * WOULD_BLOCK when nothing is ready (the Promise layer's poll waits).
   */
  poll(fds: PollFd[], timeoutMs = 0): SysResult {
    let n = 0;
    for (const p of fds) {
      p.revents = 0;
      if (p.fd < 0) continue;
      const s = this.fds.get(p.fd);
      if (s === undefined) {
        p.revents = POLLNVAL;
        n++;
        continue;
      }
      p.revents = s.pollMask() & (p.events | POLLERR | POLLHUP);
      if (p.revents !== 0) n++;
    }
    if (n > 0 || timeoutMs === 0) return n;
    return WOULD_BLOCK;
  }

  /**
   * Waits for readiness after a call returned WOULD_BLOCK: `fn` runs once
   * with the socket's poll mask when it next intersects `events` (or shows
   * POLLERR / POLLHUP), or with POLLNVAL when the descriptor is closed.
   * It runs after the stack has finished the event that caused it, so it
   * may retry the call at once. -EBADF if `fd` is not open.
   */
  wait(fd: number, events: number, fn: (revents: number) => void): WaitHandle | number {
    const s = this.fds.get(fd);
    if (s === undefined) return -ERRNO.EBADF;
    const w: Waiter = s.addWaiter(events, fn);
    return { cancel: () => s.removeWaiter(w) };
  }

  // ================================================================ introspection

  /** @internal The socket object behind a descriptor. */
  socketOf(fd: number): BsdSocket | undefined {
    return this.fds.get(fd);
  }

  /** Open descriptors, ascending. */
  descriptors(): number[] {
    return [...this.fds.entries()].map(([fd]) => fd);
  }

  /**
   * What a descriptor stands for, for debugging and interpreters: the
   * socket's kind and the transport object under it (a TcpConnection, a
   * TcpListener list, or a datagram endpoint).
   */
  inspect(fd: number): { kind: 'tcp' | 'udp' | 'ping' | 'raw'; endpoint: unknown } | undefined {
    const s = this.fds.get(fd);
    if (s === undefined) return undefined;
    if (s instanceof TcpSocket) return { kind: 'tcp', endpoint: s.listening ? s.listeners : s.conn };
    if (s instanceof DatagramSocket) return { kind: s.dg.kind, endpoint: s.dg.ep };
    return undefined;
  }

  /** Closes every descriptor (stack shutdown). */
  closeAll(): void {
    for (const fd of this.descriptors()) this.close(fd);
  }
}
