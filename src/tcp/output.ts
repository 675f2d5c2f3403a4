import { type Seq, seqAdd, seqDiff, seqGt } from '../core/seq.js';
import type { IpSendOptions } from '../ip/types.js';
import { winFromSpace } from './config.js';
import type { TcpConnection } from './connection.js';
import { ACK, FIN, fillTcpChecksum, IPPROTO_TCP, PSH, RST, SYN, TCP_HEADER_LEN, writeTcpFixed } from './header.js';
import { linuxOptionsLength, maxSackBlocks, writeLinuxOptions } from './options.js';
import type { SentSegment } from './rtx-queue.js';
import { TcpState } from './state.js';
import { ackAfterRead, ackSent, replySent } from './delack.js';
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

/** True if Nagle (RFC 896, Minshall variant as Linux) or TCP_CORK holds back a partial segment. */
function nagleHolds(c: TcpConnection): boolean {
  if (c.options.cork) return true;
  if (c.options.noDelay) return false;
  return seqDiff(c.sndNxt, c.sndUna) > 0 && seqGt(c.sndSml, c.sndUna);
}

/**
 * Sends what may be sent now: lost segments first (RFC 6675 §5 NextSeg
 * rule 1), then new data within min(cwnd, rwnd), then a pure ACK if one is
 * owed and nothing carried it. `push` overrides Nagle and cork (FIN, uncork,
 * TCP_NODELAY set).
 */
export function tcpOutput(c: TcpConnection, push = false): void {
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

  // 1. Retransmit segments marked lost, within cwnd.
  while (c.rtx.lostBytes > 0) {
    const seg = c.rtx.firstLost();
    if (seg === undefined) break;
    if (c.pipe() >= cwnd) {
      c.cwndLimited = true;
      break;
    }
    if (seg.length - (seg.fin ? 1 : 0) > c.mss) c.rtx.split(seg, c.mss);
    retransmit(c, seg, now);
    sentSomething = true;
  }

  // 2. New data.
  const wantFin = c.finQueued && !c.finSent;
  if (wantFin) push = true;
  let burst = 0;
  for (;;) {
    const offset = seqDiff(c.sndNxt, c.sndUna);
    const unsent = c.sendBuf.length - offset;
    const finNow = c.finQueued && !c.finSent;
    if (unsent <= 0 && !finNow) break;
    let len = unsent < c.mss ? unsent : c.mss;
    if (len > 0) {
      const usable = seqDiff(seqAdd(c.sndUna, c.sndWnd), c.sndNxt);
      if (usable < len) {
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): send a window-limited
        // piece only if it is at least half the largest window seen.
        if (usable > 0 && usable >= c.maxSndWnd >>> 1) len = usable;
        else break;
      }
      if (c.pipe() >= cwnd) {
        c.cwndLimited = true;
        break;
      }
      if (len < c.mss && len === unsent && !push && nagleHolds(c)) break;
    }
    let flags = ACK;
    const emptied = len === unsent;
    // PSH on the segment that empties the queue (Linux tcp_push), and on the
    // last segment of a multi-segment burst that the window or cwnd cuts
    // short, as Linux's traces show (packetdrill limited-transmit-*,
    // slow-start-*). A lone segment that leaves data queued (limited
    // transmit, one PRR quantum) carries none: Linux splits it off the
    // front of a queued skb, and tso_fragment leaves PSH on the remainder.
    if (len > 0) {
      burst++;
      if (emptied || (burst >= 2 && burstEnds(c, len, cwnd))) flags |= PSH;
    }
    if (emptied && finNow) flags |= FIN;
    if (len === 0 && (flags & FIN) === 0) break;
    sendNew(c, len, flags, now);
    sentSomething = true;
    if (flags & FIN) break;
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

/** True if, after sending `len` more bytes, neither the window nor cwnd lets another segment out. */
function burstEnds(c: TcpConnection, len: number, cwnd: number): boolean {
  const usableAfter = seqDiff(seqAdd(c.sndUna, c.sndWnd), c.sndNxt) - len;
  return c.pipe() + len >= cwnd || usableAfter < Math.min(c.mss, c.sendBuf.length - seqDiff(c.sndNxt, c.sndUna) - len);
}

function sendNew(c: TcpConnection, len: number, flags: number, now: number): void {
  const seq = c.sndNxt;
  const fin = (flags & FIN) !== 0;
  if (c.inRecovery) c.prr?.onSent(len);
  emit(c, seq, flags, seqDiff(seq, c.sndUna), len);
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  c.rtx.push(seq, end, now, false, fin);
  c.sndNxt = end;
  if (fin) {
    c.finSent = true;
    c.finSeq = seqAdd(seq, len);
  }
  if (len < c.mss) c.sndSml = end;
  c.bytesSent += len;
  if (len > 0) c.host.ctx.counters.TcpExtTCPOrigDataSent++;
}

/** Retransmits one recorded segment (data and/or FIN). */
export function retransmit(c: TcpConnection, seg: SentSegment, now: number): void {
  const len = seg.length - (seg.fin ? 1 : 0) - (seg.syn ? 1 : 0);
  let flags = ACK;
  const off = seqDiff(seg.start, c.sndUna);
  if (len > 0 && off + len === c.sendBuf.length) flags |= PSH;
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
    sendNew(c, len, ACK | (len === unsent || probeCounter !== null ? PSH : 0), c.host.ctx.clock.now());
    return;
  }
  if (probeCounter !== null) c.host.ctx.counters[probeCounter]++;
  emit(c, seqAdd(c.sndUna, -1), ACK, 0, 0);
}
