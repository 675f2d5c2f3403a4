import { readU16, writeU16, writeU32 } from '../core/bytes.js';
import { internetChecksum } from '../ip/checksum.js';
import { IPV6_EXT_FRAGMENT, IPV6_FRAGMENT_HEADER_LEN } from '../ip/ipv6-extensions.js';
import { build, type Inner } from './layer.js';

/**
 * Cutting crafted datagrams into fragments — including the ones no
 * honest sender makes: overlapping, duplicated, with different bytes in the
 * overlap (the teardrop family; RFC 1858, RFC 5722), or with a last fragment
 * that ends before an earlier one.
 */

/** One fragment to cut: `length` bytes of the datagram's payload from `offset` (a multiple of 8). */
export interface FragmentPiece {
  offset: number;
  length: number;
  /** More Fragments flag (default: the piece ends before the payload does). */
  more?: boolean;
  /** Bytes to carry instead of the payload's (e.g. different data in an overlap). */
  data?: Uint8Array;
}

function pieceData(payload: Uint8Array, p: FragmentPiece): Uint8Array {
  if (p.data !== undefined) return p.data;
  // Beyond the payload's end (a lying piece) the fragment carries zeros.
  const d = new Uint8Array(Math.max(0, p.length));
  d.set(payload.subarray(Math.min(p.offset, payload.length), Math.min(p.offset + p.length, payload.length)));
  return d;
}

function checkOffset(offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xfff8 || offset % 8 !== 0) {
    throw new RangeError('craft fragment: offsets are multiples of 8 in 0..65528');
  }
}

/**
 * IPv4 fragments (RFC 791 §3.2) of a whole datagram: each keeps the
 * original header (options included) with total length, MF, fragment
 * offset and header checksum rewritten.
 */
export function fragmentIpv4(datagram: Inner, pieces: readonly FragmentPiece[]): Uint8Array[] {
  const whole = build(datagram);
  const hl = (whole[0]! & 0x0f) << 2;
  if (whole.length < 20 || hl < 20 || hl > whole.length) throw new RangeError('craft fragmentIpv4: not an IPv4 datagram');
  const end = Math.min(Math.max(readU16(whole, 2), hl), whole.length);
  const payload = whole.subarray(hl, end);
  const keptFlags = readU16(whole, 6) & 0xc000; // reserved and DF stay as they were
  return pieces.map((p) => {
    checkOffset(p.offset);
    const data = pieceData(payload, p);
    const f = new Uint8Array(hl + data.length);
    f.set(whole.subarray(0, hl));
    f.set(data, hl);
    const more = p.more ?? p.offset + p.length < payload.length;
    writeU16(f, 2, f.length);
    writeU16(f, 6, keptFlags | (more ? 0x2000 : 0) | (p.offset >>> 3));
    writeU16(f, 10, 0);
    writeU16(f, 10, internetChecksum(f, 0, hl));
    return f;
  });
}

/**
 * IPv6 fragments (RFC 8200 §4.5) of a whole packet: the fixed header is the
 * unfragmentable part; everything after it (extension headers included) is
 * cut, and a Fragment header with `identification` goes in front of each piece.
 */
export function fragmentIpv6(packet: Inner, pieces: readonly FragmentPiece[], identification: number): Uint8Array[] {
  const whole = build(packet);
  if (whole.length < 40 || whole[0]! >>> 4 !== 6) throw new RangeError('craft fragmentIpv6: not an IPv6 packet');
  const payload = whole.subarray(40, Math.min(40 + readU16(whole, 4), whole.length));
  const nextHeader = whole[6]!;
  return pieces.map((p) => {
    checkOffset(p.offset);
    const data = pieceData(payload, p);
    const f = new Uint8Array(40 + IPV6_FRAGMENT_HEADER_LEN + data.length);
    f.set(whole.subarray(0, 40));
    f[6] = IPV6_EXT_FRAGMENT;
    writeU16(f, 4, IPV6_FRAGMENT_HEADER_LEN + data.length);
    const more = p.more ?? p.offset + p.length < payload.length;
    f[40] = nextHeader;
    f[41] = 0;
    writeU16(f, 42, p.offset | (more ? 1 : 0));
    writeU32(f, 44, identification >>> 0);
    f.set(data, 48);
    return f;
  });
}

/**
 * Pieces of `size` bytes covering `payloadLength` bytes in order (the honest
 * cut). `size` is rounded down to a multiple of 8 (at least 8).
 */
export function evenPieces(payloadLength: number, size: number): FragmentPiece[] {
  const step = Math.max(8, size & ~7);
  const out: FragmentPiece[] = [];
  for (let o = 0; o < payloadLength; o += step) out.push({ offset: o, length: Math.min(step, payloadLength - o) });
  return out;
}
