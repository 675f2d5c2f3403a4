import { describe, expect, it } from 'vitest';
import { deferAcceptRetransFor, deferAcceptSecondsFor } from '../../../src/tcp/socket-options.js';
import { REMOTE, Testbed } from './helpers/testbed.js';

/** SYN in, SYN-ACK out, with a listener deferring `seconds`. */
function open(t: Testbed, seconds: number) {
  const l = t.tcp.listen({ port: t.localPort, backlog: 1, options: { deferAccept: deferAcceptRetransFor(seconds) } });
  t.in('S', 0, 0, { win: 32792, opts: 'mss 1460,sackOK,nop,nop,nop,wscale 7' });
  t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,nop,sackOK,nop,wscale 8' });
  return l;
}

describe('TCP_DEFER_ACCEPT on a listener (Linux tcp_check_req, reqsk_timer_handler)', () => {
  it('converts seconds to SYN-ACK retransmissions and back as Linux does', () => {
    expect(deferAcceptRetransFor(0)).toBe(0);
    expect(deferAcceptRetransFor(1)).toBe(1);
    expect(deferAcceptRetransFor(3)).toBe(2);
    expect(deferAcceptRetransFor(5)).toBe(3);
    expect(deferAcceptSecondsFor(3)).toBe(7);
    expect(deferAcceptSecondsFor(deferAcceptRetransFor(3))).toBe(3);
  });

  it('drops bare ACKs; an ACK with data completes the connection (gVisor tcp_defer_accept.pkt)', () => {
    const t = new Testbed();
    const l = open(t, 5);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.advance(100_000);
    expect(l.accept()).toBeNull();
    expect(l.halfOpen).toBe(1);
    expect(t.counters.TcpExtTCPDeferAcceptDrop).toBe(1);
    // While deferring, the SYN-ACK timer stays quiet: the peer has our SYN-ACK.
    t.quietFor(2_400_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.advance(100_000);
    expect(l.accept()).toBeNull();
    expect(t.counters.TcpExtTCPDeferAcceptDrop).toBe(2);
    t.advance(100_000);
    t.in('P.', 1, 4, { ack: 1, win: 257, data: Uint8Array.of(1, 2, 3, 4) });
    t.out('.', 1, 0, { ack: 5 });
    const c = l.accept();
    expect(c).not.toBeNull();
    expect(c!.stateName).toBe('ESTABLISHED');
    expect(Array.from(c!.read())).toEqual([1, 2, 3, 4]);
    c!.close();
    t.out('F.', 1, 0, { ack: 5 });
  });

  it('at the end of the deferring period one more SYN-ACK goes out and a bare ACK is then accepted (tcp_defer_accept_timeout.pkt)', () => {
    const t = new Testbed();
    const l = open(t, 3); // 2 retransmissions
    t.in('.', 1, 0, { ack: 1, win: 257 });
    t.advance(2_500_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    expect(l.accept()).toBeNull();
    // SYN-ACK timeouts at 1 s (silent) and 3 s (the last-chance SYN-ACK).
    t.quietFor(499_999);
    t.advance(1);
    t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,nop,sackOK,nop,wscale 8' });
    t.in('.', 1, 0, { ack: 1, win: 257 });
    const c = l.accept();
    expect(c).not.toBeNull();
    expect(c!.stateName).toBe('ESTABLISHED');
    expect(t.counters.TcpExtTCPDeferAcceptDrop).toBe(2);
  });

  it('without data or another ACK, the child is dropped silently after tcp_synack_retries', () => {
    const t = new Testbed();
    const l = open(t, 3);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    // SYN-ACKs at 3, 7, 15 and 31 s; the request expires at 63 s, without a RST.
    let at = 0;
    for (const when of [3_000_000, 7_000_000, 15_000_000, 31_000_000]) {
      t.quietFor(when - at - 1);
      t.advance(1);
      t.out('S.', 0, 0, { ack: 1, opts: 'mss 1460,nop,nop,sackOK,nop,wscale 8' });
      at = when;
    }
    t.quietFor(63_000_000 - at - 1);
    expect(l.halfOpen).toBe(1);
    t.advance(1);
    t.none();
    expect(l.halfOpen).toBe(0);
    expect(t.tcp.connectionCount).toBe(0);
  });
});

describe('TCP_DEFER_ACCEPT on a connecting socket (Linux tcp_rcv_synsent_state_process)', () => {
  it('the ACK of the SYN-ACK waits to ride on the first data', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080, options: { deferAccept: 1 } });
    t.out('S', 0, 0, { opts: '*' });
    t.in('S.', 0, 0, { ack: 1, win: 32768, opts: 'mss 1000,nop,wscale 6,nop,nop,sackOK' });
    expect(c.stateName).toBe('ESTABLISHED');
    t.quietFor(50_000);
    c.write(new Uint8Array(10));
    t.out('P.', 1, 10, { ack: 1 });
    expect(t.counters.TcpExtDelayedACKs).toBe(0);
  });

  it('without data the ACK goes after 200 ms (TCP_DELACK_MAX)', () => {
    const t = new Testbed();
    t.tcp.connect({ remoteAddress: REMOTE, remotePort: 40000, localPort: 8080, options: { deferAccept: 1 } });
    t.out('S', 0, 0, { opts: '*' });
    t.in('S.', 0, 0, { ack: 1, win: 32768, opts: 'mss 1000,nop,wscale 6,nop,nop,sackOK' });
    t.quietFor(199_999);
    t.advance(1);
    t.out('.', 1, 0, { ack: 1 });
    expect(t.counters.TcpExtDelayedACKs).toBe(1);
  });
});
