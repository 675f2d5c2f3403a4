import { ERRNO, type ErrnoCode } from '../../core/errno.js';
import { TcpState } from '../../tcp/state.js';
import type { DatagramOptionName, DatagramOptionValues } from '../../udp/socket-options.js';
import {
  AF_INET6, IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, IPV6_MTU, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP,
  IPV6_TCLASS, IPV6_UNICAST_HOPS, IPV6_V6ONLY,
} from './constants.js';
import type { DatagramSocket } from './dgram-socket.js';
import { parseAnyIp } from './sockaddr.js';
import { intOption } from './socket-base.js';
import type { TcpSocket } from './tcp-socket.js';
import type { GetsockoptResult, Ipv6Mreq, OptionValue } from './types.js';

/**
 * SOL_IPV6 (IPPROTO_IPV6) options of AF_INET6 sockets, with the ranges of
 * Linux's do_ipv6_setsockopt / do_ipv6_getsockopt. On an AF_INET socket the
 * level does not exist (ENOPROTOOPT), as Linux's ip_setsockopt answers.
 */

const EINVAL = -ERRNO.EINVAL;
const ENOPROTOOPT = -ERRNO.ENOPROTOOPT;
/** sizeof(struct ipv6_mreq). */
const IPV6_MREQ_LEN = 20;
/** Linux ipv6.conf.all.hop_limit default: what IPV6_UNICAST_HOPS reads while unset. */
const DEFAULT_HOPS = 64;

function int(v: number): GetsockoptResult {
  return { value: v, optlen: 4 };
}

function setOpt<K extends DatagramOptionName>(s: DatagramSocket, name: K, value: DatagramOptionValues[K]): number {
  const r: 'ok' | ErrnoCode = s.dg.ep.setOption(name, value);
  return r === 'ok' ? 0 : -ERRNO[r];
}

/** A hop limit or traffic class: -1 (the default) or 0..255 (do_ipv6_setsockopt). */
function byteOrDefault(value: OptionValue, optlen: number): number | null {
  const v = intOption(value, optlen);
  return v === null || v < -1 || v > 255 ? null : v;
}

/** setsockopt(SOL_IPV6) on a datagram socket. */
export function dgramIpv6Setsockopt(s: DatagramSocket, name: number, value: OptionValue, optlen: number): number {
  if (s.domain !== AF_INET6 || s.dg.kind !== 'udp') return ENOPROTOOPT;
  const ep = s.dg.ep;
  switch (name) {
    case IPV6_V6ONLY: {
      const v = intOption(value, optlen);
      return v === null ? EINVAL : setOpt(s, 'IPV6_V6ONLY', v !== 0);
    }
    case IPV6_UNICAST_HOPS:
    case IPV6_MULTICAST_HOPS:
    case IPV6_TCLASS: {
      const v = byteOrDefault(value, optlen);
      if (v === null) return EINVAL;
      return setOpt(s, name === IPV6_UNICAST_HOPS ? 'IPV6_UNICAST_HOPS' : name === IPV6_TCLASS ? 'IPV6_TCLASS' : 'IPV6_MULTICAST_HOPS', v);
    }
    case IPV6_MULTICAST_LOOP: {
      // do_ipv6_setsockopt: only 0 or 1.
      const v = intOption(value, optlen);
      if (v === null || (v !== 0 && v !== 1)) return EINVAL;
      return setOpt(s, 'IPV6_MULTICAST_LOOP', v === 1);
    }
    case IPV6_MULTICAST_IF: {
      const v = intOption(value, optlen);
      if (v === null || v < 0) return EINVAL;
      return setOpt(s, 'IPV6_MULTICAST_IF', v);
    }
    case IPV6_JOIN_GROUP:
    case IPV6_LEAVE_GROUP: {
      if (optlen < IPV6_MREQ_LEN || typeof value !== 'object' || value instanceof Uint8Array || !('ipv6mr_multiaddr' in value)) return EINVAL;
      const m = value as Ipv6Mreq;
      const group = parseAnyIp(m.ipv6mr_multiaddr);
      const ifindex = m.ipv6mr_interface ?? 0;
      if (group === null || typeof group === 'number' || !Number.isInteger(ifindex) || ifindex < 0) return EINVAL;
      const r = name === IPV6_JOIN_GROUP ? ep.joinGroup6(group, ifindex) : ep.leaveGroup6(group, ifindex);
      return r === 'ok' ? 0 : -ERRNO[r];
    }
    default:
      return ENOPROTOOPT;
  }
}

/** getsockopt(SOL_IPV6) on a datagram socket. */
export function dgramIpv6Getsockopt(s: DatagramSocket, name: number): GetsockoptResult | number {
  if (s.domain !== AF_INET6 || s.dg.kind !== 'udp') return ENOPROTOOPT;
  const ep = s.dg.ep;
  switch (name) {
    case IPV6_V6ONLY:
      return int(ep.getOption('IPV6_V6ONLY') ? 1 : 0);
    case IPV6_UNICAST_HOPS:
      return int(ep.getOption('IPV6_UNICAST_HOPS'));
    case IPV6_MULTICAST_HOPS:
      return int(ep.getOption('IPV6_MULTICAST_HOPS'));
    case IPV6_MULTICAST_LOOP:
      return int(ep.getOption('IPV6_MULTICAST_LOOP') ? 1 : 0);
    case IPV6_MULTICAST_IF:
      return int(ep.getOption('IPV6_MULTICAST_IF'));
    case IPV6_TCLASS:
      return int(ep.getOption('IPV6_TCLASS'));
    case IPV6_MTU: {
      // The path MTU toward the connected peer; ENOTCONN before connect.
      if (!ep.connected) return -ERRNO.ENOTCONN;
      const mtu = s.host.ip.pathMtu(ep.remoteAddress);
      return mtu === 0 ? -ERRNO.ENOTCONN : int(mtu);
    }
    default:
      return ENOPROTOOPT;
  }
}

/**
 * setsockopt(SOL_IPV6) on a TCP socket: IPV6_V6ONLY (before bind: it
 * decides whether a `::` binding also listens on IPv4), IPV6_UNICAST_HOPS
 * and IPV6_TCLASS (through the facade's IP send options). Multicast options
 * do not apply to a stream (ENOPROTOOPT); group membership is EPROTO, as
 * Linux answers for connection-oriented sockets.
 */
export function tcpIpv6Setsockopt(s: TcpSocket, name: number, value: OptionValue, optlen: number): number {
  if (s.domain !== AF_INET6) return ENOPROTOOPT;
  switch (name) {
    case IPV6_V6ONLY: {
      const v = intOption(value, optlen);
      if (v === null || s.binding !== null) return EINVAL;
      s.v6Only = v !== 0;
      return 0;
    }
    case IPV6_UNICAST_HOPS:
    case IPV6_TCLASS: {
      const v = byteOrDefault(value, optlen);
      if (v === null) return EINVAL;
      if (name === IPV6_UNICAST_HOPS) s.hops6 = v;
      else s.tclass = v === -1 ? 0 : v;
      s.applyIpOptions();
      return 0;
    }
    case IPV6_JOIN_GROUP:
    case IPV6_LEAVE_GROUP:
      return -ERRNO.EPROTO;
    default:
      return ENOPROTOOPT;
  }
}

/** getsockopt(SOL_IPV6) on a TCP socket. */
export function tcpIpv6Getsockopt(s: TcpSocket, name: number): GetsockoptResult | number {
  if (s.domain !== AF_INET6) return ENOPROTOOPT;
  switch (name) {
    case IPV6_V6ONLY:
      return int(s.v6Only ? 1 : 0);
    case IPV6_UNICAST_HOPS:
      return int(s.hops6 === -1 ? DEFAULT_HOPS : s.hops6);
    case IPV6_TCLASS:
      return int(s.tclass);
    case IPV6_MTU: {
      const c = s.conn;
      if (c === null || c.state === TcpState.CLOSED) return -ERRNO.ENOTCONN;
      return int(c.pmtu);
    }
    default:
      return ENOPROTOOPT;
  }
}
