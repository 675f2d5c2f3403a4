import { type ErrnoCode, SocketError } from '../core/errno.js';
import { sizeGoal, wmemQueued } from './write-space.js';
import { seqAdd, seqDiff } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { Notify } from './host.js';
import * as out from './output.js';
import type { TcpSocketOptions } from './socket-options.js';
import { TcpState } from './state.js';
import * as life from './lifetime.js';

/**
 * The user calls of RFC 9293 §3.10 (SEND, RECEIVE, CLOSE, ABORT) and the
 * socket-option changes, as the connection's API methods run them (inside
 * the layer's enter/leave bracket).
 */

/**
 * SEND (RFC 9293 §3.10.2): queue by reference; returns the bytes taken.
 * `more` is MSG_MORE: more data follows at once, so the end of this write
 * is not pushed (no PSH mark) and a partial segment waits, for this call
 * only, as under TCP_CORK (Linux tcp_push with TCP_NAGLE_CORK).
 */
export function userWrite(c: TcpConnection, data: Uint8Array, more = false): number {
  if (c.error !== null && c.state === TcpState.CLOSED) {
    throw new SocketError(c.error === 'ETIMEDOUT' || c.error === 'ECONNRESET' ? c.error : 'EPIPE', 'write');
  }
  if (c.finQueued || c.orphan || c.state === TcpState.CLOSED || (c.state >= TcpState.FIN_WAIT_1 && c.state !== TcpState.CLOSE_WAIT)) {
    throw new SocketError('EPIPE', 'write');
  }
  const open = c.state === TcpState.ESTABLISHED || c.state === TcpState.CLOSE_WAIT;
  // Linux tcp_sendmsg_locked: fill the unsent tail skb up to size_goal,
  // start a new skb only while the buffer is under SO_SNDBUF, and send a
  // full skb at once if it is next in line (tcp_push_one).
  const goal = sizeGoal(c);
  let n = 0;
  while (n < data.length) {
    let room = c.skbs.tailRoom(goal);
    const intoTail = room > 0;
    if (!intoTail) {
      if (wmemQueued(c) >= c.sndBufSize) break;
      c.skbs.newSkb();
      room = goal;
    }
    const k = Math.min(room, data.length - n);
    c.sendBuf.append(k === data.length ? data : data.subarray(n, n + k), intoTail);
    c.skbs.grow(k);
    n += k;
    if (open && n < data.length && c.skbs.count === 1 && c.skbs.tailLength >= goal) out.tcpOutput(c, false, false, true);
  }
  if (n < data.length) c.wantWritable = true;
  if (n === 0) return 0;
  // Linux tcp_push: mark PSH at the end of the write unless MSG_MORE says
  // more follows — or half the peer's largest window went by unmarked
  // (forced_push).
  const writeEnd = seqAdd(c.sndUna, c.sendBuf.length);
  if (!more || seqDiff(writeEnd, c.pushedSeq) > c.maxSndWnd >>> 1) {
    c.sendBuf.markPush();
    c.pushedSeq = writeEnd;
  }
  if (open) out.tcpOutput(c, false, more);
  return n;
}

/** RECEIVE (RFC 9293 §3.10.3): up to `max` bytes, then window and ACK bookkeeping. */
export function userRead(c: TcpConnection, max: number): Uint8Array {
  const data = c.recvBuf.read(max);
  if (data.length > 0) out.afterRead(c, data.length);
  return data;
}

/** shutdown(2). */
export function userShutdown(c: TcpConnection, how: 'read' | 'write' | 'both'): void {
  if (how !== 'write') {
    c.readShutdown = true;
    c.host.notify(c, Notify.READABLE);
  }
  if (how !== 'read') {
    if (c.state === TcpState.CLOSED) throw new SocketError('ENOTCONN', 'shutdown');
    out.queueFin(c);
  }
}

/**
 * CLOSE (RFC 9293 §3.10.4) as Linux tcp_close: abortive with unread data
 * (RFC 2525 §2.17) or SO_LINGER 0 s, otherwise FIN after the queued data;
 * the connection lives on as an orphan.
 */
export function userClose(c: TcpConnection): void {
  if (c.orphan && c.state !== TcpState.SYN_SENT) return;
  c.orphan = true;
  c.wantWritable = false;
  const s = c.state;
  if (s === TcpState.CLOSED) return;
  if (s === TcpState.SYN_SENT) {
    // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB; no RST (close-on-syn-sent.pkt).
    life.tcpDone(c, null);
    return;
  }
  if (c.recvBuf.length > 0 || (c.options.lingerOn && c.options.lingerS === 0)) {
    const counters = c.host.ctx.counters;
    if (c.recvBuf.length > 0) counters.TcpExtTCPAbortOnClose++;
    else counters.TcpExtTCPAbortOnLinger++;
    userAbort(c);
    return;
  }
  if (s === TcpState.TIME_WAIT || s === TcpState.LAST_ACK || s === TcpState.CLOSING || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2) {
    if (s === TcpState.FIN_WAIT_2) life.armFinWait2(c);
    return;
  }
  out.queueFin(c);
}

/**
 * ABORT (RFC 9293 §3.10.5): RST if synchronized, then CLOSED at once;
 * `error` (if any) is what onClosed reports.
 */
export function userAbort(c: TcpConnection, error: ErrnoCode | null = null): void {
  const s = c.state;
  if (s === TcpState.CLOSED) return;
  c.orphan = true;
  if (s === TcpState.SYN_RECEIVED || s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 ||
      s === TcpState.FIN_WAIT_2 || s === TcpState.CLOSE_WAIT) {
    out.sendResetFromConnection(c);
  }
  life.tcpDone(c, error);
}

/** setsockopt: applies changes at once (uncorking flushes, keepalive re-arms…). */
export function userSetOptions(c: TcpConnection, o: Partial<TcpSocketOptions>): void {
  const wasCorked = c.options.cork;
  Object.assign(c.options, o);
  // New IP header fields apply from the next segment (output.ts rebuilds its cached send options).
  if (o.ttl !== undefined || o.tos !== undefined || o.dontFragment !== undefined) c.ipSendOptions = null;
  if (o.sndBuf !== undefined && o.sndBuf > 0) c.sndBufSize = o.sndBuf;
  if (o.rcvBuf !== undefined && o.rcvBuf > 0) c.rcvBufSize = o.rcvBuf;
  if (o.keepAlive !== undefined || o.keepIdleS !== undefined) life.resetKeepalive(c);
  // Setting TCP_NODELAY pushes what waits even if it was already set (Linux
  // __tcp_sock_set_nodelay: TCP_NAGLE_PUSH, then tcp_push_pending_frames):
  // it releases data held by an earlier send with MSG_MORE.
  if ((wasCorked && !c.options.cork) || o.noDelay === true) {
    if (c.state === TcpState.ESTABLISHED || c.state === TcpState.CLOSE_WAIT || c.finQueued) out.tcpOutput(c, true);
  }
}
