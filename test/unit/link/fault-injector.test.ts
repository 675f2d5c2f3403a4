import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { FaultInjector, NO_FAULTS, type FaultConfig } from '../../../src/link/fault-injector.js';
import type { FrameReceiver, Link } from '../../../src/link/link.js';

/** An inner link that records what is sent and lets the test inject received frames from a reused buffer. */
class FakeLink implements Link {
  readonly name = 'fake0';
  readonly linkType = 'ip' as const;
  readonly mtu = 1500;
  readonly sent: { at: number; frame: Uint8Array }[] = [];
  closed = false;
  private receiver: FrameReceiver | null = null;
  private readonly rxBuffer = new Uint8Array(2000);
  constructor(private readonly clock: VirtualClock) {}
  send(frame: Uint8Array): void {
    this.sent.push({ at: this.clock.now(), frame });
  }
  setReceiver(r: FrameReceiver | null): void {
    this.receiver = r;
  }
  close(): void {
    this.closed = true;
  }
  /** Delivers a copy of `bytes` from a buffer that is scribbled over right after, as a TUN reader would. */
  inject(bytes: Uint8Array): void {
    this.rxBuffer.set(bytes);
    this.receiver?.(this.rxBuffer.subarray(0, bytes.length));
    this.rxBuffer.fill(0xee);
  }
}

/** A 20-byte frame numbered `n` (big-endian in the first two bytes). */
function numbered(n: number, len = 20): Uint8Array {
  const f = new Uint8Array(len);
  f[0] = n >>> 8;
  f[1] = n & 0xff;
  f[len - 1] = 0x5a;
  return f;
}
const num = (f: Uint8Array): number => (f[0]! << 8) | f[1]!;

function setup(tx: Partial<FaultConfig> = {}, rx: Partial<FaultConfig> = {}, seed = 1) {
  const clock = new VirtualClock();
  const inner = new FakeLink(clock);
  const fi = new FaultInjector(inner, { clock, random: new SeededRandom(seed), tx, rx });
  const received: { at: number; frame: Uint8Array }[] = [];
  // The frame is only valid during the call (FakeLink scribbles over it after): keep a copy.
  fi.setReceiver((frame) => received.push({ at: clock.now(), frame: frame.slice() }));
  return { clock, inner, fi, received };
}

/** Sends frames 0..n-1, one every `gapUs`, then runs the clock dry. */
function pump(s: ReturnType<typeof setup>, n: number, gapUs = 10): void {
  for (let i = 0; i < n; i++) {
    s.fi.send(numbered(i));
    s.clock.advance(gapUs);
  }
  s.clock.runUntilIdle();
}

describe('FaultInjector', () => {
  it('without faults passes every frame through unchanged, at once, and keeps the link identity', () => {
    const s = setup();
    const f = numbered(1);
    s.fi.send(f);
    expect(s.inner.sent).toEqual([{ at: 0, frame: f }]);
    expect(s.inner.sent[0]!.frame).toBe(f);
    s.inner.inject(numbered(2));
    expect(s.received.map((r) => num(r.frame))).toEqual([2]);
    expect([s.fi.name, s.fi.linkType, s.fi.mtu]).toEqual(['fake0', 'ip', 1500]);
    expect(s.fi.stats('tx')).toMatchObject({ offered: 1, forwarded: 1, dropped: 0 });
    expect(s.fi.config('rx')).toEqual(NO_FAULTS);
  });

  it('makes the same decisions for the same seed, and different ones for another', () => {
    const cfg: Partial<FaultConfig> = {
      dropProbability: 0.1,
      duplicateProbability: 0.1,
      reorderProbability: 0.1,
      corruptProbability: 0.1,
      jitterUs: 50,
    };
    const run = (seed: number): string[] => {
      const s = setup(cfg, {}, seed);
      pump(s, 300);
      return s.inner.sent.map((x) => `${x.at}:${Buffer.from(x.frame).toString('hex')}`);
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('drops at the configured rate (exact count for the seed)', () => {
    const s = setup({ dropProbability: 0.25 });
    pump(s, 10_000);
    const st = s.fi.stats('tx');
    expect(st.dropped).toBe(2459);
    expect(st.forwarded).toBe(10_000 - 2459);
    expect(s.inner.sent.length).toBe(st.forwarded);
    // Survivors keep their order.
    const nums = s.inner.sent.map((x) => num(x.frame));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
  });

  it('duplicates: the copy follows the original at once and is a separate buffer', () => {
    const s = setup({ duplicateProbability: 0.1 });
    pump(s, 10_000);
    const st = s.fi.stats('tx');
    expect(st.duplicated).toBe(953);
    expect(s.inner.sent.length).toBe(10_000 + 953);
    let pairs = 0;
    for (let i = 1; i < s.inner.sent.length; i++) {
      const a = s.inner.sent[i - 1]!;
      const b = s.inner.sent[i]!;
      if (num(a.frame) === num(b.frame)) {
        pairs++;
        expect(b.frame).not.toBe(a.frame);
        expect(b.frame).toEqual(a.frame);
        expect(b.at).toBe(a.at);
      }
    }
    expect(pairs).toBe(953);
  });

  it('reorders by holding a frame until the next one has gone', () => {
    const s = setup({ reorderProbability: 1 });
    pump(s, 6);
    expect(s.inner.sent.map((x) => [x.at, num(x.frame)])).toEqual([
      [10, 1],
      [10, 0],
      [30, 3],
      [30, 2],
      [50, 5],
      [50, 4],
    ]);
    expect(s.fi.stats('tx').reordered).toBe(3);
  });

  it('releases a held frame after the timeout when no next frame comes', () => {
    const s = setup({ reorderProbability: 1, reorderTimeoutUs: 2_500 });
    s.fi.send(numbered(7));
    s.clock.advance(2_499);
    expect(s.inner.sent).toEqual([]);
    s.clock.advance(1);
    expect(s.inner.sent.map((x) => [x.at, num(x.frame)])).toEqual([[2_500, 7]]);
  });

  it('reorders at the configured rate, losing nothing (exact count for the seed)', () => {
    const s = setup({ reorderProbability: 0.1 });
    pump(s, 10_000);
    expect(s.fi.stats('tx').reordered).toBe(867);
    const nums = s.inner.sent.map((x) => num(x.frame));
    expect([...nums].sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    let inversions = 0;
    for (let i = 1; i < nums.length; i++) if (nums[i]! < nums[i - 1]!) inversions++;
    expect(inversions).toBe(867);
  });

  it('reorders by a delay, letting what comes meanwhile overtake', () => {
    const s = setup({ reorderProbability: 1, reorderDelayUs: 500 });
    s.fi.send(numbered(1));
    s.fi.configure('tx', { reorderProbability: 0 });
    s.clock.advance(100);
    s.fi.send(numbered(2));
    s.clock.runUntilIdle();
    expect(s.inner.sent.map((x) => [x.at, num(x.frame)])).toEqual([
      [100, 2],
      [500, 1],
    ]);
  });

  it('corrupts exactly one bit, in a copy', () => {
    const s = setup({ corruptProbability: 1 });
    const originals: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const f = numbered(i, 64);
      originals.push(f.slice());
      s.fi.send(f);
      expect(f).toEqual(originals[i]); // the caller's buffer is untouched
    }
    expect(s.inner.sent.length).toBe(200);
    s.inner.sent.forEach((x, i) => {
      let bits = 0;
      for (let j = 0; j < 64; j++) {
        let d = x.frame[j]! ^ originals[i]![j]!;
        for (; d; d &= d - 1) bits++;
      }
      expect(bits).toBe(1);
    });
    expect(s.fi.stats('tx').corrupted).toBe(200);
  });

  it('corrupts at the configured rate (exact count for the seed)', () => {
    const s = setup({ corruptProbability: 0.05 });
    pump(s, 10_000);
    expect(s.fi.stats('tx').corrupted).toBe(485);
    // Nothing is dropped or reordered, so sent frame i is frame i: count those one bit off.
    expect(s.inner.sent.length).toBe(10_000);
    let oneBitOff = 0;
    s.inner.sent.forEach((x, i) => {
      const want = numbered(i);
      let bits = 0;
      for (let j = 0; j < want.length; j++) for (let d = x.frame[j]! ^ want[j]!; d; d &= d - 1) bits++;
      expect(bits).toBeLessThanOrEqual(1);
      oneBitOff += bits;
    });
    expect(oneBitOff).toBe(485);
  });

  it('delays by a fixed amount plus jitter', () => {
    const s = setup({ delayUs: 1_000 });
    s.fi.send(numbered(1));
    s.clock.advance(999);
    expect(s.inner.sent).toEqual([]);
    s.clock.advance(1);
    expect(s.inner.sent.map((x) => [x.at, num(x.frame)])).toEqual([[1_000, 1]]);

    const j = setup({ delayUs: 1_000, jitterUs: 100 });
    for (let i = 0; i < 8; i++) j.fi.send(numbered(i));
    j.clock.runUntilIdle();
    // Each frame waits 1000 µs plus 0..100 µs drawn from the seed, so they come out shuffled.
    expect(j.inner.sent.map((x) => [x.at, num(x.frame)])).toEqual([
      [1_002, 2],
      [1_013, 0],
      [1_018, 4],
      [1_039, 5],
      [1_058, 1],
      [1_081, 6],
      [1_086, 7],
      [1_090, 3],
    ]);
    expect(j.fi.stats('tx').delayed).toBe(8);
  });

  it('rate-limits with a token bucket, dropping what exceeds it', () => {
    // 8 Mbit/s = 1 byte per µs; bucket 3000 bytes, full at the start.
    const s = setup({ rateBps: 8_000_000, burstBytes: 3_000 });
    for (let i = 0; i < 5; i++) s.fi.send(numbered(i, 1_000));
    expect(s.inner.sent.map((x) => num(x.frame))).toEqual([0, 1, 2]);
    s.clock.advance(999);
    s.fi.send(numbered(5, 1_000)); // 999 tokens: not enough
    s.clock.advance(1_001);
    s.fi.send(numbered(6, 1_000)); // 2000 tokens
    s.fi.send(numbered(7, 1_000)); // 1000 left
    s.fi.send(numbered(8, 1_000)); // 0 left
    expect(s.inner.sent.map((x) => num(x.frame))).toEqual([0, 1, 2, 6, 7]);
    expect(s.fi.stats('tx')).toMatchObject({ offered: 9, forwarded: 5, droppedRate: 4 });
  });

  it('the default bucket holds one largest frame of the link', () => {
    const s = setup({ rateBps: 8_000_000 });
    s.fi.send(numbered(0, 1_500));
    s.fi.send(numbered(1, 20));
    s.clock.advance(20);
    s.fi.send(numbered(2, 20));
    expect(s.inner.sent.map((x) => num(x.frame))).toEqual([0, 2]);
  });

  it('drops frames over the maximum size', () => {
    const s = setup({ maxFrameBytes: 100 });
    s.fi.send(numbered(1, 100));
    s.fi.send(numbered(2, 101));
    expect(s.inner.sent.map((x) => num(x.frame))).toEqual([1]);
    expect(s.fi.stats('tx').droppedOversize).toBe(1);
  });

  it('applies rx faults to received frames only, copying any frame it keeps past the receive call', () => {
    const s = setup({}, { delayUs: 100, duplicateProbability: 1 });
    s.inner.inject(numbered(1));
    s.fi.send(numbered(2));
    expect(s.inner.sent.map((x) => num(x.frame))).toEqual([2]);
    expect(s.received).toEqual([]);
    s.clock.runUntilIdle();
    // The inner buffer was overwritten with 0xee after inject; the copies are intact.
    expect(s.received.map((r) => [r.at, num(r.frame), r.frame[19]])).toEqual([
      [100, 1, 0x5a],
      [100, 1, 0x5a],
    ]);
    expect(s.fi.stats('rx')).toMatchObject({ offered: 1, forwarded: 2, duplicated: 1, delayed: 2 });
    expect(s.fi.stats('tx')).toMatchObject({ offered: 1, forwarded: 1, duplicated: 0 });
  });

  it('copies a held inbound frame too', () => {
    const s = setup({}, { reorderProbability: 1 });
    s.inner.inject(numbered(1));
    s.fi.configure('rx', { reorderProbability: 0 });
    s.inner.inject(numbered(2));
    expect(s.received.map((r) => [num(r.frame), r.frame[19]])).toEqual([
      [2, 0x5a],
      [1, 0x5a],
    ]);
  });

  it('counts everything over a mixed run (exact counts for the seed)', () => {
    const s = setup(
      { dropProbability: 0.1, duplicateProbability: 0.05, reorderProbability: 0.05, corruptProbability: 0.02, delayUs: 50, jitterUs: 20 },
      {},
      2024,
    );
    pump(s, 20_000);
    const st = s.fi.stats('tx');
    expect({ ...st }).toEqual({
      offered: 20_000,
      forwarded: 18_915,
      dropped: 1_947,
      droppedRate: 0,
      droppedOversize: 0,
      droppedClosed: 0,
      duplicated: 862,
      reordered: 986,
      corrupted: 371,
      // Every copy but the held-back ones (those go out right after the next frame).
      delayed: 18_915 - 986,
    });
    expect(s.inner.sent.length).toBe(st.forwarded);
    expect(st.forwarded).toBe(st.offered - st.dropped + st.duplicated);
  });

  it('close() discards held and delayed frames without throwing, and closes the inner link', () => {
    const s = setup({ delayUs: 100 }, { reorderProbability: 1 });
    s.fi.send(numbered(1));
    s.fi.send(numbered(2));
    s.inner.inject(numbered(3));
    s.fi.close();
    s.fi.send(numbered(4));
    s.inner.inject(numbered(5));
    s.clock.runUntilIdle();
    expect(s.inner.sent).toEqual([]);
    expect(s.received).toEqual([]);
    expect(s.inner.closed).toBe(true);
    expect(s.fi.stats('tx').droppedClosed).toBe(2);
    expect(s.fi.stats('rx').droppedClosed).toBe(1);
    expect(s.clock.pending).toBe(0);
  });

  it('never throws on empty or huge frames', () => {
    const s = setup(
      { corruptProbability: 1, duplicateProbability: 1, reorderProbability: 0.5, jitterUs: 3 },
      { corruptProbability: 1, dropProbability: 0.5 },
    );
    for (const n of [0, 1, 65_535]) {
      s.fi.send(new Uint8Array(n));
      s.inner.inject(new Uint8Array(Math.min(n, 2000)));
    }
    s.clock.runUntilIdle();
    expect(s.fi.stats('tx').forwarded).toBe(6);
  });

  it('refuses a bad configuration', () => {
    const clock = new VirtualClock();
    const mk = (tx: Partial<FaultConfig>) => () =>
      new FaultInjector(new FakeLink(clock), { clock, random: new SeededRandom(1), tx });
    expect(mk({ dropProbability: 1.5 })).toThrow(RangeError);
    expect(mk({ corruptProbability: Number.NaN })).toThrow(RangeError);
    expect(mk({ delayUs: -1 })).toThrow(RangeError);
    expect(mk({ rateBps: Infinity })).toThrow(RangeError);
    const s = setup();
    expect(() => s.fi.configure('rx', { reorderProbability: -0.1 })).toThrow(RangeError);
  });
});
