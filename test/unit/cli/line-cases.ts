/**
 * Frames and the line `tsip dump` prints for each (without the timestamp).
 *
 * Every frame was also written to a pcap and read with tcpdump 4.99.3
 * (`TZ=UTC tcpdump -r F -nn -S`, with `-e` for Ethernet): `line` is what
 * tcpdump printed, except where `tcpdump` records tcpdump's different line
 * and `why` says why tsip differs on purpose.
 */
import { parseIPv6 } from '../../../src/core/address.js';
import { fromHex } from '../../../src/core/bytes.js';
import { buildIcmpv4, buildIcmpv4Echo, buildIcmpv4Error } from '../../../src/icmp/icmpv4-header.js';
import { recordRouteOption, routerAlertOption } from '../../../src/ip/ipv4-options.js';
import { encodeTcpOptionList } from '../../../src/tcp/options.js';
import { buildUdp } from '../../../src/udp/header.js';
import {
  A, A6, arpFrame, B, B6, BROADCAST, ether, icmp6, ipv4, ipv6, MAC_A, MAC_B, PING_DATA, pingRequest, SYN_OPTIONS,
  tcp4, tcp6, udp4, udp6, udpAndUnreachable,
} from './samples.js';

export interface LineCase {
  readonly name: string;
  readonly frame: Uint8Array;
  /** pcap LINKTYPE: 101 raw IP, 1 Ethernet. */
  readonly linkType: number;
  readonly line: string;
  /** tcpdump's line when tsip prints something else on purpose. */
  readonly tcpdump?: string;
  readonly why?: string;
}

const ll = parseIPv6('fe80::1')!;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const { udp, unreachable } = udpAndUnreachable();
const syn81 = tcp4({ srcPort: 40000, dstPort: 81, seq: 1000, flags: 0x02, window: 64240 });
/** An ICMP error from B to A about `original`. */
const icmpError = (type: number, code: number, original: Uint8Array, extra: { mtu?: number; pointer?: number; gateway?: number } = {}): Uint8Array =>
  ipv4(1, buildIcmpv4Error({ type, code, original, ...extra }), { src: B, dst: A });
const bigUdp = buildUdp({ srcPort: 40000, dstPort: 7777, payload: new Uint8Array(100) }, A, B);
const bigUdp6 = buildUdp({ srcPort: 40000, dstPort: 7777, payload: new Uint8Array(100) }, A6, B6);
const udp6Small = udp6({ srcPort: 40000, dstPort: 7777, payload: text('hi') });
const tcp6Syn = tcp6({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64800 });

export const RAW_CASES: readonly LineCase[] = [
  { name: 'ICMP echo request', frame: pingRequest(), linkType: 101, line: 'IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64' },
  {
    name: 'ICMP echo reply',
    frame: ipv4(1, buildIcmpv4Echo({ reply: true, identifier: 1, sequence: 1, data: PING_DATA }), { src: B, dst: A }),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP echo reply, id 1, seq 1, length 64',
  },
  {
    name: 'TCP SYN with options',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64240, options: SYN_OPTIONS }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  },
  {
    name: 'TCP SYN-ACK',
    frame: tcp4({ srcPort: 80, dstPort: 40000, seq: 5000, ack: 1001, flags: 0x12, window: 65160, options: SYN_OPTIONS }, { src: B, dst: A }),
    linkType: 101,
    line: 'IP 192.0.2.2.80 > 192.0.2.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  },
  {
    name: 'TCP data with timestamps',
    frame: tcp4({
      srcPort: 40000, dstPort: 5555, seq: 1001, ack: 5001, flags: 0x18, window: 502,
      options: fromHex('0101080a0000000200000001'), payload: text('hello'),
    }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.5555: Flags [P.], seq 1001:1006, ack 5001, win 502, options [nop,nop,TS val 2 ecr 1], length 5',
  },
  {
    name: 'TCP sequence range wrapping past 2^32',
    frame: tcp4({ srcPort: 1, dstPort: 2, seq: 0xfffffffe, ack: 1, flags: 0x10, window: 1, payload: text('abcd') }),
    linkType: 101,
    line: 'IP 192.0.2.1.1 > 192.0.2.2.2: Flags [.], seq 4294967294:2, ack 1, win 1, length 4',
  },
  {
    name: 'TCP FIN-ACK',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1006, ack: 5001, flags: 0x11, window: 502 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [F.], seq 1006, ack 5001, win 502, length 0',
  },
  {
    name: 'TCP RST',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, flags: 0x04 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [R], seq 1007, win 0, length 0',
  },
  {
    name: 'TCP RST-ACK',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, ack: 5001, flags: 0x14 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [R.], seq 1007, ack 5001, win 0, length 0',
  },
  {
    name: 'TCP urgent data',
    frame: tcp4({ srcPort: 40000, dstPort: 5555, seq: 1007, ack: 5001, flags: 0x38, window: 100, urgent: 1, payload: text('x') }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.5555: Flags [P.U], seq 1007:1008, ack 5001, win 100, urg 1, length 1',
  },
  {
    name: 'TCP every flag, in tcpdump order (AE has no letter)',
    frame: tcp4({ srcPort: 1, dstPort: 2, seq: 10, ack: 20, flags: 0x1ff, window: 5 }),
    linkType: 101,
    line: 'IP 192.0.2.1.1 > 192.0.2.2.2: Flags [FSRP.UEW], seq 10, ack 20, win 5, urg 0, length 0',
  },
  {
    name: 'TCP no flags',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, flags: 0, window: 100 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [none], win 100, length 0',
  },
  {
    name: 'TCP SACK blocks',
    frame: tcp4({
      srcPort: 40000, dstPort: 80, ack: 5001, flags: 0x10, window: 100,
      options: encodeTcpOptionList([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1, 2], [3, 4]] }]),
    }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, options [nop,nop,sack 2 {1:2}{3:4}], length 0',
  },
  {
    name: 'TCP unknown option and EOL padding',
    frame: tcp4({ srcPort: 40000, dstPort: 80, ack: 5001, flags: 0x10, window: 100, options: fromHex('6304abcd020405b4') }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, options [unknown-99 0xabcd,mss 1460], length 0',
  },
  {
    name: 'TCP option list cut short',
    frame: tcp4({ srcPort: 40000, dstPort: 80, ack: 5001, flags: 0x10, window: 100, options: fromHex('02') }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, options [bad opt], length 0',
    tcpdump: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, options [[bad opt]',
    why: 'tcpdump stops printing the line at a bad option',
  },
  {
    name: 'UDP',
    frame: udp,
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 12',
  },
  {
    name: 'ICMP port unreachable quoting UDP',
    frame: unreachable,
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP 192.0.2.2 udp port 7777 unreachable, length 48',
  },
  {
    name: 'ICMP host unreachable',
    frame: icmpError(3, 1, syn81),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP host 192.0.2.2 unreachable, length 48',
  },
  {
    name: 'ICMP protocol unreachable',
    frame: icmpError(3, 2, syn81),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP 192.0.2.2 protocol 6 unreachable, length 48',
  },
  {
    name: 'ICMP TCP port unreachable',
    frame: icmpError(3, 3, syn81),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP 192.0.2.2 tcp port 81 unreachable, length 48',
  },
  {
    name: 'ICMP fragmentation needed with the next-hop MTU',
    frame: icmpError(3, 4, syn81, { mtu: 1400 }),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP 192.0.2.2 unreachable - need to frag (mtu 1400), length 48',
  },
  {
    name: 'ICMP administratively prohibited',
    frame: icmpError(3, 13, syn81),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP host 192.0.2.2 unreachable - admin prohibited filter, length 48',
  },
  {
    name: 'ICMP time exceeded in transit',
    frame: icmpError(11, 0, syn81.subarray(0, 28)),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP time exceeded in-transit, length 36',
  },
  {
    name: 'ICMP reassembly time exceeded',
    frame: icmpError(11, 1, syn81.subarray(0, 28)),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP ip reassembly time exceeded, length 36',
  },
  {
    name: 'ICMP parameter problem',
    frame: icmpError(12, 0, syn81.subarray(0, 28), { pointer: 20 }),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP parameter problem - octet 20, length 36',
  },
  {
    name: 'ICMP redirect',
    frame: icmpError(5, 1, syn81.subarray(0, 28), { gateway: 0xc0000203 }),
    linkType: 101,
    line: 'IP 192.0.2.2 > 192.0.2.1: ICMP redirect 192.0.2.2 to host 192.0.2.3, length 36',
  },
  {
    name: 'ICMP timestamp request',
    frame: ipv4(1, buildIcmpv4({ type: 13, code: 0, rest: 0x00010001, body: new Uint8Array(12) })),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: ICMP time stamp query id 1 seq 1, length 20',
  },
  {
    name: 'ICMP unknown type',
    frame: ipv4(1, buildIcmpv4({ type: 42, code: 0 })),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: ICMP type-#42, length 8',
  },
  {
    name: 'IPv4 first fragment (transport header decoded)',
    frame: ipv4(17, bigUdp.subarray(0, 48), { id: 0x42, mf: true }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 100',
  },
  {
    name: 'IPv4 later fragment',
    frame: ipv4(17, bigUdp.subarray(48), { id: 0x42, fragmentOffset: 48 }),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: frag (48|60) ip-proto-17',
    tcpdump: 'IP 192.0.2.1 > 192.0.2.2: ip-proto-17',
    why: 'say it is a fragment (offset|length), as tcpdump does for IPv6',
  },
  {
    name: 'IPv4 options are not on the line',
    frame: udp4({ srcPort: 40000, dstPort: 7777, payload: text('x') }, { options: routerAlertOption() }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 1',
  },
  {
    name: 'IPv4 record route option',
    frame: ipv4(1, buildIcmpv4Echo({ identifier: 3, sequence: 4 }), { options: recordRouteOption(2) }),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 3, seq 4, length 8',
  },
  {
    name: 'unknown IP protocol',
    frame: ipv4(253, text('abcd')),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: ip-proto-253 4',
    tcpdump: 'IP 192.0.2.1 > 192.0.2.2:  ip-proto-253 4',
    why: 'one space after the colon, as everywhere else',
  },
  {
    name: 'bad IPv4 header checksum',
    frame: ipv4(1, buildIcmpv4Echo({ identifier: 1, sequence: 2, data: text('ab') }), { checksum: 0xdead }),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 2, length 10 [bad ip cksum 0xdead -> 0xf6db!]',
    tcpdump: 'IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 2, length 10',
    why: 'bad checksums are flagged on the line (tcpdump -v: "bad cksum dead (->f6db)!")',
  },
  {
    name: 'bad TCP checksum',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, ack: 5001, flags: 0x10, window: 100, checksum: 0x1234 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, length 0 [bad tcp cksum 0x1234 -> 0x7764!]',
    tcpdump: 'IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [.], ack 5001, win 100, length 0',
    why: 'bad checksums are flagged on the line (tcpdump -v: "cksum 0x1234 (incorrect -> 0x7764)")',
  },
  {
    name: 'bad UDP checksum',
    frame: udp4({ srcPort: 40000, dstPort: 7777, payload: text('hello world!'), checksum: 0x1234 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 12 [bad udp cksum 0x1234 -> 0x2f31!]',
    tcpdump: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 12',
    why: 'bad checksums are flagged on the line (tcpdump -vv: "[bad udp cksum 0x1234 -> 0x2f31!]")',
  },
  {
    name: 'UDP without checksum over IPv4 is fine',
    frame: udp4({ srcPort: 40000, dstPort: 7777, payload: text('hello world!'), checksum: 0 }),
    linkType: 101,
    line: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 12',
  },
  {
    name: 'TCP with a data offset below 5',
    frame: tcp4({ srcPort: 40000, dstPort: 80, seq: 1, flags: 0x10, dataOffset: 4 }),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: [malformed tcp: tcp-bad-data-offset]',
    tcpdump: 'IP 192.0.2.1.40000 > 192.0.2.2.80:  tcp 4 [bad hdr length 16 - too short, < 20]',
    why: 'malformed layers are named with the codec\'s reason',
  },
  {
    name: 'UDP length beyond the datagram',
    frame: ipv4(17, buildUdp({ srcPort: 40000, dstPort: 7777, length: 40 })),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: [malformed udp: udp-truncated]',
    tcpdump: 'IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, bad length 32 > 0',
    why: 'malformed layers are named with the codec\'s reason',
  },
  {
    name: 'IPv4 total length beyond the bytes captured',
    frame: ipv4(6, new Uint8Array(0), { totalLength: 60 }),
    linkType: 101,
    line: 'IP 192.0.2.1 > 192.0.2.2: [malformed ipv4: ipv4-truncated-packet]',
    tcpdump: 'IP truncated-ip - 40 bytes missing! 192.0.2.1 > 192.0.2.2: [|tcp]',
    why: 'malformed layers are named with the codec\'s reason',
  },
  {
    name: 'IPv4 header cut short',
    frame: fromHex('4500 0054 0000'),
    linkType: 101,
    line: 'IP [malformed ipv4: ipv4-truncated]',
    tcpdump: 'IP  [|ip]',
    why: 'malformed layers are named with the codec\'s reason',
  },
  {
    name: 'ICMPv6 echo request',
    frame: icmp6({ kind: 'echo-request', identifier: 1, sequence: 1, data: PING_DATA }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 1, length 64',
  },
  {
    name: 'ICMPv6 echo reply',
    frame: icmp6({ kind: 'echo-reply', identifier: 1, sequence: 1, data: PING_DATA }, { src: B6, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, echo reply, id 1, seq 1, length 64',
  },
  {
    name: 'TCP over IPv6',
    frame: tcp6({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64800, options: SYN_OPTIONS }),
    linkType: 101,
    line: 'IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [S], seq 1000, win 64800, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  },
  {
    name: 'UDP over IPv6',
    frame: udp6Small,
    linkType: 101,
    line: 'IP6 2001:db8::1.40000 > 2001:db8::2.7777: UDP, length 2',
  },
  {
    name: 'neighbor solicitation',
    frame: icmp6(
      { kind: 'neighbor-solicitation', target: B6, options: [{ kind: 'source-lla', address: MAC_A }] },
      { dst: parseIPv6('ff02::1:ff00:2')!, hopLimit: 255 },
    ),
    linkType: 101,
    line: 'IP6 2001:db8::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32',
  },
  {
    name: 'neighbor advertisement',
    frame: icmp6(
      { kind: 'neighbor-advertisement', flags: 0x60000000, target: B6, options: [{ kind: 'target-lla', address: MAC_B }] },
      { src: B6, dst: A6, hopLimit: 255 },
    ),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, neighbor advertisement, tgt is 2001:db8::2, length 32',
  },
  {
    name: 'router solicitation',
    frame: icmp6(
      { kind: 'router-solicitation', options: [{ kind: 'source-lla', address: MAC_A }] },
      { src: ll, dst: parseIPv6('ff02::2')!, hopLimit: 255 },
    ),
    linkType: 101,
    line: 'IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 16',
  },
  {
    name: 'router advertisement',
    frame: icmp6(
      {
        kind: 'router-advertisement', curHopLimit: 64, flags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
        options: [
          { kind: 'source-lla', address: MAC_A },
          { kind: 'mtu', mtu: 1500 },
          {
            kind: 'prefix-info', prefixLength: 64, flags: 0xc0, validLifetime: 86400, preferredLifetime: 14400, reserved2: 0,
            prefix: parseIPv6('2001:db8::')!,
          },
        ],
      },
      { src: ll, dst: parseIPv6('ff02::1')!, hopLimit: 255 },
    ),
    linkType: 101,
    line: 'IP6 fe80::1 > ff02::1: ICMP6, router advertisement, length 64',
  },
  {
    name: 'packet too big',
    frame: icmp6({ kind: 'packet-too-big', mtu: 1280, invoking: tcp6Syn }, { src: parseIPv6('2001:db8::ff')!, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::ff > 2001:db8::1: ICMP6, packet too big, mtu 1280, length 68',
  },
  {
    name: 'ICMPv6 port unreachable',
    frame: icmp6({ kind: 'dest-unreachable', code: 4, invoking: udp6Small }, { src: B6, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, unreachable port, 2001:db8::2 udp port 7777, length 58',
  },
  {
    name: 'ICMPv6 no route',
    frame: icmp6({ kind: 'dest-unreachable', code: 0, invoking: tcp6Syn }, { src: B6, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, unreachable route 2001:db8::2, length 68',
  },
  {
    name: 'ICMPv6 hop limit exceeded',
    frame: icmp6({ kind: 'time-exceeded', code: 0, invoking: tcp6Syn }, { src: B6, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, time exceeded in-transit for 2001:db8::2, length 68',
  },
  {
    name: 'ICMPv6 parameter problem',
    frame: icmp6({ kind: 'param-problem', code: 1, pointer: 6, invoking: tcp6Syn }, { src: B6, dst: A6 }),
    linkType: 101,
    line: 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, parameter problem, next header - octet 6, length 68',
  },
  {
    name: 'MLDv2 report behind Hop-by-Hop router alert',
    frame: icmp6(
      {
        kind: 'mld-v2-report',
        records: [{ recordType: 4, multicastAddress: parseIPv6('ff02::1:ff00:2')!, sources: [], auxData: new Uint8Array(0) }],
      },
      {
        src: parseIPv6('::')!, dst: parseIPv6('ff02::16')!, hopLimit: 1,
        extensions: [{ kind: 'hbh', options: [{ type: 5, data: fromHex('0000') }] }],
      },
    ),
    linkType: 101,
    line: 'IP6 :: > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28',
  },
  {
    name: 'MLDv2 query',
    frame: icmp6(
      { kind: 'mld-query', version: 2, maxResponseCode: 10000, multicastAddress: parseIPv6('::')!, flags: 2, qqic: 125, sources: [] },
      { src: ll, dst: parseIPv6('ff02::1')!, hopLimit: 1 },
    ),
    linkType: 101,
    line: 'IP6 fe80::1 > ff02::1: ICMP6, multicast listener query v2 [gaddr ::], length 28',
  },
  {
    name: 'IPv6 first fragment',
    frame: ipv6(17, bigUdp6.subarray(0, 48), { extensions: [{ kind: 'fragment', offset: 0, more: true, identification: 0x42 }] }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: frag (0|48) 40000 > 7777: UDP, length 100',
  },
  {
    name: 'IPv6 later fragment',
    frame: ipv6(17, bigUdp6.subarray(48), { extensions: [{ kind: 'fragment', offset: 48, more: false, identification: 0x42 }] }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: frag (48|60)',
  },
  {
    name: 'IPv6 destination options before UDP',
    frame: ipv6(17, buildUdp({ srcPort: 40000, dstPort: 7777, payload: text('x') }, A6, B6), {
      extensions: [{ kind: 'dstopts', options: [] }],
    }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: DSTOPT 40000 > 7777: UDP, length 1',
  },
  {
    name: 'IPv6 no next header',
    frame: ipv6(59, new Uint8Array(0)),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: no next header',
  },
  {
    name: 'bad ICMPv6 checksum',
    frame: icmp6({ kind: 'echo-request', identifier: 1, sequence: 2, data: text('ab'), checksum: 0x1234 }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 10 [bad icmp6 cksum 0x1234 -> 0xc2e0!]',
    tcpdump: 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 10',
    why: 'bad checksums are flagged on the line (tcpdump -v: "[bad icmp6 cksum 0x1234 -> 0xc2e0!]")',
  },
];

const v4InEth = (ip: Uint8Array): Uint8Array => ether(0x0800, ip);

export const ETHERNET_CASES: readonly LineCase[] = [
  {
    name: 'ARP request',
    frame: arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { dst: BROADCAST }),
    linkType: 1,
    line: '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.2 tell 192.0.2.1, length 28',
  },
  {
    name: 'ARP reply',
    frame: arpFrame({ opcode: 2, senderMac: MAC_B, senderIp: B, targetMac: MAC_A, targetIp: A }, { src: MAC_B, dst: MAC_A }),
    linkType: 1,
    line: '02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype ARP (0x0806), length 42: Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28',
  },
  {
    name: 'ARP request padded to 60 bytes, naming the target MAC',
    frame: arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetMac: MAC_B, targetIp: B }, { dst: BROADCAST, pad: true }),
    linkType: 1,
    line: '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: Request who-has 192.0.2.2 (02:00:00:00:00:02) tell 192.0.2.1, length 46',
  },
  {
    name: 'IPv4 in Ethernet',
    frame: v4InEth(pingRequest()),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98: 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
  },
  {
    name: 'UDP in a padded Ethernet frame',
    frame: ether(0x0800, udp4({ srcPort: 40000, dstPort: 7777, payload: text('x') }), { pad: true }),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 60: 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 1',
  },
  {
    name: 'IPv6 in Ethernet',
    frame: ether(0x86dd, icmp6({ kind: 'echo-request', identifier: 1, sequence: 1, data: new Uint8Array(56) })),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv6 (0x86dd), length 118: 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 1, length 64',
  },
  {
    name: 'VLAN tag',
    frame: ether(0x0800, pingRequest(), { vlans: [{ vid: 10 }] }),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q (0x8100), length 102: vlan 10, p 0, ethertype IPv4 (0x0800), 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
  },
  {
    name: 'QinQ tags with priority and DEI around ARP',
    frame: arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { vlans: [{ vid: 100, pcp: 3 }, { vid: 20, dei: true }] }),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q-QinQ (0x88a8), length 50: vlan 100, p 3, ethertype 802.1Q (0x8100), vlan 20, p 0, DEI, ethertype ARP (0x0806), Request who-has 192.0.2.2 tell 192.0.2.1, length 28',
  },
  {
    name: 'unknown EtherType',
    frame: ether(0x88b5, text('hello')),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype Unknown (0x88b5), length 19: data, length 5',
    tcpdump: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype Unknown (0x88b5), length 19: ',
    why: 'tcpdump hex-dumps the payload on the next lines; tsip says how long it is',
  },
  {
    name: 'IEEE 802.3 length field',
    frame: ether(6, text('abcdef')),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, 802.3, length 6: LLC, length 6',
    tcpdump: '02:00:00:00:00:01 > 02:00:00:00:00:02, 802.3, length 6: LLC, dsap Unknown (0x60) Group, ssap Unknown (0x62) Command, ctrl 0x63: Unnumbered, ua, Flags [Command], length 6',
    why: 'tsip does not decode LLC',
  },
  {
    name: 'ARP for another protocol',
    frame: ether(0x0806, buildArpOther()),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype ARP (0x0806), length 42: [malformed arp: arp-bad-ptype]',
    tcpdump: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv6 (len 4), length 28',
    why: 'the ARP codec speaks Ethernet/IPv4 only',
  },
  {
    name: 'IPv4 EtherType with two bytes',
    frame: ether(0x0800, fromHex('4500')),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 16: [malformed ipv4: ipv4-truncated]',
    tcpdump: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 16:  [|ip]',
    why: 'malformed layers are named with the codec\'s reason',
  },
];

/** An ARP packet claiming IPv6 protocol addresses of 4 bytes. */
function buildArpOther(): Uint8Array {
  return fromHex('0001 86dd 0604 0001' + '00'.repeat(20));
}

/** Frames tcpdump is not asked about: the line names the problem. */
export const MALFORMED_CASES: readonly LineCase[] = [
  { name: 'empty raw frame', frame: new Uint8Array(0), linkType: 101, line: '[malformed ip: ip-truncated]' },
  { name: 'raw frame of IP version 7', frame: fromHex('7000'), linkType: 101, line: '[malformed ip: ip-bad-version-7]' },
  { name: 'Ethernet frame under 14 bytes', frame: fromHex('0102030405'), linkType: 1, line: '[malformed eth: eth-truncated]' },
  { name: 'unsupported link type', frame: fromHex('00'), linkType: 113, line: '[malformed link: unsupported-linktype-113]' },
  {
    name: 'IPv6 payload length beyond the bytes',
    frame: ipv6(59, new Uint8Array(0), { payloadLength: 8 }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: [malformed ipv6: ipv6-truncated]',
  },
  {
    name: 'NDP option of length zero',
    frame: icmp6({ kind: 'neighbor-solicitation', target: B6, options: [{ kind: 'source-lla', address: MAC_A, length: 0 }] }),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: [malformed icmp6: ndp-option-zero-length]',
  },
  {
    name: 'Fragment header cut short',
    frame: ipv6(44, fromHex('1100 0000')),
    linkType: 101,
    line: 'IP6 2001:db8::1 > 2001:db8::2: [malformed ipv6-frag: ipv6-ext-truncated]',
  },
  {
    name: 'TCP in Ethernet with a bad data offset keeps the link and IP layers',
    frame: ether(0x0800, tcp4({ srcPort: 1, dstPort: 2, dataOffset: 15 })),
    linkType: 1,
    line: '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 54: 192.0.2.1 > 192.0.2.2: [malformed tcp: tcp-bad-data-offset]',
  },
];

/** Every case tcpdump was asked about, raw and Ethernet. */
export const ALL_CASES: readonly LineCase[] = [...RAW_CASES, ...ETHERNET_CASES];
