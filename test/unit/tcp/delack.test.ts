import { describe, expect, it } from 'vitest';
import { Testbed } from './helpers/testbed.js';

const REQ = new Uint8Array(100).fill(0x71);

/** 16 back-to-back full segments (mss 1000) use up the quick-ACK budget of a fresh connection. */
function useUpQuickAcks(t: Testbed, c: { read(): Uint8Array }, seq: number): number {
  for (let i = 0; i < 16; i++) {
    t.in('.', seq, 1000, { ack: 1, win: 257 });
    seq += 1000;
    t.out('.', 1, 0, { ack: seq });
    c.read();
  }
  return seq;
}

describe('interactive (ping-pong) mode, as Linux tcp_event_data_sent / tcp_delack_timer', () => {
  it('a reply within ato makes the connection interactive: the next ACK rides on the reply', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    t.advance(10_000);
    // Connection start: quick-ACK mode ACKs the request at once.
    t.in('P.', 1, 100, { ack: 1, win: 257, data: REQ });
    t.out('.', 1, 0, { ack: 101 });
    expect(c.interactive).toBe(false);
    // The reply follows within ato (40 ms) of the request: ping-pong count 1 = tcp_pingpong_thresh.
    t.advance(5_000);
    c.read();
    c.write(new Uint8Array(100));
    t.out('P.', 1, 100, { ack: 101 });
    expect(c.interactive).toBe(true);
    // Next request: no quick ACK any more; the ACK waits and rides on the reply 10 ms later.
    t.advance(10_000);
    t.in('P.', 101, 100, { ack: 101, win: 257, data: REQ });
    t.quietFor(10_000);
    c.read();
    c.write(new Uint8Array(100));
    t.out('P.', 101, 100, { ack: 201 });
    t.none();
    expect(t.counters.TcpExtDelayedACKs).toBe(0);
  });

  it('a delayed ACK that has to fire leaves interactive mode (quick ACKs again)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    t.in('P.', 1, 100, { ack: 1, win: 257, data: REQ });
    t.out('.', 1, 0, { ack: 101 });
    c.read();
    c.write(new Uint8Array(100));
    t.out('P.', 1, 100, { ack: 101 });
    t.in('.', 101, 0, { ack: 101, win: 257 });
    expect(c.interactive).toBe(true);
    // A request with no reply: the ACK goes when the timer fires, after ato = 40 ms.
    t.advance(10_000);
    t.in('P.', 101, 100, { ack: 101, win: 257, data: REQ });
    t.quietFor(39_999);
    t.advance(1);
    t.out('.', 101, 0, { ack: 201 });
    expect(t.counters.TcpExtDelayedACKs).toBe(1);
    expect(c.interactive).toBe(false);
    // Out of interactive mode, with quick ACKs left: the next request is ACKed at once.
    t.advance(10_000);
    t.in('P.', 201, 100, { ack: 101, win: 257, data: REQ });
    t.out('.', 101, 0, { ack: 301 });
  });

  it('a reply slower than ato does not make the connection interactive', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    t.in('P.', 1, 100, { ack: 1, win: 257, data: REQ });
    t.out('.', 1, 0, { ack: 101 });
    t.advance(40_000);
    c.read();
    c.write(new Uint8Array(100));
    t.out('P.', 1, 100, { ack: 101 });
    expect(c.interactive).toBe(false);
    t.in('P.', 101, 100, { ack: 101, win: 257, data: REQ });
    t.out('.', 101, 0, { ack: 201 });
  });

  it('TCP_QUICKACK 0 enters interactive mode; TCP_QUICKACK 1 sends the pending ACK now and leaves it', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.setQuickAck(false);
    expect(c.interactive).toBe(true);
    t.in('P.', 1, 100, { ack: 1, win: 257, data: REQ });
    t.none();
    // Read in interactive mode: one pushed segment does not trigger the ACK.
    c.read();
    t.none();
    t.advance(10_000);
    c.setQuickAck(true);
    t.out('.', 1, 0, { ack: 101 });
    expect(c.interactive).toBe(false);
    expect(t.counters.TcpExtDelayedACKs).toBe(0);
  });
});

describe('ACK when the application reads a pushed segment (Linux tcp_cleanup_rbuf)', () => {
  it('reading a full-sized segment with PSH ACKs it at once; without PSH the ACK is delayed', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    let seq = useUpQuickAcks(t, c, 1);
    // Full-sized with PSH: likely the end of a write; the read that drains it sends the ACK.
    t.in('P.', seq, 1000, { ack: 1, win: 257 });
    seq += 1000;
    t.none();
    c.read();
    t.out('.', 1, 0, { ack: seq });
    // Full-sized without PSH: read or not, the ACK waits for the timer.
    t.advance(100_000);
    t.in('.', seq, 1000, { ack: 1, win: 257 });
    seq += 1000;
    c.read();
    t.quietFor(39_999);
    t.advance(1);
    t.out('.', 1, 0, { ack: seq });
  });

  it('in interactive mode one small pushed segment waits, two in a row are ACKed on read (PUSHED2)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.setQuickAck(false);
    t.in('P.', 1, 100, { ack: 1, win: 257, data: REQ });
    c.read();
    t.none();
    t.advance(5_000);
    t.in('P.', 101, 100, { ack: 1, win: 257, data: REQ });
    t.none();
    c.read();
    t.out('.', 1, 0, { ack: 201 });
    expect(t.counters.TcpExtDelayedACKs).toBe(0);
  });
});

describe('delayed-ACK timing', () => {
  it('the delay follows ato but never exceeds 200 ms (TCP_DELACK_MAX), even with a long RTT', () => {
    const t = new Testbed();
    // RTT 400 ms: srtt alone would allow up to 400 ms.
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 400_000);
    let seq = useUpQuickAcks(t, c, 1);
    // Each delayed ACK that fires doubles ato: 40, 80, 160, then 320 → capped at 200.
    const delays = [40_000, 80_000, 160_000, 200_000, 200_000];
    for (const d of delays) {
      t.advance(500_000);
      t.in('.', seq, 1000, { ack: 1, win: 257 });
      seq += 1000;
      t.quietFor(d - 1);
      t.advance(1);
      t.out('.', 1, 0, { ack: seq });
    }
    expect(t.counters.TcpExtDelayedACKs).toBe(delays.length);
  });

  it('every second full-sized segment is ACKed at once when quick ACKs are used up', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    let seq = useUpQuickAcks(t, c, 1);
    t.advance(10_000);
    t.in('.', seq, 1000, { ack: 1, win: 257 });
    t.none();
    t.in('.', seq + 1000, 1000, { ack: 1, win: 257 });
    seq += 2000;
    t.out('.', 1, 0, { ack: seq });
  });
});
