import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../../core/address.js';
import type { IpAddress } from '../../ip/types.js';
import { notFoundError } from './errors.js';

/** A numeric address with its text and family, as the adapters pass it around. */
export interface HostAddress {
  address: IpAddress;
  /** Canonical text (dotted quad, RFC 5952 for IPv6). */
  text: string;
  family: 4 | 6;
}

/**
 * Parses a numeric host: a dotted quad or IPv6 text (brackets and a `%zone`
 * suffix are accepted and dropped). Null for anything else (a name).
 */
export function parseNumericHost(host: string): HostAddress | null {
  const v4 = parseIPv4(host);
  if (v4 !== null) return { address: v4, text: formatIPv4(v4), family: 4 };
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const pct = h.indexOf('%');
  if (pct !== -1) h = h.slice(0, pct);
  const v6 = parseIPv6(h);
  if (v6 !== null) return { address: v6, text: formatIPv6(v6), family: 6 };
  return null;
}

/** Text of an address of either family. */
export function formatAddress(a: IpAddress): string {
  return typeof a === 'number' ? formatIPv4(a) : formatIPv6(a);
}

/** Node's family names. */
export function familyName(a: IpAddress | 4 | 6): 'IPv4' | 'IPv6' {
  if (a === 4) return 'IPv4';
  if (a === 6) return 'IPv6';
  return typeof a === 'number' ? 'IPv4' : 'IPv6';
}

/**
 * The one host name the adapters resolve without a resolver: `localhost`
 * (Node's default host) maps to 127.0.0.1, as /etc/hosts does.
 */
export function builtinHost(host: string): HostAddress | null {
  if (host.toLowerCase() === 'localhost') return parseNumericHost('127.0.0.1');
  return parseNumericHost(host);
}

/** What a `lookup` function answered (for Node's `'lookup'` event). */
export interface LookupAnswer {
  address: string | undefined;
  family: number | undefined;
}

/** A `dns.lookup`-compatible resolver (Node's `lookup` option). */
export type HostLookup = (
  hostname: string,
  options: { family: number; all: false; hints?: number },
  callback: (err: Error | null, address: string | ReadonlyArray<{ address: string; family: number }>, family?: number) => void,
) => void;

/**
 * Resolves a host as the adapters do: numeric addresses and `localhost`
 * on the next tick (as dns.lookup answers literals), other names through
 * `lookup` when given, else `getaddrinfo ENOTFOUND`. `answer` is set when
 * `lookup` was consulted.
 */
export function resolveHost(
  host: string,
  lookup: HostLookup | undefined,
  family: number,
  cb: (err: Error | null, h: HostAddress | null, answer: LookupAnswer | null) => void,
): void {
  const known = builtinHost(host);
  if (known !== null) {
    process.nextTick(cb, null, known, null);
    return;
  }
  if (lookup === undefined) {
    process.nextTick(cb, notFoundError(host), null, null);
    return;
  }
  lookup(host, { family, all: false }, (err, address, fam) => {
    const first = typeof address === 'string' ? address : address[0]?.address;
    const h = first === undefined ? null : parseNumericHost(first);
    const answer: LookupAnswer = { address: first, family: fam ?? h?.family };
    if (err !== null) cb(err, null, answer);
    else if (h === null) cb(notFoundError(host), null, answer);
    else cb(null, h, answer);
  });
}
