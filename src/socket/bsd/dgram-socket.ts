import type { IPv4Address } from '../../core/address.js';
import { ERRNO, type ErrnoCode } from '../../core/errno.js';
import type { PingEndpoint } from '../../icmp/ping-endpoints.js';
import type { IcmpReceived, RawIcmpEndpoint } from '../../icmp/raw-endpoints.js';
import type { IpAddress } from '../../ip/types.js';
import type { ReceivedDatagram, UdpEndpoint } from '../../udp/udp-endpoint.js';
import {
  AF_UNSPEC, ENOTTY, FIONREAD, IPPROTO_ICMP, MSG_ERRQUEUE, MSG_OOB, MSG_PEEK, MSG_TRUNC, POLLERR, POLLHUP, POLLIN,
  POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM, SIOCOUTQ,
} from './constants.js';
import { dgramGetsockopt, dgramSetsockopt } from './dgram-sockopt.js';
import {
  BsdSocket, gather, iovLength, RCV_SHUTDOWN, scatter, SEND_SHUTDOWN, SHUTDOWN_MASK, type SocketHost,
} from './socket-base.js';
import { fromEndpointAddr, toEndpointAddr } from './sockaddr.js';
import type { GetsockoptResult, OptionValue, RecvMsgHdr, SockAddr, SockAddrOut, SysResult } from './types.js';

/** The three datagram endpoint kinds under a datagram socket. */
export type DatagramEndpoint =
  | { readonly kind: 'udp'; readonly ep: UdpEndpoint }
  | { readonly kind: 'ping'; readonly ep: PingEndpoint }
  | { readonly kind: 'raw'; readonly ep: RawIcmpEndpoint };

function result(r: 'ok' | ErrnoCode): number {
  return r === 'ok' ? 0 : -ERRNO[r];
}

/**
 * A datagram socket: SOCK_DGRAM/IPPROTO_UDP over a UDP endpoint,
 * SOCK_DGRAM/IPPROTO_ICMP over a ping endpoint, SOCK_RAW/IPPROTO_ICMP over a
 * raw ICMP endpoint. Sends never block (there is no send queue: a datagram
 * goes to IP at once); receives block until a datagram, an error, or
 * shutdown(SHUT_RD).
 */
export class DatagramSocket extends BsdSocket {
  /** SO_KEEPALIVE and SO_LINGER: Linux keeps them on datagram sockets without using them; getsockopt reads them back. */
  keepAlive = false;
  lingerOn = false;
  lingerS = 0;
  /** IP_MTU_DISCOVER as the application set it (the endpoint knows four modes; Linux has six values). */
  pmtuDiscover = 1;
  /** The port given to connect() on ping and raw sockets (inet_dport: getpeername needs it non-zero). */
  private connectPort = 0;

  constructor(
    host: SocketHost,
    domain: number,
    type: number,
    protocol: number,
    readonly dg: DatagramEndpoint,
  ) {
    super(host, domain, type, protocol);
    dg.ep.listener = { readable: () => this.notifySoon(), error: () => this.notifySoon() };
  }

  bind(sa: SockAddr): number {
    const a = toEndpointAddr(this.domain, sa, true);
    if (typeof a === 'number') return a;
    const d = this.dg;
    switch (d.kind) {
      case 'udp':
        return result(d.ep.bind(a.ip, a.port));
      case 'ping':
        return result(d.ep.bind(a.ip, a.port));
      case 'raw':
        return result(d.ep.bind(a.ip));
    }
  }

  listen(_backlog: number): number {
    return -ERRNO.EOPNOTSUPP;
  }

  accept(_flags: number, _out: SockAddrOut | undefined): number {
    return -ERRNO.EOPNOTSUPP;
  }

  connect(sa: SockAddr): SysResult {
    const d = this.dg;
    if (sa.family === AF_UNSPEC) {
      this.connectPort = 0;
      return result(d.ep.disconnect());
    }
    const a = toEndpointAddr(this.domain, sa);
    if (typeof a === 'number') return a;
    let r: 'ok' | ErrnoCode;
    if (d.kind === 'udp') r = d.ep.connect(a.ip, a.port);
    else r = d.ep.connect(a.ip);
    if (r === 'ok') this.connectPort = a.port;
    return result(r);
  }

  send(iov: readonly Uint8Array[], flags: number, to: SockAddr | null): SysResult {
    if ((flags & MSG_OOB) !== 0) return -ERRNO.EOPNOTSUPP;
    // sock_alloc_send_pskb: nothing goes out after shutdown(SHUT_WR).
    if ((this.shutdownBits & SEND_SHUTDOWN) !== 0) return -ERRNO.EPIPE;
    let dest: { ip: IpAddress; port: number } | undefined;
    if (to !== null) {
      const a = toEndpointAddr(this.domain, to);
      if (typeof a === 'number') return a;
      dest = a;
    }
    const total = iovLength(iov);
    const data = gather(iov, total);
    const d = this.dg;
    let r: 'ok' | ErrnoCode;
    if (d.kind === 'udp') r = d.ep.send(data, dest === undefined ? undefined : { address: dest.ip, port: dest.port });
    else r = d.ep.send(data, dest?.ip);
    return r === 'ok' ? total : -ERRNO[r];
  }

  recv(iov: readonly Uint8Array[], flags: number, msg: RecvMsgHdr | null): SysResult {
    if ((flags & MSG_OOB) !== 0) return -ERRNO.EOPNOTSUPP;
    if ((flags & MSG_ERRQUEUE) !== 0) return -ERRNO.EAGAIN;
    if (msg !== null) msg.flags = 0;
    const ep = this.dg.ep;
    const got: ReceivedDatagram | IcmpReceived | ErrnoCode | null = (flags & MSG_PEEK) !== 0 ? ep.peek() : ep.recv();
    if (typeof got === 'string') return -ERRNO[got];
    if (got === null) {
      if ((this.shutdownBits & RCV_SHUTDOWN) !== 0) return 0;
      return this.wouldBlock(flags, this.rcvTimeoUs);
    }
    const copied = scatter(got.data, iov);
    const truncated = got.data.length > iovLength(iov);
    if (msg !== null) {
      if (truncated) msg.flags |= MSG_TRUNC;
      msg.name = fromEndpointAddr(this.domain, got.srcAddress, 'srcPort' in got ? got.srcPort : 0);
    }
    // MSG_TRUNC asks for the datagram's real length (udp_recvmsg).
    return (flags & MSG_TRUNC) !== 0 ? got.data.length : copied;
  }

  shutdown(how: number): number {
    if (!Number.isInteger(how) || how < 0 || how > 2) return -ERRNO.EINVAL;
    // inet_shutdown: an unconnected datagram socket answers ENOTCONN but records the shutdown all the same.
    this.shutdownBits |= how + 1;
    this.notify();
    return this.dg.ep.connected ? 0 : -ERRNO.ENOTCONN;
  }

  close(): void {
    if (this.closed) return;
    this.dg.ep.listener = null;
    this.dg.ep.close();
    this.closeWaiters();
  }

  getsockname(): SockAddr {
    const d = this.dg;
    switch (d.kind) {
      case 'udp':
        return fromEndpointAddr(this.domain, d.ep.localAddress, d.ep.localPort);
      case 'ping':
        return fromEndpointAddr(this.domain, d.ep.localAddress, d.ep.localPort);
      case 'raw':
        // A raw socket's "port" is its protocol (inet_create sets inet_sport to it).
        return fromEndpointAddr(this.domain, d.ep.localAddress, IPPROTO_ICMP);
    }
  }

  getpeername(): SockAddr | number {
    const d = this.dg;
    if (!d.ep.connected) return -ERRNO.ENOTCONN;
    if (d.kind === 'udp') return fromEndpointAddr(this.domain, d.ep.remoteAddress, d.ep.remotePort);
    // inet_getname: no peer while inet_dport is 0.
    if (this.connectPort === 0) return -ERRNO.ENOTCONN;
    return fromEndpointAddr(this.domain, d.ep.remoteAddress, this.connectPort);
  }

  setsockopt(level: number, name: number, value: OptionValue, optlen: number): number {
    return dgramSetsockopt(this, level, name, value, optlen);
  }

  getsockopt(level: number, name: number): GetsockoptResult | number {
    return dgramGetsockopt(this, level, name);
  }

  ioctl(request: number): number {
    switch (request) {
      case FIONREAD:
        // udp_ioctl: the size of the first datagram, not the sum.
        return this.dg.ep.nextDatagramSize;
      case SIOCOUTQ:
        // Datagrams go to IP synchronously: nothing ever waits in a send queue.
        return 0;
      default:
        return -ENOTTY;
    }
  }

  pollMask(): number {
    const ep = this.dg.ep;
    let mask = 0;
    if (ep.pendingError !== null) mask |= POLLERR;
    const shut = this.shutdownBits;
    if ((shut & RCV_SHUTDOWN) !== 0) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (shut === SHUTDOWN_MASK) mask |= POLLHUP;
    if (ep.queuedDatagrams > 0) mask |= POLLIN | POLLRDNORM;
    return mask | POLLOUT | POLLWRNORM | POLLWRBAND;
  }

  /** The peer of a connected socket (IP_MTU), or null. */
  connectedPeer(): IPv4Address | null {
    const ep = this.dg.ep;
    if (!ep.connected || typeof ep.remoteAddress !== 'number') return null;
    return ep.remoteAddress;
  }
}
