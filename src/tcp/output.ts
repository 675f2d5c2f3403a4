import { type Seq, seqAdd, seqDiff, seqGt } from '../core/seq.js';
import type { IpSendOptions } from '../ip/types.js';
import { winFromSpace } from './config.js';
import type { TcpConnection } from './connection.js';
import { ACK, FIN, fillTcpChecksum, IPPROTO_TCP, PSH, RST, SYN, TCP_HEADER_LEN, writeTcpFixed } from './header.js';
import { linuxOptionsLength, maxSackBlocks, writeLinuxOptions } from './options.js';
import type { SentSegment } from './rtx-queue.js';
import { TcpState } from './state.js';
import { ackAfterRead, ackSent, replySent } from './delack.js';
import { cwndQuotaSegs, cwndRoomSegs, tsoAutosizeSegs } from './tso-burst.js';
import * as timers from './timers.js';

/**
 * Transmission: what may be sent now (RFC 9293 §3.8.6, RFC 5681, Nagle RFC
 * 896 with Linux's Minshall variant, TCP_CORK, SWS avoidance §3.8.6.2),
 * segment building with Linux's option layout, and the receive window we
 * advertise.
 */

/**
 * The IP send options of a connection's segments, cached until the source
 * address or an IP option changes (userSetOptions clears the cache): TTL,
 * TOS and DF come from the socket options, so even the first SYN carries
 * them (as socket-options.ts ipSendOptionsFor builds a listener's).
 */
function ipOpts(c: TcpConnection): IpSendOptions {
  let o = c.ipSendOptions;
  if (o === null || o.src !== c.localAddress) {
    const so = c.options;
    o = {
      dst: c.remoteAddress, src: c.localAddress, protocol: IPPROTO_TCP, dontFragment: so.dontFragment,
      ...(so.ttl >= 0 ? { ttl: so.ttl } : {}), ...(so.tos !== 0 ? { tos: so.tos } : {}),
    };
    c.ipSendOptions = o;
  }
  return o;
}

/**
 * Builds and sends one segment. Payload comes from the send buffer at
 * `dataOff` (bytes from SND.UNA), copied once into the packet.
 */
function emit(c: TcpConnection, seq: Seq, flags: number, dataOff: number, len: number): void {
  const host = c.host;
  const p = host.plan;
  p.mss = -1;
  p.wscale = -1;
  p.sackPermitted = false;
  p.hasTimestamp = false;
  p.sackCount = 0;
  const syn = (flags & SYN) !== 0;
  const active = c.state === TcpState.SYN_SENT;
  if (syn) {
    p.mss = c.advMss;
    const o = c.options;
    if (active ? o.sack && host.config.sack : c.sackOk) p.sackPermitted = true;
    if (active ? o.timestamps && host.config.timestamps : c.tsOk) {
      p.hasTimestamp = true;
      p.tsVal = c.tsNow();
      p.tsEcr = active ? 0 : c.tsRecent;
    }
    if (active ? o.windowScaling && host.config.windowScaling : c.wsOk) p.wscale = c.offeredWscale;
  } else {
    if (c.tsOk) {
      p.hasTimestamp = true;
      p.tsVal = c.tsNow();
      p.tsEcr = c.tsRecent;
    }
    if (c.sackOk && (flags & RST) === 0 && c.ooo !== null && (!c.ooo.empty || c.ooo.dsack !== null)) {
      p.sackCount = c.ooo.sackBlocks(p.sackBlocks, maxSackBlocks(p.hasTimestamp), c.rcvNxt);
      c.ooo.dsack = null;
      // c.mss leaves room for the timestamp option only: a data segment that
      // also carries SACK blocks must not outgrow the path MTU (Linux shrinks
      // the payload in tcp_current_mss; with the payload already chosen we
      // send fewer blocks instead, which RFC 2018 §4 permits — the most
      // recent block stays first, and pure ACKs carry the full list).
      if (len > 0) {
        const room = c.mss + (c.tsOk ? 12 : 0) - len;
        while (p.sackCount > 0 && linuxOptionsLength(p) > room) p.sackCount--;
      }
    }
  }
  const optLen = linuxOptionsLength(p);
  const hlen = TCP_HEADER_LEN + optLen;
  const pkt = host.allocPacket(hlen + len);
  const b = pkt.buf;
  const o = pkt.start;
  if (len > 0) c.sendBuf.copyOut(dataOff, len, b, o + hlen);
  let window = 0;
  if (syn) {
    // RFC 7323 §2.2: the SYN's window is never scaled; it is the initial offer.
    window = Math.min(c.rcvWnd, 0xffff);
  } else if ((flags & RST) === 0) {
    const w = selectWindow(c);
    c.rcvWnd = w;
    c.rcvWup = c.rcvNxt;
    window = w >>> c.rcvWscale;
  }
  const ack = (flags & ACK) !== 0 ? c.rcvNxt : 0;
  writeTcpFixed(b, o, c.localPort, c.remotePort, seq, ack, flags, window, optLen);
  writeLinuxOptions(b, o + TCP_HEADER_LEN, p);
  fillTcpChecksum(b, o, hlen + len, c.localAddress, c.remoteAddress);
  const counters = host.ctx.counters;
  counters.TcpOutSegs++;
  c.segsOut++;
  if (flags & RST) counters.TcpOutRsts++;
  if (len > 0) dataSent(c);
  if (flags & ACK) {
    // Any segment carrying an ACK acknowledges everything so far (RFC 1122 §4.2.3.2).
    c.lastAckSent = c.rcvNxt;
    ackSent(c);
  }
  host.ip.send(ipOpts(c), pkt);
}

/**
 * A segment with data is about to leave (Linux tcp_event_data_sent): with
 * nothing in flight the congestion controller hears that sending restarts
 * after a pause (CA_EVENT_TX_START: CUBIC shifts its epoch, RFC 9438 §5.8);
 * the send time is noted (idle restart, TCP_INFO); a reply soon after data
 * arrived counts towards interactive mode.
 */
function dataSent(c: TcpConnection): void {
  const now = c.host.ctx.clock.now();
  if (c.pipe() === 0) c.cc.onSendAfterIdle(now, now - c.lastSendAt);
  c.lastSendAt = now;
  replySent(c, now);
}

/**
 * RFC 5681 §4.1 restart window (Linux tcp_slow_start_after_idle_check):
 * with nothing in flight and no data sent for longer than an RTO, cwnd
 * decays towards the restart window min(IW, cwnd). Checked whenever new data
 * is about to leave — after a write, or after waiting behind a zero window
 * (slow-start-after-win-update.pkt) — once per silence. Only with
 * tcp_slow_start_after_idle on.
 */
function restartAfterIdle(c: TcpConnection): void {
  if (!c.host.config.slowStartAfterIdle || seqDiff(c.sndNxt, c.sndUna) > 0) return;
  const now = c.host.ctx.clock.now();
  // One restart per silence: output runs many times while a window stays shut.
  const idle = now - Math.max(c.lastSendAt, c.idleRestartAt);
  const rto = c.rtt.rtoUs;
  if (idle > rto) {
    c.cc.onIdleRestart(now, idle, rto, c.mss);
    c.idleRestartAt = now;
  }
}

/** The receive window to advertise now, bytes (RFC 9293 §3.8.6.2.2, after Linux __tcp_select_window). */
export function selectWindow(c: TcpConnection): number {
  const space = winFromSpace(c.rcvBufSize);
  let free = space - c.recvBuf.length - (c.ooo?.size ?? 0);
  if (free < 0) free = 0;
  let win = Math.min(free, c.rcvSsthresh);
  // Receiver-side SWS avoidance: do not open a window smaller than a segment
  // while the buffer is more than half full.
  if (free < space >>> 1 && win < c.rcvMss) win = 0;
  const ws = c.rcvWscale;
  if (ws > 0) win = Math.floor(win / (1 << ws)) * (1 << ws);
  const max = 0xffff * (1 << ws);
  if (win > max) win = max;
  // Never shrink the window already offered (RFC 9293 §3.8.6.2.2 MUST-39… "SHOULD NOT shrink").
  const cur = seqDiff(seqAdd(c.rcvWup, c.rcvWnd), c.rcvNxt);
  if (cur > win) {
    win = ws > 0 ? Math.ceil(cur / (1 << ws)) * (1 << ws) : cur;
    if (win > max) win = max;
  }
  return win;
}

/** The initial window for a SYN / SYN-ACK: up to 64 KiB rounded down to whole segments (Linux). */
export function initialWindow(c: TcpConnection, effMss: number): number {
  let w = Math.min(winFromSpace(c.rcvBufSize), 0xffff);
  if (w > effMss) w = Math.floor(w / effMss) * effMss;
  return w;
}

/** Sends a pure ACK now (RFC 9293 §3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>). */
export function sendAck(c: TcpConnection): void {
  emit(c, c.sndNxt, ACK, 0, 0);
}

/** RFC 5961 §3.2/§4/§5: a challenge ACK, rate-limited stack-wide (§7). */
export function sendChallengeAck(c: TcpConnection): void {
  const counters = c.host.ctx.counters;
  if (!c.host.challengeAckAllowed()) {
    counters.TcpExtTCPACKSkippedChallenge++;
    return;
  }
  counters.TcpExtTCPChallengeACK++;
  sendAck(c);
}

/** RST from a connection (ABORT, close with unread data): <SEQ=SND.NXT><CTL=RST,ACK>, with timestamp as Linux. */
export function sendResetFromConnection(c: TcpConnection): void {
  const flags = c.state === TcpState.SYN_SENT ? RST : RST | ACK;
  emit(c, c.sndNxt, flags, 0, 0);
}

/** Sends (or resends) our SYN or SYN-ACK. */
export function sendSyn(c: TcpConnection, retransmit: boolean): void {
  const flags = c.state === TcpState.SYN_SENT ? SYN : SYN | ACK;
  const now = c.host.ctx.clock.now();
  if (!retransmit) {
    c.sndNxt = seqAdd(c.iss, 1);
    c.rtx.push(c.iss, c.sndNxt, now, true, false);
  } else {
    const s = c.rtx.first();
    if (c.retransStamp < 0) c.retransStamp = s ? s.sentAt : now;
    if (s) c.rtx.retransmitted(s, now);
    c.host.ctx.counters.TcpRetransSegs++;
    c.host.ctx.counters.TcpExtTCPSynRetrans++;
    c.totalRetrans++;
  }
  emit(c, c.iss, flags, 0, 0);
  timers.armRto(c);
}

/**
 * shutdown(SHUT_WR)/close(): move to the closing state now and send FIN
 * after the queued data (RFC 9293 §3.10.4).
 */
export function queueFin(c: TcpConnection): void {
  switch (c.state) {
    case TcpState.ESTABLISHED:
      c.finQueued = true;
      c.setState(TcpState.FIN_WAIT_1);
      break;
    case TcpState.CLOSE_WAIT:
      c.finQueued = true;
      c.setState(TcpState.LAST_ACK);
      break;
    case TcpState.SYN_SENT:
    case TcpState.SYN_RECEIVED:
      // Sent once the handshake completes.
      c.finQueued = true;
      return;
    default:
      return;
  }
  tcpOutput(c, true);
}

/**
 * True if Nagle (RFC 896, Minshall variant as Linux tcp_nagle_check) or
 * TCP_CORK — or a send with MSG_MORE, `corkOnce` — holds back a partial
 * segment.
 */
function nagleHolds(c: TcpConnection, corkOnce: boolean): boolean {
  if (c.options.cork || corkOnce) return true;
  if (c.options.noDelay) return false;
  return seqDiff(c.sndNxt, c.sndUna) > 0 && seqGt(c.sndSml, c.sndUna);
}

/**
 * Sends what may be sent now: lost segments first (RFC 6675 §5 NextSeg
 * rule 1), then new data within min(cwnd, rwnd), then a pure ACK if one is
 * owed and nothing carried it. `push` overrides Nagle and cork (FIN, uncork,
 * TCP_NODELAY set); `corkOnce` holds a partial segment for this call only
 * (send with MSG_MORE: Linux tcp_push with TCP_NAGLE_CORK); `pushOne`
 * sends at most one burst (Linux tcp_push_one during a write).
 */
export function tcpOutput(c: TcpConnection, push = false, corkOnce = false, pushOne = false): void {
  const s = c.state;
  if (s !== TcpState.ESTABLISHED && s !== TcpState.CLOSE_WAIT && s !== TcpState.FIN_WAIT_1 &&
      s !== TcpState.CLOSING && s !== TcpState.LAST_ACK) {
    if (c.ackNow && s !== TcpState.CLOSED && s !== TcpState.SYN_SENT && s !== TcpState.LISTEN) sendAck(c);
    return;
  }
  const host = c.host;
  const now = host.ctx.clock.now();
  let sentSomething = false;
  const cwnd = c.cc.cwnd;

  // 1. Retransmit segments marked lost, within cwnd. As Linux retransmits
  // skb by skb, consecutive lost segments of one original burst go out
  // together, and such a burst of several segments ends with PSH.
  while (c.rtx.lostBytes > 0) {
    const room = cwndRoomSegs(c);
    if (room <= 0) {
      c.cwndLimited = true;
      break;
    }
    if (!retransmitLostBurst(c, room, now)) break;
    sentSomething = true;
  }

  // 2. New data, one burst at a time (tso-burst.ts), as Linux tcp_write_xmit.
  if (c.finQueued && !c.finSent) push = true;
  // Data queued while the window was shut may leave after a long silence.
  if (c.sendBuf.length > seqDiff(c.sndNxt, c.sndUna)) restartAfterIdle(c);
  const mss = c.mss;
  for (;;) {
    const offset = seqDiff(c.sndNxt, c.sndUna);
    const unsent = c.sendBuf.length - offset;
    const finNow = c.finQueued && !c.finSent;
    if (unsent <= 0) {
      // A FIN with no data left goes alone, whatever cwnd says (Linux tcp_send_fin).
      if (finNow) {
        sendNew(c, 0, ACK | FIN, now);
        sentSomething = true;
      }
      break;
    }
    const len = burstLength(c, unsent, push, corkOnce);
    if (len === 0) break;
    const emptied = len === unsent;
    const segs = Math.ceil(len / mss);
    // PSH on the burst's last segment when the burst has several segments
    // or carries the end of a write (a push mark), as Linux 6.18 sends.
    // Only the mark stays with the data for retransmissions (SentSegment.psh).
    const mark = c.sendBuf.pushMarkIn(offset, offset + len);
    const psh = host.config.pushPolicy === 'bsd' ? emptied : segs >= 2 || mark;
    let left = len;
    while (left > 0) {
      const n = left < mss ? left : mss;
      left -= n;
      let flags = ACK;
      if (left === 0) {
        if (psh) flags |= PSH;
        if (emptied && finNow) flags |= FIN;
      }
      sendNew(c, n, flags, now, left === 0 && mark, left === 0);
    }
    sentSomething = true;
    if (c.finSent || pushOne) break;
  }

  if (!sentSomething && c.ackNow) sendAck(c);
  // Linux tcp_is_cwnd_limited: application-limited flights do not grow cwnd.
  if (c.sendBuf.length - seqDiff(c.sndNxt, c.sndUna) <= 0) {
    const flight = c.pipe();
    c.cwndLimited = c.cc.inSlowStart ? flight * 2 > cwnd : flight >= cwnd;
  }
  // The PTO moves only when something is transmitted (RFC 8985 §7.2; Linux
  // tcp_write_xmit → tcp_schedule_loss_probe): a call that sent nothing
  // leaves a pending probe's deadline alone.
  if (sentSomething || c.rtxKind !== 'tlp' || c.rtxTimer?.armed !== true) timers.afterOutput(c);
}

/**
 * Bytes of new data the next burst carries, 0 if nothing may go now
 * (Linux tcp_write_xmit: tcp_snd_wnd_test, tcp_cwnd_test, tcp_mss_split_point
 * and tcp_nagle_test for the queue's tail).
 */
function burstLength(c: TcpConnection, unsent: number, push: boolean, corkOnce: boolean): number {
  const mss = c.mss;
  const usable = seqDiff(seqAdd(c.sndUna, c.sndWnd), c.sndNxt);
  const first = unsent < mss ? unsent : mss;
  if (usable < first) {
    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a window-limited piece
    // only if it is at least half the largest window seen.
    if (usable <= 0 || usable < c.maxSndWnd >>> 1) return 0;
    if (cwndQuotaSegs(c) === 0) {
      c.cwndLimited = true;
      return 0;
    }
    return usable;
  }
  const quota = cwndQuotaSegs(c);
  if (quota === 0) {
    c.cwndLimited = true;
    return 0;
  }
  const maxLen = Math.min(quota, tsoAutosizeSegs(c)) * mss;
  let len = Math.min(unsent, usable);
  if (len >= maxLen) return maxLen;
  // The burst reaches the window's edge or the end of the data: Nagle may
  // hold back its partial last segment.
  const partial = len % mss;
  if (partial !== 0 && !push && nagleHolds(c, corkOnce)) len -= partial;
  return len;
}

/**
 * Sends `len` new bytes with `flags`; `mark` and `skbEnd` are what the
 * retransmission queue remembers of the segment's burst (SentSegment.psh,
 * SentSegment.skbEnd).
 */
function sendNew(c: TcpConnection, len: number, flags: number, now: number, mark = (flags & PSH) !== 0, skbEnd = true): void {
  const seq = c.sndNxt;
  const fin = (flags & FIN) !== 0;
  if (c.inRecovery) c.prr?.onSent(len);
  emit(c, seq, flags, seqDiff(seq, c.sndUna), len);
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  c.rtx.push(seq, end, now, false, fin, mark, skbEnd);
  c.skbs.consume(len);
  c.sndNxt = end;
  if (fin) {
    c.finSent = true;
    c.finSeq = seqAdd(seq, len);
  }
  if (len < c.mss) c.sndSml = end;
  c.bytesSent += len;
  if (len > 0) c.host.ctx.counters.TcpExtTCPOrigDataSent++;
}

/**
 * Retransmits the first lost segment and the lost ones after it from the
 * same original burst, at most `room` segments (Linux
 * tcp_xmit_retransmit_queue → tcp_retransmit_skb(skb, segs)). A run of
 * several segments ends with PSH, as any multi-segment burst. False if
 * nothing is marked lost.
 */
export function retransmitLostBurst(c: TcpConnection, room: number, now: number): boolean {
  let i = c.rtx.firstLostIndex();
  if (i < 0) return false;
  for (let n = 1; ; n++, i++) {
    const seg = c.rtx.at(i);
    if (seg.length - (seg.fin ? 1 : 0) > c.mss) c.rtx.split(seg, c.mss);
    const next = i + 1 < c.rtx.count ? c.rtx.at(i + 1) : undefined;
    const last = n >= room || seg.skbEnd || next === undefined || !next.lost || next.start !== seg.end;
    retransmit(c, seg, now, last && (n >= 2 || seg.psh));
    if (last) return true;
  }
}

/**
 * Retransmits one recorded segment (data and/or FIN), with PSH if `psh`
 * (by default the flag its burst kept, SentSegment.psh).
 */
export function retransmit(c: TcpConnection, seg: SentSegment, now: number, psh = seg.psh): void {
  const len = seg.length - (seg.fin ? 1 : 0) - (seg.syn ? 1 : 0);
  let flags = ACK;
  const off = seqDiff(seg.start, c.sndUna);
  if (c.host.config.pushPolicy === 'bsd' ? len > 0 && off + len === c.sendBuf.length : psh) flags |= PSH;
  if (seg.fin) flags |= FIN;
  if (c.inRecovery) c.prr?.onSent(Math.max(len, 1));
  emit(c, seg.start, flags, off, len);
  if (c.undoActive) {
    // Linux __tcp_retransmit_skb: the first retransmission of an episode starts the count at 0.
    if (c.undoRetrans < 0) c.undoRetrans = 0;
    c.undoRetrans++;
    if (c.undoTs < 0 && c.tsOk) c.undoTs = c.tsNow();
  }
  // Linux retrans_stamp: when the first retransmitted segment was originally sent.
  if (c.retransStamp < 0) c.retransStamp = seg.sentAt;
  c.rtx.retransmitted(seg, now);
  const counters = c.host.ctx.counters;
  counters.TcpRetransSegs++;
  c.totalRetrans++;
  if (c.host.ctx.trace.tcpRetransmitWanted) c.host.ctx.trace.tcpRetransmit(c.describe(), seg.start, len, c.inLoss ? 'rto' : 'fast');
}

/**
 * After the application read `n` bytes (Linux tcp_cleanup_rbuf): a pending
 * ACK may be due now (delack.ts), else send a window update if the window
 * grew a lot (new window ≥ 2× what the peer sees).
 */
export function afterRead(c: TcpConnection, n: number): void {
  const s = c.state;
  if (s !== TcpState.ESTABLISHED && s !== TcpState.FIN_WAIT_1 && s !== TcpState.FIN_WAIT_2) return;
  autotune(c, n);
  if (ackAfterRead(c, n)) return;
  const shown = seqDiff(seqAdd(c.rcvWup, c.rcvWnd), c.rcvNxt);
  const clamp = winFromSpace(c.rcvBufSize);
  if (2 * shown <= clamp) {
    const w = selectWindow(c);
    if (w > 0 && w >= 2 * shown) {
      if (shown === 0) c.host.ctx.counters.TcpExtTCPFromZeroWindowAdv++;
      sendAck(c);
    }
  }
}

/**
 * Receive-buffer auto-tuning (Linux tcp_rcv_space_adjust, "DRS"): once per
 * RTT, if the application consumed more than the last round, size the
 * buffer for twice that plus some segments, up to tcp_rmem[2]. A buffer set
 * with SO_RCVBUF is left alone, as in Linux.
 */
function autotune(c: TcpConnection, n: number): void {
  const cfg = c.host.config;
  if (!cfg.moderateRcvbuf || c.options.rcvBuf > 0) return;
  const now = c.host.ctx.clock.now();
  c.rcvqCopied += n;
  const rtt = c.rtt.srttUs;
  if (rtt <= 0 || now - c.rcvqTime < rtt) return;
  const copied = c.rcvqCopied;
  c.rcvqCopied = 0;
  c.rcvqTime = now;
  if (copied <= c.rcvqSpace) return;
  c.rcvqSpace = copied;
  const want = Math.min(cfg.rmem[2], 2 * (2 * copied + 16 * c.advMss));
  if (want > c.rcvBufSize) c.rcvBufSize = want;
}

/**
 * A zero-window probe, keepalive probe or tail-loss probe of new data
 * (Linux tcp_write_wakeup): new data if the window has room, else an ACK
 * with SEG.SEQ = SND.UNA − 1, which the peer must answer with an ACK (RFC
 * 9293 §3.8.6.1, RFC 1122 §4.2.3.6). For the persist and keepalive timers
 * (`probeCounter` given) the data carries PSH, as Linux marks it, and only
 * the bare probe counts under `probeCounter`.
 */
export function sendProbe(c: TcpConnection, probeCounter: 'TcpExtTCPWinProbe' | 'TcpExtTCPKeepAlive' | null = null): void {
  const offset = seqDiff(c.sndNxt, c.sndUna);
  const unsent = c.sendBuf.length - offset;
  const usable = seqDiff(seqAdd(c.sndUna, c.sndWnd), c.sndNxt);
  if (unsent > 0 && usable > 0) {
    const len = Math.min(unsent, usable, c.mss);
    // Linux tcp_write_wakeup marks its segment PSH; a loss probe
    // (tcp_send_loss_probe → tcp_write_xmit) sends the skb's own flags.
    const psh = probeCounter !== null || c.sendBuf.pushMarkIn(offset, offset + len);
    sendNew(c, len, ACK | (psh ? PSH : 0), c.host.ctx.clock.now());
    return;
  }
  if (probeCounter !== null) c.host.ctx.counters[probeCounter]++;
  emit(c, seqAdd(c.sndUna, -1), ACK, 0, 0);
}
