import type { ErrnoCode } from '../core/errno.js';
import { DATAGRAM_OVERHEAD, DatagramQueue, type EndpointListener } from './datagram-queue.js';
import { DatagramOptions, type DatagramOptionName, type DatagramOptionValues } from './socket-options.js';

/**
 * What every datagram endpoint (UDP, ping, raw ICMP) has below its
 * addressing: options, a receive queue bounded by SO_RCVBUF, a pending
 * error slot (SO_ERROR) and a listener.
 */
export abstract class QueuedEndpoint<T extends { readonly data: Uint8Array }> {
  readonly options = new DatagramOptions();
  /** Datagrams dropped because the receive queue was full (sk_drops). */
  drops = 0;
  closed = false;
  /** Readiness notifications; see {@link EndpointListener} for what a listener may do. */
  listener: EndpointListener | null = null;
  /** @internal */
  readonly queue = new DatagramQueue<T>((d) => d.data.length + DATAGRAM_OVERHEAD);
  private error: ErrnoCode | null = null;

  /**
   * Takes the oldest datagram. A pending error is reported first and
   * cleared, as Linux's recvmsg does; null when nothing is queued.
   */
  recv(): T | ErrnoCode | null {
    const e = this.takeError();
    if (e !== null) return e;
    const d = this.queue.shift();
    if (d === undefined) return null;
    this.onRead(d);
    return d;
  }

  /** Like {@link recv} (MSG_PEEK) but leaves the datagram queued. */
  peek(): T | ErrnoCode | null {
    const e = this.takeError();
    if (e !== null) return e;
    return this.queue.peek() ?? null;
  }

  /** FIONREAD / SIOCINQ: the size of the next datagram, 0 if none (Linux reports one datagram, not the sum). */
  get nextDatagramSize(): number {
    return this.queue.peek()?.data.length ?? 0;
  }

  /** Number of queued datagrams. */
  get queuedDatagrams(): number {
    return this.queue.length;
  }

  /** Bytes charged against SO_RCVBUF (what `ss` shows as Recv-Q). */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** The pending error, left in place (poll's POLLERR). */
  get pendingError(): ErrnoCode | null {
    return this.error;
  }

  /** getsockopt(SO_ERROR): the pending error, cleared. */
  takeError(): ErrnoCode | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  /** getsockopt(). */
  getOption<K extends DatagramOptionName>(name: K): DatagramOptionValues[K] {
    return this.options.get(name);
  }

  /** @internal Queues a datagram; false (and counted in `drops`) when the receive buffer is full. */
  enqueue(d: T): boolean {
    this.queue.limit = this.options.rcvbuf;
    if (!this.queue.offer(d)) {
      this.drops++;
      return false;
    }
    this.listener?.readable?.();
    return true;
  }

  /** @internal Sets the pending error (sk_err) and notifies. */
  setError(code: ErrnoCode): void {
    this.error = code;
    this.listener?.error?.(code);
  }

  /** @internal Drops queued data and the listener (on close). */
  protected release(): void {
    this.closed = true;
    this.queue.clear();
    this.listener = null;
  }

  /** Called when the application reads datagram `d` (for counters). */
  protected onRead(_d: T): void {}
}
