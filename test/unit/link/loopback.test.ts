import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { LoopbackLink } from '../../../src/link/loopback.js';

describe('loopback link', () => {
  it('is an ip link named lo with mtu 65536 by default', () => {
    const lo = new LoopbackLink(new VirtualClock());
    expect([lo.name, lo.linkType, lo.mtu]).toEqual(['lo', 'ip', 65536]);
    const lo2 = new LoopbackLink(new VirtualClock(), { name: 'lo1', mtu: 1500 });
    expect([lo2.name, lo2.mtu]).toEqual(['lo1', 1500]);
  });

  it('gives back what was sent, in order, on a later clock turn', () => {
    const clock = new VirtualClock(50);
    const lo = new LoopbackLink(clock);
    const got: [number, Uint8Array][] = [];
    lo.setReceiver((f) => got.push([clock.now(), f]));
    const f1 = Uint8Array.of(0x45, 1);
    const f2 = Uint8Array.of(0x45, 2);
    lo.send(f1);
    lo.send(f2);
    expect(got).toEqual([]);
    expect(clock.pending).toBe(1);
    clock.runDue();
    expect(got).toEqual([
      [50, f1],
      [50, f2],
    ]);
    expect(got[0]![1]).toBe(f1);
    expect(lo.stats).toMatchObject({ framesSent: 2, bytesSent: 4, framesDelivered: 2, bytesDelivered: 4 });
  });

  it('a frame sent from the receive handler comes back on the next wakeup, not inside the handler', () => {
    const clock = new VirtualClock();
    const lo = new LoopbackLink(clock);
    const log: string[] = [];
    let inside = false;
    lo.setReceiver((f) => {
      expect(inside).toBe(false);
      inside = true;
      log.push(`got ${f[0]}`);
      if (f[0]! < 3) lo.send(Uint8Array.of(f[0]! + 1));
      log.push(`done ${f[0]}`);
      inside = false;
    });
    lo.send(Uint8Array.of(1));
    // One clock event at a time: each wakeup delivers only what was queued before it.
    clock.runUntilIdle({ maxEvents: 1 });
    expect(log).toEqual(['got 1', 'done 1']);
    expect(clock.pending).toBe(1);
    clock.runUntilIdle({ maxEvents: 1 });
    expect(log).toEqual(['got 1', 'done 1', 'got 2', 'done 2']);
    expect(clock.runUntilIdle()).toBe(true);
    expect(log.slice(4)).toEqual(['got 3', 'done 3']);
  });

  it('drops frames over the mtu and, after close, everything', () => {
    const clock = new VirtualClock();
    const lo = new LoopbackLink(clock, { mtu: 100 });
    const got: number[] = [];
    lo.setReceiver((f) => got.push(f.length));
    lo.send(new Uint8Array(100));
    lo.send(new Uint8Array(101));
    clock.runUntilIdle();
    expect(got).toEqual([100]);
    lo.send(new Uint8Array(10));
    lo.close();
    lo.send(new Uint8Array(10));
    clock.runUntilIdle();
    expect(got).toEqual([100]);
    expect(lo.stats).toMatchObject({ framesSent: 2, framesDelivered: 1, droppedOversize: 1, droppedClosed: 2 });
  });
});
