import { readU32, writeU16, writeU32 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';

/**
 * Neighbor Discovery options (RFC 4861 §4.6): a list of type/length/value
 * items, each a multiple of 8 octets, following the fixed part of RS, RA, NS,
 * NA and Redirect messages.
 *
 * ```
 * +---------------+---------------+------------------------------ ...
 * |     Type      |    Length     |   value (Length * 8 - 2 octets)
 * +---------------+---------------+------------------------------ ...
 *                   in units of 8 octets, type and length included
 * ```
 */
export const NDP_OPT_SOURCE_LLA = 1;
export const NDP_OPT_TARGET_LLA = 2;
export const NDP_OPT_PREFIX_INFO = 3;
export const NDP_OPT_REDIRECTED_HEADER = 4;
export const NDP_OPT_MTU = 5;

/** Prefix Information flags (RFC 4861 §4.6.2). */
export const PREFIX_FLAG_ON_LINK = 0x80;
export const PREFIX_FLAG_AUTONOMOUS = 0x40;

/** Source or Target Link-Layer Address (RFC 4861 §4.6.1). */
export interface NdpLinkLayerAddressOption {
  readonly kind: 'source-lla' | 'target-lla';
  /** The whole value: for Ethernet (Length 1) exactly the 6-byte MAC; longer links include their padding. */
  readonly address: Uint8Array;
}

/** Prefix Information (RFC 4861 §4.6.2). */
export interface NdpPrefixInfoOption {
  readonly kind: 'prefix-info';
  readonly prefixLength: number;
  /** The flag byte: PREFIX_FLAG_ON_LINK | PREFIX_FLAG_AUTONOMOUS | reserved bits. */
  readonly flags: number;
  /** Seconds; 0xffffffff means infinity. */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
  readonly reserved2: number;
  readonly prefix: Uint8Array;
}

/** Redirected Header (RFC 4861 §4.6.3): as much of the redirected packet as fits. */
export interface NdpRedirectedHeaderOption {
  readonly kind: 'redirected-header';
  /** The 6 reserved bytes are skipped; this is the quoted packet. */
  readonly packet: Uint8Array;
}

/** MTU (RFC 4861 §4.6.4). */
export interface NdpMtuOption {
  readonly kind: 'mtu';
  readonly mtu: number;
}

/** Any other option: RFC 4861 §4.6 says to skip it silently; it is kept so tools can show it. */
export interface NdpUnknownOption {
  readonly kind: 'unknown';
  readonly type: number;
  /** The value: Length * 8 - 2 bytes. */
  readonly data: Uint8Array;
}

/** A parsed option plus where it sat; `length` is the Length byte (8-octet units). */
export type NdpOption = (
  | NdpLinkLayerAddressOption
  | NdpPrefixInfoOption
  | NdpRedirectedHeaderOption
  | NdpMtuOption
  | NdpUnknownOption
) & { readonly offset?: number; readonly length?: number };

/** Option wire sizes fixed by RFC 4861 for the types that have one. */
const PREFIX_INFO_LEN = 32;
const MTU_LEN = 8;

/**
 * Parses the options in b[start, end). Fails on a zero Length (RFC 4861 §4.6:
 * "Nodes MUST silently discard an ND packet that contains an option with
 * length zero"), on an option running past the end, and on fixed-size
 * options of the wrong size. Offsets in the result are relative to `b`.
 */
export function parseNdpOptions(b: Uint8Array, start: number, end: number): ParseResult<NdpOption[]> {
  const out: NdpOption[] = [];
  let p = start;
  if (end > b.length) return fail('ndp-option-truncated');
  while (p < end) {
    if (p + 2 > end) return fail('ndp-option-truncated');
    const type = b[p]!;
    const length = b[p + 1]!;
    if (length === 0) return fail('ndp-option-zero-length');
    const size = length * 8;
    if (p + size > end) return fail('ndp-option-truncated');
    const value = b.subarray(p + 2, p + size);
    switch (type) {
      case NDP_OPT_SOURCE_LLA:
      case NDP_OPT_TARGET_LLA:
        out.push({ kind: type === NDP_OPT_SOURCE_LLA ? 'source-lla' : 'target-lla', address: value, offset: p, length });
        break;
      case NDP_OPT_PREFIX_INFO:
        if (size !== PREFIX_INFO_LEN) return fail('ndp-bad-prefix-info');
        out.push({
          kind: 'prefix-info',
          prefixLength: b[p + 2]!,
          flags: b[p + 3]!,
          validLifetime: readU32(b, p + 4),
          preferredLifetime: readU32(b, p + 8),
          reserved2: readU32(b, p + 12),
          prefix: b.subarray(p + 16, p + 32),
          offset: p,
          length,
        });
        break;
      case NDP_OPT_REDIRECTED_HEADER:
        out.push({ kind: 'redirected-header', packet: b.subarray(p + 8, p + size), offset: p, length });
        break;
      case NDP_OPT_MTU:
        if (size !== MTU_LEN) return fail('ndp-bad-mtu-option');
        out.push({ kind: 'mtu', mtu: readU32(b, p + 4), offset: p, length });
        break;
      default:
        out.push({ kind: 'unknown', type, data: value, offset: p, length });
    }
    p += size;
  }
  return { ok: true, value: out };
}

/** Bytes of value (after type and length) an option writes before padding. */
function valueLength(o: NdpOption): number {
  switch (o.kind) {
    case 'source-lla':
    case 'target-lla':
      return o.address.length;
    case 'prefix-info':
      return PREFIX_INFO_LEN - 2;
    case 'redirected-header':
      return 6 + o.packet.length;
    case 'mtu':
      return MTU_LEN - 2;
    case 'unknown':
      return o.data.length;
  }
}

/** Wire size of one option: type, length and value, padded to 8 octets. */
export function ndpOptionSize(o: NdpOption): number {
  return (2 + valueLength(o) + 7) & ~7;
}

/** Wire size of a list of options. */
export function ndpOptionsSize(opts: readonly NdpOption[]): number {
  let n = 0;
  for (const o of opts) n += ndpOptionSize(o);
  return n;
}

function optionType(o: NdpOption): number {
  switch (o.kind) {
    case 'source-lla':
      return NDP_OPT_SOURCE_LLA;
    case 'target-lla':
      return NDP_OPT_TARGET_LLA;
    case 'prefix-info':
      return NDP_OPT_PREFIX_INFO;
    case 'redirected-header':
      return NDP_OPT_REDIRECTED_HEADER;
    case 'mtu':
      return NDP_OPT_MTU;
    case 'unknown':
      return o.type;
  }
}

/**
 * Writes options at b[o..), zero-padding each to 8 octets. A given `length`
 * overrides the Length byte (fuzzing: 0, or a length that lies). Returns
 * the bytes written.
 */
export function writeNdpOptions(b: Uint8Array, o: number, opts: readonly NdpOption[]): number {
  let p = o;
  for (const opt of opts) {
    const size = ndpOptionSize(opt);
    b.fill(0, p, p + size);
    b[p] = optionType(opt);
    b[p + 1] = opt.length ?? size >> 3;
    switch (opt.kind) {
      case 'source-lla':
      case 'target-lla':
        b.set(opt.address, p + 2);
        break;
      case 'prefix-info':
        b[p + 2] = opt.prefixLength;
        b[p + 3] = opt.flags;
        writeU32(b, p + 4, opt.validLifetime);
        writeU32(b, p + 8, opt.preferredLifetime);
        writeU32(b, p + 12, opt.reserved2);
        b.set(opt.prefix.subarray(0, 16), p + 16);
        break;
      case 'redirected-header':
        b.set(opt.packet, p + 8);
        break;
      case 'mtu':
        writeU16(b, p + 2, 0);
        writeU32(b, p + 4, opt.mtu);
        break;
      case 'unknown':
        b.set(opt.data, p + 2);
        break;
    }
    p += size;
  }
  return p - o;
}
