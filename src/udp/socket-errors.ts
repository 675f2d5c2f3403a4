import type { ErrnoCode } from '../core/errno.js';
import type { IcmpErrorReport } from '../ip/types.js';
import type { PmtuDiscovery } from './socket-options.js';

/**
 * Which ICMP errors become a socket error on a datagram endpoint, following
 * Linux's __udp4_lib_err and ping_err: without IP_RECVERR only "hard"
 * errors reach the application, and only on a connected endpoint (RFC 1122
 * §4.1.3.3 leaves the choice to the implementation).
 */

/**
 * The `fatal` column of Linux's icmp_err_convert[], by destination
 * unreachable code: protocol/port unreachable, unknown or isolated hosts and
 * administrative prohibitions are hard; routing failures may be transient.
 */
const HARD_UNREACH: readonly boolean[] = [
  false, // 0 net unreachable
  false, // 1 host unreachable
  true, // 2 protocol unreachable
  true, // 3 port unreachable
  false, // 4 fragmentation needed (handled apart)
  false, // 5 source route failed
  true, // 6 net unknown
  true, // 7 host unknown
  true, // 8 host isolated
  true, // 9 net prohibited
  true, // 10 host prohibited
  false, // 11 net unreachable for TOS
  false, // 12 host unreachable for TOS
  true, // 13 communication prohibited
  true, // 14 precedence violation
  true, // 15 precedence cutoff
];

/** The errno an ICMP error sets on a datagram endpoint, with whether it is hard; null to ignore it. */
export function datagramIcmpError(
  report: IcmpErrorReport,
  pmtu: PmtuDiscovery,
): { readonly errno: ErrnoCode; readonly hard: boolean } | null {
  if (report.family !== 4) return icmpv6Error(report, pmtu);
  switch (report.type) {
    case 3:
      if (report.code === 4) {
        // Path MTU discovery: with DF datagrams the size error is the application's to see.
        return pmtu === 'dont' ? null : { errno: 'EMSGSIZE', hard: true };
      }
      return { errno: report.errno, hard: HARD_UNREACH[report.code] ?? false };
    case 11:
      return { errno: 'EHOSTUNREACH', hard: false };
    case 12:
      return { errno: 'EPROTO', hard: true };
    default:
      return null;
  }
}

/**
 * Linux icmpv6_err_convert: destination unreachable codes 1 (administratively
 * prohibited), 4 (port unreachable), 5 and 6 (policy, reject route) are hard;
 * packet too big is hard unless PMTU discovery is off; parameter problem is
 * EPROTO and hard; time exceeded is soft.
 */
function icmpv6Error(report: IcmpErrorReport, pmtu: PmtuDiscovery): { readonly errno: ErrnoCode; readonly hard: boolean } | null {
  switch (report.type) {
    case 1:
      switch (report.code) {
        case 0:
          return { errno: 'ENETUNREACH', hard: false };
        case 1:
        case 5:
        case 6:
          return { errno: 'EACCES', hard: true };
        case 4:
          return { errno: 'ECONNREFUSED', hard: true };
        default:
          return { errno: 'EHOSTUNREACH', hard: false };
      }
    case 2:
      return pmtu === 'dont' ? null : { errno: 'EMSGSIZE', hard: true };
    case 3:
      return { errno: 'EHOSTUNREACH', hard: false };
    case 4:
      return { errno: 'EPROTO', hard: true };
    default:
      return null;
  }
}
