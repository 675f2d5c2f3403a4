import type { TcpConnection } from './connection.js';

/**
 * Send-buffer accounting as Linux does it (sk_wmem_queued against
 * SO_SNDBUF), which decides when a write blocks and when a blocked writer
 * wakes up. Linux charges every skb its truesize: the payload plus the skb
 * itself. A write fills the unsent tail skb up to size_goal without any
 * check, and starts a new skb only while sk_wmem_queued < sk_sndbuf
 * (tcp_sendmsg_locked → sk_stream_memory_free); a blocked writer wakes up
 * once a third of the buffer is free again (sk_stream_write_space:
 * sk_stream_wspace ≥ sk_stream_min_wspace). packetdrill's blocking-write.pkt
 * checks those thresholds to the ACK.
 */

/**
 * truesize of a TCP skb without payload on 64-bit Linux 6.x:
 * SKB_TRUESIZE of the 1 KiB head kmalloc'd for MAX_TCP_HEADER (704 usable
 * bytes + 256 for struct sk_buff + 320 for skb_shared_info).
 */
export const SKB_OVERHEAD = 1280;

/**
 * The unsent data as Linux's write queue holds it: skbs of at most
 * size_goal bytes, head (next to send) first. Sending takes bytes from the
 * head; a burst longer than the head skb eats into the next one, as
 * tcp_grow_skb merges them.
 */
export class SkbLedger {
  private lens: number[] = [];
  private head = 0;

  /** Unsent skbs. */
  get count(): number {
    return this.lens.length - this.head;
  }

  /** Bytes the tail skb may still take before it reaches `sizeGoal`. */
  tailRoom(sizeGoal: number): number {
    if (this.count === 0) return 0;
    return Math.max(0, sizeGoal - this.lens[this.lens.length - 1]!);
  }

  /** Length of the tail skb (0 if none). */
  get tailLength(): number {
    return this.count === 0 ? 0 : this.lens[this.lens.length - 1]!;
  }

  /** Starts a new (empty) tail skb. */
  newSkb(): void {
    this.lens.push(0);
  }

  /** Adds `n` bytes to the tail skb. */
  grow(n: number): void {
    if (this.count === 0) this.lens.push(0);
    this.lens[this.lens.length - 1]! += n;
  }

  /** `n` bytes left as new data: they come off the head skb(s). */
  consume(n: number): void {
    const lens = this.lens;
    while (n > 0 && this.head < lens.length) {
      const l = lens[this.head]!;
      if (n < l) {
        lens[this.head] = l - n;
        return;
      }
      n -= l;
      this.head++;
    }
    if (this.head === lens.length) this.clear();
    else if (this.head > 64 && this.head * 2 > lens.length) {
      this.lens = lens.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets everything (abort). */
  clear(): void {
    this.lens = [];
    this.head = 0;
  }
}

/**
 * Linux tcp_xmit_size_goal: the largest skb a write builds — 64 KiB, but at
 * most half the largest window the peer offered (tcp_bound_to_half_wnd),
 * in whole segments, at least one.
 */
export function sizeGoal(c: TcpConnection): number {
  const mss = c.mss;
  let goal = c.host.config.gsoMaxSize;
  const maxWnd = c.maxSndWnd;
  if (maxWnd > 0) {
    const cutoff = maxWnd > 536 ? maxWnd >>> 1 : maxWnd;
    if (goal > cutoff) goal = Math.max(cutoff, 68);
  }
  return Math.max(mss, Math.floor(goal / mss) * mss);
}

/** sk_wmem_queued: queued payload plus an skb's overhead per skb, sent or not. */
export function wmemQueued(c: TcpConnection): number {
  return c.sendBuf.length + SKB_OVERHEAD * (c.rtx.skbCount + c.skbs.count);
}

/**
 * sk_stream_is_writeable: a third of the buffer free (sk_stream_wspace ≥
 * sk_stream_min_wspace = queued / 2) and room for one more skb.
 */
export function isWriteable(c: TcpConnection): boolean {
  const queued = wmemQueued(c);
  return c.sndBufSize - queued >= queued >>> 1 && queued < c.sndBufSize;
}

/**
 * About how many bytes a write would take now: the unsent tail skb's room,
 * plus new skbs while the buffer is under SO_SNDBUF. A write may take a
 * little more, as sending during the write frees room in the tail skb.
 */
export function writeRoom(c: TcpConnection): number {
  const goal = sizeGoal(c);
  let room = c.skbs.tailRoom(goal);
  let queued = wmemQueued(c);
  while (queued < c.sndBufSize) {
    room += goal;
    queued += goal + SKB_OVERHEAD;
  }
  return room;
}
