import { describe, expect, it } from 'vitest';
import { defaultTcpConfig } from '../../../src/tcp/config.js';
import { Testbed } from './helpers/testbed.js';

/**
 * Ten segments out and acknowledged one RTT (100 ms) later, so that slow
 * start takes cwnd to 20; returns the connection and the next sequence number.
 */
function grow(t: Testbed) {
  const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
  c.setOptions({ sndBuf: 200_000 });
  c.write(new Uint8Array(10_000));
  for (let i = 0; i < 10; i += 2) t.outBurst(1 + 1000 * i, 2, 1000, { ack: 1 });
  t.advance(100_000);
  t.in('.', 1, 0, { ack: 10_001, win: 511 });
  expect(c.info().cwnd).toBe(20);
  return c;
}

/** Counts the segments a write of `bytes` puts on the wire at once. */
function burst(t: Testbed, c: { write(d: Uint8Array): number }, bytes: number): number {
  c.write(new Uint8Array(bytes));
  let n = 0;
  while (t.pending().length > 0) {
    t.next();
    n++;
  }
  return n;
}

describe('slow start after idle (RFC 5681 §4.1, Linux tcp_slow_start_after_idle)', () => {
  it('is on by default, as in Linux (packetdrill defaults.sh turns it off)', () => {
    expect(defaultTcpConfig().slowStartAfterIdle).toBe(true);
  });

  it('after more than an RTO without sending, cwnd restarts from min(IW, cwnd), halved per idle RTO (slow-start-after-idle.pkt)', () => {
    const t = new Testbed({ slowStartAfterIdle: true });
    const c = grow(t);
    const rto = c.info().rtoUs;
    t.advance(2_000_000);
    expect(2_000_000).toBeGreaterThan(rto);
    expect(burst(t, c, 30_000)).toBe(10);
    expect(c.info().cwnd).toBe(10);
    expect(c.info().ssthresh).toBe(0x7fffffff);
  });

  it('an idle period (since the last transmission) shorter than the RTO keeps cwnd', () => {
    const t = new Testbed({ slowStartAfterIdle: true });
    const c = grow(t);
    // The last data went out 100 ms ago (the ACK came one RTT later).
    t.advance(c.info().rtoUs - 100_000 - 1000);
    expect(burst(t, c, 30_000)).toBe(20);
    expect(c.info().cwnd).toBe(20);
  });

  it('turned off (the conformance profile), cwnd survives the idle period', () => {
    const t = new Testbed({ slowStartAfterIdle: false });
    const c = grow(t);
    t.advance(2_000_000);
    expect(burst(t, c, 30_000)).toBe(20);
    expect(c.info().cwnd).toBe(20);
  });

  it('decays in steps: cwnd 40 idle for 1.5 RTOs is halved once, not reset (Linux tcp_cwnd_restart)', () => {
    const t = new Testbed({ slowStartAfterIdle: true });
    const c = grow(t);
    // One more round: 20 segments acknowledged → cwnd 40.
    expect(burst(t, c, 20_000)).toBe(20);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 30_001, win: 511 });
    expect(c.info().cwnd).toBe(40);
    const rto = c.info().rtoUs;
    t.advance(Math.floor(1.5 * rto));
    c.write(new Uint8Array(1));
    expect(c.info().cwnd).toBe(20);
    // ssthresh keeps 3/4 of the old cwnd (tcp_current_ssthresh), here still infinite.
    expect(c.info().ssthresh).toBe(0x7fffffff);
  });
});
