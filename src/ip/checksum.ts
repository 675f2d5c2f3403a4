import type { IPv4Address, IPv6Address } from '../core/address.js';

/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of 16-bit words. Sums are accumulated in a JS number (exact
 * to 2^53, far beyond any packet) and folded once at the end.
 */

/** True when this machine stores multi-byte integers little-end first (decided once; a fact, not state). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes the plain loop beats setting up a word view. */
const WORD_PATH_MIN = 64;

/**
 * Adds the bytes [start, end) of `b` as big-endian 16-bit words to `sum`
 * (unfolded). Long runs are summed as native 32-bit words through a
 * Uint32Array view: the ones' complement sum is byte-order independent up to
 * a final byte swap (RFC 1071 §2(B)), so on a little-endian machine the
 * swapped partial sum is folded and swapped back.
 */
export function sumBytes(b: Uint8Array, start = 0, end = b.length, sum = 0): number {
  let i = start;
  if (end - start >= WORD_PATH_MIN) {
    // Reach 4-byte alignment of the underlying buffer with 16-bit steps
    // (alignment of the absolute address keeps word boundaries even).
    while (((b.byteOffset + i) & 3) !== 0 && i + 2 <= end) {
      sum += (b[i]! << 8) | b[i + 1]!;
      i += 2;
    }
    if (((b.byteOffset + i) & 3) === 0) {
      const words = (end - i) >>> 2;
      const view = new Uint32Array(b.buffer, b.byteOffset + i, words);
      let w = 0;
      let j = 0;
      for (; j + 4 <= words; j += 4) w += view[j]! + view[j + 1]! + view[j + 2]! + view[j + 3]!;
      for (; j < words; j++) w += view[j]!;
      // Fold the 32-bit word sum to 16 bits (in the machine's byte order).
      w = (w % 0x10000) + Math.floor(w / 0x10000);
      w = foldSum(w);
      sum += LITTLE_ENDIAN ? ((w & 0xff) << 8) | (w >>> 8) : w;
      i += words << 2;
    }
  }
  for (; i + 8 <= end; i += 8) {
    sum +=
      ((b[i]! << 8) | b[i + 1]!) +
      ((b[i + 2]! << 8) | b[i + 3]!) +
      ((b[i + 4]! << 8) | b[i + 5]!) +
      ((b[i + 6]! << 8) | b[i + 7]!);
  }
  for (; i + 2 <= end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  // An odd trailing byte is padded with a zero byte on the right (RFC 1071 §4.1).
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits, without complementing. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Folds and complements: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** The checksum of b[start, end). Over bytes that already contain a correct checksum it is 0. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return finishChecksum(sumBytes(b, start, end, initial));
}

/** Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1). */
export function pseudoSumV4(src: IPv4Address, dst: IPv4Address, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): upper-layer length is 32 bits. */
export function pseudoSumV6(src: IPv6Address, dst: IPv6Address, nextHeader: number, length: number): number {
  return sumBytes(src, 0, 16) + sumBytes(dst, 0, 16) + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/** Pseudo-header sum for either family (the family follows the address type). */
export function pseudoSum(
  src: IPv4Address | IPv6Address,
  dst: IPv4Address | IPv6Address,
  protocol: number,
  length: number,
): number {
  if (typeof src === 'number' && typeof dst === 'number') return pseudoSumV4(src, dst, protocol, length);
  if (typeof src !== 'number' && typeof dst !== 'number') return pseudoSumV6(src, dst, protocol, length);
  throw new TypeError('pseudoSum: mixed address families');
}

/**
 * Incremental update (RFC 1624 eqn. 3): the new checksum after one 16-bit
 * word of the covered data changed from `oldWord` to `newWord`.
 * HC' = ~(~HC + ~m + m').
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** Incremental update for a changed 32-bit value (e.g. an IPv4 address or a TCP sequence number). */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const c = updateChecksum16(checksum, oldValue >>> 16, newValue >>> 16);
  return updateChecksum16(c, oldValue & 0xffff, newValue & 0xffff);
}
