import type { ErrnoCode } from '../core/errno.js';
import { isWriteable, writeRoom } from './write-space.js';
import { setQuickAck } from './delack.js';
import { Notify } from './host.js';
import { buildInfo, type TcpInfo } from './info.js';
import { deliverLinger, type LingerResult, startLinger } from './linger.js';
import type { TcpSocketOptions } from './socket-options.js';
import { STATE_NAMES, TcpState, type TcpStateName } from './state.js';
import { TcpControlBlock } from './tcb.js';
import { userAbort, userClose, userRead, userSetOptions, userShutdown, userWrite } from './user-calls.js';
import * as life from './lifetime.js';

export type { TcpSocketOptions } from './socket-options.js';
export type { LingerResult } from './linger.js';

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
 * One TCP connection: the endpoint API (write, read, shutdown, close,
 * abort, options, introspection) over its transmission control block
 * ({@link TcpControlBlock}, tcb.ts). The user calls run in user-calls.ts,
 * segment processing in input.ts, transmission in output.ts, timers in
 * timers.ts.
 */
export class TcpConnection extends TcpControlBlock {
  handler: TcpConnectionHandler | null = null;

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

  /**
   * About how many bytes a write would take now (Linux's SO_SNDBUF
   * accounting, write-space.ts); 0 when a write would take nothing.
   */
  get writableLength(): number {
    return writeRoom(this);
  }

  /** True when a writer blocked on a full buffer may go on (poll's POLLOUT, Linux sk_stream_is_writeable). */
  get writeable(): boolean {
    return isWriteable(this);
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
   * `more` (MSG_MORE) says more data follows at once: the end of this write
   * is not pushed and a partial segment waits for it.
   */
  write(data: Uint8Array, more = false): number {
    this.host.enter();
    try {
      return userWrite(this, data, more);
    } finally {
      this.host.leave();
    }
  }

  /**
   * Asks for `onWritable` once the send buffer has room again (at least half
   * of it free, after an ACK), although no write came up short — what a
   * poller waiting for POLLOUT needs. One-shot, like the request a short
   * write makes; ignored after close().
   */
  requestWritable(): void {
    if (!this.orphan) this.wantWritable = true;
  }

  /**
   * Takes up to `max` received bytes. Returns an empty array when nothing is
   * buffered (check {@link readEnded} to tell end of stream from "not yet").
   */
  read(max = Infinity): Uint8Array {
    if (this.recvBuf.length === 0) return this.recvBuf.read(0);
    this.host.enter();
    try {
      return userRead(this, max);
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
      userShutdown(this, how);
    } finally {
      this.host.leave();
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
      userClose(this);
    } finally {
      this.host.leave();
    }
  }

  /**
   * close(2) of a blocking socket with SO_LINGER on and a linger time: closes
   * as {@link close} does, then calls `done` once the close completed (our
   * FIN acknowledged, or the connection reset) — or with 'timeout' when the
   * linger time (options.lingerS) ran out first, after which the connection
   * carries on as an orphan, as Linux does (no RST at expiry). Without a
   * linger time `done('closed')` follows at once. `done` runs after the
   * stack unwinds, even when no handler is installed, so a socket facade can
   * resolve the Promise of a blocked close() from it:
   * `await new Promise((r) => conn.closeLingering(r))`.
   */
  closeLingering(done: (result: LingerResult) => void): void {
    this.host.enter();
    try {
      userClose(this);
      const o = this.options;
      startLinger(this, o.lingerOn ? o.lingerS * 1_000_000 : 0, done);
    } finally {
      this.host.leave();
    }
  }

  /**
   * ABORT (RFC 9293 §3.10.5): RST if synchronized, then CLOSED at once.
   * `onClosed` reports `error` — null for an abort the application asked
   * for, ECONNABORTED when the stack shuts down under the connection.
   */
  abort(error: ErrnoCode | null = null): void {
    this.host.enter();
    try {
      userAbort(this, error);
    } finally {
      this.host.leave();
    }
  }

  /** Drops the connection without sending anything (half-open children of a closed listener). */
  abortSilently(): void {
    this.host.enter();
    try {
      this.orphan = true;
      life.tcpDone(this, null);
    } finally {
      this.host.leave();
    }
  }

  /** Changes socket options; effects apply at once (uncorking flushes, keepalive arms…). */
  setOptions(o: Partial<TcpSocketOptions>): void {
    this.host.enter();
    try {
      userSetOptions(this, o);
    } finally {
      this.host.leave();
    }
  }

  /**
   * setsockopt(TCP_QUICKACK): `true` sends a pending delayed ACK now and
   * leaves interactive mode for the moment; `false` enters interactive
   * (ping-pong) mode, so ACKs wait to ride on replies (Linux
   * __tcp_sock_set_quickack; like Linux, the setting is not sticky).
   */
  setQuickAck(on: boolean): void {
    this.host.enter();
    try {
      setQuickAck(this, on);
    } finally {
      this.host.leave();
    }
  }

  /**
   * The last soft error (an ICMP error that did not kill the connection,
   * RFC 5927 / RFC 1122 §4.2.3.9), returned once and cleared: Linux's
   * getsockopt(SO_ERROR) takes sk_err_soft this way when no hard error is
   * pending. Clearing it also means a later timeout reports ETIMEDOUT, as
   * Linux's tcp_write_err does once sk_err_soft was read.
   */
  takeSoftError(): ErrnoCode | null {
    const e = this.softError;
    this.softError = null;
    return e;
  }

  /** In interactive (ping-pong) mode: getsockopt(TCP_QUICKACK) reads as 0 then, else 1. */
  get interactive(): boolean {
    return this.pingpong >= this.host.config.pingpongThresh;
  }

  /** TCP_INFO-like snapshot. */
  info(): TcpInfo {
    return buildInfo(this);
  }

  // ================= internal helpers shared by input/output/timers =================

  /** Runs the handler callbacks for queued notification bits (called by the layer after the event). */
  deliverNotifications(bits: number): void {
    if (bits & Notify.LINGER) deliverLinger(this);
    const h = this.handler;
    if (h === null) return;
    if (bits & Notify.CONNECTED && !this.orphan) h.onConnected?.(this);
    if (bits & Notify.WRITABLE && !this.orphan) h.onWritable?.(this);
    if (bits & Notify.READABLE && !this.orphan) h.onReadable?.(this);
    if (bits & Notify.PEER_FIN && !this.orphan) h.onPeerFin?.(this);
    if (bits & Notify.CLOSED) h.onClosed?.(this, this.error);
  }

}
