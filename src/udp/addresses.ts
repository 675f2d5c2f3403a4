import { isIPv4Multicast } from '../core/address.js';
import type { IpAddress } from '../ip/types.js';

/**
 * Address comparisons for endpoint tables, written for both families so
 * that IPv6 endpoints (16-byte addresses) slot in beside IPv4 ones (numbers)
 * without a rewrite. IPv4 stays on the fast path: plain number compares.
 */

/** The unspecified address of a family: 0.0.0.0 or ::. */
export function wildcardOf(family: 4 | 6): IpAddress {
  return family === 4 ? 0 : new Uint8Array(16);
}

/** True for 0.0.0.0 and ::. */
export function isWildcard(a: IpAddress): boolean {
  if (typeof a === 'number') return a === 0;
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

/** Equality across both representations (different families are never equal). */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  if (typeof a === 'number') return a === b;
  if (typeof b === 'number' || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The family an address belongs to. */
export function familyOf(a: IpAddress): 4 | 6 {
  return typeof a === 'number' ? 4 : 6;
}

/** True for IPv4 class D and IPv6 ff00::/8. */
export function isMulticast(a: IpAddress): boolean {
  return typeof a === 'number' ? isIPv4Multicast(a) : a[0] === 0xff;
}

/** True for ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), the form IPv4 peers take on an AF_INET6 endpoint. */
export function isV4MappedAddress(a: IpAddress): boolean {
  if (typeof a === 'number' || a.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** ::ffff:a.b.c.d for an IPv4 address. */
export function mapV4(a: number): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = a >>> 24;
  out[13] = (a >>> 16) & 0xff;
  out[14] = (a >>> 8) & 0xff;
  out[15] = a & 0xff;
  return out;
}

/** The IPv4 address inside ::ffff:a.b.c.d (the caller checked {@link isV4MappedAddress}). */
export function unmapV4(a: Uint8Array): number {
  return ((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!) >>> 0;
}

/**
 * What an endpoint's address means to IPv4 (Linux keeps sk_rcv_saddr beside
 * sk_v6_rcv_saddr): an IPv4 endpoint's own address; for a dual-stack IPv6
 * endpoint 0 for `::` and a.b.c.d for `::ffff:a.b.c.d`; null when the
 * endpoint cannot take IPv4 (IPV6_V6ONLY, or a native IPv6 address).
 */
export function ipv4ViewOf(a: IpAddress, v6Only: boolean): number | null {
  if (typeof a === 'number') return a;
  if (v6Only) return null;
  if (isWildcard(a)) return 0;
  return isV4MappedAddress(a) ? unmapV4(a) : null;
}
