import { fromHex, writeU16, writeU32 } from '../core/bytes.js';
import { ACK, AE, CWR, ECE, FIN, fillTcpChecksum, IPPROTO_TCP, PSH, RST, SYN, URG, writeTcpHeader } from '../tcp/header.js';
import { writeIpv4HeaderAt } from '../ip/ipv4-header.js';
import type { IpAddress } from '../ip/types.js';
import type { IpInfo, TcpFlagBits, TcpOptionSpec } from './ast.js';

/**
 * Script packet → wire bytes (conformance README §1.5, §1.7).
 *
 * The runner decides the numbers (live sequence numbers, the TS ecr a
 * script value stands for, addresses and ports); this file only turns them
 * into an IPv4 or IPv6 datagram carrying a TCP segment with a zero payload,
 * checksums filled in. The same functions render an outbound expectation
 * for failure reports, so that expected and actual packets print alike.
 */

/** IP header fields of a built packet. */
export interface WireIp {
  readonly family: 4 | 6;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** The whole TOS / traffic-class byte (DSCP << 2 | ECN). */
  readonly tos: number;
  readonly ttl: number;
  /** IPv6 flow label (ignored for IPv4). */
  readonly flowLabel: number;
}

/** TCP header fields of a built packet; the payload is `payloadLen` zero bytes. */
export interface WireTcp {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** Flag bits as in tcp/header.ts (bit 8 is AE). */
  readonly flags: number;
  readonly window: number;
  readonly urgent: number;
  /** Option bytes exactly as they go on the wire (padded to 4 with EOL by the builder). */
  readonly options: Uint8Array;
  readonly payloadLen: number;
}

/** Default TTL / hop limit of injected packets. */
export const INBOUND_TTL = 64;

/** ECN codepoints of `ect0`, `ect1`, `ce`, `noecn` (RFC 3168 §5). */
const ECN_BITS: Readonly<Record<string, number>> = { noecn: 0, ect1: 1, ect0: 2, ce: 3 };

/**
 * The TOS byte an inbound packet carries: `tos 0xNN` as written, with the
 * ECN codepoint of `ect0` / `ect1` / `ce` in its two low bits.
 */
export function inboundTos(ip: IpInfo | null): number {
  if (ip === null) return 0;
  let tos = ip.tos ?? 0;
  if (ip.ecn !== null && ip.ecn !== 'ect01') tos = (tos & 0xfc) | ECN_BITS[ip.ecn]!;
  return tos;
}

/**
 * The flag bits a script's flags stand for. An AccECN ACE digit (0-7)
 * sets AE, CWR and ECE from its three bits (AE = 4, CWR = 2, ECE = 1).
 */
export function scriptFlagBits(f: TcpFlagBits): number {
  let b = 0;
  if (f.fin) b |= FIN;
  if (f.syn) b |= SYN;
  if (f.rst) b |= RST;
  if (f.psh) b |= PSH;
  if (f.ack) b |= ACK;
  if (f.urg) b |= URG;
  if (f.ece) b |= ECE;
  if (f.cwr) b |= CWR;
  if (f.ae) b |= AE;
  if (f.ace !== null) {
    if (f.ace & 4) b |= AE;
    if (f.ace & 2) b |= CWR;
    if (f.ace & 1) b |= ECE;
  }
  return b;
}

/** How script option values become wire values. */
export interface OptionMapping {
  /** Added (mod 2^32) to both edges of every SACK block. */
  readonly sackOffset: number;
  /** The wire TS ecr for a script TS ecr; null when it cannot be inferred (an error). */
  readonly tsEcr: (scriptEcr: number) => number | null;
}

/** Leaves every value as written (script space). */
export const IDENTITY_MAPPING: OptionMapping = Object.freeze({ sackOffset: 0, tsEcr: (v: number) => v });

/** Experimental TCP Fast Open magic (RFC 7413 §4.1.1 kind 254). */
const FASTOPEN_EXP_MAGIC = 0xf989;

function hexBytes(hex: string): Uint8Array | null {
  return /^([0-9a-fA-F]{2})*$/.test(hex) ? fromHex(hex) : null;
}

/**
 * Encodes a script option list in the order written. Errors: a TS ecr with
 * no live counterpart, malformed hex. Never throws.
 */
export function encodeScriptOptions(
  list: readonly TcpOptionSpec[],
  mapping: OptionMapping,
): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  const parts: number[] = [];
  const u16 = (v: number): void => void parts.push((v >>> 8) & 0xff, v & 0xff);
  const u32 = (v: number): void => void parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  for (const o of list) {
    switch (o.kind) {
      case 'nop':
        parts.push(1);
        break;
      case 'eol':
        parts.push(0);
        break;
      case 'mss':
        parts.push(2, 4);
        u16(o.value);
        break;
      case 'wscale':
        parts.push(3, 3, o.shift & 0xff);
        break;
      case 'sackOK':
        parts.push(4, 2);
        break;
      case 'sack':
        parts.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          u32((l + mapping.sackOffset) >>> 0);
          u32((r + mapping.sackOffset) >>> 0);
        }
        break;
      case 'ts': {
        const ecr = mapping.tsEcr(o.ecr);
        if (ecr === null) {
          return { ok: false, reason: `unable to infer live TS ecr for script TS ecr ${o.ecr}; no matching or preceding outbound TS val` };
        }
        parts.push(8, 10);
        u32(o.val >>> 0);
        u32(ecr >>> 0);
        break;
      }
      case 'fastopen': {
        const cookie = hexBytes(o.cookieHex);
        if (cookie === null) return { ok: false, reason: `bad Fast Open cookie ${o.cookieHex}` };
        if (o.experimental) {
          parts.push(254, 4 + cookie.length);
          u16(FASTOPEN_EXP_MAGIC);
        } else {
          parts.push(34, 2 + cookie.length);
        }
        parts.push(...cookie);
        break;
      }
      case 'md5': {
        const digest = hexBytes(o.digestHex);
        if (digest === null) return { ok: false, reason: `bad md5 digest ${o.digestHex}` };
        parts.push(19, 2 + digest.length, ...digest);
        break;
      }
    }
  }
  if (parts.length > 40) return { ok: false, reason: `TCP options too long (${parts.length} bytes)` };
  return { ok: true, bytes: Uint8Array.from(parts) };
}

/** The TCP header length (bytes) for `optionsLen` option bytes, padded to 4. */
export function tcpHeaderLength(optionsLen: number): number {
  return 20 + ((optionsLen + 3) & ~3);
}

/**
 * Builds an IPv4 or IPv6 datagram carrying one TCP segment with a zero
 * payload of `tcp.payloadLen` bytes; IP and TCP checksums are filled in.
 */
export function buildTcpPacket(ip: WireIp, tcp: WireTcp): Uint8Array {
  const tcpLen = tcpHeaderLength(tcp.options.length) + tcp.payloadLen;
  const ipLen = ip.family === 4 ? 20 : 40;
  const b = new Uint8Array(ipLen + tcpLen);
  if (ip.family === 4) {
    writeIpv4HeaderAt(b, 0, { src: ip.src as number, dst: ip.dst as number, protocol: IPPROTO_TCP, tos: ip.tos, ttl: ip.ttl }, tcpLen);
  } else {
    writeU32(b, 0, ((6 << 28) | ((ip.tos & 0xff) << 20) | (ip.flowLabel & 0xfffff)) >>> 0);
    writeU16(b, 4, tcpLen);
    b[6] = IPPROTO_TCP;
    b[7] = ip.ttl;
    b.set(ip.src as Uint8Array, 8);
    b.set(ip.dst as Uint8Array, 24);
  }
  writeTcpHeader(
    b, ipLen,
    {
      srcPort: tcp.srcPort, dstPort: tcp.dstPort, seq: tcp.seq >>> 0, ack: tcp.ack >>> 0, flags: tcp.flags,
      window: tcp.window, urgent: tcp.urgent, options: tcp.options,
    },
    tcp.payloadLen,
  );
  fillTcpChecksum(b, ipLen, tcpLen, ip.src, ip.dst);
  return b;
}
