import { describe, expect, it } from 'vitest';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * RFC 8985 §7.2: the PTO is armed when data is sent. An ACK that
 * acknowledges nothing new (here a SACK for one byte, which marks no whole
 * segment) must not push the probe back, as Linux re-arms only on
 * FLAG_SET_XMIT_TIMER (fr-4pkt-fack-last-byte.pkt).
 */
describe('TLP deadline', () => {
  it('keeps the PTO set at send time when an ACK SACKs no whole segment', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(4000));
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[1, 1000], [1001, 1000], [2001, 1000], [3001, 1000]]);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 320, opts: 'sack 4000:4001,nop,nop' });
    t.none();
    // PTO = 2·SRTT + 2 ms from the send (SRTT 100 ms from the handshake): 202 ms.
    t.advance(101_999);
    t.none();
    t.advance(1);
    const probe = drain(t);
    expect(probe.map(([s, l]) => [s, l])).toEqual([[3001, 1000]]);
  });

  it('still moves the PTO when an ACK acknowledges new data', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(4000));
    drain(t);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1001, win: 320 });
    drain(t);
    // Re-armed from the ACK: nothing at the original deadline (send + 202 ms).
    t.advance(102_000);
    t.none();
  });
});
