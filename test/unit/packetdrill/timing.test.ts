import { describe, expect, it } from 'vitest';
import type { Script, ScriptError } from '../../../src/packetdrill/ast.js';
import { prepareScript } from '../../../src/packetdrill/index.js';
import { parseScript } from '../../../src/packetdrill/parser.js';
import {
  DEFAULT_TIMING_CONFIG, blockingReturnUs, eventWindow, idealEventTimes, outboundDeadlineUs, planTiming, resolveAnchor,
  timingConfigFromOptions, toleranceUs, withinTolerance, type TimingPlan,
} from '../../../src/packetdrill/timing.js';

function script(src: string): Script {
  const r = parseScript(src);
  if (!r.ok) throw new Error(`parse errors: ${JSON.stringify(r.errors)}`);
  return r.script;
}

function plan(src: string): TimingPlan {
  const r = planTiming(script(src));
  if (!r.ok) throw new Error(`timing errors: ${JSON.stringify(r.errors)}`);
  return r.plan;
}

function timingErrors(src: string): readonly ScriptError[] {
  const r = planTiming(script(src));
  if (r.ok) throw new Error('expected timing errors');
  return r.errors;
}

const SYN = '< S 0:0(0) win 1000';
const ACK = '< . 1:1(0) ack 1 win 1000';
const OUT = '> . 1:1(0) ack 1';

describe('timing pre-pass: validation', () => {
  it('requires the first event at time 0 (absolute 0, +0 or *)', () => {
    expect(timingErrors('0.1 close(3) = 0')).toEqual([{ line: 1, col: 1, message: 'first event should be at time 0' }]);
    expect(timingErrors('+.1 close(3) = 0')[0]!.message).toBe('first event should be at time 0');
    expect(plan('+0 close(3) = 0').events).toHaveLength(1);
    expect(plan(`* ${OUT}`).events).toHaveLength(1);
  });

  it('rejects an absolute time earlier than the absolute event just before it', () => {
    expect(timingErrors('0 a() = 0\n2 a() = 0\n1 a() = 0')).toEqual([
      { line: 3, col: 1, message: 'time goes backward in script from 2000000 usec to 1000000 usec' },
    ]);
    // Equal times are fine; a relative event in between is only anchored at run time (run.c).
    expect(plan('0 a() = 0\n2 a() = 0\n2 a() = 0\n+1 a() = 0\n1 a() = 0').events).toHaveLength(5);
  });

  it('allows ranges and * only on outbound packets', () => {
    expect(timingErrors(`0 a() = 0\n+1~+2 b() = 0\n* ${ACK}\n+0~+1 ${ACK}`)).toEqual([
      { line: 2, col: 1, message: 'event time range can only be used with outbound packets' },
      { line: 3, col: 1, message: 'event time * can only be used with outbound packets' },
      { line: 4, col: 1, message: 'event time range can only be used with outbound packets' },
    ]);
    expect(plan(`0 a() = 0\n+1~+2 ${OUT}\n* ${OUT}\n3~4 ${OUT}`).events).toHaveLength(4);
  });

  it('rejects a backwards range and a blocking call that returns before it starts', () => {
    expect(timingErrors(`0 a() = 0\n+2~+1 ${OUT}`)).toEqual([{ line: 2, col: 1, message: 'time range is backwards' }]);
    expect(timingErrors('0 a() = 0\n+.2...0.1 read(4, ..., 1) = 1')).toEqual([
      { line: 2, col: 1, message: 'blocking call end time precedes its start time' },
    ]);
  });

  it('reads the tolerance options and reports bad values', () => {
    expect(plan('--tolerance_usecs=10000\n--tolerance_percent=50\n0 a() = 0').config).toEqual({ toleranceUs: 10000, tolerancePercent: 50 });
    expect(plan('0 a() = 0').config).toEqual(DEFAULT_TIMING_CONFIG);
    expect(timingConfigFromOptions([{ name: 'tolerance_usecs', value: 'x', line: 3 }])).toEqual({
      config: DEFAULT_TIMING_CONFIG,
      errors: [{ line: 3, col: 1, message: 'bad --tolerance_usecs value: x' }],
    });
    expect(timingErrors('--tolerance_percent=101\n0 a() = 0')[0]!.message).toBe('bad --tolerance_percent value: 101');
  });
});

describe('timing pre-pass: anchors and offsets', () => {
  it('anchors absolute times at the script start, inbound-after-inbound at the previous event, others when reached', () => {
    const p = plan(`0 a() = 0\n+.1 ${SYN}\n+.2 ${ACK}\n+0 ${OUT}\n+.3 ${ACK}\n1.5 ${ACK}\n* ${OUT}`);
    expect(p.events.map((e) => [e.anchor, e.startOffsetUs, e.endOffsetUs, e.checked, e.waitsForTarget, e.previousIndex])).toEqual([
      ['script-start', 0, 0, true, true, null],
      ['reached', 100_000, 100_000, true, true, 0],
      ['previous-event', 200_000, 200_000, true, true, 1],
      ['reached', 0, 0, true, false, 2],
      ['reached', 300_000, 300_000, true, true, 3],
      ['script-start', 1_500_000, 1_500_000, true, true, 4],
      ['reached', 0, 0, false, false, 5],
    ]);
  });

  it('keeps the blocking end time on the same anchor as the start', () => {
    const p = plan('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+.1...0.200 connect(3, ..., ...) = 0\n1...2 read(3, ..., 1) = 1');
    const connect = p.events[1]!;
    expect([connect.anchor, connect.startOffsetUs, connect.blockingEndOffsetUs]).toEqual(['reached', 100_000, 200_000]);
    // Reached at 0.05 s: starts at 0.15 s and must return at 0.25 s.
    expect(eventWindow(connect, 50_000)).toEqual({ startUs: 150_000, endUs: 150_000 });
    expect(blockingReturnUs(connect, 50_000)).toBe(250_000);
    // An absolute start makes E absolute.
    expect(blockingReturnUs(p.events[2]!, resolveAnchor(p.events[2]!.anchor, { reachedUs: 7, previousEventUs: 7 }))).toBe(2_000_000);
    expect(blockingReturnUs(p.events[0]!, 0)).toBeNull();
  });

  it('resolves anchors from the runtime inputs', () => {
    const inputs = { reachedUs: 1_234, previousEventUs: 1_000 };
    expect(resolveAnchor('script-start', inputs)).toBe(0);
    expect(resolveAnchor('previous-event', inputs)).toBe(1_000);
    expect(resolveAnchor('reached', inputs)).toBe(1_234);
    expect(resolveAnchor('previous-event', { reachedUs: 5, previousEventUs: null })).toBe(5);
  });

  it('computes the ideal schedule of a blocking-read style script', () => {
    const p = plan(
      `0 a() = 0\n+.1 ${SYN}\n+0 ${OUT}\n+.1 ${ACK}\n+0 accept(3, ..., ...) = 4\n+0...0.100 read(4, ..., 10) = 10\n` +
        `+.1 < P. 1:11(10) ack 1 win 257\n+0 ${OUT}\n2 close(4) = 0\n+.3~+.4 > F. 1:1(0) ack 11`,
    );
    expect(idealEventTimes(p)).toEqual([0, 100_000, 100_000, 200_000, 200_000, 200_000, 300_000, 300_000, 2_000_000, 2_300_000]);
  });
});

describe('timing pre-pass: tolerance and deadlines', () => {
  const cfg = DEFAULT_TIMING_CONFIG;

  it('uses max(tolerance_usecs, tolerance_percent of the gap to the previous event)', () => {
    expect(toleranceUs(cfg, 0, null)).toBe(4000);
    expect(toleranceUs(cfg, 10_000, 0)).toBe(4000); // 12.5% of 10 ms = 1.25 ms
    expect(toleranceUs(cfg, 1_000_000, 0)).toBe(125_000);
    expect(toleranceUs(cfg, 1_000_007, 0)).toBe(125_000); // truncated to whole microseconds
    expect(toleranceUs({ toleranceUs: 100_000, tolerancePercent: 12.5 }, 200_000, 0)).toBe(100_000);
  });

  it('checks single times at ±tol, ranges widened by tol, and never checks *', () => {
    const p = plan(`0 a() = 0\n+.3~+.31 ${OUT}\n* ${OUT}`);
    const single = p.events[0]!;
    const w0 = eventWindow(single, 0);
    expect([withinTolerance(single, w0, 4000, 4000), withinTolerance(single, w0, 4001, 4000)]).toEqual([true, false]);
    const range = p.events[1]!;
    const w1 = eventWindow(range, 1_000_000);
    expect(w1).toEqual({ startUs: 1_300_000, endUs: 1_310_000 });
    expect([1_296_000, 1_295_999, 1_314_000, 1_314_001].map((t) => withinTolerance(range, w1, t, 4000))).toEqual([true, false, true, false]);
    const any = p.events[2]!;
    expect(withinTolerance(any, eventWindow(any, 0), 99_000_000, 0)).toBe(true);
  });

  it('gives up on an outbound packet 2 s after the time left until its window closes; * never gives up', () => {
    const p = plan(`0 a() = 0\n+.3~+.31 ${OUT}\n* ${OUT}`);
    const range = p.events[1]!;
    const w = eventWindow(range, 1_000_000);
    expect(outboundDeadlineUs(range, w, 1_000_000, 1_000_000)).toBe(1_000_000 + 310_000 + 2_000_000);
    const any = p.events[2]!;
    expect(outboundDeadlineUs(any, eventWindow(any, 5), 5, 5)).toBe(Infinity);
  });
});

describe('prepareScript', () => {
  it('returns the script with its plan, or the parse or timing errors', () => {
    const ok = prepareScript('--tolerance_usecs=7000\n0 close(3) = 0', { timing: { toleranceUs: 1, tolerancePercent: 0 } });
    expect(ok.ok && [ok.script.events.length, ok.plan.config]).toEqual([1, { toleranceUs: 7000, tolerancePercent: 0 }]);
    expect(prepareScript('0 close(3 = 0')).toMatchObject({ ok: false, errors: [{ line: 1, col: 11 }] });
    expect(prepareScript('1 close(3) = 0')).toEqual({ ok: false, errors: [{ line: 1, col: 1, message: 'first event should be at time 0' }] });
  });
});
