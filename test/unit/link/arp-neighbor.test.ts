import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { Recorder } from '../../helpers/recorder.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';

const MAC_A = '020000000001';
const MAC_B = '020000000002';
const BCAST = 'ffffffffffff';

/** ARP over Ethernet/IPv4, 28 bytes, padded with zeros to a 60-byte frame. */
function arp(dst: string, src: string, op: 1 | 2, sha: string, spa: string, tha: string, tpa: string): string {
  return dst + src + '0806' + '0001' + '0800' + '06' + '04' + `000${op}` + sha + spa + tha + tpa + '00'.repeat(18);
}

function setup(): { clock: VirtualClock; a: Stack; b: Stack; ra: Recorder; rb: Recorder } {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { linkType: 'ethernet', latencyUs: 10 });
  const ra = new Recorder(la, clock);
  const rb = new Recorder(lb, clock);
  const a = new Stack({ clock, seed: 1, id: 'a' });
  const b = new Stack({ clock, seed: 2, id: 'b' });
  a.addInterface(ra, { ipv4: ['192.0.2.1/24'] });
  b.addInterface(rb, { ipv4: ['192.0.2.2/24'] });
  return { clock, a, b, ra, rb };
}

describe('Ethernet and ARP (RFC 826) with a NUD neighbour cache', () => {
  it('announces each address, resolves before the first ping, then reuses the entry', async () => {
    const { clock, a, b, ra, rb } = setup();
    // Gratuitous ARP when an address is configured (RFC 5227 §3).
    expect(ra.hex()).toEqual([arp(BCAST, MAC_A, 1, MAC_A, 'c0000201', '000000000000', 'c0000201')]);
    expect(rb.hex()).toEqual([arp(BCAST, MAC_B, 1, MAC_B, 'c0000202', '000000000000', 'c0000202')]);
    clock.runUntilIdle();
    ra.clear();
    rb.clear();

    const p1 = a.ping('192.0.2.2', { identifier: 1, sequence: 1 });
    clock.advance(1000); // (running until idle would go on to b's DELAY/PROBE of a: see the last test)
    await p1;
    // a asks (broadcast), b answers (unicast), a sends the queued echo request;
    // b already learned a's MAC from the request, so its reply needs no ARP.
    expect(ra.hex().map((f) => f.slice(0, 28))).toEqual([BCAST + MAC_A + '0806', MAC_B + MAC_A + '0800']);
    expect(ra.hex()[0]).toBe(arp(BCAST, MAC_A, 1, MAC_A, 'c0000201', '000000000000', 'c0000202'));
    expect(rb.hex()).toEqual([
      arp(MAC_A, MAC_B, 2, MAC_B, 'c0000202', MAC_A, 'c0000201'),
      expect.stringMatching(new RegExp(`^${MAC_A}${MAC_B}0800`)),
    ]);
    expect(a.ip.interfaces[0]!.medium!.arp.get(0xc0000202)?.state).toBe('reachable');
    // b learned a from its request (STALE), then used the entry for its reply: DELAY (RFC 4861 §7.3.3).
    expect(b.ip.interfaces[0]!.medium!.arp.get(0xc0000201)?.state).toBe('delay');

    ra.clear();
    const p2 = a.ping('192.0.2.2', { identifier: 1, sequence: 2 });
    clock.advance(1000);
    await p2;
    expect(ra.hex().map((f) => f.slice(24, 28))).toEqual(['0800']);
    expect(a.counters).toMatchObject({ ArpOutRequests: 2, ArpInReplies: 1 });
    expect(b.counters).toMatchObject({ ArpInRequests: 2, ArpOutReplies: 1 });
  });

  it('asks at most once a second, three times, then drops the queued packets (RFC 1122 §2.3.2.1)', async () => {
    const { clock, a, ra } = setup();
    clock.runUntilIdle();
    ra.clear();
    const p = a.ping('192.0.2.99', { timeoutUs: 10_000_000 }).catch((e: { code: string }) => e.code);
    clock.runUntilIdle();
    expect(ra.sent.map((s) => s.at - ra.sent[0]!.at)).toEqual([0, 1_000_000, 2_000_000]);
    expect(ra.hex().every((f) => f.startsWith(BCAST + MAC_A + '0806'))).toBe(true);
    expect(a.counters.ArpResolveFailed).toBe(1);
    expect(a.counters.IpOutDiscards).toBe(1);
    expect(await p).toBe('ETIMEDOUT');
  });

  it('holds at most three packets per unresolved neighbour, keeping the newest', () => {
    const { clock, a } = setup();
    clock.runUntilIdle();
    for (let i = 1; i <= 5; i++) void a.ping('192.0.2.99', { sequence: i, timeoutUs: 100 }).catch(() => undefined);
    expect(a.counters.ArpQueueDrops).toBe(2);
    expect(a.ip.interfaces[0]!.medium!.arp.get(0xc0000263)?.queue.length).toBe(3);
    clock.runUntilIdle();
  });

  it('moves a stale entry through DELAY to PROBE and probes by unicast', async () => {
    const { clock, a, b, ra } = setup();
    clock.runUntilIdle();
    const p = a.ping('192.0.2.2');
    clock.runUntilIdle();
    await p;
    const cache = a.ip.interfaces[0]!.medium!.arp;
    clock.advance(60_000_000); // past any randomised reachable time (at most 45 s)
    expect(cache.get(0xc0000202)?.state).toBe('stale');
    b.close(); // the neighbour goes silent
    ra.clear();
    void a.ping('192.0.2.2', { sequence: 9, timeoutUs: 100 }).catch(() => undefined);
    expect(cache.get(0xc0000202)?.state).toBe('delay');
    clock.advance(5_000_000);
    expect(cache.get(0xc0000202)?.state).toBe('probe');
    const probe = ra.hex().at(-1)!;
    expect(probe).toBe(arp(MAC_B, MAC_A, 1, MAC_A, 'c0000201', '000000000000', 'c0000202'));
    clock.runUntilIdle();
    expect(cache.get(0xc0000202)).toBeUndefined();
    expect(a.counters.ArpResolveFailed).toBe(1);
  });

  it('drops frames for other hosts and unknown ethertypes, counted', () => {
    const { clock, a } = setup();
    clock.runUntilIdle();
    const iface = a.ip.interfaces[0]!;
    const other = new Uint8Array(60);
    other.set([2, 0, 0, 0, 0, 9], 0);
    a.ip.receiveFrame(iface, other);
    const unknown = new Uint8Array(60);
    unknown.set([2, 0, 0, 0, 0, 1], 0);
    unknown.set([0x88, 0xb5], 12);
    a.ip.receiveFrame(iface, unknown);
    a.ip.receiveFrame(iface, new Uint8Array(10));
    expect(a.dropReasons()).toMatchObject({ 'link:eth-other-host': 1, 'link:eth-unknown-ethertype': 1, 'link:eth-truncated': 1 });
  });
});
