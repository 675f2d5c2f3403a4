import { isIPv4Multicast, type IPv4Address, type IPv6Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { ICMPV6_PACKET_TOO_BIG, ICMPV6_TIME_EXCEEDED, ICMPV6_TIME_REASSEMBLY, type Icmpv6Message } from '../icmp/icmpv6-header.js';
import { EthernetMedium } from '../link/ethernet-medium.js';
import type { Link } from '../link/link.js';
import type { NeighborConfig } from '../link/neighbor-cache.js';
import { addIpv6Address, closeIpv6, enableIpv6, removeIpv6Address, type Ipv6InterfaceOptions } from './addrconf.js';
import { NetInterface, type Ipv6Assignment } from './interface.js';
import { ipv4Input } from './ipv4-input.js';
import { ipv4Output } from './ipv4-output.js';
import { isMulticast6 } from './ipv6-address.js';
import { ipv6ControlInput } from './ipv6-control.js';
import { icmpv6TypeCodeFor } from './ipv6-error-codes.js';
import { parseIpv6 } from './ipv6-header.js';
import { ipv6Input } from './ipv6-input.js';
import type { Ipv6Interface } from './ipv6-interface.js';
import { autoFlowLabel, ipv6Output, type RouteError } from './ipv6-output.js';
import { routeIpv6 } from './ipv6-route.js';
import { PmtuCache } from './pmtu-cache.js';
import { ReassemblyBuffer, type ReassemblyTimeout } from './reassembly.js';
import { Ipv4RouteCache, type Route4Entry } from './route-cache4.js';
import { Ipv4RouteTable } from './route-table.js';
import { Ipv6RouteTable } from './route-table6.js';
import { parseIpv4 } from './ipv4-header.js';
import type {
  IcmpErrorHandler,
  IcmpErrorReport,
  IcmpErrorSender,
  InboundIp,
  IpAddress,
  IpLayer,
  IpSendOptions,
  IpSendResult,
  LocalIcmpError,
  ProtocolHandler,
  RouteResult,
} from './types.js';

/**
 * Sends an ICMPv6 error about a received datagram (installed by the ICMPv6
 * layer, which applies RFC 4443 §2.4 (e) and rate limiting). With
 * `evenIfMulticast` the error may answer a multicast destination — the
 * exceptions of RFC 4443 §2.4 (e.3): Packet Too Big, and Parameter Problem
 * code 2 for an option whose action bits are 10.
 */
export type Icmpv6ErrorSender = (original: InboundIp, type: number, code: number, param: number, evenIfMulticast: boolean) => void;

/** A route cache entry for `dst` through `iface`. */
function entry4(dst: IPv4Address, srcKey: number, iface: NetInterface, src: IPv4Address, nextHop: IPv4Address, local: boolean): Route4Entry {
  const broadcast = dst === 0xffffffff || iface.isIpv4Broadcast(dst);
  return { dst, srcKey, gen: 0, iface, src, nextHop, local, broadcast, result: null };
}

/** Options for {@link IpStack.addInterface}. */
export interface InterfaceOptions {
  /** Interface name (default: the link's name). */
  name?: string;
  /** IP MTU (default and maximum: the link's MTU). */
  mtu?: number;
  /** ARP timing on Ethernet links. */
  neighbor?: NeighborConfig;
}

/**
 * The IP layer of one stack: its interfaces, routes, and the protocol tables
 * the transports register in. Implements the {@link IpLayer} contract.
 */
export class IpStack implements IpLayer {
  readonly interfaces: NetInterface[] = [];
  readonly routes4 = new Ipv4RouteTable();
  readonly routes6 = new Ipv6RouteTable();
  /** Resolved IPv4 routes (see {@link routeEntry4}). */
  private readonly routeCache4 = new Ipv4RouteCache();
  /** Path MTUs learned from ICMP for both families (RFC 1191, RFC 8201). */
  readonly pmtu = new PmtuCache();
  /** Protocol number → handler (arrays indexed by number: no hashing on the hot path). */
  readonly handlers: (ProtocolHandler | undefined)[] = new Array<ProtocolHandler | undefined>(256);
  private readonly errorHandlers: (IcmpErrorHandler | undefined)[] = new Array<IcmpErrorHandler | undefined>(256);
  private icmpErrorSender: IcmpErrorSender | null = null;
  private icmpv6ErrorSender: Icmpv6ErrorSender | null = null;
  /** Seed of automatic flow labels; drawn when IPv6 is first enabled, so IPv4-only stacks use no randomness for it. */
  private flowLabelSeed = -1;
  private readonly closeHooks: (() => void)[] = [];
  /**
   * IPv4 identification counters, hashed by destination and protocol and
   * started at random values: IDs are unpredictable across flows yet unique
   * within one flow for far longer than a datagram lives (RFC 6864 §4.1,
   * RFC 7739 §5.1; Linux's ip_idents does the same).
   */
  readonly ipv4Ids = new Uint16Array(256);
  /** Fragments waiting for the rest of their datagram (bounded in memory, timed out per RFC 791 / 8200). */
  readonly reassembly: ReassemblyBuffer;

  constructor(readonly ctx: StackContext) {
    for (let i = 0; i < this.ipv4Ids.length; i++) this.ipv4Ids[i] = ctx.random.u32() & 0xffff;
    this.reassembly = new ReassemblyBuffer({
      timers: ctx.timers,
      random: ctx.random,
      onTimeout: (t) => this.reassemblyTimedOut(t),
    });
  }

  /**
   * A datagram's fragments did not all arrive in time: count it and, if its
   * first fragment came, send ICMP time exceeded, code 1 (RFC 792, RFC 1122 §3.3.2).
   */
  private reassemblyTimedOut(t: ReassemblyTimeout): void {
    const c = this.ctx.counters;
    if (t.family === 4) {
      c.IpReasmTimeout++;
      c.IpReasmFails++;
    } else {
      c.Ip6ReasmTimeout++;
      c.Ip6ReasmFails++;
    }
    const first = t.firstFragment;
    if (first === null) return;
    if (t.family === 6) {
      this.reassemblyTimedOut6(first);
      return;
    }
    const h = parseIpv4(first, false);
    if (!h.ok) return;
    const iface = this.interfaceOfIpv4(h.value.dst);
    if (!iface) return;
    this.sendIcmpError(
      {
        family: 4,
        src: h.value.src,
        dst: h.value.dst,
        protocol: h.value.protocol,
        ttl: h.value.ttl,
        tos: h.value.tos,
        ifindex: iface.index,
        dstKind: 'unicast',
        packet: first,
        reassembled: false,
      },
      'reassembly-timeout',
    );
  }

  /** RFC 8200 §4.5: Time Exceeded code 1 to the source of the first fragment. */
  private reassemblyTimedOut6(first: Uint8Array): void {
    const h = parseIpv6(first);
    if (!h.ok) return;
    const iface = this.interfaceOfIpv6(h.value.dst) ?? this.interfaces.find((i) => i.v6 !== null);
    if (!iface) return;
    this.sendIcmpv6Error(
      {
        family: 6,
        src: h.value.src,
        dst: h.value.dst,
        protocol: h.value.nextHeader,
        ttl: h.value.hopLimit,
        tos: h.value.trafficClass,
        ifindex: iface.index,
        dstKind: isMulticast6(h.value.dst) ? 'multicast' : 'unicast',
        packet: first,
        reassembled: false,
      },
      ICMPV6_TIME_EXCEEDED,
      ICMPV6_TIME_REASSEMBLY,
      0,
    );
  }

  /** Attaches a link as a new interface. Inbound frames start flowing at once. */
  addInterface(link: Link, options: InterfaceOptions = {}): NetInterface {
    const mtu = Math.min(options.mtu ?? link.mtu, link.mtu);
    const iface = new NetInterface(this.interfaces.length + 1, options.name ?? link.name, link, mtu);
    this.interfaces.push(iface);
    if (link.linkType === 'ethernet') {
      iface.medium = new EthernetMedium(
        this.ctx,
        link,
        {
          ipv4: (packet) => this.receiveIp(iface, packet),
          ipv6: (packet) => this.receiveIp(iface, packet),
          ownsIpv4: (addr) => iface.hasIpv4(addr),
          ipv4SourceFor: (target) => iface.ipv4SourceFor(target),
        },
        options.neighbor,
      );
    }
    link.setReceiver((frame) => this.receiveFrame(iface, frame));
    return iface;
  }

  /** The interface with `ifindex`, if any. */
  interfaceByIndex(ifindex: number): NetInterface | undefined {
    return this.interfaces[ifindex - 1];
  }

  /** Adds an IPv4 address to an interface, with the on-link route for its subnet. */
  addIpv4Address(iface: NetInterface, address: IPv4Address, prefix: number): void {
    iface.addIpv4(address, prefix);
    if (prefix < 32) this.routes4.add({ network: address, prefix, gateway: null, ifindex: iface.index, metric: 0, src: address });
    iface.medium?.announce(address);
  }

  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    this.handlers[protocol & 0xff] = handler;
  }

  registerErrorHandler(protocol: number, handler: IcmpErrorHandler): void {
    this.errorHandlers[protocol & 0xff] = handler;
  }

  /** Installed by the ICMP layer: how IP-level errors get sent. */
  setIcmpErrorSender(sender: IcmpErrorSender): void {
    this.icmpErrorSender = sender;
  }

  /** Installed by the ICMPv6 layer: how IPv6-level errors get sent. */
  setIcmpv6ErrorSender(sender: Icmpv6ErrorSender): void {
    this.icmpv6ErrorSender = sender;
  }

  /**
   * Called by the ICMP layers with an error about a datagram we sent. A
   * "fragmentation needed" / "packet too big" first lowers the path MTU
   * toward the quoted destination (RFC 1191 §4, RFC 8201 §4) — only for
   * datagrams that really came from us — and then goes to the transport,
   * which reads the new value through {@link route} (TCP lowers its MSS,
   * UDP's IP_MTU follows).
   */
  deliverIcmpError(report: IcmpErrorReport): void {
    if (report.kind === 'frag-needed' && this.isLocalAddress(report.src)) this.updatePathMtu(report.dst, report.mtu);
    this.errorHandlers[report.protocol & 0xff]?.(report);
  }

  /**
   * Records a reported MTU toward `dst` (clamped to 552 / 1280, never
   * raising the estimate). Returns the new path MTU, or 0 if unchanged.
   */
  updatePathMtu(dst: IpAddress, reportedMtu: number): number {
    const r = this.route(dst);
    if (r === null) return 0;
    return this.pmtu.update(dst, reportedMtu, r.mtu, this.ctx.clock.now());
  }

  /** The path MTU toward `dst` (IP_MTU / IPV6_MTU): the route's MTU with what ICMP taught us; 0 when unreachable. */
  pathMtu(dst: IpAddress): number {
    return this.route(dst)?.mtu ?? 0;
  }

  sendIcmpError(original: InboundIp, error: LocalIcmpError, param = 0): void {
    if (original.family === 4) {
      this.icmpErrorSender?.(original, error, param);
      return;
    }
    const { type, code } = icmpv6TypeCodeFor(error);
    this.icmpv6ErrorSender?.(original, type, code, param, type === ICMPV6_PACKET_TOO_BIG);
  }

  /** Asks the ICMPv6 layer for an error of a given type and code about a received datagram. */
  sendIcmpv6Error(original: InboundIp, type: number, code: number, param: number, evenIfMulticast = false): void {
    this.icmpv6ErrorSender?.(original, type, code, param, evenIfMulticast);
  }

  isLocalAddress(addr: IpAddress): boolean {
    if (typeof addr !== 'number') return this.interfaceOfIpv6(addr) !== undefined;
    for (const iface of this.interfaces) if (iface.hasIpv4(addr)) return true;
    return false;
  }

  /** The interface owning a usable local IPv6 address (not tentative, not duplicate). */
  interfaceOfIpv6(addr: IPv6Address): NetInterface | undefined {
    if (addr.length !== 16) return undefined;
    for (const iface of this.interfaces) if (iface.v6 !== null && iface.hasIpv6(addr)) return iface;
    return undefined;
  }

  /**
   * Starts IPv6 on an interface (idempotent): link-local address, DAD, MLD,
   * router solicitation. See {@link enableIpv6}.
   */
  enableIpv6(iface: NetInterface, options: Ipv6InterfaceOptions = {}): Ipv6Interface {
    if (this.flowLabelSeed < 0) this.flowLabelSeed = this.ctx.random.u32();
    return enableIpv6(this, iface, options);
  }

  /**
   * Adds an IPv6 address with its on-link route (starting IPv6 on the
   * interface if needed). The address is tentative until DAD completes
   * (RFC 4862 §5.4), at once on links without neighbour discovery.
   */
  addIpv6Address(iface: NetInterface, address: IPv6Address, prefix: number): Ipv6Assignment {
    if (iface.v6 === null) this.enableIpv6(iface);
    return addIpv6Address(this, iface, address, prefix, 'static');
  }

  /** Removes an IPv6 address from an interface; false if it was not there. */
  removeIpv6Address(iface: NetInterface, address: IPv6Address): boolean {
    return removeIpv6Address(this, iface, address);
  }

  /** Joins an IPv6 multicast group on an interface (reported by MLD, RFC 3810). */
  joinIpv6Group(ifindex: number, group: IPv6Address): boolean {
    const v6 = this.interfaceByIndex(ifindex)?.v6;
    if (!v6 || !isMulticast6(group)) return false;
    v6.mld.join(group);
    return true;
  }

  /** Leaves an IPv6 multicast group joined with {@link joinIpv6Group}. */
  leaveIpv6Group(ifindex: number, group: IPv6Address): boolean {
    const v6 = this.interfaceByIndex(ifindex)?.v6;
    if (!v6 || !isMulticast6(group)) return false;
    v6.mld.leave(group);
    return true;
  }

  /** Entry for ND and MLD messages, after the ICMPv6 layer checked them (ipv6-control.ts). */
  ipv6ControlInput(info: InboundIp, msg: Icmpv6Message): void {
    const iface = this.interfaceByIndex(info.ifindex);
    if (iface) ipv6ControlInput(this, iface, info, msg);
  }

  /** The flow label for a packet of ours with no label asked for (RFC 6437 §3). */
  flowLabelFor(src: IPv6Address, dst: IPv6Address, protocol: number, transport: Uint8Array): number {
    if (this.flowLabelSeed < 0) this.flowLabelSeed = this.ctx.random.u32();
    return autoFlowLabel(this.flowLabelSeed, src, dst, protocol, transport);
  }

  /** Runs `hook` when the IP layer closes (layers created after the stack use it to stop their timers). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /** The interface owning a local IPv4 address. */
  interfaceOfIpv4(addr: IPv4Address): NetInterface | undefined {
    for (const iface of this.interfaces) if (iface.hasIpv4(addr)) return iface;
    return undefined;
  }

  route(dst: IpAddress, src?: IpAddress): RouteResult | null {
    if (typeof dst !== 'number') {
      if (src !== undefined && typeof src === 'number') return null;
      const r = this.route6(dst, src);
      return typeof r === 'string' ? null : r;
    }
    if (src !== undefined && typeof src !== 'number') return null;
    const e = this.routeEntry4(dst, src);
    if (e === null) return null;
    const mtu = e.local ? 65535 : Math.min(e.iface.mtu, this.pmtu.get(dst, this.ctx.clock.now()));
    let r = e.result;
    if (r === null || r.mtu !== mtu) {
      r = { family: 4, src: e.src, dst, nextHop: e.nextHop, ifindex: e.iface.index, mtu };
      e.result = r;
    }
    return r;
  }

  /**
   * The IPv4 route to `dst` (from `src` when given), or null when there is
   * none or its interface is down. Answers come from a per-stack cache that
   * forgets everything when a route or an address changes; the `up` flag
   * is checked on every use.
   */
  routeEntry4(dst: IPv4Address, src?: IPv4Address): Route4Entry | null {
    const cache = this.routeCache4;
    let addressVersion = 0;
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) addressVersion += ifs[i]!.ipv4Version + 1;
    cache.sync(this.routes4.version, addressVersion);
    const srcKey = src === undefined ? -1 : src;
    const hit = cache.get(dst, srcKey);
    if (hit !== undefined && (hit.local || hit.iface.up)) return hit;
    // A local destination is reached through the stack itself (Linux's `local` table).
    const own = this.interfaceOfIpv4(dst);
    if (own) {
      const e = entry4(dst, srcKey, own, src ?? dst, dst, true);
      cache.put(e);
      return e;
    }
    const r = this.routes4.lookup(dst);
    let iface: NetInterface | undefined;
    let nextHop: IPv4Address = dst;
    let chosenSrc: IPv4Address | null | undefined = src;
    if (r) {
      iface = this.interfaceByIndex(r.ifindex);
      if (r.gateway !== null) nextHop = r.gateway;
      chosenSrc ??= r.src;
    } else if (isIPv4Multicast(dst) || dst === 0xffffffff) {
      // Multicast and limited broadcast with no route go out of the first interface.
      iface = this.interfaces.find((i) => i.up && i.ipv4.length > 0);
    }
    if (!iface || !iface.up) return null;
    chosenSrc ??= iface.ipv4SourceFor(nextHop);
    if (chosenSrc === null) return null;
    const e = entry4(dst, srcKey, iface, chosenSrc, nextHop, false);
    // Without a route the interface is "the first one up", which follows `up` flags the cache does not watch.
    if (r) cache.put(e);
    return e;
  }

  /** IPv6 route lookup with source selection and path MTU, or the errno why not (see {@link routeIpv6}). */
  route6(dst: IPv6Address, src?: IPv6Address, ifindex = 0): RouteResult | RouteError {
    return routeIpv6(this, dst, src, ifindex);
  }

  send(opts: IpSendOptions, pkt: PacketBuffer): IpSendResult {
    if (typeof opts.dst === 'number') return ipv4Output(this, opts, pkt);
    return ipv6Output(this, opts, pkt);
  }

  /** Entry point for every inbound frame of an interface. Never throws. */
  receiveFrame(iface: NetInterface, frame: Uint8Array): void {
    const c = this.ctx.counters;
    c.LinkInFrames++;
    c.LinkInOctets += frame.length;
    this.ctx.trace.linkRx(iface.name, frame);
    if (!iface.up) {
      c.LinkInDrops++;
      this.ctx.trace.dropped('link', 'interface-down', frame);
      return;
    }
    if (iface.medium !== null) iface.medium.input(frame);
    else this.receiveIp(iface, frame);
  }

  /** Dispatches one IP datagram by its version nibble. */
  receiveIp(iface: NetInterface, packet: Uint8Array): void {
    const version = packet.length > 0 ? packet[0]! >>> 4 : 0;
    if (version === 4) {
      ipv4Input(this, iface, packet);
    } else if (version === 6 && iface.v6 !== null) {
      ipv6Input(this, iface, packet);
    } else {
      // Linux counts a wrong version as a header error of the family it arrived as.
      this.ctx.counters.IpInReceives++;
      this.ctx.counters.IpInHdrErrors++;
      this.ctx.trace.dropped('ipv4', version === 6 ? 'ipv6-unsupported' : 'ipv4-bad-version', packet);
    }
  }

  /**
   * Sends an IPv4 datagram (the view of `pkt`) out of `iface` toward
   * `nextHop`: straight onto an IP link, or through Ethernet and ARP.
   */
  transmitIpv4(iface: NetInterface, pkt: PacketBuffer, nextHop: IPv4Address, broadcast: boolean): void {
    if (iface.medium !== null) iface.medium.outputIpv4(pkt, nextHop, broadcast);
    else this.transmit(iface, pkt.view());
  }

  /** Hands a finished frame to an interface's link. */
  transmit(iface: NetInterface, frame: Uint8Array): void {
    const c = this.ctx.counters;
    c.LinkOutFrames++;
    c.LinkOutOctets += frame.length;
    this.ctx.trace.linkTx(iface.name, frame);
    iface.link.send(frame);
  }

  /**
   * Loops a datagram addressed to ourselves back into input, asynchronously
   * (as Linux's loopback device does), so a sender is never re-entered.
   */
  loopback(iface: NetInterface, packet: Uint8Array): void {
    const clock = this.ctx.clock;
    clock.schedule(clock.now(), () => this.receiveIp(iface, packet));
  }

  /** Detaches every link and forgets every interface. */
  close(): void {
    for (const hook of this.closeHooks.splice(0)) hook();
    this.reassembly.clear();
    for (const iface of this.interfaces) {
      closeIpv6(this, iface);
      iface.up = false;
      iface.medium?.close();
      iface.link.setReceiver(null);
      iface.link.close();
    }
  }
}
