import type { ErrnoCode } from '../core/errno.js';

/**
 * The receive queue of a datagram endpoint (UDP, ping, raw ICMP): a FIFO
 * bounded in bytes, with Linux's accounting rules, plus the socket-buffer
 * size rules every datagram socket shares.
 */

/**
 * What one queued datagram costs beyond its bytes: a stand-in for the
 * `sk_buff` overhead Linux charges (`skb->truesize`), so that a flood of
 * empty datagrams is bounded too.
 */
export const DATAGRAM_OVERHEAD = 256;

/** Linux `net.core.rmem_default` / `wmem_default` and `rmem_max` / `wmem_max`. */
export const DEFAULT_SOCKET_BUFFER = 212_992;
export const MAX_SOCKET_BUFFER = 212_992;
/** Linux SOCK_MIN_RCVBUF (2048 + an aligned sk_buff) and SOCK_MIN_SNDBUF (twice that). */
export const MIN_RCVBUF = 2304;
export const MIN_SNDBUF = 4608;

/**
 * The value an SO_RCVBUF / SO_SNDBUF request results in, as Linux computes
 * it in sock_setsockopt(): clamp to rmem_max, double (the kernel reserves
 * half for bookkeeping; getsockopt reports the doubled value), then raise to
 * the minimum.
 */
export function socketBufferSize(requested: number, min: number): number {
  const v = Math.min(Math.max(Math.trunc(requested), 0), MAX_SOCKET_BUFFER);
  return Math.max(v * 2, min);
}

/**
 * A FIFO bounded in charged bytes. A datagram is refused when it would take
 * the queue past its limit, except that an empty queue always takes one —
 * the rule of Linux's __udp_enqueue_schedule_skb ("always allow at least
 * one packet for tiny rcvbuf").
 */
export class DatagramQueue<T> {
  private items: T[] = [];
  private head = 0;
  /** Sum of the charges of the queued items. */
  bytes = 0;

  constructor(
    /** The charge of one item (bytes plus overhead). */
    private readonly chargeOf: (item: T) => number,
    /** Byte limit (SO_RCVBUF as the kernel stores it). */
    public limit: number = DEFAULT_SOCKET_BUFFER,
  ) {}

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends `item` unless the queue is full; false when refused. */
  offer(item: T): boolean {
    const charge = this.chargeOf(item);
    if (this.length > 0 && this.bytes + charge > this.limit) return false;
    this.items.push(item);
    this.bytes += charge;
    return true;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head++;
    this.bytes -= this.chargeOf(item);
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      // Compact now and then so a long-lived queue does not grow without bound.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Drops everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}

/**
 * Readiness notifications of an endpoint. They are called synchronously
 * from inside packet processing (as Linux's sk_data_ready / sk_error_report
 * run in softirq context), after the endpoint's state is updated. A listener
 * should only record readiness — resolve a Promise, set a flag, schedule
 * work — and must not call back into the stack synchronously (send, recv,
 * close…): the layer may be in the middle of delivering the same datagram to
 * other endpoints. Promise continuations run later as microtasks, so a
 * facade that resolves a pending recv() Promise here is safe.
 */
export interface EndpointListener {
  /** A datagram was queued. */
  readable?(): void;
  /** An error became pending (SO_ERROR). */
  error?(code: ErrnoCode): void;
}
