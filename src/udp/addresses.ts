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
