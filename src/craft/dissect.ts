import { readU16 } from '../core/bytes.js';

/**
 * A quick look at where the headers of a (possibly broken) IP packet sit,
 * for mutators that aim at fields rather than at random bytes. Unlike the
 * codecs it validates nothing and trusts what it can: the IHL, the IPv6
 * extension lengths, the TCP data offset — clamped to the bytes present.
 * It fills a reusable record, so the fuzzer's hot loop allocates nothing.
 */

export const L3_NONE = 0;
export const L3_IPV4 = 4;
export const L3_IPV6 = 6;

/** Where the layers of one packet are. Offsets are -1 when a layer is absent or cut off. */
export interface Dissection {
  /** L3_IPV4, L3_IPV6 or L3_NONE. */
  l3: number;
  /** IPv4 header length from the IHL (0 if none). */
  ipHeaderLength: number;
  /** End of the datagram according to its own length field, clamped to the bytes present. */
  ipEnd: number;
  /** True for an IPv4 fragment other than the first (no transport header inside). */
  laterFragment: boolean;
  /** The transport protocol (after IPv6 extension headers), -1 if unknown. */
  l4Protocol: number;
  /** Offset of the transport header, -1 if absent. */
  l4Offset: number;
  /** Offset of the 16-bit transport checksum, -1 if the protocol has none we know. */
  l4ChecksumOffset: number;
  /** Offset and length of the IPv4 options, -1 / 0 when none. */
  ipOptionsOffset: number;
  ipOptionsLength: number;
  /** Offset and length of the TCP options, -1 / 0 when none. */
  tcpOptionsOffset: number;
  tcpOptionsLength: number;
}

/** A fresh record for {@link dissect}. */
export function emptyDissection(): Dissection {
  return {
    l3: L3_NONE, ipHeaderLength: 0, ipEnd: 0, laterFragment: false, l4Protocol: -1, l4Offset: -1,
    l4ChecksumOffset: -1, ipOptionsOffset: -1, ipOptionsLength: 0, tcpOptionsOffset: -1, tcpOptionsLength: 0,
  };
}

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

function checksumOffset(protocol: number): number {
  switch (protocol) {
    case PROTO_TCP: return 16;
    case PROTO_UDP: return 6;
    case PROTO_ICMP:
    case PROTO_ICMPV6: return 2;
    default: return -1;
  }
}

function minTransportHeader(protocol: number): number {
  switch (protocol) {
    case PROTO_TCP: return 20;
    case PROTO_UDP:
    case PROTO_ICMP: return 8;
    case PROTO_ICMPV6: return 4;
    default: return 0;
  }
}

/** Fills `d` for the packet `b[0..len)`. Never throws. */
export function dissect(b: Uint8Array, len: number, d: Dissection): Dissection {
  d.l3 = L3_NONE;
  d.ipHeaderLength = 0;
  d.ipEnd = len;
  d.laterFragment = false;
  d.l4Protocol = -1;
  d.l4Offset = -1;
  d.l4ChecksumOffset = -1;
  d.ipOptionsOffset = -1;
  d.ipOptionsLength = 0;
  d.tcpOptionsOffset = -1;
  d.tcpOptionsLength = 0;
  if (len < 1) return d;
  const version = b[0]! >>> 4;
  let l4 = -1;
  if (version === 4 && len >= 20) {
    const hl = (b[0]! & 0x0f) << 2;
    d.l3 = L3_IPV4;
    d.ipHeaderLength = hl;
    const total = readU16(b, 2);
    d.ipEnd = total < len ? total : len;
    if (hl > 20 && hl <= len) {
      d.ipOptionsOffset = 20;
      d.ipOptionsLength = hl - 20;
    }
    d.l4Protocol = b[9]!;
    d.laterFragment = (readU16(b, 6) & 0x1fff) !== 0;
    if (hl >= 20 && !d.laterFragment) l4 = hl;
  } else if (version === 6 && len >= 40) {
    d.l3 = L3_IPV6;
    d.ipHeaderLength = 40;
    const end = 40 + readU16(b, 4);
    d.ipEnd = end < len ? end : len;
    let next = b[6]!;
    let o = 40;
    // Walk at most a few extension headers: enough for crafted chains, bounded for garbage.
    for (let hops = 0; hops < 8 && o + 8 <= len; hops++) {
      if (next === 0 || next === 43 || next === 60) {
        const n = b[o]!;
        o += (b[o + 1]! + 1) * 8;
        next = n;
      } else if (next === 44) {
        if ((readU16(b, o + 2) & 0xfff8) !== 0) {
          d.laterFragment = true;
          break;
        }
        next = b[o]!;
        o += 8;
      } else break;
    }
    d.l4Protocol = next;
    if (!d.laterFragment) l4 = o;
  }
  if (l4 >= 0 && l4 + minTransportHeader(d.l4Protocol) <= d.ipEnd && minTransportHeader(d.l4Protocol) > 0) {
    d.l4Offset = l4;
    d.l4ChecksumOffset = l4 + checksumOffset(d.l4Protocol);
    if (d.l4Protocol === PROTO_TCP) {
      const tcpHl = (b[l4 + 12]! >>> 4) << 2;
      if (tcpHl > 20 && l4 + tcpHl <= d.ipEnd) {
        d.tcpOptionsOffset = l4 + 20;
        d.tcpOptionsLength = tcpHl - 20;
      }
    }
  }
  return d;
}
