import { readIPv4, writeIPv4, type IPv4Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';

/**
 * ARP codec (RFC 826) for the one pairing the stack speaks: Ethernet
 * hardware addresses and IPv4 protocol addresses.
 *
 * ```
 *  0               8              16              24             31
 * +---------------+---------------+---------------+---------------+
 * |     hardware type (1)         |    protocol type (0x0800)     |
 * +---------------+---------------+---------------+---------------+
 * |  hlen (6)     |  plen (4)     |          operation            |
 * +---------------+---------------+---------------+---------------+
 * |                sender hardware address (6)                    |
 * +                               +-------------------------------+
 * |                               | sender protocol address (4)   |
 * +-------------------------------+                               +
 * |                               |                               |
 * +-------------------------------+                               +
 * |                target hardware address (6)                    |
 * +-------------------------------+-------------------------------+
 * |                target protocol address (4)                    |
 * +---------------------------------------------------------------+
 * ```
 */
export const ARP_LEN = 28;
/** Hardware type Ethernet (RFC 826; IANA "Hardware Types"). */
export const ARP_HTYPE_ETHERNET = 1;
/** Protocol type IPv4: the EtherType. */
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

const F_HTYPE = 0;
const F_PTYPE = 2;
const F_HLEN = 4;
const F_PLEN = 5;
const F_OPER = 6;
const F_SHA = 8;
const F_SPA = 14;
const F_THA = 18;
const F_TPA = 24;

/** A parsed Ethernet/IPv4 ARP packet. MACs are views into the packet. */
export interface ArpPacket {
  /**
   * The operation, kept as received: RFC 826 defines 1 and 2 (RFC 903 RARP
   * uses 3 and 4); what to do with others is the ARP module's call.
   */
  readonly opcode: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: IPv4Address;
  readonly targetMac: Uint8Array;
  readonly targetIp: IPv4Address;
}

/**
 * Parses an ARP packet (the Ethernet payload; trailing padding ignored).
 * Never throws. Packets for other hardware or protocol types are refused,
 * as RFC 826 says a receiver does when it does not speak the pair:
 * `arp-truncated`, `arp-bad-htype`, `arp-bad-ptype`, `arp-bad-hlen`, `arp-bad-plen`.
 */
export function parseArp(b: Uint8Array): ParseResult<ArpPacket> {
  // The sizes are checked before the length so that an ARP for another
  // pairing reports its real reason, not a size derived from ours.
  if (b.length < F_OPER) return fail('arp-truncated');
  if (readU16(b, F_HTYPE) !== ARP_HTYPE_ETHERNET) return fail('arp-bad-htype');
  if (readU16(b, F_PTYPE) !== ARP_PTYPE_IPV4) return fail('arp-bad-ptype');
  if (b[F_HLEN] !== 6) return fail('arp-bad-hlen');
  if (b[F_PLEN] !== 4) return fail('arp-bad-plen');
  if (b.length < ARP_LEN) return fail('arp-truncated');
  return {
    ok: true,
    value: {
      opcode: readU16(b, F_OPER),
      senderMac: b.subarray(F_SHA, F_SHA + 6),
      senderIp: readIPv4(b, F_SPA),
      targetMac: b.subarray(F_THA, F_THA + 6),
      targetIp: readIPv4(b, F_TPA),
    },
  };
}

/**
 * Fields for building an ARP packet. The layout is always Ethernet/IPv4
 * (28 bytes); `htype`/`ptype`/`hlen`/`plen` only change the values written
 * in those fields, so a fuzzer can send lies.
 */
export interface ArpSpec {
  opcode: number;
  senderMac: Uint8Array;
  senderIp: IPv4Address;
  /** Default all zeros, as in a request (RFC 826 leaves it unspecified; Linux sends zeros). */
  targetMac?: Uint8Array;
  targetIp: IPv4Address;
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
}

/** Writes the 28-byte packet at `b[o..)`. */
export function writeArp(b: Uint8Array, o: number, spec: ArpSpec): void {
  if (spec.senderMac.length !== 6 || (spec.targetMac !== undefined && spec.targetMac.length !== 6)) {
    throw new RangeError('writeArp: MAC addresses must be 6 bytes');
  }
  writeU16(b, o + F_HTYPE, spec.htype ?? ARP_HTYPE_ETHERNET);
  writeU16(b, o + F_PTYPE, spec.ptype ?? ARP_PTYPE_IPV4);
  b[o + F_HLEN] = (spec.hlen ?? 6) & 0xff;
  b[o + F_PLEN] = (spec.plen ?? 4) & 0xff;
  writeU16(b, o + F_OPER, spec.opcode);
  b.set(spec.senderMac, o + F_SHA);
  writeIPv4(b, o + F_SPA, spec.senderIp);
  if (spec.targetMac !== undefined) b.set(spec.targetMac, o + F_THA);
  else b.fill(0, o + F_THA, o + F_THA + 6);
  writeIPv4(b, o + F_TPA, spec.targetIp);
}

/** Builds the 28-byte packet in a new buffer. */
export function buildArp(spec: ArpSpec): Uint8Array {
  const b = new Uint8Array(ARP_LEN);
  writeArp(b, 0, spec);
  return b;
}
