import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { internetChecksum } from '../ip/checksum.js';
import type { IpAddress } from '../ip/types.js';
import {
  ACK, AE, CWR, decodeTcpInto, ECE, emptyTcpSegment, fillTcpChecksum, FIN, IPPROTO_TCP, PSH, RST, SYN, URG, type TcpSegment,
} from '../tcp/header.js';
import type { IpInfo } from './ast.js';

/**
 * Outbound checks of conformance README §1.7 (packetdrill run_packet.c
 * `verify_outbound_live_packet` and the TSO/GSO aggregation loop of
 * `do_outbound_script_packet`), on packets already parsed from the wire.
 *
 * The runner maps a live packet into script space ({@link toScriptSpace}:
 * sequence and ACK numbers relative to the ISNs, TS val relative to the
 * first one seen) and then asks {@link verifyOutbound} whether it is the
 * packet the script expects. Checks run in packetdrill's order and the
 * first difference is reported.
 */

/** One sniffed outbound IP datagram. Fields are views of `bytes`. */
export interface LivePacket {
  /** The whole datagram. */
  readonly bytes: Uint8Array;
  /** Script time (µs since the script started) at which it left the stack. */
  readonly timeUs: number;
  readonly family: 4 | 6;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** IPv4 IHL in bytes (40 for IPv6). */
  readonly ipHeaderLen: number;
  readonly ipChecksumOk: boolean;
  /** TOS / traffic class byte. */
  readonly tos: number;
  readonly ttl: number;
  readonly flowLabel: number;
  readonly protocol: number;
  /** IPv4 total length, or IPv6 payload length, as on the wire. */
  readonly ipLength: number;
  /** The TCP segment (views into `bytes`), or null for anything else. */
  readonly tcp: TcpSegment | null;
  /** Offset of the TCP header in `bytes`. */
  readonly tcpOffset: number;
}

/** Parses a sniffed datagram; null when it is not an IP datagram we can read. Never throws. */
export function parseLivePacket(frame: Uint8Array, timeUs: number): LivePacket | null {
  if (frame.length < 1) return null;
  const version = frame[0]! >>> 4;
  if (version === 4) {
    if (frame.length < 20) return null;
    const ihl = (frame[0]! & 0x0f) * 4;
    const total = readU16(frame, 2);
    if (ihl < 20 || total < ihl || total > frame.length) return null;
    const protocol = frame[9]!;
    const tcp = protocol === IPPROTO_TCP ? decodeSegment(frame.subarray(ihl, total)) : null;
    return {
      bytes: frame, timeUs, family: 4, src: readU32(frame, 12), dst: readU32(frame, 16), ipHeaderLen: ihl,
      ipChecksumOk: internetChecksum(frame, 0, ihl) === 0, tos: frame[1]!, ttl: frame[8]!, flowLabel: 0,
      protocol, ipLength: total, tcp, tcpOffset: ihl,
    };
  }
  if (version === 6) {
    if (frame.length < 40) return null;
    const plen = readU16(frame, 4);
    if (40 + plen > frame.length) return null;
    const word0 = readU32(frame, 0);
    const protocol = frame[6]!;
    const tcp = protocol === IPPROTO_TCP ? decodeSegment(frame.subarray(40, 40 + plen)) : null;
    return {
      bytes: frame, timeUs, family: 6, src: frame.subarray(8, 24), dst: frame.subarray(24, 40), ipHeaderLen: 40,
      ipChecksumOk: true, tos: (word0 >>> 20) & 0xff, ttl: frame[7]!, flowLabel: word0 & 0xfffff,
      protocol, ipLength: plen, tcp, tcpOffset: 40,
    };
  }
  return null;
}

function decodeSegment(b: Uint8Array): TcpSegment | null {
  const seg = emptyTcpSegment();
  return decodeTcpInto(b, seg) === null ? seg : null;
}

/** The offset in `bytes` of the first option of `kind` (at its kind byte), or -1. */
function findOption(p: LivePacket, kind: number): number {
  const start = p.tcpOffset + 20;
  const end = p.tcpOffset + p.tcp!.dataOffset * 4;
  let i = start;
  while (i < end) {
    const k = p.bytes[i]!;
    if (k === 0) return -1;
    if (k === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return -1;
    const len = p.bytes[i + 1]!;
    if (len < 2 || i + len > end) return -1;
    if (k === kind) return i;
    i += len;
  }
  return -1;
}

/** The TS val and ecr of a packet, or null when it carries no timestamp option. */
export function timestampOf(p: LivePacket): { val: number; ecr: number } | null {
  if (p.tcp === null) return null;
  const at = findOption(p, 8);
  if (at < 0 || p.bytes[at + 1] !== 10) return null;
  return { val: readU32(p.bytes, at + 2), ecr: readU32(p.bytes, at + 6) };
}

/** A copy of `p` whose TCP fields are rewritten by `edit` and whose checksums are recomputed. */
function rewrite(p: LivePacket, edit: (b: Uint8Array, tcpAt: number) => void): LivePacket {
  const b = p.bytes.slice();
  edit(b, p.tcpOffset);
  const tcpLen = (p.family === 4 ? p.ipLength - p.ipHeaderLen : p.ipLength);
  fillTcpChecksum(b, p.tcpOffset, tcpLen, p.src, p.dst);
  return parseLivePacket(b, p.timeUs)!;
}

/**
 * Maps a live outbound segment into script space: `seqOffset` is added to
 * the sequence number, `ackOffset` to the ACK number (only when the ACK bit
 * is set, as packetdrill does) and to every SACK block edge.
 */
export function toScriptSpace(p: LivePacket, seqOffset: number, ackOffset: number): LivePacket {
  const seg = p.tcp!;
  const sackAt = findOption(p, 5);
  return rewrite(p, (b, t) => {
    writeU32(b, t + 4, (seg.seq + seqOffset) >>> 0);
    if ((seg.flags & ACK) !== 0) writeU32(b, t + 8, (seg.ack + ackOffset) >>> 0);
    if (sackAt >= 0) {
      const len = b[sackAt + 1]!;
      for (let k = sackAt + 2; k + 4 <= sackAt + len; k += 4) writeU32(b, k, (readU32(b, k) + ackOffset) >>> 0);
    }
  });
}

/** A copy of `p` with its TS val replaced (script space). */
export function withTsVal(p: LivePacket, val: number): LivePacket {
  const at = findOption(p, 8);
  if (at < 0) return p;
  return rewrite(p, (b) => writeU32(b, at + 2, val >>> 0));
}

/** Payload length of a TCP packet. */
export function payloadLength(p: LivePacket): number {
  return p.tcp === null ? 0 : p.tcp.payload.length;
}

/** What the script says an outbound TCP packet looks like (in script space). */
export interface OutboundExpectation {
  readonly family: 4 | 6;
  /** Flag bits (tcp/header.ts). */
  readonly flags: number;
  /** True when the flags carry an AccECN ACE digit: AE/CWR/ECE are then compared as one field. */
  readonly ace: boolean;
  readonly seq: number;
  /** The ack field (0 when the script wrote none). */
  readonly ack: number;
  /** Raw window, or null when not written (not checked). */
  readonly window: number | null;
  readonly urgent: number;
  /** Option bytes in script space, or 'any' for `<...>`. */
  readonly options: Uint8Array | 'any';
  readonly payloadLen: number;
  readonly ip: IpInfo | null;
}

/** A difference between the expected and the actual packet. */
export interface Mismatch {
  /** packetdrill's name for the field (`tcp_psh`, `tcp_seq`, `ipv4_total_length`, ...). */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

/** Options of a check: the TS clock tick for TS val checks (0: unchecked) and the tolerance. */
export interface MatchSettings {
  /** `--tcp_ts_tick_usecs`; 0 leaves TS val unchecked. */
  readonly tsTickUs: number;
  /** `--tolerance_usecs`: the TS val tolerance. */
  readonly toleranceUs: number;
}

/** The script→live flow label pairing of one socket (packetdrill's flowlabel_map). */
export interface FlowLabelState {
  script: number;
  live: number;
}

function field(name: string, expected: number, actual: number): Mismatch | null {
  return expected === actual ? null : { field: name, expected: String(expected), actual: String(actual) };
}

const ECN_CODEPOINTS: Readonly<Record<string, number>> = { noecn: 0, ect1: 1, ect0: 2, ce: 3 };

function checkTos(ip: IpInfo | null, tos: number): Mismatch | null {
  if (ip === null) return null;
  if (ip.ecn === 'ect01') {
    const e = tos & 3;
    return e === 1 || e === 2 ? null : { field: 'ip_ecn', expected: '0x1 or 0x2', actual: `0x${e.toString(16)}` };
  }
  if (ip.ecn !== null) return field('ip_ecn', ECN_CODEPOINTS[ip.ecn]!, tos & 3);
  if (ip.tos !== null) return field('tos', ip.tos, tos);
  return null;
}

/** Decoded option list entries: kind and the raw bytes (kind and length included). */
function optionEntries(b: Uint8Array): Array<{ kind: number; raw: Uint8Array }> | null {
  const out: Array<{ kind: number; raw: Uint8Array }> = [];
  let i = 0;
  while (i < b.length) {
    const k = b[i]!;
    if (k === 0 || k === 1) {
      out.push({ kind: k, raw: b.subarray(i, i + 1) });
      i++;
      if (k === 0) break;
      continue;
    }
    if (i + 1 >= b.length) return null;
    const len = b[i + 1]!;
    if (len < 2 || i + len > b.length) return null;
    out.push({ kind: k, raw: b.subarray(i, i + len) });
    i += len;
  }
  return out;
}

const OPTION_NAMES: Readonly<Record<number, string>> = { 0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sackOK', 5: 'sack', 8: 'TS', 19: 'md5', 34: 'FO', 254: 'FOEXP' };

function optionName(kind: number): string {
  return OPTION_NAMES[kind] ?? `option ${kind}`;
}

function describeOptions(list: Array<{ kind: number; raw: Uint8Array }> | null): string {
  if (list === null) return '(malformed)';
  return list.length === 0 ? '(none)' : list.map((o) => optionName(o.kind)).join(',');
}

/** One option as packetdrill writes it (`mss 1460`, `sack 1:1001`), or its bytes in hex. */
function formatOption(raw: Uint8Array): string {
  const kind = raw[0]!;
  if (kind === 2 && raw.length === 4) return `mss ${readU16(raw, 2)}`;
  if (kind === 3 && raw.length === 3) return `wscale ${raw[2]}`;
  if (kind === 5 && raw.length >= 10) {
    const blocks: string[] = [];
    for (let k = 2; k + 8 <= raw.length; k += 8) blocks.push(`${readU32(raw, k)}:${readU32(raw, k + 4)}`);
    return `sack ${blocks.join(' ')}`;
  }
  return `${optionName(kind)} ${hex(raw.subarray(2))}`;
}

function checkOptions(exp: Uint8Array, actual: LivePacket, s: MatchSettings): Mismatch | null {
  const seg = actual.tcp!;
  const a = optionEntries(seg.options);
  const e = optionEntries(exp);
  if (a === null || e === null || a.length !== e.length || a.some((o, i) => o.kind !== e[i]!.kind)) {
    return { field: 'tcp_options', expected: describeOptions(e), actual: describeOptions(a) };
  }
  for (let i = 0; i < a.length; i++) {
    const ao = a[i]!;
    const eo = e[i]!;
    if (ao.kind === 0 || ao.kind === 1) continue;
    if (ao.kind === 8) {
      // Only the TS val is compared, in clock ticks, and only with --tcp_ts_tick_usecs (README §1.7).
      if (s.tsTickUs > 0 && ao.raw.length >= 6 && eo.raw.length >= 6) {
        const av = readU32(ao.raw, 2);
        const ev = readU32(eo.raw, 2);
        if (Math.abs((av - ev) | 0) * s.tsTickUs > s.toleranceUs) {
          return { field: 'tcp_ts_val', expected: `${ev} (tolerance ${s.toleranceUs} us)`, actual: String(av) };
        }
      }
      continue;
    }
    const name = `tcp_option_${optionName(ao.kind)}`;
    if (ao.raw.length !== eo.raw.length) return { field: `${name}_length`, expected: String(eo.raw.length), actual: String(ao.raw.length) };
    for (let k = 2; k < ao.raw.length; k++) {
      if (ao.raw[k] !== eo.raw[k]) return { field: name, expected: formatOption(eo.raw), actual: formatOption(ao.raw) };
    }
  }
  return null;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const FLAG_CHECKS: ReadonlyArray<readonly [string, number]> = [
  ['tcp_fin', FIN], ['tcp_syn', SYN], ['tcp_rst', RST], ['tcp_psh', PSH], ['tcp_ack', ACK], ['tcp_urg', URG],
];

/**
 * Compares an actual packet (already in script space) with the script's
 * expectation: IPv4 header checksum, IP version / protocol / header length /
 * total length, TOS/ECN/TTL when written, TCP data offset, flags, reserved
 * bits, seq, ack, window (when written), urgent pointer, IPv6 flow label,
 * options (kinds and order; values byte for byte except TS, whose val is
 * compared only with a tick), and payload bytes (zeros). Returns the first
 * difference, or null. The time is the runner's check.
 */
export function verifyOutbound(
  exp: OutboundExpectation,
  actual: LivePacket,
  s: MatchSettings,
  flow: FlowLabelState,
): Mismatch | null {
  if (!actual.ipChecksumOk) return { field: 'ipv4_checksum', expected: 'valid', actual: 'bad outbound IP checksum' };
  const seg = actual.tcp;
  const m1 = field('ip_version', exp.family, actual.family);
  if (m1 !== null) return m1;
  if (seg === null) return { field: 'protocol', expected: 'tcp', actual: `ip protocol ${actual.protocol}` };
  const optLen = exp.options === 'any' ? seg.dataOffset * 4 - 20 : ((exp.options.length + 3) & ~3);
  const tcpLen = 20 + optLen + exp.payloadLen;
  const checks: Array<Mismatch | null> =
    exp.family === 4
      ? [field('ipv4_protocol', IPPROTO_TCP, actual.protocol), field('ipv4_header_length', 20, actual.ipHeaderLen),
        field('ipv4_total_length', 20 + tcpLen, actual.ipLength)]
      : [field('ipv6_payload_len', tcpLen, actual.ipLength), field('ipv6_next_header', IPPROTO_TCP, actual.protocol)];
  for (const m of checks) if (m !== null) return m;
  const tos = checkTos(exp.ip, actual.tos);
  if (tos !== null) return tos;
  if (exp.ip?.ttl != null) {
    const m = field('ttl', exp.ip.ttl, actual.ttl);
    if (m !== null) return m;
  }
  const doff = field('tcp_data_offset', (20 + optLen) >>> 2, seg.dataOffset);
  if (doff !== null) return doff;
  for (const [name, bit] of FLAG_CHECKS) {
    const m = field(name, exp.flags & bit ? 1 : 0, seg.flags & bit ? 1 : 0);
    if (m !== null) return m;
  }
  if (exp.ace) {
    const ace = (f: number): number => (f & AE ? 4 : 0) | (f & CWR ? 2 : 0) | (f & ECE ? 1 : 0);
    const m = field('tcp_ace', ace(exp.flags), ace(seg.flags));
    if (m !== null) return m;
  } else {
    for (const [name, bit] of [['tcp_ece', ECE], ['tcp_cwr', CWR], ['tcp_ae', AE]] as const) {
      const m = field(name, exp.flags & bit ? 1 : 0, seg.flags & bit ? 1 : 0);
      if (m !== null) return m;
    }
  }
  const rest = [
    field('tcp_reserved_bits', 0, seg.reserved),
    field('tcp_seq', exp.seq >>> 0, seg.seq),
    field('tcp_ack_seq', exp.ack >>> 0, seg.ack),
    exp.window === null ? null : field('tcp_window', exp.window, seg.window),
    field('tcp_urg_ptr', exp.urgent, seg.urgent),
  ];
  for (const m of rest) if (m !== null) return m;
  if (exp.family === 6 && exp.ip?.flowLabel != null && exp.ip.flowLabel !== 0) {
    const m = checkFlowLabel(exp.ip.flowLabel, actual.flowLabel, flow);
    if (m !== null) return m;
  }
  if (exp.options !== 'any') {
    const m = checkOptions(exp.options, actual, s);
    if (m !== null) return m;
  }
  const payload = seg.payload;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] !== 0) return { field: 'payload', expected: 'zero bytes', actual: `byte ${i} is 0x${payload[i]!.toString(16)}` };
  }
  return null;
}

/**
 * packetdrill's flow label rule: the first labelled packet pairs the script
 * label with the live one; the same script label must then keep the same
 * live label, and a new script label must come with a new live label.
 */
function checkFlowLabel(script: number, live: number, flow: FlowLabelState): Mismatch | null {
  if (live === 0) return { field: 'ipv6_flowlabel', expected: 'a flow label', actual: 'none' };
  if (flow.script === 0) {
    flow.script = script;
    flow.live = live;
    return null;
  }
  if (script !== flow.script) {
    if (live === flow.live) return { field: 'ipv6_flowlabel', expected: 'a different flow label', actual: 'the same' };
    flow.script = script;
    flow.live = live;
    return null;
  }
  return live === flow.live ? null : field('ipv6_flowlabel', flow.live, live);
}

/**
 * Whether `cur` may be aggregated after `prev` into one TSO/GSO-style
 * expectation (run_packet.c `verify_packet_fragments`): same IP version,
 * protocol, header length and TTL; same TCP data offset, SYN/RST/ACK/URG/
 * ECE/AE bits, reserved bits, ack, window and urgent pointer; contiguous
 * sequence numbers. FIN, PSH and CWR may differ. Every fragment but the
 * last must be as large as the one before it.
 */
export function checkFragment(prev: LivePacket, cur: LivePacket, sniffedPayload: number, expectedPayload: number): Mismatch | null {
  const a = prev.tcp!;
  const b = cur.tcp!;
  const checks = [
    field('ip_version', prev.family, cur.family),
    field('ip_protocol', prev.protocol, cur.protocol),
    field('ip_header_length', prev.ipHeaderLen, cur.ipHeaderLen),
    field('ttl', prev.ttl, cur.ttl),
    field('tcp_data_offset', a.dataOffset, b.dataOffset),
    field('tcp_syn', a.flags & SYN, b.flags & SYN),
    field('tcp_rst', a.flags & RST, b.flags & RST),
    field('tcp_ack', a.flags & ACK, b.flags & ACK),
    field('tcp_urg', a.flags & URG, b.flags & URG),
    field('tcp_ece', a.flags & ECE, b.flags & ECE),
    field('tcp_ae', a.flags & AE, b.flags & AE),
    field('tcp_reserved_bits', a.reserved, b.reserved),
    field('tcp_seq', (a.seq + a.payload.length) >>> 0, b.seq),
    field('tcp_ack_seq', a.ack, b.ack),
    field('tcp_window', a.window, b.window),
    field('tcp_urg_ptr', a.urgent, b.urgent),
  ];
  for (const m of checks) if (m !== null) return { ...m, field: `aggregate candidate ${m.field}` };
  const len = b.payload.length;
  if (len < expectedPayload - sniffedPayload && len !== a.payload.length) {
    return {
      field: 'fragment payload',
      expected: `${a.payload.length} bytes (total ${expectedPayload})`,
      actual: `${len} bytes (total ${len + sniffedPayload})`,
    };
  }
  return null;
}

/**
 * Merges consecutive segments into the one packet a TSO/GSO send would have
 * been: headers of the last, sequence number and CWR of the first, all the
 * payloads, lengths and checksums recomputed (run_packet.c aggregate_packets).
 */
export function aggregate(list: readonly LivePacket[]): LivePacket {
  if (list.length === 1) return list[0]!;
  const first = list[0]!;
  const last = list[list.length - 1]!;
  const hdrLen = last.tcpOffset + last.tcp!.dataOffset * 4;
  const total = list.reduce((n, p) => n + payloadLength(p), 0);
  const b = new Uint8Array(hdrLen + total);
  b.set(last.bytes.subarray(0, hdrLen), 0);
  let o = hdrLen;
  for (const p of list) {
    b.set(p.tcp!.payload, o);
    o += payloadLength(p);
  }
  const t = last.tcpOffset;
  writeU32(b, t + 4, first.tcp!.seq);
  b[t + 13] = (b[t + 13]! & ~CWR) | (first.tcp!.flags & CWR);
  if (last.family === 4) {
    writeU16(b, 2, b.length);
    writeU16(b, 10, 0);
    writeU16(b, 10, internetChecksum(b, 0, last.ipHeaderLen));
  } else {
    writeU16(b, 4, b.length - 40);
  }
  fillTcpChecksum(b, t, b.length - t, last.src, last.dst);
  return parseLivePacket(b, last.timeUs)!;
}
