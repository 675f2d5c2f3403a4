import { describe, expect, it } from 'vitest';
import { SKB_OVERHEAD, SkbLedger, sizeGoal, wmemQueued } from '../../../src/tcp/write-space.js';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

describe('SkbLedger (the unsent write queue as Linux skbs)', () => {
  it('fills the tail, starts skbs on request, and gives bytes away from the head, merging as tcp_grow_skb', () => {
    const l = new SkbLedger();
    expect(l.tailRoom(1000)).toBe(0);
    l.newSkb();
    l.grow(600);
    expect(l.tailRoom(1000)).toBe(400);
    l.grow(400);
    l.newSkb();
    l.grow(300);
    expect([l.count, l.tailLength]).toEqual([2, 300]);
    l.consume(200); // a burst from the head skb: the rest stays one skb
    expect(l.count).toBe(2);
    l.consume(900); // the head's 800 and 100 of the next
    expect([l.count, l.tailLength]).toEqual([1, 200]);
    l.consume(200);
    expect(l.count).toBe(0);
  });
});

describe('send-buffer accounting (Linux sk_wmem_queued against SO_SNDBUF)', () => {
  /** blocking-write.pkt's connection: peer MSS 1000, window 50000 unscaled, SO_SNDBUF 42000. */
  function open() {
    const t = new Testbed({ minTsoSegs: 10 });
    const { c } = t.passiveOpen('mss 1000,nop,wscale 0', 'mss 1460,nop,wscale 8', 1, 100_000);
    t.in('.', 1, 0, { ack: 1, win: 50000 });
    c.setOptions({ sndBuf: 42000 });
    return { t, c };
  }

  it('size_goal is half the largest window in whole segments', () => {
    const { c } = open();
    expect(sizeGoal(c)).toBe(25000);
  });

  it('a write fills skbs of size_goal and starts a new one only under SO_SNDBUF; full head skbs leave during the write', () => {
    const { t, c } = open();
    // 25000 in the first skb (5 segments leave at once: tcp_push_one), the
    // tail refills to 25000 and 5 more leave, refills again, then one new
    // skb of 25000 fits under 42000 — 60000 bytes in all, the next skb not.
    expect(c.write(new Uint8Array(61000))).toBe(60000);
    expect(drain(t).length).toBe(10);
    // Two bursts in flight and two unsent skbs.
    expect(wmemQueued(c)).toBe(60000 + 4 * SKB_OVERHEAD);
  });

  it('a blocked writer wakes when a third of the buffer is free, not before (sk_stream_write_space)', () => {
    const { t, c } = open();
    let woke = 0;
    c.setHandler({ onWritable: () => woke++ });
    expect(c.write(new Uint8Array(61000))).toBe(60000);
    drain(t);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 10001, win: 50000 });
    drain(t);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 30001, win: 50000 });
    drain(t);
    t.advance(50_000);
    t.in('.', 1, 0, { ack: 35001, win: 50000 });
    expect(woke).toBe(0);
    expect(c.writeable).toBe(false);
    t.advance(50_000);
    t.in('.', 1, 0, { ack: 36001, win: 50000 });
    expect(woke).toBe(1);
    expect(wmemQueued(c)).toBeLessThanOrEqual(28000);
    expect(c.write(new Uint8Array(1000))).toBe(1000);
  });
});
