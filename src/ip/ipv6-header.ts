import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import type { IPv6Address } from '../core/address.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { fail, type ParseResult } from '../core/result.js';
import {
  IPV6_EXT_DSTOPTS,
  IPV6_EXT_FRAGMENT,
  IPV6_EXT_HOPOPTS,
  IPV6_EXT_ROUTING,
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_OPT_PAD1,
  IPV6_OPT_PADN,
} from './ipv6-extensions.js';

export * from './ipv6-extensions.js';

/**
 * IPv6 fixed header codec (RFC 8200 §3) and extension-header builder
 * (RFC 8200 §4). The extension-header walker lives in `ipv6-extensions.ts`
 * and is re-exported from here.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Source Address (16 octets)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination Address (16 octets)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
export const IPV6_HEADER_LEN = 40;
/** RFC 8200 §5: every link carries packets of at least this size unfragmented. */
export const IPV6_MIN_MTU = 1280;

/** Offsets of the fixed-header fields. */
export const IPV6_F_VERSION_TC_FLOW = 0;
export const IPV6_F_PAYLOAD_LENGTH = 4;
export const IPV6_F_NEXT_HEADER = 6;
export const IPV6_F_HOP_LIMIT = 7;
export const IPV6_F_SRC = 8;
export const IPV6_F_DST = 24;

/** A parsed IPv6 fixed header. Addresses and payload are views into the packet, not copies. */
export interface Ipv6Packet {
  readonly version: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** The Payload Length field as received. */
  readonly payloadLength: number;
  /** The fixed header's Next Header (the first extension header or the upper layer). */
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: IPv6Address;
  readonly dst: IPv6Address;
  /** Bytes [40, 40 + payloadLength): extension headers and upper-layer data, link padding excluded. */
  readonly payload: Uint8Array;
}

/**
 * Parses the IPv6 fixed header of `b`. Bytes beyond Payload Length (link
 * padding, e.g. Ethernet minimum frame fill) are ignored. Jumbograms
 * (RFC 2675, Payload Length 0 with a Jumbo option) are not supported: such a
 * packet parses with an empty payload and then fails the extension walk.
 */
export function parseIpv6(b: Uint8Array): ParseResult<Ipv6Packet> {
  if (b.length < IPV6_HEADER_LEN) return fail('ipv6-truncated');
  const word0 = readU32(b, IPV6_F_VERSION_TC_FLOW);
  const version = word0 >>> 28;
  if (version !== 6) return fail('ipv6-bad-version');
  const payloadLength = readU16(b, IPV6_F_PAYLOAD_LENGTH);
  if (IPV6_HEADER_LEN + payloadLength > b.length) return fail('ipv6-truncated');
  return {
    ok: true,
    value: {
      version,
      trafficClass: (word0 >>> 20) & 0xff,
      flowLabel: word0 & 0xfffff,
      payloadLength,
      nextHeader: b[IPV6_F_NEXT_HEADER]!,
      hopLimit: b[IPV6_F_HOP_LIMIT]!,
      src: b.subarray(IPV6_F_SRC, IPV6_F_SRC + 16),
      dst: b.subarray(IPV6_F_DST, IPV6_F_DST + 16),
      payload: b.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + payloadLength),
    },
  };
}

/** One TLV option for a Hop-by-Hop or Destination Options header (RFC 8200 §4.2). */
export interface Ipv6OptionSpec {
  /** Option Type. 0 (Pad1) is written as a single byte with no length or data. */
  type: number;
  data?: Uint8Array;
  /** Override the Opt Data Len byte (default: data length). */
  length?: number;
}

/** Hop-by-Hop (RFC 8200 §4.3) or Destination Options (§4.6) header to build. */
export interface Ipv6OptionsHeaderSpec {
  kind: 'hbh' | 'dstopts';
  options: readonly Ipv6OptionSpec[];
  /** Override this header's Next Header byte (default: the type of what follows). */
  nextHeader?: number;
  /** Override Hdr Ext Len (default: derived from the padded size). */
  hdrExtLen?: number;
  /** Pad to a multiple of 8 octets with Pad1/PadN (default true). */
  pad?: boolean;
}

/** Routing header (RFC 8200 §4.4) to build. */
export interface Ipv6RoutingSpec {
  kind: 'routing';
  routingType: number;
  segmentsLeft: number;
  /**
   * Type-specific data after the first 4 bytes (default 4 zero bytes, making
   * the minimum 8-byte header). Give 4 + 8k bytes for a well-formed header;
   * other sizes make Hdr Ext Len disagree with the bytes written (fuzzing).
   */
  data?: Uint8Array;
  nextHeader?: number;
  hdrExtLen?: number;
}

/** Fragment header (RFC 8200 §4.5) to build. */
export interface Ipv6FragmentSpec {
  kind: 'fragment';
  /** Fragment Offset in bytes; written in 8-octet units (the low 3 bits are dropped). */
  offset: number;
  more: boolean;
  identification: number;
  nextHeader?: number;
  /** The 8-bit Reserved byte and the 2-bit Res field, for fuzzing (default 0). */
  reserved?: number;
  res?: number;
}

/** Any extension header to build, in wire order. */
export type Ipv6ExtensionSpec = Ipv6OptionsHeaderSpec | Ipv6RoutingSpec | Ipv6FragmentSpec;

/** Fields for building an IPv6 packet. Derived fields are computed unless given. */
export interface Ipv6Spec {
  src: IPv6Address;
  dst: IPv6Address;
  /** The upper-layer protocol carried after the last extension header (59 = no next header). */
  protocol: number;
  trafficClass?: number;
  flowLabel?: number;
  /** Default 64. */
  hopLimit?: number;
  /** Override the version nibble (default 6). */
  version?: number;
  /** Override Payload Length (default: extension headers + payload). */
  payloadLength?: number;
  /** Override the fixed header's Next Header (default: first extension header, else `protocol`). */
  nextHeader?: number;
  extensions?: readonly Ipv6ExtensionSpec[];
}

/** The protocol number of an extension header spec. */
export function extensionType(e: Ipv6ExtensionSpec): number {
  switch (e.kind) {
    case 'hbh':
      return IPV6_EXT_HOPOPTS;
    case 'dstopts':
      return IPV6_EXT_DSTOPTS;
    case 'routing':
      return IPV6_EXT_ROUTING;
    case 'fragment':
      return IPV6_EXT_FRAGMENT;
  }
}

function optionsRawLength(options: readonly Ipv6OptionSpec[]): number {
  let n = 2;
  for (const o of options) n += o.type === IPV6_OPT_PAD1 ? 1 : 2 + (o.data?.length ?? 0);
  return n;
}

/** Wire length of one extension header as it will be written. */
export function extensionLength(e: Ipv6ExtensionSpec): number {
  switch (e.kind) {
    case 'hbh':
    case 'dstopts': {
      const raw = optionsRawLength(e.options);
      return e.pad === false ? raw : (raw + 7) & ~7;
    }
    case 'routing':
      return 4 + (e.data?.length ?? 4);
    case 'fragment':
      return IPV6_FRAGMENT_HEADER_LEN;
  }
}

/** Total wire length of a list of extension headers. */
export function extensionsLength(exts: readonly Ipv6ExtensionSpec[] | undefined): number {
  let n = 0;
  if (exts) for (const e of exts) n += extensionLength(e);
  return n;
}

/**
 * Writes padding of `n` bytes at `o` the way RFC 8200 §4.2 prescribes: one
 * Pad1 for a single byte, otherwise one PadN with zeroed data (RFC 4942 §2.1.9.5
 * asks receivers to check that PadN data is zero; Linux does).
 */
function writePadding(b: Uint8Array, o: number, n: number): void {
  if (n === 0) return;
  if (n === 1) {
    b[o] = IPV6_OPT_PAD1;
    return;
  }
  b[o] = IPV6_OPT_PADN;
  b[o + 1] = n - 2;
  b.fill(0, o + 2, o + n);
}

/** Writes one extension header at `b[o..)`; returns its length. */
function writeExtension(b: Uint8Array, o: number, e: Ipv6ExtensionSpec, next: number): number {
  const len = extensionLength(e);
  b[o] = e.nextHeader ?? next;
  switch (e.kind) {
    case 'hbh':
    case 'dstopts': {
      b[o + 1] = e.hdrExtLen ?? Math.max(0, (len >> 3) - 1);
      let p = o + 2;
      for (const opt of e.options) {
        b[p++] = opt.type;
        if (opt.type === IPV6_OPT_PAD1) continue;
        const data = opt.data ?? EMPTY;
        b[p++] = opt.length ?? data.length;
        b.set(data, p);
        p += data.length;
      }
      writePadding(b, p, o + len - p);
      break;
    }
    case 'routing': {
      b[o + 1] = e.hdrExtLen ?? Math.max(0, (len >> 3) - 1);
      b[o + 2] = e.routingType;
      b[o + 3] = e.segmentsLeft;
      if (e.data) b.set(e.data, o + 4);
      else b.fill(0, o + 4, o + 8);
      break;
    }
    case 'fragment': {
      b[o + 1] = e.reserved ?? 0;
      writeU16(b, o + 2, (e.offset & 0xfff8) | ((e.res ?? 0) & 3) << 1 | (e.more ? 1 : 0));
      writeU32(b, o + 4, e.identification);
      break;
    }
  }
  return len;
}

const EMPTY = new Uint8Array(0);

/**
 * Writes the fixed header and extension headers at `b[o..)`, assuming
 * `payloadLen` bytes of upper-layer data follow them. Returns the number of
 * header bytes written (40 + extensions).
 */
export function writeIpv6Headers(b: Uint8Array, o: number, spec: Ipv6Spec, payloadLen: number): number {
  const exts = spec.extensions ?? NO_EXTENSIONS;
  const extLen = extensionsLength(exts);
  const word0 =
    (((spec.version ?? 6) & 0xf) << 28) | ((spec.trafficClass ?? 0) & 0xff) << 20 | ((spec.flowLabel ?? 0) & 0xfffff);
  writeU32(b, o + IPV6_F_VERSION_TC_FLOW, word0 >>> 0);
  writeU16(b, o + IPV6_F_PAYLOAD_LENGTH, spec.payloadLength ?? extLen + payloadLen);
  b[o + IPV6_F_NEXT_HEADER] = spec.nextHeader ?? (exts.length > 0 ? extensionType(exts[0]!) : spec.protocol);
  b[o + IPV6_F_HOP_LIMIT] = spec.hopLimit ?? 64;
  b.set(spec.src.subarray(0, 16), o + IPV6_F_SRC);
  b.set(spec.dst.subarray(0, 16), o + IPV6_F_DST);
  let p = o + IPV6_HEADER_LEN;
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? extensionType(exts[i + 1]!) : spec.protocol;
    p += writeExtension(b, p, exts[i]!, next);
  }
  return p - o;
}

const NO_EXTENSIONS: readonly Ipv6ExtensionSpec[] = Object.freeze([]);

/**
 * Prepends the IPv6 header (and extension headers) in front of the
 * upper-layer data that `pkt` currently views (the transmit path: the
 * transport has written its segment, IP pushes its header without a copy).
 */
export function writeIpv6(pkt: PacketBuffer, spec: Ipv6Spec): void {
  const payloadLen = pkt.length;
  const hdrLen = IPV6_HEADER_LEN + extensionsLength(spec.extensions);
  const o = pkt.prepend(hdrLen);
  writeIpv6Headers(pkt.buf, o, spec, payloadLen);
}

/** Builds a complete IPv6 packet in a new buffer. */
export function buildIpv6(spec: Ipv6Spec, payload: Uint8Array = EMPTY): Uint8Array {
  const hdrLen = IPV6_HEADER_LEN + extensionsLength(spec.extensions);
  const b = new Uint8Array(hdrLen + payload.length);
  writeIpv6Headers(b, 0, spec, payload.length);
  b.set(payload, hdrLen);
  return b;
}
