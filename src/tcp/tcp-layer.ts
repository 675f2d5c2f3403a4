import type { StackContext } from '../core/context.js';
import { SocketError } from '../core/errno.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { EphemeralPortAllocator } from '../core/ephemeral-ports.js';
import { type Seq, seqAdd } from '../core/seq.js';
import type { IcmpErrorReport, InboundIp, IpAddress, IpLayer } from '../ip/types.js';
import { defaultTcpConfig, type TcpConfig } from './config.js';
import { type TcpConnectionHandler, TcpConnection } from './connection.js';
import { defaultSocketOptions, type TcpSocketOptions } from './socket-options.js';
import { addrEqual, addrHash, ConnectionTable, ListenerTable } from './demux.js';
import {
  ACK, decodeTcpInto, emptyTcpSegment, fillTcpChecksum, FIN, IPPROTO_TCP, RST, SYN, TCP_HEADER_LEN,
  tcpChecksumValid, type TcpSegment, writeTcpFixed,
} from './header.js';
import { Notify, type TcpHost } from './host.js';
import type { TcpInfo } from './info.js';
import { segmentArrives } from './input.js';
import { handleIcmpError } from './icmp-errors.js';
import { type ListenerOwner, TcpListener } from './listener.js';
import { prepareActive } from './negotiate.js';
import { listenInput, type PassiveHost } from './passive-open.js';
import { emptyOptionPlan, emptyTcpOptions, parseTcpOptionsInto } from './options.js';
import * as out from './output.js';
import { type CongestionControl, createCongestionControl } from './congestion/index.js';
import { IsnGenerator } from './isn.js';
import { PacketSlab } from './packet-slab.js';
import { RttEstimator } from './rtt.js';
import { SynCookies } from './syncookies.js';
import { STATE_NAMES, TcpState } from './state.js';
import type { TcpControlBlock } from './tcb.js';
import * as life from './lifetime.js';

/** Options for {@link TcpLayer.listen}. */
export interface TcpListenOptions {
  /** Local address; null/undefined = every address of the family (wildcard). */
  address?: IpAddress | null;
  /**
   * Local port (1..65535), or 0 for an ephemeral one (Linux inet_autobind
   * on listen(2)): a port of `localPortRange` that no listener, connection
   * or reservation uses — so the same port is free for a second listener of
   * the other family too. The chosen port is the listener's `localPort`.
   */
  port: number;
  /** listen(2) backlog (default 128, capped by somaxconn). */
  backlog?: number;
  /** Address family for a wildcard listener (default 4; inferred from `address` otherwise). */
  family?: 4 | 6;
  /** Socket options inherited by accepted connections. */
  options?: Partial<TcpSocketOptions>;
  /**
   * SO_REUSEPORT (Linux rules): several listeners that all set it may hold
   * the same address and port; each new connection goes to one of the group
   * (those with exactly the same address) chosen by a hash of its 4-tuple.
   */
  reusePort?: boolean;
}

/** Options for {@link TcpLayer.connect}. */
export interface TcpConnectOptions {
  remoteAddress: IpAddress;
  remotePort: number;
  /** Source address (default: chosen by the route). */
  localAddress?: IpAddress;
  /** Source port (default: an ephemeral port, RFC 6056). */
  localPort?: number;
  options?: Partial<TcpSocketOptions>;
  /** Installed before the SYN goes out, so no notification is missed. */
  handler?: TcpConnectionHandler;
}

/** Anything the notification queue can deliver to. */
interface Notifiable {
  pendingNotify: number;
  deliverNotifications(bits: number): void;
}

/**
 * The TCP layer of one stack (RFC 9293): owns every connection and
 * listener, demultiplexes inbound segments, answers segments that match
 * nothing with RST, and delivers notifications after each event.
 *
 * Re-entrancy rule: application callbacks never run inside segment
 * processing. Input, timers and API calls are bracketed by enter()/leave();
 * notifications (and any segment that arrives re-entrantly, e.g. over a
 * synchronous loopback) are queued and handled when the outermost call
 * leaves.
 */
export class TcpLayer implements TcpHost, ListenerOwner, PassiveHost {
  readonly config: TcpConfig;
  readonly plan = emptyOptionPlan();
  readonly rxOptions = emptyTcpOptions();
  private readonly seg: TcpSegment = emptyTcpSegment();
  private readonly slab = new PacketSlab();
  private readonly table = new ConnectionTable();
  private readonly listeners = new ListenerTable<TcpListener>();
  private readonly isn: IsnGenerator;
  private readonly ports: EphemeralPortAllocator;
  /** SYN cookie maker/checker (RFC 4987 §3.6), shared by the stack's listeners. */
  readonly cookies: SynCookies;
  private depth = 0;
  private flushing = false;
  private readonly notifyQueue: Notifiable[] = [];
  private readonly inputQueue: Array<{ ip: InboundIp; bytes: Uint8Array }> = [];
  /** Port reservation hooks (see addPortReservation). */
  private readonly reservations: Array<(port: number) => boolean> = [];
  /** Key of the SO_REUSEPORT 4-tuple hash; -1 until the first reuseport listener. */
  private reuseSeed = -1;
  private challengeWindowStart = 0;
  private challengeCount = 0;

  constructor(
    readonly ctx: StackContext,
    readonly ip: IpLayer,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...defaultTcpConfig(), ...config };
    this.isn = new IsnGenerator(ctx.clock, ctx.random);
    this.ports = new EphemeralPortAllocator(ctx.random, { low: this.config.localPortRange[0], high: this.config.localPortRange[1] });
    this.cookies = new SynCookies(ctx.clock, ctx.random);
    ip.registerProtocol(IPPROTO_TCP, (info, payload) => this.input(info, payload));
    ip.registerErrorHandler(IPPROTO_TCP, (report) => this.icmpError(report));
  }

  // ================================================================ public API

  /** Opens a listener (socket + bind + listen). Throws SocketError EADDRINUSE / EINVAL. */
  listen(o: TcpListenOptions): TcpListener {
    const address = o.address ?? null;
    const family: 4 | 6 = address === null ? (o.family ?? 4) : typeof address === 'number' ? 4 : 6;
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new SocketError('EINVAL', 'listen');
    if (address !== null && !this.ip.isLocalAddress(address)) throw new SocketError('EADDRNOTAVAIL', 'bind');
    let port = o.port;
    if (port === 0) {
      port = this.ports.select(address ?? 0, 0, 0, (p) => this.portBusy(p));
      if (port < 0) throw new SocketError('EADDRINUSE', 'listen');
    } else if (this.listeners.conflicts(family, address, port, o.reusePort === true)) {
      throw new SocketError('EADDRINUSE', 'listen');
    }
    const backlog = Math.max(0, Math.min(o.backlog ?? 128, this.config.somaxconn));
    // The reuseport hash key is drawn on first use, so stacks without such listeners draw nothing extra.
    if (o.reusePort === true && this.reuseSeed < 0) this.reuseSeed = this.ctx.random.u32() >>> 0;
    const l = new TcpListener(this, family, address, port, backlog, { ...defaultSocketOptions(), ...o.options }, o.reusePort === true);
    this.listeners.add(l);
    return l;
  }

  /**
   * Active open (RFC 9293 §3.10.1): sends a SYN and returns the connection
   * in SYN-SENT; `onConnected` or `onClosed` (ECONNREFUSED, ETIMEDOUT…)
   * follows. Throws SocketError ENETUNREACH / EADDRINUSE / EADDRNOTAVAIL.
   */
  connect(o: TcpConnectOptions): TcpConnection {
    this.enter();
    try {
      const route = this.ip.route(o.remoteAddress, o.localAddress);
      if (route === null) throw new SocketError('ENETUNREACH', 'connect');
      const local = o.localAddress ?? route.src;
      if (o.localAddress !== undefined && !this.ip.isLocalAddress(o.localAddress)) throw new SocketError('EADDRNOTAVAIL', 'connect');
      const opts = { ...defaultSocketOptions(), ...o.options };
      let port = o.localPort ?? 0;
      if (port === 0) port = this.ephemeralPort(local, o.remoteAddress, o.remotePort);
      else if (this.table.lookup(local, port, o.remoteAddress, o.remotePort) !== null) throw new SocketError('EADDRINUSE', 'connect');
      const c = this.newConnection(route.family, local, port, o.remoteAddress, o.remotePort, opts);
      if (o.handler) c.handler = o.handler;
      c.pmtu = route.mtu;
      c.iss = this.isn.isn(local, port, o.remoteAddress, o.remotePort);
      c.sndUna = c.iss;
      c.sndNxt = c.iss;
      c.sndSml = c.iss;
      c.pushedSeq = c.iss;
      prepareActive(c);
      this.table.insert(c);
      c.setState(TcpState.SYN_SENT);
      this.ctx.counters.TcpActiveOpens++;
      out.sendSyn(c, false);
      return c;
    } finally {
      this.leave();
    }
  }

  /**
   * Registers a hook telling the layer which ports are held outside it — by
   * a socket facade's bound but not yet listening or connected sockets,
   * which the layer cannot see. Ephemeral ports (connect without a local
   * port, listen on port 0) skip every port a hook reports, as Linux's
   * __inet_hash_connect skips ports with a bind bucket made by bind(2).
   * Returns a function that removes the hook.
   */
  addPortReservation(reserved: (port: number) => boolean): () => void {
    this.reservations.push(reserved);
    return () => {
      const i = this.reservations.indexOf(reserved);
      if (i >= 0) this.reservations.splice(i, 1);
    };
  }

  /** Every connection as `ss -tni` shows it (listeners are in {@link listenerList}). */
  connections(): TcpInfo[] {
    const rows: TcpInfo[] = [];
    for (const c of this.table.all()) rows.push(c.info());
    return rows;
  }

  /** The live connection objects (for adapters and tests). */
  connectionList(): TcpConnection[] {
    return [...this.table.all()];
  }

  /** The listeners. */
  listenerList(): TcpListener[] {
    return [...this.listeners.all()];
  }

  /** Number of connections in the table (every state but LISTEN and CLOSED). */
  get connectionCount(): number {
    return this.table.size;
  }

  /**
   * Aborts everything (stack shutdown): RST where synchronized, and the
   * handlers' onClosed sees ECONNABORTED — the connection did not end
   * cleanly, so a Node socket over it errors instead of ending.
   */
  shutdown(): void {
    this.enter();
    try {
      for (const l of this.listenerList()) l.close();
      for (const c of this.connectionList()) c.abort('ECONNABORTED');
    } finally {
      this.leave();
    }
  }

  // ================================================================ host interface

  allocPacket(size: number): PacketBuffer {
    return this.slab.alloc(size);
  }

  enter(): void {
    this.depth++;
  }

  leave(): void {
    if (--this.depth > 0 || this.flushing) return;
    this.flushing = true;
    try {
      for (let guard = 0; guard < 1_000_000; guard++) {
        const pkt = this.inputQueue.shift();
        if (pkt !== undefined) {
          this.input(pkt.ip, pkt.bytes);
          continue;
        }
        const t = this.notifyQueue.shift();
        if (t === undefined) break;
        const bits = t.pendingNotify;
        t.pendingNotify = 0;
        if (bits !== 0) t.deliverNotifications(bits);
      }
    } finally {
      this.flushing = false;
    }
  }

  notify(target: Notifiable, bits: number): void {
    if (target.pendingNotify === 0) this.notifyQueue.push(target);
    target.pendingNotify |= bits;
  }

  unhash(c: TcpConnection): void {
    this.table.remove(c);
  }

  stateChanged(c: TcpControlBlock, from: number, to: number): void {
    const counters = this.ctx.counters;
    const wasEstab = from === TcpState.ESTABLISHED || from === TcpState.CLOSE_WAIT;
    const isEstab = to === TcpState.ESTABLISHED || to === TcpState.CLOSE_WAIT;
    if (wasEstab && !isEstab) counters.TcpCurrEstab--;
    else if (!wasEstab && isEstab) counters.TcpCurrEstab++;
    if (this.ctx.trace.tcpStateWanted) this.ctx.trace.tcpState(c.describe(), STATE_NAMES[from]!, STATE_NAMES[to]!);
  }

  challengeAckAllowed(): boolean {
    const now = this.ctx.clock.now();
    if (now - this.challengeWindowStart >= 1_000_000) {
      this.challengeWindowStart = now;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) return false;
    this.challengeCount++;
    return true;
  }

  passiveEstablished(c: TcpConnection): boolean {
    const l = c.listener as TcpListener | null;
    if (l === null || l.closed) return true;
    if (!l.childEstablished(c)) {
      this.ctx.counters.TcpExtListenOverflows++;
      this.ctx.counters.TcpExtListenDrops++;
      return false;
    }
    this.ctx.counters.TcpPassiveOpens++;
    return true;
  }

  newCongestionControl(mss: number): CongestionControl {
    // Linux: IW10 whatever the MSS, and slow start grows by every acknowledged segment.
    const cc = createCongestionControl(this.config.congestionControl, {
      initialWindowSegments: this.config.initCwnd, rfc6928Cap: false, slowStartLimitSegments: Infinity,
    });
    cc.init(mss, this.ctx.clock.now());
    return cc;
  }

  closeListener(l: TcpListener): void {
    this.listeners.remove(l);
  }

  /**
   * RST for a segment that has no connection (RFC 9293 §3.10.7.1): if it
   * had ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
   * Window 0, no options (as Linux tcp_v4_send_reset).
   */
  sendResetFor(_family: 4 | 6, src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number, seq: number, ack: number, withAck: boolean): void {
    const pkt = this.slab.alloc(TCP_HEADER_LEN);
    writeTcpFixed(pkt.buf, pkt.start, srcPort, dstPort, seq, withAck ? ack : 0, withAck ? RST | ACK : RST, 0, 0);
    fillTcpChecksum(pkt.buf, pkt.start, TCP_HEADER_LEN, src, dst);
    this.ctx.counters.TcpOutSegs++;
    this.ctx.counters.TcpOutRsts++;
    this.ip.send({ dst, src, protocol: IPPROTO_TCP, dontFragment: true }, pkt);
  }

  // ================================================================ input

  private input(info: InboundIp, b: Uint8Array): void {
    if (this.depth > 0) {
      // Re-entrant delivery (synchronous loopback): handle it after the current event.
      // Copies: the frame may be a reused buffer, and the IP layer may reuse its InboundIp record.
      this.inputQueue.push({ ip: { ...info }, bytes: b.slice() });
      return;
    }
    const counters = this.ctx.counters;
    counters.TcpInSegs++;
    const seg = this.seg;
    const reason = decodeTcpInto(b, seg, false);
    if (reason !== null) {
      counters.TcpInErrs++;
      this.ctx.trace.dropped('tcp', reason, b);
      return;
    }
    if (!tcpChecksumValid(b, info.src, info.dst)) {
      counters.TcpInCsumErrors++;
      counters.TcpInErrs++;
      this.ctx.trace.dropped('tcp', 'bad-checksum', b);
      return;
    }
    // RFC 9293 §3.9.1 / RFC 1122 §4.2.3.10: ignore segments to broadcast/multicast.
    if (info.dstKind !== 'unicast') {
      this.ctx.trace.dropped('tcp', 'not-unicast', b);
      return;
    }
    const optReason = parseTcpOptionsInto(b, this.rxOptions, TCP_HEADER_LEN, seg.dataOffset * 4);
    if (optReason !== null) {
      // RFC 9293 §3.2 MUST-7 only asks us to survive; we drop such segments (Linux stops parsing instead).
      counters.TcpInErrs++;
      this.ctx.trace.dropped('tcp', optReason, b);
      return;
    }
    this.enter();
    try {
      this.dispatch(info, seg);
    } finally {
      this.leave();
    }
  }

  private dispatch(info: InboundIp, seg: TcpSegment): void {
    const o = this.rxOptions;
    let c = this.table.lookup(info.dst, seg.dstPort, info.src, seg.srcPort);
    if (c !== null && c.state === TcpState.TIME_WAIT && (seg.flags & (SYN | ACK | RST)) === SYN) {
      // Linux tcp_timewait_state_process: a new SYN beyond the old connection may reuse the 4-tuple.
      const newer = ((seg.seq - c.rcvNxt) | 0) > 0 || (o.hasTimestamp && c.tsOk && ((o.tsVal - c.tsRecent) | 0) > 0);
      if (newer) {
        const isnHint = seqAdd(c.sndNxt, 65535 + 2);
        life.tcpDone(c, null);
        this.ctx.counters.TcpExtTWRecycled++;
        const l = this.listeners.lookup(info.family, info.dst, seg.dstPort, this.flowHash(info, seg));
        if (l !== null) {
          listenInput(this, l, info, seg, o, isnHint);
          return;
        }
        c = null;
      }
    }
    if (c !== null) {
      segmentArrives(c, seg, o);
      return;
    }
    const l = this.listeners.lookup(info.family, info.dst, seg.dstPort, this.flowHash(info, seg));
    if (l !== null) {
      listenInput(this, l, info, seg, o, -1);
      return;
    }
    this.resetForUnmatched(info, seg);
  }

  /**
   * Keyed hash of a segment's 4-tuple choosing the member of a SO_REUSEPORT
   * group (Linux inet_ehashfn); 0 while no reuseport listener was opened.
   */
  private flowHash(info: InboundIp, seg: TcpSegment): number {
    if (this.reuseSeed < 0) return 0;
    let h = Math.imul(this.reuseSeed ^ addrHash(info.src), 0x9e3779b1);
    h = Math.imul(h ^ addrHash(info.dst), 0x85ebca6b);
    h = Math.imul(h ^ ((seg.srcPort << 16) | seg.dstPort), 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    return h >>> 0;
  }

  /** RFC 9293 §3.10.7.1 (CLOSED): RST unless the segment is a RST. */
  /** @internal */
  resetForUnmatched(info: InboundIp, seg: TcpSegment): void {
    if (seg.flags & RST) return;
    const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
    if (seg.flags & ACK) this.sendResetFor(info.family, info.dst, info.src, seg.dstPort, seg.srcPort, seg.ack, 0, false);
    else this.sendResetFor(info.family, info.dst, info.src, seg.dstPort, seg.srcPort, 0, (seg.seq + len) >>> 0, true);
  }

  /** @internal A connection object with the stack's estimator and controller. */
  newConnection(family: 4 | 6, local: IpAddress, lport: number, remote: IpAddress, rport: number, opts: TcpSocketOptions): TcpConnection {
    const cfg = this.config;
    const rtt = new RttEstimator({ rtoMinUs: cfg.rtoMinUs, rtoMaxUs: cfg.rtoMaxUs, rtoInitialUs: cfg.rtoInitUs });
    const c = new TcpConnection(this, family, local, lport, remote, rport, opts, rtt, this.newCongestionControl(cfg.defaultMss));
    c.tsOffset = this.isn.tsOffset(local, remote);
    return c;
  }

  /** RFC 6056 Algorithm 4 (double hash) over ports without a listener or a clashing 4-tuple. */
  private ephemeralPort(local: IpAddress, remote: IpAddress, rport: number): number {
    const p = this.ports.select(local, remote, rport, (port) =>
      this.listeners.hasPort(port) || this.portReserved(port) || this.table.lookup(local, port, remote, rport) !== null);
    if (p < 0) throw new SocketError('EADDRNOTAVAIL', 'connect');
    return p;
  }

  /**
   * A port an autobind must skip (Linux inet_csk_get_port with port 0 takes
   * only ports without a bind bucket): any listener or connection on it.
   */
  private portBusy(port: number): boolean {
    if (this.listeners.hasPort(port) || this.portReserved(port)) return true;
    for (const c of this.table.all()) if (c.localPort === port) return true;
    return false;
  }

  /** True if a reservation hook holds `port`. */
  private portReserved(port: number): boolean {
    for (const r of this.reservations) if (r(port)) return true;
    return false;
  }

  private icmpError(r: IcmpErrorReport): void {
    if (r.quoted.length < 8) return;
    const sport = (r.quoted[0]! << 8) | r.quoted[1]!;
    const dport = (r.quoted[2]! << 8) | r.quoted[3]!;
    const c = this.table.lookup(r.src, sport, r.dst, dport);
    if (c === null) return;
    this.enter();
    try {
      handleIcmpError(c, r);
    } finally {
      this.leave();
    }
  }

  /** @internal */
  insert(c: TcpConnection): void {
    this.table.insert(c);
  }

  /** @internal */
  isnFor(local: IpAddress, lport: number, remote: IpAddress, rport: number): Seq {
    return this.isn.isn(local, lport, remote, rport);
  }

  /** @internal */
  tsOffsetFor(local: IpAddress, remote: IpAddress): number {
    return this.isn.tsOffset(local, remote);
  }

  /** True if `a` and `b` are the same address (exported for adapters). */
  static sameAddress(a: IpAddress, b: IpAddress): boolean {
    return addrEqual(a, b);
  }
}

export { Notify };
/** Re-exported for existing importers (the definition lives in socket-options.ts). */
export { defaultSocketOptions };
