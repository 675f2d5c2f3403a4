import type { PacketBuffer } from '../core/packet-buffer.js';
import { type Seq, seqAdd } from '../core/seq.js';
import type { InboundIp, IpAddress, IpLayer } from '../ip/types.js';
import type { TcpConfig } from './config.js';
import type { TcpConnection, TcpSocketOptions } from './connection.js';
import { ACK, fillTcpChecksum, RST, SYN, TCP_HEADER_LEN, type TcpSegment, writeTcpFixed } from './header.js';
import type { StackContext } from '../core/context.js';
import type { TcpListener } from './listener.js';
import { advertisedMss, applyPeerSyn, baseHeaderLen, computeSendMss } from './negotiate.js';
import { emptyOptionPlan, linuxOptionsLength, MAX_WSCALE, type TcpOptions, writeLinuxOptions } from './options.js';
import * as out from './output.js';
import { cookieTimestamp, type SynCookies } from './syncookies.js';
import { TcpState } from './state.js';
import { segmentArrives } from './input.js';
import { ipSendOptionsFor } from './socket-options.js';

/** How long after the last cookie an ACK to a listener is checked as a cookie (Linux TCP_SYNCOOKIE_VALID). */
const COOKIE_VALID_US = 120_000_000;

/** What LISTEN processing needs from the layer. */
export interface PassiveHost {
  readonly ctx: StackContext;
  readonly ip: IpLayer;
  readonly config: TcpConfig;
  readonly cookies: SynCookies;
  newConnection(family: 4 | 6, local: IpAddress, lport: number, remote: IpAddress, rport: number, opts: TcpSocketOptions): TcpConnection;
  insert(c: TcpConnection): void;
  isnFor(local: IpAddress, lport: number, remote: IpAddress, rport: number): Seq;
  tsOffsetFor(local: IpAddress, remote: IpAddress): number;
  passiveEstablished(c: TcpConnection): boolean;
  newCongestionControl(mss: number): TcpConnection['cc'];
  resetForUnmatched(info: InboundIp, seg: TcpSegment): void;
  allocPacket(size: number): PacketBuffer;
}

/**
 * SEGMENT ARRIVES in LISTEN (RFC 9293 §3.10.7.2): RST is ignored, an ACK is
 * answered with RST (unless it returns a valid SYN cookie, RFC 4987 §3.6),
 * a SYN creates a SYN-RECEIVED child — or, when the SYN queue is full, is
 * answered statelessly with a cookie as Linux does.
 */
export function listenInput(h: PassiveHost, l: TcpListener, info: InboundIp, seg: TcpSegment, o: TcpOptions, isnHint: number): void {
  const f = seg.flags;
  const counters = h.ctx.counters;
  if (f & RST) {
    h.ctx.trace.dropped('tcp', 'listen-rst', seg.payload);
    return;
  }
  if (f & ACK) {
    if (!(f & SYN) && h.config.syncookies > 0 && h.ctx.clock.now() - l.lastCookieAt < COOKIE_VALID_US) {
      if (cookieAck(h, l, info, seg, o)) return;
    }
    h.resetForUnmatched(info, seg);
    return;
  }
  if (!(f & SYN)) {
    h.ctx.trace.dropped('tcp', 'listen-no-syn', seg.payload);
    return;
  }
  if (l.acceptQueueFull) {
    counters.TcpExtListenOverflows++;
    counters.TcpExtListenDrops++;
    l.stats.acceptQueueOverflows++;
    return;
  }
  if (l.synQueueFull || h.config.syncookies === 2) {
    if (l.synQueueFull) l.stats.synQueueOverflows++;
    if (h.config.syncookies === 0) {
      counters.TcpExtTCPReqQFullDrop++;
      counters.TcpExtListenDrops++;
      return;
    }
    counters.TcpExtTCPReqQFullDoCookies++;
    sendCookieSynAck(h, l, info, seg, o);
    return;
  }
  const route = h.ip.route(info.src, info.dst);
  if (route === null) {
    counters.TcpExtListenDrops++;
    return;
  }
  const c = h.newConnection(info.family, info.dst, seg.dstPort, info.src, seg.srcPort, { ...l.options });
  c.pmtu = route.mtu;
  c.listener = l;
  c.iss = isnHint >= 0 ? (isnHint as Seq) : h.isnFor(info.dst, seg.dstPort, info.src, seg.srcPort);
  c.sndUna = c.iss;
  c.sndNxt = c.iss;
  c.sndSml = c.iss;
  c.pushedSeq = c.iss;
  applyPeerSyn(c, o, false, seg.seq, seg.window);
  c.sndWl1 = seg.seq as Seq;
  c.sndWl2 = c.iss;
  c.lastRecvAt = h.ctx.clock.now();
  h.insert(c);
  l.synQueue.add(c);
  c.setState(TcpState.SYN_RECEIVED);
  out.sendSyn(c, false);
  // Text or FIN on a SYN may be queued by the RFC; Linux drops it and lets the peer retransmit.
}

function ourWscale(h: PassiveHost, l: TcpListener): number {
  let space = Math.max(h.config.rmem[2], l.options.rcvBuf);
  let ws = 0;
  while (space > 0xffff && ws < MAX_WSCALE) {
    space >>>= 1;
    ws++;
  }
  return ws;
}

/** A stateless SYN-ACK whose ISN is a SYN cookie; options ride in the TSval (Linux cookie_init_timestamp). */
function sendCookieSynAck(h: PassiveHost, l: TcpListener, info: InboundIp, seg: TcpSegment, o: TcpOptions): void {
  const cfg = h.config;
  const route = h.ip.route(info.src, info.dst);
  if (route === null) return;
  let ourMss = route.mtu - baseHeaderLen(info.family);
  if (l.options.maxSeg > 0) ourMss = Math.min(ourMss, l.options.maxSeg);
  const peerMss = Math.min(o.mss > 0 ? o.mss : cfg.defaultMss, ourMss);
  const cookie = h.cookies.makeIsn(info.dst, seg.dstPort, info.src, seg.srcPort, seg.seq as Seq, peerMss);
  const ts = o.hasTimestamp && cfg.timestamps && l.options.timestamps;
  const p = emptyOptionPlan();
  p.mss = ourMss;
  if (ts) {
    const ws = o.wscale >= 0 && cfg.windowScaling && l.options.windowScaling;
    const sack = o.sackPermitted && cfg.sack && l.options.sack;
    const raw = Math.floor(h.ctx.clock.now() / cfg.tsTickUs) >>> 0;
    p.hasTimestamp = true;
    p.tsVal = (cookieTimestamp(raw, { wscale: ws ? Math.min(o.wscale, MAX_WSCALE) : -1, sackPermitted: sack, ecn: false }) + h.tsOffsetFor(info.dst, info.src)) >>> 0;
    p.tsEcr = o.tsVal;
    p.sackPermitted = sack;
    if (ws) p.wscale = ourWscale(h, l);
  }
  const optLen = linuxOptionsLength(p);
  const pkt = h.allocPacket(TCP_HEADER_LEN + optLen);
  const effMss = ourMss - (ts ? 12 : 0);
  let win = Math.min(0xffff, (l.options.rcvBuf > 0 ? l.options.rcvBuf : cfg.rmem[1]) >>> 1);
  if (win > effMss) win = Math.floor(win / effMss) * effMss;
  writeTcpFixed(pkt.buf, pkt.start, seg.dstPort, seg.srcPort, cookie.isn, (seg.seq + 1) >>> 0, SYN | ACK, win, optLen);
  writeLinuxOptions(pkt.buf, pkt.start + TCP_HEADER_LEN, p);
  fillTcpChecksum(pkt.buf, pkt.start, TCP_HEADER_LEN + optLen, info.dst, info.src);
  h.ctx.counters.TcpOutSegs++;
  h.ctx.counters.TcpExtSyncookiesSent++;
  l.stats.cookiesSent++;
  l.lastCookieAt = h.ctx.clock.now();
  // A cookie SYN-ACK carries the listener's TTL/TOS as a stateful one does (Linux tcp_v4_send_synack).
  h.ip.send(ipSendOptionsFor(info.src, info.dst, l.options), pkt);
}

/** Checks an ACK against the cookie it should echo; on success builds the ESTABLISHED connection. */
function cookieAck(h: PassiveHost, l: TcpListener, info: InboundIp, seg: TcpSegment, o: TcpOptions): boolean {
  const cfg = h.config;
  const counters = h.ctx.counters;
  const tsOff = h.tsOffsetFor(info.dst, info.src);
  const tsEcr = o.hasTimestamp && cfg.timestamps ? ((o.tsEcr - tsOff) >>> 0) : -1;
  const r = h.cookies.validate(info.dst, seg.dstPort, info.src, seg.srcPort, seg.seq as Seq, seg.ack as Seq, tsEcr);
  if (!r.ok) {
    counters.TcpExtSyncookiesFailed++;
    l.stats.cookiesFailed++;
    return false;
  }
  if (l.acceptQueueFull) {
    counters.TcpExtListenOverflows++;
    counters.TcpExtListenDrops++;
    return true;
  }
  const d = r.value;
  const route = h.ip.route(info.src, info.dst);
  if (route === null) return false;
  counters.TcpExtSyncookiesRecv++;
  l.stats.cookiesValidated++;
  const c = h.newConnection(info.family, info.dst, seg.dstPort, info.src, seg.srcPort, { ...l.options });
  c.pmtu = route.mtu;
  c.listener = l;
  c.iss = seqAdd(seg.ack as Seq, -1);
  c.irs = seqAdd(seg.seq as Seq, -1);
  // Rebuild the SYN's options from the cookie (RFC 4987 §3.6: only what it encoded survives).
  const syn = {
    mss: d.mss, wscale: d.fromTimestamp ? d.wscale : -1, sackPermitted: d.fromTimestamp && d.sackPermitted,
    hasTimestamp: d.fromTimestamp && o.hasTimestamp, tsVal: o.tsVal, tsEcr: 0, sackCount: 0, sackBlocks: [], ignored: null,
  };
  applyPeerSyn(c, syn, false, c.irs, 0);
  c.sndUna = seg.ack as Seq;
  c.sndNxt = seg.ack as Seq;
  c.sndSml = c.sndUna;
  c.pushedSeq = c.sndUna;
  c.sndWnd = seg.window << c.sndWscale;
  c.maxSndWnd = c.sndWnd;
  c.sndWl1 = seg.seq as Seq;
  c.sndWl2 = seg.ack as Seq;
  c.advMss = advertisedMss(c);
  c.mss = computeSendMss(c);
  c.cc = h.newCongestionControl(c.mss);
  h.insert(c);
  c.setState(TcpState.ESTABLISHED);
  if (!h.passiveEstablished(c)) return true;
  // The ACK may carry data: process it as an ESTABLISHED segment.
  if (seg.payload.length > 0 || seg.flags & 0x01) segmentArrives(c, seg, o);
  return true;
}
