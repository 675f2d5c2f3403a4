import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { toHex } from '../../../src/core/bytes.js';
import { SeededRandom } from '../../../src/core/random.js';
import { createMemoryPair, type MemoryLink } from '../../../src/link/memory-link.js';

/** A frame of `n` bytes whose first byte is `tag` (to tell frames apart). */
function frame(n: number, tag = 0): Uint8Array {
  const f = new Uint8Array(n);
  if (n > 0) f[0] = tag;
  return f;
}

/** Records (time, first byte, length) of every frame `link` receives. */
function collect(clock: VirtualClock, link: MemoryLink): { at: number; tag: number; len: number }[] {
  const got: { at: number; tag: number; len: number }[] = [];
  link.setReceiver((f) => got.push({ at: clock.now(), tag: f[0] ?? -1, len: f.length }));
  return got;
}

describe('memory link pair', () => {
  it('names, link type, mtu and MACs', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock);
    expect([a.name, b.name, a.linkType, a.mtu, a.mac]).toEqual(['mem-a', 'mem-b', 'ip', 1500, undefined]);
    const [c, d] = createMemoryPair(clock, { linkType: 'ethernet', namePrefix: 'eth', mtu: 9000 });
    expect([c.name, d.name, c.linkType, d.mtu]).toEqual(['eth-a', 'eth-b', 'ethernet', 9000]);
    expect(toHex(c.mac!)).toBe('020000000001');
    expect(toHex(d.mac!)).toBe('020000000002');
    const [e, f] = createMemoryPair(clock, { linkType: 'ethernet', random: new SeededRandom(7) });
    // Locally administered (bit 1 set), unicast (bit 0 clear), and distinct.
    expect(e.mac![0]! & 0x03).toBe(0x02);
    expect(f.mac![0]! & 0x03).toBe(0x02);
    expect(toHex(e.mac!)).not.toBe(toHex(f.mac!));
    const given = Uint8Array.of(0x02, 1, 2, 3, 4, 5);
    const [g] = createMemoryPair(clock, { linkType: 'ethernet', macs: [given, Uint8Array.of(2, 0, 0, 0, 0, 9)] });
    expect(toHex(g.mac!)).toBe('020102030405');
  });

  it('delivers asynchronously, in order, the same frames, both ways', () => {
    const clock = new VirtualClock(1000);
    const [a, b] = createMemoryPair(clock);
    const atB = collect(clock, b);
    const atA = collect(clock, a);
    const f1 = frame(60, 1);
    const seen: Uint8Array[] = [];
    b.setReceiver((f) => {
      seen.push(f);
      atB.push({ at: clock.now(), tag: f[0]!, len: f.length });
    });
    a.send(f1);
    a.send(frame(70, 2));
    a.send(frame(80, 3));
    b.send(frame(90, 9));
    expect(atB).toEqual([]);
    expect(atA).toEqual([]);
    // Zero latency: one wakeup per direction for the whole batch.
    expect(clock.pending).toBe(2);
    clock.runDue();
    expect(atB).toEqual([
      { at: 1000, tag: 1, len: 60 },
      { at: 1000, tag: 2, len: 70 },
      { at: 1000, tag: 3, len: 80 },
    ]);
    expect(atA).toEqual([{ at: 1000, tag: 9, len: 90 }]);
    expect(seen[0]).toBe(f1); // ownership passes: no copy
    expect(clock.now()).toBe(1000);
    expect(a.txStats).toMatchObject({ framesSent: 3, bytesSent: 210, framesDelivered: 3, bytesDelivered: 210 });
    expect(b.rxStats).toBe(a.txStats);
    expect(b.txStats).toMatchObject({ framesSent: 1, bytesSent: 90, framesDelivered: 1, dropped: 0 });
  });

  it('never re-enters a receiver: replies sent from a handler arrive on a later wakeup', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock);
    let depth = 0;
    let maxDepth = 0;
    const log: string[] = [];
    b.setReceiver((f) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      log.push(`b got ${f[0]}`);
      b.send(frame(10, f[0]! + 100));
      log.push(`b sent ${f[0]! + 100}`);
      depth--;
    });
    a.setReceiver((f) => {
      log.push(`a got ${f[0]}`);
      if (f[0]! < 103) a.send(frame(10, f[0]! - 100 + 1));
    });
    a.send(frame(10, 1));
    expect(clock.runUntilIdle()).toBe(true);
    expect(maxDepth).toBe(1);
    expect(log).toEqual([
      'b got 1',
      'b sent 101',
      'a got 101',
      'b got 2',
      'b sent 102',
      'a got 102',
      'b got 3',
      'b sent 103',
      'a got 103',
    ]);
  });

  it('adds the one-way latency exactly', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock, { latencyUs: 500 });
    const got = collect(clock, b);
    a.send(frame(100, 1));
    clock.advance(100);
    a.send(frame(100, 2));
    clock.advanceTo(499);
    expect(got).toEqual([]);
    clock.advanceTo(500);
    expect(got).toEqual([{ at: 500, tag: 1, len: 100 }]);
    clock.advanceTo(599);
    expect(got.length).toBe(1);
    clock.advanceTo(600);
    expect(got).toEqual([
      { at: 500, tag: 1, len: 100 },
      { at: 600, tag: 2, len: 100 },
    ]);
  });

  it('serialises frames one after another at the bandwidth, then adds latency', () => {
    const clock = new VirtualClock();
    // 1 Mbit/s = 1 bit per µs: a 1000-byte frame takes 8000 µs on the wire.
    const [a, b] = createMemoryPair(clock, { bandwidthBps: 1_000_000, latencyUs: 100 });
    const got = collect(clock, b);
    a.send(frame(1000, 1));
    a.send(frame(1000, 2));
    a.send(frame(500, 3));
    clock.advanceTo(30_000);
    // Idle wire again: starts at now.
    a.send(frame(125, 4));
    clock.runUntilIdle();
    expect(got.map((g) => [g.at, g.tag])).toEqual([
      [8_100, 1],
      [16_100, 2],
      [20_100, 3],
      [31_100, 4],
    ]);
  });

  it('keeps fractional serialisation times exact over a run (rounds each delivery up to a whole µs)', () => {
    const clock = new VirtualClock();
    // 100 bytes at 3 Mbit/s = 266.67 µs each.
    const [a, b] = createMemoryPair(clock, { bandwidthBps: 3_000_000 });
    const got = collect(clock, b);
    for (let i = 0; i < 4; i++) a.send(frame(100, i));
    clock.runUntilIdle();
    expect(got.map((g) => g.at)).toEqual([267, 534, 800, 1067]);
  });

  it('drops frames over the mtu (and over mtu + 14 on Ethernet), counted', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock);
    const got = collect(clock, b);
    a.send(frame(1500, 1));
    a.send(frame(1501, 2));
    clock.runUntilIdle();
    expect(got.map((g) => g.tag)).toEqual([1]);
    expect(a.txStats).toMatchObject({ framesSent: 1, droppedOversize: 1, dropped: 1 });

    const [c, d] = createMemoryPair(clock, { linkType: 'ethernet' });
    const gotD = collect(clock, d);
    c.send(frame(1514, 1));
    c.send(frame(1515, 2));
    clock.runUntilIdle();
    expect(gotD.map((g) => g.len)).toEqual([1514]);
    expect(c.txStats.droppedOversize).toBe(1);
  });

  it('drop-tails when the transmit queue would exceed its limit (with a bandwidth)', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock, { bandwidthBps: 1_000_000, queueLimitBytes: 3000 });
    const got = collect(clock, b);
    // Backlog before each: 0, 1000, 2000, 3000 bytes still to serialise.
    for (let i = 1; i <= 4; i++) a.send(frame(1000, i));
    expect(a.txStats).toMatchObject({ framesSent: 3, droppedQueueFull: 1 });
    // After 4000 µs, 500 bytes have gone out: 2500 queued, room for 500 more.
    clock.advanceTo(4000);
    a.send(frame(501, 5));
    a.send(frame(500, 6));
    expect(a.txStats).toMatchObject({ framesSent: 4, droppedQueueFull: 2 });
    clock.runUntilIdle();
    expect(got.map((g) => [g.at, g.tag])).toEqual([
      [8000, 1],
      [16000, 2],
      [24000, 3],
      [28000, 6],
    ]);
  });

  it('limits undelivered bytes when there is no bandwidth', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock, { latencyUs: 1000, queueLimitBytes: 3000 });
    const got = collect(clock, b);
    for (let i = 1; i <= 4; i++) a.send(frame(1000, i));
    expect(a.txQueuedBytes).toBe(3000);
    expect(a.txQueuedFrames).toBe(3);
    expect(a.txStats.droppedQueueFull).toBe(1);
    clock.advance(1000);
    expect(got.map((g) => g.tag)).toEqual([1, 2, 3]);
    expect(a.txQueuedBytes).toBe(0);
    a.send(frame(1500, 5));
    a.send(frame(1500, 6));
    a.send(frame(1, 7));
    clock.advance(1000);
    expect(got.map((g) => g.tag)).toEqual([1, 2, 3, 5, 6]);
    expect(a.txStats.droppedQueueFull).toBe(2);
  });

  it('keeps order through ring growth and wrap-around', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock, { bandwidthBps: 8_000_000 }); // 1 byte per µs
    const got = collect(clock, b);
    let tag = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 150; i++) a.send(frame(10, tag++ & 0xff));
      clock.advance(700); // deliver about half
    }
    clock.runUntilIdle();
    expect(got.length).toBe(750);
    expect(got.map((g) => g.tag)).toEqual(Array.from({ length: 750 }, (_, i) => i & 0xff));
    // Frame k finishes serialising at 10·(k+1) µs.
    expect(got[749]!.at).toBe(7500);
  });

  it('counts frames arriving with no receiver as dropped', () => {
    const clock = new VirtualClock();
    const [a] = createMemoryPair(clock);
    a.send(frame(10));
    clock.runUntilIdle();
    expect(a.txStats).toMatchObject({ framesSent: 1, framesDelivered: 0, droppedNoReceiver: 1 });
  });

  it('close() on either end stops delivery both ways', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock, { latencyUs: 10 });
    const atB = collect(clock, b);
    const atA = collect(clock, a);
    a.send(frame(10, 1));
    b.send(frame(10, 2));
    b.close();
    a.send(frame(10, 3));
    b.send(frame(10, 4));
    clock.runUntilIdle();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(a.txStats).toMatchObject({ framesSent: 1, droppedClosed: 2, framesDelivered: 0 });
    expect(b.txStats).toMatchObject({ framesSent: 1, droppedClosed: 2 });
  });

  it('keeps delivering after a receiver throws', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock);
    const tags: number[] = [];
    b.setReceiver((f) => {
      tags.push(f[0]!);
      if (f[0] === 1) throw new Error('boom');
    });
    a.send(frame(10, 1));
    a.send(frame(10, 2));
    expect(() => clock.runDue()).toThrow('boom');
    clock.runUntilIdle();
    expect(tags).toEqual([1, 2]);
  });

  it('refuses a bad configuration', () => {
    const clock = new VirtualClock();
    expect(() => createMemoryPair(clock, { mtu: 0 })).toThrow(RangeError);
    expect(() => createMemoryPair(clock, { latencyUs: -1 })).toThrow(RangeError);
    expect(() => createMemoryPair(clock, { bandwidthBps: Number.NaN })).toThrow(RangeError);
  });
});
