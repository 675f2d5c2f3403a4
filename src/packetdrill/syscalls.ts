import type { BsdSys } from '../socket/bsd/sys.js';
import { WOULD_BLOCK, type Linger, type OptionValue, type PollFd, type SockAddr, type SockAddrOut, type SysResult } from '../socket/bsd/types.js';
import type { Expr, SyscallAction } from './ast.js';
import type { RunEndpoints } from './config.js';
import {
  ArgError, bufferArg, checkResult, describe, intPointer, intValue, iovecLengths, isEllipsis, type ResultCheck, Unsupported,
} from './syscall-args.js';

/**
 * Script syscalls → BsdSys calls (conformance README §1.4, packetdrill
 * run_system_call.c): argument conversion, the live call, and the check of
 * its result and out-parameters.
 *
 * A prepared {@link Call} is tried with `attempt()`. WOULD_BLOCK means the
 * call would sleep on Linux: the runner waits for readiness on the virtual
 * clock (`sys.wait` on `waits`) and tries again, as the BsdSys WOULD_BLOCK
 * contract describes; only calls the script marks `...E` may do that.
 * `complete()` then checks the final result.
 */

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const POLLIN = 0x1;
const POLLOUT = 0x4;
const MSG_WAITALL = 0x100;

/** What the syscall layer needs from the runner: descriptors, addresses and socket tracking. */
export interface SyscallHost {
  readonly sys: BsdSys;
  readonly endpoints: RunEndpoints;
  /** The live descriptor behind a script descriptor. Throws ArgError when unknown. */
  liveFd(scriptFd: number): number;
  /** AF_INET or AF_INET6: the family of the socket behind a script descriptor. */
  domainOf(scriptFd: number): number;
  /** socket() returned `liveFd` for the script's `scriptFd`. Returns an error message or null. */
  socketCreated(scriptFd: number, liveFd: number, domain: number): string | null;
  /** listen() succeeded. */
  listened(scriptFd: number): void;
  /** accept() returned `liveFd` (peer `peer`) for the script's `scriptFd`. Returns an error message or null. */
  accepted(scriptFd: number, liveFd: number, peer: SockAddr | undefined): string | null;
  /** connect() is about to run (before the call, as packetdrill records it); `unspec` for AF_UNSPEC. */
  connecting(scriptFd: number, unspec: boolean): void;
  /** close() succeeded. */
  closed(scriptFd: number): void;
}

/** A prepared syscall. */
export interface Call {
  readonly name: string;
  /** Makes (or continues) the call: a final result (value or negative errno), or WOULD_BLOCK. */
  attempt(): SysResult;
  /** What to wait for after WOULD_BLOCK: [live fd, poll events]. */
  readonly waits: ReadonlyArray<readonly [number, number]>;
  /** For poll: the timeout in µs after which the call returns `timeoutResult()`; null: none. */
  readonly timeoutUs: number | null;
  timeoutResult(): number;
  /** Checks the final result and out-parameters; updates descriptor tracking. An error message or null. */
  complete(result: number): string | null;
}

type Handler = (a: SyscallAction, h: SyscallHost) => Call;

function argCount(a: SyscallAction, n: number | readonly number[]): void {
  const ok = typeof n === 'number' ? a.args.length === n : n.includes(a.args.length);
  if (!ok) throw new ArgError(`${a.name}: expected ${typeof n === 'number' ? n : n.join(' or ')} arguments but got ${a.args.length}`);
}

function arg(a: SyscallAction, i: number): Expr {
  return a.args[i]!;
}

/** A call that never blocks by itself (the facade returns WOULD_BLOCK only for blocking sockets). */
function simple(
  a: SyscallAction,
  attempt: () => SysResult,
  opts: { waitFd?: number; events?: number; mode?: ResultCheck; after?: (r: number) => string | null } = {},
): Call {
  return {
    name: a.name,
    attempt,
    waits: opts.waitFd !== undefined ? [[opts.waitFd, opts.events ?? POLLIN]] : [],
    timeoutUs: null,
    timeoutResult: () => 0,
    complete: (r) => checkResult(a.result, a.errno, opts.mode ?? 'exact', r) ?? (opts.after ? opts.after(r) : null),
  };
}

/**
 * A send that queues everything, as a blocking Linux send does: the facade
 * takes what fits; the rest waits for POLLOUT. A non-blocking socket stops
 * at the first -EAGAIN after some progress and returns the partial count.
 */
function sendLoop(a: SyscallAction, fd: number, total: number, send: (n: number) => SysResult): Call {
  let done = 0;
  return simple(
    a,
    () => {
      for (;;) {
        const r = send(total - done);
        if (r === WOULD_BLOCK) return WOULD_BLOCK;
        if (r < 0) return done > 0 ? done : r;
        done += r;
        if (done >= total || r === 0) return done;
      }
    },
    { waitFd: fd, events: POLLOUT },
  );
}

function zeros(n: number): Uint8Array {
  if (n < 0 || n > 64 * 1024 * 1024) throw new ArgError(`bad byte count ${n}`);
  return new Uint8Array(n);
}

/** A receive; with MSG_WAITALL it keeps reading until `total` bytes, end of stream or an error. */
function recvCall(a: SyscallAction, fd: number, lens: readonly number[], flags: number, recv: (iov: Uint8Array[], flags: number) => SysResult): Call {
  const total = lens.reduce((x, y) => x + y, 0);
  let got = 0;
  const waitAll = (flags & MSG_WAITALL) !== 0;
  return simple(
    a,
    () => {
      for (;;) {
        const iov = waitAll ? [zeros(total - got)] : lens.map(zeros);
        const r = recv(iov, flags & ~MSG_WAITALL);
        if (r === WOULD_BLOCK) return got > 0 && !waitAll ? got : WOULD_BLOCK;
        if (r < 0) return got > 0 ? got : r;
        got += r;
        if (!waitAll || r === 0 || got >= total) return got;
      }
    },
    { waitFd: fd, events: POLLIN },
  );
}

/** recv(fd, buf, len, flags) and recvfrom(fd, buf, len, flags, addr, addrlen): the same read, `argc` arguments. */
function recvInto(a: SyscallAction, h: SyscallHost, name: string, argc: number): Call {
  argCount(a, argc);
  const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
  bufferArg(arg(a, 1), name);
  const n = intValue(arg(a, 2), 'len');
  const flags = intValue(arg(a, 3), 'flags');
  return recvCall(a, fd, [n], flags, (iov, f) => h.sys.recvmsg(fd, { iov, flags: 0 }, f));
}

function sockaddrFor(h: SyscallHost, scriptFd: number, which: 'local' | 'remote'): SockAddr {
  const domain = h.domainOf(scriptFd);
  const e = h.endpoints;
  if ((domain === AF_INET6) !== (e.family === 6)) {
    throw new Unsupported(`an AF_${domain === AF_INET6 ? 'INET6' : 'INET'} socket in an IPv${e.family} run`);
  }
  return { family: domain, address: which === 'local' ? e.localIp : e.remoteIp, port: e.port };
}

function msghdrIov(e: Expr, call: string): number[] {
  if (e.kind !== 'msghdr') throw new ArgError(`${call}: expected a msghdr {msg_name(...)=..., msg_iov(N)=[...], msg_flags=0}`);
  if (e.control !== null && !(e.control.kind === 'array' && e.control.elements.length === 0)) {
    throw new Unsupported(`${call} with control messages`);
  }
  return iovecLengths(e.iov, call);
}

function optionValue(e: Expr): OptionValue {
  switch (e.kind) {
    case 'array':
      return intPointer(e, 'the option value');
    case 'linger':
      return { onoff: intValue(e.onoff, 'l_onoff'), linger: intValue(e.linger, 'l_linger') } satisfies Linger;
    case 'string':
      return e.value;
    case 'int':
    case 'symbol':
    case 'bitor':
      return intValue(e, 'the option value');
    default:
      throw new Unsupported(`setsockopt value ${describe(e)}`);
  }
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  socket(a, h) {
    argCount(a, 3);
    const domain = isEllipsis(arg(a, 0)) ? (h.endpoints.family === 6 ? AF_INET6 : AF_INET) : intValue(arg(a, 0), 'domain');
    const type = intValue(arg(a, 1), 'type');
    const proto = intValue(arg(a, 2), 'protocol');
    return simple(a, () => h.sys.socket(domain, type, proto), {
      mode: 'fd',
      after: (r) => (r >= 0 ? h.socketCreated(intValue(a.result, 'the socket fd'), r, domain) : null),
    });
  },
  bind(a, h) {
    argCount(a, 3);
    const sfd = intValue(arg(a, 0), 'fd');
    const fd = h.liveFd(sfd);
    if (!isEllipsis(arg(a, 1)) || !isEllipsis(arg(a, 2))) throw new Unsupported('bind() to an address given in the script');
    const addr = sockaddrFor(h, sfd, 'local');
    return simple(a, () => h.sys.bind(fd, addr));
  },
  listen(a, h) {
    argCount(a, 2);
    const sfd = intValue(arg(a, 0), 'fd');
    const fd = h.liveFd(sfd);
    const backlog = intValue(arg(a, 1), 'backlog');
    return simple(a, () => h.sys.listen(fd, backlog), { after: () => (h.listened(sfd), null) });
  },
  accept(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const out: SockAddrOut = {};
    return simple(a, () => h.sys.accept(fd, out), {
      waitFd: fd,
      events: POLLIN,
      mode: 'fd',
      after: (r) => (r >= 0 ? h.accepted(intValue(a.result, 'the accepted fd'), r, out.addr) : null),
    });
  },
  connect(a, h) {
    argCount(a, 3);
    const sfd = intValue(arg(a, 0), 'fd');
    const fd = h.liveFd(sfd);
    let addr: SockAddr;
    if (isEllipsis(arg(a, 1))) addr = sockaddrFor(h, sfd, 'remote');
    else if (intValue(arg(a, 1), 'sa_family') === AF_UNSPEC) addr = { family: AF_UNSPEC, address: '0.0.0.0', port: 0 };
    else throw new Unsupported('connect() to an address given in the script');
    let started = false;
    return simple(
      a,
      () => {
        if (!started) {
          started = true;
          h.connecting(sfd, addr.family === AF_UNSPEC);
        }
        return h.sys.connect(fd, addr);
      },
      { waitFd: fd, events: POLLOUT },
    );
  },
  read(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    bufferArg(arg(a, 1), 'read');
    const n = intValue(arg(a, 2), 'count');
    return recvCall(a, fd, [n], 0, (iov) => h.sys.readv(fd, iov));
  },
  readv(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const lens = iovecLengths(arg(a, 1), 'readv');
    if (intValue(arg(a, 2), 'iovcnt') !== lens.length) throw new ArgError('readv: iovcnt does not match the iovec array');
    return recvCall(a, fd, lens, 0, (iov) => h.sys.readv(fd, iov));
  },
  recv: (a, h) => recvInto(a, h, 'recv', 4),
  recvfrom: (a, h) => recvInto(a, h, 'recvfrom', 6),
  recvmsg(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const lens = msghdrIov(arg(a, 1), 'recvmsg');
    const flags = intValue(arg(a, 2), 'flags');
    return recvCall(a, fd, lens, flags, (iov, f) => h.sys.recvmsg(fd, { iov, flags: 0 }, f));
  },
  write(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    bufferArg(arg(a, 1), 'write');
    const n = intValue(arg(a, 2), 'count');
    return sendLoop(a, fd, n, (left) => h.sys.write(fd, zeros(left)));
  },
  writev(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const lens = iovecLengths(arg(a, 1), 'writev');
    if (intValue(arg(a, 2), 'iovcnt') !== lens.length) throw new ArgError('writev: iovcnt does not match the iovec array');
    const total = lens.reduce((x, y) => x + y, 0);
    // After a partial write the rest goes as one buffer: the bytes are zeros either way.
    let first = true;
    return sendLoop(a, fd, total, (left) => {
      if (first) {
        first = false;
        return h.sys.writev(fd, lens.map(zeros));
      }
      return h.sys.write(fd, zeros(left));
    });
  },
  send(a, h) {
    argCount(a, 4);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    bufferArg(arg(a, 1), 'send');
    const n = intValue(arg(a, 2), 'len');
    const flags = intValue(arg(a, 3), 'flags');
    return sendLoop(a, fd, n, (left) => h.sys.send(fd, zeros(left), flags));
  },
  sendto(a, h) {
    argCount(a, 6);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    bufferArg(arg(a, 1), 'sendto');
    const n = intValue(arg(a, 2), 'len');
    const flags = intValue(arg(a, 3), 'flags');
    if (!isEllipsis(arg(a, 4))) throw new Unsupported('sendto() to an address given in the script');
    return sendLoop(a, fd, n, (left) => h.sys.sendto(fd, zeros(left), flags, null));
  },
  sendmsg(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const lens = msghdrIov(arg(a, 1), 'sendmsg');
    const flags = intValue(arg(a, 2), 'flags');
    const total = lens.reduce((x, y) => x + y, 0);
    let first = true;
    return sendLoop(a, fd, total, (left) => {
      const iov = first ? lens.map(zeros) : [zeros(left)];
      first = false;
      return h.sys.sendmsg(fd, { iov }, flags);
    });
  },
  fcntl(a, h) {
    argCount(a, [2, 3]);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const cmd = intValue(arg(a, 1), 'cmd');
    const v = a.args.length === 3 ? intValue(arg(a, 2), 'arg') : 0;
    return simple(a, () => h.sys.fcntl(fd, cmd, v));
  },
  ioctl(a, h) {
    argCount(a, 3);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const req = intValue(arg(a, 1), 'request');
    const third = arg(a, 2);
    if (third.kind === 'array') {
      // An int returned through the pointer (SIOCINQ, SIOCOUTQ...): the facade returns it.
      const want = intPointer(third, 'the ioctl value');
      let got = 0;
      return simple(
        a,
        () => {
          const r = h.sys.ioctl(fd, req);
          if (r < 0) return r;
          got = r;
          return 0;
        },
        { after: () => (got === want ? null : `Bad ioctl value: expected ${want} but got ${got}`) },
      );
    }
    const v = intValue(third, 'arg');
    return simple(a, () => h.sys.ioctl(fd, req, v));
  },
  close(a, h) {
    argCount(a, 1);
    const sfd = intValue(arg(a, 0), 'fd');
    const fd = h.liveFd(sfd);
    return simple(a, () => h.sys.close(fd), { after: (r) => (r === 0 ? (h.closed(sfd), null) : null) });
  },
  shutdown(a, h) {
    argCount(a, 2);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const how = intValue(arg(a, 1), 'how');
    return simple(a, () => h.sys.shutdown(fd, how));
  },
  setsockopt(a, h) {
    argCount(a, 5);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const level = intValue(arg(a, 1), 'level');
    const name = intValue(arg(a, 2), 'optname');
    const value = optionValue(arg(a, 3));
    const len = intValue(arg(a, 4), 'optlen');
    return simple(a, () => h.sys.setsockopt(fd, level, name, value, len));
  },
  getsockopt(a, h) {
    argCount(a, 5);
    const fd = h.liveFd(intValue(arg(a, 0), 'fd'));
    const level = intValue(arg(a, 1), 'level');
    const name = intValue(arg(a, 2), 'optname');
    const valueExpr = arg(a, 3);
    const wantLen = intPointer(arg(a, 4), 'optlen');
    let got: { value: unknown; optlen: number } | null = null;
    return simple(
      a,
      () => {
        const r = h.sys.getsockopt(fd, level, name);
        if (typeof r === 'number') return r;
        got = r;
        return 0;
      },
      {
        after: () => {
          if (got === null) return null;
          if (got.optlen !== wantLen) return `Bad getsockopt optlen: expected: ${wantLen} actual: ${got.optlen}`;
          return compareOptval(valueExpr, got.value);
        },
      },
    );
  },
  poll(a, h) {
    argCount(a, 3);
    const list = arg(a, 0);
    if (list.kind !== 'array') throw new ArgError('poll: expected an array of {fd=..., events=...}');
    const specs = list.elements.map((e) => {
      if (e.kind !== 'pollfd') throw new ArgError('poll: expected {fd=..., events=..., revents=...}');
      const sfd = intValue(e.fd, 'fd');
      return { fd: sfd < 0 ? sfd : h.liveFd(sfd), events: intValue(e.events, 'events'), revents: e.revents === null ? null : intValue(e.revents, 'revents') };
    });
    if (intValue(arg(a, 1), 'nfds') !== specs.length) throw new ArgError(`poll: nfds does not match the ${specs.length}-element pollfd array`);
    const timeoutMs = intValue(arg(a, 2), 'timeout');
    const fds: PollFd[] = specs.map((s) => ({ fd: s.fd, events: s.events, revents: 0 }));
    return {
      name: a.name,
      attempt: () => h.sys.poll(fds, timeoutMs === 0 ? 0 : 1),
      waits: specs.filter((s) => s.fd >= 0).map((s) => [s.fd, s.events] as const),
      timeoutUs: timeoutMs < 0 ? null : timeoutMs * 1000,
      timeoutResult: () => h.sys.poll(fds, 0) as number,
      complete: (r) => {
        const e = checkResult(a.result, a.errno, 'exact', r);
        if (e !== null) return e;
        for (let i = 0; i < specs.length; i++) {
          const want = specs[i]!.revents;
          if (want !== null && want !== fds[i]!.revents) {
            return `poll: revents of entry ${i}: expected 0x${want.toString(16)} but got 0x${fds[i]!.revents.toString(16)}`;
          }
        }
        return null;
      },
    };
  },
};

function compareOptval(e: Expr, value: unknown): string | null {
  if (e.kind === 'array') {
    const want = intPointer(e, 'the option value');
    if (typeof value !== 'number') return `Bad getsockopt optval: expected ${want} but the option is not an int`;
    return value === want ? null : `Bad getsockopt optval: expected: ${want} actual: ${value}`;
  }
  if (e.kind === 'linger') {
    if (typeof value !== 'object' || value === null || !('onoff' in value)) return 'Bad getsockopt optval: expected a struct linger';
    const l = value as Linger;
    const onoff = intValue(e.onoff, 'l_onoff');
    const linger = intValue(e.linger, 'l_linger');
    return l.onoff === onoff && l.linger === linger
      ? null
      : `Bad getsockopt optval: expected {onoff=${onoff}, linger=${linger}} actual: {onoff=${l.onoff}, linger=${l.linger}}`;
  }
  if (e.kind === 'ellipsis') return null;
  throw new Unsupported(`getsockopt value ${describe(e)}`);
}

/** The syscalls this runner implements (others make a script unsupported). */
export const SUPPORTED_SYSCALLS: ReadonlySet<string> = new Set(Object.keys(HANDLERS));

/** Prepares a syscall. Throws ArgError (a script error) or Unsupported (skip). */
export function prepareCall(a: SyscallAction, h: SyscallHost): Call {
  const handler = HANDLERS[a.name];
  if (handler === undefined) throw new Unsupported(`system call ${a.name}() is not supported`);
  return handler(a, h);
}
