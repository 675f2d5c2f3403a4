import type { ErrnoCode } from '../core/errno.js';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAM_PROBLEM,
  ICMPV6_TIME_EXCEEDED,
} from './icmpv6-header.js';

/** How an inbound ICMPv6 error reads to a transport: a normalised kind and an errno. */
export interface Icmpv6ErrorMeaning {
  readonly kind: string;
  readonly errno: ErrnoCode;
}

/** Destination Unreachable codes 0..6 (RFC 4443 §3.1), errnos as Linux's icmpv6_err_convert table. */
const UNREACH: readonly Icmpv6ErrorMeaning[] = [
  { kind: 'net-unreachable', errno: 'ENETUNREACH' }, // 0 no route to destination
  { kind: 'admin-prohibited', errno: 'EACCES' }, // 1 administratively prohibited
  { kind: 'host-unreachable', errno: 'EHOSTUNREACH' }, // 2 beyond scope of source address
  { kind: 'host-unreachable', errno: 'EHOSTUNREACH' }, // 3 address unreachable
  { kind: 'port-unreachable', errno: 'ECONNREFUSED' }, // 4 port unreachable
  { kind: 'admin-prohibited', errno: 'EACCES' }, // 5 source address failed ingress/egress policy
  { kind: 'admin-prohibited', errno: 'EACCES' }, // 6 reject route to destination
];

/** The meaning of an ICMPv6 error type/code, or null for types that are not errors we act on. */
export function icmpv6ErrorMeaning(type: number, code: number): Icmpv6ErrorMeaning | null {
  switch (type) {
    case ICMPV6_DEST_UNREACH:
      return UNREACH[code] ?? { kind: 'other', errno: 'EHOSTUNREACH' };
    case ICMPV6_PACKET_TOO_BIG:
      return { kind: 'frag-needed', errno: 'EMSGSIZE' };
    case ICMPV6_TIME_EXCEEDED:
      return { kind: 'time-exceeded', errno: 'EHOSTUNREACH' };
    case ICMPV6_PARAM_PROBLEM:
      return { kind: 'parameter-problem', errno: 'EPROTO' };
    default:
      return null;
  }
}
