import { isIPv4Multicast, type IPv4Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { EthernetMedium } from '../link/ethernet-medium.js';
import type { Link } from '../link/link.js';
import type { NeighborConfig } from '../link/neighbor-cache.js';
import { NetInterface } from './interface.js';
import { ipv4Input } from './ipv4-input.js';
import { ipv4Output } from './ipv4-output.js';
import { ReassemblyBuffer, type ReassemblyTimeout } from './reassembly.js';
import { Ipv4RouteTable } from './route-table.js';
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
  /** Protocol number → handler (arrays indexed by number: no hashing on the hot path). */
  readonly handlers: (ProtocolHandler | undefined)[] = new Array<ProtocolHandler | undefined>(256);
  private readonly errorHandlers: (IcmpErrorHandler | undefined)[] = new Array<IcmpErrorHandler | undefined>(256);
  private icmpErrorSender: IcmpErrorSender | null = null;
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
    if (first === null || t.family !== 4) return;
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

  /** Called by the ICMP layer with an error about a datagram we sent. */
  deliverIcmpError(report: IcmpErrorReport): void {
    this.errorHandlers[report.protocol & 0xff]?.(report);
  }

  sendIcmpError(original: InboundIp, error: LocalIcmpError, param = 0): void {
    this.icmpErrorSender?.(original, error, param);
  }

  isLocalAddress(addr: IpAddress): boolean {
    if (typeof addr !== 'number') return false; // IPv6 arrives with its own issue
    for (const iface of this.interfaces) if (iface.hasIpv4(addr)) return true;
    return false;
  }

  /** The interface owning a local IPv4 address. */
  interfaceOfIpv4(addr: IPv4Address): NetInterface | undefined {
    for (const iface of this.interfaces) if (iface.hasIpv4(addr)) return iface;
    return undefined;
  }

  route(dst: IpAddress, src?: IpAddress): RouteResult | null {
    if (typeof dst !== 'number' || (src !== undefined && typeof src !== 'number')) return null;
    // A local destination is reached through the stack itself (Linux's `local` table).
    const own = this.interfaceOfIpv4(dst);
    if (own) return { family: 4, src: src ?? dst, dst, nextHop: dst, ifindex: own.index, mtu: 65535 };
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
    return { family: 4, src: chosenSrc, dst, nextHop, ifindex: iface.index, mtu: iface.mtu };
  }

  send(opts: IpSendOptions, pkt: PacketBuffer): IpSendResult {
    if (typeof opts.dst === 'number') return ipv4Output(this, opts, pkt);
    return 'EAFNOSUPPORT';
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
    this.reassembly.clear();
    for (const iface of this.interfaces) {
      iface.up = false;
      iface.medium?.close();
      iface.link.setReceiver(null);
      iface.link.close();
    }
  }
}
