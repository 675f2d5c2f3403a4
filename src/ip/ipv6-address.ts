import type { IPv6Address } from '../core/address.js';

/**
 * IPv6 address arithmetic for the IPv6 layer (RFC 4291): classification,
 * scopes (RFC 4007, RFC 6724 §3.1), prefixes, the addresses a host derives
 * (link-local, solicited-node, multicast MAC) and a compact map key.
 *
 * Well-known addresses are returned by functions that allocate, never kept
 * in shared module constants, so that no caller can corrupt another stack's
 * view of them; comparisons against them test the bytes directly.
 */

/** Multicast and unicast scope values (RFC 4291 §2.7, RFC 7346). */
export const SCOPE_INTERFACE_LOCAL = 0x1;
export const SCOPE_LINK_LOCAL = 0x2;
export const SCOPE_SITE_LOCAL = 0x5;
export const SCOPE_GLOBAL = 0xe;

/** A new :: (the unspecified address, RFC 4291 §2.5.2). */
export function unspecified6(): IPv6Address {
  return new Uint8Array(16);
}

/** A new ff02::1, the link-local all-nodes group (RFC 4291 §2.7.1). */
export function allNodes6(): IPv6Address {
  const a = new Uint8Array(16);
  a[0] = 0xff;
  a[1] = 0x02;
  a[15] = 0x01;
  return a;
}

/** A new ff02::2, the link-local all-routers group (RFC 4291 §2.7.1). */
export function allRouters6(): IPv6Address {
  const a = allNodes6();
  a[15] = 0x02;
  return a;
}

/** A new ff02::16, where MLDv2 reports go (RFC 3810 §5.2.14). */
export function allMldv2Routers6(): IPv6Address {
  const a = allNodes6();
  a[15] = 0x16;
  return a;
}

/** True for ::. */
export function isUnspecified6(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

/** True for ::1 (RFC 4291 §2.5.3). */
export function isLoopback6(a: Uint8Array): boolean {
  for (let i = 0; i < 15; i++) if (a[i] !== 0) return false;
  return a[15] === 1;
}

/** True for ff00::/8. */
export function isMulticast6(a: Uint8Array): boolean {
  return a[0] === 0xff;
}

/** True for fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocal6(a: Uint8Array): boolean {
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}

/** True for ::ffff:0:0/96, IPv4-mapped (RFC 4291 §2.5.5.2): never valid on the wire. */
export function isV4Mapped6(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** True for ff02::1. */
export function isAllNodes6(a: Uint8Array): boolean {
  if (a[0] !== 0xff || a[1] !== 0x02 || a[15] !== 0x01) return false;
  for (let i = 2; i < 15; i++) if (a[i] !== 0) return false;
  return true;
}

/** True for a solicited-node group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
export function isSolicitedNode6(a: Uint8Array): boolean {
  if (a[0] !== 0xff || a[1] !== 0x02 || a[11] !== 0x01 || a[12] !== 0xff) return false;
  for (let i = 2; i < 11; i++) if (a[i] !== 0) return false;
  return true;
}

/** The 4-bit scope of a multicast address. */
export function multicastScope6(a: Uint8Array): number {
  return a[1]! & 0x0f;
}

/**
 * The scope of any address, as RFC 6724 §3.1 defines it for source
 * selection: multicast carries its own; link-local and loopback unicast are
 * link scope; everything else (unique-local included) is global.
 */
export function addressScope6(a: Uint8Array): number {
  if (isMulticast6(a)) return multicastScope6(a);
  if (isLinkLocal6(a) || isLoopback6(a)) return SCOPE_LINK_LOCAL;
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0xc0) return SCOPE_SITE_LOCAL; // deprecated fec0::/10
  return SCOPE_GLOBAL;
}

/** Byte-wise equality of two addresses. */
export function equal6(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True if the first `prefix` bits of `a` and `b` agree. */
export function prefixMatch6(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const whole = prefix >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole]! ^ b[whole]!) & mask) === 0;
}

/** Length of the longest common prefix of `a` and `b`, 0..128 (RFC 6724 §2.2 CommonPrefixLen). */
export function commonPrefixLength6(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 128;
}

/** A copy of `a` with every bit after the first `prefix` cleared. */
export function maskPrefix6(a: Uint8Array, prefix: number): IPv6Address {
  const out = new Uint8Array(16);
  const whole = prefix >>> 3;
  out.set(a.subarray(0, whole));
  const rest = prefix & 7;
  if (rest !== 0) out[whole] = a[whole]! & ((0xff << (8 - rest)) & 0xff);
  return out;
}

/** The solicited-node group of `a`: ff02::1:ff00:0/104 plus its low 24 bits (RFC 4291 §2.7.1). */
export function solicitedNode6(a: Uint8Array): IPv6Address {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out[13] = a[13]!;
  out[14] = a[14]!;
  out[15] = a[15]!;
  return out;
}

/** The Ethernet MAC of an IPv6 multicast group: 33:33 and the group's low 32 bits (RFC 2464 §7). */
export function multicastMac6(a: Uint8Array): Uint8Array {
  return Uint8Array.of(0x33, 0x33, a[12]!, a[13]!, a[14]!, a[15]!);
}

/**
 * The modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291
 * Appendix A, RFC 2464 §4): ff:fe in the middle, and the universal/local
 * bit inverted.
 */
export function eui64FromMac(mac: Uint8Array): Uint8Array {
  return Uint8Array.of(mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!);
}

/** `prefix` (its first 64 bits) followed by the 8-byte interface identifier `iid`. */
export function withInterfaceId(prefix: Uint8Array, iid: Uint8Array): IPv6Address {
  const out = new Uint8Array(16);
  out.set(prefix.subarray(0, 8));
  out.set(iid.subarray(0, 8), 8);
  return out;
}

/** fe80::/64 plus an interface identifier (RFC 4862 §5.3). */
export function linkLocalFromIid(iid: Uint8Array): IPv6Address {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out.set(iid.subarray(0, 8), 8);
  return out;
}

/**
 * Interface identifiers that must not be used (RFC 5453): the subnet-router
 * anycast (all zero), the reserved subnet anycast range
 * fdff:ffff:ffff:ff80–ffff (RFC 2526), and the proxy-MIP/ISATAP-looking
 * 0200:5efe:: range is left alone (it is legal, merely odd).
 */
export function isReservedIid(iid: Uint8Array): boolean {
  let zero = true;
  for (let i = 0; i < 8; i++) if (iid[i] !== 0) zero = false;
  if (zero) return true;
  if (iid[0] !== 0xfd) return false;
  for (let i = 1; i < 7; i++) if (iid[i] !== 0xff) return false;
  return iid[7]! >= 0x80;
}

/**
 * A short string naming an address, for Maps keyed by IPv6 address (eight
 * UTF-16 code units, one per 16-bit group). Cheap, but still an allocation:
 * keep it off per-packet paths where a byte comparison will do.
 */
export function key6(a: Uint8Array): string {
  return String.fromCharCode(
    (a[0]! << 8) | a[1]!, (a[2]! << 8) | a[3]!, (a[4]! << 8) | a[5]!, (a[6]! << 8) | a[7]!,
    (a[8]! << 8) | a[9]!, (a[10]! << 8) | a[11]!, (a[12]! << 8) | a[13]!, (a[14]! << 8) | a[15]!,
  );
}

/** The address a {@link key6} string names. */
export function addressOfKey6(key: string): IPv6Address {
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = key.charCodeAt(i);
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}
