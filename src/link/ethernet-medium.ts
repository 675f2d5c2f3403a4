import type { IPv4Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import { ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, parseArp, writeArp } from './arp.js';
import {
  broadcastMac,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ipv4MulticastMac,
  isMulticastMac,
  macEquals,
  parseEthernet,
  writeEthernetHeader,
} from './ethernet.js';
import type { Link } from './link.js';
import { DEFAULT_NEIGHBOR_CONFIG, NeighborCache, type NeighborConfig } from './neighbor-cache.js';

/** What the Ethernet medium needs from the IP layer above it (passed in: the link layer imports nothing above). */
export interface EthernetUpcalls {
  /** An inbound IPv4 datagram. */
  ipv4(packet: Uint8Array): void;
  /** An inbound IPv6 datagram. */
  ipv6(packet: Uint8Array): void;
  /** True if `addr` is one of this interface's IPv4 addresses. */
  ownsIpv4(addr: IPv4Address): boolean;
  /** The interface address to use as the ARP sender when asking for `target`, or null. */
  ipv4SourceFor(target: IPv4Address): IPv4Address | null;
}

/**
 * Ethernet framing and ARP (RFC 826, RFC 1122 §2.3.2) for one interface on
 * an `ethernet` link (TAP): turns outbound IP datagrams into frames once the
 * next hop's MAC is known, and inbound frames into datagrams for the IP layer.
 */
export class EthernetMedium {
  readonly arp: NeighborCache<number>;
  readonly mac: Uint8Array;

  constructor(
    private readonly ctx: StackContext,
    private readonly link: Link,
    private readonly up: EthernetUpcalls,
    neighborConfig: NeighborConfig = DEFAULT_NEIGHBOR_CONFIG,
  ) {
    if (link.mac === undefined) throw new Error(`EthernetMedium: link ${link.name} has no MAC address`);
    this.mac = link.mac;
    this.arp = new NeighborCache<number>(
      ctx,
      {
        solicit: (target, unicastMac) => this.sendArpRequest(target, unicastMac),
        transmit: (pkt, mac) => this.sendFrame(pkt, mac, ETHERTYPE_IPV4),
        failed: (_target, dropped) => {
          ctx.counters.ArpResolveFailed++;
          ctx.counters.IpOutDiscards += dropped;
        },
      },
      neighborConfig,
    );
  }

  /** Handles one inbound frame. Never throws. */
  input(frame: Uint8Array): void {
    const ctx = this.ctx;
    const eth = parseEthernet(frame);
    if (!eth.ok) {
      ctx.counters.LinkInErrors++;
      ctx.trace.dropped('link', eth.reason, frame);
      return;
    }
    const f = eth.value;
    // Accept frames to us, to broadcast, or to a multicast group (the upper
    // layer filters groups); anything else is another host's (a TAP hears all).
    if (!macEquals(f.dst, this.mac) && !isMulticastMac(f.dst)) {
      ctx.counters.LinkInDrops++;
      ctx.trace.dropped('link', 'eth-other-host', frame);
      return;
    }
    if (f.vlans.length > 0 && (f.vlans.length > 1 || f.vlans[0]!.vid !== 0)) {
      ctx.counters.LinkInDrops++;
      ctx.trace.dropped('link', 'eth-vlan-not-configured', frame);
      return;
    }
    switch (f.ethertype) {
      case ETHERTYPE_IPV4:
        this.up.ipv4(f.payload);
        return;
      case ETHERTYPE_IPV6:
        this.up.ipv6(f.payload);
        return;
      case ETHERTYPE_ARP:
        this.arpInput(f.payload, frame);
        return;
      default:
        ctx.counters.LinkInDrops++;
        ctx.trace.dropped('link', 'eth-unknown-ethertype', frame);
    }
  }

  /**
   * Sends an IPv4 datagram (the view of `pkt`) toward `nextHop`. Broadcast
   * and multicast map to their MAC directly (RFC 1112 §6.4); unicast goes
   * through ARP.
   */
  outputIpv4(pkt: PacketBuffer, nextHop: IPv4Address, broadcast: boolean): void {
    if (broadcast || nextHop === 0xffffffff) {
      this.sendFrame(pkt, broadcastMac(), ETHERTYPE_IPV4);
    } else if (nextHop >>> 28 === 0xe) {
      this.sendFrame(pkt, ipv4MulticastMac(nextHop), ETHERTYPE_IPV4);
    } else if (!this.arp.output(nextHop, pkt)) {
      this.ctx.counters.ArpQueueDrops++;
    }
  }

  /** Sends an IPv6 datagram to a known MAC (neighbour discovery lives in the IPv6 layer). */
  outputIpv6(pkt: PacketBuffer, mac: Uint8Array): void {
    this.sendFrame(pkt, mac, ETHERTYPE_IPV6);
  }

  /** Announces an address of ours (a gratuitous ARP request, RFC 5227 §3), as when it is configured. */
  announce(addr: IPv4Address): void {
    this.sendArp(ARP_OP_REQUEST, broadcastMac(), addr, new Uint8Array(6), addr);
  }

  /** Drops the ARP cache and its timers. */
  close(): void {
    this.arp.clear();
  }

  private arpInput(payload: Uint8Array, frame: Uint8Array): void {
    const ctx = this.ctx;
    const r = parseArp(payload);
    if (!r.ok) {
      ctx.counters.LinkInErrors++;
      ctx.trace.dropped('arp', r.reason, frame);
      return;
    }
    const a = r.value;
    if (a.senderIp === 0 && a.opcode === ARP_OP_REQUEST) {
      // An RFC 5227 probe: answer only if it is for our address, never learn 0.0.0.0.
      if (this.up.ownsIpv4(a.targetIp)) this.sendArp(ARP_OP_REPLY, a.senderMac, a.targetIp, a.senderMac, 0);
      return;
    }
    const forUs = this.up.ownsIpv4(a.targetIp);
    // RFC 826 "merge": update an existing entry from any ARP; create one only if the packet is for us.
    if (a.opcode === ARP_OP_REPLY) {
      ctx.counters.ArpInReplies++;
      this.arp.update(a.senderIp, a.senderMac, forUs, false);
    } else if (a.opcode === ARP_OP_REQUEST) {
      ctx.counters.ArpInRequests++;
      this.arp.update(a.senderIp, a.senderMac, false, forUs);
      if (forUs) this.sendArp(ARP_OP_REPLY, a.senderMac, a.targetIp, a.senderMac, a.senderIp);
    } else {
      ctx.trace.dropped('arp', 'arp-unknown-opcode', frame);
    }
  }

  private sendArpRequest(target: IPv4Address, unicastMac: Uint8Array | null): void {
    const src = this.up.ipv4SourceFor(target);
    if (src === null) return;
    this.sendArp(ARP_OP_REQUEST, unicastMac ?? broadcastMac(), src, new Uint8Array(6), target);
  }

  private sendArp(opcode: number, dstMac: Uint8Array, senderIp: IPv4Address, targetMac: Uint8Array, targetIp: IPv4Address): void {
    const pkt = PacketBuffer.alloc(ARP_LEN, 32);
    writeArp(pkt.buf, pkt.start, { opcode, senderMac: this.mac, senderIp, targetMac, targetIp });
    if (opcode === ARP_OP_REQUEST) this.ctx.counters.ArpOutRequests++;
    else this.ctx.counters.ArpOutReplies++;
    this.sendFrame(pkt, dstMac, ETHERTYPE_ARP);
  }

  private sendFrame(pkt: PacketBuffer, dst: Uint8Array, ethertype: number): void {
    const frame = writeEthernetHeader(pkt, { dst, src: this.mac, ethertype, pad: true });
    const c = this.ctx.counters;
    c.LinkOutFrames++;
    c.LinkOutOctets += frame.length;
    this.ctx.trace.linkTx(this.link.name, frame);
    this.link.send(frame);
  }
}
