import { readU16, readU32, writeU16 } from '../core/bytes.js';
import { finishChecksum, pseudoSumV4, sumBytes } from '../ip/checksum.js';
import { dissect, emptyDissection, L3_IPV4, type Dissection } from './dissect.js';
import { fieldMax, INTERESTING_VALUES, ipFields, readField, transportFields, writeField } from './fields.js';
import { wrongChecksum } from './layer.js';

/**
 * "Almost valid" packets: byte- and field-level mutations of a packet, as
 * plain data so that fast-check can generate and shrink them and the
 * fuzzer's hot loop can draw the same ones from a seeded PRNG.
 *
 * | op         | effect                                                                  |
 * |------------|-------------------------------------------------------------------------|
 * | `flip`     | flips bit `a` (modulo the packet's bits)                                |
 * | `byte`     | sets byte `a` (modulo length) to `b`                                    |
 * | `field`    | sets header field `a` (IP then transport fields) to a value chosen by `b`: |
 * |            | b%4 = 0: an interesting boundary value, 1: the current value ± a little, else `b` |
 * | `truncate` | cuts the packet to `a` bytes (modulo length)                            |
 * | `extend`   | appends 1 + a%64 bytes of value `b`                                     |
 * | `optlen`   | sets the length octet of option `a` (IPv4 or TCP options) to `b`        |
 * | `badsum`   | spoils the IPv4 header checksum (a even) or the transport checksum (a odd) |
 * | `fixsum`   | recomputes every checksum as a sender would (after lying about a field)  |
 * | `fixlen`   | makes the IP length field agree with the bytes present                  |
 */
export type MutationOp = 'flip' | 'byte' | 'field' | 'truncate' | 'extend' | 'optlen' | 'badsum' | 'fixsum' | 'fixlen';

/** One mutation; `a` and `b` are unsigned 32-bit parameters whose meaning depends on `op`. */
export interface Mutation {
  readonly op: MutationOp;
  readonly a: number;
  readonly b: number;
}

/** Every op, for generators. */
export const MUTATION_OPS: readonly MutationOp[] = Object.freeze([
  'flip', 'byte', 'field', 'truncate', 'extend', 'optlen', 'badsum', 'fixsum', 'fixlen',
]);

/** Most bytes `extend` adds. */
export const MAX_EXTEND = 64;

function fieldValue(current: number, max: number, sel: number): number {
  const mode = sel & 3;
  const v = sel >>> 2;
  if (mode === 0) return INTERESTING_VALUES[v % INTERESTING_VALUES.length]! & max;
  if (mode === 1) return (current + (v % 33) - 16) & max;
  return (max === 0xffffffff ? sel : v) & max;
}

/**
 * Applies one mutation to the packet `buf[0..len)` in place and returns the
 * new length (at most `buf.length`). `d` is scratch for the dissection.
 * Never throws.
 */
export function applyMutation(buf: Uint8Array, len: number, m: Mutation, d: Dissection): number {
  if (len <= 0 && m.op !== 'extend') return len;
  switch (m.op) {
    case 'flip': {
      const bit = m.a % (len * 8);
      buf[bit >>> 3] = buf[bit >>> 3]! ^ (0x80 >>> (bit & 7));
      return len;
    }
    case 'byte':
      buf[m.a % len] = m.b & 0xff;
      return len;
    case 'field': {
      dissect(buf, len, d);
      const ip = ipFields(d);
      const l4 = transportFields(d);
      const n = ip.length + l4.length;
      if (n === 0) return len;
      const i = m.a % n;
      const f = i < ip.length ? ip[i]! : l4[i - ip.length]!;
      const o = (i < ip.length ? 0 : d.l4Offset) + f.offset;
      const size = f.width === 'u32' ? 4 : f.width === 'u16' || f.width === 'frag13' ? 2 : 1;
      if (o + size > len) return len;
      const max = fieldMax(f.width);
      writeField(buf, o, f.width, fieldValue(readField(buf, o, f.width), max, m.b >>> 0));
      return len;
    }
    case 'truncate':
      return m.a % len;
    case 'extend': {
      const n = Math.min(1 + (m.a % MAX_EXTEND), buf.length - len);
      buf.fill(m.b & 0xff, len, len + n);
      return len + n;
    }
    case 'optlen':
      lieAboutOption(buf, len, m.a, m.b & 0xff, d);
      return len;
    case 'badsum':
      spoilChecksum(buf, len, (m.a & 1) === 1, d);
      return len;
    case 'fixsum':
      fixChecksums(buf, len, d);
      return len;
    case 'fixlen':
      fixLength(buf, len);
      return len;
  }
}

/**
 * Walks an options area ([o, end)) as TLVs (types 0 and 1 single octets)
 * and sets the length octet of the `index`-th TLV (modulo their count).
 */
function lieAboutOption(buf: Uint8Array, len: number, index: number, value: number, d: Dissection): void {
  dissect(buf, len, d);
  const useTcp = d.tcpOptionsLength > 0 && ((index & 1) === 1 || d.ipOptionsLength === 0);
  const o = useTcp ? d.tcpOptionsOffset : d.ipOptionsOffset;
  const n = useTcp ? d.tcpOptionsLength : d.ipOptionsLength;
  if (n <= 0) return;
  const end = o + n;
  // Positions of every length octet, found with a bounded walk.
  let count = 0;
  for (let i = o; i + 1 < end && count < 40; ) {
    const t = buf[i]!;
    if (t === 0 || t === 1) {
      i++;
      continue;
    }
    count++;
    const l = buf[i + 1]!;
    i += l < 2 ? 2 : l;
  }
  if (count === 0) return;
  let want = (index >>> 1) % count;
  for (let i = o; i + 1 < end; ) {
    const t = buf[i]!;
    if (t === 0 || t === 1) {
      i++;
      continue;
    }
    if (want-- === 0) {
      buf[i + 1] = value;
      return;
    }
    const l = buf[i + 1]!;
    i += l < 2 ? 2 : l;
  }
}

function spoilChecksum(buf: Uint8Array, len: number, transport: boolean, d: Dissection): void {
  dissect(buf, len, d);
  let o = -1;
  if (transport) o = d.l4ChecksumOffset;
  else if (d.l3 === L3_IPV4) o = 10;
  if (o < 0 || o + 2 > len) return;
  writeU16(buf, o, wrongChecksum(readU16(buf, o)));
}

/** Sets the IPv4 total length / IPv6 payload length to what is actually there. */
export function fixLength(buf: Uint8Array, len: number): void {
  if (len >= 20 && buf[0]! >>> 4 === 4) writeU16(buf, 2, Math.min(len, 0xffff));
  else if (len >= 40 && buf[0]! >>> 4 === 6) writeU16(buf, 4, Math.min(len - 40, 0xffff));
}

/**
 * Recomputes the IPv4 header checksum and the transport checksum (TCP,
 * UDP, ICMP, ICMPv6) over the bytes the IP header says belong to the
 * datagram, as the sender of a mutated packet would have. First fragments
 * keep their transport checksum (it covers bytes this packet lacks).
 */
export function fixChecksums(buf: Uint8Array, len: number, d: Dissection = emptyDissection()): void {
  dissect(buf, len, d);
  if (d.l3 === L3_IPV4) {
    const hl = d.ipHeaderLength;
    if (hl >= 20 && hl <= len) {
      writeU16(buf, 10, 0);
      writeU16(buf, 10, finishChecksum(sumBytes(buf, 0, hl)));
    }
    if ((buf[6]! & 0x20) !== 0) return; // MF: a first fragment
  }
  const co = d.l4ChecksumOffset;
  if (co < 0 || co + 2 > d.ipEnd) return;
  const start = d.l4Offset;
  const n = d.ipEnd - start;
  const proto = d.l4Protocol;
  writeU16(buf, co, 0);
  let sum = 0;
  if (d.l3 === L3_IPV4) {
    if (proto !== 1) sum = pseudoSumV4(readU32(buf, 12), readU32(buf, 16), proto, n);
  } else {
    sum = sumBytes(buf, 8, 40) + (n >>> 16) + (n & 0xffff) + proto;
  }
  let c = finishChecksum(sumBytes(buf, start, start + n, sum));
  // RFC 768: a computed UDP checksum of zero goes out as all ones.
  if (proto === 17 && c === 0) c = 0xffff;
  writeU16(buf, co, c);
}

/** Applies `mutations` to a copy of `packet` (convenience outside the hot loop). */
export function mutatePacket(packet: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  const buf = new Uint8Array(packet.length + MAX_EXTEND * mutations.length);
  buf.set(packet);
  let len = packet.length;
  const d = emptyDissection();
  for (const m of mutations) len = applyMutation(buf, len, m, d);
  return buf.slice(0, len);
}

/**
 * "One field off": header field `index` (IP fields first, then transport
 * fields, modulo their count) moved by `delta` (non-zero, |delta| ≤ 16),
 * with every checksum then recomputed — unless the field is a checksum,
 * which is then the one thing wrong. Returns a new array.
 */
export function oneFieldOff(packet: Uint8Array, index: number, delta: number): Uint8Array {
  const d = emptyDissection();
  const buf = packet.slice();
  dissect(buf, buf.length, d);
  const ip = ipFields(d);
  const l4 = transportFields(d);
  const n = ip.length + l4.length;
  if (n === 0) return buf;
  const i = index % n;
  const f = i < ip.length ? ip[i]! : l4[i - ip.length]!;
  const d16 = Math.max(-16, Math.min(16, delta | 0));
  const field: Mutation = { op: 'field', a: i, b: (((d16 + 16) << 2) | 1) >>> 0 };
  if (f.name === 'checksum') {
    fixChecksums(buf, buf.length, d);
    applyMutation(buf, buf.length, field, d);
  } else {
    applyMutation(buf, buf.length, field, d);
    fixChecksums(buf, buf.length, d);
  }
  return buf;
}
