/**
 * Sample frames for the decoder and `tsip dump` tests, built with the
 * stack's codecs. The expected tcpdump lines beside them in the tests were
 * checked once against tcpdump 4.99.3 (`TZ=UTC tcpdump -r F -nn -S [-e]`)
 * on a pcap of these frames; where tsip deliberately differs the test says so.
 */
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { fromHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Echo, buildIcmpv4Error } from '../../../src/icmp/icmpv4-header.js';
import { buildIcmpv6, type Icmpv6Spec } from '../../../src/icmp/icmpv6-header.js';
import { buildIpv4, type Ipv4Spec } from '../../../src/ip/ipv4-header.js';
import { buildIpv6, type Ipv6Spec } from '../../../src/ip/ipv6-header.js';
import { buildArp, type ArpSpec } from '../../../src/link/arp.js';
import { buildEthernet, type EthernetSpec } from '../../../src/link/ethernet.js';
import { buildTcp, type TcpSpec } from '../../../src/tcp/header.js';
import { encodeTcpOptionList } from '../../../src/tcp/options.js';
import { buildUdp, type UdpSpec } from '../../../src/udp/header.js';

export const A = parseIPv4('192.0.2.1')!;
export const B = parseIPv4('192.0.2.2')!;
export const A6 = parseIPv6('2001:db8::1')!;
export const B6 = parseIPv6('2001:db8::2')!;
export const MAC_A = fromHex('02 00 00 00 00 01');
export const MAC_B = fromHex('02 00 00 00 00 02');
export const BROADCAST = fromHex('ff ff ff ff ff ff');
export const ZERO_MAC = new Uint8Array(6);

/** Linux's SYN options: mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7 (20 bytes). */
export const SYN_OPTIONS = encodeTcpOptionList([
  { kind: 'mss', value: 1460 },
  { kind: 'sackOK' },
  { kind: 'ts', val: 1, ecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
]);

/** 56 bytes 0..55, as ping's payload. */
export const PING_DATA = Uint8Array.from({ length: 56 }, (_, i) => i);

/** An IPv4 datagram A → B (unless `ip` says otherwise) carrying `payload`. */
export function ipv4(protocol: number, payload: Uint8Array, ip: Partial<Ipv4Spec> = {}): Uint8Array {
  return buildIpv4({ src: A, dst: B, protocol, ...ip }, payload);
}

/** A TCP segment in IPv4, checksummed for the datagram's addresses. */
export function tcp4(spec: TcpSpec, ip: Partial<Ipv4Spec> = {}): Uint8Array {
  return ipv4(6, buildTcp(spec, ip.src ?? A, ip.dst ?? B), ip);
}

/** A UDP datagram in IPv4. */
export function udp4(spec: UdpSpec, ip: Partial<Ipv4Spec> = {}): Uint8Array {
  return ipv4(17, buildUdp(spec, ip.src ?? A, ip.dst ?? B), ip);
}

/** An IPv6 packet A6 → B6 (unless `ip` says otherwise). */
export function ipv6(protocol: number, payload: Uint8Array, ip: Partial<Ipv6Spec> = {}): Uint8Array {
  return buildIpv6({ src: A6, dst: B6, protocol, ...ip }, payload);
}

/** An ICMPv6 message in IPv6, checksummed for the packet's addresses. */
export function icmp6(spec: Icmpv6Spec, ip: Partial<Ipv6Spec> = {}): Uint8Array {
  return ipv6(58, buildIcmpv6(spec, ip.src ?? A6, ip.dst ?? B6), ip);
}

/** A UDP datagram in IPv6. */
export function udp6(spec: UdpSpec, ip: Partial<Ipv6Spec> = {}): Uint8Array {
  return ipv6(17, buildUdp(spec, ip.src ?? A6, ip.dst ?? B6), ip);
}

/** A TCP segment in IPv6. */
export function tcp6(spec: TcpSpec, ip: Partial<Ipv6Spec> = {}): Uint8Array {
  return ipv6(6, buildTcp(spec, ip.src ?? A6, ip.dst ?? B6), ip);
}

/** An Ethernet frame MAC_A → MAC_B (unless `eth` says otherwise). */
export function ether(ethertype: number, payload: Uint8Array, eth: Partial<EthernetSpec> = {}): Uint8Array {
  return buildEthernet({ src: MAC_A, dst: MAC_B, ethertype, ...eth }, payload);
}

/** An ARP packet in an Ethernet frame. */
export function arpFrame(spec: ArpSpec, eth: Partial<EthernetSpec> = {}): Uint8Array {
  return ether(0x0806, buildArp(spec), eth);
}

/** The ping request A → B: id 1, seq 1, 56 bytes of data. */
export function pingRequest(): Uint8Array {
  return ipv4(1, buildIcmpv4Echo({ identifier: 1, sequence: 1, data: PING_DATA }));
}

/** A UDP datagram A:40000 → B:7777 with 12 bytes, and B's port unreachable about it. */
export function udpAndUnreachable(): { udp: Uint8Array; unreachable: Uint8Array } {
  const udp = udp4({ srcPort: 40000, dstPort: 7777, payload: new TextEncoder().encode('hello world!') });
  const unreachable = ipv4(1, buildIcmpv4Error({ type: 3, code: 3, original: udp }), { src: B, dst: A });
  return { udp, unreachable };
}

/** A few valid frames of each kind (raw IP unless `ethernet`), for property tests to mutate. */
export function templates(): { frame: Uint8Array; linkType: number }[] {
  const raw = (frame: Uint8Array): { frame: Uint8Array; linkType: number } => ({ frame, linkType: 101 });
  const eth = (frame: Uint8Array): { frame: Uint8Array; linkType: number } => ({ frame, linkType: 1 });
  const { udp, unreachable } = udpAndUnreachable();
  const nsTarget = B6;
  return [
    raw(pingRequest()),
    raw(tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64240, options: SYN_OPTIONS })),
    raw(tcp4({ srcPort: 40000, dstPort: 80, seq: 1, ack: 2, flags: 0x18, window: 502, payload: fromHex('68656c6c6f') })),
    raw(udp),
    raw(unreachable),
    raw(ipv4(17, buildUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(40) }, A, B).subarray(0, 24), { mf: true, id: 7 })),
    raw(ipv4(17, new Uint8Array(24), { fragmentOffset: 24, id: 7, options: fromHex('94040000') })),
    raw(icmp6({ kind: 'echo-request', identifier: 1, sequence: 1, data: PING_DATA })),
    raw(
      icmp6(
        { kind: 'neighbor-solicitation', target: nsTarget, options: [{ kind: 'source-lla', address: MAC_A }] },
        { dst: parseIPv6('ff02::1:ff00:2')!, hopLimit: 255 },
      ),
    ),
    raw(
      icmp6(
        {
          kind: 'mld-v2-report',
          records: [{ recordType: 4, multicastAddress: parseIPv6('ff02::1:ff00:2')!, sources: [], auxData: new Uint8Array(0) }],
        },
        {
          src: parseIPv6('::')!,
          dst: parseIPv6('ff02::16')!,
          hopLimit: 1,
          extensions: [{ kind: 'hbh', options: [{ type: 5, data: fromHex('0000') }] }],
        },
      ),
    ),
    raw(
      ipv6(17, buildUdp({ srcPort: 40000, dstPort: 7777, payload: new Uint8Array(100) }, A6, B6).subarray(0, 48), {
        extensions: [{ kind: 'fragment', offset: 0, more: true, identification: 0x42 }],
      }),
    ),
    raw(tcp6({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64800, options: SYN_OPTIONS })),
    eth(arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { dst: BROADCAST })),
    eth(ether(0x0800, pingRequest(), { vlans: [{ vid: 10 }] })),
    eth(ether(0x86dd, udp6({ srcPort: 5, dstPort: 6, payload: new Uint8Array(3) }), { pad: true })),
  ];
}
