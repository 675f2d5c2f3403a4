import type { IpAddress } from '../ip/types.js';
import type { TcpConnection, TcpSocketOptions } from './connection.js';
import { Notify } from './host.js';

/** Listener notifications (run after the stack unwinds, like connection ones). */
export interface TcpListenerHandler {
  /** An established connection waits in the accept queue. */
  onConnection?(l: TcpListener): void;
}

/** Per-listener counters (the stack-wide ones are in ctx.counters). */
export interface TcpListenerStats {
  /** SYNs refused because the accept queue was full (ListenOverflows). */
  acceptQueueOverflows: number;
  /** SYNs that found the SYN queue full. */
  synQueueOverflows: number;
  cookiesSent: number;
  cookiesValidated: number;
  cookiesFailed: number;
}

/** What the listener needs from the layer. */
export interface ListenerOwner {
  closeListener(l: TcpListener): void;
  enter(): void;
  leave(): void;
  notify(target: TcpListener, bits: number): void;
}

/**
 * A passive open (RFC 9293 §3.10.1 OPEN with passive flag): connections in
 * SYN-RECEIVED wait in the SYN queue; once established they move to the
 * accept queue. Both are bounded by the backlog as Linux does (SYN queue
 * full → SYN cookies; accept queue full → SYN dropped, ListenOverflows).
 */
export class TcpListener {
  readonly synQueue = new Set<TcpConnection>();
  readonly acceptQueue: TcpConnection[] = [];
  readonly stats: TcpListenerStats = {
    acceptQueueOverflows: 0, synQueueOverflows: 0, cookiesSent: 0, cookiesValidated: 0, cookiesFailed: 0,
  };
  handler: TcpListenerHandler | null = null;
  closed = false;
  /** When the last SYN cookie was sent, µs (ACKs are checked as cookies for two minutes after). */
  lastCookieAt = -1e15;
  /** Pending notification bits (delivered by the layer). */
  pendingNotify = 0;

  constructor(
    private readonly owner: ListenerOwner,
    readonly family: 4 | 6,
    /** Null for the wildcard address. */
    readonly localAddress: IpAddress | null,
    readonly localPort: number,
    /** Queue bound (listen(2) backlog, capped by somaxconn). */
    public backlog: number,
    /** Options inherited by accepted connections. */
    readonly options: TcpSocketOptions,
    /** SO_REUSEPORT: shares its address and port with other reuseport listeners (new connections spread by 4-tuple hash). */
    readonly reusePort = false,
  ) {}

  /** Established connections waiting for accept(). */
  get pending(): number {
    return this.acceptQueue.length;
  }

  /** Half-open connections (SYN received, SYN-ACK sent). */
  get halfOpen(): number {
    return this.synQueue.size;
  }

  /** Linux sk_acceptq_is_full: more than `backlog` waiting. */
  get acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  /** Linux inet_csk_reqsk_queue_is_full. */
  get synQueueFull(): boolean {
    return this.synQueue.size >= this.backlog;
  }

  /** Installs (or removes) the notification handler. */
  setHandler(h: TcpListenerHandler | null): void {
    this.handler = h;
  }

  /**
   * Takes the oldest established connection, or null when none waits. A
   * connection already closed by the peer is still handed out (reads give
   * its data, then end of stream or its error), as accept(2) does.
   */
  accept(): TcpConnection | null {
    const c = this.acceptQueue.shift();
    if (c === undefined) return null;
    c.listener = null;
    c.queuedForAccept = false;
    return c;
  }

  /**
   * Stops listening. Half-open connections vanish silently; established,
   * not yet accepted ones are reset (Linux inet_csk_listen_stop).
   */
  close(): void {
    if (this.closed) return;
    this.owner.enter();
    try {
      this.closed = true;
      this.owner.closeListener(this);
      for (const c of [...this.synQueue]) {
        c.orphan = true;
        c.listener = null;
        this.synQueue.delete(c);
        c.abortSilently();
      }
      for (const c of this.acceptQueue.splice(0)) {
        c.listener = null;
        c.abort();
      }
    } finally {
      this.owner.leave();
    }
  }

  /** A child left the SYN or accept queue (it closed). */
  removeChild(c: TcpConnection): void {
    this.synQueue.delete(c);
    const i = this.acceptQueue.indexOf(c);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }

  /** A child completed its handshake: move it to the accept queue. False if the queue is full. */
  childEstablished(c: TcpConnection): boolean {
    if (this.acceptQueueFull) {
      this.stats.acceptQueueOverflows++;
      return false;
    }
    this.synQueue.delete(c);
    this.acceptQueue.push(c);
    c.queuedForAccept = true;
    this.owner.notify(this, Notify.CONNECTED);
    return true;
  }

  /** Delivers queued notifications (called by the layer). */
  deliverNotifications(bits: number): void {
    if (bits & Notify.CONNECTED && !this.closed && this.acceptQueue.length > 0) this.handler?.onConnection?.(this);
  }
}
