import { describe, expect, it } from 'vitest';
import type { IcmpErrorReport } from '../../../src/ip/types.js';
import { LOCAL, REMOTE, Testbed } from './helpers/testbed.js';

function unreachable(quoted: Uint8Array): IcmpErrorReport {
  return {
    family: 4, kind: 'host-unreachable', type: 3, code: 1, mtu: 0, reporter: REMOTE, src: LOCAL, dst: REMOTE,
    protocol: 6, quoted: quoted.subarray(0, 8), errno: 'EHOSTUNREACH',
  };
}

describe('TcpExtOutOfWindowIcmps (Linux tcp_v4_err)', () => {
  it('counts ICMP errors quoting a sequence number outside [SND.UNA, SND.NXT] and ignores them', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.write(new Uint8Array(100));
    const seg = t.ip.sent[t.ip.sent.length - 1]!.bytes.slice();
    // SND.NXT itself is still in the window (Linux between() is inclusive).
    const atNxt = seg.slice();
    new DataView(atNxt.buffer).setUint32(4, (t.localIsn! + 101) >>> 0);
    t.ip.deliverError(unreachable(atNxt));
    expect(t.counters.TcpExtOutOfWindowIcmps).toBe(0);
    expect(c.softError).toBe('EHOSTUNREACH');
    c.softError = null;
    new DataView(seg.buffer).setUint32(4, (t.localIsn! + 5000) >>> 0);
    t.ip.deliverError(unreachable(seg));
    expect(t.counters.TcpExtOutOfWindowIcmps).toBe(1);
    expect(c.softError).toBeNull();
  });

  it('a passive child in SYN-RECEIVED only accepts errors quoting its ISN', () => {
    const t = new Testbed();
    t.tcp.listen({ port: t.localPort, backlog: 1 });
    t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,nop,wscale 7' });
    const synAck = t.ip.sent[0]!.bytes.slice();
    t.next();
    new DataView(synAck.buffer).setUint32(4, (t.localIsn! + 1) >>> 0);
    t.ip.deliverError(unreachable(synAck));
    expect(t.counters.TcpExtOutOfWindowIcmps).toBe(1);
  });
});

describe('TcpExtTCPRcvQDrop (Linux tcp_data_queue)', () => {
  it('counts in-order data dropped because the receive buffer is full', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8');
    c.setOptions({ rcvBuf: 4000 });
    t.in('.', 1, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1001 });
    t.in('.', 1001, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 2001 });
    t.in('.', 2001, 1000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 3001 });
    expect(t.counters.TcpExtTCPRcvQDrop).toBe(0);
    // The peer overruns the buffer: only 1000 of these 2000 bytes fit.
    t.in('.', 3001, 2000, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 4001 });
    expect(t.counters.TcpExtTCPRcvQDrop).toBe(1);
    expect(c.readableLength).toBe(4000);
  });
});

describe('TcpExtTCPDSACKUndo (Linux tcp_try_undo_dsack, RFC 2883 §4.2)', () => {
  it('a D-SACK arriving after recovery ended proves the retransmission spurious: cwnd is restored', () => {
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
    // Everything is acknowledged: recovery ends without undo (the retransmission is not known spurious yet).
    t.in('.', 1, 0, { ack: 8761, win: 257 });
    expect(c.info().inRecovery).toBe(false);
    expect(t.counters.TcpExtTCPFullUndo).toBe(0);
    const reduced = c.info().cwndBytes;
    expect(reduced).toBeLessThan(cwndBefore);
    // Then the receiver reports the retransmission as a duplicate.
    t.advance(1_000);
    t.in('.', 1, 0, { ack: 8761, win: 257, opts: 'sack 1:1461,nop,nop' });
    expect(t.counters.TcpExtTCPDSACKRecv).toBe(1);
    expect(t.counters.TcpExtTCPDSACKUndo).toBe(1);
    expect(c.info().cwndBytes).toBeGreaterThanOrEqual(cwndBefore);
    // Once undone, a second copy of the report changes nothing.
    t.in('.', 1, 0, { ack: 8761, win: 257, opts: 'sack 1:1461,nop,nop' });
    expect(t.counters.TcpExtTCPDSACKUndo).toBe(1);
  });

  it('a D-SACK during recovery that covers every retransmission ends recovery with the reduction undone', () => {
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
    // The original of 1:1461 was only late: a partial ACK (the last two segments are still on their way) ...
    t.in('.', 1, 0, { ack: 5841, win: 257 });
    expect(c.info().inRecovery).toBe(true);
    expect(t.counters.TcpExtTCPDSACKUndo).toBe(0);
    // ... then the retransmission arrives as a duplicate, reported with a D-SACK below the ACK.
    t.in('.', 1, 0, { ack: 5841, win: 257, opts: 'sack 1:1461,nop,nop' });
    expect(t.counters.TcpExtTCPDSACKUndo).toBe(1);
    expect(c.info().inRecovery).toBe(false);
    expect(c.info().cwndBytes).toBeGreaterThanOrEqual(cwndBefore);
  });
});
