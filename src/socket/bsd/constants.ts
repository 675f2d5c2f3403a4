/**
 * Linux values of the constants the BSD socket facade speaks (x86-64 and
 * asm-generic headers: socket.h, in.h, in6.h, tcp.h, fcntl.h, poll.h,
 * sockios.h, ioctls.h, netdb.h). Scripts and programs written for Linux pass
 * these numbers unchanged.
 */

// ---- address families (linux/socket.h)
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// ---- socket types and socket() flags (linux/net.h, asm-generic/fcntl.h)
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
/** Mask of the type proper inside socket()'s `type` (the rest are flags). */
export const SOCK_TYPE_MASK = 0xf;

// ---- protocols (linux/in.h)
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;

// ---- option levels
export const SOL_SOCKET = 1;
export const SOL_IP = 0;
export const SOL_TCP = 6;
export const SOL_UDP = 17;
export const SOL_IPV6 = 41;
export const SOL_RAW = 255;

// ---- SOL_SOCKET options (asm-generic/socket.h)
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

// ---- SOL_TCP options (linux/tcp.h)
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_LINGER2 = 8;
export const TCP_DEFER_ACCEPT = 9;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_USER_TIMEOUT = 18;

// ---- SOL_IP options (linux/in.h)
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_MTU_DISCOVER = 10;
export const IP_MTU = 14;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;
export const IP_PMTUDISC_DONT = 0;
export const IP_PMTUDISC_WANT = 1;
export const IP_PMTUDISC_DO = 2;
export const IP_PMTUDISC_PROBE = 3;

// ---- SOL_IPV6 options (linux/in6.h)
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
/** Also known as IPV6_ADD_MEMBERSHIP. */
export const IPV6_JOIN_GROUP = 20;
export const IPV6_ADD_MEMBERSHIP = 20;
/** Also known as IPV6_DROP_MEMBERSHIP. */
export const IPV6_LEAVE_GROUP = 21;
export const IPV6_DROP_MEMBERSHIP = 21;
export const IPV6_MTU = 24;
export const IPV6_V6ONLY = 26;
export const IPV6_TCLASS = 67;

// ---- SOL_RAW options (linux/icmp.h)
export const ICMP_FILTER = 1;

// ---- send/recv flags (linux/socket.h)
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_CONFIRM = 0x800;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;

// ---- shutdown(2)
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

// ---- fcntl(2) (asm-generic/fcntl.h)
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const O_RDWR = 2;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_ASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_NOATIME = 0o1000000;

// ---- ioctl(2) requests (asm-generic/ioctls.h, linux/sockios.h)
export const FIONREAD = 0x541b;
export const SIOCINQ = FIONREAD;
export const TIOCOUTQ = 0x5411;
export const SIOCOUTQ = TIOCOUTQ;
export const SIOCOUTQNSD = 0x894b;
export const FIONBIO = 0x5421;

// ---- poll(2) events (asm-generic/poll.h)
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLRDHUP = 0x2000;

// ---- getaddrinfo (glibc netdb.h)
export const AI_PASSIVE = 0x1;
export const AI_CANONNAME = 0x2;
export const AI_NUMERICHOST = 0x4;
export const AI_V4MAPPED = 0x8;
export const AI_ALL = 0x10;
export const AI_ADDRCONFIG = 0x20;
export const AI_NUMERICSERV = 0x400;
export const EAI_BADFLAGS = -1;
export const EAI_NONAME = -2;
export const EAI_AGAIN = -3;
export const EAI_FAIL = -4;
export const EAI_FAMILY = -6;
export const EAI_SOCKTYPE = -7;
export const EAI_SERVICE = -8;
export const EAI_MEMORY = -10;
export const EAI_SYSTEM = -11;

/**
 * Linux errno numbers that src/core/errno.ts does not list yet (ENOTTY for
 * an unknown ioctl, EDOM for a malformed timeval). Returned by `sys` as
 * their negative values.
 */
export const ENOTTY = 25;
export const EDOM = 33;

/** Linux net.core.somaxconn default (the cap on a listen backlog). */
export const SOMAXCONN = 4096;

/** Linux RLIMIT_NOFILE soft default: descriptors 0..1023. */
export const DEFAULT_MAX_DESCRIPTORS = 1024;

/** Every constant above by name, for tools that turn names into numbers (e.g. an interpreter). */
export const BSD_CONSTANTS = {
  AF_UNSPEC, AF_INET, AF_INET6,
  SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_NONBLOCK, SOCK_CLOEXEC,
  IPPROTO_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6, IPPROTO_ICMPV6, IPPROTO_RAW,
  SOL_SOCKET, SOL_IP, SOL_TCP, SOL_UDP, SOL_IPV6, SOL_RAW,
  SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_LINGER,
  SO_REUSEPORT, SO_RCVTIMEO, SO_SNDTIMEO, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN,
  TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_LINGER2, TCP_DEFER_ACCEPT,
  TCP_INFO, TCP_QUICKACK, TCP_USER_TIMEOUT,
  IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_MTU, IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_MULTICAST_LOOP,
  IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE,
  IPV6_UNICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_JOIN_GROUP, IPV6_ADD_MEMBERSHIP,
  IPV6_LEAVE_GROUP, IPV6_DROP_MEMBERSHIP, IPV6_MTU, IPV6_V6ONLY, IPV6_TCLASS,
  ICMP_FILTER,
  MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_CONFIRM,
  MSG_ERRQUEUE, MSG_NOSIGNAL, MSG_MORE,
  SHUT_RD, SHUT_WR, SHUT_RDWR,
  F_GETFD, F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC, O_RDWR, O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME,
  FIONREAD, SIOCINQ, TIOCOUTQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO,
  POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLRDHUP,
  AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_V4MAPPED, AI_ALL, AI_ADDRCONFIG, AI_NUMERICSERV,
  EAI_BADFLAGS, EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_FAMILY, EAI_SOCKTYPE, EAI_SERVICE, EAI_MEMORY, EAI_SYSTEM,
} as const;

/** The type of {@link BSD_CONSTANTS}. */
export type BsdConstants = typeof BSD_CONSTANTS;
