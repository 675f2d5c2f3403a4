/**
 * IP address text and binary forms. IPv4 addresses are unsigned 32-bit
 * numbers (fast to compare, mask and hash); IPv6 addresses are 16-byte arrays.
 */

/** An IPv4 address as an unsigned 32-bit integer in host order (192.0.2.1 = 0xc0000201). */
export type IPv4Address = number;

/** An IPv6 address: exactly 16 bytes. */
export type IPv6Address = Uint8Array;

/** Parses dotted-quad text; null if it is not exactly four decimal octets. */
export function parseIPv4(text: string): IPv4Address | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255 || (p.length > 1 && p[0] === '0')) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Dotted-quad text of an IPv4 address. */
export function formatIPv4(a: IPv4Address): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Reads an IPv4 address from 4 bytes at `o`. */
export function readIPv4(b: Uint8Array, o: number): IPv4Address {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Writes an IPv4 address as 4 bytes at `o`. */
export function writeIPv4(b: Uint8Array, o: number, a: IPv4Address): void {
  b[o] = a >>> 24;
  b[o + 1] = (a >>> 16) & 0xff;
  b[o + 2] = (a >>> 8) & 0xff;
  b[o + 3] = a & 0xff;
}

/** The network mask for a prefix length (0..32). */
export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** RFC 1112 class D: 224.0.0.0/4. */
export function isIPv4Multicast(a: IPv4Address): boolean {
  return a >>> 28 === 0xe;
}

/** Parses IPv6 text (RFC 4291 §2.2, with `::` and an embedded dotted quad); null if malformed. */
export function parseIPv6(text: string): IPv6Address | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl !== -1) {
    if (text.indexOf('::', dbl + 1) !== -1) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const groups: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === null) return null;
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        groups.push(parseInt(p, 16));
      }
    }
    return groups;
  };
  const h = parseGroups(head);
  const t = dbl === -1 ? [] : parseGroups(tail);
  if (h === null || t === null) return null;
  if (dbl === -1 ? h.length !== 8 : h.length + t.length > 7) return null;
  if (dbl === -1 && text.includes('.') && !/\.\d+$/.test(text)) return null;
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >>> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** RFC 5952 canonical text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(a: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((a[o + 2 * i]! << 8) | a[o + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §4.2.2: a single zero group is not shortened.
  if (bestLen < 2) bestStart = -1;
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(((g[6]! << 16) | g[7]!) >>> 0)}`;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** An address with its prefix length, as written `192.0.2.2/24` or `2001:db8::2/64`. */
export type Cidr =
  | { readonly family: 4; readonly address: IPv4Address; readonly prefix: number }
  | { readonly family: 6; readonly address: IPv6Address; readonly prefix: number };

/** Parses CIDR text; a bare address gets the full-length prefix. Null if malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const pfx = slash === -1 ? null : text.slice(slash + 1);
  if (pfx !== null && !/^\d{1,3}$/.test(pfx)) return null;
  const v4 = parseIPv4(addr);
  if (v4 !== null) {
    const prefix = pfx === null ? 32 : Number(pfx);
    return prefix <= 32 ? { family: 4, address: v4, prefix } : null;
  }
  const v6 = parseIPv6(addr);
  if (v6 !== null) {
    const prefix = pfx === null ? 128 : Number(pfx);
    return prefix <= 128 ? { family: 6, address: v6, prefix } : null;
  }
  return null;
}

/** Text form of either family. */
export function formatIp(a: IPv4Address | IPv6Address): string {
  return typeof a === 'number' ? formatIPv4(a) : formatIPv6(a);
}
