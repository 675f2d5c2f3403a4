import { seqAdd } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { MAX_WSCALE, type TcpOptions } from './options.js';
import { initialWindow } from './output.js';

/**
 * Option negotiation at connection setup (RFC 9293 §3.7.1 MSS, RFC 7323
 * window scale and timestamps, RFC 2018 SACK-permitted) and the sizes that
 * follow from it.
 */

/** IP + TCP header bytes without options, per family. */
export function baseHeaderLen(family: 4 | 6): number {
  return family === 4 ? 40 : 60;
}

/** MSS we announce for a path MTU, clamped by TCP_MAXSEG (RFC 9293 §3.7.1, RFC 6691). */
export function advertisedMss(c: TcpConnection): number {
  let mss = c.pmtu - baseHeaderLen(c.family);
  if (c.options.maxSeg > 0 && c.options.maxSeg < mss) mss = c.options.maxSeg;
  return Math.max(mss, c.host.config.minMss);
}

/**
 * Effective send MSS: the peer's MSS, our path MTU and TCP_MAXSEG, minus the
 * timestamp option carried on every segment (Linux mss_cache).
 */
export function computeSendMss(c: TcpConnection): number {
  let mss = Math.min(c.peerMss, c.pmtu - baseHeaderLen(c.family));
  if (c.options.maxSeg > 0) mss = Math.min(mss, c.options.maxSeg);
  if (c.tsOk) mss -= 12;
  return Math.max(mss, c.host.config.minMss - (c.tsOk ? 12 : 0));
}

/** Sets up the fields of a connection about to send its SYN (active open). */
export function prepareActive(c: TcpConnection): void {
  const cfg = c.host.config;
  c.advMss = advertisedMss(c);
  c.offeredWscale = c.options.windowScaling && cfg.windowScaling ? Math.min(windowScaleForBuf(c), MAX_WSCALE) : 0;
  c.rcvWnd = initialWindow(c, c.advMss);
  c.rcvSsthresh = c.rcvWnd;
  c.rcvMss = Math.min(c.advMss, 536);
}

function windowScaleForBuf(c: TcpConnection): number {
  let space = Math.max(c.host.config.rmem[2], c.rcvBufSize);
  let ws = 0;
  while (space > 0xffff && ws < MAX_WSCALE) {
    space >>>= 1;
    ws++;
  }
  return ws;
}

/**
 * Applies the options of the peer's SYN (passive open) or SYN-ACK (active
 * open). For a passive open, the offer is whatever the peer's SYN carried
 * and we allow; for an active one, only what we offered in our SYN counts.
 */
export function applyPeerSyn(c: TcpConnection, o: TcpOptions, active: boolean, segSeq: number, segWindow: number): void {
  const cfg = c.host.config;
  const allowWs = active ? c.offeredWscale > 0 || (c.options.windowScaling && cfg.windowScaling) : c.options.windowScaling && cfg.windowScaling;
  const allowTs = c.options.timestamps && cfg.timestamps;
  const allowSack = c.options.sack && cfg.sack;
  c.irs = (segSeq >>> 0) as typeof c.irs;
  c.rcvNxt = seqAdd(c.irs, 1);
  c.rcvWup = c.rcvNxt;
  c.lastAckSent = c.rcvNxt;
  c.peerMss = o.mss > 0 ? o.mss : cfg.defaultMss;
  c.wsOk = allowWs && o.wscale >= 0;
  if (c.wsOk) {
    c.sndWscale = Math.min(o.wscale, MAX_WSCALE);
    if (!active) c.offeredWscale = Math.min(windowScaleForBuf(c), MAX_WSCALE);
    c.rcvWscale = c.offeredWscale;
  } else {
    c.sndWscale = 0;
    c.rcvWscale = 0;
    c.offeredWscale = 0;
  }
  c.tsOk = allowTs && o.hasTimestamp;
  if (c.tsOk) {
    c.tsRecent = o.tsVal;
    c.tsRecentStamp = c.host.ctx.clock.now();
  }
  c.sackOk = allowSack && o.sackPermitted;
  // RFC 7323 §2.2: the window field of a SYN is never scaled.
  c.sndWnd = segWindow;
  c.maxSndWnd = segWindow;
  c.mss = computeSendMss(c);
  if (!active) {
    c.advMss = advertisedMss(c);
    c.rcvWnd = initialWindow(c, c.advMss - (c.tsOk ? 12 : 0));
    c.rcvSsthresh = c.rcvWnd;
  }
  c.rcvMss = Math.max(cfg.minMss, Math.min(c.advMss, c.mss, c.rcvWnd >>> 1));
}
