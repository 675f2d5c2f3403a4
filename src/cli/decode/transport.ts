import type { IPv4Address, IPv6Address } from '../../core/address.js';
import { addLayer, field, type Decoding } from './fields.js';
import { decodeIcmpv4 } from './icmpv4.js';
import { decodeIcmpv6 } from './icmpv6.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';

/** What a transport decoder needs from the IP layer below it. */
export interface IpInfo {
  /** Source for the pseudo-header (a number for IPv4, 16 bytes for IPv6). */
  readonly src: IPv4Address | IPv6Address;
  /** Destination for the pseudo-header: for IPv6, the final one (RFC 8200 §8.1). */
  readonly dst: IPv4Address | IPv6Address;
  /**
   * The datagram is the first fragment of a larger one: its transport header
   * is here but the data the checksum and lengths describe is not, so
   * lengths are taken as the header states them and checksums are not verified.
   */
  readonly firstFragment: boolean;
}

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;

/** Decodes the upper-layer bytes `b` of protocol `protocol` (at `offset` in the frame). */
export function decodeTransport(d: Decoding, protocol: number, b: Uint8Array, offset: number, ip: IpInfo): void {
  switch (protocol) {
    case IPPROTO_TCP:
      decodeTcp(d, b, offset, ip);
      return;
    case IPPROTO_UDP:
      decodeUdp(d, b, offset, ip);
      return;
    case IPPROTO_ICMP:
      decodeIcmpv4(d, b, offset, ip);
      return;
    case IPPROTO_ICMPV6:
      // ICMPv6's checksum needs an IPv6 pseudo-header; over IPv4 it is just data.
      if (typeof ip.src !== 'number' && typeof ip.dst !== 'number') {
        decodeIcmpv6(d, b, offset, ip.src, ip.dst, ip.firstFragment);
        return;
      }
      break;
    default:
      break;
  }
  addLayer(d, 'data', offset, [field('protocol', protocol), field('length', b.length)], `ip-proto-${protocol} ${b.length}`);
}
