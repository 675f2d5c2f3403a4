import type { ErrnoCode } from '../core/errno.js';
import { Timer } from '../core/scheduler.js';
import { seqDiff } from '../core/seq.js';
import { timeWaitUs } from './config.js';
import type { TcpConnection } from './connection.js';
import { stopDelack } from './delack.js';
import { Notify } from './host.js';
import * as out from './output.js';
import { TcpState } from './state.js';
import { stopRtx } from './timers.js';

/**
 * The end of a connection's life and the timer that watches it: keepalive
 * (RFC 1122 §4.2.3.6), the FIN-WAIT-2 limit of an orphan, TIME-WAIT
 * (RFC 9293 §3.10.7.4: 2·MSL), and the move to CLOSED that frees
 * everything. These three uses never overlap, so they share one timer.
 */

function lifeTimer(c: TcpConnection): Timer {
  return (c.lifeTimer ??= new Timer(() => onLifeTimer(c), 'life'));
}

/** TIME-WAIT (RFC 9293 §3.10.7.4): wait 2·MSL, then delete the TCB. Buffers are freed now. */
export function enterTimeWait(c: TcpConnection): void {
  c.setState(TcpState.TIME_WAIT);
  c.host.ctx.counters.TcpExtTW++;
  // Unread data stays readable until the application takes it.
  releaseResources(c, !c.orphan);
  c.host.ctx.timers.armIn(lifeTimer(c), timeWaitUs(c.host.config));
  c.host.notify(c, Notify.CLOSED);
}

/** Restarts the 2·MSL wait (a retransmitted FIN arrived in TIME-WAIT). */
export function restartTimeWait(c: TcpConnection): void {
  c.host.ctx.timers.armIn(lifeTimer(c), timeWaitUs(c.host.config));
}

/** An orphan in FIN-WAIT-2 waits tcp_fin_timeout (or TCP_LINGER2) for the peer's FIN, then goes away. */
export function armFinWait2(c: TcpConnection): void {
  if (!c.orphan || c.state !== TcpState.FIN_WAIT_2) return;
  const l2 = c.options.linger2S;
  if (l2 < 0) {
    tcpDone(c, null);
    return;
  }
  const us = l2 > 0 ? l2 * 1_000_000 : c.host.config.finTimeoutUs;
  c.host.ctx.timers.armIn(lifeTimer(c), us);
}

/** (Re)starts keepalive for a connection that has it on (SO_KEEPALIVE). */
export function resetKeepalive(c: TcpConnection): void {
  const s = c.state;
  if (s === TcpState.TIME_WAIT || s === TcpState.FIN_WAIT_2 && c.orphan) return;
  const t = c.host.ctx.timers;
  if (!c.options.keepAlive || !(s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2 || s === TcpState.CLOSING || s === TcpState.LAST_ACK)) {
    if (c.lifeTimer?.armed) t.disarm(c.lifeTimer);
    return;
  }
  c.keepaliveProbesOut = 0;
  t.armIn(lifeTimer(c), keepIdle(c));
}

function keepIdle(c: TcpConnection): number {
  return c.options.keepIdleS > 0 ? c.options.keepIdleS * 1_000_000 : c.host.config.keepaliveTimeUs;
}

function keepIntvl(c: TcpConnection): number {
  return c.options.keepIntvlS > 0 ? c.options.keepIntvlS * 1_000_000 : c.host.config.keepaliveIntvlUs;
}

function onLifeTimer(c: TcpConnection): void {
  c.host.enter();
  try {
    switch (c.state) {
      case TcpState.TIME_WAIT:
      case TcpState.FIN_WAIT_2:
        if (c.state === TcpState.FIN_WAIT_2 && !c.orphan) {
          keepaliveTimeout(c);
          return;
        }
        tcpDone(c, null);
        return;
      default:
        keepaliveTimeout(c);
    }
  } finally {
    c.host.leave();
  }
}

/** RFC 1122 §4.2.3.6 keepalive, with Linux's probe count and TCP_USER_TIMEOUT override. */
function keepaliveTimeout(c: TcpConnection): void {
  if (!c.options.keepAlive) return;
  const now = c.host.ctx.clock.now();
  const t = c.host.ctx.timers;
  // Data in flight or a probe pending: the retransmission logic watches the connection.
  if (seqDiff(c.sndNxt, c.sndUna) > 0 || c.sendBuf.length > 0) {
    t.armIn(lifeTimer(c), keepIdle(c));
    return;
  }
  const idle = now - c.lastRecvAt;
  if (idle < keepIdle(c) && c.keepaliveProbesOut === 0) {
    t.armIn(lifeTimer(c), keepIdle(c) - idle);
    return;
  }
  const ut = c.options.userTimeoutMs * 1000;
  const cnt = c.options.keepCnt > 0 ? c.options.keepCnt : c.host.config.keepaliveProbes;
  if ((ut > 0 && idle >= ut && c.keepaliveProbesOut > 0) || (ut === 0 && c.keepaliveProbesOut >= cnt)) {
    out.sendResetFromConnection(c);
    tcpDone(c, 'ETIMEDOUT');
    return;
  }
  c.keepaliveProbesOut++;
  out.sendProbe(c, 'TcpExtTCPKeepAlive');
  t.armIn(lifeTimer(c), keepIntvl(c));
}

// ---------------------------------------------------------------- teardown

function releaseResources(c: TcpConnection, keepRecv: boolean): void {
  const t = c.host.ctx.timers;
  stopRtx(c);
  stopDelack(c);
  if (c.lifeTimer?.armed) t.disarm(c.lifeTimer);
  c.sendBuf.clear();
  c.skbs.clear();
  c.rtx.clear();
  c.ooo?.clear();
  c.ooo = null;
  if (!keepRecv) c.recvBuf.clear();
}

/**
 * The connection reaches CLOSED: stop its timers, free its buffers (unread
 * data stays readable unless orphaned), leave the demux and tell the
 * application. `err` becomes the socket error if none is set yet.
 */
export function tcpDone(c: TcpConnection, err: ErrnoCode | null): void {
  if (c.state === TcpState.CLOSED) return;
  if (err !== null && c.error === null) c.error = err;
  const from = c.state;
  const counters = c.host.ctx.counters;
  if (from === TcpState.SYN_SENT || from === TcpState.SYN_RECEIVED) counters.TcpAttemptFails++;
  c.setState(TcpState.CLOSED);
  releaseResources(c, !c.orphan);
  c.host.unhash(c);
  if (c.listener !== null) {
    c.listener.removeChild(c);
    c.listener = null;
  }
  if (from !== TcpState.TIME_WAIT) c.host.notify(c, Notify.CLOSED);
}
