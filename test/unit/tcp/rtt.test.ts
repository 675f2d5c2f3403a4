import { describe, expect, it } from 'vitest';
import { seq } from '../../../src/core/seq.js';
import { RTO_FALLBACK_US, RttEstimator, WindowedMinFilter } from '../../../src/tcp/rtt.js';

const S = seq;

describe('RttEstimator, RFC 6298 mode', () => {
  const rfc = (): RttEstimator => new RttEstimator({ mode: 'rfc6298' });

  it('starts at RTO = 1 s and backs off exponentially up to 120 s (§2.1, §5.5)', () => {
    const r = rfc();
    expect(r.rtoUs).toBe(1_000_000);
    expect(r.timeoutUs).toBe(1_000_000);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      r.backOff();
      seen.push(r.timeoutUs);
    }
    expect(seen).toEqual([2e6, 4e6, 8e6, 16e6, 32e6, 64e6, 120e6, 120e6]);
    expect(r.backoff).toBe(8);
    expect(r.rtoUs).toBe(1_000_000);
  });

  it('takes the first sample as SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR (§2.2)', () => {
    const r = rfc();
    r.sample(100_000, 0, S(1), S(1));
    expect(r.srttUs).toBe(100_000);
    expect(r.rttvarUs).toBe(50_000);
    expect(r.rtoUs).toBe(300_000);
  });

  it('updates RTTVAR with the old SRTT, then SRTT (§2.3, alpha 1/8, beta 1/4)', () => {
    const r = rfc();
    r.sample(100_000, 0, S(1), S(1));
    r.sample(200_000, 0, S(1), S(1));
    // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5 ms; SRTT = 7/8·100 + 1/8·200 = 112.5 ms.
    expect(r.rttvarUs).toBe(62_500);
    expect(r.srttUs).toBe(112_500);
    expect(r.rtoUs).toBe(112_500 + 4 * 62_500);
    // A decrease: RTTVAR = 3/4·62.5 + 1/4·|112.5 − 20| = 70 ms; SRTT = 7/8·112.5 + 1/8·20 = 100.9375 ms.
    r.sample(20_000, 0, S(1), S(1));
    expect(r.rttvarUs).toBe(70_000);
    expect(r.srttUs).toBe(100_937.5);
    expect(r.rtoUs).toBe(Math.ceil(100_937.5 + 280_000));
  });

  it('clamps the RTO to the 200 ms minimum (Linux TCP_RTO_MIN) and 120 s maximum (§2.4, §2.5)', () => {
    const r = rfc();
    r.sample(1_000, 0, S(1), S(1));
    expect(r.rtoUs).toBe(200_000);
    const slow = rfc();
    slow.sample(60_000_000, 0, S(1), S(1));
    expect(slow.rtoUs).toBe(120_000_000);
  });

  it('uses the clock granularity G when RTTVAR has decayed to nothing (§2.2)', () => {
    const r = new RttEstimator({ mode: 'rfc6298', rtoMinUs: 0, granularityUs: 1_000 });
    for (let i = 0; i < 200; i++) r.sample(10_000, 0, S(1), S(1));
    expect(r.srttUs).toBe(10_000);
    expect(r.rtoUs).toBe(11_000);
  });

  it('resets the backoff on a valid sample', () => {
    const r = rfc();
    r.backOff();
    r.backOff();
    expect(r.timeoutUs).toBe(4_000_000);
    r.sample(100_000, 0, S(1), S(1));
    expect(r.backoff).toBe(0);
    expect(r.timeoutUs).toBe(300_000);
  });

  it('falls back to 3 s after a handshake without sample (§5.7), and not after one with a sample', () => {
    const r = rfc();
    r.applyHandshakeFallback();
    expect(r.rtoUs).toBe(RTO_FALLBACK_US);
    const s = rfc();
    s.sample(50_000, 0, S(1), S(1));
    s.applyHandshakeFallback();
    expect(s.rtoUs).toBe(200_000);
  });
});

describe('RttEstimator, Linux mode (default)', () => {
  it('gives RTO = 3·R after the first sample, as RFC 6298', () => {
    const r = new RttEstimator();
    r.sample(100_000, 0, S(1), S(1001));
    expect(r.srttUs).toBe(100_000);
    expect(r.rttvarUs).toBe(50_000);
    expect(r.rtoUs).toBe(300_000);
  });

  it('keeps SRTT + 200 ms on a stable path, where RFC 6298 drops to the minimum', () => {
    const linux = new RttEstimator();
    const rfc = new RttEstimator({ mode: 'rfc6298' });
    let una = 1;
    for (let i = 0; i < 50; i++) {
      // One sample per flight of 1000 bytes.
      linux.sample(100_000, 0, S(una), S(una + 1000));
      rfc.sample(100_000, 0, S(una), S(una + 1000));
      una += 1000;
    }
    expect(linux.srttUs).toBe(100_000);
    expect(linux.rtoUs).toBe(300_000);
    expect(rfc.rtoUs).toBe(200_000);
  });

  it('puts the 200 ms floor on the variance term: a 1 ms path gets a 201 ms RTO', () => {
    const r = new RttEstimator();
    r.sample(1_000, 0, S(1), S(2));
    expect(r.rtoUs).toBe(201_000);
  });

  it('damps RTT decreases with a 1/32 gain (tcp_rtt_estimator)', () => {
    const r = new RttEstimator();
    r.sample(100_000, 0, S(1), S(1001));
    r.sample(20_000, 0, S(1), S(1001));
    // srtt·8 = 800000 − 80000; |err| − mdev/4 = 80000 − 50000 = 30000, /8 = 3750;
    // mdev = 200000 + 3750 = 203750 > its flight maximum, so it is the variance term.
    expect(r.srttUs).toBe(90_000);
    expect(r.rttvarUs).toBe(Math.floor(203_750 / 4));
    expect(r.rtoUs).toBe(90_000 + 203_750);
    // RFC 6298 would give RTTVAR = 57.5 ms and RTO = 90 + 230 = 320 ms.
    const rfc = new RttEstimator({ mode: 'rfc6298' });
    rfc.sample(100_000, 0, S(1), S(1001));
    rfc.sample(20_000, 0, S(1), S(1001));
    expect(rfc.rtoUs).toBe(320_000);
  });

  it('lets the variance term decay only once per acknowledged flight', () => {
    const r = new RttEstimator();
    r.sample(100_000, 0, S(500), S(1000)); // flight ends at 1000
    r.sample(300_000, 0, S(500), S(1000)); // same flight: mdev 350000 becomes the term
    expect(r.srttUs).toBe(125_000);
    expect(r.rtoUs).toBe(475_000);
    r.sample(125_000, 0, S(1001), S(2000)); // flight acknowledged; the term equals the max: no decay
    expect(r.rtoUs).toBe(475_000);
    r.sample(125_000, 0, S(2001), S(3000)); // decays a quarter of the way to 200000: 350000 − 37500
    expect(r.rtoUs).toBe(125_000 + 312_500);
    r.sample(125_000, 0, S(2500), S(3000)); // same flight again: no decay
    expect(r.rtoUs).toBe(125_000 + 312_500);
  });

  it('tracks the windowed minimum RTT', () => {
    const r = new RttEstimator();
    expect(r.minRttUs).toBe(Infinity);
    r.sample(30_000, 0, S(1), S(2));
    r.sample(20_000, 1_000_000, S(1), S(2));
    r.sample(25_000, 2_000_000, S(1), S(2));
    expect(r.minRttUs).toBe(20_000);
    expect(r.latestUs).toBe(25_000);
  });
});

describe('WindowedMinFilter (Linux lib/minmax.c)', () => {
  const sec = 1_000_000;

  it('follows a falling minimum at once', () => {
    const f = new WindowedMinFilter(300 * sec);
    expect(f.update(0, 100)).toBe(100);
    expect(f.update(1 * sec, 90)).toBe(90);
    expect(f.update(2 * sec, 95)).toBe(90);
  });

  it('forgets the minimum when it ages out of the window, falling back to later choices', () => {
    const f = new WindowedMinFilter(300 * sec);
    f.update(10 * sec, 50);
    f.update(100 * sec, 80); // after a quarter window: second choice
    f.update(250 * sec, 90); // after half a window: third choice
    expect(f.value).toBe(50);
    expect(f.update(311 * sec, 95)).toBe(80); // 50 (t = 10 s) left the window
    expect(f.update(401 * sec, 99)).toBe(90); // 80 (t = 100 s) left too
  });

  it('restarts from the sample when nothing is left in the window', () => {
    const f = new WindowedMinFilter(300 * sec);
    f.update(0, 10);
    expect(f.update(1000 * sec, 70)).toBe(70);
  });
});
