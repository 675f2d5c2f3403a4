import { type ErrnoCode, SocketError } from '../core/errno.js';
import type { Timer } from '../core/scheduler.js';
import { type Seq, seqDiff } from '../core/seq.js';
import type { IpAddress, IpSendOptions } from '../ip/types.js';
import type { AckSample, CongestionControl } from './congestion/types.js';
import type { Prr } from './prr.js';
import type { Rack, RackSegmentSource, Tlp } from './rack.js';
import type { RttEstimator } from './rtt.js';
import { type TcpHost, Notify } from './host.js';
import { OooQueue } from './ooo-queue.js';
import { RecvBuffer } from './recv-buffer.js';
import { RtxQueue } from './rtx-queue.js';
import { SendBuffer } from './send-buffer.js';
import { STATE_NAMES, TcpState, type TcpStateName } from './state.js';
import * as out from './output.js';
import * as timers from './timers.js';
import { buildInfo, type TcpInfo } from './info.js';

/** Socket options of one connection (the TCP and SOL_SOCKET knobs the issue lists). */
export interface TcpSocketOptions {
  /** TCP_NODELAY: disable Nagle (RFC 896). */
  noDelay: boolean;
  /** TCP_CORK: hold partial segments until uncorked. */
  cork: boolean;
  /** SO_KEEPALIVE. */
  keepAlive: boolean;
  /** TCP_KEEPIDLE, seconds (0 = stack default). */
  keepIdleS: number;
  /** TCP_KEEPINTVL, seconds (0 = stack default). */
  keepIntvlS: number;
  /** TCP_KEEPCNT (0 = stack default). */
  keepCnt: number;
  /** TCP_USER_TIMEOUT, ms (0 = off). */
  userTimeoutMs: number;
  /** SO_LINGER on/off and seconds; on with 0 s makes close() abortive (RST). */
  lingerOn: boolean;
  lingerS: number;
  /** TCP_LINGER2: FIN_WAIT_2 lifetime of an orphan, seconds (0 = stack default; negative = no FIN_WAIT_2, RST). */
  linger2S: number;
  /** TCP_MAXSEG: clamp on the MSS we announce and use (0 = none). */
  maxSeg: number;
  /** SO_RCVBUF bytes (0 = stack default, auto-tuned). */
  rcvBuf: number;
  /** SO_SNDBUF bytes (0 = stack default). */
  sndBuf: number;
  /** Offer / accept RFC 7323 timestamps, RFC 2018 SACK, RFC 7323 window scaling. */
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
}

/**
 * Change notifications. Callbacks run after the stack has finished the
 * event that caused them (never in the middle of segment processing), so
 * they may call any method of the connection or the layer.
 */
export interface TcpConnectionHandler {
  /** The handshake completed (active open) — for passive opens, accept() hands out established connections. */
  onConnected?(c: TcpConnection): void;
  /** Bytes (or end of stream) are ready to read. */
  onReadable?(c: TcpConnection): void;
  /** Send-buffer space was freed after a write was cut short. */
  onWritable?(c: TcpConnection): void;
  /** The peer sent FIN: once the receive buffer is drained, reads return end of stream. */
  onPeerFin?(c: TcpConnection): void;
  /** The connection is over for the application (CLOSED or TIME-WAIT); `error` is set if it failed. */
  onClosed?(c: TcpConnection, error: ErrnoCode | null): void;
}

/**
 * One TCP connection: the RFC 9293 §3.3.1 transmission control block plus
 * the endpoint API. Segment processing lives in input.ts, transmission in
 * output.ts, timers in timers.ts; this file holds state and the API.
 */
export class TcpConnection {
  state: TcpState = TcpState.CLOSED;
  /** Error reported to the application (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…), or null. */
  error: ErrnoCode | null = null;
  handler: TcpConnectionHandler | null = null;

  // ---- demux
  /** Next connection in the same demux bucket (intrusive chain). */
  demuxNext: TcpConnection | null = null;
  demuxKey = -1;
  /** Listener that created it (until accepted). */
  listener: { removeChild(c: TcpConnection): void } | null = null;
  /** True once placed in the listener's accept queue. */
  queuedForAccept = false;

  // ---- send sequence space (RFC 9293 §3.3.1)
  iss = 0 as Seq;
  sndUna = 0 as Seq;
  /** Highest sequence sent + 1 (Linux snd_nxt; retransmissions do not move it back). */
  sndNxt = 0 as Seq;
  /** Peer's window, scaled to bytes. */
  sndWnd = 0;
  sndWl1 = 0 as Seq;
  sndWl2 = 0 as Seq;
  maxSndWnd = 0;
  /** Shift applied to the peer's window field (their wscale), 0 if not negotiated. */
  sndWscale = 0;
  /** Effective send MSS (payload bytes per segment, options excluded). */
  mss = 536;
  /** MSS the peer announced. */
  peerMss = 536;
  /** MSS we announce. */
  advMss = 1460;
  /** Route MTU the MSS was computed from. */
  pmtu = 1500;
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant, as Linux). */
  sndSml = 0 as Seq;
  /** Application asked for FIN (shutdown write / close). */
  finQueued = false;
  /** Our FIN was sent; its sequence number is finSeq. */
  finSent = false;
  finSeq = 0 as Seq;
  readonly sendBuf = new SendBuffer();
  readonly rtx = new RtxQueue();
  sndBufSize: number;

  // ---- receive sequence space
  irs = 0 as Seq;
  rcvNxt = 0 as Seq;
  /** Window last advertised, bytes, and RCV.NXT when it was (right edge = rcvWup + rcvWnd). */
  rcvWnd = 0;
  rcvWup = 0 as Seq;
  /** Our shift, applied to windows we send (0 if not negotiated). */
  rcvWscale = 0;
  /** Window scale we offered in our SYN / SYN-ACK. */
  offeredWscale = 0;
  rcvBufSize: number;
  /** Linux rcv_ssthresh: current ceiling of the advertised window, grows as data arrives. */
  rcvSsthresh = 0;
  /** Receive-buffer auto-tuning (Linux rcvq_space): bytes read since `rcvqTime`, and the last measured per-RTT amount. */
  rcvqCopied = 0;
  rcvqTime = 0;
  rcvqSpace = 0;
  /** Estimate of the peer's segment size (for delayed-ACK decisions). */
  rcvMss = 536;
  readonly recvBuf = new RecvBuffer();
  ooo: OooQueue | null = null;
  /** A FIN that arrived beyond a hole, at this sequence number (-1: none). */
  oooFin = -1;
  /** The peer's FIN has been received in order. */
  finReceived = false;
  /** shutdown(SHUT_RD) was called: reads return end of stream. */
  readShutdown = false;
  /** close() was called: the application no longer owns the connection (an orphan). */
  orphan = false;

  // ---- options negotiated
  tsOk = false;
  sackOk = false;
  wsOk = false;
  tsRecent = 0;
  tsRecentStamp = 0;
  /** Offset added to our timestamp clock (RFC 7323 §5.4 suggests a random one per connection). */
  tsOffset = 0;
  /** RCV.NXT carried by the last ACK we sent (RFC 7323 Last.ACK.sent). */
  lastAckSent = 0 as Seq;

  // ---- RTT, congestion, recovery
  rtt: RttEstimator;
  cc: CongestionControl;
  /** RFC 6937 state during fast recovery (created on first use). */
  prr: Prr | null = null;
  /** Reused for every congestion-control ACK callback. */
  ackSample: AckSample | null = null;
  /** The sender filled cwnd recently (Linux tcp_is_cwnd_limited). */
  cwndLimited = false;
  /** Consecutive RTO expirations (exponential backoff exponent). */
  backoff = 0;
  /** Total retransmitted segments (tcpi_total_retrans). */
  totalRetrans = 0;
  /** Send time of the first retransmission of the current episode, µs (Linux retrans_stamp), 0 if none. */
  retransStamp = -1;
  dupAcks = 0;
  /** Without SACK, duplicate ACKs stand in for SACKed segments (Linux sacked_out for Reno). */
  renoSackedBytes = 0;
  inRecovery = false;
  /** RFC 6582 "recover": SND.NXT when recovery began. */
  recover = 0 as Seq;
  /** Set after an RTO until the lost data is repaired (Linux CA_Loss). */
  inLoss = false;
  /**
   * Spurious-retransmission undo (Linux undo_marker / undo_retrans, RFC 2883
   * §4.2 and the timestamp check of RFC 3522): whether an undoable episode is
   * open, its retransmissions not yet reported as duplicates, and the TSval
   * of its first retransmission (-1: none).
   */
  undoActive = false;
  undoMarker = 0 as Seq;
  undoRetrans = 0;
  undoTs = -1;
  /** RACK-TLP state (RFC 8985), created on first use for SACK connections. */
  rack: Rack | null = null;
  tlp: Tlp | null = null;
  rackWalker: RackSegmentSource | null = null;
  /** Reordering-timer delay RACK asked for after the last loss detection, µs (0: none). */
  rackTimeoutUs = 0;
  /** End of the D-SACK block of the ACK being processed, or null. */
  dsackEnd: Seq | null = null;
  /** Last soft error from ICMP (RFC 5927), reported if the connection times out. */
  softError: ErrnoCode | null = null;
  /** Last reply to an out-of-window segment without data (rate limit), µs. */
  lastOowAckAt = -1e15;
  /** Pending zero-window probes sent without reply. */
  probesOut = 0;
  /** Keepalive probes sent without reply. */
  keepaliveProbesOut = 0;
  /** Time of the last segment received / data sent / in-order data received, µs. */
  lastRecvAt = 0;
  lastDataRecvAt = 0;
  lastSendAt = 0;

  // ---- ACK state
  /** An ACK must go out now (before returning to the event loop). */
  ackNow = false;
  /** Quick-ACK budget (Linux icsk_ack.quick). */
  quickAcks = 0;
  /** Delayed-ACK timeout estimate (Linux icsk_ack.ato), µs; 0 until the first data. */
  ato = 0;
  /** Peer-sent segments not yet acknowledged. */
  unackedSegs = 0;
  /** Interactive (ping-pong) mode: ACKs ride on our data. */
  pingpong = false;

  // ---- timers (created lazily)
  rtxTimer: Timer | null = null;
  /** What rtxTimer is armed for. */
  rtxKind: 'rto' | 'persist' | 'tlp' | 'rack' | 'syn' = 'rto';
  delackTimer: Timer | null = null;
  /** Keepalive, FIN_WAIT_2 and TIME_WAIT share this one (they never overlap). */
  lifeTimer: Timer | null = null;

  // ---- stats for info()
  bytesAcked = 0;
  bytesReceived = 0;
  bytesSent = 0;
  segsIn = 0;
  segsOut = 0;
  openedAt = 0;
  /** Cached IP send options (destination and source never change after connect). */
  ipSendOptions: IpSendOptions | null = null;
  /** Pending notification bits (see Notify) and whether queued with the host. */
  pendingNotify = 0;
  /** A write was cut short: notify when space frees up. */
  wantWritable = false;

  readonly options: TcpSocketOptions;

  constructor(
    readonly host: TcpHost,
    readonly family: 4 | 6,
    public localAddress: IpAddress,
    public localPort: number,
    readonly remoteAddress: IpAddress,
    readonly remotePort: number,
    options: TcpSocketOptions,
    rtt: RttEstimator,
    cc: CongestionControl,
  ) {
    this.options = { ...options };
    const cfg = host.config;
    this.rcvBufSize = options.rcvBuf > 0 ? options.rcvBuf : cfg.rmem[1];
    this.sndBufSize = options.sndBuf > 0 ? options.sndBuf : cfg.wmem[1];
    this.rtt = rtt;
    this.cc = cc;
    this.openedAt = host.ctx.clock.now();
  }

  // ================= the endpoint API =================

  /** RFC 9293 state name. */
  get stateName(): TcpStateName {
    return STATE_NAMES[this.state]!;
  }

  /** Bytes ready to read (SIOCINQ). */
  get readableLength(): number {
    return this.recvBuf.length;
  }

  /** True when the peer has finished sending and everything was read (a read would return end of stream). */
  get readEnded(): boolean {
    return (this.finReceived || this.readShutdown || this.state === TcpState.CLOSED) && this.recvBuf.length === 0;
  }

  /** Bytes written but not yet acknowledged (SIOCOUTQ). */
  get writeQueued(): number {
    return this.sendBuf.length;
  }

  /** Bytes not yet sent (SIOCOUTQNSD). */
  get unsentLength(): number {
    return this.sendBuf.length - this.inFlightData();
  }

  /** Room left in the send buffer. */
  get writableLength(): number {
    return Math.max(0, this.sndBufSize - this.sendBuf.length);
  }

  /** Installs (or removes) the notification handler. */
  setHandler(h: TcpConnectionHandler | null): void {
    this.handler = h;
  }

  /**
   * Queues `data` for sending, by reference (do not modify it until it is
   * acknowledged; copy first if you must). Returns how many bytes were
   * accepted: less than `data.length`, possibly 0, when the send buffer is
   * full — then `onWritable` fires when room frees up. Throws SocketError
   * EPIPE after shutdown/close or a reset, ENOTCONN when never connected.
   */
  write(data: Uint8Array): number {
    this.host.enter();
    try {
      return this.doWrite(data);
    } finally {
      this.host.leave();
    }
  }

  private doWrite(data: Uint8Array): number {
    if (this.error !== null && this.state === TcpState.CLOSED) throw new SocketError(this.error === 'ETIMEDOUT' || this.error === 'ECONNRESET' ? this.error : 'EPIPE', 'write');
    if (this.finQueued || this.orphan || this.state === TcpState.CLOSED || this.state >= TcpState.FIN_WAIT_1 && this.state !== TcpState.CLOSE_WAIT) {
      throw new SocketError('EPIPE', 'write');
    }
    const room = this.writableLength;
    const n = Math.min(room, data.length);
    if (n < data.length) this.wantWritable = true;
    if (n === 0) return 0;
    this.sendBuf.append(n === data.length ? data : data.subarray(0, n));
    if (this.state === TcpState.ESTABLISHED || this.state === TcpState.CLOSE_WAIT) out.tcpOutput(this);
    return n;
  }

  /**
   * Takes up to `max` received bytes. Returns an empty array when nothing is
   * buffered (check {@link readEnded} to tell end of stream from "not yet").
   */
  read(max = Infinity): Uint8Array {
    if (this.recvBuf.length === 0) return this.recvBuf.read(0);
    this.host.enter();
    try {
      const data = this.recvBuf.read(max);
      if (data.length > 0) out.afterRead(this, data.length);
      return data;
    } finally {
      this.host.leave();
    }
  }

  /** Returns up to `max` received bytes without consuming them (MSG_PEEK). */
  peek(max = Infinity): Uint8Array {
    return this.recvBuf.peek(max);
  }

  /**
   * shutdown(2): 'write' sends FIN after the queued data (half-close, reads
   * go on); 'read' makes reads return end of stream; 'both' does both.
   */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): void {
    this.host.enter();
    try {
      this.doShutdown(how);
    } finally {
      this.host.leave();
    }
  }

  private doShutdown(how: 'read' | 'write' | 'both'): void {
    if (how !== 'write') {
      this.readShutdown = true;
      this.host.notify(this, Notify.READABLE);
    }
    if (how !== 'read') {
      if (this.state === TcpState.CLOSED) throw new SocketError('ENOTCONN', 'shutdown');
      out.queueFin(this);
    }
  }

  /**
   * close(2): graceful (FIN after queued data) unless data is still unread
   * (RFC 2525 §2.17: then RST) or SO_LINGER is on with 0 s (abortive).
   * The connection lives on as an orphan until the close handshake ends.
   */
  close(): void {
    this.host.enter();
    try {
      this.doClose();
    } finally {
      this.host.leave();
    }
  }

  private doClose(): void {
    if (this.orphan && this.state !== TcpState.SYN_SENT) return;
    this.orphan = true;
    this.wantWritable = false;
    const s = this.state;
    if (s === TcpState.CLOSED) return;
    if (s === TcpState.SYN_SENT) {
      // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB; no RST (close-on-syn-sent.pkt).
      timers.tcpDone(this, null);
      return;
    }
    if (this.recvBuf.length > 0 || (this.options.lingerOn && this.options.lingerS === 0)) {
      const c = this.host.ctx.counters;
      if (this.recvBuf.length > 0) c.TcpExtTCPAbortOnClose++;
      else c.TcpExtTCPAbortOnLinger++;
      this.doAbort();
      return;
    }
    if (s === TcpState.TIME_WAIT || s === TcpState.LAST_ACK || s === TcpState.CLOSING || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2) {
      if (s === TcpState.FIN_WAIT_2) timers.armFinWait2(this);
      return;
    }
    out.queueFin(this);
  }

  /** ABORT (RFC 9293 §3.10.5): RST if synchronized, then CLOSED at once. */
  abort(): void {
    this.host.enter();
    try {
      this.doAbort();
    } finally {
      this.host.leave();
    }
  }

  /** Drops the connection without sending anything (half-open children of a closed listener). */
  abortSilently(): void {
    this.orphan = true;
    timers.tcpDone(this, null);
  }

  private doAbort(): void {
    const s = this.state;
    if (s === TcpState.CLOSED) return;
    this.orphan = true;
    if (s === TcpState.SYN_RECEIVED || s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 ||
        s === TcpState.FIN_WAIT_2 || s === TcpState.CLOSE_WAIT) {
      out.sendResetFromConnection(this);
    }
    timers.tcpDone(this, null);
  }

  /** Changes socket options; effects apply at once (uncorking flushes, keepalive arms…). */
  setOptions(o: Partial<TcpSocketOptions>): void {
    this.host.enter();
    try {
      this.doSetOptions(o);
    } finally {
      this.host.leave();
    }
  }

  private doSetOptions(o: Partial<TcpSocketOptions>): void {
    const wasCorked = this.options.cork;
    const wasNoDelay = this.options.noDelay;
    Object.assign(this.options, o);
    if (o.sndBuf !== undefined && o.sndBuf > 0) this.sndBufSize = o.sndBuf;
    if (o.rcvBuf !== undefined && o.rcvBuf > 0) this.rcvBufSize = o.rcvBuf;
    if (o.keepAlive !== undefined || o.keepIdleS !== undefined) timers.resetKeepalive(this);
    if ((wasCorked && !this.options.cork) || (!wasNoDelay && this.options.noDelay)) {
      if (this.state === TcpState.ESTABLISHED || this.state === TcpState.CLOSE_WAIT || this.finQueued) out.tcpOutput(this, true);
    }
  }

  /** TCP_INFO-like snapshot. */
  info(): TcpInfo {
    return buildInfo(this);
  }

  // ================= internal helpers shared by input/output/timers =================

  /** Runs the handler callbacks for queued notification bits (called by the layer after the event). */
  deliverNotifications(bits: number): void {
    const h = this.handler;
    if (h === null) return;
    if (bits & Notify.CONNECTED && !this.orphan) h.onConnected?.(this);
    if (bits & Notify.WRITABLE && !this.orphan) h.onWritable?.(this);
    if (bits & Notify.READABLE && !this.orphan) h.onReadable?.(this);
    if (bits & Notify.PEER_FIN && !this.orphan) h.onPeerFin?.(this);
    if (bits & Notify.CLOSED) h.onClosed?.(this, this.error);
  }

  /** Data bytes in flight (SND.NXT − SND.UNA without SYN/FIN). */
  inFlightData(): number {
    let n = seqDiff(this.sndNxt, this.sndUna);
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED) return 0;
    if (this.finSent && seqDiff(this.sndNxt, this.finSeq) > 0) n--;
    return Math.max(0, n);
  }

  /** RFC 6675 "pipe": bytes believed in the network. */
  pipe(): number {
    return Math.max(0, seqDiff(this.sndNxt, this.sndUna) - this.rtx.sackedBytes - this.rtx.lostBytes - this.renoSackedBytes);
  }

  /** The out-of-order queue, created on first use. */
  oooQueue(): OooQueue {
    return (this.ooo ??= new OooQueue(this.rcvBufSize, this.host.config.maxOooRanges));
  }

  /** Changes state, telling the host (counters, trace, listener). */
  setState(to: TcpState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.host.stateChanged(this, from, to);
  }

  /** Current timestamp value (RFC 7323 §5.4: a clock of 1 ms ticks plus a per-connection offset). */
  tsNow(): number {
    return (Math.floor(this.host.ctx.clock.now() / this.host.config.tsTickUs) + this.tsOffset) >>> 0;
  }

  /** "a.b.c.d:p-e.f.g.h:q" for traces. */
  describe(): string {
    const fmt = (a: IpAddress): string => (typeof a === 'number' ? `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}` : Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(''));
    return `${fmt(this.localAddress)}:${this.localPort}-${fmt(this.remoteAddress)}:${this.remotePort}`;
  }
}
