import { describe, expect, it } from 'vitest';
import { Testbed } from './helpers/testbed.js';

const TS_SYN = 'mss 1000,sackOK,TS val 100 ecr 0';
const TS_SYNACK = 'mss 1460,sackOK,TS val 100 ecr 100';

function tsOpen(t: Testbed) {
  const l = t.tcp.listen({ port: 8080 });
  t.in('S', 0, 0, { win: 20000, opts: TS_SYN });
  t.out('S.', 0, 0, { ack: 1, opts: TS_SYNACK });
  t.advance(100_000);
  t.in('.', 1, 0, { ack: 1, win: 20000, opts: 'nop,nop,TS val 200 ecr 100' });
  return l.accept()!;
}

describe('RST, SYN and ACK validation (RFC 5961, RFC 9293 §3.10.7.4)', () => {
  it('resets on an exact RST; challenges an in-window one; ignores one outside the window', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    t.in('R', 100_000, 0, { win: 0 });
    t.none();
    t.in('R', 2, 0, { win: 0 });
    t.out('.', 1, 0, { ack: 1 });
    expect(t.counters.TcpExtTCPChallengeACK).toBe(1);
    expect(c.stateName).toBe('ESTABLISHED');
    let closed: string | null = 'none';
    c.setHandler({ onClosed: (_c, e) => (closed = e) });
    t.in('R', 1, 0, { win: 0 });
    expect(c.stateName).toBe('CLOSED');
    expect(c.error).toBe('ECONNRESET');
    expect(closed).toBe('ECONNRESET');
    expect(t.counters.TcpEstabResets).toBe(1);
    expect(() => c.write(new Uint8Array(1))).toThrow(/ECONNRESET/);
    // no_rst_to_rst.pkt: the connection is gone; a later ACK gets a RST.
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.out('R', 1, 0, { win: 0 });
  });

  it('answers a SYN in ESTABLISHED with a challenge ACK (RFC 5961 §4), rate-limited per second', () => {
    const t = new Testbed({ challengeAckLimit: 2 });
    const { c } = t.passiveOpen();
    for (let i = 0; i < 3; i++) t.in('S', 500, 0, { win: 100 });
    t.out('.', 1, 0, { ack: 1 });
    t.out('.', 1, 0, { ack: 1 });
    t.none();
    expect(t.counters.TcpExtTCPSYNChallenge).toBe(3);
    expect(t.counters.TcpExtTCPACKSkippedChallenge).toBe(1);
    t.advance(1_000_000);
    t.in('S', 500, 0, { win: 100 });
    t.out('.', 1, 0, { ack: 1 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('drops an ACK of unsent data without reply and keeps TS.Recent (ts_recent/invalid_ack.pkt)', () => {
    const t = new Testbed();
    tsOpen(t);
    t.in('F.', 1, 0, { ack: 9999, win: 20000, opts: 'nop,nop,TS val 200000 ecr 100' });
    t.in('.', 1, 1000, { ack: 1, win: 20000, opts: 'nop,nop,TS val 201 ecr 100' });
    t.out('.', 1, 0, { ack: 1001, opts: 'nop,nop,TS val 200 ecr 201' });
  });

  it('sends a challenge ACK for an ACK older than SND.UNA − MAX.SND.WND (RFC 5961 §5.2)', () => {
    const t = new Testbed();
    t.passiveOpen();
    t.in('.', 1, 0, { ack: -100000, win: 257 });
    t.out('.', 1, 0, { ack: 1 });
    expect(t.counters.TcpExtTCPChallengeACK).toBe(1);
  });

  it('rejects an old timestamp (PAWS, RFC 7323 §5) with a duplicate ACK', () => {
    const t = new Testbed();
    const c = tsOpen(t);
    t.in('.', 1, 1000, { ack: 1, win: 20000, opts: 'nop,nop,TS val 150 ecr 100' });
    t.out('.', 1, 0, { ack: 1, opts: 'nop,nop,TS val 200 ecr 200' });
    expect(c.readableLength).toBe(0);
    expect(t.counters.TcpExtPAWSEstab).toBe(1);
  });

  it('acknowledges an out-of-window segment, rate-limiting replies to ones without data', () => {
    const t = new Testbed();
    t.passiveOpen();
    t.in('.', 900_000, 0, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1 });
    t.in('.', 900_000, 0, { ack: 1, win: 257 });
    t.none();
    expect(t.counters.TcpExtTCPACKSkippedSeq).toBe(1);
    t.in('.', 900_000, 10, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1 });
  });

  it('close() with unread data sends RST with TS (RFC 2525; ts_recent/reset_tsval.pkt)', () => {
    const t = new Testbed();
    const c = tsOpen(t);
    t.in('.', 1, 1000, { ack: 1, win: 20000, opts: 'nop,nop,TS val 201 ecr 100' });
    t.out('.', 1, 0, { ack: 1001, opts: 'nop,nop,TS val 200 ecr 201' });
    t.advance(1_000_000);
    c.close();
    t.out('R.', 1, 0, { ack: 1001, opts: 'nop,nop,TS val 1200 ecr 201' });
    expect(c.stateName).toBe('CLOSED');
    expect(t.counters.TcpExtTCPAbortOnClose).toBe(1);
  });

  it('SO_LINGER 0 makes close() abortive; abort() resets', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.setOptions({ lingerOn: true, lingerS: 0 });
    c.close();
    t.out('R.', 1, 0, { ack: 1 });
    expect(t.counters.TcpExtTCPAbortOnLinger).toBe(1);
  });

  it('data after close() in FIN-WAIT-1 aborts with a RST (user_timeout.pkt tail)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop', 'mss 1460,nop,nop,sackOK');
    c.close();
    t.out('F.', 1, 0, { ack: 1 });
    t.in('.', 1, 1, { ack: 1, win: 32792 });
    t.out('R', 1, 0);
    expect(t.counters.TcpExtTCPAbortOnData).toBe(1);
    expect(t.tcp.connectionCount).toBe(0);
  });
});

describe('closing states', () => {
  it('half-close: shutdown(SHUT_WR) then reads continue; EPIPE on write (shutdown-wr-close.pkt)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    t.advance(10_000);
    c.shutdown('write');
    t.out('F.', 1, 0, { ack: 1 });
    t.in('.', 1, 0, { ack: 2, win: 257 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    expect(() => c.write(new Uint8Array(1000))).toThrow(/EPIPE/);
    t.advance(10_000);
    t.in('.', 1, 1000, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 1001 });
    expect(c.read(1000).length).toBe(1000);
    t.advance(10_000);
    c.close();
    t.advance(10_000);
    t.in('F.', 1001, 0, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 1002 });
    expect(c.stateName).toBe('TIME-WAIT');
  });

  it('shutdown(SHUT_RD): reads return end of stream, writes still work (shutdown-rd-close.pkt)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.shutdown('read');
    expect(c.readEnded).toBe(true);
    c.write(new Uint8Array(1000));
    t.out('P.', 1, 1000, { ack: 1 });
    t.in('.', 1, 0, { ack: 1001, win: 257 });
    c.close();
    t.out('F.', 1001, 0, { ack: 1 });
    t.in('.', 1, 0, { ack: 1002, win: 257 });
    t.in('F.', 1, 0, { ack: 1002, win: 257 });
    t.out('.', 1002, 0, { ack: 2 });
  });

  it('simultaneous close: FIN-WAIT-1 → CLOSING → TIME-WAIT', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.close();
    t.out('F.', 1, 0, { ack: 1 });
    t.in('F.', 1, 0, { ack: 1, win: 257 });
    t.out('.', 2, 0, { ack: 2 });
    expect(c.stateName).toBe('CLOSING');
    t.in('.', 2, 0, { ack: 2, win: 257 });
    expect(c.stateName).toBe('TIME-WAIT');
  });

  it('FIN-WAIT-1 with FIN+ACK of our FIN goes straight to TIME-WAIT', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.close();
    t.out('F.', 1, 0, { ack: 1 });
    t.in('F.', 1, 0, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 2 });
    expect(c.stateName).toBe('TIME-WAIT');
  });

  it('TIME-WAIT re-ACKs a retransmitted FIN, ignores RST (RFC 1337), and yields to a new SYN', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.close();
    t.out('F.', 1, 0, { ack: 1 });
    t.in('F.', 1, 0, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 2 });
    t.advance(30_000_000);
    t.in('F.', 1, 0, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 2 });
    t.in('R', 2, 0, { win: 0 });
    expect(c.stateName).toBe('TIME-WAIT');
    // The FIN restarted the 2·MSL timer.
    t.advance(59_000_000);
    expect(c.stateName).toBe('TIME-WAIT');
    const isnBefore = t.localIsn;
    t.in('S', 100, 0, { win: 32792 });
    const synAck = t.next();
    expect(synAck.flags).toBe(0x12);
    expect(((synAck.seq - isnBefore!) | 0) > 65535).toBe(true);
    expect(t.counters.TcpExtTWRecycled).toBe(1);
  });

  it('an orphan in FIN-WAIT-2 goes away after TCP_LINGER2 (gVisor fin_wait2_timeout)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.setOptions({ linger2S: 1 });
    c.close();
    t.out('F.', 1, 0, { ack: 1 });
    t.in('.', 1, 0, { ack: 2, win: 257 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    t.advance(1_000_000);
    expect(c.stateName).toBe('CLOSED');
    t.advance(1_000_000);
    t.in('.', 1, 0, { ack: 2, win: 257 });
    t.out('R', 2, 0, { win: 0 });
    expect(t.ctx.timers.size).toBe(0);
  });
});

describe('keepalive and user timeout', () => {
  it('probes after TCP_KEEPIDLE with SEQ = SND.UNA − 1, every TCP_KEEPINTVL, and resets after TCP_KEEPCNT', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    let err: string | null = null;
    c.setHandler({ onClosed: (_c, e) => (err = e) });
    c.setOptions({ keepAlive: true, keepIdleS: 10, keepIntvlS: 2, keepCnt: 3 });
    t.quietFor(9_999_999);
    t.advance(1);
    t.out('.', 0, 0, { ack: 1 });
    t.in('.', 1, 0, { ack: 1, win: 257 }); // answered: idle again
    t.quietFor(9_999_999);
    t.advance(1);
    t.out('.', 0, 0, { ack: 1 });
    t.quietFor(1_999_999);
    t.advance(1);
    t.out('.', 0, 0, { ack: 1 });
    t.advance(2_000_000);
    t.out('.', 0, 0, { ack: 1 });
    t.advance(2_000_000);
    t.out('R.', 1, 0, { ack: 1 });
    expect(err).toBe('ETIMEDOUT');
    expect(t.counters.TcpExtTCPKeepAlive).toBe(4);
  });

  it('TCP_USER_TIMEOUT aborts a connection whose data goes unacknowledged', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.setOptions({ userTimeoutMs: 3000 });
    c.write(new Uint8Array(100));
    t.out('P.', 1, 100, { ack: 1 });
    t.clock.runUntil(() => c.stateName === 'CLOSED', { maxUs: 10_000_000 });
    expect(c.error).toBe('ETIMEDOUT');
    expect(t.clock.now()).toBeLessThanOrEqual(3_000_000 + 1000);
    expect(t.clock.now()).toBeGreaterThanOrEqual(3_000_000);
    expect(t.ctx.timers.size).toBe(0);
  });
});
