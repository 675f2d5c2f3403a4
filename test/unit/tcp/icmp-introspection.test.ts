import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type TcpStateTraceMessage } from '../../../src/core/trace.js';
import type { IcmpErrorReport } from '../../../src/ip/types.js';
import { LOCAL, REMOTE, Testbed } from './helpers/testbed.js';

function report(t: Testbed, kind: string, quotedSeg: Uint8Array, mtu = 0): IcmpErrorReport {
  return {
    family: 4, kind, type: 3, code: kind === 'frag-needed' ? 4 : 3, mtu, reporter: REMOTE, src: LOCAL, dst: REMOTE,
    protocol: 6, quoted: quotedSeg.subarray(0, 8), errno: kind === 'port-unreachable' ? 'ECONNREFUSED' : 'EHOSTUNREACH',
  };
}

describe('ICMP errors (RFC 5927, RFC 1191)', () => {
  it('a port unreachable aborts a connection in SYN-SENT with ECONNREFUSED', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    const syn = t.ip.sent[0]!.bytes;
    t.next();
    t.ip.deliverError(report(t, 'port-unreachable', syn));
    expect(c.stateName).toBe('CLOSED');
    expect(c.error).toBe('ECONNREFUSED');
  });

  it('ignores errors quoting a sequence number outside SND.UNA..SND.NXT (RFC 5927 §4.1)', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080 });
    const syn = t.ip.sent[0]!.bytes.slice();
    syn[7]! ^= 0x55;
    t.ip.deliverError(report(t, 'port-unreachable', syn));
    expect(c.stateName).toBe('SYN-SENT');
  });

  it('treats unreachables as soft errors once established; reports them on timeout', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.write(new Uint8Array(100));
    const seg = t.ip.sent[t.ip.sent.length - 1]!.bytes;
    t.ip.deliverError(report(t, 'host-unreachable', seg));
    expect(c.stateName).toBe('ESTABLISHED');
    expect(c.softError).toBe('EHOSTUNREACH');
  });

  it('frag-needed lowers the MSS and resends the oversized segments at once (PMTUD)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1460,nop,wscale 7', 'mss 1460,nop,wscale 8');
    c.write(new Uint8Array(2920));
    t.out('.', 1, 1460, { ack: 1 });
    t.out('P.', 1461, 1460, { ack: 1 });
    t.ip.deliverError(report(t, 'frag-needed', t.ip.sent[t.ip.sent.length - 2]!.bytes, 1000));
    expect(c.info().mss).toBe(960);
    const re = t.pending();
    expect(re.length).toBeGreaterThan(0);
    expect(re.every((s) => s.payload.length <= 960)).toBe(true);
    expect((re[0]!.seq - t.localIsn!) | 0).toBe(1);
  });
});

describe('introspection', () => {
  it('connections() shows what ss -tni shows; counters and state-change events follow', () => {
    const t = new Testbed();
    const seen: string[] = [];
    const onMsg = (m: unknown): void => {
      const msg = m as TcpStateTraceMessage;
      if (msg.stack === 'dut') seen.push(`${msg.from}>${msg.to}`);
    };
    diagnostics_channel.subscribe(CHANNELS.tcpState, onMsg);
    try {
      const { c } = t.passiveOpen();
      t.in('.', 1, 500, { ack: 1, win: 257 });
      c.write(new Uint8Array(300));
      const rows = t.tcp.connections();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        state: 'ESTABLISHED', ssState: 'ESTAB', recvQ: 500, sendQ: 300, localPort: 8080, remotePort: 40000,
        cwnd: 10, rcvWscale: 8, sndWscale: 7, sack: true, bytesReceived: 500,
      });
      c.close();
    } finally {
      diagnostics_channel.unsubscribe(CHANNELS.tcpState, onMsg);
    }
    expect(seen).toEqual(['CLOSED>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED', 'ESTABLISHED>CLOSED']);
    expect(t.counters.TcpPassiveOpens).toBe(1);
    expect(t.counters.TcpCurrEstab).toBe(0);
    expect(t.counters.TcpOutRsts).toBe(1); // closed with unread data
  });

  it('an idle ESTABLISHED connection is small: timers and buffers are created lazily', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    expect(c.rtxTimer?.armed ?? false).toBe(false);
    expect(c.delackTimer).toBeNull();
    expect(c.lifeTimer).toBeNull();
    expect(c.ooo).toBeNull();
    expect(c.prr).toBeNull();
    expect(c.sendBuf.length + c.recvBuf.length).toBe(0);
  });
});
