import type { ErrnoCode } from '../core/errno.js';
import {
  ICMPV4_DEST_UNREACH,
  ICMPV4_PARAM_PROBLEM,
  ICMPV4_TIME_EXCEEDED,
  ICMPV4_UNREACH_FRAG_NEEDED,
  ICMPV4_UNREACH_HOST,
  ICMPV4_UNREACH_PORT,
  ICMPV4_UNREACH_PROTOCOL,
} from './icmpv4-header.js';

/** How an inbound ICMPv4 error reads to a transport: a normalised kind and an errno. */
export interface Icmpv4ErrorMeaning {
  readonly kind: string;
  readonly errno: ErrnoCode;
}

const UNREACH: readonly Icmpv4ErrorMeaning[] = [
  // Code order follows RFC 792 / RFC 1122 §3.2.2.1 / RFC 1812 §5.2.7.1; errnos
  // as Linux's icmp_err_convert table maps them.
  { kind: 'net-unreachable', errno: 'ENETUNREACH' }, // 0
  { kind: 'host-unreachable', errno: 'EHOSTUNREACH' }, // 1
  { kind: 'protocol-unreachable', errno: 'ENOPROTOOPT' }, // 2
  { kind: 'port-unreachable', errno: 'ECONNREFUSED' }, // 3
  { kind: 'frag-needed', errno: 'EMSGSIZE' }, // 4
  { kind: 'source-route-failed', errno: 'EOPNOTSUPP' }, // 5
  { kind: 'net-unreachable', errno: 'ENETUNREACH' }, // 6 network unknown
  { kind: 'host-unreachable', errno: 'EHOSTDOWN' }, // 7 host unknown
  { kind: 'host-unreachable', errno: 'ENONET' }, // 8 host isolated
  { kind: 'admin-prohibited', errno: 'ENETUNREACH' }, // 9
  { kind: 'admin-prohibited', errno: 'EHOSTUNREACH' }, // 10
  { kind: 'net-unreachable', errno: 'ENETUNREACH' }, // 11 net unreachable for TOS
  { kind: 'host-unreachable', errno: 'EHOSTUNREACH' }, // 12 host unreachable for TOS
  { kind: 'admin-prohibited', errno: 'EHOSTUNREACH' }, // 13 (RFC 1812)
  { kind: 'admin-prohibited', errno: 'EHOSTUNREACH' }, // 14 precedence violation
  { kind: 'admin-prohibited', errno: 'EHOSTUNREACH' }, // 15 precedence cutoff
];

/** The meaning of an error type/code, or null for types that are not errors we act on. */
export function icmpv4ErrorMeaning(type: number, code: number): Icmpv4ErrorMeaning | null {
  if (type === ICMPV4_DEST_UNREACH) return UNREACH[code] ?? { kind: 'other', errno: 'EHOSTUNREACH' };
  if (type === ICMPV4_TIME_EXCEEDED) return { kind: 'time-exceeded', errno: 'EHOSTUNREACH' };
  if (type === ICMPV4_PARAM_PROBLEM) return { kind: 'parameter-problem', errno: 'EPROTO' };
  return null;
}

/** Type and code to send for a locally detected error (RFC 1122 §3.2.2). */
export function icmpv4TypeCodeFor(error: string): { type: number; code: number } {
  switch (error) {
    case 'protocol-unreachable':
      return { type: ICMPV4_DEST_UNREACH, code: ICMPV4_UNREACH_PROTOCOL };
    case 'port-unreachable':
      return { type: ICMPV4_DEST_UNREACH, code: ICMPV4_UNREACH_PORT };
    case 'host-unreachable':
      return { type: ICMPV4_DEST_UNREACH, code: ICMPV4_UNREACH_HOST };
    case 'frag-needed':
      return { type: ICMPV4_DEST_UNREACH, code: ICMPV4_UNREACH_FRAG_NEEDED };
    case 'reassembly-timeout':
      return { type: ICMPV4_TIME_EXCEEDED, code: 1 };
    case 'ttl-exceeded':
      return { type: ICMPV4_TIME_EXCEEDED, code: 0 };
    default:
      return { type: ICMPV4_PARAM_PROBLEM, code: 0 };
  }
}
