import { ERRNO, type ErrnoCode, SocketError } from '../../core/errno.js';
import type { TcpConnection } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';
import { TcpState } from '../../tcp/state.js';
import { SOCK_CLOEXEC, SOCK_NONBLOCK, SOMAXCONN } from './constants.js';
import { fromEndpointAddr } from './sockaddr.js';
import { TcpSocket } from './tcp-socket.js';
import type { SockAddrOut, WouldBlock } from './types.js';

/**
 * listen(2) and accept(2) on TCP sockets: Linux's inet_listen (backlog
 * capped by somaxconn, autobind to an ephemeral port, a second listen()
 * only changing the backlog) and inet_accept (the accepted socket inherits
 * the listener's options, not O_NONBLOCK).
 */

function errno(code: ErrnoCode): number {
  return -ERRNO[code];
}

/** listen(2) on a TCP socket. */
export function tcpListen(s: TcpSocket, backlog: number): number {
  if (s.sockState !== 'unconnected' || (s.conn !== null && s.conn.state !== TcpState.CLOSED)) return errno('EINVAL');
  // inet_listen: a backlog above somaxconn (or negative, as an unsigned) is somaxconn.
  const somax = Math.min(SOMAXCONN, s.host.tcp.config.somaxconn);
  const b = !Number.isInteger(backlog) || backlog < 0 || backlog > somax ? somax : backlog;
  if (s.listening) {
    for (const l of s.listeners) l.backlog = b;
    return 0;
  }
  if (s.binding === null) {
    // inet_autobind: an ephemeral port on the wildcard address.
    const fam = s.familiesFor(null);
    const port = s.pickPort(null, fam.v4, fam.v6);
    if (port < 0) return errno('EADDRINUSE');
    s.setBinding({ ip: null, port, v4: fam.v4, v6: fam.v6, userAddress: false, userPort: false });
  }
  const bd = s.binding!;
  if (s.host.tcpBinds.conflicts(s, bd.ip, bd.port, bd.v4, bd.v6, true)) return errno('EADDRINUSE');
  const made: TcpListener[] = [];
  try {
    for (const family of [4, 6] as const) {
      if ((family === 4 && !bd.v4) || (family === 6 && !bd.v6)) continue;
      const l = s.host.tcp.listen({ address: bd.ip, port: bd.port, backlog: b, family, options: { ...s.opts, ...s.ipOptionsFor(family === 6) }, reusePort: s.reusePort });
      l.setHandler({ onConnection: () => s.notify() });
      made.push(l);
    }
  } catch (e) {
    for (const l of made) l.close();
    if (e instanceof SocketError) return errno(e.code);
    throw e;
  }
  s.listeners = made;
  s.conn = null;
  return 0;
}

/** accept4(2) on a TCP socket: the accepted socket (not yet in the descriptor table), a negative errno, or WOULD_BLOCK. */
export function tcpAccept(s: TcpSocket, flags: number, out: SockAddrOut | undefined): TcpSocket | number | WouldBlock {
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) return errno('EINVAL');
  if (!s.listening) return errno('EINVAL');
  // The oldest established connection of our listeners (two for a dual-stack socket).
  let from: TcpListener | null = null;
  for (const l of s.listeners) {
    const head = l.acceptQueue[0];
    if (head === undefined) continue;
    if (from === null || head.openedAt < from.acceptQueue[0]!.openedAt) from = l;
  }
  if (from === null) return s.wouldBlock(0, s.rcvTimeoUs);
  const c = from.accept()!;
  const child = adopt(s, c);
  child.nonBlocking = (flags & SOCK_NONBLOCK) !== 0;
  child.cloexec = (flags & SOCK_CLOEXEC) !== 0;
  if (out !== undefined) out.addr = fromEndpointAddr(s.domain, c.remoteAddress, c.remotePort);
  return child;
}

/** A socket for an accepted connection: options as the listener's (Linux copies them into the child). */
function adopt(parent: TcpSocket, c: TcpConnection): TcpSocket {
  const s = new TcpSocket(parent.host, parent.domain, parent.protocol);
  s.sockState = 'connected';
  s.conn = c;
  Object.assign(s.opts, c.options);
  s.reuseAddr = parent.reuseAddr;
  s.reusePort = parent.reusePort;
  s.broadcast = parent.broadcast;
  s.rcvTimeoUs = parent.rcvTimeoUs;
  s.sndTimeoUs = parent.sndTimeoUs;
  s.ipTtl = parent.ipTtl;
  s.ipTos = parent.ipTos;
  s.pmtuDiscover = parent.pmtuDiscover;
  s.hops6 = parent.hops6;
  s.tclass = parent.tclass;
  s.v6Only = parent.v6Only;
  s.rcvBufSet = parent.rcvBufSet;
  s.sndBufSet = parent.sndBufSet;
  const fam = typeof c.localAddress === 'number';
  s.setBinding({ ip: c.localAddress, port: c.localPort, v4: fam, v6: !fam, userAddress: true, userPort: true });
  parent.host.tcpBinds.adopt(c, s);
  // Anything that happened before accept() (data, FIN, a reset) is in the connection's state.
  if (c.state === TcpState.CLOSED && c.error !== null) s.soError = c.error;
  c.setHandler(s.handler);
  return s;
}
