import type { EventTime, Script, ScriptError, ScriptEvent, ScriptOption } from './ast.js';

/**
 * The timing pre-pass of README §1.3 (packetdrill parser.y `event`, run.c
 * `get_next_event`, `adjust_relative_event_times`, `verify_time`).
 *
 * {@link planTiming} validates a parsed script statically and gives every
 * event its anchor rule and offsets. The clock work stays with the runner,
 * which calls the small functions below in this order for each event:
 *
 * 1. `anchor = resolveAnchor(plan.anchor, { reachedUs, previousEventUs })`
 *    where `reachedUs` is the virtual time at which the interpreter got to this
 *    event (the previous event finished; a blocking call "finishes" when it
 *    starts blocking) and `previousEventUs` is the previous event's script
 *    time as computed by step 2.
 * 2. `window = eventWindow(plan, anchor)`: this event's script time (its
 *    `startUs`, which is what the next event sees as `previousEventUs`).
 * 3. Inbound packets, syscalls, commands and code blocks (`waitsForTarget`):
 *    advance the clock to `window.startUs`, then act. An outbound expectation
 *    sniffs from now until `outboundDeadlineUs(...)`.
 * 4. Check the moment it happened with `withinTolerance(plan, window, actualUs,
 *    toleranceUs(config, window.startUs, previousEventUs))`.
 * 5. A blocking call (`blockingEndOffsetUs !== null`) must return at
 *    `blockingReturnUs(plan, anchor)`, checked the same way.
 *
 * All times are integer microseconds since the script start (time 0).
 */

/** Tolerance settings: `--tolerance_usecs` and `--tolerance_percent`. */
export interface TimingConfig {
  readonly toleranceUs: number;
  readonly tolerancePercent: number;
}

/** packetdrill's defaults (config.c): 4 ms, 12.5 %. */
export const DEFAULT_TIMING_CONFIG: TimingConfig = Object.freeze({ toleranceUs: 4000, tolerancePercent: 12.5 });

/** How long an outbound expectation keeps sniffing past its window (README §1.3). */
export const OUTBOUND_GRACE_US = 2_000_000;

/**
 * What an event's offsets count from.
 * - `script-start`: absolute times (`T`, `T1~T2`): the anchor is 0.
 * - `previous-event`: a relative time on an inbound packet right after another
 *   inbound packet: the previous event's script time, so that back-to-back
 *   injections do not accumulate processing delays.
 * - `reached`: any other relative time and `*`: the time at which the
 *   interpreter reached the event.
 */
export type AnchorRule = 'script-start' | 'previous-event' | 'reached';

/** The static timing facts of one event. */
export interface EventTimingPlan {
  readonly index: number;
  readonly line: number;
  readonly time: EventTime['kind'];
  readonly anchor: AnchorRule;
  /** Offset of the event (or of its range start) from the anchor. */
  readonly startOffsetUs: number;
  /** Offset of the range end from the anchor; equal to `startOffsetUs` for a single time. */
  readonly endOffsetUs: number;
  /** False for `*`: never checked, and an outbound `*` never gives up. */
  readonly checked: boolean;
  /**
   * True for inbound packets, syscalls, commands and code blocks: the runner
   * advances the clock to the event's time, then acts (and is late if it
   * cannot). False for outbound packets, which are sniffed from now on.
   */
  readonly waitsForTarget: boolean;
  /**
   * For a syscall written `...E`: the return time `E`, as an offset from the
   * same anchor as the start (`+.1...0.2`: start at anchor+0.1, return at
   * anchor+0.2; an absolute start makes `E` absolute). Null otherwise.
   */
  readonly blockingEndOffsetUs: number | null;
  /** Index of the previous event (whose script time feeds the tolerance), or null for the first. */
  readonly previousIndex: number | null;
}

/** The pre-pass result for a whole script. */
export interface TimingPlan {
  readonly config: TimingConfig;
  readonly events: readonly EventTimingPlan[];
}

/** Either a plan or every timing error found, with line numbers. */
export type TimingOutcome =
  | { readonly ok: true; readonly plan: TimingPlan }
  | { readonly ok: false; readonly errors: readonly ScriptError[] };

/**
 * Reads `--tolerance_usecs=N` and `--tolerance_percent=P` from the script's
 * options (later ones win), on top of `base`.
 */
export function timingConfigFromOptions(
  options: readonly ScriptOption[],
  base: TimingConfig = DEFAULT_TIMING_CONFIG,
): { config: TimingConfig; errors: ScriptError[] } {
  let { toleranceUs, tolerancePercent } = base;
  const errors: ScriptError[] = [];
  for (const o of options) {
    if (o.name === 'tolerance_usecs') {
      const v = o.value !== null && /^[0-9]+$/.test(o.value) ? Number(o.value) : NaN;
      if (Number.isSafeInteger(v)) toleranceUs = v;
      else errors.push({ line: o.line, col: 1, message: `bad --tolerance_usecs value: ${o.value ?? '(none)'}` });
    } else if (o.name === 'tolerance_percent') {
      const v = o.value !== null && /^[0-9]+(\.[0-9]+)?$/.test(o.value) ? Number(o.value) : NaN;
      if (Number.isFinite(v) && v <= 100) tolerancePercent = v;
      else errors.push({ line: o.line, col: 1, message: `bad --tolerance_percent value: ${o.value ?? '(none)'}` });
    }
  }
  return { config: { toleranceUs, tolerancePercent }, errors };
}

function isOutbound(e: ScriptEvent): boolean {
  return e.action.type === 'packet' && e.action.direction === '>';
}

function isInbound(e: ScriptEvent): boolean {
  return e.action.type === 'packet' && e.action.direction === '<';
}

function startOf(t: EventTime): number {
  switch (t.kind) {
    case 'absolute':
    case 'relative':
      return t.us;
    case 'range':
      return t.startUs;
    case 'any':
      return 0;
  }
}

function isAbsolute(t: EventTime): boolean {
  return t.kind === 'absolute' || (t.kind === 'range' && !t.relative);
}

/**
 * Validates the script's timing and computes each event's plan. Errors:
 * - the first event is not at time 0 (run.c);
 * - an absolute time earlier than the absolute time of the event just before
 *   it (run.c compares consecutive absolute events only: a relative event in
 *   between is anchored at run time);
 * - a range or `*` on anything but an outbound packet (parser.y);
 * - a range whose end precedes its start (parser.y);
 * - a blocking call whose return time `E` precedes its start.
 */
export function planTiming(script: Script, config?: TimingConfig): TimingOutcome {
  const fromOptions = timingConfigFromOptions(script.options, config ?? DEFAULT_TIMING_CONFIG);
  const errors: ScriptError[] = [...fromOptions.errors];
  const plans: EventTimingPlan[] = [];
  const events = script.events;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const t = e.time;
    const prev = i > 0 ? events[i - 1]! : null;
    const err = (message: string): void => {
      errors.push({ line: e.line, col: e.col, message });
    };

    if (i === 0 && startOf(t) !== 0) err('first event should be at time 0');
    if (prev !== null && isAbsolute(prev.time) && isAbsolute(t) && startOf(t) < startOf(prev.time)) {
      err(`time goes backward in script from ${startOf(prev.time)} usec to ${startOf(t)} usec`);
    }
    if (t.kind === 'any' && !isOutbound(e)) err('event time * can only be used with outbound packets');
    if (t.kind === 'range') {
      if (!isOutbound(e)) err('event time range can only be used with outbound packets');
      if (t.endUs < t.startUs) err('time range is backwards');
    }

    let blockingEndOffsetUs: number | null = null;
    if (e.action.type === 'syscall' && e.action.endUs !== null) {
      blockingEndOffsetUs = e.action.endUs;
      if (blockingEndOffsetUs < startOf(t)) err('blocking call end time precedes its start time');
    }

    let anchor: AnchorRule;
    if (isAbsolute(t)) anchor = 'script-start';
    else if (prev !== null && isInbound(prev) && isInbound(e)) anchor = 'previous-event';
    else anchor = 'reached';

    const startOffsetUs = startOf(t);
    plans.push({
      index: i,
      line: e.line,
      time: t.kind,
      anchor,
      startOffsetUs,
      endOffsetUs: t.kind === 'range' ? t.endUs : startOffsetUs,
      checked: t.kind !== 'any',
      waitsForTarget: !isOutbound(e),
      blockingEndOffsetUs,
      previousIndex: prev === null ? null : i - 1,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, plan: { config: fromOptions.config, events: plans } };
}

/** The runtime inputs an anchor may depend on. */
export interface AnchorInputs {
  /** Time at which the interpreter reached the event. */
  readonly reachedUs: number;
  /** Script time of the previous event (`eventWindow(...).startUs`), null for the first event. */
  readonly previousEventUs: number | null;
}

/** The anchor time for an event (see {@link AnchorRule}). */
export function resolveAnchor(rule: AnchorRule, inputs: AnchorInputs): number {
  switch (rule) {
    case 'script-start':
      return 0;
    case 'previous-event':
      return inputs.previousEventUs ?? inputs.reachedUs;
    case 'reached':
      return inputs.reachedUs;
  }
}

/** An event's script time window: a single time has `startUs === endUs`. */
export interface TimeWindow {
  readonly startUs: number;
  readonly endUs: number;
}

/** The event's script time (window) once its anchor is known. */
export function eventWindow(plan: EventTimingPlan, anchorUs: number): TimeWindow {
  return { startUs: anchorUs + plan.startOffsetUs, endUs: anchorUs + plan.endOffsetUs };
}

/** When a blocking call must return (null if the call is not a blocking one). */
export function blockingReturnUs(plan: EventTimingPlan, anchorUs: number): number | null {
  return plan.blockingEndOffsetUs === null ? null : anchorUs + plan.blockingEndOffsetUs;
}

/**
 * The tolerance for an event at script time `eventUs` whose predecessor was at
 * `previousEventUs`: max(toleranceUs, tolerancePercent % of the gap), the
 * percentage truncated to whole microseconds (run.c `verify_time`).
 */
export function toleranceUs(config: TimingConfig, eventUs: number, previousEventUs: number | null): number {
  if (previousEventUs === null) return config.toleranceUs;
  const dynamic = Math.trunc((config.tolerancePercent / 100) * (eventUs - previousEventUs));
  return Math.max(config.toleranceUs, dynamic);
}

/**
 * Whether something that happened at `actualUs` satisfies the event's time:
 * `*` always; a range if within [start - tol, end + tol]; a single time if
 * within start ± tol.
 */
export function withinTolerance(plan: EventTimingPlan, window: TimeWindow, actualUs: number, tolUs: number): boolean {
  if (!plan.checked) return true;
  return actualUs >= window.startUs - tolUs && actualUs <= window.endUs + tolUs;
}

/**
 * Until when an outbound expectation keeps sniffing, having started at
 * `sniffStartUs`: the time left until its window closes, counted from the
 * previous event, plus {@link OUTBOUND_GRACE_US}; Infinity for `*`.
 */
export function outboundDeadlineUs(
  plan: EventTimingPlan,
  window: TimeWindow,
  sniffStartUs: number,
  previousEventUs: number | null,
): number {
  if (!plan.checked) return Infinity;
  const gap = Math.max(0, window.endUs - (previousEventUs ?? 0));
  return sniffStartUs + gap + OUTBOUND_GRACE_US;
}

/**
 * The script time of every event on an ideal run, in which each event
 * happens exactly at its time and a blocking call starts blocking at its start
 * time (so `reached` equals the previous event's time). For `*` the ideal time
 * is its anchor. Useful for dry runs and to show a schedule.
 */
export function idealEventTimes(plan: TimingPlan): number[] {
  const out: number[] = [];
  let previous: number | null = null;
  for (const p of plan.events) {
    const anchor = resolveAnchor(p.anchor, { reachedUs: previous ?? 0, previousEventUs: previous });
    const t = eventWindow(p, anchor).startUs;
    out.push(t);
    previous = t;
  }
  return out;
}
