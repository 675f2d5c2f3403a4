import { describe, expect, it } from 'vitest';
import { fromHex, readU16, toHex } from '../../../src/core/bytes.js';
import type { Icmpv6Message } from '../../../src/icmp/icmpv6-header.js';
import type { IcmpErrorReport, InboundIp } from '../../../src/ip/types.js';
import { eth6, ethernetPair, h6, icmp6ChecksumOk, ip6hdr, lonelyStack, MAC_A, MAC_B, withIcmp6Checksum } from '../ip6/helpers.js';

/**
 * ICMPv6 (RFC 4443): echo between two stacks and with the stack's ping6,
 * the errors the stack sends (with §2.4 (e) and (f)), and the errors it
 * receives and hands to transports.
 */
const ME = h6('2001:db8::2');
const PEER = h6('2001:db8::1');

function flowOf(p: Uint8Array): number {
  return ((p[1]! & 0x0f) << 16) | readU16(p, 2);
}

describe('ICMPv6 echo (RFC 4443 §4)', () => {
  it('pings between two stacks over Ethernet with exact request and reply', async () => {
    const quiet = { routerSolicitations: 0 };
    const { clock, a, b, ra, rb } = ethernetPair({ ipv6A: ['2001:db8::1/64'], ipv6B: ['2001:db8::2/64'], configA: quiet, configB: quiet });
    clock.advance(3_000_000); // DAD
    const data = new TextEncoder().encode('tsip ping6');
    const p = a.ping('2001:db8::2', { identifier: 0x1234, sequence: 7, data });
    clock.advance(1000);
    const r = await p;
    expect(r.identifier).toBe(0x1234);
    expect(r.sequence).toBe(7);
    expect(r.ttl).toBe(64);
    expect(toHex(r.data)).toBe(toHex(data));
    expect(toHex(r.from as Uint8Array)).toBe(ME);
    const req = fromHex(ra.frames().at(-1)!);
    const rep = fromHex(rb.frames().at(-1)!);
    const reqMsg = withIcmp6Checksum(PEER, ME, '800000001234' + '0007' + toHex(data));
    const repMsg = withIcmp6Checksum(ME, PEER, '810000001234' + '0007' + toHex(data));
    expect(toHex(req)).toBe(eth6(MAC_B, MAC_A) + ip6hdr({ flow: flowOf(req.subarray(14)), plen: 18, nh: 58, hop: 64, src: PEER, dst: ME }) + reqMsg);
    expect(toHex(rep)).toBe(eth6(MAC_A, MAC_B) + ip6hdr({ flow: flowOf(rep.subarray(14)), plen: 18, nh: 58, hop: 64, src: ME, dst: PEER }) + repMsg);
    expect(flowOf(req.subarray(14))).not.toBe(0);
    expect(a.countersSnapshot()).toMatchObject({ Icmp6OutEchos: 1, Icmp6InEchoReplies: 1 });
    expect(b.countersSnapshot()).toMatchObject({ Icmp6InEchos: 1, Icmp6OutEchoReplies: 1 });
    a.close();
    b.close();
  });

  it('keeps one flow label per flow (RFC 6437 §3)', async () => {
    const { clock, s, out } = lonelyStack();
    const p1 = s.ping6('2001:db8::1', { sequence: 1, timeoutUs: 10 });
    const p2 = s.ping6('2001:db8::1', { sequence: 2, timeoutUs: 10 });
    const p3 = s.ping6('2001:db8::3', { sequence: 3, timeoutUs: 10 });
    clock.runUntilIdle();
    await Promise.allSettled([p1, p2, p3]);
    expect(flowOf(out[0]!)).toBe(flowOf(out[1]!));
    expect(flowOf(out[0]!)).not.toBe(flowOf(out[2]!));
  });

  it('times out, fails at once without a route, and rejects text that is no address', async () => {
    const { clock, s } = lonelyStack();
    const p = s.ping6('2001:db8::1', { timeoutUs: 500_000 }).catch((e: { code: string }) => e.code);
    clock.runUntilIdle();
    expect(await p).toBe('ETIMEDOUT');
    await expect(s.ping6('2001:db9::1')).rejects.toMatchObject({ code: 'ENETUNREACH', syscall: 'echo' });
    expect(s.counters.Ip6OutNoRoutes).toBe(1);
    await expect(s.ping6('2001:db8::zz')).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects pending pings when the stack closes', async () => {
    const { s } = lonelyStack();
    const p = s.ping6('2001:db8::1');
    s.close();
    await expect(p).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('obeys echo_ignore_all and lets observers see every message', () => {
    const { s, out, inject } = lonelyStack();
    const seen: number[] = [];
    s.icmp6.observe((_ip: InboundIp, m: Icmpv6Message) => seen.push(m.type));
    s.icmp6.config.echoIgnoreAll = true;
    inject(ip6hdr({ plen: 8, nh: 58, hop: 64, src: PEER, dst: ME }) + withIcmp6Checksum(PEER, ME, '8000000000010001'));
    expect(out).toHaveLength(0);
    expect(seen).toEqual([128]);
  });
});

describe('ICMPv6 errors the stack sends (RFC 4443 §2.4, §3)', () => {
  /** A datagram PEER → ME of protocol 253 whose handler asks for `error`. */
  function asking(error: 'port-unreachable' | 'protocol-unreachable' | 'frag-needed', param = 0) {
    const st = lonelyStack();
    st.s.ip.registerProtocol(253, (info) => st.s.ip.sendIcmpError(info, error, param));
    const pkt = (src = PEER): string => ip6hdr({ plen: 8, nh: 253, hop: 64, src, dst: ME }) + '0035003500080000';
    return { ...st, pkt };
  }

  it('sends Destination Unreachable code 4 for a transport\'s "port unreachable", exactly', () => {
    const { s, out, inject, pkt } = asking('port-unreachable');
    inject(pkt());
    const err = out[0]!;
    const msg = withIcmp6Checksum(ME, PEER, '0104000000000000' + pkt());
    expect(toHex(err)).toBe(ip6hdr({ flow: flowOf(err), plen: msg.length / 2, nh: 58, hop: 64, src: ME, dst: PEER }) + msg);
    expect(icmp6ChecksumOk(err)).toBe(true);
    expect(s.countersSnapshot()).toMatchObject({ Icmp6OutMsgs: 1, Icmp6OutDestUnreachs: 1 });
  });

  it('maps "protocol unreachable" to Parameter Problem code 1 with the pointer given', () => {
    const { out, inject, pkt } = asking('protocol-unreachable', 6);
    inject(pkt());
    expect(toHex(out[0]!.subarray(40, 48))).toBe('0401' + toHex(out[0]!.subarray(42, 44)) + '00000006');
  });

  it('rate limits errors per destination as Linux: a burst of 6, then one per 1 s >> ((128 - prefix length) >> 5)', () => {
    const { clock, s, out, inject, pkt } = asking('port-unreachable');
    for (let i = 0; i < 10; i++) inject(pkt());
    expect(out).toHaveLength(6);
    expect(s.counters.Icmp6OutRateLimitHost).toBe(4);
    // PEER is behind the connected /64: one token every 1 s >> 2 = 250 ms.
    clock.advance(249_999);
    inject(pkt());
    expect(out).toHaveLength(6);
    clock.advance(1);
    inject(pkt());
    expect(out).toHaveLength(7);
    // Another host has its own bucket.
    inject(pkt(h6('2001:db8::3')));
    expect(out).toHaveLength(8);
  });

  it('does not rate limit Packet Too Big (Linux ratemask 0-1,3-127)', () => {
    const { s, out, inject, pkt } = asking('frag-needed', 1280);
    for (let i = 0; i < 10; i++) inject(pkt());
    expect(out).toHaveLength(10);
    expect(toHex(out[0]!.subarray(40, 48))).toBe('0200' + toHex(out[0]!.subarray(42, 44)) + '00000500');
    expect(s.counters.Icmp6OutPktTooBigs).toBe(10);
  });
});

describe('ICMPv6 errors the stack receives (RFC 4443 §2.4 (b), (d))', () => {
  function receiving() {
    const st = lonelyStack();
    const reports: IcmpErrorReport[] = [];
    st.s.ip.registerErrorHandler(253, (r) => reports.push(r));
    /** An error from `reporter` quoting a packet of ours ME → PEER, protocol 253, with `transport` bytes. */
    const error = (type: number, code: number, transport = '0035003500080000', ext = '', reporter = PEER): string => {
      const quoted = ip6hdr({ plen: (ext.length + transport.length) / 2, nh: ext === '' ? 253 : 60, hop: 64, src: ME, dst: PEER }) + ext + transport;
      const msg = withIcmp6Checksum(reporter, ME, type.toString(16).padStart(2, '0') + code.toString(16).padStart(2, '0') + '000000000000' + quoted);
      return ip6hdr({ plen: msg.length / 2, nh: 58, hop: 64, src: reporter, dst: ME }) + msg;
    };
    return { ...st, reports, error };
  }

  it('turns each error into a report for the protocol that sent the quoted packet', () => {
    const { s, inject, reports, error } = receiving();
    inject(error(1, 4));
    inject(error(1, 0));
    inject(error(1, 1));
    inject(error(3, 0));
    inject(error(4, 1));
    // The quoted packet's extension headers are walked to find the protocol.
    inject(error(1, 3, '0035003500080000', 'fd00010400000000'));
    expect(reports.map((r) => [r.kind, r.errno, r.type, r.code])).toEqual([
      ['port-unreachable', 'ECONNREFUSED', 1, 4],
      ['net-unreachable', 'ENETUNREACH', 1, 0],
      ['admin-prohibited', 'EACCES', 1, 1],
      ['time-exceeded', 'EHOSTUNREACH', 3, 0],
      ['parameter-problem', 'EPROTO', 4, 1],
      ['host-unreachable', 'EHOSTUNREACH', 1, 3],
    ]);
    expect(toHex(reports[0]!.src as Uint8Array)).toBe(ME);
    expect(toHex(reports[0]!.dst as Uint8Array)).toBe(PEER);
    expect(toHex(reports[0]!.reporter as Uint8Array)).toBe(PEER);
    expect(toHex(reports[0]!.quoted as Uint8Array)).toBe('0035003500080000');
    expect(s.countersSnapshot()).toMatchObject({ Icmp6InDestUnreachs: 4, Icmp6InTimeExcds: 1, Icmp6InParmProblems: 1, Icmp6InMsgs: 6 });
  });

  it('drops errors whose quote is too short to name the sender, and messages with a bad checksum', () => {
    const { s, inject, reports, error } = receiving();
    inject(error(1, 4, '00350035'));
    const bad = fromHex(error(1, 4));
    bad[bad.length - 1]! ^= 1;
    inject(bad);
    expect(reports).toHaveLength(0);
    expect(s.countersSnapshot()).toMatchObject({ Icmp6InErrors: 2, Icmp6InCsumErrors: 1 });
    expect(s.dropReasons()).toEqual({ 'icmp6:quote-unusable': 1, 'icmp6:icmp6-bad-checksum': 1 });
  });
});
