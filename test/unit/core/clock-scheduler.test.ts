import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { Timer, TimerScheduler } from '../../../src/core/scheduler.js';

describe('VirtualClock', () => {
  it('runs events in time order, ties in scheduling order, and moves time to each event', () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.schedule(3000, () => seen.push(`c@${clock.now()}`));
    clock.schedule(2000, () => seen.push(`a@${clock.now()}`));
    clock.schedule(2000, () => seen.push(`b@${clock.now()}`));
    clock.advance(1500);
    expect(seen).toEqual(['a@2000', 'b@2000']);
    expect(clock.now()).toBe(2500);
    clock.advanceTo(10_000);
    expect(seen).toEqual(['a@2000', 'b@2000', 'c@3000']);
    expect(clock.now()).toBe(10_000);
  });

  it('never runs a callback synchronously from schedule(), even for a past time', () => {
    const clock = new VirtualClock(500);
    let ran = false;
    clock.schedule(0, () => (ran = true));
    expect(ran).toBe(false);
    clock.runDue();
    expect(ran).toBe(true);
    expect(clock.now()).toBe(500);
  });

  it('cancels events and stops runUntil at its limits', () => {
    const clock = new VirtualClock();
    let n = 0;
    const t = clock.schedule(10, () => n++);
    clock.cancel(t);
    expect(clock.runUntilIdle()).toBe(true);
    expect(n).toBe(0);
    // A self-rearming event never idles: the event budget stops it.
    const tick = (): void => {
      n++;
      clock.schedule(clock.now() + 1, tick);
    };
    clock.schedule(1, tick);
    expect(clock.runUntilIdle({ maxEvents: 100 })).toBe(false);
    expect(n).toBe(100);
    expect(clock.runUntil(() => n >= 150, { maxUs: 1_000_000 })).toBe(true);
    expect(n).toBe(150);
    expect(clock.runUntil(() => false, { maxUs: 10 })).toBe(false);
  });
});

describe('TimerScheduler', () => {
  it('fires timers at their deadlines and registers only one clock wakeup', () => {
    const clock = new VirtualClock();
    const s = new TimerScheduler(clock);
    const fired: string[] = [];
    const a = new Timer(() => fired.push(`a@${clock.now()}`), 'a');
    const b = new Timer(() => fired.push(`b@${clock.now()}`), 'b');
    s.arm(a, 300);
    s.arm(b, 100);
    expect(clock.pending).toBe(1);
    s.arm(a, 50); // re-arm earlier
    expect(clock.pending).toBeLessThanOrEqual(2);
    clock.runUntilIdle();
    expect(fired).toEqual(['a@50', 'b@100']);
    expect(s.size).toBe(0);
    expect(a.armed).toBe(false);
  });

  it('disarmed timers do not fire; close() releases everything', () => {
    const clock = new VirtualClock();
    const s = new TimerScheduler(clock);
    let n = 0;
    const t = new Timer(() => n++);
    s.armIn(t, 10);
    s.disarm(t);
    clock.runUntilIdle();
    expect(n).toBe(0);
    s.armIn(t, 10);
    s.close();
    expect(clock.pending).toBe(0);
    clock.runUntilIdle();
    expect(n).toBe(0);
    s.armIn(t, 10);
    expect(t.armed).toBe(false);
  });

  it('handles thousands of timers re-armed in random order', () => {
    const clock = new VirtualClock();
    const s = new TimerScheduler(clock);
    const order: number[] = [];
    const timers = Array.from({ length: 2000 }, (_, i) => new Timer(() => order.push(i)));
    // Deterministic pseudo-shuffle of deadlines; each timer re-armed twice.
    timers.forEach((t, i) => s.arm(t, ((i * 7919) % 2000) * 10 + 5));
    timers.forEach((t, i) => s.arm(t, ((i * 104729) % 2000) * 10));
    clock.runUntilIdle();
    expect(order.length).toBe(2000);
    const deadlines = order.map((i) => ((i * 104729) % 2000) * 10);
    expect(deadlines).toEqual([...deadlines].sort((x, y) => x - y));
  });
});
