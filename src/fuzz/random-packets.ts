import { writeU16, writeU32 } from '../core/bytes.js';
import { ACK, FIN, RST, SYN } from '../tcp/header.js';
import type { GenContext } from './gen-context.js';

/**
 * Random-mode packet writers: each writes one packet with freshly drawn
 * header fields into the context's scratch buffer and returns its length.
 * Fields are biased towards what reaches deep into a stack (the target's
 * address, its echo port, right checksums most of the time), with the rest
 * of the space — any flags, any option bytes, wrong lengths — always
 * reachable.
 */

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

/** Writes `n` random TCP option bytes at `o`, mostly as TLVs of known kinds with random values. */
function tcpOptions(g: GenContext, o: number, room: number): number {
  const d = g.dice;
  const b = g.buf;
  if (d.chance(35)) {
    const n = d.below(room + 1);
    d.fill(b, o, o + n);
    return n;
  }
  let i = 0;
  const count = d.range(1, 5);
  for (let k = 0; k < count; k++) {
    switch (d.below(8)) {
      case 0: if (i + 4 <= room) { b[o + i] = 2; b[o + i + 1] = 4; writeU16(b, o + i + 2, d.chance(50) ? 1460 : d.below(0x10000)); i += 4; } break;
      case 1: if (i + 3 <= room) { b[o + i] = 3; b[o + i + 1] = 3; b[o + i + 2] = d.below(20); i += 3; } break;
      case 2: if (i + 2 <= room) { b[o + i] = 4; b[o + i + 1] = 2; i += 2; } break;
      case 3: if (i + 10 <= room) { b[o + i] = 8; b[o + i + 1] = 10; writeU32(b, o + i + 2, d.value32()); writeU32(b, o + i + 6, d.value32()); i += 10; } break;
      case 4: {
        const blocks = d.range(1, 4);
        if (i + 2 + 8 * blocks <= room) {
          b[o + i] = 5;
          b[o + i + 1] = 2 + 8 * blocks;
          d.fill(b, o + i + 2, o + i + 2 + 8 * blocks);
          i += 2 + 8 * blocks;
        }
        break;
      }
      case 5: if (i + 1 <= room) b[o + i++] = 1; break;
      case 6: if (i + 2 <= room) { b[o + i] = d.below(256); b[o + i + 1] = d.below(8); i += 2; } break; // length may lie
      default: if (i + 1 <= room) b[o + i++] = 0; break;
    }
  }
  return i;
}

/** A TCP segment over IPv4 or IPv6 with any flags and fields. */
export function randomTcp(g: GenContext, v6: boolean): number {
  const d = g.dice;
  const b = g.buf;
  const hl = v6 ? 40 : 20;
  const src = v6 ? 0 : g.src4();
  const dst = v6 ? 0 : g.dst4();
  // Options first (their length fixes the data offset), written after the fixed header.
  const optLen = d.chance(45) ? 0 : tcpOptions(g, hl + 20, 40);
  const padded = (optLen + 3) & ~3;
  b.fill(0, hl + 20 + optLen, hl + 20 + padded);
  const payloadLen = d.chance(55) ? 0 : d.range(1, d.chance(90) ? 64 : 1200);
  const t = hl;
  const l4Len = 20 + padded + payloadLen;
  d.fill(b, t + 20 + padded, t + l4Len);
  writeU16(b, t, d.chance(90) ? d.range(1024, 65535) : d.below(0x10000));
  writeU16(b, t + 2, d.chance(55) ? g.plan.echoPort : d.chance(50) ? d.below(1024) : d.below(0x10000));
  writeU32(b, t + 4, d.value32());
  writeU32(b, t + 8, d.value32());
  let flags: number;
  const f = d.below(20);
  if (f < 5) flags = SYN;
  else if (f < 8) flags = ACK;
  else if (f < 10) flags = RST | (d.chance(50) ? ACK : 0);
  else if (f < 11) flags = SYN | ACK;
  else if (f < 12) flags = FIN | ACK;
  else flags = d.below(0x200);
  const off = d.chance(92) ? (20 + padded) >>> 2 : d.below(16);
  b[t + 12] = (off << 4) | (d.chance(95) ? 0 : d.below(8) << 1) | (flags >>> 8);
  b[t + 13] = flags & 0xff;
  writeU16(b, t + 14, d.chance(70) ? d.range(1024, 65535) : d.below(0x10000));
  writeU16(b, t + 18, d.chance(50) ? 0 : d.below(0x10000));
  if (v6) g.ipv6Header(TCP, l4Len);
  else g.ipv4Header(src, dst, TCP, l4Len);
  if (d.chance(93)) g.transportChecksum(t, t + l4Len, t + 16, TCP, true);
  else writeU16(b, t + 16, d.below(0x10000));
  return t + l4Len;
}

/** A UDP datagram; the length and checksum fields are right most of the time. */
export function randomUdp(g: GenContext, v6: boolean): number {
  const d = g.dice;
  const b = g.buf;
  const t = v6 ? 40 : 20;
  const payloadLen = d.chance(10) ? 0 : d.range(1, d.chance(90) ? 128 : 1400);
  const l4Len = 8 + payloadLen;
  d.fill(b, t + 8, t + l4Len);
  writeU16(b, t, d.range(1, 65535));
  writeU16(b, t + 2, d.chance(60) ? g.plan.echoPort : d.below(0x10000));
  writeU16(b, t + 4, d.chance(90) ? l4Len : d.below(0x10000));
  if (v6) g.ipv6Header(UDP, l4Len);
  else g.ipv4Header(g.src4(), g.dst4(), UDP, l4Len);
  const c = d.below(100);
  if (c < 85) g.transportChecksum(t, t + l4Len, t + 6, UDP, true);
  else writeU16(b, t + 6, c < 93 ? 0 : d.below(0x10000));
  return t + l4Len;
}

const QUOTED_PROTOCOLS = [TCP, TCP, UDP, ICMP];
/** Next-hop MTUs a "fragmentation needed" may claim (RFC 1191 plateaus, and 0 from old routers). */
const MTUS = [68, 296, 576, 1280, 1400, 0];
const ICMP4_TYPES = [0, 3, 3, 4, 5, 8, 8, 8, 11, 12, 13, 14, 15, 16, 17, 18, 9, 10];

/**
 * Writes a quoted IPv4 datagram (header + 8 transport bytes + a little
 * more) at `o`, as an ICMP error would carry it: mostly a packet the target
 * could have sent to the fuzzer. Returns its length.
 */
function quote4(g: GenContext, o: number): number {
  const d = g.dice;
  const b = g.buf;
  const n = 28 + (d.chance(70) ? 0 : d.below(40));
  d.fill(b, o, o + n);
  b[o] = 0x45;
  writeU16(b, o + 2, d.chance(70) ? n : d.below(0x10000));
  b[o + 9] = d.chance(80) ? d.pick(QUOTED_PROTOCOLS) : d.below(256);
  g.writeV4(o + 12, d.chance(80) ? g.plan.target4 : g.src4());
  g.writeV4(o + 16, d.chance(80) ? g.plan.fuzzer4 : g.dst4());
  if (d.chance(60)) writeU16(b, o + 20, g.plan.echoPort);
  return n;
}

/** An ICMPv4 message: echo, errors quoting plausible datagrams, and every other type. */
export function randomIcmp(g: GenContext): number {
  const d = g.dice;
  const b = g.buf;
  const t = 20;
  let type = d.chance(90) ? d.pick(ICMP4_TYPES) : d.below(256);
  if (g.plan.restricted && type === 5) type = 8; // no redirects towards a real kernel
  b[t] = type;
  b[t + 1] = d.chance(70) ? (type === 3 ? d.below(16) : 0) : d.below(256);
  let bodyLen: number;
  if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
    bodyLen = quote4(g, t + 8);
    const rest = type === 3 ? (d.chance(50) ? d.pick(MTUS) : d.below(0x10000)) : type === 12 ? (d.below(60) << 24) >>> 0 : d.u32();
    writeU32(b, t + 4, rest);
  } else {
    bodyLen = type === 13 ? 12 : d.chance(30) ? 0 : d.range(1, 120);
    writeU32(b, t + 4, d.u32());
    d.fill(b, t + 8, t + 8 + bodyLen);
  }
  const l4Len = 8 + bodyLen;
  g.ipv4Header(g.src4(), g.dst4(), ICMP, l4Len);
  if (d.chance(93)) g.transportChecksum(t, t + l4Len, t + 2, ICMP, false);
  else writeU16(b, t + 2, d.below(0x10000));
  return t + l4Len;
}

const ICMP6_TYPES = [1, 2, 3, 4, 128, 128, 128, 129, 130, 131, 132, 133, 134, 135, 135, 136, 137, 143];

/** An ICMPv6 message: echo, errors, NDP with random options, MLD, unknown types. */
export function randomIcmp6(g: GenContext): number {
  const d = g.dice;
  const b = g.buf;
  const t = 40;
  let type = d.chance(90) ? d.pick(ICMP6_TYPES) : d.below(256);
  // Router advertisements and redirects would reconfigure a real kernel's routes: in-process targets only.
  if (g.plan.restricted && (type === 134 || type === 137)) type = 128;
  b[t] = type;
  b[t + 1] = d.chance(85) ? 0 : d.below(256);
  let bodyLen: number;
  if (type >= 133 && type <= 137) {
    const fixed = type === 133 ? 4 : type === 134 ? 12 : type === 137 ? 36 : 20;
    d.fill(b, t + 4, t + 4 + fixed);
    if (type === 135 || type === 136) b.set(g.plan.target6, t + 8);
    let i = t + 4 + fixed;
    const opts = d.below(4);
    for (let k = 0; k < opts; k++) {
      const units = d.chance(85) ? d.range(1, 4) : 0; // length 0 is illegal (RFC 4861 §4.6)
      b[i] = d.chance(80) ? d.range(1, 5) : d.below(256);
      b[i + 1] = units;
      d.fill(b, i + 2, i + 8 * Math.max(units, 1));
      i += 8 * Math.max(units, 1);
    }
    bodyLen = i - t - 4;
  } else {
    bodyLen = 4 + (d.chance(30) ? 0 : d.range(1, 200));
    d.fill(b, t + 4, t + 4 + bodyLen);
    if (type <= 4 && bodyLen >= 44) {
      // Quote an IPv6 header the target could have sent.
      b[t + 8] = 0x60;
      b.set(g.plan.target6, t + 16);
      b.set(g.plan.fuzzer6, t + 32);
      b[t + 14] = d.pick(QUOTED_PROTOCOLS6);
    }
  }
  const l4Len = 4 + bodyLen;
  g.ipv6Header(ICMPV6, l4Len, type >= 130 && type <= 143 && d.chance(85) ? (type <= 132 || type === 143 ? 1 : 255) : 64);
  if (d.chance(93)) g.transportChecksum(t, t + l4Len, t + 2, ICMPV6, true);
  else writeU16(b, t + 2, d.below(0x10000));
  return t + l4Len;
}

const QUOTED_PROTOCOLS6 = [TCP, UDP, ICMPV6];

/** IPv4 option kinds to draw from (RFC 791, RFC 1108, RFC 2113, CIPSO). */
const IPV4_OPTION_KINDS = [0, 1, 7, 68, 130, 131, 134, 136, 137, 148];

function ipv4Options(g: GenContext, o: number): number {
  const d = g.dice;
  const b = g.buf;
  const room = 4 * d.range(1, 10);
  if (d.chance(25)) {
    d.fill(b, o, o + room);
    return room;
  }
  let i = 0;
  while (i < room) {
    const kind = d.chance(85) ? d.pick(IPV4_OPTION_KINDS) : d.below(256);
    b[o + i] = kind;
    if (kind <= 1) {
      i++;
      continue;
    }
    const left = room - i;
    if (left < 2) {
      i++;
      continue;
    }
    const len = d.chance(80) ? Math.min(left, d.range(2, 12) + (kind === 7 || kind === 131 || kind === 137 ? 1 : 0)) : d.below(256);
    b[o + i + 1] = len;
    const body = Math.min(Math.max(len, 2), left);
    d.fill(b, o + i + 2, o + i + body);
    // Route and timestamp pointers mostly at their first slot (RFC 791).
    if (body > 2 && d.chance(70)) b[o + i + 2] = kind === 68 ? 5 : 4;
    i += body;
  }
  return room;
}

/**
 * An IP-level oddity: IPv4 with random options, fragment fields from a
 * small ID space (so pieces collide and overlap), unknown protocols, lying
 * lengths; or IPv6 with a random extension-header chain.
 */
export function randomIp(g: GenContext, v6: boolean): number {
  return v6 ? randomIpv6(g) : randomIpv4(g);
}

/** Protocols worth sending raw: the transports, IGMP, IP-in-IP, IPv6-in-IPv4, GRE, ESP, PIM, SCTP, reserved. */
const IP_PROTOCOLS = [TCP, UDP, ICMP, 2, 4, 41, 47, 50, 58, 103, 132, 255];

function randomIpv4(g: GenContext): number {
  const d = g.dice;
  const b = g.buf;
  const optLen = d.chance(40) ? ipv4Options(g, 20) : 0;
  const hl = 20 + optLen;
  const payloadLen = d.chance(10) ? 0 : d.range(1, d.chance(85) ? 200 : 1400);
  d.fill(b, hl, hl + payloadLen);
  const protocol = d.chance(60) ? d.pick(IP_PROTOCOLS) : d.below(256);
  const src = g.src4();
  const dst = g.dst4();
  b[0] = ((d.chance(95) ? 4 : d.below(16)) << 4) | (d.chance(92) ? hl >>> 2 : d.below(16));
  b[1] = d.below(256);
  writeU16(b, 2, d.chance(85) ? hl + payloadLen : d.below(0x10000));
  writeU16(b, 4, d.chance(70) ? d.below(8) : d.below(0x10000));
  const mf = d.chance(35) ? 0x2000 : 0;
  const frag = d.chance(35) ? d.below(d.chance(80) ? 200 : 0x2000) : 0;
  writeU16(b, 6, (d.chance(5) ? 0x8000 : 0) | (d.chance(30) ? 0x4000 : 0) | mf | frag);
  b[8] = d.below(256);
  b[9] = protocol;
  g.writeV4(12, src);
  g.writeV4(16, dst);
  writeU16(b, 10, 0);
  if (d.chance(90)) {
    let s = 0;
    const end = Math.min(hl, 60);
    for (let i = 0; i < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    writeU16(b, 10, ~s & 0xffff);
  } else writeU16(b, 10, d.below(0x10000));
  return hl + payloadLen;
}

const EXT_KINDS = [0, 43, 44, 60, 60];
const UPPER6 = [TCP, UDP, ICMPV6, 59];
/** Source route (deprecated, RFC 5095), Mobile IPv6, RPL, segment routing (RFC 8754). */
const ROUTING_TYPES = [0, 2, 3, 4];
/** Pad1, PadN, Router Alert, Jumbo, and unknown types with each of the four actions (RFC 8200 §4.2). */
const V6_OPTION_TYPES = [0, 1, 5, 0xc2, 0x1e, 0x5e, 0x9e, 0xde];

function randomIpv6(g: GenContext): number {
  const d = g.dice;
  const b = g.buf;
  let o = 40;
  const count = d.range(0, 4);
  const first = count > 0 ? (d.chance(60) && d.chance(50) ? 0 : d.pick(EXT_KINDS)) : d.below(256);
  let next = first;
  for (let k = 0; k < count; k++) {
    const after = k + 1 < count ? d.pick(EXT_KINDS) : d.chance(70) ? d.pick(UPPER6) : d.below(256);
    if (next === 44) {
      b[o] = after;
      b[o + 1] = d.chance(90) ? 0 : d.below(256);
      writeU16(b, o + 2, (d.below(64) << 3) | (d.chance(50) ? 1 : 0));
      writeU32(b, o + 4, d.below(8));
      o += 8;
    } else {
      const units = d.chance(80) ? d.below(3) : d.below(8);
      const len = 8 * (units + 1);
      b[o] = after;
      b[o + 1] = units;
      if (next === 43) {
        b[o + 2] = d.chance(70) ? d.pick(ROUTING_TYPES) : d.below(256);
        b[o + 3] = d.below(d.chance(70) ? 3 : 256);
        d.fill(b, o + 4, o + len);
      } else {
        // Options: PadN with (maybe non-zero) padding, Router Alert, Jumbo, unknown with each action.
        let i = o + 2;
        while (i < o + len) {
          const room = o + len - i;
          const typ = d.chance(70) ? d.pick(V6_OPTION_TYPES) : d.below(256);
          b[i] = typ;
          if (typ === 0 || room < 2) {
            i++;
            continue;
          }
          const dl = d.chance(80) ? Math.min(room - 2, d.below(8)) : d.below(256);
          b[i + 1] = dl;
          const body = Math.min(dl, room - 2);
          if (typ === 1 && d.chance(70)) b.fill(0, i + 2, i + 2 + body);
          else d.fill(b, i + 2, i + 2 + body);
          i += 2 + body;
        }
      }
      o += len;
    }
    next = after;
  }
  const payloadLen = d.chance(15) ? 0 : d.range(1, d.chance(85) ? 120 : 1000);
  d.fill(b, o, o + payloadLen);
  g.ipv6Header(first, (o - 40 + payloadLen) & 0xffff, d.chance(80) ? 64 : d.below(256));
  if (d.chance(10)) writeU16(b, 4, d.below(0x10000));
  return o + payloadLen;
}
