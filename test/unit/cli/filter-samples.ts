/**
 * Packets for the filter tests: a raw-IP capture (LINKTYPE 101) and an
 * Ethernet one (LINKTYPE 1), each packet named so expectations read as sets
 * of names. The expected sets in filter.test.ts were checked against
 * tcpdump 4.99 on pcaps of these packets (the cross-check test there
 * repeats that when tcpdump is installed).
 */
import { parseIPv4 } from '../../../src/core/address.js';
import { fromHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Echo } from '../../../src/icmp/icmpv4-header.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN } from '../../../src/tcp/header.js';
import { buildUdp } from '../../../src/udp/header.js';
import { A, arpFrame, B, BROADCAST, ether, icmp6, ipv4, MAC_A, MAC_B, PING_DATA, SYN_OPTIONS, tcp4, tcp6, udp4 } from './samples.js';

export const C = parseIPv4('192.0.2.77')!;
export const D = parseIPv4('198.51.100.7')!;

/** Raw-IP packets, by name. */
export function rawPackets(): [string, Uint8Array][] {
  return [
    ['ping', ipv4(1, buildIcmpv4Echo({ identifier: 1, sequence: 1, data: PING_DATA }))],
    ['pong', ipv4(1, buildIcmpv4Echo({ reply: true, identifier: 1, sequence: 1, data: PING_DATA }), { src: B, dst: A })],
    ['syn', tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: SYN, window: 64240, options: SYN_OPTIONS })],
    ['synack', tcp4({ srcPort: 80, dstPort: 40000, seq: 5000, ack: 1001, flags: SYN | ACK, window: 65160, options: SYN_OPTIONS }, { src: B, dst: A })],
    ['ack', tcp4({ srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: ACK, window: 502 })],
    ['data', tcp4({ srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: PSH | ACK, window: 502, payload: new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n') })],
    ['fin', tcp4({ srcPort: 80, dstPort: 40000, seq: 5001, ack: 1019, flags: FIN | ACK, window: 509 }, { src: B, dst: A })],
    ['rst', tcp4({ srcPort: 40000, dstPort: 80, seq: 1019, flags: RST, window: 0 })],
    ['dns-query', udp4({ srcPort: 5353, dstPort: 53, payload: new Uint8Array(30) })],
    ['dns-reply', udp4({ srcPort: 53, dstPort: 5353, payload: new Uint8Array(300) }, { src: B, dst: A })],
    ['udp-to-c', udp4({ srcPort: 40001, dstPort: 7777, payload: fromHex('01020304') }, { dst: C })],
    ['ecn-synack', tcp4({ srcPort: 443, dstPort: 40002, seq: 9, ack: 10, flags: SYN | ACK | ECE | CWR, window: 1000 }, { src: D, dst: A })],
    ['ping6', icmp6({ kind: 'echo-request', identifier: 7, sequence: 1, data: PING_DATA })],
    ['tcp6-syn', tcp6({ srcPort: 40000, dstPort: 22, seq: 1, flags: SYN, window: 64800 })],
    ['udp-frag2', ipv4(17, new Uint8Array(64), { fragmentOffset: 1480, id: 99, src: C, dst: B })],
    ['short-tcp', buildIpv4({ src: A, dst: B, protocol: 6 }, fromHex('9c40005000000001'))],
  ];
}

/** Ethernet packets, by name. */
export function ethernetPackets(): [string, Uint8Array][] {
  return [
    ['arp-who-has', arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { dst: BROADCAST })],
    ['arp-reply', arpFrame({ opcode: 2, senderMac: MAC_B, senderIp: B, targetMac: MAC_A, targetIp: A }, { src: MAC_B, dst: MAC_A })],
    ['eth-syn', ether(0x0800, tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: SYN, window: 64240 }))],
    ['eth-udp-back', ether(0x0800, ipv4(17, buildUdp({ srcPort: 53, dstPort: 5353, payload: new Uint8Array(8) }, B, A), { src: B, dst: A }), { src: MAC_B, dst: MAC_A })],
  ];
}
