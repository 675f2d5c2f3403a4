import { parseIPv4, parseIPv6 } from '../core/address.js';
import { VirtualClock } from '../core/clock.js';
import type { IpAddress } from '../ip/types.js';
import { createMemoryPair, type MemoryLink } from '../link/memory-link.js';
import { createBsdSockets } from '../socket/bsd/index.js';
import type { BsdSys } from '../socket/bsd/sys.js';
import { Stack } from '../stack.js';
import type { ScriptError, ScriptEvent } from './ast.js';
import { endpointsFor, profileToleranceUs, runTcpConfig, type ProfileName, type RunEndpoints } from './config.js';
import { ScriptFailure, ScriptSkip } from './errors.js';
import { expectPacket, injectPacket, type PacketIo } from './packet-events.js';
import { parseScript } from './parser.js';
import { prescan, profileOf, type ScriptSettings } from './prescan.js';
import { secs } from './render.js';
import { interpretShell } from './shell.js';
import { SocketTable } from './socket-table.js';
import type { LiveEnd, TrackedSocket } from './sockets.js';
import { SyscallEvents, type SyscallEventHost } from './syscall-events.js';
import {
  DEFAULT_TIMING_CONFIG, eventWindow, outboundDeadlineUs, planTiming, resolveAnchor, toleranceUs, withinTolerance,
  type EventTimingPlan, type TimeWindow, type TimingConfig,
} from './timing.js';

/**
 * The packetdrill interpreter for tsip (conformance README §1.3-1.9).
 *
 * One run = one fresh stack on a virtual clock, joined to the runner by an
 * in-memory link: the runner injects the script's inbound packets into its
 * end of the link and sniffs what the stack sends, and it makes the
 * script's system calls on the stack's BSD facade. Time is the stack's
 * VirtualClock, so a script spanning minutes runs in milliseconds; a
 * wall-clock limit guards against scripts that would wait forever.
 *
 * Semantics follow packetdrill's run.c / run_packet.c / run_system_call.c:
 * - each event's time comes from timing.ts (relative times count from when
 *   the previous event finished, or from the previous inbound packet's
 *   script time for back-to-back inbound packets);
 * - inbound packets, syscalls, commands and `%{ }%` blocks wait until their
 *   time and fail if they are late; outbound expectations take the next
 *   packet of the socket under test, advancing the clock until one appears
 *   or the deadline passes;
 * - a `...E` syscall that blocks is retried when its socket becomes ready
 *   (the BsdSys WOULD_BLOCK contract) while later events go on; its result
 *   and return time are checked when packetdrill would check them: at the
 *   next point where the interpreter is idle (packetdrill's syscall thread
 *   needs the global lock, which an outbound sniff holds);
 * - `%{ }%` blocks are skipped and counted; back-quoted commands are never
 *   run (shell.ts interprets the known ones).
 */

/** How to run a script. */
export interface RunOptions {
  /** The IP version of the run (a script's --ip_version overrides it only if equal; otherwise it is skipped). */
  readonly ipVersion: 4 | 6;
  /** The sysctl profile when the script does not run defaults.sh (default 'kernel'). */
  readonly baseProfile?: Exclude<ProfileName, 'defaults'>;
  /** Wall-clock limit for the whole script, ms (default 20 000). */
  readonly wallLimitMs?: number;
  /** Stack randomness seed (default 1). */
  readonly seed?: number;
  /** Receives a line per event and per packet (verbose mode). */
  readonly trace?: (line: string) => void;
}

/** The outcome of one script run. */
export type ScriptResult =
  | { readonly status: 'pass'; readonly codeBlocksSkipped: number }
  | {
      readonly status: 'fail';
      readonly line: number;
      readonly message: string;
      /** The expected and actual packets as `tsip dump` prints them, for packet mismatches. */
      readonly expected?: string;
      readonly actual?: string;
      readonly codeBlocksSkipped: number;
    }
  | { readonly status: 'skip'; readonly reason: string; readonly codeBlocksSkipped: number };

/** Virtual time a `*` outbound expectation may wait (the wall limit also applies). */
const ANY_TIME_LIMIT_US = 3600_000_000;
/** Virtual time at which a run's clock starts (non-zero, so "time 0" never looks like "unset" to the stack). */
const CLOCK_START_US = 1_000_000_000;

/**
 * Runs one script. Never throws on script problems: they become a `fail`
 * (with the line) or a `skip` (with the reason).
 */
export function runScript(source: string, options: RunOptions): ScriptResult {
  const base = options.baseProfile ?? 'kernel';
  const parsed = parseScript(source);
  if (!parsed.ok) return scriptError(parsed.errors);
  const timing = planTiming(parsed.script, { ...DEFAULT_TIMING_CONFIG, toleranceUs: profileToleranceUs(base) });
  if (!timing.ok) return scriptError(timing.errors);
  const scan = prescan(parsed.script);
  if (!scan.ok) return { status: 'skip', reason: scan.reason, codeBlocksSkipped: 0 };
  if (scan.settings.ipVersion !== null && scan.settings.ipVersion !== options.ipVersion) {
    return { status: 'skip', reason: `the script runs over IPv${scan.settings.ipVersion} only`, codeBlocksSkipped: 0 };
  }
  const profile = profileOf(scan.usesDefaults, base);
  const run = new ScriptRun(parsed.script.events, timing.plan.events, timing.plan.config, scan.settings, profile, scan.sysctls, options);
  try {
    run.execute();
    return { status: 'pass', codeBlocksSkipped: run.codeBlocks };
  } catch (e) {
    if (e instanceof ScriptFailure) {
      return {
        status: 'fail', line: e.line, message: e.message, codeBlocksSkipped: run.codeBlocks,
        ...(e.expected !== undefined ? { expected: e.expected } : {}),
        ...(e.actual !== undefined ? { actual: e.actual } : {}),
      };
    }
    if (e instanceof ScriptSkip) return { status: 'skip', reason: e.message, codeBlocksSkipped: run.codeBlocks };
    // A bug in the stack (or here) must not take a whole suite down: it fails this script at the event in hand.
    const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { status: 'fail', line: run.line, message: `internal error: ${text}`, codeBlocksSkipped: run.codeBlocks };
  } finally {
    run.dispose();
  }
}

/** The first error of a script that does not parse or whose times are inconsistent. */
function scriptError(errors: readonly ScriptError[]): ScriptResult {
  const e = errors[0]!;
  return { status: 'fail', line: e.line, message: `script error: ${e.message}`, codeBlocksSkipped: 0 };
}

/** The state of one run. */
class ScriptRun implements PacketIo, SyscallEventHost {
  readonly clock: VirtualClock;
  readonly stack: Stack;
  readonly sys: BsdSys;
  readonly endpoints: RunEndpoints;
  readonly localIp: IpAddress;
  readonly remoteIp: IpAddress;
  private readonly peer: MemoryLink;
  readonly startUs: number;
  /** Sniffed outbound datagrams not consumed yet, with their script time. */
  readonly captured: Array<{ bytes: Uint8Array; timeUs: number }> = [];
  /** Descriptors and sockets; the syscall layer's host. */
  readonly calls: SocketTable;
  private readonly syscalls: SyscallEvents;
  codeBlocks = 0;
  /** The line of the event being run (for internal errors). */
  line = 0;
  private readonly wallDeadline: number;
  readonly trace: ((line: string) => void) | null;

  constructor(
    private readonly events: readonly ScriptEvent[],
    private readonly plans: readonly EventTimingPlan[],
    readonly timing: TimingConfig,
    readonly settings: ScriptSettings,
    profile: ProfileName,
    sysctls: Parameters<typeof runTcpConfig>[1],
    options: RunOptions,
  ) {
    const base = endpointsFor(options.ipVersion);
    this.endpoints = { ...base, mtu: settings.mtu ?? base.mtu, port: settings.port ?? base.port };
    this.trace = options.trace ?? null;
    this.wallDeadline = performance.now() + (options.wallLimitMs ?? 20_000);
    this.clock = new VirtualClock(CLOCK_START_US);
    // The wire carries frames up to 64 KiB: packetdrill injects TSO/GRO-sized segments (a 2000-byte
    // segment at MTU 1500), which a tun device with offloads accepts. The interface MTU stays the run's.
    const [mine, theirs] = createMemoryPair(this.clock, { mtu: 65535, namePrefix: 'pd' });
    this.peer = theirs;
    this.stack = new Stack({ clock: this.clock, seed: options.seed ?? 1, id: 'tsip', tcp: runTcpConfig(profile, sysctls) });
    const cidr = `${this.endpoints.localIp}/${this.endpoints.prefixLength}`;
    if (this.endpoints.family === 4) {
      this.stack.addInterface(mine, { ipv4: [cidr], mtu: this.endpoints.mtu });
      this.localIp = parseIPv4(this.endpoints.localIp)!;
      this.remoteIp = parseIPv4(this.endpoints.remoteIp)!;
    } else {
      // A quiet IPv6 interface: no router solicitations, MLD reports or DAD probes on the wire.
      this.stack.addInterface(mine, { ipv6: [cidr], mtu: this.endpoints.mtu, ipv6Config: { routerSolicitations: 0, mldReports: false, dadTransmits: 0 } });
      this.localIp = parseIPv6(this.endpoints.localIp)!;
      this.remoteIp = parseIPv6(this.endpoints.remoteIp)!;
    }
    this.sys = createBsdSockets(this.stack).sys;
    this.calls = new SocketTable(this.sys, this.endpoints, this.localIp, this.remoteIp);
    this.syscalls = new SyscallEvents(this);
    this.clock.runDue();
    this.startUs = this.clock.now();
    theirs.setReceiver((frame) => this.captured.push({ bytes: frame.slice(), timeUs: this.clock.now() - this.startUs }));
  }

  /** Script time: µs since the script started. */
  now(): number {
    return this.clock.now() - this.startUs;
  }

  /** Releases the stack's sockets and link. */
  dispose(): void {
    this.syscalls.dispose();
    this.sys.closeAll();
    this.peer.setReceiver(null);
    this.peer.close();
  }

  checkWall(line: number): void {
    if (performance.now() > this.wallDeadline) throw new ScriptFailure(line, 'wall-clock limit of the run exceeded');
  }

  // ------------------------------------------------------------ the event loop

  execute(): void {
    let previousUs: number | null = null;
    for (let i = 0; i < this.events.length; i++) {
      const ev = this.events[i]!;
      const plan = this.plans[i]!;
      this.line = ev.line;
      this.syscalls.settle();
      const anchor = resolveAnchor(plan.anchor, { reachedUs: this.now(), previousEventUs: previousUs });
      const win = eventWindow(plan, anchor);
      const tol = toleranceUs(this.timing, win.startUs, previousUs);
      const a = ev.action;
      this.trace?.(`${secs(this.now())} line ${ev.line}: ${describeAction(ev)}`);
      switch (a.type) {
        case 'packet':
          if (a.protocol !== 'tcp') throw new ScriptSkip(`line ${ev.line}: ${a.protocol} packets are not supported`);
          if (a.direction === '<') {
            this.waitForEvent(ev.line, plan, win, tol, i > 0, 'inbound packet');
            injectPacket(this, ev.line, a);
          } else {
            const deadline = outboundDeadlineUs(plan, win, this.now(), previousUs);
            expectPacket(this, ev.line, a, plan, win, tol, Number.isFinite(deadline) ? deadline : this.now() + ANY_TIME_LIMIT_US);
          }
          break;
        case 'syscall':
          this.syscalls.run(ev.line, a, plan, win, anchor, tol, i > 0);
          break;
        case 'shell': {
          this.waitForEvent(ev.line, plan, win, tol, i > 0, 'command');
          const r = interpretShell(a.command);
          if (!r.ok) throw new ScriptSkip(`line ${ev.line}: ${r.reason}`);
          Object.assign(this.stack.tcp.config, r.effect.sysctls);
          break;
        }
        case 'code':
          // %{ }% snapshots TCP_INFO for python asserts run at the end: skipped and counted.
          this.waitForEvent(ev.line, plan, win, tol, i > 0, 'data collection for code');
          this.codeBlocks++;
          break;
      }
      previousUs = win.startUs;
    }
    this.syscalls.finish();
  }

  /**
   * Advances the clock to the event's time (run.c `wait_for_event`) and
   * checks that we are not late. A blocking call that completes meanwhile
   * is checked at once: packetdrill's syscall thread gets the lock while
   * the main thread sleeps.
   */
  waitForEvent(line: number, plan: EventTimingPlan, win: TimeWindow, tol: number, check: boolean, what: string): void {
    const target = this.startUs + win.startUs;
    for (;;) {
      const next = this.clock.nextEventAt();
      if (next === undefined || next > target) break;
      this.clock.advanceTo(next);
      this.syscalls.settle();
      this.checkWall(line);
    }
    if (this.clock.now() < target) this.clock.advanceTo(target);
    if (check && !withinTolerance(plan, win, this.now(), tol)) {
      throw new ScriptFailure(
        line,
        `timing error: expected ${what} at ${secs(win.startUs)} sec but happened at ${secs(this.now())} sec; tolerance ${secs(tol)} sec`,
      );
    }
  }

  /** Runs the clock until `done()` or `limitUs` of script time; false when nothing more can happen. */
  runClockUntil(limitUs: number, done: () => boolean, line: number): boolean {
    while (!done()) {
      const next = this.clock.nextEventAt();
      if (next === undefined) return false;
      if (next > this.startUs + limitUs) {
        if (this.clock.now() < this.startUs + limitUs) this.clock.advanceTo(this.startUs + limitUs);
        return false;
      }
      this.clock.advanceTo(next);
      this.checkWall(line);
    }
    return true;
  }

  // ------------------------------------------------------------ PacketIo

  get under(): TrackedSocket | null {
    return this.calls.under;
  }

  passiveEnds(): { local: LiveEnd; remote: LiveEnd; domain: number } {
    return this.calls.passiveEnds();
  }

  adopt(s: TrackedSocket): void {
    this.calls.adopt(s);
  }

  send(frame: Uint8Array): void {
    this.peer.send(frame);
    this.clock.runDue();
  }
}

function describeAction(ev: ScriptEvent): string {
  const a = ev.action;
  switch (a.type) {
    case 'packet':
      return a.protocol === 'tcp' ? `${a.direction} ${a.flags || '-'} ${a.seq.start}:${a.seq.end}(${a.seq.len})` : `${a.direction} ${a.protocol}`;
    case 'syscall':
      return `${a.name}()`;
    case 'shell':
      return 'command';
    case 'code':
      return '%{ }%';
  }
}

