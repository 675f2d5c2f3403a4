import { ERRNO, type ErrnoCode, SocketError } from '../../core/errno.js';
import type { IpAddress } from '../../ip/types.js';
import type { TcpConnection, TcpConnectionHandler, TcpSocketOptions } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';
import { TcpState } from '../../tcp/state.js';
import { defaultSocketOptions } from '../../tcp/tcp-layer.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IPPROTO_TCP, MSG_ERRQUEUE, MSG_MORE, MSG_OOB,
  MSG_PEEK, MSG_TRUNC, POLLOUT,
} from './constants.js';
import {
  BsdSocket, gather, iovLength, RCV_SHUTDOWN, scatter, SEND_SHUTDOWN, SHUTDOWN_MASK, type SocketHost,
} from './socket-base.js';
import { fromEndpointAddr, toEndpointAddr } from './sockaddr.js';
import type { BindOwner, TcpBinding } from './tcp-bind-table.js';
import { tcpAccept, tcpListen } from './tcp-listen.js';
import { tcpIoctl, tcpPollMask } from './tcp-poll.js';
import { tcpGetsockopt, tcpSetsockopt } from './tcp-sockopt.js';
import type { GetsockoptResult, OptionValue, RecvMsgHdr, SockAddr, SockAddrOut, SysResult } from './types.js';
import { WOULD_BLOCK } from './types.js';

/** struct socket's state (SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING). */
export type SocketState = 'unconnected' | 'connecting' | 'connected' | 'disconnecting';

/** IP_PMTUDISC_OMIT (Linux 4.x): DF off, as with IP_PMTUDISC_DONT. */
const IP_PMTUDISC_OMIT = 5;

function errno(code: ErrnoCode): number {
  return -ERRNO[code];
}

/**
 * A SOCK_STREAM socket over the TCP layer, with the state rules of Linux's
 * inet_stream_connect, inet_listen, inet_accept, tcp_sendmsg, tcp_recvmsg,
 * inet_shutdown and tcp_poll.
 */
export class TcpSocket extends BsdSocket implements BindOwner {
  sockState: SocketState = 'unconnected';
  binding: TcpBinding | null = null;
  /** One listener, or two for an AF_INET6 socket listening on `::` (IPv4 and IPv6). */
  listeners: TcpListener[] = [];
  conn: TcpConnection | null = null;
  /** sk_err: reported once by the next call that checks it (or SO_ERROR), then cleared. */
  soError: ErrnoCode | null = null;
  /** The options the application set; handed to the connection or listener when it is made. */
  readonly opts: TcpSocketOptions = defaultSocketOptions();
  reuseAddr = false;
  reusePort = false;
  /** SO_BROADCAST: Linux keeps the flag on TCP sockets without using it; so do we (getsockopt reads it). */
  broadcast = false;
  /** IP_TTL (-1: the default 64), IP_TOS, IP_MTU_DISCOVER. */
  ipTtl = -1;
  ipTos = 0;
  /** IPV6_V6ONLY (set before bind), IPV6_UNICAST_HOPS (-1: the default 64), IPV6_TCLASS. */
  v6Only = false;
  hops6 = -1;
  tclass = 0;
  pmtuDiscover = IP_PMTUDISC_WANT;
  /** SO_RCVBUF / SO_SNDBUF as the application set them (already doubled), 0 = the TCP defaults. */
  rcvBufSet = 0;
  sndBufSet = 0;
  /** TCP_QUICKACK 0 before a connection exists: applied to the connection when it is made. */
  quickAckOff = false;
  /** A blocking connect() returned WOULD_BLOCK and has not returned its final result. */
  connectWaiting = false;
  /** @internal The notification handler installed on this socket's connection. */
  readonly handler: TcpConnectionHandler;

  constructor(host: SocketHost, domain: number, protocol: number) {
    super(host, domain, 1, protocol === 0 ? IPPROTO_TCP : protocol);
    this.handler = {
      onConnected: () => this.notify(),
      onReadable: () => this.notify(),
      onWritable: () => this.notify(),
      onPeerFin: () => this.notify(),
      onClosed: (_c, err) => {
        if (err !== null) this.soError = err;
        this.notify();
      },
    };
  }

  get listening(): boolean {
    return this.listeners.length > 0;
  }

  ownsListener(l: TcpListener): boolean {
    return this.listeners.includes(l);
  }

  // ------------------------------------------------------------ bind / listen / accept

  bind(sa: SockAddr): number {
    if (this.binding !== null || this.sockState !== 'unconnected' || this.conn !== null) return errno('EINVAL');
    const a = toEndpointAddr(this.domain, sa, true);
    if (typeof a === 'number') return a;
    if (!a.wildcard && !this.host.ip.isLocalAddress(a.ip)) return errno('EADDRNOTAVAIL');
    const ip = a.wildcard ? null : a.ip;
    const { v4, v6 } = this.familiesFor(ip);
    let port = a.port;
    if (port === 0) {
      port = this.pickPort(ip, v4, v6);
      if (port < 0) return errno('EADDRINUSE');
    } else if (this.host.tcpBinds.conflicts(this, ip, port, v4, v6, false)) {
      return errno('EADDRINUSE');
    }
    this.setBinding({ ip, port, v4, v6, userAddress: ip !== null, userPort: a.port !== 0 });
    return 0;
  }

  /** @internal Which families a binding to `ip` covers (an AF_INET6 wildcard covers both unless IPV6_V6ONLY). */
  familiesFor(ip: IpAddress | null): { v4: boolean; v6: boolean } {
    if (this.domain === AF_INET) return { v4: true, v6: false };
    if (ip === null) return { v4: !this.v6Only, v6: true };
    return typeof ip === 'number' ? { v4: true, v6: false } : { v4: false, v6: true };
  }

  /** @internal An ephemeral port free for a binding to `ip` (-1 if none). */
  pickPort(ip: IpAddress | null, v4: boolean, v6: boolean): number {
    return this.host.tcpPorts.select(ip ?? 0, 0, 0, (p) => this.host.tcpBinds.conflicts(this, ip, p, v4, v6, false));
  }

  /** @internal Replaces the socket's binding, keeping the bind table in step. */
  setBinding(b: TcpBinding | null): void {
    if (this.binding !== null) this.host.tcpBinds.remove(this, this.binding.port);
    this.binding = b;
    if (b !== null) this.host.tcpBinds.add(this);
  }

  listen(backlog: number): number {
    return tcpListen(this, backlog);
  }

  accept(flags: number, out: SockAddrOut | undefined): TcpSocket | number | typeof WOULD_BLOCK {
    return tcpAccept(this, flags, out);
  }

  // ------------------------------------------------------------ connect

  connect(sa: SockAddr): SysResult {
    if (sa.family === AF_UNSPEC) return this.disconnect();
    if (this.connectWaiting) return this.continueConnect();
    const a = toEndpointAddr(this.domain, sa);
    if (typeof a === 'number') return a;
    let err: number;
    switch (this.sockState) {
      case 'connected':
        return errno('EISCONN');
      case 'connecting':
        err = errno('EALREADY');
        break;
      case 'disconnecting':
        return errno('EINVAL');
      default: {
        if (this.listening || (this.conn !== null && this.conn.state !== TcpState.CLOSED)) return errno('EISCONN');
        const started = this.startConnect(a.ip, a.port);
        if (started !== 0) return started;
        err = errno('EINPROGRESS');
        break;
      }
    }
    const c = this.conn;
    if (c !== null && (c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED)) {
      const r = this.wouldBlock(0, this.sndTimeoUs);
      if (r === WOULD_BLOCK) {
        this.connectWaiting = true;
        return WOULD_BLOCK;
      }
      return err;
    }
    return this.connectOutcome();
  }

  /** The continuation of a blocking connect (see sys.ts): WOULD_BLOCK until the handshake ends. */
  private continueConnect(): SysResult {
    const c = this.conn;
    if (c !== null && (c.state === TcpState.SYN_SENT || c.state === TcpState.SYN_RECEIVED)) return WOULD_BLOCK;
    this.connectWaiting = false;
    return this.connectOutcome();
  }

  /** A blocking connect gave up (SO_SNDTIMEO, abort): the handshake goes on, as after EINPROGRESS. */
  abandonConnect(): void {
    this.connectWaiting = false;
  }

  /** The end of __inet_stream_connect once the handshake is over: connected, or sock_error and disconnect. */
  private connectOutcome(): number {
    const c = this.conn;
    if (c !== null && c.state !== TcpState.CLOSED) {
      this.sockState = 'connected';
      return 0;
    }
    const e = this.soError ?? 'ECONNABORTED';
    this.soError = null;
    this.resetToUnconnected();
    return errno(e);
  }

  private startConnect(ip: IpAddress, port: number): number {
    const b = this.binding;
    // A dual-stack socket bound to one family's address cannot reach the other (tcp_v6_connect).
    if (this.domain === AF_INET6 && b !== null && b.ip !== null && typeof b.ip !== typeof ip) return errno('ENETUNREACH');
    let c: TcpConnection;
    try {
      c = this.host.tcp.connect({
        remoteAddress: ip,
        remotePort: port,
        ...(b !== null && b.ip !== null ? { localAddress: b.ip } : {}),
        ...(b !== null ? { localPort: b.port } : {}),
        options: { ...this.opts, ...this.ipOptionsFor(typeof ip !== 'number') },
        handler: this.handler,
      });
    } catch (e) {
      if (e instanceof SocketError) return errno(e.code);
      throw e;
    }
    this.conn = c;
    this.soError = null;
    this.shutdownBits = 0;
    this.sockState = 'connecting';
    this.host.tcpBinds.adopt(c, this);
    if (this.quickAckOff) c.setQuickAck(false);
    if (b === null) {
      const v4 = typeof c.localAddress === 'number';
      this.setBinding({ ip: c.localAddress, port: c.localPort, v4, v6: !v4, userAddress: false, userPort: false, fromConnect: true });
    }
    // The SYN may have failed at once (no route discovered late, ICMP on loopback): the outcome is in the state.
    return 0;
  }

  /** connect(AF_UNSPEC) / tcp_disconnect: abort what there is and become a fresh socket again. */
  private disconnect(): number {
    this.connectWaiting = false;
    if (this.listening) {
      for (const l of this.listeners) l.close();
      this.listeners = [];
    }
    const c = this.conn;
    if (c !== null) {
      c.setHandler(null);
      if (c.state === TcpState.SYN_SENT) {
        c.close();
        this.soError = 'ECONNRESET';
      } else {
        c.abort();
      }
    }
    this.resetToUnconnected();
    return 0;
  }

  /** Back to SS_UNCONNECTED / TCP_CLOSE; a port the application did not bind is released (tcp_set_state → inet_put_port). */
  private resetToUnconnected(): void {
    this.sockState = 'unconnected';
    this.conn = null;
    this.shutdownBits = 0;
    const b = this.binding;
    if (b !== null && !b.userPort) this.setBinding(null);
    else if (b !== null && !b.userAddress && b.ip !== null) {
      const fam = this.familiesFor(null);
      this.setBinding({ ...b, ip: null, v4: fam.v4, v6: fam.v6 });
    }
  }

  // ------------------------------------------------------------ data

  send(iov: readonly Uint8Array[], flags: number, _to: SockAddr | null): SysResult {
    // No urgent data (MSG_OOB); other flags without meaning here are ignored, as tcp_sendmsg ignores them.
    if ((flags & MSG_OOB) !== 0) return errno('EOPNOTSUPP');
    const c = this.conn;
    const st = this.listening ? TcpState.LISTEN : c === null ? TcpState.CLOSED : c.state;
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) {
      // sk_stream_wait_connect, then sk_stream_error: a pending error first, else EPIPE.
      if (this.soError !== null) return this.takeError();
      if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED) return this.wouldBlock(flags, this.sndTimeoUs);
      return errno('EPIPE');
    }
    if (this.soError !== null) return this.takeError();
    if ((this.shutdownBits & SEND_SHUTDOWN) !== 0 || c!.finQueued) return errno('EPIPE');
    const conn = c!;
    const total = iovLength(iov);
    if (total === 0) return 0;
    const room = conn.writableLength;
    if (room === 0) {
      conn.requestWritable();
      return this.wouldBlock(flags, this.sndTimeoUs);
    }
    // MSG_MORE: the end of this send is not pushed, and a partial segment
    // waits — during this call only; the next ACK or send decides with the
    // socket's own Nagle setting (Linux tcp_push with TCP_NAGLE_CORK).
    // The connection may take more than `room` (sending during the write
    // frees room), so it gets everything and says how much it took.
    try {
      return conn.write(gather(iov, total), (flags & MSG_MORE) !== 0);
    } catch (e) {
      if (e instanceof SocketError) return errno(e.code);
      throw e;
    }
  }

  recv(iov: readonly Uint8Array[], flags: number, msg: RecvMsgHdr | null): SysResult {
    // No urgent data is kept (tcp_recv_urg: EINVAL); the error queue is always empty.
    if ((flags & MSG_OOB) !== 0) return errno('EINVAL');
    if ((flags & MSG_ERRQUEUE) !== 0) return errno('EAGAIN');
    if (msg !== null) msg.flags = 0;
    if (this.listening) return errno('ENOTCONN');
    const c = this.conn;
    if (c === null) return errno('ENOTCONN');
    const total = iovLength(iov);
    if (c.readableLength > 0 && total > 0) {
      let data: Uint8Array;
      if ((flags & MSG_PEEK) !== 0) data = c.peek(total);
      else data = c.read(total);
      // MSG_TRUNC on TCP discards the bytes instead of copying them (tcp_recvmsg).
      if ((flags & MSG_TRUNC) === 0) scatter(data, iov);
      // tcp_recvmsg leaves msg_name empty: the peer is known from getpeername().
      return data.length;
    }
    if (total === 0) return 0;
    // tcp_recvmsg with nothing queued: SOCK_DONE (peer FIN), then sk_err, then RCV_SHUTDOWN.
    if (c.finReceived) return 0;
    if (this.soError !== null) return this.takeError();
    if (c.state === TcpState.CLOSED || c.state === TcpState.TIME_WAIT || c.readShutdown || (this.shutdownBits & RCV_SHUTDOWN) !== 0) return 0;
    return this.wouldBlock(flags, this.rcvTimeoUs);
  }

  /** sock_error(): the pending error, cleared. */
  takeError(): number {
    const e = this.soError;
    this.soError = null;
    return e === null ? 0 : errno(e);
  }

  // ------------------------------------------------------------ shutdown / close

  shutdown(how: number): number {
    if (!Number.isInteger(how) || how < 0 || how > 2) return errno('EINVAL');
    const bits = how + 1;
    if (this.sockState === 'connecting') {
      const st = this.conn?.state ?? TcpState.CLOSED;
      this.sockState = st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED || st === TcpState.CLOSED ? 'disconnecting' : 'connected';
    }
    let err = 0;
    const c = this.conn;
    if (this.listening) {
      // A listener stops on SHUT_RD / SHUT_RDWR; a blocked accept() wakes up and fails with EINVAL.
      if ((bits & RCV_SHUTDOWN) !== 0) {
        for (const l of this.listeners) l.close();
        this.listeners = [];
        this.sockState = 'unconnected';
      }
    } else if (c === null || c.state === TcpState.CLOSED) {
      err = errno('ENOTCONN');
      this.shutdownBits |= bits;
    } else if (c.state === TcpState.SYN_SENT) {
      // tcp_disconnect in SYN-SENT: the TCB goes, no RST, and the pending connect sees ECONNRESET.
      c.close();
      this.soError = 'ECONNRESET';
      this.sockState = this.connectWaiting ? 'connecting' : 'unconnected';
    } else {
      this.shutdownBits |= bits;
      const what = bits === SHUTDOWN_MASK ? 'both' : bits === RCV_SHUTDOWN ? 'read' : 'write';
      try {
        c.shutdown(what);
      } catch (e) {
        if (!(e instanceof SocketError)) throw e;
        err = errno(e.code);
      }
    }
    this.notify();
    return err;
  }

  /**
   * Releases the socket. With `lingerDone`, a TCP connection closes as a
   * blocking close(2) under SO_LINGER does: `lingerDone` runs once the FIN
   * is acknowledged (or the connection ends) or the linger time is up.
   */
  close(lingerDone?: () => void): void {
    if (this.closed) return;
    for (const l of this.listeners) l.close();
    this.listeners = [];
    const c = this.conn;
    if (c !== null) {
      c.setHandler(null);
      // Closing flushes whatever TCP_CORK held back (tcp_close sends with Nagle off).
      if (c.options.cork) c.setOptions({ cork: false });
      if (lingerDone !== undefined) c.closeLingering(() => lingerDone());
      else c.close();
    } else if (lingerDone !== undefined) {
      lingerDone();
    }
    if (this.binding !== null) this.host.tcpBinds.remove(this, this.binding.port);
    this.closeWaiters();
  }

  // ------------------------------------------------------------ names, options, ioctl, poll

  getsockname(): SockAddr | number {
    const c = this.conn;
    if (c !== null && c.state !== TcpState.CLOSED) return fromEndpointAddr(this.domain, c.localAddress, c.localPort);
    if (this.binding !== null) return fromEndpointAddr(this.domain, this.binding.ip, this.binding.port);
    return fromEndpointAddr(this.domain, null, 0);
  }

  getpeername(): SockAddr | number {
    const c = this.conn;
    // inet_getname: no peer in CLOSE and SYN-SENT.
    if (c === null || c.state === TcpState.CLOSED || c.state === TcpState.SYN_SENT) return errno('ENOTCONN');
    return fromEndpointAddr(this.domain, c.remoteAddress, c.remotePort);
  }

  setsockopt(level: number, name: number, value: OptionValue, optlen: number): number {
    return tcpSetsockopt(this, level, name, value, optlen);
  }

  getsockopt(level: number, name: number): GetsockoptResult | number {
    return tcpGetsockopt(this, level, name);
  }

  ioctl(request: number): number {
    return tcpIoctl(this, request);
  }

  pollMask(): number {
    return tcpPollMask(this);
  }

  protected override onWaiterAdded(events: number): void {
    // The TCP layer reports freed send space only when asked (or after a short write).
    if ((events & POLLOUT) !== 0 && this.conn !== null) this.conn.requestWritable();
  }

  // ------------------------------------------------------------ options plumbing (used by tcp-sockopt.ts)

  /** TCP_QUICKACK: on the connection if there is one, else remembered for the next one (Linux: not sticky). */
  setQuickAck(on: boolean): void {
    const c = this.conn;
    if (c !== null && c.state !== TcpState.CLOSED) c.setQuickAck(on);
    else this.quickAckOff = !on;
  }

  /** Applies option changes to the connection or the listeners, and remembers them for later ones. */
  applyTcpOptions(o: Partial<TcpSocketOptions>): void {
    Object.assign(this.opts, o);
    // Accepted connections inherit the listener's options (passive-open copies them).
    for (const l of this.listeners) Object.assign(l.options, o);
    const c = this.conn;
    if (c !== null && c.state !== TcpState.CLOSED) c.setOptions(o);
  }

  /**
   * The TCP layer's IP options (TTL, TOS, DF) for segments of one family:
   * IPv6 ones take IPV6_UNICAST_HOPS / IPV6_TCLASS, IPv4 ones (also on an
   * AF_INET6 socket) IP_TTL / IP_TOS; IP_PMTUDISC_DONT / OMIT clear DF.
   */
  ipOptionsFor(v6: boolean): Pick<TcpSocketOptions, 'ttl' | 'tos' | 'dontFragment'> {
    return {
      ttl: v6 ? this.hops6 : this.ipTtl,
      tos: v6 ? this.tclass : this.ipTos,
      dontFragment: !(this.pmtuDiscover === IP_PMTUDISC_DONT || this.pmtuDiscover === IP_PMTUDISC_OMIT),
    };
  }

  /**
   * IP_TTL, IP_TOS, IP_MTU_DISCOVER and their IPv6 twins changed: hands them
   * to the listeners (their SYN-ACKs and children) and the connection, each
   * by its family. New connections get them in their options from the
   * first SYN on (startConnect, tcpListen).
   */
  applyIpOptions(): void {
    for (const l of this.listeners) Object.assign(l.options, this.ipOptionsFor(l.family === 6));
    const c = this.conn;
    if (c !== null && c.state !== TcpState.CLOSED) c.setOptions(this.ipOptionsFor(typeof c.remoteAddress !== 'number'));
  }
}

