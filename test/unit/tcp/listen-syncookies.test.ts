import { describe, expect, it } from 'vitest';
import { ACK, buildTcp, RST } from '../../../src/tcp/header.js';
import { encodeTcpOptionList } from '../../../src/tcp/options.js';
import { decodeCookieTimestamp } from '../../../src/tcp/syncookies.js';
import { LOCAL, REMOTE, Testbed } from './helpers/testbed.js';

describe('SYN queue overflow → SYN cookies (RFC 4987 §3.6, Linux)', () => {
  it('answers statelessly with a cookie that encodes wscale/SACK in the TSval, and completes on the ACK', () => {
    const t = new Testbed();
    const l = t.tcp.listen({ port: 8080, backlog: 1 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,sackOK,TS val 100 ecr 10,nop,wscale 8' });
    expect(l.halfOpen).toBe(1);
    // A second SYN finds the SYN queue full.
    t.remotePort = 40001; t.remoteIsn = 77_000; t.localIsn = null;
    const connsBefore = t.tcp.connectionCount;
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1400,sackOK,TS val 20 ecr 0,nop,wscale 7' });
    const synAck = t.next();
    expect(synAck.flags).toBe(0x12);
    expect(t.tcp.connectionCount).toBe(connsBefore); // no state kept
    expect(t.counters.TcpExtSyncookiesSent).toBe(1);
    const ts = new DataView(synAck.options.buffer, synAck.options.byteOffset + 8, 8);
    const tsVal = ts.getUint32(0);
    t.localIsn = synAck.seq;
    const ack = (tsEcr: number, ackOff: number): Uint8Array => buildTcp({
      srcPort: 40001, dstPort: 8080, seq: 77_001, ack: (synAck.seq + ackOff) >>> 0, flags: ACK, window: 257,
      options: encodeTcpOptionList([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 21, ecr: tsEcr }]),
    }, REMOTE, LOCAL);
    // A forged cookie (wrong ACK number) fails and is reset.
    t.inRaw(ack(tsVal, 1 + 5 * 2 ** 24));
    expect(t.counters.TcpExtSyncookiesFailed).toBe(1);
    expect(t.next().flags).toBe(RST);
    t.inRaw(ack(tsVal, 1));
    expect(t.counters.TcpExtSyncookiesRecv).toBe(1);
    expect(l.pending).toBe(1);
    const c = l.accept()!;
    expect(c.info()).toMatchObject({ state: 'ESTABLISHED', mss: 1300 - 12, sndWscale: 7, rcvWscale: 8, sack: true, timestamps: true });
    c.write(new Uint8Array(10));
    const d = t.next();
    expect(d.seq).toBe((synAck.seq + 1) >>> 0);
    expect(d.payload.length).toBe(10);
    expect(decodeCookieTimestamp(7 | 16)).toEqual({ wscale: 7, sackPermitted: true, ecn: false });
  });

  it('without a timestamp, the cookie SYN-ACK carries only the MSS', () => {
    const t = new Testbed();
    t.tcp.listen({ port: 8080, backlog: 1 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,nop,nop,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,nop,sackOK,nop,wscale 8' });
    t.remotePort = 40001; t.localIsn = null;
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,nop,nop,nop,wscale 7' });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
    t.in('.', 1, 5, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 6 });
    expect(t.counters.TcpExtSyncookiesRecv).toBe(1);
  });

  it('does not treat ACKs as cookies when none were sent recently (gVisor reset_for_ack_when_no_syn_cookies_in_use)', () => {
    const t = new Testbed();
    t.tcp.listen({ port: 8080, backlog: 1 });
    t.in('.', 1, 0, { ack: 1, win: 32792, raw: true });
    t.out('R', 1, 0, { win: 0 });
    expect(t.counters.TcpExtSyncookiesFailed).toBe(0);
  });

  it('drops instead when syncookies are off (TCPReqQFullDrop)', () => {
    const t = new Testbed({ syncookies: 0 });
    t.tcp.listen({ port: 8080, backlog: 1 });
    t.in('S', 0, 0, { win: 32792 });
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460' });
    t.remotePort = 40001;
    t.in('S', 0, 0, { win: 32792 });
    t.none();
    expect(t.counters.TcpExtTCPReqQFullDrop).toBe(1);
  });
});
