import { ERRNO, type ErrnoCode } from '../../core/errno.js';
import type { TcpConnection } from '../../tcp/connection.js';
import { TcpState } from '../../tcp/state.js';
import {
  ENOTTY, FIONREAD, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, SIOCOUTQ, SIOCOUTQNSD,
} from './constants.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from './socket-base.js';
import type { TcpSocket } from './tcp-socket.js';

/** Readiness and queue sizes of TCP sockets: Linux's tcp_poll and tcp_ioctl. */

function errno(code: ErrnoCode): number {
  return -ERRNO[code];
}

/** ioctl(2) on a TCP socket: SIOCINQ, SIOCOUTQ, SIOCOUTQNSD (EINVAL on a listener); ENOTTY otherwise. */
export function tcpIoctl(s: TcpSocket, request: number): number {
  const c = s.conn;
  switch (request) {
    case FIONREAD:
      if (s.listening) return errno('EINVAL');
      if (c === null || c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED) return 0;
      return c.readableLength;
    case SIOCOUTQ:
      if (s.listening) return errno('EINVAL');
      if (c === null || c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED) return 0;
      return c.writeQueued;
    case SIOCOUTQNSD:
      if (s.listening) return errno('EINVAL');
      if (c === null || c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED) return 0;
      return Math.max(0, c.unsentLength);
    default:
      return -ENOTTY;
  }
}

/**
 * tcp_poll: a listener is readable with a connection to accept; otherwise
 * POLLHUP once closed or shut down both ways, POLLIN|POLLRDHUP after the
 * peer's FIN, POLLIN with data, POLLOUT with send space (nothing while the
 * handshake runs), POLLERR with a pending error. A fresh socket is
 * POLLOUT|POLLHUP, as on Linux.
 */
export function tcpPollMask(s: TcpSocket): number {
  if (s.listening) {
    for (const l of s.listeners) if (l.pending > 0) return POLLIN | POLLRDNORM;
    return 0;
  }
  const c = s.conn;
  const st = c === null ? TcpState.CLOSED : c.state;
  // tcp_done sets sk_shutdown to SHUTDOWN_MASK; a FIN from the peer sets RCV_SHUTDOWN.
  let shut = s.shutdownBits;
  if (c !== null && st === TcpState.CLOSED) shut = SHUTDOWN_MASK;
  if (c !== null && (c.finReceived || c.readShutdown)) shut |= RCV_SHUTDOWN;
  let mask = 0;
  if (shut === SHUTDOWN_MASK || st === TcpState.CLOSED) mask |= POLLHUP;
  if ((shut & RCV_SHUTDOWN) !== 0) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (st !== TcpState.SYN_SENT && st !== TcpState.SYN_RECEIVED) {
    if (c !== null && c.readableLength > 0) mask |= POLLIN | POLLRDNORM;
    if ((shut & SEND_SHUTDOWN) !== 0) mask |= POLLOUT | POLLWRNORM;
    else if (writeSpace(c)) mask |= POLLOUT | POLLWRNORM;
  }
  if (s.soError !== null) mask |= POLLERR;
  return mask;
}

/** sk_stream_is_writeable: free space at least half of what is queued, and the queue below the buffer. */
function writeSpace(c: TcpConnection | null): boolean {
  return c === null || c.writeable;
}
