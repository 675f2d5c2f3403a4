import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, readIPv4 } from '../../core/address.js';
import { ERRNO } from '../../core/errno.js';
import type { IpAddress } from '../../ip/types.js';
import { isV4MappedAddress, mapV4 } from '../../udp/addresses.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from './constants.js';
import type { SockAddr } from './types.js';

/**
 * Conversion between the facade's {@link SockAddr} and the addresses the
 * transport endpoints use (IPv4: a number; IPv6: 16 bytes). An AF_INET6
 * socket given an IPv4-mapped address (`::ffff:192.0.2.1`) works over IPv4
 * underneath and reports its addresses mapped back, as Linux's dual-stack
 * sockets do (IPV6_V6ONLY off, its default).
 */

/** An address as the transports take it. */
export interface EndpointAddr {
  /** IPv4 number or IPv6 bytes; for an AF_INET6 socket, an IPv4-mapped address is converted to the number. */
  readonly ip: IpAddress;
  readonly port: number;
  /** True for 0.0.0.0 and ::. */
  readonly wildcard: boolean;
}


function allZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

/**
 * Checks and converts a socket address for a socket of `domain`. Returns a
 * negative errno as Linux's inet_bind / inet_stream_connect would:
 * EAFNOSUPPORT for a family other than the socket's (AF_UNSPEC with
 * INADDR_ANY is accepted by AF_INET sockets when `unspecAny` is set, as
 * inet_bind does for compatibility), EINVAL for an address or port that a
 * C caller could not have written (wrong length, malformed text, port out
 * of range).
 */
export function toEndpointAddr(domain: number, sa: SockAddr, unspecAny = false): EndpointAddr | number {
  if (!Number.isInteger(sa.port) || sa.port < 0 || sa.port > 0xffff) return -ERRNO.EINVAL;
  if (domain === AF_INET) {
    let ip: number | null;
    if (typeof sa.address === 'string') ip = parseIPv4(sa.address);
    else ip = sa.address.length === 4 ? readIPv4(sa.address, 0) : null;
    if (sa.family !== AF_INET) {
      if (!(unspecAny && sa.family === AF_UNSPEC && ip === 0)) return -ERRNO.EAFNOSUPPORT;
    }
    if (ip === null) return -ERRNO.EINVAL;
    return { ip, port: sa.port, wildcard: ip === 0 };
  }
  if (domain === AF_INET6) {
    if (sa.family !== AF_INET6) return -ERRNO.EAFNOSUPPORT;
    let bytes: Uint8Array | null;
    if (typeof sa.address === 'string') bytes = sa.address.includes('%') ? null : parseIPv6(sa.address);
    else bytes = sa.address.length === 16 ? sa.address.slice() : null;
    if (bytes === null) return -ERRNO.EINVAL;
    if (isV4MappedAddress(bytes)) {
      const ip = readIPv4(bytes, 12);
      return { ip, port: sa.port, wildcard: false };
    }
    return { ip: bytes, port: sa.port, wildcard: allZero(bytes) };
  }
  return -ERRNO.EAFNOSUPPORT;
}

/** The SockAddr a socket of `domain` reports for an endpoint address (IPv4 on an AF_INET6 socket comes back mapped). */
export function fromEndpointAddr(domain: number, ip: IpAddress | null, port: number): SockAddr {
  if (domain === AF_INET6) {
    if (ip === null) return { family: AF_INET6, address: '::', port };
    return { family: AF_INET6, address: typeof ip === 'number' ? formatIPv6(mapV4(ip)) : formatIPv6(ip), port };
  }
  const v4 = ip === null ? 0 : typeof ip === 'number' ? ip : isV4MappedAddress(ip) ? readIPv4(ip, 12) : 0;
  return { family: AF_INET, address: formatIPv4(v4), port };
}

/** Text of an address (for errors and logs). */
export function addrText(a: EndpointAddr): string {
  return typeof a.ip === 'number' ? `${formatIPv4(a.ip)}:${a.port}` : `[${formatIPv6(a.ip)}]:${a.port}`;
}

/** Same address (IPv4 number vs number, IPv6 bytes vs bytes). */
export function sameIp(a: IpAddress, b: IpAddress): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Converts an address given as text or bytes of either family (IpMreq fields); null if malformed. */
export function parseAnyIp(a: string | Uint8Array): IpAddress | null {
  if (typeof a === 'string') return parseIPv4(a) ?? parseIPv6(a);
  if (a.length === 4) return readIPv4(a, 0);
  if (a.length === 16) return a.slice();
  return null;
}
