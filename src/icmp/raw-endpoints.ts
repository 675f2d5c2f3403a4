import { isIPv4Multicast, type IPv4Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import type { ErrnoCode } from '../core/errno.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import type { IpStack } from '../ip/ip-layer.js';
import type { InboundIp, IpAddress } from '../ip/types.js';
import { bindableIpv4, isBroadcastDestination, loopBackCopy, prepareDatagram4, routeDatagram, setDatagramOption } from '../udp/datagram-route.js';
import { QueuedEndpoint } from '../udp/queued-endpoint.js';
import type { DatagramOptionName, DatagramOptionValues } from '../udp/socket-options.js';
import type { Icmpv4Message } from './icmpv4-header.js';
import { IPPROTO_ICMP, type Icmpv4Layer } from './icmpv4.js';

/** What an ICMP endpoint (raw or ping) reads, with what IP_PKTINFO / IP_RECVTTL / IP_RECVTOS would say. */
export interface IcmpReceived {
  /** Raw endpoints: the whole IPv4 datagram (header included); ping endpoints: the ICMP message. A private copy. */
  readonly data: Uint8Array;
  readonly srcAddress: IPv4Address;
  readonly dstAddress: IPv4Address;
  readonly ifindex: number;
  readonly ttl: number;
  readonly tos: number;
}

/**
 * Sends an ICMP message the endpoint built (raw) or completed (ping) to
 * `dst`, with the rules raw_sendmsg and ping_v4_sendmsg share: route,
 * broadcast permission (EACCES), size (EMSGSIZE), DF per IP_MTU_DISCOVER,
 * a pending error reported once, the ICMP out counters, and the local copy
 * of multicast and broadcast. `fill` writes the message into the buffer.
 * @internal
 */
export function icmpEndpointOutput(
  ctx: StackContext,
  ip: IpStack,
  ep: QueuedEndpoint<IcmpReceived>,
  source: IPv4Address,
  dst: IPv4Address,
  length: number,
  fill: (b: Uint8Array, o: number) => void,
): 'ok' | ErrnoCode {
  const c = ctx.counters;
  const d = prepareDatagram4(ip, c, ep, source, dst, length, IPPROTO_ICMP);
  if (typeof d === 'string') return d;
  const pkt = PacketBuffer.alloc(length);
  fill(pkt.buf, pkt.start);
  const type = length > 0 ? pkt.buf[pkt.start]! : -1;
  const result = ip.send(d.send, pkt);
  if (result !== 'ok') return result;
  // Linux counts ICMP output by type for every sender, sockets included (icmp_out_count).
  c.IcmpOutMsgs++;
  if (type === 8) c.IcmpOutEchos++;
  else if (type === 0) c.IcmpOutEchoReps++;
  else if (type === 3) c.IcmpOutDestUnreachs++;
  else if (type === 11) c.IcmpOutTimeExcds++;
  else if (type === 12) c.IcmpOutParmProbs++;
  if (d.loopCopy) loopBackCopy(ip, d.route.ifindex, dst, ep.options.mcLoop, pkt.view());
  return 'ok';
}

/**
 * A raw ICMP endpoint (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)): reads a
 * copy of every ICMP datagram the stack receives, IPv4 header included;
 * sends ICMP messages exactly as given (type, code, checksum: the
 * application's, as on Linux), the stack adding the IPv4 header.
 */
export class RawIcmpEndpoint extends QueuedEndpoint<IcmpReceived> {
  /** Only datagrams sent to this address are read (0: any). */
  localAddress: IPv4Address = 0;
  /** Source for output (0: the route's). */
  sourceAddress: IPv4Address = 0;
  /** Only datagrams from this address are read once connected. */
  remoteAddress: IPv4Address = 0;
  connected = false;
  /** ICMP_FILTER: bit t set drops messages of type t (t < 32). */
  icmpFilter = 0;

  /** @internal Use {@link RawIcmpEndpoints.open}. */
  constructor(private readonly owner: RawIcmpEndpoints) {
    super();
  }

  /** bind(): one of our addresses, a group or a broadcast address (raw_bind), else EADDRNOTAVAIL. */
  bind(address: IpAddress): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    if (typeof address !== 'number') return 'EAFNOSUPPORT';
    if (!bindableIpv4(this.owner.ip, address, true)) return 'EADDRNOTAVAIL';
    this.localAddress = address;
    this.sourceAddress = isIPv4Multicast(address) || isBroadcastDestination(this.owner.ip, address) ? 0 : address;
    return 'ok';
  }

  /** connect(): the default destination, and only its datagrams are read. */
  connect(address: IpAddress): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    if (typeof address !== 'number') return 'EAFNOSUPPORT';
    const route = routeDatagram(this.owner.ip, this.options, this.sourceAddress, address);
    if (typeof route === 'string') return route;
    if (!isIPv4Multicast(address) && isBroadcastDestination(this.owner.ip, address) && !this.options.broadcast) return 'EACCES';
    if (this.sourceAddress === 0) this.sourceAddress = route.src;
    if (this.localAddress === 0) this.localAddress = route.src;
    this.remoteAddress = address;
    this.connected = true;
    return 'ok';
  }

  /** connect(AF_UNSPEC). */
  disconnect(): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    this.connected = false;
    this.remoteAddress = 0;
    return 'ok';
  }

  /** Sends `message` (an ICMP header and body) to `to` or the connected peer. */
  send(message: Uint8Array, to?: IpAddress): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    if (message.length > 0xffff) return 'EMSGSIZE';
    let dst: IpAddress;
    if (to !== undefined) dst = to;
    else if (this.connected) dst = this.remoteAddress;
    else return 'EDESTADDRREQ';
    if (typeof dst !== 'number') return 'EAFNOSUPPORT';
    const o = this.owner;
    return icmpEndpointOutput(o.ctx, o.ip, this, this.sourceAddress, dst, message.length, (b, off) => b.set(message, off));
  }

  /** setsockopt() (ICMP_FILTER has its own field). */
  setOption<K extends DatagramOptionName>(name: K, value: DatagramOptionValues[K]): 'ok' | ErrnoCode {
    if (this.closed) return 'EBADF';
    return setDatagramOption(this.owner.ip, this.options, name, value);
  }

  /** Stops reading. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.release();
    this.owner.forget(this);
  }

  /** raw_v4_match + the ICMP filter: does this endpoint read `info`? */
  accepts(info: InboundIp, type: number): boolean {
    if (this.connected && this.remoteAddress !== info.src) return false;
    if (this.localAddress !== 0 && this.localAddress !== info.dst) return false;
    const dev = this.options.bindToDevice;
    if (dev !== 0 && dev !== info.ifindex) return false;
    return !(type < 32 && ((this.icmpFilter >>> type) & 1) === 1);
  }
}

/**
 * The raw ICMP endpoints of one stack, fed by the ICMP layer's observer hook
 * (every valid inbound ICMP message, before the layer acts on it — as
 * Linux's raw_local_deliver runs before icmp_rcv). Unlike Linux, messages
 * with a bad ICMP checksum are not shown: the hook sees only valid ones.
 */
export class RawIcmpEndpoints {
  private readonly open_ = new Set<RawIcmpEndpoint>();
  private readonly unobserve: () => void;

  constructor(
    readonly ctx: StackContext,
    readonly ip: IpStack,
    icmp: Icmpv4Layer,
  ) {
    this.unobserve = icmp.observe((info, m) => this.input(info, m));
  }

  /** A new raw ICMP endpoint. */
  open(): RawIcmpEndpoint {
    const ep = new RawIcmpEndpoint(this);
    this.open_.add(ep);
    return ep;
  }

  /** Every open endpoint. */
  endpoints(): readonly RawIcmpEndpoint[] {
    return [...this.open_];
  }

  /** Closes every endpoint and detaches from the ICMP layer. */
  close(): void {
    for (const ep of [...this.open_]) ep.close();
    this.unobserve();
  }

  /** @internal */
  forget(ep: RawIcmpEndpoint): void {
    this.open_.delete(ep);
  }

  private input(info: InboundIp, m: Icmpv4Message): void {
    if (this.open_.size === 0 || info.family !== 4) return;
    for (const ep of this.open_) {
      if (!ep.accepts(info, m.type)) continue;
      ep.enqueue({
        data: info.packet.slice(),
        srcAddress: info.src as IPv4Address,
        dstAddress: info.dst as IPv4Address,
        ifindex: info.ifindex,
        ttl: info.ttl,
        tos: info.tos,
      });
    }
  }
}
