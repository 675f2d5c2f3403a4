import type { IpAddress } from '../ip/types.js';
import { SYN } from '../tcp/header.js';
import type { TcpOptionSpec, TcpPacket } from './ast.js';
import type { RunEndpoints } from './config.js';
import { buildTcpPacket, encodeScriptOptions, IDENTITY_MAPPING, INBOUND_TTL, inboundTos, scriptFlagBits } from './packet-builder.js';
import {
  aggregate, checkFragment, parseLivePacket, payloadLength, timestampOf, toScriptSpace, verifyOutbound, withTsVal,
  type LivePacket, type Mismatch, type OutboundExpectation,
} from './packet-matcher.js';
import type { ScriptSettings } from './prescan.js';
import { renderPacket, secs } from './render.js';
import {
  isOutboundOf, learnFromConnectSyn, localSeqScriptToLive, remoteSeqScriptToLive, socketForScriptPacket, type LiveEnd,
  type TrackedSocket,
} from './sockets.js';
import { withinTolerance, type EventTimingPlan, type TimeWindow, type TimingConfig } from './timing.js';
import { ScriptFailure } from './errors.js';

/**
 * Packet events of a run (packetdrill run_packet.c): injecting a script's
 * inbound packet with its numbers mapped to live values, and matching the
 * stack's next outbound packet(s) against an outbound line.
 */

/** What packet events need from the run. */
export interface PacketIo {
  readonly endpoints: RunEndpoints;
  readonly settings: ScriptSettings;
  readonly timing: TimingConfig;
  readonly localIp: IpAddress;
  readonly remoteIp: IpAddress;
  /** The socket under test (replaced when a listener gets a new connection). */
  readonly under: TrackedSocket | null;
  /** Sniffed datagrams not consumed yet. */
  readonly captured: Array<{ bytes: Uint8Array; timeUs: number }>;
  readonly trace: ((line: string) => void) | null;
  /** Script time now. */
  now(): number;
  /** Live endpoints for a new passive connection. */
  passiveEnds(): { local: LiveEnd; remote: LiveEnd; domain: number };
  /** Follows a new passive child: it becomes the socket under test. */
  adopt(s: TrackedSocket): void;
  /** Injects a datagram into the stack and lets the stack process it. */
  send(frame: Uint8Array): void;
  /** Runs the clock until `done()` or script time `limitUs`; false when it gave up. */
  runClockUntil(limitUs: number, done: () => boolean, line: number): boolean;
}

/** The inbound TS ecr on the wire for a script ecr (run_packet.c map_inbound_packet). */
function liveEcr(io: PacketIo, s: TrackedSocket, ecr: number): number | null {
  const mapped = s.tsValMap.get(ecr);
  if (mapped !== undefined) return mapped;
  if (io.settings.tsEcrScaled && s.firstTs !== null) return (ecr - s.firstTs.script + s.firstTs.live) >>> 0;
  return null;
}

/** Injects an inbound packet line. */
export function injectPacket(io: PacketIo, line: number, p: TcpPacket): void {
  const found = socketForScriptPacket(io.under, p, () => io.passiveEnds());
  if (found === null) throw new ScriptFailure(line, 'error handling packet: no matching socket for script packet');
  const s = found.socket;
  if (found.created) io.adopt(s);
  const f = p.flagBits;
  if (s.state === 'passive-synack-sent' && f.ack) {
    s.state = 'passive-synack-acked';
  } else if (s.state === 'active-syn-sent' && f.syn && f.ack) {
    // The peer's SYN-ACK: its ISN is injected as written.
    s.state = 'active-syn-acked';
    s.script.remoteIsn = p.seq.start;
    s.live.remoteIsn = p.seq.start;
  }
  if (p.options === 'any') throw new ScriptFailure(line, 'error handling packet: <...> is only for outbound packets');
  const ackOffset = localSeqScriptToLive(s, f.syn);
  const opts = encodeScriptOptions(p.options ?? [], {
    sackOffset: ackOffset,
    tsEcr: (ecr) => (f.ack ? liveEcr(io, s, ecr) : ecr),
  });
  if (!opts.ok) throw new ScriptFailure(line, `error handling packet: ${opts.reason}`);
  const frame = buildTcpPacket(
    {
      family: io.endpoints.family, src: s.live.remote.ip ?? io.remoteIp, dst: s.live.local.ip ?? io.localIp,
      tos: inboundTos(p.ip), ttl: p.ip?.ttl ?? INBOUND_TTL, flowLabel: p.ip?.flowLabel ?? 0,
    },
    {
      srcPort: p.ports?.src ?? s.live.remote.port,
      dstPort: p.ports?.dst ?? s.live.local.port,
      seq: (p.seq.start + remoteSeqScriptToLive(s, f.syn)) >>> 0,
      ack: f.ack ? ((p.ack ?? 0) + ackOffset) >>> 0 : (p.ack ?? 0) >>> 0,
      flags: scriptFlagBits(f),
      window: p.win ?? 0,
      urgent: p.urg ?? 0,
      options: opts.bytes,
      payloadLen: p.seq.len,
    },
  );
  io.trace?.(`  inbound injected: ${renderPacket(frame, io.now())}`);
  io.send(frame);
}

/** Takes the next outbound packet of socket `s`, running the clock up to `deadlineUs` for it. */
function sniffOne(io: PacketIo, s: TrackedSocket, line: number, deadlineUs: number): LivePacket {
  for (;;) {
    while (io.captured.length > 0) {
      const raw = io.captured.shift()!;
      const live = parseLivePacket(raw.bytes, raw.timeUs);
      const u = io.under;
      // Packets of other connections (and non-TCP packets) are not the script's business.
      if (live === null || live.tcp === null || u === null || (!isOutboundOf(u, live) && !learnFromConnectSyn(u, live))) {
        io.trace?.(`  outbound ignored: ${renderPacket(raw.bytes, raw.timeUs)}`);
        continue;
      }
      if (u !== s) throw new ScriptFailure(line, 'error handling packet: packet is not for expected socket');
      io.trace?.(`  outbound sniffed: ${renderPacket(raw.bytes, raw.timeUs)}`);
      return live;
    }
    if (!io.runClockUntil(deadlineUs, () => io.captured.length > 0, line)) {
      throw new ScriptFailure(line, 'error handling packet: Timed out waiting for packet');
    }
  }
}

function findTs(list: readonly TcpOptionSpec[] | 'any' | null): { val: number; ecr: number } | null {
  if (list === null || list === 'any') return null;
  for (const o of list) if (o.kind === 'ts') return { val: o.val, ecr: o.ecr };
  return null;
}

/** The packet the script line describes, in script space (for reports). */
function expectedFrame(io: PacketIo, s: TrackedSocket, p: TcpPacket, actual: LivePacket, options: Uint8Array | 'any', atUs: number): string {
  const seg = actual.tcp!;
  const frame = buildTcpPacket(
    {
      family: io.endpoints.family, src: s.live.local.ip ?? io.localIp, dst: s.live.remote.ip ?? io.remoteIp,
      tos: inboundTos(p.ip), ttl: p.ip?.ttl ?? actual.ttl, flowLabel: p.ip?.flowLabel ?? 0,
    },
    {
      srcPort: seg.srcPort, dstPort: seg.dstPort, seq: p.seq.start, ack: p.ack ?? 0, flags: scriptFlagBits(p.flagBits),
      window: p.win ?? seg.window, urgent: p.urg ?? 0, options: options === 'any' ? seg.options : options, payloadLen: p.seq.len,
    },
  );
  return renderPacket(frame, atUs);
}

function mismatchText(m: Mismatch): string {
  return `${m.field}: expected ${m.expected} got ${m.actual}`;
}

/**
 * Matches an outbound packet line (run_packet.c do_outbound_script_packet):
 * sniffs one packet, or several consecutive ones adding up to the expected
 * length unless --strict_segments, maps them into script space and checks
 * them; then checks the time.
 */
export function expectPacket(
  io: PacketIo, line: number, p: TcpPacket, plan: EventTimingPlan, win: TimeWindow, tol: number, deadlineUs: number,
): void {
  const found = socketForScriptPacket(io.under, p, () => io.passiveEnds());
  if (found === null) throw new ScriptFailure(line, 'error handling packet: no matching socket for script packet');
  const s = found.socket;
  const synAck = s.state === 'passive-packet-received' && p.flagBits.syn && p.flagBits.ack;
  if (synAck) s.script.localIsn = p.seq.start;
  const expectedLen = p.seq.len;
  const frags: LivePacket[] = [];
  let sniffed = 0;
  do {
    const live = sniffOne(io, s, line, deadlineUs);
    if (synAck && s.state === 'passive-packet-received') {
      s.state = 'passive-synack-sent';
      s.live.localIsn = live.tcp!.seq;
    }
    const prev = frags[frags.length - 1];
    if (prev !== undefined) {
      const m = checkFragment(prev, live, sniffed, expectedLen);
      if (m !== null) throw new ScriptFailure(line, `error handling packet: ${mismatchText(m)}`);
    }
    frags.push(live);
    sniffed += payloadLength(live);
  } while (sniffed < expectedLen && !io.settings.strictSegments);

  const agg = aggregate(frags);
  const isSyn = (agg.tcp!.flags & SYN) !== 0;
  let actual = toScriptSpace(agg, -localSeqScriptToLive(s, isSyn), -remoteSeqScriptToLive(s, isSyn));
  let options: Uint8Array | 'any' = 'any';
  if (p.options !== 'any') {
    const enc = encodeScriptOptions(p.options ?? [], IDENTITY_MAPPING);
    if (!enc.ok) throw new ScriptFailure(line, `error handling packet: ${enc.reason}`);
    options = enc.bytes;
  }
  const report = (text: string): ScriptFailure =>
    new ScriptFailure(line, `error handling packet: ${text}`, expectedFrame(io, s, p, actual, options, win.startUs), renderPacket(actual.bytes, agg.timeUs));
  if (sniffed !== expectedLen) throw report(`live packet payload: expected ${expectedLen} bytes vs actual ${sniffed} bytes`);

  // Outbound TS val: remember script → live for inbound ecr, and map to script space (map_outbound_live_packet).
  const scriptTs = findTs(p.options);
  const liveTs = timestampOf(actual);
  if (scriptTs !== null && liveTs !== null) {
    s.tsValMap.set(scriptTs.val, liveTs.val);
    if (s.firstTs === null) s.firstTs = { script: scriptTs.val, live: liveTs.val };
    actual = withTsVal(actual, (s.firstTs.script + (liveTs.val - s.firstTs.live)) >>> 0);
  }

  const exp: OutboundExpectation = {
    family: io.endpoints.family,
    flags: scriptFlagBits(p.flagBits),
    ace: p.flagBits.ace !== null,
    seq: p.seq.start,
    ack: p.ack ?? 0,
    window: p.win,
    urgent: p.urg ?? 0,
    options,
    payloadLen: expectedLen,
    ip: p.ip,
  };
  const m = verifyOutbound(exp, actual, { tsTickUs: io.settings.tsTickUs, toleranceUs: io.timing.toleranceUs }, s.flow);
  if (m !== null) throw report(mismatchText(m));
  if (!withinTolerance(plan, win, agg.timeUs, tol)) {
    const when = win.startUs === win.endUs ? `at ${secs(win.startUs)} sec` : `in time range ${secs(win.startUs)}~${secs(win.endUs)} sec`;
    throw report(`timing error: expected outbound packet ${when} but happened at ${secs(agg.timeUs)} sec; tolerance ${secs(tol)} sec`);
  }
}
