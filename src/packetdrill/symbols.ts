import { ERRNO } from '../core/errno.js';
import type { Expr, Script } from './ast.js';

/**
 * Linux names scripts use in syscall arguments and results, with their Linux
 * values (x86-64 / asm-generic headers: socket.h, in.h, tcp.h, fcntl.h,
 * poll.h, eventpoll.h, sockios.h, ioctls.h). A script's numbers go to the
 * stack as Linux would see them, so the facade must speak the same values.
 */

const ADDRESS_FAMILIES = {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_PACKET: 17,
  PF_UNSPEC: 0, PF_UNIX: 1, PF_INET: 2, PF_INET6: 10, PF_PACKET: 17,
} as const;

const SOCKET_TYPES = {
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_SEQPACKET: 5,
  SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000,
} as const;

const PROTOCOLS = {
  IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_UDP: 17, IPPROTO_IPV6: 41, IPPROTO_GRE: 47,
  IPPROTO_ICMPV6: 58, IPPROTO_SCTP: 132, IPPROTO_UDPLITE: 136, IPPROTO_MPTCP: 262, IPPROTO_RAW: 255,
} as const;

/** Option levels: SOL_IP/TCP/UDP/IPV6 are the protocol numbers. */
const LEVELS = {
  SOL_SOCKET: 1, SOL_IP: 0, SOL_TCP: 6, SOL_UDP: 17, SOL_IPV6: 41,
} as const;

const SOCKET_OPTIONS = {
  SO_DEBUG: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_DONTROUTE: 5, SO_BROADCAST: 6, SO_SNDBUF: 7,
  SO_RCVBUF: 8, SO_KEEPALIVE: 9, SO_OOBINLINE: 10, SO_NO_CHECK: 11, SO_PRIORITY: 12, SO_LINGER: 13,
  SO_BSDCOMPAT: 14, SO_REUSEPORT: 15, SO_PASSCRED: 16, SO_PEERCRED: 17, SO_RCVLOWAT: 18, SO_SNDLOWAT: 19,
  SO_RCVTIMEO: 20, SO_SNDTIMEO: 21, SO_BINDTODEVICE: 25, SO_ATTACH_FILTER: 26, SO_DETACH_FILTER: 27,
  SO_PEERNAME: 28, SO_TIMESTAMP: 29, SO_ACCEPTCONN: 30, SO_PEERSEC: 31, SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33, SO_PASSSEC: 34, SO_TIMESTAMPNS: 35, SO_MARK: 36, SO_TIMESTAMPING: 37, SO_PROTOCOL: 38,
  SO_DOMAIN: 39, SO_RXQ_OVFL: 40, SO_WIFI_STATUS: 41, SO_PEEK_OFF: 42, SO_NOFCS: 43, SO_LOCK_FILTER: 44,
  SO_SELECT_ERR_QUEUE: 45, SO_BUSY_POLL: 46, SO_MAX_PACING_RATE: 47, SO_BPF_EXTENSIONS: 48,
  SO_INCOMING_CPU: 49, SO_ATTACH_BPF: 50, SO_ATTACH_REUSEPORT_CBPF: 51, SO_ATTACH_REUSEPORT_EBPF: 52,
  SO_CNX_ADVICE: 53, SO_MEMINFO: 55, SO_INCOMING_NAPI_ID: 56, SO_COOKIE: 57, SO_PEERGROUPS: 59,
  SO_ZEROCOPY: 60, SO_TXTIME: 61, SO_BINDTOIFINDEX: 62,
} as const;

const TCP_OPTIONS = {
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6, TCP_SYNCNT: 7,
  TCP_LINGER2: 8, TCP_DEFER_ACCEPT: 9, TCP_WINDOW_CLAMP: 10, TCP_INFO: 11, TCP_QUICKACK: 12,
  TCP_CONGESTION: 13, TCP_MD5SIG: 14, TCP_THIN_LINEAR_TIMEOUTS: 16, TCP_THIN_DUPACK: 17,
  TCP_USER_TIMEOUT: 18, TCP_REPAIR: 19, TCP_REPAIR_QUEUE: 20, TCP_QUEUE_SEQ: 21, TCP_REPAIR_OPTIONS: 22,
  TCP_FASTOPEN: 23, TCP_TIMESTAMP: 24, TCP_NOTSENT_LOWAT: 25, TCP_CC_INFO: 26, TCP_SAVE_SYN: 27,
  TCP_SAVED_SYN: 28, TCP_REPAIR_WINDOW: 29, TCP_FASTOPEN_CONNECT: 30, TCP_ULP: 31, TCP_MD5SIG_EXT: 32,
  TCP_FASTOPEN_KEY: 33, TCP_FASTOPEN_NO_COOKIE: 34, TCP_ZEROCOPY_RECEIVE: 35, TCP_INQ: 36, TCP_CM_INQ: 36,
  TCP_TX_DELAY: 37,
} as const;

const IP_OPTIONS = {
  IP_TOS: 1, IP_TTL: 2, IP_HDRINCL: 3, IP_OPTIONS: 4, IP_RECVOPTS: 6, IP_RETOPTS: 7, IP_PKTINFO: 8,
  IP_MTU_DISCOVER: 10, IP_RECVERR: 11, IP_RECVTTL: 12, IP_RECVTOS: 13, IP_MTU: 14, IP_FREEBIND: 15,
  IP_TRANSPARENT: 19, IP_BIND_ADDRESS_NO_PORT: 24,
  IP_PMTUDISC_DONT: 0, IP_PMTUDISC_WANT: 1, IP_PMTUDISC_DO: 2, IP_PMTUDISC_PROBE: 3,
  IP_PMTUDISC_INTERFACE: 4, IP_PMTUDISC_OMIT: 5,
  IPV6_UNICAST_HOPS: 16, IPV6_MTU_DISCOVER: 23, IPV6_MTU: 24, IPV6_RECVERR: 25, IPV6_V6ONLY: 26,
  IPV6_RECVPKTINFO: 49, IPV6_PKTINFO: 50, IPV6_TCLASS: 67, IPV6_FLOWINFO_SEND: 33,
  IPV6_PMTUDISC_DONT: 0, IPV6_PMTUDISC_WANT: 1, IPV6_PMTUDISC_DO: 2, IPV6_PMTUDISC_PROBE: 3,
} as const;

const FILE_CONTROL = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000, O_NDELAY: 0o4000, O_CLOEXEC: 0o2000000,
  F_DUPFD: 0, F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_SETFL: 4, FD_CLOEXEC: 1,
} as const;

const SHUTDOWN = { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 } as const;

const POLL = {
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDNORM: 0x40,
  POLLRDBAND: 0x80, POLLWRNORM: 0x100, POLLWRBAND: 0x200, POLLMSG: 0x400, POLLRDHUP: 0x2000,
  EPOLLIN: 0x1, EPOLLPRI: 0x2, EPOLLOUT: 0x4, EPOLLERR: 0x8, EPOLLHUP: 0x10, EPOLLRDNORM: 0x40,
  EPOLLRDBAND: 0x80, EPOLLWRNORM: 0x100, EPOLLWRBAND: 0x200, EPOLLMSG: 0x400, EPOLLRDHUP: 0x2000,
  EPOLLEXCLUSIVE: 2 ** 28, EPOLLWAKEUP: 2 ** 29, EPOLLONESHOT: 2 ** 30, EPOLLET: 2 ** 31,
  EPOLL_CTL_ADD: 1, EPOLL_CTL_DEL: 2, EPOLL_CTL_MOD: 3,
} as const;

const MSG_FLAGS = {
  MSG_OOB: 0x1, MSG_PEEK: 0x2, MSG_DONTROUTE: 0x4, MSG_CTRUNC: 0x8, MSG_PROXY: 0x10, MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40, MSG_EOR: 0x80, MSG_WAITALL: 0x100, MSG_FIN: 0x200, MSG_SYN: 0x400, MSG_CONFIRM: 0x800,
  MSG_RST: 0x1000, MSG_ERRQUEUE: 0x2000, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000, MSG_WAITFORONE: 0x10000,
  MSG_BATCH: 0x40000, MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000, MSG_CMSG_CLOEXEC: 0x40000000,
} as const;

/** ioctl requests (asm-generic/ioctls.h, linux/sockios.h); SIOCINQ is FIONREAD, SIOCOUTQ is TIOCOUTQ. */
const IOCTLS = {
  FIONREAD: 0x541b, SIOCINQ: 0x541b, TIOCOUTQ: 0x5411, SIOCOUTQ: 0x5411, FIONBIO: 0x5421,
  SIOCATMARK: 0x8905, SIOCOUTQNSD: 0x894b, SIOCGSTAMP: 0x8906, SIOCGSTAMPNS: 0x8907,
} as const;

/** errno names: tsip's table (core/errno.ts) plus a few more Linux ones scripts might name. */
const ERRNO_NAMES: Readonly<Record<string, number>> = Object.freeze({
  ...ERRNO,
  ESRCH: 3, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, ECHILD: 10, ENOTDIR: 20, EISDIR: 21, ENFILE: 23, ENOTTY: 25,
  EFBIG: 27, ESPIPE: 29, EROFS: 30, EMLINK: 31, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, ENODATA: 61, ETIME: 62, EBADMSG: 74,
  EOVERFLOW: 75, EILSEQ: 84, ETOOMANYREFS: 109, ESTALE: 116, EDQUOT: 122,
});

/** Every non-errno constant, by name. */
const CONSTANTS: Readonly<Record<string, number>> = Object.freeze({
  ...ADDRESS_FAMILIES, ...SOCKET_TYPES, ...PROTOCOLS, ...LEVELS, ...SOCKET_OPTIONS, ...TCP_OPTIONS,
  ...IP_OPTIONS, ...FILE_CONTROL, ...SHUTDOWN, ...POLL, ...MSG_FLAGS, ...IOCTLS,
});

/** The Linux value of a constant name (`SOCK_STREAM` → 1), or undefined. Errno names are looked up by {@link errnoNumber}. */
export function symbolValue(name: string): number | undefined {
  return Object.hasOwn(CONSTANTS, name) ? CONSTANTS[name] : undefined;
}

/** The Linux errno number for a name (`EAGAIN` → 11), or undefined. */
export function errnoNumber(name: string): number | undefined {
  return Object.hasOwn(ERRNO_NAMES, name) ? ERRNO_NAMES[name] : undefined;
}

/**
 * Whether two errno names denote the same error on Linux, so that the
 * aliases EWOULDBLOCK = EAGAIN and EOPNOTSUPP = ENOTSUP compare equal
 * (README §1.4). Unknown names equal only themselves.
 */
export function sameErrno(a: string, b: string): boolean {
  if (a === b) return true;
  const x = errnoNumber(a);
  return x !== undefined && x === errnoNumber(b);
}

/** All constant names in the table (errno names excluded). */
export function symbolNames(): string[] {
  return Object.keys(CONSTANTS);
}

/** All errno names in the table. */
export function errnoNames(): string[] {
  return Object.keys(ERRNO_NAMES);
}

/** The names a script uses: constants in syscall expressions, and expected errno names. */
export interface ScriptSymbols {
  readonly symbols: Set<string>;
  readonly errnos: Set<string>;
}

function collectExpr(e: Expr, out: Set<string>): void {
  switch (e.kind) {
    case 'symbol':
      out.add(e.name);
      return;
    case 'int':
    case 'ellipsis':
    case 'string':
    case 'inet_addr':
      return;
    case 'bitor':
      for (const t of e.terms) collectExpr(t, out);
      return;
    case 'array':
    case 'list':
      for (const t of e.elements) collectExpr(t, out);
      return;
    case 'struct':
      for (const f of e.fields) {
        if (f.index !== null) collectExpr(f.index, out);
        collectExpr(f.value, out);
      }
      return;
    case 'assign':
    case 'htons':
      collectExpr(e.value, out);
      return;
    case 'iovec':
      collectExpr(e.base, out);
      collectExpr(e.len, out);
      return;
    case 'linger':
      collectExpr(e.onoff, out);
      collectExpr(e.linger, out);
      return;
    case 'pollfd':
      collectExpr(e.fd, out);
      collectExpr(e.events, out);
      if (e.revents !== null) collectExpr(e.revents, out);
      return;
    case 'sockaddr':
      collectExpr(e.family, out);
      collectExpr(e.port, out);
      collectExpr(e.addr, out);
      return;
    case 'msghdr':
      for (const x of [e.name, e.nameLen, e.iov, e.iovLen, e.flags, e.control]) if (x !== null) collectExpr(x, out);
      return;
  }
}

/** Collects every symbol and errno name a script's syscalls mention. */
export function collectScriptSymbols(script: Script): ScriptSymbols {
  const symbols = new Set<string>();
  const errnos = new Set<string>();
  for (const ev of script.events) {
    if (ev.action.type !== 'syscall') continue;
    for (const a of ev.action.args) collectExpr(a, symbols);
    collectExpr(ev.action.result, symbols);
    if (ev.action.errno !== null) errnos.add(ev.action.errno);
  }
  return { symbols, errnos };
}
