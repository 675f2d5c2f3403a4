import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';

/**
 * TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018).
 *
 * Parsing fills a reusable {@link TcpOptions} record (no allocation per
 * segment). Writing reproduces Linux's `tcp_options_write` layout byte for
 * byte, because packetdrill compares outbound option lists exactly:
 *
 * ```
 *  SYN, TS+SACK+WS   mss | sackOK TS | nop wscale        (20 bytes)
 *  SYN, no TS        mss | nop nop sackOK | nop wscale
 *  SYN, WS only      mss | nop wscale
 *  SYN, TS no SACK   mss | nop nop TS | nop wscale
 *  data              nop nop TS | nop nop sack <blocks>
 * ```
 */
export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMP = 8;

/** RFC 7323 §2.3: shift counts above 14 are used as 14. */
export const MAX_WSCALE = 14;

/** Options of one segment. Fields are -1 / false / 0 when absent. */
export interface TcpOptions {
  /** MSS option value, or -1. */
  mss: number;
  /** Window scale shift as received (not yet clamped to 14), or -1. */
  wscale: number;
  sackPermitted: boolean;
  hasTimestamp: boolean;
  tsVal: number;
  tsEcr: number;
  /** Number of SACK blocks (0..4). */
  sackCount: number;
  /** SACK blocks as [start0, end0, start1, end1, …] (only the first 2×sackCount entries are valid). */
  readonly sackBlocks: number[];
  /**
   * Options that were skipped: unknown kinds, and known kinds with a wrong
   * length (Linux ignores those and keeps processing the segment). Null when
   * none, so the common case allocates nothing.
   */
  ignored: Array<{ kind: number; data: Uint8Array }> | null;
}

/** A fresh, empty options record. */
export function emptyTcpOptions(): TcpOptions {
  return {
    mss: -1, wscale: -1, sackPermitted: false, hasTimestamp: false, tsVal: 0, tsEcr: 0,
    sackCount: 0, sackBlocks: [0, 0, 0, 0, 0, 0, 0, 0], ignored: null,
  };
}

function reset(o: TcpOptions): void {
  o.mss = -1;
  o.wscale = -1;
  o.sackPermitted = false;
  o.hasTimestamp = false;
  o.tsVal = 0;
  o.tsEcr = 0;
  o.sackCount = 0;
  o.ignored = null;
}

function ignore(out: TcpOptions, kind: number, data: Uint8Array): void {
  (out.ignored ??= []).push({ kind, data });
}

/**
 * Parses the option bytes `b[start, end)` (all of `b` by default) into
 * `out`. Returns null when well formed, or
 * a reason: `tcp-opt-truncated` (a length byte or body runs past the
 * header) or `tcp-opt-bad-length` (a length below 2, which would loop
 * forever — RFC 9293 §3.2 MUST-7 asks us to survive it). Never throws.
 */
export function parseTcpOptionsInto(b: Uint8Array, out: TcpOptions, start = 0, end = b.length): string | null {
  reset(out);
  let i = start;
  const n = end;
  while (i < n) {
    const kind = b[i]!;
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= n) return 'tcp-opt-truncated';
    const len = b[i + 1]!;
    if (len < 2) return 'tcp-opt-bad-length';
    if (i + len > n) return 'tcp-opt-truncated';
    switch (kind) {
      case OPT_MSS:
        if (len === 4) out.mss = readU16(b, i + 2);
        else ignore(out, kind, b.subarray(i + 2, i + len));
        break;
      case OPT_WSCALE:
        if (len === 3) out.wscale = b[i + 2]!;
        else ignore(out, kind, b.subarray(i + 2, i + len));
        break;
      case OPT_SACK_PERMITTED:
        if (len === 2) out.sackPermitted = true;
        else ignore(out, kind, b.subarray(i + 2, i + len));
        break;
      case OPT_TIMESTAMP:
        if (len === 10) {
          out.hasTimestamp = true;
          out.tsVal = readU32(b, i + 2);
          out.tsEcr = readU32(b, i + 6);
        } else ignore(out, kind, b.subarray(i + 2, i + len));
        break;
      case OPT_SACK: {
        const blocks = (len - 2) / 8;
        if (Number.isInteger(blocks) && blocks >= 1 && blocks <= 4) {
          for (let k = 0; k < blocks; k++) {
            out.sackBlocks[2 * k] = readU32(b, i + 2 + 8 * k);
            out.sackBlocks[2 * k + 1] = readU32(b, i + 6 + 8 * k);
          }
          out.sackCount = blocks;
        } else ignore(out, kind, b.subarray(i + 2, i + len));
        break;
      }
      default:
        ignore(out, kind, b.subarray(i + 2, i + len));
    }
    i += len;
  }
  return null;
}

/** Parses option bytes into a fresh record. */
export function parseTcpOptions(b: Uint8Array): ParseResult<TcpOptions> {
  const o = emptyTcpOptions();
  const r = parseTcpOptionsInto(b, o);
  return r === null ? { ok: true, value: o } : fail(r);
}

/** One option in wire order, for exact comparisons (packetdrill) and for fuzzers building odd layouts. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'raw'; type: number; data: Uint8Array };

/**
 * The options in wire order, NOPs included (stops after EOL; trailing EOL
 * padding is not listed). Known kinds with an unexpected length come out as `raw`.
 */
export function decodeTcpOptionList(b: Uint8Array): ParseResult<TcpOption[]> {
  const list: TcpOption[] = [];
  let i = 0;
  while (i < b.length) {
    const kind = b[i]!;
    if (kind === OPT_EOL) {
      list.push({ kind: 'eol' });
      break;
    }
    if (kind === OPT_NOP) {
      list.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= b.length) return fail('tcp-opt-truncated');
    const len = b[i + 1]!;
    if (len < 2) return fail('tcp-opt-bad-length');
    if (i + len > b.length) return fail('tcp-opt-truncated');
    const data = b.subarray(i + 2, i + len);
    if (kind === OPT_MSS && len === 4) list.push({ kind: 'mss', value: readU16(b, i + 2) });
    else if (kind === OPT_WSCALE && len === 3) list.push({ kind: 'wscale', shift: b[i + 2]! });
    else if (kind === OPT_SACK_PERMITTED && len === 2) list.push({ kind: 'sackOK' });
    else if (kind === OPT_TIMESTAMP && len === 10) list.push({ kind: 'ts', val: readU32(b, i + 2), ecr: readU32(b, i + 6) });
    else if (kind === OPT_SACK && len >= 10 && (len - 2) % 8 === 0) {
      const blocks: Array<[number, number]> = [];
      for (let k = i + 2; k < i + len; k += 8) blocks.push([readU32(b, k), readU32(b, k + 4)]);
      list.push({ kind: 'sack', blocks });
    } else list.push({ kind: 'raw', type: kind, data });
    i += len;
  }
  return { ok: true, value: list };
}

/** Encodes options exactly as listed (no reordering, no padding). */
export function encodeTcpOptionList(list: readonly TcpOption[]): Uint8Array {
  let n = 0;
  for (const o of list) n += optionSize(o);
  const b = new Uint8Array(n);
  let i = 0;
  for (const o of list) {
    switch (o.kind) {
      case 'eol': b[i] = OPT_EOL; break;
      case 'nop': b[i] = OPT_NOP; break;
      case 'mss': b[i] = OPT_MSS; b[i + 1] = 4; writeU16(b, i + 2, o.value); break;
      case 'wscale': b[i] = OPT_WSCALE; b[i + 1] = 3; b[i + 2] = o.shift; break;
      case 'sackOK': b[i] = OPT_SACK_PERMITTED; b[i + 1] = 2; break;
      case 'ts': b[i] = OPT_TIMESTAMP; b[i + 1] = 10; writeU32(b, i + 2, o.val >>> 0); writeU32(b, i + 6, o.ecr >>> 0); break;
      case 'sack':
        b[i] = OPT_SACK;
        b[i + 1] = 2 + 8 * o.blocks.length;
        o.blocks.forEach(([s, e], k) => {
          writeU32(b, i + 2 + 8 * k, s >>> 0);
          writeU32(b, i + 6 + 8 * k, e >>> 0);
        });
        break;
      case 'raw': b[i] = o.type; b[i + 1] = 2 + o.data.length; b.set(o.data, i + 2); break;
    }
    i += optionSize(o);
  }
  return b;
}

function optionSize(o: TcpOption): number {
  switch (o.kind) {
    case 'eol': case 'nop': return 1;
    case 'mss': return 4;
    case 'wscale': return 3;
    case 'sackOK': return 2;
    case 'ts': return 10;
    case 'sack': return 2 + 8 * o.blocks.length;
    case 'raw': return 2 + o.data.length;
  }
}

/** What {@link writeLinuxOptions} should emit. -1 / false / 0 mean "leave out". */
export interface OptionPlan {
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  hasTimestamp: boolean;
  tsVal: number;
  tsEcr: number;
  /** SACK blocks to emit (0..4; at most 3 fit beside a timestamp). */
  sackCount: number;
  sackBlocks: number[];
}

/** A reusable plan with everything left out. */
export function emptyOptionPlan(): OptionPlan {
  return { mss: -1, wscale: -1, sackPermitted: false, hasTimestamp: false, tsVal: 0, tsEcr: 0, sackCount: 0, sackBlocks: [0, 0, 0, 0, 0, 0, 0, 0] };
}

/** Bytes {@link writeLinuxOptions} will write for `p` (always a multiple of 4). */
export function linuxOptionsLength(p: OptionPlan): number {
  let n = 0;
  if (p.mss >= 0) n += 4;
  if (p.hasTimestamp) n += 12; // (sackOK | nop nop) TS
  else if (p.sackPermitted) n += 4; // nop nop sackOK
  if (p.wscale >= 0) n += 4;
  if (p.sackCount > 0) n += 4 + 8 * p.sackCount;
  return n;
}

/** Most SACK blocks that fit in 40 option bytes next to what else `p` carries. */
export function maxSackBlocks(hasTimestamp: boolean): number {
  return hasTimestamp ? 3 : 4;
}

/**
 * Writes options in the order and padding of Linux's `tcp_options_write`
 * and returns their length. A SACK-permitted next to a timestamp takes the
 * two NOPs' place in front of it.
 */
export function writeLinuxOptions(b: Uint8Array, o: number, p: OptionPlan): number {
  const start = o;
  if (p.mss >= 0) {
    b[o] = OPT_MSS; b[o + 1] = 4; writeU16(b, o + 2, p.mss);
    o += 4;
  }
  if (p.hasTimestamp) {
    if (p.sackPermitted) {
      b[o] = OPT_SACK_PERMITTED; b[o + 1] = 2;
    } else {
      b[o] = OPT_NOP; b[o + 1] = OPT_NOP;
    }
    b[o + 2] = OPT_TIMESTAMP; b[o + 3] = 10;
    writeU32(b, o + 4, p.tsVal >>> 0);
    writeU32(b, o + 8, p.tsEcr >>> 0);
    o += 12;
  } else if (p.sackPermitted) {
    b[o] = OPT_NOP; b[o + 1] = OPT_NOP; b[o + 2] = OPT_SACK_PERMITTED; b[o + 3] = 2;
    o += 4;
  }
  if (p.wscale >= 0) {
    b[o] = OPT_NOP; b[o + 1] = OPT_WSCALE; b[o + 2] = 3; b[o + 3] = p.wscale;
    o += 4;
  }
  if (p.sackCount > 0) {
    b[o] = OPT_NOP; b[o + 1] = OPT_NOP; b[o + 2] = OPT_SACK; b[o + 3] = 2 + 8 * p.sackCount;
    o += 4;
    for (let k = 0; k < p.sackCount; k++) {
      writeU32(b, o, p.sackBlocks[2 * k]! >>> 0);
      writeU32(b, o + 4, p.sackBlocks[2 * k + 1]! >>> 0);
      o += 8;
    }
  }
  return o - start;
}
