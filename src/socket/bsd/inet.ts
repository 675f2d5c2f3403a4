import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, readIPv4 } from '../../core/address.js';
import { AF_INET, AF_INET6 } from './constants.js';

/**
 * inet_pton(3): text to network-order bytes (4 for AF_INET, 16 for
 * AF_INET6). AF_INET takes exactly a dotted quad of decimal octets without
 * leading zeros (as glibc's inet_pton does, unlike inet_aton); AF_INET6
 * takes RFC 4291 §2.2 text, `::` and a trailing dotted quad included.
 * Returns null when `src` is not an address of the family (C returns 0).
 * Throws TypeError for another family (C returns -1 with EAFNOSUPPORT).
 */
export function inet_pton(af: number, src: string): Uint8Array | null {
  if (af === AF_INET) {
    const a = parseIPv4(src);
    if (a === null) return null;
    return new Uint8Array([a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);
  }
  if (af === AF_INET6) {
    // Zone identifiers (fe80::1%eth0) are not part of inet_pton's grammar.
    if (src.includes('%')) return null;
    return parseIPv6(src);
  }
  throw new TypeError(`inet_pton: unsupported address family ${af}`);
}

/**
 * inet_ntop(3): network-order bytes to text. IPv6 text is RFC 5952's
 * canonical form (IPv4-mapped addresses keep the dotted quad). Returns null
 * when `src` has the wrong length for the family (C fails with ENOSPC /
 * EAFNOSUPPORT); throws TypeError for another family.
 */
export function inet_ntop(af: number, src: Uint8Array): string | null {
  if (af === AF_INET) return src.length === 4 ? formatIPv4(readIPv4(src, 0)) : null;
  if (af === AF_INET6) return src.length === 16 ? formatIPv6(src) : null;
  throw new TypeError(`inet_ntop: unsupported address family ${af}`);
}
