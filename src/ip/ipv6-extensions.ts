import { readU16, readU32 } from '../core/bytes.js';

/**
 * IPv6 extension-header walker (RFC 8200 §4). It never throws: every
 * malformation comes back as a reason tag plus, where the RFC asks for one,
 * the ICMPv6 Parameter Problem code and pointer to send.
 *
 * Extension header layouts (RFC 8200 §4.3–4.6):
 *
 * ```
 *  Hop-by-Hop / Destination Options      Routing
 * +-------------+-------------+------   +-------------+-------------+-------------+-------------+
 * | Next Header | Hdr Ext Len | TLVs    | Next Header | Hdr Ext Len | RoutingType | SegmentsLeft|
 * +-------------+-------------+------   +-------------+-------------+-------------+-------------+
 *   length = 8 * (Hdr Ext Len + 1)        type-specific data ...   length = 8 * (Hdr Ext Len + 1)
 *
 *  Fragment (always 8 octets)
 * +-------------+-------------+-------------------------+---+-+
 * | Next Header |  Reserved   |     Fragment Offset     |Res|M|
 * +-------------+-------------+-------------------------+---+-+
 * |                      Identification                       |
 * +-----------------------------------------------------------+
 *
 *  Option TLV: | Option Type | Opt Data Len | Option Data ... |   (Pad1 is the single byte 0)
 * ```
 */

/** Hop-by-Hop Options (RFC 8200 §4.3). */
export const IPV6_EXT_HOPOPTS = 0;
/** Routing (RFC 8200 §4.4). */
export const IPV6_EXT_ROUTING = 43;
/** Fragment (RFC 8200 §4.5). */
export const IPV6_EXT_FRAGMENT = 44;
/** No Next Header (RFC 8200 §4.7). */
export const IPV6_NO_NEXT_HEADER = 59;
/** Destination Options (RFC 8200 §4.6). */
export const IPV6_EXT_DSTOPTS = 60;

export const IPV6_FRAGMENT_HEADER_LEN = 8;

/** Option types (RFC 8200 §4.2, RFC 2711). */
export const IPV6_OPT_PAD1 = 0;
export const IPV6_OPT_PADN = 1;
export const IPV6_OPT_ROUTER_ALERT = 5;

/**
 * What to do with an unrecognised option: the two high-order bits of its type
 * (RFC 8200 §4.2).
 */
export const IPV6_OPT_ACTION_SKIP = 0;
/** Discard the packet silently. */
export const IPV6_OPT_ACTION_DISCARD = 1;
/** Discard and send Parameter Problem code 2 pointing at the option type, whatever the destination. */
export const IPV6_OPT_ACTION_DISCARD_ICMP = 2;
/** As 2, but only if the destination was not a multicast address. */
export const IPV6_OPT_ACTION_DISCARD_ICMP_UNICAST = 3;

/** Routing type 0, deprecated by RFC 5095: must be treated as unrecognised. */
export const IPV6_ROUTING_TYPE0 = 0;

/** ICMPv6 Parameter Problem codes the walker suggests (RFC 4443 §3.4, RFC 7112). */
export const PARAM_PROBLEM_HEADER = 0;
export const PARAM_PROBLEM_NEXT_HEADER = 1;
export const PARAM_PROBLEM_OPTION = 2;
export const PARAM_PROBLEM_INCOMPLETE_CHAIN = 3;

/** The Fragment header of a packet. */
export interface Ipv6FragmentInfo {
  /** Offset of the Fragment header in the packet = the length of the unfragmentable part. */
  readonly headerOffset: number;
  /** Offset of the Next Header byte that named the Fragment header (6 when it follows the fixed header). */
  readonly nextHeaderField: number;
  /** The Fragment header's Next Header: the first header of the fragmentable part. */
  readonly nextHeader: number;
  /** Fragment Offset in bytes (a multiple of 8). */
  readonly offset: number;
  /** M flag: more fragments follow. */
  readonly more: boolean;
  readonly identification: number;
  /** Offset of the fragment's data (headerOffset + 8). */
  readonly dataOffset: number;
}

/** A Routing header (the walker does not process it; the stack decides). */
export interface Ipv6RoutingInfo {
  readonly offset: number;
  readonly routingType: number;
  readonly segmentsLeft: number;
}

/** An option the walker does not recognise, with what RFC 8200 §4.2 says to do about it. */
export interface Ipv6UnknownOption {
  /** IPV6_EXT_HOPOPTS or IPV6_EXT_DSTOPTS. */
  readonly header: number;
  readonly type: number;
  /** The two high-order bits of the type: IPV6_OPT_ACTION_*. */
  readonly action: number;
  /** Offset of the Option Type byte: the Parameter Problem pointer (code 2). */
  readonly offset: number;
  /** Opt Data Len. */
  readonly length: number;
}

/** What the walk found. Offsets are from the start of the bytes passed in (the IPv6 header when given the whole packet). */
export interface Ipv6Extensions {
  /** The final Next Header: upper-layer protocol, 59 for none, or for a fragment the Fragment header's Next Header. */
  readonly protocol: number;
  /** Offset of the upper-layer header (or of the fragment data). */
  readonly payloadOffset: number;
  /** Offset of the byte that holds `protocol`: the pointer for Parameter Problem code 1 (unrecognised Next Header). */
  readonly nextHeaderField: number;
  /** Number of extension headers walked. */
  readonly headerCount: number;
  /**
   * The Fragment header, if one was met. The walk stops there: what follows
   * is fragment data, to be walked again after reassembly (RFC 8200 §4.5).
   */
  readonly fragment: Ipv6FragmentInfo | null;
  /** The last Routing header met, if any. Type 0 (RFC 5095) and unknown types are the stack's to refuse. */
  readonly routing: Ipv6RoutingInfo | null;
  /** Unrecognised options in order of appearance; the first with a non-skip action decides (RFC 8200 §4.2). */
  readonly unknownOptions: readonly Ipv6UnknownOption[];
  /** Router Alert value (RFC 2711; 0 = MLD) if the Hop-by-Hop header had one, else -1. */
  readonly routerAlert: number;
}

/** A failed walk. `icmpCode` is the Parameter Problem code to send (-1: drop silently) and `pointer` its pointer. */
export interface Ipv6WalkFailure {
  readonly ok: false;
  readonly reason: string;
  readonly icmpCode: number;
  readonly pointer: number;
}

export type Ipv6WalkResult = { readonly ok: true; readonly value: Ipv6Extensions } | Ipv6WalkFailure;

/** Limits and policy for {@link walkIpv6Extensions}. */
export interface Ipv6WalkOptions {
  /** Maximum extension headers before giving up (default 8). */
  maxHeaders?: number;
  /** Maximum non-padding options per options header (default 8, as Linux's max_{hbh,dst}_opts_number). */
  maxOptions?: number;
  /**
   * Whether an option type is understood in the given header. Default: only
   * Router Alert in Hop-by-Hop. Unrecognised options are reported, not refused.
   */
  isKnownOption?: (header: number, type: number) => boolean;
  /**
   * True when walking from the header right after the fixed header, where a
   * Hop-by-Hop header is allowed (default true). Pass false when walking the
   * fragmentable part of a fragment.
   */
  hopByHopAllowed?: boolean;
  /**
   * Offset of the byte that names `firstNextHeader`, reported back as
   * `nextHeaderField` if no extension header follows (default: 6 when
   * `start` is 40, else `start - 8`, i.e. a Fragment header just before).
   */
  nextHeaderField?: number;
}

/**
 * Consecutive padding bytes allowed. RFC 8200 §4.2 padding never needs more
 * than 7 bytes; Linux refuses more (a covert-channel and DoS concern, RFC 4942
 * §2.1.9.5) and so do we.
 */
const MAX_PAD = 7;

const NO_OPTIONS: readonly Ipv6UnknownOption[] = Object.freeze([]);

function defaultKnownOption(header: number, type: number): boolean {
  return header === IPV6_EXT_HOPOPTS && type === IPV6_OPT_ROUTER_ALERT;
}

function walkFail(reason: string, icmpCode = -1, pointer = -1): Ipv6WalkFailure {
  return { ok: false, reason, icmpCode, pointer };
}

/** State threaded through the option walk (one per walk, only when an options header is present). */
interface OptionsState {
  unknown: Ipv6UnknownOption[] | null;
  routerAlert: number;
}

/**
 * Walks the TLVs of an options header occupying b[start, end). Returns null
 * when fine, or the failure.
 */
function walkOptions(
  b: Uint8Array,
  header: number,
  start: number,
  end: number,
  st: OptionsState,
  maxOptions: number,
  isKnown: (header: number, type: number) => boolean,
): Ipv6WalkFailure | null {
  let p = start + 2;
  let pad = 0;
  let count = 0;
  while (p < end) {
    const type = b[p]!;
    if (type === IPV6_OPT_PAD1) {
      if (++pad > MAX_PAD) return walkFail('ipv6-bad-padding');
      p++;
      continue;
    }
    if (p + 2 > end) return walkFail('ipv6-bad-option-length');
    const len = b[p + 1]!;
    if (p + 2 + len > end) return walkFail('ipv6-bad-option-length');
    if (type === IPV6_OPT_PADN) {
      pad += len + 2;
      if (pad > MAX_PAD) return walkFail('ipv6-bad-padding');
      // RFC 4942 §2.1.9.5: PadN carries zeros; anything else is a covert channel.
      for (let i = p + 2; i < p + 2 + len; i++) if (b[i] !== 0) return walkFail('ipv6-bad-padding');
      p += 2 + len;
      continue;
    }
    pad = 0;
    if (++count > maxOptions) return walkFail('ipv6-too-many-options');
    if (header === IPV6_EXT_HOPOPTS && type === IPV6_OPT_ROUTER_ALERT && isKnown(header, type)) {
      // RFC 2711 §2.1: Opt Data Len is 2; another length is an erroneous field.
      if (len !== 2) return walkFail('ipv6-bad-router-alert', PARAM_PROBLEM_HEADER, p + 1);
      st.routerAlert = readU16(b, p + 2);
    } else if (!isKnown(header, type)) {
      (st.unknown ??= []).push({ header, type, action: type >>> 6, offset: p, length: len });
    }
    p += 2 + len;
  }
  return null;
}

/**
 * Walks the extension headers of an IPv6 packet, starting with the header
 * named `firstNextHeader` at `b[start]` and not reading at or past `end`
 * (pass 40 + Payload Length to ignore link padding). Defaults fit a whole
 * packet: `b[6]`, 40, `b.length`.
 *
 * Stops at the first header that is not Hop-by-Hop, Routing, Fragment or
 * Destination Options: that is the upper layer (AH and ESP included — this
 * stack has no IPsec, so they are "unknown protocols" to it).
 */
export function walkIpv6Extensions(
  b: Uint8Array,
  firstNextHeader: number = b[6] ?? IPV6_NO_NEXT_HEADER,
  start = 40,
  end = b.length,
  opts: Ipv6WalkOptions = {},
): Ipv6WalkResult {
  const maxHeaders = opts.maxHeaders ?? 8;
  const maxOptions = opts.maxOptions ?? 8;
  const isKnown = opts.isKnownOption ?? defaultKnownOption;
  let next = firstNextHeader;
  // The byte naming `next`: the fixed header's Next Header when walking a whole packet.
  let nextField = opts.nextHeaderField ?? (start === 40 ? 6 : start - 8);
  let p = start;
  let count = 0;
  let routing: Ipv6RoutingInfo | null = null;
  let fragment: Ipv6FragmentInfo | null = null;
  let st: OptionsState | null = null;
  if (end > b.length) end = b.length;
  for (;;) {
    if (next !== IPV6_EXT_HOPOPTS && next !== IPV6_EXT_ROUTING && next !== IPV6_EXT_FRAGMENT && next !== IPV6_EXT_DSTOPTS)
      break;
    if (next === IPV6_EXT_HOPOPTS && (count > 0 || opts.hopByHopAllowed === false)) {
      // RFC 8200 §4.1: Hop-by-Hop only right after the IPv6 header; elsewhere
      // it is an unrecognised Next Header (code 1), as Linux treats it.
      return walkFail('ipv6-hbh-not-first', PARAM_PROBLEM_NEXT_HEADER, nextField);
    }
    if (++count > maxHeaders) return walkFail('ipv6-too-many-headers');
    if (next === IPV6_EXT_FRAGMENT) {
      if (p + IPV6_FRAGMENT_HEADER_LEN > end) return walkFail('ipv6-ext-truncated');
      const offMore = readU16(b, p + 2);
      fragment = {
        headerOffset: p,
        nextHeaderField: nextField,
        nextHeader: b[p]!,
        offset: offMore & 0xfff8,
        more: (offMore & 1) === 1,
        identification: readU32(b, p + 4),
        dataOffset: p + IPV6_FRAGMENT_HEADER_LEN,
      };
      nextField = p;
      next = b[p]!;
      p += IPV6_FRAGMENT_HEADER_LEN;
      break;
    }
    if (p + 2 > end) return walkFail('ipv6-ext-truncated');
    const len = (b[p + 1]! + 1) << 3;
    if (p + len > end) return walkFail('ipv6-ext-truncated');
    if (next === IPV6_EXT_ROUTING) {
      routing = { offset: p, routingType: b[p + 2]!, segmentsLeft: b[p + 3]! };
    } else {
      st ??= { unknown: null, routerAlert: -1 };
      const f = walkOptions(b, next, p, p + len, st, maxOptions, isKnown);
      if (f !== null) return f;
    }
    nextField = p;
    next = b[p]!;
    p += len;
  }
  return {
    ok: true,
    value: {
      protocol: next,
      payloadOffset: p,
      nextHeaderField: nextField,
      headerCount: count,
      fragment,
      routing,
      unknownOptions: st?.unknown ?? NO_OPTIONS,
      routerAlert: st?.routerAlert ?? -1,
    },
  };
}

/**
 * The verdict on a Routing header for a host that implements no routing
 * type (RFC 8200 §4.4): with Segments Left 0 the header is ignored; otherwise
 * the packet is discarded with Parameter Problem code 0 pointing at the
 * Routing Type. Type 0 gets the same treatment (RFC 5095 §3), so a type-0
 * header with segments left is never processed.
 */
export function checkRoutingHeader(routing: Ipv6RoutingInfo | null): Ipv6WalkFailure | null {
  if (routing === null || routing.segmentsLeft === 0) return null;
  return walkFail(
    routing.routingType === IPV6_ROUTING_TYPE0 ? 'ipv6-routing-type0' : 'ipv6-bad-routing-type',
    PARAM_PROBLEM_HEADER,
    routing.offset + 2,
  );
}
