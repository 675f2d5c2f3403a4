import { ERRNO } from '../../core/errno.js';
import { deferAcceptRetransFor, deferAcceptSecondsFor } from '../../tcp/socket-options.js';
import { TcpState } from '../../tcp/state.js';
import { linuxBufferSize } from './buffer-size.js';
import {
  IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MTU, IP_MTU_DISCOVER, IP_MULTICAST_TTL, IP_TOS, IP_TTL, SO_ACCEPTCONN,
  SO_BROADCAST, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SOL_IP, SOL_IPV6,
  SOL_SOCKET, SOL_TCP, TCP_CORK, TCP_DEFER_ACCEPT, TCP_INFO, TCP_QUICKACK, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_LINGER2, TCP_MAXSEG,
  TCP_NODELAY, TCP_USER_TIMEOUT,
} from './constants.js';
import { tcpIpv6Getsockopt, tcpIpv6Setsockopt } from './ipv6-sockopt.js';
import { intOption } from './socket-base.js';
import { closedTcpInfo, connectionTcpInfo, listenerTcpInfo, TCP_INFO_LEN } from './tcp-info.js';
import type { TcpSocket } from './tcp-socket.js';
import type { GetsockoptResult, Linger, OptionValue } from './types.js';

/**
 * setsockopt/getsockopt of TCP sockets, with the ranges and quirks of
 * Linux's sock_setsockopt, do_tcp_setsockopt and do_ip_setsockopt. Options
 * not listed fail with ENOPROTOOPT: none is accepted and then ignored.
 */

/** Linux TCP_MIN_MSS and MAX_TCP_WINDOW: the TCP_MAXSEG range. */
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;
/** MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL (s), MAX_TCP_KEEPCNT. */
const MAX_KEEPIDLE = 32767;
const MAX_KEEPINTVL = 32767;
const MAX_KEEPCNT = 127;
/** TCP_FIN_TIMEOUT_MAX (s): the TCP_LINGER2 ceiling. */
const FIN_TIMEOUT_MAX = 120;
/** TCP_MSS_DEFAULT: what TCP_MAXSEG reads before a connection exists. */
const TCP_MSS_DEFAULT = 536;
/** net.ipv4.ip_default_ttl. */
const DEFAULT_TTL = 64;

const EINVAL = -ERRNO.EINVAL;
const ENOPROTOOPT = -ERRNO.ENOPROTOOPT;

function int(v: number): GetsockoptResult {
  return { value: v, optlen: 4 };
}

/** setsockopt on a TCP socket. */
export function tcpSetsockopt(s: TcpSocket, level: number, name: number, value: OptionValue, optlen: number): number {
  if (level === SOL_SOCKET) return socketLevel(s, name, value, optlen);
  if (level === SOL_TCP) return tcpLevel(s, name, value, optlen);
  if (level === SOL_IP) return ipLevel(s, name, value, optlen);
  if (level === SOL_IPV6) return tcpIpv6Setsockopt(s, name, value, optlen);
  return ENOPROTOOPT;
}

function socketLevel(s: TcpSocket, name: number, value: OptionValue, optlen: number): number {
  if (name === SO_LINGER) {
    if (optlen < 8 || typeof value !== 'object' || !('onoff' in value)) return EINVAL;
    const l = value as Linger;
    // sock_setsockopt takes l_linger as unsigned: a negative time lingers "forever".
    const secs = l.linger < 0 ? 0x7fffffff : Math.trunc(l.linger);
    s.applyTcpOptions({ lingerOn: l.onoff !== 0, lingerS: secs });
    return 0;
  }
  const common = s.commonSetsockopt(name, value, optlen);
  if (common !== undefined) return common;
  const v = intOption(value, optlen);
  if (v === null) return EINVAL;
  switch (name) {
    case SO_REUSEADDR:
      s.reuseAddr = v !== 0;
      return 0;
    case SO_REUSEPORT:
      s.reusePort = v !== 0;
      return 0;
    case SO_BROADCAST:
      s.broadcast = v !== 0;
      return 0;
    case SO_KEEPALIVE:
      s.applyTcpOptions({ keepAlive: v !== 0 });
      return 0;
    case SO_RCVBUF:
      s.rcvBufSet = linuxBufferSize(v, 'rcv');
      s.applyTcpOptions({ rcvBuf: s.rcvBufSet });
      return 0;
    case SO_SNDBUF:
      s.sndBufSet = linuxBufferSize(v, 'snd');
      s.applyTcpOptions({ sndBuf: s.sndBufSet });
      return 0;
    default:
      return ENOPROTOOPT;
  }
}

function tcpLevel(s: TcpSocket, name: number, value: OptionValue, optlen: number): number {
  if (name === TCP_INFO) return ENOPROTOOPT;
  const v = intOption(value, optlen);
  if (v === null) return EINVAL;
  switch (name) {
    case TCP_NODELAY:
      s.applyTcpOptions({ noDelay: v !== 0 });
      return 0;
    case TCP_CORK:
      s.applyTcpOptions({ cork: v !== 0 });
      return 0;
    case TCP_MAXSEG:
      if (v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) return EINVAL;
      s.applyTcpOptions({ maxSeg: v });
      return 0;
    case TCP_KEEPIDLE:
      if (v < 1 || v > MAX_KEEPIDLE) return EINVAL;
      s.applyTcpOptions({ keepIdleS: v });
      return 0;
    case TCP_KEEPINTVL:
      if (v < 1 || v > MAX_KEEPINTVL) return EINVAL;
      s.applyTcpOptions({ keepIntvlS: v });
      return 0;
    case TCP_KEEPCNT:
      if (v < 1 || v > MAX_KEEPCNT) return EINVAL;
      s.applyTcpOptions({ keepCnt: v });
      return 0;
    case TCP_LINGER2:
      s.applyTcpOptions({ linger2S: v < 0 ? -1 : Math.min(v, FIN_TIMEOUT_MAX) });
      return 0;
    case TCP_USER_TIMEOUT:
      if (v < 0) return EINVAL;
      s.applyTcpOptions({ userTimeoutMs: v });
      return 0;
    case TCP_DEFER_ACCEPT:
      // Linux keeps the seconds as a count of SYN-ACK retransmissions (secs_to_retrans).
      s.applyTcpOptions({ deferAccept: deferAcceptRetransFor(v) });
      return 0;
    case TCP_QUICKACK:
      s.setQuickAck(v !== 0);
      return 0;
    default:
      return ENOPROTOOPT;
  }
}

function ipLevel(s: TcpSocket, name: number, value: OptionValue, optlen: number): number {
  // do_ip_setsockopt reads an int, or a single byte when optlen < 4.
  switch (name) {
    case IP_TTL: {
      const v = intOption(value, optlen, 1);
      if (v === null || (v !== -1 && (v < 1 || v > 255))) return EINVAL;
      s.ipTtl = v;
      s.applyIpOptions();
      return 0;
    }
    case IP_TOS: {
      const v = intOption(value, optlen, 1);
      if (v === null) return EINVAL;
      // Stream sockets keep their ECN bits (we never set any).
      s.ipTos = v & 0xfc;
      s.applyIpOptions();
      return 0;
    }
    case IP_MTU_DISCOVER: {
      const v = intOption(value, optlen, 1);
      if (v === null || v < 0 || v > 5) return EINVAL;
      s.pmtuDiscover = v;
      s.applyIpOptions();
      return 0;
    }
    case IP_MULTICAST_TTL:
      return EINVAL; // do_ip_setsockopt: not for SOCK_STREAM
    case IP_ADD_MEMBERSHIP:
    case IP_DROP_MEMBERSHIP:
      return -ERRNO.EPROTO; // not for connection-oriented sockets
    default:
      return ENOPROTOOPT;
  }
}

/** getsockopt on a TCP socket. */
export function tcpGetsockopt(s: TcpSocket, level: number, name: number): GetsockoptResult | number {
  const c = s.conn;
  const live = c !== null && c.state !== TcpState.CLOSED ? c : null;
  const o = live?.options ?? s.opts;
  const cfg = s.host.tcp.config;
  if (level === SOL_SOCKET) {
    const common = s.commonGetsockopt(name);
    if (common !== undefined) return common;
    switch (name) {
      case SO_REUSEADDR:
        return int(s.reuseAddr ? 1 : 0);
      case SO_REUSEPORT:
        return int(s.reusePort ? 1 : 0);
      case SO_BROADCAST:
        return int(s.broadcast ? 1 : 0);
      case SO_KEEPALIVE:
        return int(o.keepAlive ? 1 : 0);
      case SO_LINGER:
        return { value: { onoff: o.lingerOn ? 1 : 0, linger: o.lingerS }, optlen: 8 };
      case SO_RCVBUF:
        return int(c !== null ? c.rcvBufSize : s.rcvBufSet || cfg.rmem[1]);
      case SO_SNDBUF:
        return int(c !== null ? c.sndBufSize : s.sndBufSet || cfg.wmem[1]);
      case SO_ERROR: {
        // sock_getsockopt: sk_err (cleared), else sk_err_soft (cleared) — the soft error of an ICMP report.
        const e = s.takeError();
        if (e !== 0) return int(-e);
        const c = s.conn;
        const soft = c === null ? null : c.takeSoftError();
        return int(soft === null ? 0 : ERRNO[soft]);
      }
      case SO_ACCEPTCONN:
        return int(s.listening ? 1 : 0);
      default:
        return ENOPROTOOPT;
    }
  }
  if (level === SOL_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return int(o.noDelay ? 1 : 0);
      case TCP_CORK:
        return int(o.cork ? 1 : 0);
      case TCP_MAXSEG: {
        // tcp_getsockopt: mss_cache, or the user's value while closed or listening.
        if (live === null || s.listening) return int(o.maxSeg > 0 ? o.maxSeg : c !== null ? c.mss : TCP_MSS_DEFAULT);
        return int(live.mss);
      }
      case TCP_KEEPIDLE:
        return int(o.keepIdleS > 0 ? o.keepIdleS : Math.floor(cfg.keepaliveTimeUs / 1e6));
      case TCP_KEEPINTVL:
        return int(o.keepIntvlS > 0 ? o.keepIntvlS : Math.floor(cfg.keepaliveIntvlUs / 1e6));
      case TCP_KEEPCNT:
        return int(o.keepCnt > 0 ? o.keepCnt : cfg.keepaliveProbes);
      case TCP_LINGER2:
        return int(o.linger2S < 0 ? -1 : o.linger2S > 0 ? o.linger2S : Math.floor(cfg.finTimeoutUs / 1e6));
      case TCP_USER_TIMEOUT:
        return int(o.userTimeoutMs);
      case TCP_DEFER_ACCEPT:
        return int(deferAcceptSecondsFor(o.deferAccept));
      case TCP_QUICKACK:
        return int(live !== null ? (live.interactive ? 0 : 1) : s.quickAckOff ? 0 : 1);
      case TCP_INFO: {
        if (s.listening) return { value: listenerTcpInfo(s.listeners[0]!), optlen: TCP_INFO_LEN };
        if (c === null) return { value: closedTcpInfo(), optlen: TCP_INFO_LEN };
        return { value: connectionTcpInfo(c, s.host.ctx.clock.now(), cfg.reordering), optlen: TCP_INFO_LEN };
      }
      default:
        return ENOPROTOOPT;
    }
  }
  if (level === SOL_IP) {
    switch (name) {
      case IP_TTL:
        return int(s.ipTtl === -1 ? DEFAULT_TTL : s.ipTtl);
      case IP_TOS:
        return int(s.ipTos);
      case IP_MTU_DISCOVER:
        return int(s.pmtuDiscover);
      case IP_MTU:
        // ip_getsockopt: the MTU of the cached route; none before connect.
        if (live === null) return -ERRNO.ENOTCONN;
        return int(live.pmtu);
      default:
        return ENOPROTOOPT;
    }
  }
  if (level === SOL_IPV6) return tcpIpv6Getsockopt(s, name);
  return ENOPROTOOPT;
}
