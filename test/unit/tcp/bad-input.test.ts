import { describe, expect, it } from 'vitest';
import { ACK, buildTcp, FIN, formatTcpFlags, PSH, RST, SYN, URG } from '../../../src/tcp/header.js';
import { LOCAL, REMOTE, Testbed } from './helpers/testbed.js';

type StateName =
  | 'CLOSED' | 'LISTEN' | 'SYN-SENT' | 'SYN-RECEIVED' | 'ESTABLISHED' | 'FIN-WAIT-1' | 'FIN-WAIT-2'
  | 'CLOSE-WAIT' | 'CLOSING' | 'LAST-ACK' | 'TIME-WAIT';

/** A connection in `state`, with the relative RCV.NXT / SND.NXT the peer must use. */
function fixture(state: StateName, remoteIsn = 1_000_000): { t: Testbed; rcvNxt: number; sndNxt: number } {
  const t = new Testbed();
  t.remoteIsn = remoteIsn;
  const est = (): ReturnType<Testbed['passiveOpen']> => t.passiveOpen();
  switch (state) {
    case 'CLOSED': return { t, rcvNxt: 0, sndNxt: 0 };
    case 'LISTEN': t.tcp.listen({ port: 8080 }); return { t, rcvNxt: 0, sndNxt: 0 };
    case 'SYN-SENT': {
      t.tcp.connect({ remoteAddress: REMOTE, remotePort: t.remotePort, localPort: t.localPort });
      t.out('S', 0, 0, { opts: '*' });
      return { t, rcvNxt: 0, sndNxt: 1 };
    }
    case 'SYN-RECEIVED':
      t.tcp.listen({ port: 8080 });
      t.in('S', 0, 0, { win: 1000 });
      t.out('S.', 0, 0, { ack: 1, opts: '*' });
      return { t, rcvNxt: 1, sndNxt: 1 };
    case 'ESTABLISHED': est(); return { t, rcvNxt: 1, sndNxt: 1 };
    case 'FIN-WAIT-1': { const { c } = est(); c.close(); t.out('F.', 1, 0, { ack: 1 }); return { t, rcvNxt: 1, sndNxt: 2 }; }
    case 'FIN-WAIT-2': {
      const { c } = est(); c.shutdown('write'); t.out('F.', 1, 0, { ack: 1 }); t.in('.', 1, 0, { ack: 2, win: 257 });
      return { t, rcvNxt: 1, sndNxt: 2 };
    }
    case 'CLOSE-WAIT': est(); t.in('F.', 1, 0, { ack: 1, win: 257 }); t.out('.', 1, 0, { ack: 2 }); return { t, rcvNxt: 2, sndNxt: 1 };
    case 'LAST-ACK': {
      const { c } = est(); t.in('F.', 1, 0, { ack: 1, win: 257 }); t.out('.', 1, 0, { ack: 2 }); c.close(); t.out('F.', 1, 0, { ack: 2 });
      return { t, rcvNxt: 2, sndNxt: 2 };
    }
    case 'CLOSING': {
      const { c } = est(); c.close(); t.out('F.', 1, 0, { ack: 1 }); t.in('F.', 1, 0, { ack: 1, win: 257 }); t.out('.', 2, 0, { ack: 2 });
      return { t, rcvNxt: 2, sndNxt: 2 };
    }
    case 'TIME-WAIT': {
      const { c } = est(); c.close(); t.out('F.', 1, 0, { ack: 1 }); t.in('F.', 1, 0, { ack: 2, win: 257 }); t.out('.', 2, 0, { ack: 2 });
      return { t, rcvNxt: 2, sndNxt: 2 };
    }
  }
}

const STATES: StateName[] = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'];
const SYNCHRONIZED = new Set<StateName>(['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']);

function stateOf(t: Testbed): string {
  const c = t.tcp.connectionList()[0];
  return c ? c.stateName : 'CLOSED';
}

describe('every flag combination in every state', () => {
  for (const state of STATES) {
    it(`${state}: no exception, and the RFC's answer`, () => {
      for (let bits = 0; bits < 64; bits++) {
        const flags = bits & (FIN | SYN | RST | PSH | ACK | URG);
        for (const where of ['in-window', 'old', 'far'] as const) {
          const { t, rcvNxt, sndNxt } = fixture(state);
          const before = stateOf(t);
          const seq = where === 'in-window' ? rcvNxt : where === 'old' ? rcvNxt - 100_000 : rcvNxt + 3_000_000;
          const inSegs = t.counters.TcpInSegs;
          expect(() => t.in(formatTcpFlags(flags), seq, 0, { ack: sndNxt, win: 1000 })).not.toThrow();
          expect(t.counters.TcpInSegs).toBe(inSegs + 1);
          const replies = t.pending();
          const label = `${state} ${formatTcpFlags(flags)} ${where}: ${replies.map((r) => formatTcpFlags(r.flags)).join(' ')}`;
          // Never answer a RST (RFC 9293 §3.10.7.1), never more than one reply.
          if (flags & RST) expect(replies, label).toEqual([]);
          expect(replies.length, label).toBeLessThanOrEqual(1);
          const reply = replies[0];
          if (state === 'CLOSED') {
            if (!(flags & RST)) expect(reply && (reply.flags & RST) !== 0, label).toBe(true);
          } else if (state === 'LISTEN') {
            if (flags & RST) continue;
            if (flags & ACK) expect(reply?.flags, label).toBe(RST);
            else if (flags & SYN) expect(reply?.flags, label).toBe(SYN | ACK);
            else expect(reply, label).toBeUndefined();
          } else if (SYNCHRONIZED.has(state) && where === 'in-window') {
            if (flags & RST) {
              expect(stateOf(t), label).toBe(state === 'TIME-WAIT' ? 'TIME-WAIT' : 'CLOSED'); // RFC 1337 for TIME-WAIT
            } else if (flags & SYN) {
              expect(reply?.flags, label).toBe(ACK); // RFC 5961 §4 challenge ACK
              expect(stateOf(t), label).toBe(before);
            } else if (!(flags & ACK)) {
              expect(reply, label).toBeUndefined(); // "if the ACK bit is off drop the segment"
              expect(stateOf(t), label).toBe(before);
            } else if (reply) {
              expect(reply.flags & ~FIN & ~PSH, label).toBe(ACK);
            }
          } else if (state === 'TIME-WAIT' && (flags & (SYN | ACK | RST)) === SYN && where === 'far') {
            // A new SYN beyond the old connection reopens the 4-tuple (Linux tcp_timewait_state_process).
            expect(reply?.flags, label).toBe(SYN | ACK);
          } else if (SYNCHRONIZED.has(state)) {
            // Unacceptable sequence number: an ACK (RFC 9293 §3.10.7.4) unless RST, or a challenge ACK for SYN.
            if (!(flags & RST)) expect(reply?.flags, label).toBe(ACK);
            expect(stateOf(t), label).toBe(before);
          } else if (reply) {
            expect([ACK, RST, SYN | ACK, RST | ACK].includes(reply.flags), label).toBe(true);
          }
        }
      }
    });
  }
});

describe('malformed segments', () => {
  it('bad data offsets, truncated options and bad checksums are dropped and counted, in every state', () => {
    for (const state of STATES) {
      const { t } = fixture(state);
      const good = buildTcp({ srcPort: t.remotePort, dstPort: t.localPort, seq: t.remoteIsn + 1, ack: 0, flags: ACK, window: 100 }, REMOTE, LOCAL);
      const cases: Uint8Array[] = [];
      for (const off of [0, 1, 4, 6, 15]) {
        const b = good.slice();
        b[12] = off << 4;
        cases.push(b);
      }
      cases.push(good.subarray(0, 19));
      cases.push(buildTcp({ srcPort: t.remotePort, dstPort: t.localPort, flags: ACK, options: new Uint8Array([1, 8, 10, 0]) }, REMOTE, LOCAL));
      cases.push(buildTcp({ srcPort: t.remotePort, dstPort: t.localPort, flags: ACK, options: new Uint8Array([30, 0, 0, 0]) }, REMOTE, LOCAL));
      const bad = good.slice();
      bad[16]! ^= 1;
      cases.push(bad);
      const errs = t.counters.TcpInErrs;
      for (const b of cases) expect(() => t.inRaw(b)).not.toThrow();
      expect(t.counters.TcpInErrs - errs, state).toBe(cases.length);
      expect(t.counters.TcpInCsumErrors, state).toBe(1);
      t.none();
    }
  });

  it('carries data across the 2^32 sequence wrap in both directions', () => {
    const { t } = fixture('ESTABLISHED', 0xffffff00);
    const c = t.tcp.connectionList()[0]!;
    const data = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    t.in('.', 1, 0x80, { ack: 1, win: 257, data: data.subarray(0, 0x80) }); // up to 2^32 exactly
    t.out('.', 1, 0, { ack: 0x81 });
    t.in('.', 0x81, 600 - 0x80, { ack: 1, win: 257, data: data.subarray(0x80) });
    t.out('.', 1, 0, { ack: 601 });
    expect(Array.from(c.read())).toEqual(Array.from(data));
    // Out of order across the wrap: the later part first.
    t.in('.', 901, 100, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 601, opts: 'nop,nop,sack 901:1001' });
    t.in('.', 601, 300, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 1001 });
  });
});
