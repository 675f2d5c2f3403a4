import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAM_HEADER_FIELD,
  ICMPV6_PARAM_NEXT_HEADER,
  ICMPV6_PARAM_PROBLEM,
  ICMPV6_TIME_EXCEEDED,
  ICMPV6_TIME_HOP_LIMIT,
  ICMPV6_TIME_REASSEMBLY,
  ICMPV6_UNREACH_ADDRESS,
  ICMPV6_UNREACH_PORT,
} from '../icmp/icmpv6-header.js';
import type { LocalIcmpError } from './types.js';

/**
 * The ICMPv6 type and code for an error a transport (or the IP layer) asks
 * for in the family-neutral terms of {@link LocalIcmpError} (RFC 4443 §3,
 * RFC 8200 §4: an unknown upper-layer protocol is a Parameter Problem, code
 * 1, in IPv6 — there is no "protocol unreachable").
 */
export function icmpv6TypeCodeFor(error: LocalIcmpError): { type: number; code: number } {
  switch (error) {
    case 'protocol-unreachable':
      return { type: ICMPV6_PARAM_PROBLEM, code: ICMPV6_PARAM_NEXT_HEADER };
    case 'port-unreachable':
      return { type: ICMPV6_DEST_UNREACH, code: ICMPV6_UNREACH_PORT };
    case 'host-unreachable':
      return { type: ICMPV6_DEST_UNREACH, code: ICMPV6_UNREACH_ADDRESS };
    case 'frag-needed':
      return { type: ICMPV6_PACKET_TOO_BIG, code: 0 };
    case 'reassembly-timeout':
      return { type: ICMPV6_TIME_EXCEEDED, code: ICMPV6_TIME_REASSEMBLY };
    case 'ttl-exceeded':
      return { type: ICMPV6_TIME_EXCEEDED, code: ICMPV6_TIME_HOP_LIMIT };
    case 'parameter-problem':
      return { type: ICMPV6_PARAM_PROBLEM, code: ICMPV6_PARAM_HEADER_FIELD };
  }
}
