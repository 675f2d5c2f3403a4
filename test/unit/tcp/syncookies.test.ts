import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { seq, seqAdd, type Seq } from '../../../src/core/seq.js';
import {
  SYNCOOKIE_PERIOD_US,
  SynCookies,
  cookieTimestamp,
  decodeCookieTimestamp,
} from '../../../src/tcp/syncookies.js';

const L = parseIPv4('192.0.2.2')!;
const R = parseIPv4('192.0.2.1')!;
const PEER_ISN = seq(0x1234_5678);

function setup(seed = 1, start = 0): { clock: VirtualClock; sc: SynCookies } {
  const clock = new VirtualClock(start);
  return { clock, sc: new SynCookies(clock, new SeededRandom(seed)) };
}

/** The final ACK of the handshake: SEQ = peer ISN + 1, ACK = cookie + 1. */
function check(sc: SynCookies, isn: Seq, opts: { tsEcr?: number; lport?: number; peerIsn?: Seq } = {}) {
  return sc.validate(L, opts.lport ?? 8080, R, 40000, seqAdd(opts.peerIsn ?? PEER_ISN, 1), seqAdd(isn, 1), opts.tsEcr ?? -1);
}

describe('SYN cookies (Linux layout)', () => {
  it('round-trips the MSS class through the ISN', () => {
    const { sc } = setup();
    for (const [offered, table] of [
      [1460, 1460],
      [1500, 1460],
      [1459, 1440],
      [1440, 1440],
      [1400, 1300],
      [1300, 1300],
      [1200, 536],
      [500, 536], // Linux's smallest entry even below it
    ] as const) {
      const c = sc.makeIsn(L, 8080, R, 40000, PEER_ISN, offered);
      expect(c.mss, `offered ${offered}`).toBe(table);
      const r = check(sc, c.isn);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value).toEqual({ mss: table, wscale: -1, sackPermitted: false, ecn: false, fromTimestamp: false });
    }
  });

  it('uses the IPv6 MSS table for IPv6 tuples', () => {
    const { sc } = setup();
    const l6 = parseIPv6('2001:db8::2')!;
    const r6 = parseIPv6('2001:db8::1')!;
    const c = sc.makeIsn(l6, 8080, r6, 40000, PEER_ISN, 9000);
    expect(c.mss).toBe(8940);
    const v = sc.validate(l6, 8080, r6, 40000, seqAdd(PEER_ISN, 1), seqAdd(c.isn, 1), -1);
    expect(v).toEqual({ ok: true, value: { mss: 8940, wscale: -1, sackPermitted: false, ecn: false, fromTimestamp: false } });
    expect(sc.makeIsn(l6, 8080, r6, 40000, PEER_ISN, 1400).mss).toBe(1220);
  });

  it('carries wscale, SACK and ECN in the low 6 bits of TSval, never ahead of the clock', () => {
    // 123456 = 1929·64: the low bits are 0, so the options would put TSval ahead: step back 64.
    const ts = cookieTimestamp(123_456, { wscale: 7, sackPermitted: true, ecn: false });
    expect(ts & 63).toBe(0b01_0111);
    expect(ts).toBe(123_456 - 64 + 0b01_0111);
    expect(cookieTimestamp(123_500, { wscale: 7, sackPermitted: true, ecn: false })).toBe(123_456 + 0b01_0111);
    expect(cookieTimestamp(1000, { wscale: -1, sackPermitted: false, ecn: true }) & 63).toBe(0b10_1111);
    expect(decodeCookieTimestamp(ts)).toEqual({ wscale: 7, sackPermitted: true, ecn: false });
    expect(decodeCookieTimestamp(0b10_1111)).toEqual({ wscale: -1, sackPermitted: false, ecn: true });
    expect(decodeCookieTimestamp(0b00_0000)).toEqual({ wscale: 0, sackPermitted: false, ecn: false });
    // 32-bit wrap: a TS clock just past 2^32 stays a uint32.
    const w = cookieTimestamp(0xffff_ffc0, { wscale: 14, sackPermitted: true, ecn: true });
    expect(w).toBe(0xffff_ff80 + 0b11_1110);
  });

  it('round-trips the options through the echoed TSval', () => {
    const { sc } = setup();
    const c = sc.makeIsn(L, 8080, R, 40000, PEER_ISN, 1460);
    const tsval = cookieTimestamp(987_654, { wscale: 8, sackPermitted: true, ecn: false });
    const r = check(sc, c.isn, { tsEcr: tsval });
    expect(r).toEqual({ ok: true, value: { mss: 1460, wscale: 8, sackPermitted: true, ecn: false, fromTimestamp: true } });
  });

  it('accepts a cookie during its minute and the next, and refuses it after (MAX_SYNCOOKIE_AGE 2)', () => {
    const { clock, sc } = setup(1, 30_000_000);
    const c = sc.makeIsn(L, 8080, R, 40000, PEER_ISN, 1460);
    clock.advanceTo(SYNCOOKIE_PERIOD_US - 1);
    expect(check(sc, c.isn).ok).toBe(true);
    clock.advanceTo(2 * SYNCOOKIE_PERIOD_US - 1);
    expect(check(sc, c.isn).ok).toBe(true);
    clock.advanceTo(2 * SYNCOOKIE_PERIOD_US);
    expect(check(sc, c.isn)).toEqual({ ok: false, reason: 'syncookie-expired' });
  });

  it('refuses forged cookies, other tuples, other peer ISNs and other secrets', () => {
    const { sc } = setup();
    const c = sc.makeIsn(L, 8080, R, 40000, PEER_ISN, 1460);
    expect(check(sc, seqAdd(c.isn, 1)).ok).toBe(false);
    expect(check(sc, seq(c.isn ^ 0x0100_0000)).ok).toBe(false);
    expect(check(sc, c.isn, { lport: 8081 }).ok).toBe(false);
    // The peer ISN is added linearly (as in Linux), so a different one shifts the decoded value.
    expect(check(sc, c.isn, { peerIsn: seqAdd(PEER_ISN, 0x1000) }).ok).toBe(false);
    const other = setup(2).sc;
    expect(check(other, c.isn).ok).toBe(false);
    // Random ACK numbers: none passes.
    const rng = new SeededRandom(99);
    let accepted = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const r = check(sc, seq(rng.u32()));
      if (r.ok) accepted++;
      else reasons.add(r.reason);
    }
    expect(accepted).toBe(0);
    expect([...reasons].sort()).toEqual(['syncookie-bad-hash', 'syncookie-expired']);
  });

  it('is deterministic for a seed and a time', () => {
    const a = setup(5, 1_000).sc.makeIsn(L, 8080, R, 40000, PEER_ISN, 1460);
    const b = setup(5, 1_000).sc.makeIsn(L, 8080, R, 40000, PEER_ISN, 1460);
    expect(a).toEqual(b);
  });
});
