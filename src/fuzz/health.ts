import { bytesEqual, concatBytes, readU16 } from '../core/bytes.js';
import { build } from '../craft/layer.js';
import { icmp6, icmpEcho } from '../craft/icmp.js';
import { ipv4, ipv6 } from '../craft/ip.js';
import type { Driver } from './driver.js';
import { TcpSession, sessionEndpoints } from './tcp-session.js';
import { emptyTcpReply, readTcpReply, sameV6 } from './wire.js';

/** How long probes wait, in the target's time. */
export interface HealthTiming {
  /** Advance step while waiting for an answer, µs. */
  stepUs: number;
  /** Give up on one answer after this long, µs. */
  timeoutUs: number;
}

/** Virtual-time targets: 1 ms steps, 3 s (virtual) per answer. */
export const VIRTUAL_HEALTH_TIMING: HealthTiming = { stepUs: 1_000, timeoutUs: 3_000_000 };
/** Real-time targets: 2 ms polls, 3 s per answer. */
export const REAL_HEALTH_TIMING: HealthTiming = { stepUs: 2_000, timeoutUs: 3_000_000 };

const PING_ID = 0x7f5a;
const PROBE_PORT_BASE = 20_000;
const PROBE_PORT_SPAN = 40_000;

/**
 * The oracle: is the target still healthy? It answers ping (ICMP echo, and
 * ICMPv6 echo when IPv6 is on), accepts a fresh TCP connection to its echo
 * port and echoes a message byte for byte, and — for an in-process target
 * — its internal invariants hold (counters, bounded memory). Probes come
 * from the plan's probe address, which fuzz traffic never uses, so state
 * left by the fuzz cannot make a healthy target look sick.
 */
export class HealthOracle {
  private checks = 0;

  constructor(
    private readonly driver: Driver,
    private readonly timing: HealthTiming,
  ) {}

  /** Number of checks run. */
  get count(): number {
    return this.checks;
  }

  /** Runs every probe; resolves null when healthy, else what failed. */
  async check(): Promise<string | null> {
    const n = this.checks++;
    const t = this.driver.target;
    if (t.probes !== false) {
      const problem =
        (await this.ping(4, n)) ??
        (t.plan.ipv6 ? await this.ping(6, n) : null) ??
        (await this.tcpEcho(4, n)) ??
        (t.plan.ipv6 ? await this.tcpEcho(6, n) : null);
      if (problem !== null) return problem;
    }
    if (t.checkInternals === undefined) return null;
    // Let the last probe packets (the RSTs closing the TCP probes) arrive before counting.
    await this.driver.advance(this.timing.stepUs);
    return t.checkInternals(this.driver.injected);
  }

  private async ping(family: 4 | 6, n: number): Promise<string | null> {
    const plan = this.driver.target.plan;
    const seqNo = n & 0xffff;
    const data = new TextEncoder().encode(`tsip-fuzz-ping-${n}`);
    const pkt =
      family === 4
        ? build(ipv4({ src: plan.probe4, dst: plan.target4 }, icmpEcho({ identifier: PING_ID, sequence: seqNo }, data)))
        : build(ipv6({ src: plan.probe6, dst: plan.target6, hopLimit: 64 }, icmp6({ kind: 'echo-request', identifier: PING_ID, sequence: seqNo, data })));
    let answered = false;
    const listen = (p: Uint8Array): void => {
      if (family === 4) {
        const hl = (p[0]! & 0x0f) << 2;
        if (p.length >= hl + 8 && p[0]! >>> 4 === 4 && p[9] === 1 && p[hl] === 0 && readU16(p, hl + 4) === PING_ID && readU16(p, hl + 6) === seqNo) {
          answered = true;
        }
      } else if (p.length >= 48 && p[0]! >>> 4 === 6 && p[6] === 58 && p[40] === 129 && sameV6(p, 24, plan.probe6)) {
        if (readU16(p, 44) === PING_ID && readU16(p, 46) === seqNo) answered = true;
      }
    };
    const hub = this.driver.hub;
    hub.add(listen);
    try {
      for (let attempt = 0; attempt < 2 && !answered; attempt++) {
        this.driver.inject(pkt.slice());
        await this.driver.waitFor(() => answered, this.timing.timeoutUs / 2, this.timing.stepUs);
      }
    } finally {
      hub.remove(listen);
    }
    return answered ? null : `no answer to ping${family === 6 ? '6' : ''} from the probe address`;
  }

  private async tcpEcho(family: 4 | 6, n: number): Promise<string | null> {
    const plan = this.driver.target.plan;
    const message = new TextEncoder().encode(`tsip-fuzz-probe-${n}-${family}-0123456789abcdef`);
    let last = 'no SYN-ACK';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = PROBE_PORT_BASE + ((n * 3 + attempt) % PROBE_PORT_SPAN);
      const ep = family === 4 ? sessionEndpoints(plan.probe4, plan.target4) : sessionEndpoints(plan.probe6, plan.target6);
      const s = new TcpSession(ep, port, plan.echoPort, Math.imul(n + 1, 0x9e3779b1) ^ attempt);
      s.collect = true;
      const reply = emptyTcpReply();
      const listen = (p: Uint8Array): void => {
        if (readTcpReply(p, reply) && s.matches(reply, p)) s.handle(reply, p);
      };
      const flush = (): void => {
        while (s.outbox.length > 0) this.driver.inject(s.outbox.shift()!);
      };
      const hub = this.driver.hub;
      hub.add(listen);
      try {
        s.open({ mss: 1460, wscale: 7, sackOk: true, timestamps: true, window: 65535 });
        await this.driver.waitFor(() => s.state !== 'syn-sent', this.timing.timeoutUs / 2, this.timing.stepUs, flush);
        if (s.state !== 'established') {
          last = s.resetByPeer ? 'connection refused (RST)' : 'no SYN-ACK';
          s.abort();
          flush();
          continue;
        }
        s.send(message);
        await this.driver.waitFor(() => s.receivedBytes >= message.length || s.state === 'closed', this.timing.timeoutUs, this.timing.stepUs, flush);
        const got = concatBytes(s.received);
        s.abort();
        flush();
        if (got.length < message.length) return `TCP echo${family === 6 ? ' over IPv6' : ''}: ${got.length} of ${message.length} bytes came back`;
        if (!bytesEqual(got.subarray(0, message.length), message)) return `TCP echo${family === 6 ? ' over IPv6' : ''}: the bytes came back changed`;
        return null;
      } finally {
        hub.remove(listen);
      }
    }
    return `TCP echo${family === 6 ? ' over IPv6' : ''}: ${last} after 3 attempts`;
  }
}
