import { evenPieces, fragmentIpv4, fragmentIpv6 } from '../craft/fragments.js';
import { icmp, icmp6, icmpEcho, icmpError } from '../craft/icmp.js';
import { ipv4, ipv6 } from '../craft/ip.js';
import { build, raw, type Layer } from '../craft/layer.js';
import { tcp, udp } from '../craft/transport.js';
import { buildIgmp, IPPROTO_IGMP } from '../ip/igmp-header.js';
import { recordRouteOption, routerAlertOption } from '../ip/ipv4-options.js';
import type { AddressPlan } from './addresses.js';

/** Which `--proto` a packet counts as. */
export type PacketClass = 'tcp' | 'udp' | 'icmp' | 'ip';

/** A valid packet the mutator starts from. */
export interface Template {
  readonly cls: PacketClass;
  readonly bytes: Uint8Array;
}

/** The class of finished bytes (for seeds from a capture): by the transport protocol it carries. */
export function classify(p: Uint8Array): PacketClass {
  if (p.length < 1) return 'ip';
  const v = p[0]! >>> 4;
  const proto = v === 4 && p.length >= 20 ? p[9]! : v === 6 && p.length >= 40 ? p[6]! : -1;
  if (proto === 6) return 'tcp';
  if (proto === 17) return 'udp';
  if (proto === 1 || proto === 58) return 'icmp';
  return 'ip';
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The starting points of mutation: one honest example of each thing a host
 * meets — handshakes with every option, data, teardowns, UDP to open and
 * closed ports, each ICMP type with a plausible quote, IPv4 options,
 * fragments (in order and overlapping), IGMP, IPv6 with extension headers,
 * NDP and MLD — all built with the crafting API.
 */
export function buildTemplates(plan: AddressPlan): Template[] {
  const me = plan.fuzzer4;
  const it = plan.target4;
  const port = plan.echoPort;
  const out: Template[] = [];
  const add = (cls: PacketClass, l: Layer | Uint8Array): void => void out.push({ cls, bytes: build(l) });
  const v4 = (inner: Layer, extra: Partial<Parameters<typeof ipv4>[0]> = {}): Layer => ipv4({ src: me, dst: it, id: 0x1234, df: true, ...extra }, inner);

  // TCP: every kind of segment a connection sees, towards the echo port and a closed one.
  const allOptions = [
    { kind: 'mss' as const, value: 1460 }, { kind: 'sackOK' as const }, { kind: 'ts' as const, val: 1000, ecr: 0 },
    { kind: 'nop' as const }, { kind: 'wscale' as const, shift: 7 },
  ];
  add('tcp', v4(tcp({ srcPort: 40000, dstPort: port, seq: 1000, flags: 'S', window: 64240, options: allOptions })));
  add('tcp', v4(tcp({ srcPort: 40001, dstPort: port, seq: 2000, flags: 'S', window: 1024 })));
  add('tcp', v4(tcp({ srcPort: 40002, dstPort: 9, seq: 3000, flags: 'S', window: 512, options: [{ kind: 'mss', value: 536 }] })));
  add('tcp', v4(tcp({ srcPort: 40003, dstPort: port, seq: 4000, ack: 5000, flags: 'A', window: 4096 })));
  add('tcp', v4(tcp({ srcPort: 40004, dstPort: port, seq: 4000, ack: 5000, flags: 'PA', window: 4096 }, text('hello, echo'))));
  add('tcp', v4(tcp({ srcPort: 40005, dstPort: port, seq: 4000, ack: 5000, flags: 'FA', window: 4096 })));
  add('tcp', v4(tcp({ srcPort: 40006, dstPort: port, seq: 4000, flags: 'R' })));
  add('tcp', v4(tcp({ srcPort: 40007, dstPort: port, seq: 4000, ack: 5000, flags: 'UPA', urgent: 3, window: 4096 }, text('urgent!'))));
  add('tcp', v4(tcp({
    srcPort: 40008, dstPort: port, seq: 4000, ack: 5000, flags: 'A', window: 4096,
    options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[5100, 5200], [5300, 5400]] }],
  })));
  add('tcp', v4(tcp({ srcPort: 40009, dstPort: port, seq: 1000, flags: 'SEW', window: 64240, options: allOptions })));

  // UDP: echo, a closed port, no checksum, an empty datagram.
  add('udp', v4(udp({ srcPort: 40100, dstPort: port }, text('udp echo me'))));
  add('udp', v4(udp({ srcPort: 40101, dstPort: 9999 }, text('nobody home'))));
  add('udp', v4(udp({ srcPort: 40102, dstPort: port, checksum: 0 }, text('no checksum'))));
  add('udp', v4(udp({ srcPort: 40103, dstPort: port })));

  // ICMP: echo (small, large, to broadcast), the query types, and errors quoting traffic of ours.
  add('icmp', v4(icmpEcho({ identifier: 1, sequence: 1 }, text('ping'))));
  add('icmp', v4(icmpEcho({ identifier: 2, sequence: 9 }, new Uint8Array(1000).fill(0xa5))));
  add('icmp', ipv4({ src: me, dst: (it & 0xffffff00) | 0xff }, icmpEcho({ identifier: 3, sequence: 1 })));
  add('icmp', v4(icmp({ type: 13, identifier: 4, sequence: 1 }, new Uint8Array(12))));
  add('icmp', v4(icmp({ type: 17, identifier: 5, sequence: 1 }, new Uint8Array(4))));
  const sent = ipv4({ src: it, dst: me, protocol: 6 }, tcp({ srcPort: port, dstPort: 40004, seq: 5000, ack: 4011, flags: 'PA' }, text('echoed')));
  add('icmp', v4(icmpError({ type: 3, code: 4, mtu: 576 }, sent)));
  add('icmp', v4(icmpError({ type: 3, code: 3 }, ipv4({ src: it, dst: me }, udp({ srcPort: port, dstPort: 40100 }, text('x'))))));
  add('icmp', v4(icmpError({ type: 11, code: 0 }, sent)));
  add('icmp', v4(icmpError({ type: 12, code: 0, pointer: 20 }, sent)));
  add('icmp', v4(icmpError({ type: 4, code: 0 }, sent)));
  if (!plan.restricted) add('icmp', v4(icmpError({ type: 5, code: 1, gateway: 0xc0000203 }, sent)));

  // IP: options, fragments (honest, overlapping, tiny), IGMP, an unknown protocol.
  const payload = udp({ srcPort: 40200, dstPort: port }, new Uint8Array(100).map((_, i) => i));
  add('ip', v4(payload, { options: recordRouteOption(4) }));
  add('ip', v4(payload, { options: routerAlertOption() }));
  add('ip', v4(payload, { options: [{ type: 68, data: Uint8Array.of(5, 0x01, 0, 0, 0, 0, 0, 0, 0, 0) }] }));
  add('ip', v4(payload, { options: [{ type: 131, data: Uint8Array.of(4, 192, 0, 2, 3) }, { type: 1 }] }));
  add('ip', v4(payload, { options: [{ type: 130, data: Uint8Array.of(0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0) }] }));
  const datagram = v4(payload, { df: false, id: 0x4242 });
  for (const f of fragmentIpv4(datagram, evenPieces(108, 48))) add('ip', f);
  for (const f of fragmentIpv4(v4(payload, { df: false, id: 0x4343 }), [
    { offset: 0, length: 64 }, { offset: 32, length: 48, data: new Uint8Array(48).fill(0xee) }, { offset: 72, length: 36 },
  ])) add('ip', f);
  for (const f of fragmentIpv4(v4(tcp({ srcPort: 40300, dstPort: port, seq: 1, flags: 'S' }), { df: false, id: 0x4444 }), [
    { offset: 0, length: 8 }, { offset: 8, length: 12 },
  ])) add('ip', f);
  add('ip', ipv4({ src: me, dst: 0xe0000001, ttl: 1, options: routerAlertOption() }, raw(buildIgmp({ kind: 'query', maxRespCode: 100 }), { protocol: IPPROTO_IGMP })));
  add('ip', v4(raw(text('who speaks 253?'), { protocol: 253 })));

  if (plan.ipv6) addIpv6Templates(plan, add);
  return out;
}

function addIpv6Templates(plan: AddressPlan, add: (cls: PacketClass, l: Layer | Uint8Array) => void): void {
  const me = plan.fuzzer6;
  const it = plan.target6;
  const port = plan.echoPort;
  const v6 = (inner: Layer, extensions: Parameters<typeof ipv6>[0]['extensions'] = []): Layer =>
    ipv6({ src: me, dst: it, hopLimit: 64, extensions }, inner);
  add('tcp', v6(tcp({ srcPort: 41000, dstPort: port, seq: 1000, flags: 'S', window: 64240, options: [{ kind: 'mss', value: 1440 }, { kind: 'sackOK' }] })));
  add('tcp', v6(tcp({ srcPort: 41001, dstPort: port, seq: 1000, ack: 77, flags: 'PA', window: 4096 }, text('v6 data'))));
  add('udp', v6(udp({ srcPort: 41100, dstPort: port }, text('udp over v6'))));
  add('icmp', v6(icmp6({ kind: 'echo-request', identifier: 1, sequence: 1, data: text('ping6') })));
  add('icmp', ipv6({ src: me, dst: it, hopLimit: 255 }, icmp6({ kind: 'neighbor-solicitation', target: it, options: [{ kind: 'source-lla', address: Uint8Array.of(2, 0, 0, 0, 0, 2) }] })));
  add('icmp', ipv6({ src: me, dst: it, hopLimit: 255 }, icmp6({ kind: 'neighbor-advertisement', flags: 0x60000000, target: me, options: [] })));
  add('icmp', ipv6({ src: me, dst: Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), hopLimit: 1, extensions: [{ kind: 'hbh', options: [{ type: 5, data: Uint8Array.of(0, 0) }] }] },
    icmp6({ kind: 'mld-query', version: 2, maxResponseCode: 1000, multicastAddress: new Uint8Array(16), sources: [] })));
  add('icmp', v6(icmp6({ kind: 'packet-too-big', mtu: 1280, invoking: build(ipv6({ src: it, dst: me }, tcp({ srcPort: port, dstPort: 41001, seq: 77, flags: 'PA' }, new Uint8Array(64)))) })));
  if (!plan.restricted) {
    add('icmp', ipv6({ src: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), dst: it, hopLimit: 255 },
      icmp6({ kind: 'router-advertisement', curHopLimit: 64, flags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, options: [{ kind: 'mtu', mtu: 1400 }] })));
  }
  const body = udp({ srcPort: 41200, dstPort: port }, new Uint8Array(120).map((_, i) => i * 3));
  add('ip', v6(body, [{ kind: 'dstopts', options: [{ type: 0x1e, data: new Uint8Array(4) }] }]));
  add('ip', v6(body, [{ kind: 'routing', routingType: 0, segmentsLeft: 1, data: new Uint8Array(20) }]));
  add('ip', v6(body, [{ kind: 'fragment', offset: 0, more: false, identification: 7 }]));
  for (const f of fragmentIpv6(v6(body), evenPieces(128, 64), 0x6006)) add('ip', f);
  for (const f of fragmentIpv6(v6(body), [{ offset: 0, length: 64 }, { offset: 48, length: 80 }], 0x6007)) add('ip', f);
}
