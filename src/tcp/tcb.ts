import type { ErrnoCode } from '../core/errno.js';
import { SkbLedger } from './write-space.js';
import type { Timer } from '../core/scheduler.js';
import { type Seq, seqDiff } from '../core/seq.js';
import type { IpAddress, IpSendOptions } from '../ip/types.js';
import type { AckSample, CongestionControl } from './congestion/types.js';
import type { TcpConnection } from './connection.js';
import type { Prr } from './prr.js';
import type { Rack, RackSegmentSource, Tlp } from './rack.js';
import type { RttEstimator } from './rtt.js';
import type { TcpHost } from './host.js';
import { finishLinger, lingerKeepsWaiting, type LingerWait } from './linger.js';
import { OooQueue } from './ooo-queue.js';
import { RecvBuffer } from './recv-buffer.js';
import { RtxQueue } from './rtx-queue.js';
import { SendBuffer } from './send-buffer.js';
import type { TcpSocketOptions } from './socket-options.js';
import { TcpState } from './state.js';

/**
 * The transmission control block of RFC 9293 §3.3.1, as Linux's tcp_sock
 * extends it: sequence spaces, buffers, negotiated options, RTT and
 * congestion state, ACK and timer state. Segment processing (input.ts),
 * transmission (output.ts) and timers (timers.ts) work on these fields;
 * {@link TcpConnection} adds the endpoint API on top.
 */
export abstract class TcpControlBlock {
  state: TcpState = TcpState.CLOSED;
  /** Error reported to the application (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…), or null. */
  error: ErrnoCode | null = null;

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
  /** Where the last push mark was set (Linux pushed_seq; see forcedPush in user-calls.ts). */
  pushedSeq = 0 as Seq;
  /**
   * Linux sk_pacing_rate, bytes/s, as of the last ACK: only sizes
   * transmission bursts (tso-burst.ts). Unlimited until an ACK sets it.
   */
  pacingRate = Infinity;
  /** When cwnd last restarted after idle (restartAfterIdle in output.ts), µs; idle counts from here too. */
  idleRestartAt = 0;
  /** Application asked for FIN (shutdown write / close). */
  finQueued = false;
  /** Our FIN was sent; its sequence number is finSeq. */
  finSent = false;
  finSeq = 0 as Seq;
  readonly sendBuf = new SendBuffer();
  /** The unsent part of sendBuf as Linux's write-queue skbs (write-space.ts). */
  readonly skbs = new SkbLedger();
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
  /**
   * Interactive (ping-pong) mode count (Linux icsk_ack.pingpong): data we
   * send within `ato` of the last data received counts up; at the
   * tcp_pingpong_thresh mark ACKs are delayed to ride on our replies.
   */
  pingpong = 0;
  /** Linux icsk_ack.pending: ACK_SCHED / ACK_PUSHED / ACK_PUSHED2 bits (delack.ts), cleared by every ACK we send. */
  ackPending = 0;
  /** Payload size of the last sub-MSS segment, for the receive-MSS estimate (Linux last_seg_size). */
  lastSegSize = 0;

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
  /** Cached IP send options (output.ts ipOpts); null = rebuild from the addresses and options.ttl/tos/dontFragment. */
  ipSendOptions: IpSendOptions | null = null;
  /** Pending notification bits (see Notify) and whether queued with the host. */
  pendingNotify = 0;
  /** A write was cut short: notify when space frees up. */
  wantWritable = false;
  /** TCP_DEFER_ACCEPT on a passive child: a bare ACK completed the handshake and was dropped (Linux inet_rsk(req)->acked). */
  deferAcked = false;
  /** A close(2) waiting under SO_LINGER, or null. */
  linger: LingerWait | null = null;

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

  // ================= helpers shared by input/output/timers =================

  /** Runs the callbacks for queued notification bits (called by the layer after the event). */
  abstract deliverNotifications(bits: number): void;

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
    // A lingering close completes when our FIN is acknowledged (or the connection dies).
    if (this.linger !== null && !lingerKeepsWaiting(to)) finishLinger(this, 'closed');
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
