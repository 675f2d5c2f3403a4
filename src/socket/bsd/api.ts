import type { StackContext } from '../../core/context.js';
import { ERRNO, SocketError } from '../../core/errno.js';
import { abortError, block, type Outcome, socketError, waitReady } from './blocking.js';
import {
  F_GETFL, F_SETFL, MSG_PEEK, MSG_WAITALL, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDBAND,
  POLLRDNORM, POLLWRBAND, POLLWRNORM, SOMAXCONN,
} from './constants.js';
import type { AddrInfo, AddrInfoHints, Resolver } from './resolver.js';
import type { BsdSocket } from './socket-base.js';
import type { BsdSys } from './sys.js';
import { TcpSocket } from './tcp-socket.js';
import type { GetsockoptResult, OptionValue, PollFd, RecvMsgHdr, SockAddr, SockAddrOut } from './types.js';
import { WOULD_BLOCK } from './types.js';

/** Options of a call that may wait. */
export interface WaitOptions {
  /** Aborting rejects the pending call with a SocketError ECANCELED (its `cause` is the signal's reason). */
  readonly signal?: AbortSignal;
}

/** Options of accept. */
export interface AcceptOptions extends WaitOptions {
  /** accept4 flags: SOCK_NONBLOCK, SOCK_CLOEXEC. */
  readonly flags?: number;
}

/** An accepted connection. */
export interface Accepted {
  readonly fd: number;
  readonly address: SockAddr;
}

/** What recvfrom / recvmsg resolve with. */
export interface Received {
  readonly data: Uint8Array;
  /** The sender (datagram sockets); null on TCP, whose peer getpeername() gives. */
  readonly address: SockAddr | null;
  /** msg_flags: MSG_TRUNC when a datagram was longer than `length`. */
  readonly flags: number;
}

/** The descriptors select() found ready. */
export interface SelectResult {
  readonly readfds: number[];
  readonly writefds: number[];
  readonly exceptfds: number[];
}

/** Linux select(2): the poll bits that make a descriptor readable, writable, exceptional. */
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

/**
 * The Promise layer of the BSD socket facade. Calls that sleep in POSIX
 * return Promises that settle on stack events; the others are synchronous.
 * Failures are {@link SocketError}s (code, errno, syscall), thrown by the
 * synchronous calls and rejected by the asynchronous ones.
 *
 * Blocking follows the socket: on a socket with O_NONBLOCK (or with
 * MSG_DONTWAIT) a call that cannot complete rejects at once with EAGAIN /
 * EINPROGRESS, as Linux fails it; otherwise it waits, bounded by
 * SO_RCVTIMEO / SO_SNDTIMEO (on the stack's clock) and the AbortSignal.
 * Closing a descriptor rejects its pending calls at once with EBADF (the
 * error a retried call on the closed descriptor gets); an abort rejects
 * with ECANCELED.
 */
export class BsdApi {
  constructor(
    private readonly sys: BsdSys,
    private readonly ctx: StackContext,
    private readonly resolver: Resolver,
  ) {}

  // ================================================================ synchronous calls

  /** socket(2); returns the descriptor. */
  socket(domain: number, type: number, protocol = 0): number {
    return this.check(this.sys.socket(domain, type, protocol), 'socket');
  }

  /** bind(2). */
  bind(fd: number, addr: SockAddr): void {
    this.check(this.sys.bind(fd, addr), 'bind');
  }

  /** listen(2); the backlog defaults to SOMAXCONN. */
  listen(fd: number, backlog = SOMAXCONN): void {
    this.check(this.sys.listen(fd, backlog), 'listen');
  }

  /** shutdown(2). */
  shutdown(fd: number, how: number): void {
    this.check(this.sys.shutdown(fd, how), 'shutdown');
  }

  /** setsockopt(2). */
  setsockopt(fd: number, level: number, name: number, value: OptionValue, optlen?: number): void {
    this.check(this.sys.setsockopt(fd, level, name, value, optlen), 'setsockopt');
  }

  /** getsockopt(2): the value. */
  getsockopt(fd: number, level: number, name: number): GetsockoptResult['value'] {
    const r = this.sys.getsockopt(fd, level, name);
    if (typeof r === 'number') throw socketError(r, 'getsockopt');
    return r.value;
  }

  /** getsockname(2). */
  getsockname(fd: number): SockAddr {
    const r = this.sys.getsockname(fd);
    if (typeof r === 'number') throw socketError(r, 'getsockname');
    return r;
  }

  /** getpeername(2). */
  getpeername(fd: number): SockAddr {
    const r = this.sys.getpeername(fd);
    if (typeof r === 'number') throw socketError(r, 'getpeername');
    return r;
  }

  /** fcntl(F_SETFL) with O_NONBLOCK set or cleared, the other flags kept. */
  setNonBlocking(fd: number, on: boolean): void {
    const fl = this.check(this.sys.fcntl(fd, F_GETFL), 'fcntl');
    this.check(this.sys.fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK), 'fcntl');
  }

  /** ioctl(2) that reads an int (FIONREAD, SIOCOUTQ…). */
  ioctl(fd: number, request: number, arg = 0): number {
    return this.check(this.sys.ioctl(fd, request, arg), 'ioctl');
  }

  // ================================================================ calls that may wait

  /** accept(2) / accept4(2). */
  accept(fd: number, o: AcceptOptions = {}): Promise<Accepted> {
    const s = this.sys.socketOf(fd);
    if (s === undefined) return this.ebadf('accept');
    const out: SockAddrOut = {};
    return block<Accepted>(this.ctx, s, {
      syscall: 'accept',
      events: POLLIN,
      timeoutUs: s.rcvTimeoUs,
      signal: o.signal,
      attempt: () => {
        const r = this.sys.acceptOn(s, out, o.flags ?? 0);
        if (r === WOULD_BLOCK || r < 0) return r;
        return { ok: { fd: r, address: out.addr! } };
      },
      onTimeout: () => -ERRNO.EAGAIN,
    });
  }

  /**
   * connect(2): resolves once connected. Blocking sockets wait for the
   * handshake (SO_SNDTIMEO expiring rejects with EINPROGRESS, as Linux);
   * non-blocking ones reject with EINPROGRESS at once.
   */
  connect(fd: number, addr: SockAddr, o: WaitOptions = {}): Promise<void> {
    const s = this.sys.socketOf(fd);
    if (s === undefined) return this.ebadf('connect');
    const abandon = (): void => {
      if (s instanceof TcpSocket) s.abandonConnect();
    };
    // On a timeout Linux reports EINPROGRESS if this call started the handshake, EALREADY if it joined one.
    const starts = !(s instanceof TcpSocket) || s.sockState === 'unconnected';
    return block<void>(this.ctx, s, {
      syscall: 'connect',
      events: POLLOUT,
      timeoutUs: s.sndTimeoUs,
      signal: o.signal,
      attempt: () => {
        const r = s.connect(addr);
        if (r === WOULD_BLOCK || r < 0) return r;
        return { ok: undefined };
      },
      onTimeout: () => (starts ? -ERRNO.EINPROGRESS : -ERRNO.EALREADY),
      onAbandon: abandon,
    });
  }

  /**
   * send(2): resolves with the bytes sent. A blocking TCP send waits until
   * all of `data` is queued (or the timeout: then the count so far, or
   * EAGAIN if none); a non-blocking one sends what fits. `data` is copied:
   * the caller may reuse it once the Promise settles.
   */
  send(fd: number, data: Uint8Array, flags = 0, o: WaitOptions = {}): Promise<number> {
    return this.sendOn(fd, data, flags, null, 'send', o);
  }

  /** sendto(2). */
  sendto(fd: number, data: Uint8Array, addr: SockAddr | null, flags = 0, o: WaitOptions = {}): Promise<number> {
    return this.sendOn(fd, data, flags, addr, 'sendto', o);
  }

  /** write(2). */
  write(fd: number, data: Uint8Array, o: WaitOptions = {}): Promise<number> {
    return this.sendOn(fd, data, 0, null, 'write', o);
  }

  private sendOn(fd: number, data: Uint8Array, flags: number, to: SockAddr | null, syscall: string, o: WaitOptions): Promise<number> {
    const s = this.sys.socketOf(fd);
    if (s === undefined) return this.ebadf(syscall);
    const stream = s instanceof TcpSocket;
    let sent = 0;
    return block<number>(this.ctx, s, {
      syscall,
      events: POLLOUT,
      timeoutUs: s.sndTimeoUs,
      signal: o.signal,
      attempt: () => {
        for (;;) {
          const r = s.send([sent === 0 ? data : data.subarray(sent)], flags, to);
          if (r === WOULD_BLOCK) return r;
          if (r < 0) return sent > 0 ? { ok: sent } : r;
          sent += r;
          if (!stream || sent >= data.length) return { ok: sent };
        }
      },
      onTimeout: () => (sent > 0 ? { ok: sent } : -ERRNO.EAGAIN),
    });
  }

  /**
   * recv(2): resolves with up to `length` bytes (an empty array at end of
   * stream). MSG_WAITALL waits for all `length` bytes (less only at end of
   * stream, on an error after some data, or on the timeout); MSG_PEEK
   * leaves the data queued.
   */
  async recv(fd: number, length: number, flags = 0, o: WaitOptions = {}): Promise<Uint8Array> {
    return (await this.recvOn(fd, length, flags, 'recv', o)).data;
  }

  /** read(2). */
  async read(fd: number, length: number, o: WaitOptions = {}): Promise<Uint8Array> {
    return (await this.recvOn(fd, length, 0, 'read', o)).data;
  }

  /** recvfrom(2): the data and its sender. */
  recvfrom(fd: number, length: number, flags = 0, o: WaitOptions = {}): Promise<Received> {
    return this.recvOn(fd, length, flags, 'recvfrom', o);
  }

  private recvOn(fd: number, length: number, flags: number, syscall: string, o: WaitOptions): Promise<Received> {
    const s = this.sys.socketOf(fd);
    if (s === undefined) return this.ebadf(syscall);
    if (!Number.isInteger(length) || length < 0) return Promise.reject(new SocketError('EINVAL', syscall));
    const buf = new Uint8Array(length);
    const stream = s instanceof TcpSocket;
    const waitAll = (flags & MSG_WAITALL) !== 0 && (flags & MSG_PEEK) === 0;
    let got = 0;
    const partial = (): Outcome<Received> => ({ ok: { data: buf.subarray(0, got), address: null, flags: 0 } });
    return block<Received>(this.ctx, s, {
      syscall,
      events: POLLIN,
      timeoutUs: s.rcvTimeoUs,
      signal: o.signal,
      attempt: () => {
        for (;;) {
          const msg: RecvMsgHdr = { iov: [buf.subarray(got)], flags: 0 };
          const r = s.recv(msg.iov, flags & ~MSG_WAITALL, msg);
          if (r === WOULD_BLOCK) return r;
          if (r < 0) return got > 0 ? partial() : r;
          if (!stream) {
            return { ok: { data: buf.subarray(0, Math.min(r, length)), address: msg.name ?? null, flags: msg.flags } };
          }
          got += r;
          if (r === 0 || !waitAll || got >= length) return partial();
        }
      },
      onTimeout: () => (got > 0 ? (partial() as { ok: Received }) : -ERRNO.EAGAIN),
    });
  }

  /**
   * close(2): the descriptor is released at once and pending calls on it
   * reject with EBADF. With SO_LINGER on and a timeout, on a blocking TCP
   * socket, the Promise waits (Linux's close sleeps) until the connection
   * has sent its FIN and had it acknowledged, or the linger time passes.
   */
  close(fd: number): Promise<void> {
    const s = this.sys.socketOf(fd);
    if (s instanceof TcpSocket && !s.nonBlocking && s.opts.lingerOn && s.opts.lingerS > 0) {
      // Linux's close returns 0 also when the linger time runs out (the connection carries on as an orphan).
      return new Promise<void>((resolve) => {
        this.sys.closeLingering(fd, resolve);
      });
    }
    const r = this.sys.close(fd);
    if (r < 0) return Promise.reject(socketError(r, 'close'));
    return Promise.resolve();
  }

  /**
   * poll(2): resolves with the number of ready descriptors, `revents`
   * filled, when one is ready or after `timeoutMs` (-1: no limit; 0: at once).
   */
  async poll(fds: PollFd[], timeoutMs = -1, o: WaitOptions = {}): Promise<number> {
    const socks = this.waitSet(fds.map((p) => [p.fd, p.events] as const));
    await waitReady(this.ctx, 'poll', socks, () => (this.sys.poll(fds, 0) as number) > 0, msToUs(timeoutMs), o.signal);
    // revents as of now (also after a timeout: then all zero).
    return this.sys.poll(fds, 0) as number;
  }

  /**
   * select(2) over descriptor lists: resolves with the ready ones when any
   * is ready or after `timeoutMs` (-1: no limit). Rejects with EBADF when
   * a listed descriptor is not open (or is closed while waiting).
   */
  async select(readfds: readonly number[], writefds: readonly number[], exceptfds: readonly number[], timeoutMs = -1, o: WaitOptions = {}): Promise<SelectResult> {
    const want = new Map<number, number>();
    const add = (list: readonly number[], ev: number): void => {
      for (const fd of list) want.set(fd, (want.get(fd) ?? 0) | ev);
    };
    add(readfds, POLLIN);
    add(writefds, POLLOUT);
    add(exceptfds, POLLPRI);
    for (const fd of want.keys()) if (this.sys.socketOf(fd) === undefined) throw new SocketError('EBADF', 'select');
    const pfds: PollFd[] = [...want].map(([fd, events]) => ({ fd, events, revents: 0 }));
    let result: SelectResult = { readfds: [], writefds: [], exceptfds: [] };
    let bad = false;
    const ready = (): boolean => {
      this.sys.poll(pfds, 0);
      const r: SelectResult = { readfds: [], writefds: [], exceptfds: [] };
      for (const p of pfds) {
        if (this.sys.socketOf(p.fd) === undefined) bad = true;
        if (readfds.includes(p.fd) && (p.revents & POLLIN_SET) !== 0) r.readfds.push(p.fd);
        if (writefds.includes(p.fd) && (p.revents & POLLOUT_SET) !== 0) r.writefds.push(p.fd);
        if (exceptfds.includes(p.fd) && (p.revents & POLLEX_SET) !== 0) r.exceptfds.push(p.fd);
      }
      result = r;
      return bad || r.readfds.length + r.writefds.length + r.exceptfds.length > 0;
    };
    const socks = this.waitSet(pfds.map((p) => [p.fd, p.events] as const));
    await waitReady(this.ctx, 'select', socks, ready, msToUs(timeoutMs), o.signal);
    if (bad) throw new SocketError('EBADF', 'select');
    return result;
  }

  private waitSet(list: readonly (readonly [number, number])[]): { sock: BsdSocket; events: number }[] {
    const out: { sock: BsdSocket; events: number }[] = [];
    for (const [fd, events] of list) {
      const sock = this.sys.socketOf(fd);
      if (sock !== undefined) out.push({ sock, events });
    }
    return out;
  }

  // ================================================================ names

  /** getaddrinfo(3): numeric hosts, the hosts table, then DNS (A/AAAA) through the configured resolvers. */
  getaddrinfo(node: string | null, service: string | number | null = null, hints: AddrInfoHints = {}, o: WaitOptions = {}): Promise<AddrInfo[]> {
    if (o.signal?.aborted) return Promise.reject(abortError('getaddrinfo', o.signal));
    return this.resolver.getaddrinfo(node, service, hints, o.signal);
  }

  // ================================================================ helpers

  private check(r: number, syscall: string): number {
    if (r < 0) throw socketError(r, syscall);
    return r;
  }

  private ebadf<T>(syscall: string): Promise<T> {
    return Promise.reject(new SocketError('EBADF', syscall));
  }
}

/** poll/select timeouts: negative = forever. */
function msToUs(ms: number): number {
  return ms < 0 ? Infinity : Math.round(ms * 1000);
}
