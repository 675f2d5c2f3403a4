import { describe, expect, it } from 'vitest';
import { Testbed } from './helpers/testbed.js';

const NO_TS_SACK = 'mss 1460,sackOK,nop,nop,nop,wscale 7';

describe('receiving (ESTABLISHED)', () => {
  it('quick-ACKs at connection start, then delays ACKs 40 ms or every second full segment', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    let seq = 1;
    // Quick-ACK mode: every segment is acknowledged at once (blocking-read.pkt, ioctl-siocinq-fin.pkt).
    for (let i = 0; i < 16; i++) {
      t.in('P.', seq, 1000, { ack: 1, win: 257 });
      seq += 1000;
      t.out('.', 1, 0, { ack: seq });
      c.read();
    }
    // Quick ACKs used up: one full segment without PSH waits for the delayed-ACK
    // timer (40 ms) even when read (with PSH, reading it would ACK: delack.test.ts).
    t.in('.', seq, 1000, { ack: 1, win: 257 });
    seq += 1000;
    c.read();
    t.quietFor(39_999);
    t.advance(1);
    t.out('.', 1, 0, { ack: seq });
    expect(t.counters.TcpExtDelayedACKs).toBe(1);
    // Two full segments: ACK on the second (RFC 5681 §4.2 / RFC 1122 §4.2.3.2).
    t.advance(10);
    t.in('.', seq, 1000, { ack: 1, win: 257 });
    t.none();
    t.in('.', seq + 1000, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: seq + 2000 });
  });

  it('ACKs out-of-order data at once with SACK blocks, most recent first, then the filled hole', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen(NO_TS_SACK);
    t.in('.', 1001, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1, opts: 'nop,nop,sack 1001:2001' });
    t.in('.', 3001, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1, opts: 'nop,nop,sack 3001:4001 1001:2001' });
    t.in('.', 1, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 2001, opts: 'nop,nop,sack 3001:4001' });
    t.in('.', 2001, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 4001 });
    expect(c.read().length).toBe(4000);
    expect(t.counters.TcpExtTCPOFOQueue).toBe(2);
  });

  it('reports a duplicate with D-SACK (RFC 2883) and ACKs it immediately', () => {
    const t = new Testbed();
    t.passiveOpen(NO_TS_SACK);
    t.in('.', 1, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1001 });
    t.in('.', 1, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1001, opts: 'nop,nop,sack 1:1001' });
    expect(t.counters.TcpExtTCPDSACKOldSent).toBe(1);
  });

  it('drops a segment without ACK in ESTABLISHED (validate-established-no-flags)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop', 'mss 1460,nop,nop,sackOK');
    t.in('-', 1, 1000, { win: 20000 });
    expect(c.readableLength).toBe(0);
    t.none();
    t.in('.', 1, 1000, { ack: 1, win: 20000 });
    expect(c.readableLength).toBe(1000);
  });

  it('closes the window as the buffer fills and reopens it with an update when the application reads', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, options: { rcvBuf: 8192 } });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1000,nop,wscale 7' });
    // 4096 bytes of window space, in whole 1460-byte segments: 2920.
    t.out('S.', 0, 0, { ack: 1, win: 2920, opts: 'mss 1460,nop,wscale 8' });
    t.in('.', 1, 0, { ack: 1, win: 257 });
    const c = l.accept()!;
    // Feed 1000-byte segments; the right edge (ACK + window) never moves back (RFC 9293 §3.8.6.2.2)
    // and the window closes to 0 once less than an MSS is free with the buffer over half full.
    let seq = 1;
    let edge = 1 + 2920;
    for (;;) {
      t.in('.', seq, 1000, { ack: 1, win: 257 });
      seq += 1000;
      if (t.pending().length === 0) t.advance(40_000); // quick ACKs used up: the delayed ACK
      const a = t.next();
      expect(a.ack - t.remoteIsn).toBe(seq);
      const right = seq + (a.window << 8);
      expect(right).toBeGreaterThanOrEqual(edge);
      edge = right;
      if (a.window === 0) break;
      expect(seq).toBeLessThan(5000);
    }
    // Rounding the kept edge up to the scale unit (as Linux's ALIGN) lets a little more in than 4096.
    expect(seq).toBeLessThanOrEqual(5001);
    expect(c.read().length).toBe(seq - 1);
    t.out('.', 1, 0, { ack: seq, win: 16 }); // the whole 4096 bytes again
    t.none();
  });
});

describe('sending (ESTABLISHED)', () => {
  it('sends IW10 in bursts of half cwnd, then waits for ACKs; PSH ends each burst', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    expect(c.write(new Uint8Array(10000))).toBe(10000);
    // No RTT to speak of (ACK at +0): the pacing rate allows 64 KiB bursts,
    // so Linux's half-cwnd quota (tcp_cwnd_test) splits IW10 into 5 + 5.
    t.outBurst(1, 5, 1000, { ack: 1 });
    t.outBurst(5001, 5, 1000, { ack: 1 });
    expect(c.write(new Uint8Array(3000))).toBe(3000);
    t.none();
    t.in('.', 1, 0, { ack: 2001, win: 257 });
    // Slow start: two segments acknowledged grow cwnd by two, so 4 may go; 3 wait.
    t.out('.', 10001, 1000, { ack: 1 });
    t.out('.', 11001, 1000, { ack: 1 });
    t.out('P.', 12001, 1000, { ack: 1 });
    t.none();
  });

  it('Nagle holds a second small segment until the first is acknowledged; NODELAY does not', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    c.write(new Uint8Array(10));
    t.out('P.', 1, 10, { ack: 1 });
    c.write(new Uint8Array(10));
    c.write(new Uint8Array(10));
    t.none();
    t.in('.', 1, 0, { ack: 11, win: 257 });
    t.out('P.', 11, 20, { ack: 1 });
    c.setOptions({ noDelay: true });
    c.write(new Uint8Array(5));
    t.out('P.', 31, 5, { ack: 1 });
  });

  it('TCP_CORK holds partial segments until uncorked, full ones go out', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    c.setOptions({ cork: true });
    c.write(new Uint8Array(500));
    t.none();
    c.write(new Uint8Array(700));
    t.out('.', 1, 1000, { ack: 1 });
    t.none();
    c.setOptions({ cork: false });
    t.out('P.', 1001, 200, { ack: 1 });
  });

  it('probes a zero window with backoff (persist timer) and resumes when it opens', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    t.in('.', 1, 0, { ack: 1, win: 0 });
    c.write(new Uint8Array(2000));
    t.none();
    // RTO is 300 ms here (srtt 0 → initial 1 s before a sample; the handshake gave none).
    const probeAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = t.clock.now();
      t.clock.runUntil(() => t.pending().length > 0, { maxUs: 10_000_000 });
      probeAt.push(t.clock.now() - before);
      t.out('.', 0, 0, { ack: 1 }); // SEG.SEQ = SND.UNA − 1
      t.in('.', 1, 0, { ack: 1, win: 0 });
    }
    expect(probeAt[1]).toBe(2 * probeAt[0]!);
    expect(probeAt[2]).toBe(2 * probeAt[1]!);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.out('.', 1, 1000, { ack: 1 });
    t.out('P.', 1001, 1000, { ack: 1 });
    expect(t.counters.TcpExtTCPWinProbe).toBe(3);
  });

  it('fast retransmit after three duplicate ACKs (fr-4pkt.pkt, no SACK)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    expect(c.write(new Uint8Array(5840))).toBe(5840);
    // RTT 100 ms: about 1 ms of data at the pacing rate is less than two
    // segments, so bursts hold tcp_min_tso_segs (2) segments each.
    t.outBurst(1, 2, 1460, { ack: 1 });
    t.outBurst(2921, 2, 1460, { ack: 1 });
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.none();
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.out('.', 1, 1460, { ack: 1 });
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 5841, win: 257 });
    t.none();
    t.advance(100_000);
    c.close();
    t.out('F.', 5841, 0, { ack: 1 });
    t.advance(100_000);
    t.in('F.', 1, 0, { ack: 5842, win: 257 });
    t.out('.', 5842, 0, { ack: 2 });
    expect(t.counters.TcpRetransSegs).toBe(1);
    expect(t.counters.TcpExtTCPRenoRecovery).toBe(1);
  });

  it('fast retransmit with SACK (fr-4pkt-sack.pkt)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(5840));
    for (let i = 0; i < 4; i += 2) t.outBurst(1 + 1460 * i, 2, 1460, { ack: 1 });
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:2921,nop,nop' });
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:4381,nop,nop' });
    t.none();
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:5841,nop,nop' });
    t.out('.', 1, 1460, { ack: 1 });
    t.in('.', 1, 0, { ack: 5841, win: 257 });
    t.none();
    expect(c.info().inRecovery).toBe(false);
    expect(t.counters.TcpExtTCPSackRecovery).toBe(1);
  });

  it('retransmits on RTO with exponential backoff (RFC 6298 §5)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    // No RTT sample in the handshake (ACK at +0): RTO = srtt 1 µs + 200 ms floor.
    c.write(new Uint8Array(100));
    t.out('P.', 1, 100, { ack: 1 });
    const rto = c.info().rtoUs;
    t.quietFor(rto - 1);
    t.advance(1);
    t.out('P.', 1, 100, { ack: 1 });
    t.quietFor(2 * rto - 1);
    t.advance(1);
    t.out('P.', 1, 100, { ack: 1 });
    expect(c.info().backoff).toBe(2);
    t.in('.', 1, 0, { ack: 101, win: 257 });
    expect(c.info().backoff).toBe(0);
    expect(t.counters.TcpExtTCPTimeouts).toBe(2);
  });
});

describe('RACK-TLP (RFC 8985)', () => {
  it('sends a tail loss probe (the last segment) after 2·SRTT + 2 ms, then the RTO', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(2920));
    t.out('.', 1, 1460, { ack: 1 });
    t.out('P.', 1461, 1460, { ack: 1 });
    const pto = 2 * c.info().srttUs + 2000;
    t.quietFor(pto - 1);
    t.advance(1);
    t.out('P.', 1461, 1460, { ack: 1 }); // the probe: the highest segment again
    expect(t.counters.TcpExtTCPLossProbes).toBe(1);
    // One RTT later the probe is SACKed: RACK marks the first segment lost (sent before it, RTT + reo_wnd ago).
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:2921,nop,nop' });
    t.out('.', 1, 1460, { ack: 1 });
    t.in('.', 1, 0, { ack: 2921, win: 257 });
    expect(c.info().inRecovery).toBe(false);
    t.none();
  });

  it('marks a lost retransmission lost again by time, without waiting for an RTO', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(1460 * 6));
    for (let i = 0; i < 6; i += 2) t.outBurst(1 + 1460 * i, 2, 1460, { ack: 1 });
    t.advance(100_000);
    // Segment 1 is lost; 2..4 are SACKed: recovery, retransmit 1.
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:2921,nop,nop' });
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:4381,nop,nop' });
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:5841,nop,nop' });
    t.out('.', 1, 1460, { ack: 1 });
    // New data goes out after the retransmission as SACKs arrive (PRR).
    c.write(new Uint8Array(1460 * 2));
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:8761,nop,nop' });
    const sent = t.pending().filter((x) => x.payload.length > 0);
    expect(sent.length).toBeGreaterThan(0);
    while (t.pending().length) t.next();
    const retransBefore = t.counters.TcpRetransSegs;
    // The retransmission of 1 is lost too; the new data is SACKed an RTT later.
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:11681,nop,nop' });
    t.out('.', 1, 1460, { ack: 1 }); // RACK: sent before a delivered segment, RTT ago → lost again
    expect(t.counters.TcpRetransSegs).toBe(retransBefore + 1);
    expect(t.counters.TcpExtTCPTimeouts).toBe(0);
  });
});

describe('undo of spurious retransmissions', () => {
  it('restores cwnd when a D-SACK shows the fast retransmission was not needed (RFC 2883 §4.2, Linux undo)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(1460 * 6));
    for (let i = 0; i < 6; i += 2) t.outBurst(1 + 1460 * i, 2, 1460, { ack: 1 });
    const cwndBefore = c.info().cwndBytes;
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:2921,nop,nop' });
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:4381,nop,nop' });
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 1461:5841,nop,nop' });
    t.out('.', 1, 1460, { ack: 1 });
    expect(c.info().inRecovery).toBe(true);
    // The original arrived after all (reordering): everything is ACKed, and the retransmission is D-SACKed.
    t.in('.', 1, 0, { ack: 8761, win: 257, opts: 'sack 1:1461,nop,nop' });
    expect(c.info().inRecovery).toBe(false);
    expect(t.counters.TcpExtTCPFullUndo).toBe(1);
    expect(t.counters.TcpExtTCPDSACKRecv).toBe(1);
    expect(c.info().cwndBytes).toBeGreaterThanOrEqual(cwndBefore);
  });
});
