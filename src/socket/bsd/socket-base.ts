import type { StackContext } from '../../core/context.js';
import type { EphemeralPortAllocator } from '../../core/ephemeral-ports.js';
import { ERRNO } from '../../core/errno.js';
import { Timer } from '../../core/scheduler.js';
import type { PingEndpoints } from '../../icmp/ping-endpoints.js';
import type { RawIcmpEndpoints } from '../../icmp/raw-endpoints.js';
import type { IpStack } from '../../ip/ip-layer.js';
import type { TcpLayer } from '../../tcp/tcp-layer.js';
import type { UdpLayer } from '../../udp/udp-layer.js';
import {
  EDOM, MSG_DONTWAIT, POLLERR, POLLHUP, POLLNVAL, SO_DOMAIN, SO_PROTOCOL, SO_RCVTIMEO, SO_SNDTIMEO, SO_TYPE,
} from './constants.js';
import type { TcpBindTable } from './tcp-bind-table.js';
import {
  type GetsockoptResult, type OptionValue, type RecvMsgHdr, type SockAddr, type SockAddrOut, type SysResult,
  type Timeval, WOULD_BLOCK,
} from './types.js';

/** What every socket of one facade shares: the stack's layers and tables. */
export interface SocketHost {
  readonly ctx: StackContext;
  readonly ip: IpStack;
  readonly tcp: TcpLayer;
  /** Ports held by bound TCP sockets that do not listen yet (the TCP layer only knows listeners and connections). */
  readonly tcpBinds: TcpBindTable;
  /** Ephemeral ports for bind(port 0) and listen() without bind on TCP sockets. */
  readonly tcpPorts: EphemeralPortAllocator;
  /** The stack's UDP layer (created on first use if the stack has none). */
  udp(): UdpLayer;
  /** The stack's ping endpoints (created on first use). */
  ping(): PingEndpoints;
  /** The stack's raw ICMP endpoints (created on first use). */
  raw(): RawIcmpEndpoints;
}

/** A readiness wait registered with {@link BsdSocket.addWaiter}. */
export interface Waiter {
  /** poll events that end the wait (POLLERR, POLLHUP and POLLNVAL always do). */
  readonly events: number;
  /** Called once, with the socket's current poll mask (POLLNVAL when the socket was closed). */
  readonly fn: (revents: number) => void;
}

/** sk_shutdown bits. */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/** No timeout (Linux MAX_SCHEDULE_TIMEOUT). */
const FOREVER = Infinity;

/**
 * What every socket kind has: its type, O_NONBLOCK and FD_CLOEXEC, the
 * send/receive timeouts, the shutdown bits, and the readiness waiters the
 * blocking layer parks on. Subclasses implement the calls for TCP, UDP and
 * ICMP over the transport endpoints.
 *
 * Calls return a non-negative result, a negative errno, or WOULD_BLOCK
 * (see sys.ts for the contract); nothing throws on bad arguments.
 */
export abstract class BsdSocket {
  /** O_NONBLOCK. */
  nonBlocking = false;
  /** FD_CLOEXEC (kept for F_GETFD; there is no exec here). */
  cloexec = false;
  /** F_SETFL bits besides O_NONBLOCK that Linux lets a program set (O_APPEND, O_ASYNC…): kept for F_GETFL. */
  extraStatusFlags = 0;
  /** SO_RCVTIMEO / SO_SNDTIMEO in µs; Infinity = wait forever, 0 = never wait. */
  rcvTimeoUs = FOREVER;
  sndTimeoUs = FOREVER;
  /** close() was called: every call fails with EBADF. */
  closed = false;
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  shutdownBits = 0;
  private readonly waiters = new Set<Waiter>();
  private wakeTimer: Timer | null = null;

  constructor(
    readonly host: SocketHost,
    /** AF_INET or AF_INET6. */
    readonly domain: number,
    /** SOCK_STREAM, SOCK_DGRAM or SOCK_RAW. */
    readonly type: number,
    readonly protocol: number,
  ) {}

  // ------------------------------------------------------------ the calls

  abstract bind(addr: SockAddr): number;
  abstract listen(backlog: number): number;
  /** Takes a connection; the caller puts the new socket in the descriptor table. */
  abstract accept(flags: number, out: SockAddrOut | undefined): BsdSocket | number | typeof WOULD_BLOCK;
  abstract connect(addr: SockAddr): SysResult;
  /** Sends the bytes of `iov` (one datagram for datagram sockets); returns the count accepted. */
  abstract send(iov: readonly Uint8Array[], flags: number, to: SockAddr | null): SysResult;
  /** Receives into `iov`; fills `msg.name` and `msg.flags` when given. */
  abstract recv(iov: readonly Uint8Array[], flags: number, msg: RecvMsgHdr | null): SysResult;
  abstract shutdown(how: number): number;
  /** Releases the endpoint; the descriptor is gone. Wakes every waiter with POLLNVAL. */
  abstract close(): void;
  abstract setsockopt(level: number, name: number, value: OptionValue, optlen: number): number;
  abstract getsockopt(level: number, name: number): GetsockoptResult | number;
  abstract getsockname(): SockAddr | number;
  abstract getpeername(): SockAddr | number;
  /** ioctl requests that return an int (FIONREAD, SIOCOUTQ…): the value, or a negative errno. */
  abstract ioctl(request: number): number;
  /** The poll(2) mask the socket would report now. */
  abstract pollMask(): number;

  // ------------------------------------------------------------ blocking helpers

  /**
   * The result for a call that cannot complete now: -EAGAIN when it must
   * not sleep (O_NONBLOCK, MSG_DONTWAIT, or a zero timeout — Linux's
   * sock_rcvtimeo/sock_sndtimeo give 0 then), else WOULD_BLOCK.
   */
  wouldBlock(flags: number, timeoUs: number): SysResult {
    if (this.nonBlocking || (flags & MSG_DONTWAIT) !== 0 || timeoUs === 0) return -ERRNO.EAGAIN;
    return WOULD_BLOCK;
  }

  /**
   * Parks `fn` until the socket's poll mask intersects `events` (or
   * POLLERR/POLLHUP, or the socket closes). Register right after a call
   * returned WOULD_BLOCK: the wait ends on the next readiness change, not
   * on the current state.
   */
  addWaiter(events: number, fn: (revents: number) => void): Waiter {
    const w: Waiter = { events, fn };
    if (this.closed) {
      this.deferred(w, POLLNVAL);
      return w;
    }
    this.waiters.add(w);
    this.onWaiterAdded(events);
    return w;
  }

  /** Removes a waiter (a no-op if it already ran). */
  removeWaiter(w: Waiter): void {
    this.waiters.delete(w);
  }

  /** Number of parked waiters (for tests and introspection). */
  get waiterCount(): number {
    return this.waiters.size;
  }

  /** A subclass hook: a waiter for `events` was parked (TCP asks for a write-space notification). */
  protected onWaiterAdded(_events: number): void {}

  /**
   * Readiness may have changed: runs the waiters whose events are ready.
   * Only from places where running application continuations is safe (the
   * TCP layer delivers its notifications after it unwinds; local calls).
   */
  notify(): void {
    if (this.waiters.size === 0) return;
    const mask = this.closed ? POLLNVAL : this.pollMask();
    for (const w of [...this.waiters]) {
      if ((mask & (w.events | POLLERR | POLLHUP | POLLNVAL)) === 0) continue;
      if (!this.waiters.delete(w)) continue;
      w.fn(mask);
    }
  }

  /**
   * Like {@link notify}, from inside packet processing (datagram endpoint
   * listeners): deferred to a timer due now, so waiters never run while a
   * layer is delivering (they may send, close…).
   */
  notifySoon(): void {
    if (this.waiters.size === 0) return;
    const t = (this.wakeTimer ??= new Timer(() => this.notify(), 'bsd-wake'));
    if (!t.armed) this.host.ctx.timers.arm(t, this.host.ctx.clock.now());
  }

  /** Marks the socket closed and wakes every waiter with POLLNVAL (their retries see EBADF). */
  protected closeWaiters(): void {
    this.closed = true;
    if (this.wakeTimer?.armed) this.host.ctx.timers.disarm(this.wakeTimer);
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w.fn(POLLNVAL);
  }

  private deferred(w: Waiter, revents: number): void {
    const t = new Timer(() => w.fn(revents), 'bsd-wake');
    this.host.ctx.timers.arm(t, this.host.ctx.clock.now());
  }

  // ------------------------------------------------------------ options every socket has

  /**
   * SOL_SOCKET options common to every socket kind (timeouts, SO_TYPE,
   * SO_PROTOCOL, SO_DOMAIN); undefined when `name` is not one of them.
   */
  commonSetsockopt(name: number, value: OptionValue, optlen: number): number | undefined {
    if (name !== SO_RCVTIMEO && name !== SO_SNDTIMEO) {
      if (name === SO_TYPE || name === SO_PROTOCOL || name === SO_DOMAIN) return -ERRNO.ENOPROTOOPT;
      return undefined;
    }
    // sock_set_timeout: a struct timeval; usec outside [0, 1e6) is EDOM;
    // a negative time means "do not wait"; {0, 0} means "wait forever".
    if (optlen < 16 || typeof value !== 'object' || !('tv_sec' in value)) return -ERRNO.EINVAL;
    const tv = value as Timeval;
    if (!Number.isInteger(tv.tv_sec) || !Number.isInteger(tv.tv_usec)) return -ERRNO.EINVAL;
    if (tv.tv_usec < 0 || tv.tv_usec >= 1_000_000) return -EDOM;
    let us: number;
    if (tv.tv_sec < 0) us = 0;
    else if (tv.tv_sec === 0 && tv.tv_usec === 0) us = FOREVER;
    else us = tv.tv_sec * 1_000_000 + tv.tv_usec;
    if (name === SO_RCVTIMEO) this.rcvTimeoUs = us;
    else this.sndTimeoUs = us;
    return 0;
  }

  /** getsockopt for the options of {@link commonSetsockopt}; undefined for others. */
  commonGetsockopt(name: number): GetsockoptResult | undefined {
    switch (name) {
      case SO_TYPE:
        return { value: this.type, optlen: 4 };
      case SO_PROTOCOL:
        return { value: this.protocol, optlen: 4 };
      case SO_DOMAIN:
        return { value: this.domain, optlen: 4 };
      case SO_RCVTIMEO:
      case SO_SNDTIMEO: {
        const us = name === SO_RCVTIMEO ? this.rcvTimeoUs : this.sndTimeoUs;
        const tv: Timeval = us === FOREVER ? { tv_sec: 0, tv_usec: 0 } : { tv_sec: Math.floor(us / 1e6), tv_usec: us % 1e6 };
        return { value: tv, optlen: 16 };
      }
      default:
        return undefined;
    }
  }
}

/** Reads an int option the way Linux does: at least `min` bytes of optlen, an integer value. */
export function intOption(value: OptionValue, optlen: number, min = 4): number | null {
  if (optlen < min || typeof value !== 'number' || !Number.isFinite(value)) return null;
  return Math.trunc(value) | 0;
}

/** Total bytes of an iovec. */
export function iovLength(iov: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of iov) n += b.length;
  return n;
}

/** Copies `data` into the buffers of `iov` in order; returns the bytes copied. */
export function scatter(data: Uint8Array, iov: readonly Uint8Array[]): number {
  let off = 0;
  for (const b of iov) {
    if (off >= data.length) break;
    const n = Math.min(b.length, data.length - off);
    b.set(data.subarray(off, off + n), 0);
    off += n;
  }
  return off;
}

/** The first `n` bytes of `iov` as one new array (a private copy: the caller may reuse its buffers). */
export function gather(iov: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let off = 0;
  for (const b of iov) {
    if (off >= n) break;
    const k = Math.min(b.length, n - off);
    out.set(b.subarray(0, k), off);
    off += k;
  }
  return out;
}
