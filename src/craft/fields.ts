import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { L3_IPV4, L3_IPV6, type Dissection } from './dissect.js';

/**
 * The header fields a field-aware mutator may aim at, per protocol, as
 * offsets within their header. Widths: whole bytes, 16 or 32 bits, the high
 * or low nibble of a byte, the IPv4 flags (3 high bits of a 16-bit word)
 * and fragment offset (its 13 low bits).
 */
export type FieldWidth = 'u8' | 'u16' | 'u32' | 'hi4' | 'lo4' | 'flags3' | 'frag13';

/** One mutable field. */
export interface FieldDef {
  readonly name: string;
  readonly offset: number;
  readonly width: FieldWidth;
}

function defs(list: ReadonlyArray<readonly [string, number, FieldWidth]>): readonly FieldDef[] {
  return Object.freeze(list.map(([name, offset, width]) => Object.freeze({ name, offset, width })));
}

/** RFC 791 §3.1. */
export const IPV4_FIELDS = defs([
  ['version', 0, 'hi4'], ['ihl', 0, 'lo4'], ['tos', 1, 'u8'], ['totalLength', 2, 'u16'], ['id', 4, 'u16'],
  ['flags', 6, 'flags3'], ['fragmentOffset', 6, 'frag13'], ['ttl', 8, 'u8'], ['protocol', 9, 'u8'],
  ['checksum', 10, 'u16'], ['src', 12, 'u32'], ['dst', 16, 'u32'],
]);

/** RFC 8200 §3 (addresses: their last 32 bits, where the interface identifier varies). */
export const IPV6_FIELDS = defs([
  ['version', 0, 'hi4'], ['trafficClass', 1, 'hi4'], ['payloadLength', 4, 'u16'], ['nextHeader', 6, 'u8'],
  ['hopLimit', 7, 'u8'], ['srcLow', 20, 'u32'], ['dstLow', 36, 'u32'],
]);

/** RFC 9293 §3.1 (byte 12's low nibble holds the reserved bits and AE). */
export const TCP_FIELDS = defs([
  ['srcPort', 0, 'u16'], ['dstPort', 2, 'u16'], ['seq', 4, 'u32'], ['ack', 8, 'u32'], ['dataOffset', 12, 'hi4'],
  ['reservedAe', 12, 'lo4'], ['flags', 13, 'u8'], ['window', 14, 'u16'], ['checksum', 16, 'u16'], ['urgent', 18, 'u16'],
]);

/** RFC 768. */
export const UDP_FIELDS = defs([['srcPort', 0, 'u16'], ['dstPort', 2, 'u16'], ['length', 4, 'u16'], ['checksum', 6, 'u16']]);

/** RFC 792 / RFC 4443 (the rest-of-header word is the one field every type has). */
export const ICMP_FIELDS = defs([['type', 0, 'u8'], ['code', 1, 'u8'], ['checksum', 2, 'u16'], ['rest', 4, 'u32']]);

const NONE: readonly FieldDef[] = Object.freeze([]);

/** The IP-layer fields of a dissected packet. */
export function ipFields(d: Dissection): readonly FieldDef[] {
  return d.l3 === L3_IPV4 ? IPV4_FIELDS : d.l3 === L3_IPV6 ? IPV6_FIELDS : NONE;
}

/** The transport fields of a dissected packet (none when its header is absent). */
export function transportFields(d: Dissection): readonly FieldDef[] {
  if (d.l4Offset < 0) return NONE;
  switch (d.l4Protocol) {
    case 6: return TCP_FIELDS;
    case 17: return UDP_FIELDS;
    case 1:
    case 58: return ICMP_FIELDS;
    default: return NONE;
  }
}

/** Largest value a field holds. */
export function fieldMax(w: FieldWidth): number {
  switch (w) {
    case 'u8': return 0xff;
    case 'u16': return 0xffff;
    case 'u32': return 0xffffffff;
    case 'hi4':
    case 'lo4': return 0x0f;
    case 'flags3': return 0x07;
    case 'frag13': return 0x1fff;
  }
}

/** Reads a field at absolute offset `o` (the header's start plus the field's offset). */
export function readField(b: Uint8Array, o: number, w: FieldWidth): number {
  switch (w) {
    case 'u8': return b[o]!;
    case 'u16': return readU16(b, o);
    case 'u32': return readU32(b, o);
    case 'hi4': return b[o]! >>> 4;
    case 'lo4': return b[o]! & 0x0f;
    case 'flags3': return b[o]! >>> 5;
    case 'frag13': return readU16(b, o) & 0x1fff;
  }
}

/** Writes a field at absolute offset `o`; the value is masked to the field's width. */
export function writeField(b: Uint8Array, o: number, w: FieldWidth, v: number): void {
  switch (w) {
    case 'u8': b[o] = v & 0xff; return;
    case 'u16': writeU16(b, o, v & 0xffff); return;
    case 'u32': writeU32(b, o, v >>> 0); return;
    case 'hi4': b[o] = (b[o]! & 0x0f) | ((v & 0x0f) << 4); return;
    case 'lo4': b[o] = (b[o]! & 0xf0) | (v & 0x0f); return;
    case 'flags3': b[o] = (b[o]! & 0x1f) | ((v & 0x07) << 5); return;
    case 'frag13': writeU16(b, o, (readU16(b, o) & 0xe000) | (v & 0x1fff)); return;
  }
}

/** Boundary values worth trying in any field (clipped to its width by the writer). */
export const INTERESTING_VALUES: readonly number[] = Object.freeze([
  0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 20, 40, 60, 63, 64, 127, 128, 255, 256, 512, 576, 1024, 1280, 1460, 1500,
  4095, 8191, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
]);
