import { writeIPv4, type IPv4Address, type IPv6Address } from '../core/address.js';
import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { finishChecksum, pseudoSumV4, sumBytes } from '../ip/checksum.js';
import { IPPROTO_TCP, writeTcpFixed, type TcpSpec } from '../tcp/header.js';
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

/** Knows the checksum sum of some payloads without reading them (see `Dice.noiseSum`): -1 when it does not. */
export interface PayloadSums {
  noiseSum(payload: Uint8Array): number;
}

/**
 * Builds IP + TCP (`spec.payload` included) in one new array (from `pool`
 * when given), checksums computed unless the spec overrides them. The IP
 * header is the one every fuzzer segment carries (IPv4: no options, ID 0,
 * DF, TOS 0; IPv6: traffic class and flow label 0), written field by field
 * rather than through a header spec: this runs for every attack packet.
 */
export function tcpPacket(ep: Endpoints, spec: TcpSpec, ttl = 64, pool?: PacketPool, sums?: PayloadSums): Uint8Array {
  const payload = spec.payload;
  const payloadLen = payload === undefined ? 0 : payload.length;
  const options = spec.options;
  const rawOptLen = options === undefined ? 0 : options.length;
  const optLen = (rawOptLen + 3) & ~3;
  const hlen = 20 + optLen;
  const l4Len = hlen + payloadLen;
  const v4 = ep.family === 4;
  const ipLen = v4 ? 20 : 40;
  const b = pool !== undefined ? pool.alloc(ipLen + l4Len) : new Uint8Array(ipLen + l4Len);
  if (payload !== undefined) b.set(payload, ipLen + hlen);
  const o = ipLen;
  const flags = spec.flags ?? 0;
  writeTcpFixed(b, o, spec.srcPort, spec.dstPort, spec.seq ?? 0, spec.ack ?? 0, flags, spec.window ?? 0, optLen);
  // Data offset (possibly a lie), reserved bits and AE share byte 12 (RFC 9293 §3.1, RFC 3168).
  b[o + 12] = (((spec.dataOffset ?? hlen >>> 2) & 0x0f) << 4) | (((spec.reserved ?? 0) & 7) << 1) | ((flags >>> 8) & 1);
  writeU16(b, o + 18, spec.urgent ?? 0);
  if (options !== undefined) {
    b.set(options, o + 20);
    // Pad with EOL (zero) bytes to the data offset.
    for (let i = o + 20 + rawOptLen; i < o + hlen; i++) b[i] = 0;
  }
  if (v4) writeFuzzIpv4(b, ep.src, ep.dst, IPPROTO_TCP, ttl, l4Len);
  else writeFuzzIpv6(b, ep.src, ep.dst, IPPROTO_TCP, ttl, l4Len);
  if (spec.checksum !== undefined) {
    writeU16(b, o + 16, spec.checksum);
  } else {
    // RFC 9293 §3.1: the pseudo-header sum, taken from the header just written for IPv6 (RFC 8200 §8.1).
    const pseudo = v4
      ? pseudoSumV4(ep.src, ep.dst, IPPROTO_TCP, l4Len)
      : sumBytes(b, 8, 40) + (l4Len >>> 16) + (l4Len & 0xffff) + IPPROTO_TCP;
    // The header is a whole number of words, so the payload's words can be summed apart (RFC 1071 §2(B)).
    const payloadSum = payload !== undefined && sums !== undefined ? sums.noiseSum(payload) : -1;
    const sum = payloadSum >= 0 ? sumBytes(b, o, o + hlen, pseudo) + payloadSum : sumBytes(b, o, o + l4Len, pseudo);
    writeU16(b, o + 16, finishChecksum(sum));
  }
  return b;
}

/**
 * A 20-byte IPv4 header (RFC 791 §3.1) with no options, ID 0, DF set and
 * TOS 0 at `b[0..20)`; its checksum is summed from the field values, with
 * no pass over the bytes.
 */
function writeFuzzIpv4(b: Uint8Array, src: IPv4Address, dst: IPv4Address, protocol: number, ttl: number, l4Len: number): void {
  const total = 20 + l4Len;
  const ttlProto = ((ttl & 0xff) << 8) | protocol;
  b[0] = 0x45;
  b[1] = 0;
  writeU16(b, 2, total);
  writeU16(b, 4, 0);
  writeU16(b, 6, 0x4000);
  writeU16(b, 8, ttlProto);
  writeIPv4(b, 12, src);
  writeIPv4(b, 16, dst);
  const sum = 0x4500 + total + 0x4000 + ttlProto + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  writeU16(b, 10, finishChecksum(sum));
}

/** A 40-byte IPv6 header (RFC 8200 §3), traffic class and flow label 0, at `b[0..40)`. */
function writeFuzzIpv6(b: Uint8Array, src: IPv6Address, dst: IPv6Address, protocol: number, hopLimit: number, payloadLen: number): void {
  writeU32(b, 0, 0x60000000);
  writeU16(b, 4, payloadLen);
  b[6] = protocol;
  b[7] = hopLimit & 0xff;
  b.set(src, 8);
  b.set(dst, 24);
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
