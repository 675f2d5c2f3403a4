import { describe, expect, it } from 'vitest';
import { REMOTE, Testbed } from './helpers/testbed.js';

const SYN_OPTS_LINUX = 'mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8';

describe('passive open (LISTEN → SYN-RECEIVED → ESTABLISHED)', () => {
  it('answers a SYN with Linux option layouts for each offer (conformance §1.8)', () => {
    const cases: Array<[string, string]> = [
      ['mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8'],
      ['mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8'],
      ['mss 1000,sackOK,nop,nop', 'mss 1460,nop,nop,sackOK'],
      ['mss 1000,sackOK,TS val 100 ecr 0', 'mss 1460,sackOK,TS val 100 ecr 100'],
      ['mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7', 'mss 1460,sackOK,TS val 100 ecr 7,nop,wscale 8'],
      ['', 'mss 1460'],
    ];
    for (const [syn, synAck] of cases) {
      const t = new Testbed();
      t.tcp.listen({ port: 8080 });
      t.in('S', 0, 0, { win: 32792, opts: syn });
      t.out('S.', 0, 0, { ack: 1, opts: synAck });
      t.none();
    }
  });

  it('offers a window of whole segments in the SYN-ACK (65160 with TS, 64240 without)', () => {
    const t = new Testbed();
    t.tcp.listen({ port: 8080 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, win: 65160, opts: '*' });
    const t2 = new Testbed();
    t2.tcp.listen({ port: 8080 });
    t2.in('S', 0, 0, { win: 32792, opts: 'mss 1460,nop,wscale 7' });
    t2.out('S.', 0, 0, { ack: 1, win: 64240, opts: '*' });
  });

  it('retransmits the SYN-ACK with backoff, re-answers a retransmitted SYN, then gives up silently', () => {
    const t = new Testbed({ synackRetries: 2 });
    const l = t.tcp.listen({ port: 8080 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1000,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,wscale 8' });
    t.quietFor(999_000);
    t.advance(1000);
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,wscale 8' });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1000,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,wscale 8' });
    t.quietFor(1_999_000);
    t.advance(1000);
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,wscale 8' });
    t.advance(4_000_000);
    t.none();
    expect(l.halfOpen).toBe(0);
    expect(t.tcp.connectionCount).toBe(0);
    expect(t.counters.TcpAttemptFails).toBe(1);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.out('R', 1, 0);
  });

  it('completes on an ACK that carries data and ACKs it at once (gVisor accept_ack_drop)', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, backlog: 1 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,nop,nop,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: '*' });
    t.in('.', 1, 4, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 5 });
    const c = l.accept()!;
    expect(c.read().length).toBe(4);
    c.close();
    t.out('F.', 1, 0, { ack: 5 });
    t.in('F.', 5, 0, { ack: 2, win: 257 });
    t.out('.', 2, 0, { ack: 6 });
    expect(c.stateName).toBe('TIME-WAIT');
    expect(t.counters.TcpPassiveOpens).toBe(1);
    expect(t.counters.TcpCurrEstab).toBe(0);
  });

  it('answers a bad ACK in SYN-RECEIVED with <SEQ=SEG.ACK><CTL=RST>', () => {
    const t = new Testbed();
    t.tcp.listen({ port: 8080 });
    t.in('S', 0, 0, { win: 32792 });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
    t.in('.', 1, 0, { ack: 5, win: 257 });
    t.out('R', 5, 0);
    expect(t.tcp.connectionList()[0]!.stateName).toBe('SYN-RECEIVED');
  });

  it('drops SYNs while the accept queue is full (ListenOverflows)', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, backlog: 1 });
    for (let i = 0; i < 2; i++) {
      t.remotePort = 40000 + i; t.localIsn = null;
      t.in('S', 0, 0, { win: 32792 });
      t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
      t.in('.', 1, 0, { ack: 1, win: 257 });
    }
    expect(l.pending).toBe(2); // Linux: full when more than `backlog` wait
    t.remotePort = 40002;
    t.in('S', 0, 0, { win: 32792 });
    t.none();
    expect(t.counters.TcpExtListenOverflows).toBe(1);
    expect(t.counters.TcpExtListenDrops).toBe(1);
  });

  it('keeps the half-open child when the final ACK finds the accept queue full, then completes later', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, backlog: 2 });
    const open = (port: number): number => {
      t.remotePort = port; t.localIsn = null;
      t.in('S', 0, 0, { win: 32792 });
      t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
      return t.localIsn!;
    };
    for (const port of [40000, 40001]) {
      open(port);
      t.in('.', 1, 0, { ack: 1, win: 257 });
    }
    const isnC = open(40002);
    open(40003);
    t.in('.', 1, 0, { ack: 1, win: 257 }); // D completes: 3 waiting
    expect(l.pending).toBe(3);
    t.remotePort = 40002; t.localIsn = isnC;
    t.in('.', 1, 0, { ack: 1, win: 257 }); // C's ACK is dropped
    t.none();
    expect(l.pending).toBe(3);
    expect(l.halfOpen).toBe(1);
    expect(t.counters.TcpExtListenOverflows).toBe(1);
    l.accept();
    l.accept();
    t.advance(1_000_000);
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
    t.in('.', 1, 0, { ack: 1, win: 257 });
    expect(l.pending).toBe(2);
  });

  it('resets stray segments: ACK to a listener, segments to closed ports, never RST a RST (gVisor scripts)', () => {
    const t = new Testbed();
    t.tcp.listen({ port: 8080 });
    t.in('.', 1, 0, { ack: 1, win: 32792, raw: true });
    t.out('R', 1, 0, { win: 0 });
    t.localPort = 9;
    t.in('S', 0, 0, { win: 32792, raw: true });
    // No ACK on the SYN: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    const r = t.next();
    expect([r.flags, r.seq, r.ack, r.window]).toEqual([0x14, 0, 1, 0]);
    t.in('R', 5, 0, { win: 0, raw: true });
    t.in('R.', 5, 0, { ack: 7, win: 0, raw: true });
    t.none();
    expect(t.counters.TcpOutRsts).toBe(2);
  });

  it('listener close drops half-open children silently and resets unaccepted ones', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, backlog: 4 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,nop,nop,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: '*' });
    t.advance(100_000);
    l.close();
    t.none();
    t.advance(100_000);
    t.in('P.', 1, 0, { ack: 1, win: 257 });
    t.out('R', 1, 0, { win: 0 });
    const t2 = new Testbed();
    const l2 = t2.tcp.listen({ port: 8080, backlog: 4 });
    t2.in('S', 0, 0, { win: 32792 });
    t2.out('S.', 0, 0, { ack: 1, opts: '*' });
    t2.in('.', 1, 0, { ack: 1, win: 257 });
    l2.close();
    t2.out('R.', 1, 0, { ack: 1 });
  });
});

describe('active open (SYN-SENT)', () => {
  it('sends Linux SYN options, ACKs the SYN-ACK, and reports connected once', () => {
    const t = new Testbed();
    let connected = 0;
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080, handler: { onConnected: () => connected++ } });
    expect(c.stateName).toBe('SYN-SENT');
    t.out('S', 0, 0, { win: 64240, opts: SYN_OPTS_LINUX });
    t.advance(100_000);
    t.in('S.', 0, 0, { ack: 1, win: 5792, opts: 'mss 1460,nop,wscale 2,nop,nop,sackOK' });
    t.out('.', 1, 0, { ack: 1 });
    expect(connected).toBe(1);
    expect(c.info()).toMatchObject({ state: 'ESTABLISHED', mss: 1460, sndWscale: 2, rcvWscale: 8, sack: true, timestamps: false, srttUs: 100_000, cwnd: 10 });
    expect(t.counters.TcpActiveOpens).toBe(1);
    expect(t.counters.TcpCurrEstab).toBe(1);
  });

  it('honours TCP_MAXSEG in the SYN and in segment sizes (mss-setsockopt-tcp_maxseg-client)', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080, options: { maxSeg: 1100 } });
    t.out('S', 0, 0, { opts: 'mss 1100,sackOK,TS val 100 ecr 0,nop,wscale 8' });
    t.in('S.', 0, 0, { ack: 1, win: 32792, opts: 'mss 1460,nop,wscale 7' });
    t.out('.', 1, 0, { ack: 1 });
    expect(c.write(new Uint8Array(12000))).toBe(12000);
    // packetdrill: `P. 1:11001(11000)`. No RTT to speak of: two half-cwnd bursts, each ending with PSH.
    t.outBurst(1, 5, 1100, { ack: 1 });
    t.outBurst(5501, 5, 1100, { ack: 1 });
    t.none(); // IW10 used up
    t.in('.', 1, 0, { ack: 2201, win: 257 });
    t.out('P.', 11001, 1000, { ack: 1 });
  });

  it('retransmits the SYN at 1 s, then 2 s later, then fails with ETIMEDOUT (packet-timeout, syn_retries=1)', () => {
    const t = new Testbed({ synRetries: 1 });
    let err: string | null = 'none';
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080, handler: { onClosed: (_c, e) => (err = e) } });
    t.out('S', 0, 0, { opts: SYN_OPTS_LINUX });
    t.quietFor(999_999);
    t.advance(1);
    t.out('S', 0, 0, { opts: 'mss 1460,sackOK,TS val 1100 ecr 0,nop,wscale 8' });
    t.quietFor(1_999_999);
    expect(c.stateName).toBe('SYN-SENT');
    t.advance(1);
    t.none();
    expect(c.stateName).toBe('CLOSED');
    expect(err).toBe('ETIMEDOUT');
    expect(c.error).toBe('ETIMEDOUT');
    expect(t.counters.TcpAttemptFails).toBe(1);
    expect(t.ctx.timers.size).toBe(0);
  });

  it('is refused by a RST that acknowledges the SYN, and ignores one that does not', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    t.out('S', 0, 0, { opts: '*' });
    t.in('R.', 0, 0, { ack: 5, win: 0 });
    t.none();
    expect(c.stateName).toBe('SYN-SENT');
    t.in('R.', 0, 0, { ack: 1, win: 0 });
    expect(c.stateName).toBe('CLOSED');
    expect(c.error).toBe('ECONNREFUSED');
  });

  it('answers a SYN-ACK with an unacceptable ACK with RST <SEQ=SEG.ACK>', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    t.out('S', 0, 0, { opts: '*' });
    t.in('S.', 0, 0, { ack: 77, win: 1000 });
    t.out('R', 77, 0);
    expect(c.stateName).toBe('SYN-SENT');
  });

  it('close() in SYN-SENT sends nothing; the late SYN-ACK gets a RST (close-on-syn-sent)', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    t.out('S', 0, 0, { opts: '*' });
    c.close();
    t.none();
    t.advance(100_000);
    t.in('S.', 0, 0, { ack: 1, win: 32000, opts: 'mss 1460,nop,wscale 7' });
    t.out('R', 1, 0);
    expect(t.ctx.timers.size).toBe(0);
  });

  it('simultaneous open: SYN in SYN-SENT → SYN-ACK, then ESTABLISHED on the ACK (RFC 9293 Figure 7)', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    t.out('S', 0, 0, { opts: SYN_OPTS_LINUX });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7' });
    expect(c.stateName).toBe('SYN-RECEIVED');
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,sackOK,TS val 100 ecr 5,nop,wscale 8' });
    t.in('S.', 0, 0, { ack: 1, win: 32792, opts: 'mss 1460,sackOK,TS val 6 ecr 100,nop,wscale 7' });
    expect(c.stateName).toBe('ESTABLISHED');
  });
});
