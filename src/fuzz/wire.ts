import type { IPv4Address, IPv6Address } from '../core/address.js';
import { readU16, readU32 } from '../core/bytes.js';
import { writeIpv4HeaderAt } from '../ip/ipv4-header.js';
import { writeIpv6Headers } from '../ip/ipv6-header.js';
import { IPPROTO_TCP, writeTcpHeader, type TcpSpec } from '../tcp/header.js';
import type { PacketPool } from './packet-pool.js';

/**
 * The fuzzer's own small wire helpers: one call builds a whole IP+TCP
 * packet with the codecs' writers (one allocation), and a reader pulls the
 * few TCP fields the fuzzer tracks out of the target's answers without
 * building parse objects.
 */

/** An IP family and its two addresses. */
export type Endpoints =
  | { readonly family: 4; readonly src: IPv4Address; readonly dst: IPv4Address }
  | { readonly family: 6; readonly src: IPv6Address; readonly dst: IPv6Address };

/**
 * Builds IP + TCP (`spec.payload` included) in one new array (from `pool`
 * when given), checksums computed unless the spec overrides them.
 */
export function tcpPacket(ep: Endpoints, spec: TcpSpec, ttl = 64, pool?: PacketPool): Uint8Array {
  const payloadLen = spec.payload?.length ?? 0;
  const optLen = ((spec.options?.length ?? 0) + 3) & ~3;
  const l4Len = 20 + optLen + payloadLen;
  const ipLen = ep.family === 4 ? 20 : 40;
  const b = pool !== undefined ? pool.alloc(ipLen + l4Len) : new Uint8Array(ipLen + l4Len);
  if (spec.payload !== undefined) b.set(spec.payload, ipLen + 20 + optLen);
  writeTcpHeader(b, ipLen, spec, payloadLen, ep.src, ep.dst);
  if (ep.family === 4) writeIpv4HeaderAt(b, 0, { src: ep.src, dst: ep.dst, protocol: IPPROTO_TCP, ttl, df: true }, l4Len);
  else writeIpv6Headers(b, 0, { src: ep.src, dst: ep.dst, protocol: IPPROTO_TCP, hopLimit: ttl }, l4Len);
  return b;
}

/** The fields of a TCP answer that the fuzzer tracks. */
export interface TcpReply {
  family: 4 | 6;
  /** IPv4 addresses (0 for IPv6; compare IPv6 addresses in the packet with {@link sameV6}). */
  src4: number;
  dst4: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payloadOffset: number;
  payloadLength: number;
  /** A timestamp option was present (RFC 7323), with these values. */
  hasTs: boolean;
  tsVal: number;
  tsEcr: number;
}

/** A reusable reply record. */
export function emptyTcpReply(): TcpReply {
  return {
    family: 4, src4: 0, dst4: 0, srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0,
    payloadOffset: 0, payloadLength: 0, hasTs: false, tsVal: 0, tsEcr: 0,
  };
}

/**
 * Fills `out` when `p` is an IPv4 or IPv6 (no extension headers) TCP
 * segment that is not a fragment; returns false otherwise. Never throws.
 */
export function readTcpReply(p: Uint8Array, out: TcpReply): boolean {
  if (p.length < 1) return false;
  const version = p[0]! >>> 4;
  let o: number;
  let end: number;
  if (version === 4) {
    if (p.length < 20 || p[9] !== IPPROTO_TCP || (readU16(p, 6) & 0x3fff) !== 0) return false;
    o = (p[0]! & 0x0f) << 2;
    end = Math.min(readU16(p, 2), p.length);
    out.family = 4;
    out.src4 = readU32(p, 12);
    out.dst4 = readU32(p, 16);
  } else if (version === 6) {
    if (p.length < 40 || p[6] !== IPPROTO_TCP) return false;
    o = 40;
    end = Math.min(40 + readU16(p, 4), p.length);
    out.family = 6;
    out.src4 = 0;
    out.dst4 = 0;
  } else return false;
  if (o + 20 > end) return false;
  const hl = (p[o + 12]! >>> 4) << 2;
  if (hl < 20 || o + hl > end) return false;
  out.srcPort = readU16(p, o);
  out.dstPort = readU16(p, o + 2);
  out.seq = readU32(p, o + 4);
  out.ack = readU32(p, o + 8);
  out.flags = p[o + 13]! | ((p[o + 12]! & 1) << 8);
  out.window = readU16(p, o + 14);
  out.payloadOffset = o + hl;
  out.payloadLength = end - o - hl;
  out.hasTs = false;
  for (let i = o + 20; i < o + hl; ) {
    const kind = p[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = i + 1 < o + hl ? p[i + 1]! : 0;
    if (len < 2 || i + len > o + hl) break;
    if (kind === 8 && len === 10) {
      out.hasTs = true;
      out.tsVal = readU32(p, i + 2);
      out.tsEcr = readU32(p, i + 6);
    }
    i += len;
  }
  return true;
}

/** True when the 16 bytes at `p[o..)` equal `a`. */
export function sameV6(p: Uint8Array, o: number, a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (p[o + i] !== a[i]) return false;
  return true;
}
