import { expect } from 'vitest';
import { parseIPv4 } from '../../../../src/core/address.js';
import { VirtualClock } from '../../../../src/core/clock.js';
import type { StackContext } from '../../../../src/core/context.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';
import {
  ACK, AE, buildTcp, CWR, ECE, FIN, formatTcpFlags, parseTcp, PSH, RST, SYN, type TcpSegment, URG,
} from '../../../../src/tcp/header.js';
import { decodeTcpOptionList, encodeTcpOptionList, type TcpOption } from '../../../../src/tcp/options.js';
import { TcpLayer } from '../../../../src/tcp/tcp-layer.js';
import { FakeIp, testContext } from './fake-ip.js';

export const LOCAL = parseIPv4('192.0.2.2')!;
export const REMOTE = parseIPv4('192.0.2.1')!;

/** Parses packetdrill flags: `S`, `S.`, `P.`, `F.`, `R`, `R.`, `.`, `-`. */
export function parseFlags(s: string): number {
  let f = 0;
  for (const ch of s) {
    switch (ch) {
      case 'S': f |= SYN; break;
      case 'F': f |= FIN; break;
      case 'R': f |= RST; break;
      case 'P': f |= PSH; break;
      case '.': f |= ACK; break;
      case 'U': f |= URG; break;
      case 'E': f |= ECE; break;
      case 'W': f |= CWR; break;
      case 'A': f |= AE; break;
      case '-': break;
      default: throw new Error(`bad flag ${ch}`);
    }
  }
  return f;
}

/** Parses a packetdrill option list: `mss 1460,nop,nop,sackOK,nop,wscale 8`, `TS val 1 ecr 0`, `sack 1:2 3:4`, `eol`. */
export function parseOpts(s: string): TcpOption[] {
  if (s.trim() === '') return [];
  return s.split(',').map((part): TcpOption => {
    const w = part.trim().split(/\s+/);
    switch (w[0]) {
      case 'nop': return { kind: 'nop' };
      case 'eol': return { kind: 'eol' };
      case 'mss': return { kind: 'mss', value: Number(w[1]) };
      case 'wscale': return { kind: 'wscale', shift: Number(w[1]) };
      case 'sackOK': return { kind: 'sackOK' };
      case 'TS': return { kind: 'ts', val: Number(w[2]), ecr: Number(w[4]) };
      case 'sack': return { kind: 'sack', blocks: w.slice(1).map((b) => b.split(':').map(Number) as [number, number]) };
      default: throw new Error(`bad option ${part}`);
    }
  });
}

export interface InSpec {
  ack?: number;
  win: number;
  opts?: string;
  /** Payload bytes (default: `len` zero bytes). */
  data?: Uint8Array;
  /** Literal sequence/ack numbers (no ISN mapping). */
  raw?: boolean;
}

export interface OutSpec {
  ack?: number;
  win?: number;
  /** Expected options; undefined = none; '*' = do not check. */
  opts?: string;
}

/**
 * A packetdrill-like bench: one TcpLayer under test at 192.0.2.2 and a
 * scripted peer at 192.0.2.1. `in()` injects a segment now; `out()` takes the
 * next segment the layer sent and checks every field. Sequence numbers are
 * relative to the ISNs (ours learned from our SYN/SYN-ACK, the peer's fixed
 * by the first inbound SYN), TS values relative to the first we sent, as in
 * packetdrill.
 */
export class Testbed {
  readonly clock = new VirtualClock(0);
  readonly ctx: StackContext;
  readonly ip: FakeIp;
  readonly tcp: TcpLayer;
  remotePort = 40000;
  localPort = 8080;
  remoteIsn = 1_000_000;
  localIsn: number | null = null;
  private tsBase: number | null = null;
  private tsScript = 0;
  private cursor = 0;

  constructor(config: Partial<TcpConfig> = {}, seed = 1) {
    this.ctx = testContext(this.clock, 'dut', seed);
    this.ip = new FakeIp(this.clock, LOCAL);
    this.tcp = new TcpLayer(this.ctx, this.ip, config);
  }

  get counters(): StackContext['counters'] {
    return this.ctx.counters;
  }

  /** Moves virtual time forward, running timers. */
  advance(us: number): void {
    this.clock.advance(us);
  }

  /** Injects a segment `flags start:end(len)` from the peer. */
  in(flags: string, start: number, len: number, spec: InSpec): void {
    const f = parseFlags(flags);
    const raw = spec.raw === true;
    const seq = raw ? start : (start + this.remoteIsn) >>> 0;
    let ack = 0;
    if (spec.ack !== undefined) ack = raw ? spec.ack : (spec.ack + (this.localIsn ?? 0)) >>> 0;
    const opts = spec.opts !== undefined ? parseOpts(spec.opts) : [];
    for (const o of opts) {
      if (o.kind === 'ts' && this.tsBase !== null && o.ecr !== 0) o.ecr = (o.ecr - this.tsScript + this.tsBase) >>> 0;
      if (o.kind === 'sack' && !raw) o.blocks = o.blocks.map(([a, b]) => [(a + (this.localIsn ?? 0)) >>> 0, (b + (this.localIsn ?? 0)) >>> 0]);
    }
    const payload = spec.data ?? new Uint8Array(len);
    const b = buildTcp({
      srcPort: this.remotePort, dstPort: this.localPort, seq, ack, flags: f, window: spec.win,
      options: encodeTcpOptionList(opts), payload,
    }, REMOTE, LOCAL);
    this.ip.deliver(REMOTE, LOCAL, b);
  }

  /** Injects raw bytes as a TCP segment from the peer. */
  inRaw(bytes: Uint8Array): void {
    this.ip.deliver(REMOTE, LOCAL, bytes);
  }

  /** Segments sent and not yet checked. */
  pending(): TcpSegment[] {
    return this.ip.sent.slice(this.cursor).map((p) => {
      const r = parseTcp(p.bytes);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    });
  }

  /** Takes the next sent segment (throws if none). */
  next(): TcpSegment {
    const p = this.ip.sent[this.cursor];
    if (p === undefined) throw new Error('expected a segment, none was sent');
    this.cursor++;
    const r = parseTcp(p.bytes);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  }

  /** Checks the next sent segment: flags, relative seq range, ack, window, options. */
  out(flags: string, start: number, len: number, spec: OutSpec = {}): TcpSegment {
    const s = this.next();
    const f = parseFlags(flags);
    if (s.flags & SYN && this.localIsn === null) this.localIsn = (s.seq - start) >>> 0;
    const got = {
      flags: formatTcpFlags(s.flags),
      seq: (s.seq - (this.localIsn ?? 0)) | 0,
      len: s.payload.length,
      ack: (s.flags & ACK) !== 0 ? (s.ack - this.remoteIsn) | 0 : s.ack,
    };
    const want = { flags: formatTcpFlags(f), seq: start, len, ack: spec.ack ?? 0 };
    expect(got, `segment ${formatTcpFlags(s.flags)} ${got.seq}:${got.seq + got.len}(${got.len}) ack ${got.ack}`).toEqual(want);
    if (spec.win !== undefined) expect(s.window, 'window').toBe(spec.win);
    if (spec.opts !== '*') {
      const list = decodeTcpOptionList(s.options);
      expect(list.ok).toBe(true);
      const gotOpts = list.ok ? list.value.filter((o) => o.kind !== 'eol') : [];
      const wantOpts = spec.opts === undefined ? [] : parseOpts(spec.opts);
      for (let i = 0; i < gotOpts.length; i++) {
        const g = gotOpts[i]!;
        const w = wantOpts[i];
        if (g.kind === 'ts' && w?.kind === 'ts') {
          if (this.tsBase === null) {
            this.tsBase = g.val;
            this.tsScript = w.val;
          }
          g.val = (g.val - this.tsBase + this.tsScript) >>> 0;
        }
        if (g.kind === 'sack') g.blocks = g.blocks.map(([a, b]) => [(a - this.remoteIsn) | 0, (b - this.remoteIsn) | 0]);
      }
      expect(gotOpts, 'options').toEqual(wantOpts);
    }
    return s;
  }

  /**
   * Checks `count` consecutive full segments from `start` sent as one Linux
   * burst: no flags but ACK, except PSH on the last (tso-burst.ts).
   */
  outBurst(start: number, count: number, segLen: number, spec: OutSpec = {}): void {
    for (let i = 0; i < count; i++) this.out(i === count - 1 ? 'P.' : '.', start + i * segLen, segLen, spec);
  }

  /** Asserts that nothing was sent since the last check. */
  none(): void {
    const extra = this.pending().map((s) => `${formatTcpFlags(s.flags)} seq=${(s.seq - (this.localIsn ?? 0)) | 0} len=${s.payload.length}`);
    expect(extra, 'unexpected segments').toEqual([]);
  }

  /** Asserts that nothing is sent during the next `us` µs. */
  quietFor(us: number): void {
    this.none();
    this.advance(us);
    this.none();
  }

  /** Standard passive open as the packetdrill scripts do it; returns the accepted connection. */
  passiveOpen(synOpts = 'mss 1000,sackOK,nop,nop,nop,wscale 7', synAckOpts = 'mss 1460,nop,nop,sackOK,nop,wscale 8', backlog = 1, rttUs = 0) {
    const l = this.tcp.listen({ port: this.localPort, backlog });
    this.in('S', 0, 0, { win: 32792, opts: synOpts });
    this.out('S.', 0, 0, { ack: 1, opts: synAckOpts });
    this.advance(rttUs);
    this.in('.', 1, 0, { ack: 1, win: 257 });
    const c = l.accept();
    expect(c).not.toBeNull();
    return { l, c: c! };
  }
}
