import { formatIPv4 } from '../../core/address.js';
import { ERRNO, type ErrnoCode } from '../../core/errno.js';
import { MAX_SOCKET_BUFFER } from '../../udp/datagram-queue.js';
import type { DatagramOptionName, DatagramOptionValues, PmtuDiscovery } from '../../udp/socket-options.js';
import {
  ICMP_FILTER, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MTU, IP_MTU_DISCOVER, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL, IP_TOS, IP_TTL, SO_ACCEPTCONN, SO_BROADCAST, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF,
  SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SOL_IP, SOL_IPV6, SOL_RAW, SOL_SOCKET,
} from './constants.js';
import type { DatagramSocket } from './dgram-socket.js';
import { dgramIpv6Getsockopt, dgramIpv6Setsockopt } from './ipv6-sockopt.js';
import { intOption } from './socket-base.js';
import { parseAnyIp } from './sockaddr.js';
import type { GetsockoptResult, IpMreq, Linger, OptionValue } from './types.js';

/**
 * setsockopt/getsockopt of datagram sockets (UDP, ping, raw ICMP), passed to
 * the endpoint's option set, which applies Linux's validation. Options not
 * listed fail with ENOPROTOOPT.
 */

const EINVAL = -ERRNO.EINVAL;
const ENOPROTOOPT = -ERRNO.ENOPROTOOPT;

/** IP_PMTUDISC_* → the endpoint's modes. INTERFACE (4) sets DF and ignores the path MTU like PROBE; OMIT (5) fragments like DONT. */
const PMTU_MODES: readonly PmtuDiscovery[] = ['dont', 'want', 'do', 'probe', 'probe', 'dont'];

function int(v: number): GetsockoptResult {
  return { value: v, optlen: 4 };
}

function setOpt<K extends DatagramOptionName>(s: DatagramSocket, name: K, value: DatagramOptionValues[K]): number {
  const r: 'ok' | ErrnoCode = s.dg.ep.setOption(name, value);
  return r === 'ok' ? 0 : -ERRNO[r];
}

function ipv4Of(a: string | Uint8Array | undefined): number | null {
  if (a === undefined) return 0;
  const ip = parseAnyIp(a);
  return typeof ip === 'number' ? ip : null;
}

/** setsockopt on a datagram socket. */
export function dgramSetsockopt(s: DatagramSocket, level: number, name: number, value: OptionValue, optlen: number): number {
  if (level === SOL_SOCKET) return socketLevel(s, name, value, optlen);
  if (level === SOL_IP) return ipLevel(s, name, value, optlen);
  if (level === SOL_IPV6) return dgramIpv6Setsockopt(s, name, value, optlen);
  if (level === SOL_RAW && name === ICMP_FILTER && s.dg.kind === 'raw') {
    const v = intOption(value, optlen);
    if (v === null) return EINVAL;
    s.dg.ep.icmpFilter = v >>> 0;
    return 0;
  }
  return ENOPROTOOPT;
}

function socketLevel(s: DatagramSocket, name: number, value: OptionValue, optlen: number): number {
  if (name === SO_LINGER) {
    if (optlen < 8 || typeof value !== 'object' || !('onoff' in value)) return EINVAL;
    const l = value as Linger;
    s.lingerOn = l.onoff !== 0;
    s.lingerS = l.linger < 0 ? 0x7fffffff : Math.trunc(l.linger);
    return 0;
  }
  const common = s.commonSetsockopt(name, value, optlen);
  if (common !== undefined) return common;
  const v = intOption(value, optlen);
  if (v === null) return EINVAL;
  switch (name) {
    case SO_REUSEADDR:
      return setOpt(s, 'SO_REUSEADDR', v !== 0);
    case SO_REUSEPORT:
      return setOpt(s, 'SO_REUSEPORT', v !== 0);
    case SO_BROADCAST:
      return setOpt(s, 'SO_BROADCAST', v !== 0);
    case SO_RCVBUF:
      // Linux takes the int as unsigned: a negative request is the maximum.
      return setOpt(s, 'SO_RCVBUF', Math.min(v >>> 0, MAX_SOCKET_BUFFER));
    case SO_SNDBUF:
      return setOpt(s, 'SO_SNDBUF', Math.min(v >>> 0, MAX_SOCKET_BUFFER));
    case SO_KEEPALIVE:
      s.keepAlive = v !== 0;
      return 0;
    default:
      return ENOPROTOOPT;
  }
}

function ipLevel(s: DatagramSocket, name: number, value: OptionValue, optlen: number): number {
  switch (name) {
    case IP_TTL: {
      const v = intOption(value, optlen, 1);
      return v === null ? EINVAL : setOpt(s, 'IP_TTL', v);
    }
    case IP_TOS: {
      const v = intOption(value, optlen, 1);
      return v === null ? EINVAL : setOpt(s, 'IP_TOS', v);
    }
    case IP_MULTICAST_TTL: {
      const v = intOption(value, optlen, 1);
      return v === null ? EINVAL : setOpt(s, 'IP_MULTICAST_TTL', v);
    }
    case IP_MULTICAST_LOOP: {
      const v = intOption(value, optlen, 1);
      return v === null ? EINVAL : setOpt(s, 'IP_MULTICAST_LOOP', v !== 0);
    }
    case IP_MTU_DISCOVER: {
      const v = intOption(value, optlen, 1);
      if (v === null || v < 0 || v >= PMTU_MODES.length) return EINVAL;
      const r = setOpt(s, 'IP_MTU_DISCOVER', PMTU_MODES[v]!);
      if (r === 0) s.pmtuDiscover = v;
      return r;
    }
    case IP_MULTICAST_IF: {
      // An in_addr (4 bytes), an ip_mreq (8) or an ip_mreqn (12): the interface by address or index.
      if (optlen < 4) return EINVAL;
      let ifindex = 0;
      let address: number | null;
      if (typeof value === 'string' || value instanceof Uint8Array) address = ipv4Of(value);
      else if (typeof value === 'object' && ('imr_address' in value || 'imr_ifindex' in value || 'imr_multiaddr' in value)) {
        const m = value as IpMreq;
        address = ipv4Of(m.imr_address);
        ifindex = m.imr_ifindex ?? 0;
      } else return EINVAL;
      if (address === null || !Number.isInteger(ifindex) || ifindex < 0) return EINVAL;
      return setOpt(s, 'IP_MULTICAST_IF', { ifindex, address });
    }
    case IP_ADD_MEMBERSHIP:
    case IP_DROP_MEMBERSHIP: {
      if (s.dg.kind !== 'udp') return ENOPROTOOPT;
      if (optlen < 8 || typeof value !== 'object' || value instanceof Uint8Array || !('imr_multiaddr' in value)) return EINVAL;
      const m = value as IpMreq;
      const group = ipv4Of(m.imr_multiaddr);
      const address = ipv4Of(m.imr_address);
      if (group === null || address === null) return EINVAL;
      const on = { ifindex: m.imr_ifindex ?? 0, address };
      const r = name === IP_ADD_MEMBERSHIP ? s.dg.ep.addMembership(group, on) : s.dg.ep.dropMembership(group, on);
      return r === 'ok' ? 0 : -ERRNO[r];
    }
    default:
      return ENOPROTOOPT;
  }
}

/** getsockopt on a datagram socket. */
export function dgramGetsockopt(s: DatagramSocket, level: number, name: number): GetsockoptResult | number {
  const ep = s.dg.ep;
  if (level === SOL_SOCKET) {
    const common = s.commonGetsockopt(name);
    if (common !== undefined) return common;
    switch (name) {
      case SO_REUSEADDR:
        return int(ep.getOption('SO_REUSEADDR') ? 1 : 0);
      case SO_REUSEPORT:
        return int(ep.getOption('SO_REUSEPORT') ? 1 : 0);
      case SO_BROADCAST:
        return int(ep.getOption('SO_BROADCAST') ? 1 : 0);
      case SO_RCVBUF:
        return int(ep.getOption('SO_RCVBUF'));
      case SO_SNDBUF:
        return int(ep.getOption('SO_SNDBUF'));
      case SO_KEEPALIVE:
        return int(s.keepAlive ? 1 : 0);
      case SO_LINGER:
        return { value: { onoff: s.lingerOn ? 1 : 0, linger: s.lingerS }, optlen: 8 };
      case SO_ERROR: {
        const e = ep.takeError();
        return int(e === null ? 0 : ERRNO[e]);
      }
      case SO_ACCEPTCONN:
        return int(0);
      default:
        return ENOPROTOOPT;
    }
  }
  if (level === SOL_IP) {
    switch (name) {
      case IP_TTL:
        return int(ep.getOption('IP_TTL'));
      case IP_TOS:
        return int(ep.getOption('IP_TOS'));
      case IP_MULTICAST_TTL:
        return int(ep.getOption('IP_MULTICAST_TTL'));
      case IP_MULTICAST_LOOP:
        return int(ep.getOption('IP_MULTICAST_LOOP') ? 1 : 0);
      case IP_MULTICAST_IF:
        // ip_getsockopt returns the in_addr of the multicast interface.
        return { value: formatIPv4(ep.getOption('IP_MULTICAST_IF').address), optlen: 4 };
      case IP_MTU_DISCOVER:
        return int(s.pmtuDiscover);
      case IP_MTU: {
        const peer = s.connectedPeer();
        const r = peer === null ? null : s.host.ip.route(peer);
        return r === null ? -ERRNO.ENOTCONN : int(r.mtu);
      }
      default:
        return ENOPROTOOPT;
    }
  }
  if (level === SOL_IPV6) return dgramIpv6Getsockopt(s, name);
  if (level === SOL_RAW && name === ICMP_FILTER && s.dg.kind === 'raw') return int(s.dg.ep.icmpFilter);
  return ENOPROTOOPT;
}
