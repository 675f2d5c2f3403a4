import { describe, expect, it } from 'vitest';
import { Testbed } from './helpers/testbed.js';

// TCP_CORK holds partial segments; Linux lets them out when the probe timer
// (max(RTO, 200 ms) with nothing in flight) fires: tcp(7)'s "200 ms ceiling".
describe('TCP_CORK ceiling (Linux tcp_probe_timer → tcp_write_wakeup)', () => {
  it('a corked partial segment goes out with PSH one RTO (≥ 200 ms) later, not counted as a window probe', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 10_000);
    const rto = c.info().rtoUs;
    expect(rto).toBeGreaterThanOrEqual(200_000);
    c.setOptions({ cork: true });
    c.write(new Uint8Array(40));
    t.advance(50_000);
    c.write(new Uint8Array(40));
    // Held for one RTO from the first write, then released by the probe timer.
    t.quietFor(rto - 50_000 - 1);
    t.advance(1);
    t.out('P.', 1, 80, { ack: 1 });
    expect(t.counters.TcpExtTCPWinProbe).toBe(0);
    expect(c.options.cork).toBe(true);
    // Now in flight: acknowledged normally, nothing more to send.
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 81, win: 257 });
    t.quietFor(2 * rto);
  });

  it('full segments go out while corked; the tail waits one RTO after the flight is acknowledged', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 10_000);
    c.setOptions({ cork: true });
    c.write(new Uint8Array(2500));
    t.outBurst(1, 2, 1000, { ack: 1 });
    t.none();
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 2001, win: 257 });
    const rto = c.info().rtoUs;
    t.quietFor(rto - 1);
    t.advance(1);
    t.out('P.', 2001, 500, { ack: 1 });
    expect(t.counters.TcpExtTCPWinProbe).toBe(0);
  });

  it('uncorking before the ceiling flushes at once (sockopt_cork_nodelay.pkt)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 10_000);
    c.setOptions({ cork: true });
    c.write(new Uint8Array(40));
    t.advance(50_000);
    c.write(new Uint8Array(40));
    t.advance(10_000);
    t.none();
    c.setOptions({ cork: false });
    t.out('P.', 1, 80, { ack: 1 });
  });
});
