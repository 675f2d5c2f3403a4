/**
 * IPv4 options (RFC 791 §3.1): a walker over the raw option bytes of a
 * header, and encoders for the few options the stack or its tests send.
 *
 * Each option is either a single octet (End of Option List, No Operation)
 * or type, length (counting type and length octets) and value:
 *
 * ```
 *  +--------+--------+--------...
 *  |  type  | length |  value
 *  +--------+--------+--------...
 *   type = copied(1) | class(2) | number(5)
 * ```
 */

/** End of Option List: ends the list; what follows is padding. */
export const IPOPT_EOL = 0;
/** No Operation: one-byte filler, e.g. to align the next option. */
export const IPOPT_NOP = 1;
/** Record Route (RFC 791). */
export const IPOPT_RR = 7;
/** Internet Timestamp (RFC 791). */
export const IPOPT_TS = 68;
/** Basic Security (RFC 1108; RFC 791's Security option was 130 as well). */
export const IPOPT_SEC = 130;
/** Loose Source and Record Route (RFC 791). */
export const IPOPT_LSRR = 131;
/** Commercial IP Security Option (CIPSO, draft; Linux parses it). */
export const IPOPT_CIPSO = 134;
/** Stream Identifier (RFC 791, obsolete per RFC 6814). */
export const IPOPT_SID = 136;
/** Strict Source and Record Route (RFC 791). */
export const IPOPT_SSRR = 137;
/** Router Alert (RFC 2113): length 4, value 0 = "examine packet". */
export const IPOPT_RA = 148;

/** RFC 791: options with the copied flag set are copied into every fragment. */
export function ipv4OptionCopied(type: number): boolean {
  return (type & 0x80) !== 0;
}

/** One option found by {@link walkIpv4Options}. */
export interface Ipv4Option {
  readonly type: number;
  /** Offset of the type octet within the options bytes (add 20 for an offset in the header). */
  readonly offset: number;
  /** Bytes the option occupies: 1 for EOL/NOP, else its length octet. */
  readonly length: number;
  /** The value after type and length (empty for EOL/NOP); a view, not a copy. */
  readonly data: Uint8Array;
}

/** What {@link walkIpv4Options} found. */
export interface Ipv4OptionsWalk {
  /** The well-formed options, in order, up to the first malformed one (EOL included when present). */
  readonly options: readonly Ipv4Option[];
  /**
   * Null if the whole list is well formed, else a reason tag:
   * `ipv4-opt-truncated` (the length octet or the value runs past the end),
   * `ipv4-opt-bad-length` (a length below the option's minimum or, for
   * fixed-size options, not its size), `ipv4-opt-bad-pointer` (a route or
   * timestamp pointer below its minimum).
   */
  readonly error: string | null;
  /**
   * Offset (within the options bytes) of the offending octet, -1 if none.
   * Add the 20-byte fixed header for the pointer of an ICMP Parameter
   * Problem (RFC 1122 §3.2.2.5, as Linux's ip_options_compile does).
   */
  readonly errorOffset: number;
}

const NO_OPTIONS: readonly Ipv4Option[] = Object.freeze([]);
const EMPTY_WALK: Ipv4OptionsWalk = Object.freeze({ options: NO_OPTIONS, error: null, errorOffset: -1 });

/**
 * The smallest valid length octet per option type. Minima follow RFC 791:
 * a route option needs a pointer (3), a timestamp a pointer and
 * overflow/flags (4); Basic Security needs a classification (RFC 1108 §2).
 */
function minLength(type: number): number {
  switch (type) {
    case IPOPT_RR:
    case IPOPT_LSRR:
    case IPOPT_SSRR:
      return 3;
    case IPOPT_TS:
    case IPOPT_RA:
    case IPOPT_SID:
      return 4;
    case IPOPT_SEC:
      return 3;
    default:
      return 2;
  }
}

/** The only valid length of fixed-size options (RFC 2113 §2.1 Router Alert, RFC 791 Stream ID), else 0. */
function fixedLength(type: number): number {
  switch (type) {
    case IPOPT_RA:
    case IPOPT_SID:
      return 4;
    default:
      return 0;
  }
}

/** The smallest valid pointer octet (third byte) of route and timestamp options, 0 for others (RFC 791). */
function minPointer(type: number): number {
  switch (type) {
    case IPOPT_RR:
    case IPOPT_LSRR:
    case IPOPT_SSRR:
      return 4;
    case IPOPT_TS:
      return 5;
    default:
      return 0;
  }
}

/**
 * Walks the option bytes of an IPv4 header (`Ipv4Header.options`). Never
 * throws and always terminates: every step consumes at least one byte.
 * Stops at EOL (RFC 791: the rest is padding) or at the first malformed
 * option, reporting where it is.
 */
export function walkIpv4Options(opts: Uint8Array): Ipv4OptionsWalk {
  if (opts.length === 0) return EMPTY_WALK;
  const options: Ipv4Option[] = [];
  let o = 0;
  while (o < opts.length) {
    const type = opts[o]!;
    if (type === IPOPT_EOL || type === IPOPT_NOP) {
      options.push({ type, offset: o, length: 1, data: opts.subarray(o + 1, o + 1) });
      if (type === IPOPT_EOL) break;
      o += 1;
      continue;
    }
    if (o + 1 >= opts.length) return { options, error: 'ipv4-opt-truncated', errorOffset: o };
    const len = opts[o + 1]!;
    const fixed = fixedLength(type);
    if (len < minLength(type) || (fixed !== 0 && len !== fixed)) {
      return { options, error: 'ipv4-opt-bad-length', errorOffset: o + 1 };
    }
    if (o + len > opts.length) return { options, error: 'ipv4-opt-truncated', errorOffset: o + 1 };
    const minPtr = minPointer(type);
    if (minPtr !== 0 && opts[o + 2]! < minPtr) {
      return { options, error: 'ipv4-opt-bad-pointer', errorOffset: o + 2 };
    }
    options.push({ type, offset: o, length: len, data: opts.subarray(o + 2, o + len) });
    o += len;
  }
  return { options, error: null, errorOffset: -1 };
}

/** Pads option bytes with EOL (zero) octets to a multiple of 4, as the header length is in 32-bit words. */
export function padIpv4Options(opts: Uint8Array): Uint8Array {
  const padded = (opts.length + 3) & ~3;
  if (padded === opts.length) return opts;
  const out = new Uint8Array(padded);
  out.set(opts);
  return out;
}

/** A Router Alert option (RFC 2113 §2.1): 94 04 plus a 16-bit value, 0 meaning "examine packet". */
export function routerAlertOption(value = 0): Uint8Array {
  return new Uint8Array([IPOPT_RA, 4, (value >>> 8) & 0xff, value & 0xff]);
}

/**
 * An empty Record Route option (RFC 791) with room for `slots` addresses:
 * type 7, length 3 + 4·slots, pointer 4 (the first free slot).
 */
export function recordRouteOption(slots: number): Uint8Array {
  if (!Number.isInteger(slots) || slots < 1 || slots > 9) {
    throw new RangeError('recordRouteOption: 1..9 slots fit in 40 option bytes');
  }
  const out = new Uint8Array(3 + 4 * slots);
  out[0] = IPOPT_RR;
  out[1] = out.length;
  out[2] = 4;
  return out;
}
