import { isIPv4Multicast, type IPv4Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import type { StackContext } from '../core/context.js';
import { EphemeralPortAllocator } from '../core/ephemeral-ports.js';
import type { ErrnoCode } from '../core/errno.js';
import { internetChecksum } from '../ip/checksum.js';
import type { IpStack } from '../ip/ip-layer.js';
import type { IcmpErrorReport, InboundIp, IpAddress } from '../ip/types.js';
import { bindableIpv4, isBroadcastDestination, routeDatagram, setDatagramOption } from '../udp/datagram-route.js';
import { QueuedEndpoint } from '../udp/queued-endpoint.js';
import { datagramIcmpError } from '../udp/socket-errors.js';
import type { DatagramOptionName, DatagramOptionValues } from '../udp/socket-options.js';
import { ICMPV4_ECHO_REPLY, ICMPV4_ECHO_REQUEST, ICMPV4_HEADER_LEN, type Icmpv4Message } from './icmpv4-header.js';
import { IPPROTO_ICMP, type Icmpv4Layer } from './icmpv4.js';
import { icmpEndpointOutput, type IcmpReceived } from './raw-endpoints.js';

/**
 * A Linux-style ping endpoint (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
 * net/ipv4/ping.c): the echo identifier is the endpoint's local "port",
 * chosen like an ephemeral port unless bound; the application sends echo
 * requests (ICMP header + data) and the stack fills in the identifier and
 * checksum; echo replies carrying the identifier are read back as ICMP
 * messages (header + data).
 */
export class PingEndpoint extends QueuedEndpoint<IcmpReceived> {
  /** Only replies sent to this address are read (0: any). */
  localAddress: IPv4Address = 0;
  /** The echo identifier; 0 while unbound. */
  localPort = 0;
  sourceAddress: IPv4Address = 0;
  remoteAddress: IPv4Address = 0;
  connected = false;
  addressLocked = false;
  portLocked = false;

  /** @internal Use {@link PingEndpoints.open}. */
  constructor(private readonly owner: PingEndpoints) {
    super();
  }

  /** The echo identifier (the local port). */
  get identifier(): number {
    return this.localPort;
  }

  /** bind(): our address or 0 (never a group or broadcast: EADDRNOTAVAIL); `identifier` 0 picks one. */
  bind(address: IpAddress, identifier = 0): 'ok' | ErrnoCode {
    return this.owner.bindEndpoint(this, address, identifier);
  }

  /** connect(): the default destination (ip4_datagram_connect); binds an identifier if needed. */
  connect(address: IpAddress): 'ok' | ErrnoCode {
    return this.owner.connectEndpoint(this, address);
  }

  /** connect(AF_UNSPEC): as UDP, an identifier the application did not choose is released. */
  disconnect(): 'ok' | ErrnoCode {
    return this.owner.disconnectEndpoint(this);
  }

  /**
   * Sends an echo request: `message` is the 8-byte ICMP header (type 8, code
   * 0, sequence as the application wants) and the data. EMSGSIZE if shorter
   * than 8 bytes, EINVAL for another type or code, EDESTADDRREQ, EACCES,
   * ENETUNREACH, a pending error once.
   */
  send(message: Uint8Array, to?: IpAddress): 'ok' | ErrnoCode {
    return this.owner.sendFrom(this, message, to);
  }

  /** setsockopt(). */
  setOption<K extends DatagramOptionName>(name: K, value: DatagramOptionValues[K]): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    return setDatagramOption(this.owner.ip, this.options, name, value);
  }

  /** Releases the identifier and the queue. Idempotent. */
  close(): void {
    this.owner.closeEndpoint(this);
  }

  /** @internal */
  markClosed(): void {
    this.release();
  }
}

/**
 * The ping endpoints of one stack. Echo replies reach them through the
 * ICMP layer's observer hook; errors about echo requests they sent through
 * the IP layer's ICMP error table (protocol 1), as Linux's ping_err. The
 * ICMP layer's own echo() keys its pending requests by identifier and
 * sequence and sees the same replies; the two do not interfere.
 */
export class PingEndpoints {
  private readonly byIdent = new Map<number, PingEndpoint[]>();
  private readonly open_ = new Set<PingEndpoint>();
  private readonly ids: EphemeralPortAllocator;
  private readonly unobserve: () => void;

  constructor(
    readonly ctx: StackContext,
    readonly ip: IpStack,
    icmp: Icmpv4Layer,
    ids?: EphemeralPortAllocator,
  ) {
    this.ids = ids ?? new EphemeralPortAllocator(ctx.random);
    this.unobserve = icmp.observe((info, m, raw) => this.input(info, m, raw));
    ip.registerErrorHandler(IPPROTO_ICMP, (report) => this.icmpError(report));
  }

  /** A new, unbound ping endpoint. */
  open(): PingEndpoint {
    const ep = new PingEndpoint(this);
    this.open_.add(ep);
    return ep;
  }

  /** Every open endpoint. */
  endpoints(): readonly PingEndpoint[] {
    return [...this.open_];
  }

  /** Closes every endpoint and detaches from the ICMP layer. */
  close(): void {
    for (const ep of [...this.open_]) this.closeEndpoint(ep);
    this.unobserve();
  }

  /** ping_get_port: an identifier clashes with any other endpoint holding it, unless both set SO_REUSEADDR. */
  private inUse(ep: PingEndpoint, ident: number): boolean {
    const list = this.byIdent.get(ident);
    if (list === undefined) return false;
    for (const other of list) if (other !== ep && !(other.options.reuseAddr && ep.options.reuseAddr)) return true;
    return false;
  }

  private hash(ep: PingEndpoint, ident: number): void {
    ep.localPort = ident;
    let list = this.byIdent.get(ident);
    if (list === undefined) this.byIdent.set(ident, (list = []));
    list.unshift(ep);
  }

  private unhash(ep: PingEndpoint): void {
    const list = this.byIdent.get(ep.localPort);
    if (list !== undefined) {
      const i = list.indexOf(ep);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.byIdent.delete(ep.localPort);
    }
    ep.localPort = 0;
  }

  private autobind(ep: PingEndpoint): 'ok' | ErrnoCode {
    if (ep.localPort !== 0) return 'ok';
    const id = this.ids.select(ep.localAddress, 0, 0, (p) => this.inUse(ep, p));
    if (id < 0) return 'EAGAIN';
    this.hash(ep, id);
    return 'ok';
  }

  /** @internal ping_bind. */
  bindEndpoint(ep: PingEndpoint, address: IpAddress, ident: number): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (typeof address !== 'number') return 'EAFNOSUPPORT';
    if (!Number.isInteger(ident) || ident < 0 || ident > 0xffff) return 'EINVAL';
    if (ep.localPort !== 0) return 'EINVAL';
    if (!bindableIpv4(this.ip, address, false)) return 'EADDRNOTAVAIL';
    let id = ident;
    if (id === 0) {
      id = this.ids.select(address, 0, 0, (p) => this.inUse(ep, p));
      if (id < 0) return 'EADDRINUSE';
    } else if (this.inUse(ep, id)) {
      return 'EADDRINUSE';
    }
    ep.localAddress = address;
    ep.sourceAddress = address;
    ep.addressLocked = address !== 0;
    ep.portLocked = ident !== 0;
    this.hash(ep, id);
    return 'ok';
  }

  /** @internal */
  connectEndpoint(ep: PingEndpoint, address: IpAddress): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (typeof address !== 'number') return 'EAFNOSUPPORT';
    const bound = this.autobind(ep);
    if (bound !== 'ok') return bound;
    const route = routeDatagram(this.ip, ep.options, ep.sourceAddress, address);
    if (typeof route === 'string') return route;
    if (!isIPv4Multicast(address) && isBroadcastDestination(this.ip, address) && !ep.options.broadcast) return 'EACCES';
    if (ep.sourceAddress === 0) ep.sourceAddress = route.src;
    if (ep.localAddress === 0) ep.localAddress = route.src;
    ep.remoteAddress = address;
    ep.connected = true;
    return 'ok';
  }

  /** @internal */
  disconnectEndpoint(ep: PingEndpoint): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    ep.connected = false;
    ep.remoteAddress = 0;
    if (!ep.addressLocked) ep.localAddress = ep.sourceAddress = 0;
    if (!ep.portLocked && ep.localPort !== 0) this.unhash(ep);
    return 'ok';
  }

  /** @internal ping_v4_sendmsg + ping_common_sendmsg. */
  sendFrom(ep: PingEndpoint, message: Uint8Array, to: IpAddress | undefined): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    const bound = this.autobind(ep);
    if (bound !== 'ok') return bound;
    if (message.length > 0xffff || message.length < ICMPV4_HEADER_LEN) return 'EMSGSIZE';
    if (message[0] !== ICMPV4_ECHO_REQUEST || message[1] !== 0) return 'EINVAL';
    let dst: IpAddress;
    if (to !== undefined) dst = to;
    else if (ep.connected) dst = ep.remoteAddress;
    else return 'EDESTADDRREQ';
    if (typeof dst !== 'number') return 'EAFNOSUPPORT';
    const ident = ep.localPort;
    return icmpEndpointOutput(this.ctx, this.ip, ep, ep.sourceAddress, dst, message.length, (b, o) => {
      b.set(message, o);
      // The kernel owns the identifier and the checksum.
      writeU16(b, o + 4, ident);
      writeU16(b, o + 2, 0);
      writeU16(b, o + 2, internetChecksum(b, o, o + message.length));
    });
  }

  /** @internal */
  closeEndpoint(ep: PingEndpoint): void {
    if (ep.closed) return;
    ep.markClosed();
    this.open_.delete(ep);
    if (ep.localPort !== 0) this.unhash(ep);
  }

  /** ping_lookup: the newest endpoint holding the identifier whose address and device fit. */
  private lookup(ident: number, dst: IpAddress, ifindex: number): PingEndpoint | null {
    const list = this.byIdent.get(ident);
    if (list === undefined) return null;
    for (const ep of list) {
      if (ep.localAddress !== 0 && ep.localAddress !== dst) continue;
      const dev = ep.options.bindToDevice;
      if (dev !== 0 && ifindex !== 0 && dev !== ifindex) continue;
      return ep;
    }
    return null;
  }

  /** ping_rcv: an echo reply goes to the endpoint owning its identifier. */
  private input(info: InboundIp, m: Icmpv4Message, raw: Uint8Array): void {
    if (m.type !== ICMPV4_ECHO_REPLY || m.code !== 0 || info.family !== 4) return;
    const ep = this.lookup(m.identifier, info.dst, info.ifindex);
    if (ep === null) return;
    ep.enqueue({
      data: raw.slice(),
      srcAddress: info.src as IPv4Address,
      dstAddress: info.dst as IPv4Address,
      ifindex: info.ifindex,
      ttl: info.ttl,
      tos: info.tos,
    });
  }

  /** ping_err: an error about an echo request we sent; hard errors reach connected endpoints. */
  private icmpError(report: IcmpErrorReport): void {
    const q = report.quoted;
    if (q.length < ICMPV4_HEADER_LEN || q[0] !== ICMPV4_ECHO_REQUEST) return;
    const ep = this.lookup(readU16(q, 4), report.src, 0);
    if (ep === null) return;
    const e = datagramIcmpError(report, ep.options.pmtuDiscovery);
    if (e === null || !e.hard || !ep.connected) return;
    ep.setError(e.errno);
  }
}
