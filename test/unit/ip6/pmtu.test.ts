import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../../../src/core/address.js';
import { fromHex, readU16, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { PacketBuffer } from '../../../src/core/packet-buffer.js';
import { buildIcmpv4Error } from '../../../src/icmp/icmpv4-header.js';
import { buildIpv4, parseIpv4 } from '../../../src/ip/ipv4-header.js';
import { PmtuCache } from '../../../src/ip/pmtu-cache.js';
import type { IcmpErrorReport } from '../../../src/ip/types.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { h6, ip6hdr, lonelyStack, withIcmp6Checksum } from './helpers.js';

/**
 * Path MTU discovery (RFC 1191, RFC 8201): ICMP "fragmentation needed" and
 * "packet too big" lower a per-destination estimate with a floor and a
 * 10-minute expiry, visible through route().mtu / pathMtu() before the
 * transport hears of the error, and used by output fragmentation.
 */
const ME = h6('2001:db8::2');
const FAR = h6('2001:db8:5::9');
const ROUTER = h6('2001:db8::fe');

/** Packet Too Big from the router about a 1500-byte packet ME → `dst` (protocol 253), quoting 48 bytes of it. */
function packetTooBig(mtu: number, src = ME, dst = FAR): string {
  const quoted = ip6hdr({ plen: 1460, nh: 253, hop: 64, src, dst }) + '0102030405060708';
  const msg = withIcmp6Checksum(ROUTER, ME, '02000000' + mtu.toString(16).padStart(8, '0') + quoted);
  return ip6hdr({ plen: msg.length / 2, nh: 58, hop: 64, src: ROUTER, dst: ME }) + msg;
}

describe('the path MTU cache', () => {
  it('only lowers, floors at 552 / 1280, and forgets after 10 minutes', () => {
    const c = new PmtuCache();
    const d6 = fromHex(FAR);
    expect(c.get(d6, 0)).toBe(Infinity);
    expect(c.update(d6, 1400, 1500, 0)).toBe(1400);
    expect(c.update(d6, 1450, 1400, 1)).toBe(0); // never raised by a report
    expect(c.update(d6, 600, 1400, 2)).toBe(1280); // RFC 8201 §4
    expect(c.update(0xc6336407, 100, 1500, 3)).toBe(552); // Linux's min_pmtu
    expect(c.get(d6, 600_000_001)).toBe(1280);
    expect(c.get(d6, 600_000_002)).toBe(Infinity);
    expect(c.entry(0xc6336407, 600_000_002)).toEqual({ family: 4, mtu: 552, expiresAt: 600_000_003 });
    expect(c.entry(0xc6336407, 600_000_003)).toBeNull();
    expect(c.size).toBe(0);
  });

  it('keeps a bounded number of destinations, forgetting the oldest', () => {
    const c = new PmtuCache({ maxEntries: 2 });
    c.update(1, 1000, 1500, 0);
    c.update(2, 1000, 1500, 0);
    c.update(3, 1000, 1500, 0);
    expect([c.get(1, 0), c.get(2, 0), c.get(3, 0)]).toEqual([Infinity, 1000, 1000]);
  });
});

describe('IPv6 path MTU discovery (RFC 8201)', () => {
  function withRoute() {
    const st = lonelyStack();
    st.s.addRoute('::/0', { via: 'fe80::1', ifindex: st.iface.index });
    const reports: { report: IcmpErrorReport; pmtuSeen: number }[] = [];
    st.s.ip.registerErrorHandler(253, (report) => reports.push({ report, pmtuSeen: st.s.ip.pathMtu(fromHex(FAR)) }));
    return { ...st, reports };
  }

  it('lowers the path MTU on Packet Too Big before the transport hears of it', () => {
    const { s, inject, reports } = withRoute();
    const far = fromHex(FAR);
    expect(s.ip.pathMtu(far)).toBe(1500);
    inject(packetTooBig(1400));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.pmtuSeen).toBe(1400);
    expect(reports[0]!.report).toMatchObject({ family: 6, kind: 'frag-needed', type: 2, code: 0, mtu: 1400, errno: 'EMSGSIZE', protocol: 253 });
    expect(toHex(reports[0]!.report.quoted as Uint8Array)).toBe('0102030405060708');
    expect(s.ip.route(far)?.mtu).toBe(1400);
    expect(s.counters.Icmp6InPktTooBigs).toBe(1);
    // A larger value later changes nothing; a value under 1280 means 1280.
    inject(packetTooBig(1450));
    expect(s.ip.pathMtu(far)).toBe(1400);
    inject(packetTooBig(1000));
    expect(s.ip.pathMtu(far)).toBe(1280);
    // Another destination is not affected.
    expect(s.ip.pathMtu(parseIPv6('2001:db8:5::10')!)).toBe(1500);
  });

  it('ignores a Packet Too Big about a packet we did not send', () => {
    const { s, inject, reports } = withRoute();
    inject(packetTooBig(1300, h6('2001:db8::77')));
    expect(s.ip.pathMtu(fromHex(FAR))).toBe(1500);
    expect(reports).toHaveLength(1); // the transport still sees it (it will find no socket)
  });

  it('fragments to the learned MTU, refuses with EMSGSIZE when asked not to, and forgets after 10 minutes', () => {
    const { clock, s, out, inject } = withRoute();
    const far = fromHex(FAR);
    inject(packetTooBig(1280));
    expect(s.ip.send({ dst: far, protocol: 253, dontFragment: true }, PacketBuffer.alloc(1300))).toBe('EMSGSIZE');
    expect(s.ip.send({ dst: far, protocol: 253 }, PacketBuffer.alloc(1300))).toBe('ok');
    clock.runDue();
    // (1280 - 40 - 8) & ~7 = 1232 bytes in the first fragment, 68 in the second.
    expect(out.map((f) => f.length)).toEqual([1280, 40 + 8 + 68]);
    clock.advance(600_000_000);
    expect(s.ip.pathMtu(far)).toBe(1500);
  });
});

describe('IPv4 path MTU discovery (RFC 1191)', () => {
  function v4Stack() {
    const clock = new VirtualClock();
    const [mine, theirs] = createMemoryPair(clock);
    const out: Uint8Array[] = [];
    theirs.setReceiver((f) => out.push(f.slice()));
    const s = new Stack({ clock, seed: 3 });
    const iface = s.addInterface(mine, { ipv4: ['192.0.2.2/24'] });
    s.addRoute('default', { via: '192.0.2.1' });
    const reports: { report: IcmpErrorReport; pmtuSeen: number }[] = [];
    const far = 0xc6336407; // 198.51.100.7
    s.ip.registerErrorHandler(253, (report) => reports.push({ report, pmtuSeen: s.ip.pathMtu(far) }));
    const fragNeeded = (mtu: number): void => {
      const original = buildIpv4({ src: 0xc0000202, dst: far, protocol: 253, df: true, totalLength: 1500 }, new Uint8Array(8).fill(7));
      const icmp = buildIcmpv4Error({ type: 3, code: 4, mtu, original });
      s.ip.receiveFrame(iface, buildIpv4({ src: 0xc0000201, dst: 0xc0000202, protocol: 1 }, icmp));
    };
    return { clock, s, out, far, reports, fragNeeded };
  }

  it('lowers the path MTU on "fragmentation needed" (floored at 552) before the transport hears of it', () => {
    const { s, far, reports, fragNeeded } = v4Stack();
    expect(s.ip.pathMtu(far)).toBe(1500);
    fragNeeded(1000);
    expect(reports[0]!.pmtuSeen).toBe(1000);
    expect(reports[0]!.report).toMatchObject({ family: 4, kind: 'frag-needed', mtu: 1000, errno: 'EMSGSIZE' });
    expect(s.ip.route(far)?.mtu).toBe(1000);
    fragNeeded(100);
    expect(s.ip.pathMtu(far)).toBe(552);
  });

  it('fragments to the learned MTU without DF and refuses with DF (EMSGSIZE)', () => {
    const { clock, s, out, far, fragNeeded } = v4Stack();
    fragNeeded(576);
    expect(s.ip.send({ dst: far, protocol: 253, dontFragment: true }, PacketBuffer.alloc(1000))).toBe('EMSGSIZE');
    expect(s.ip.send({ dst: far, protocol: 253 }, PacketBuffer.alloc(1000))).toBe('ok');
    clock.runDue();
    const frags = out.filter((f) => f[9] === 253).map((f) => parseIpv4(f)).map((r) => (r.ok ? [r.value.totalLength, r.value.fragmentOffset, r.value.mf] : null));
    expect(frags).toEqual([
      [572, 0, true],
      [468, 552, false],
    ]);
    clock.advance(600_000_000);
    expect(s.ip.pathMtu(far)).toBe(1500);
    expect(readU16(out[0]!, 2)).toBe(572);
  });
});
