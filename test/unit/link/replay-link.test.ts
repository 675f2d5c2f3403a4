import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { concatBytes, fromHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { decodePcap, LINKTYPE_RAW } from '../../../src/link/pcap-format.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';
import { destinedTo, ReplayLink } from '../../../src/link/replay-link.js';

// Hand-built ICMP echo request 192.0.2.1 -> 192.0.2.2 and the reply (see pcap.test.ts).
const REQUEST = fromHex('4500 0024 0001 4000 4001 b6d4 c000 0201 c000 0202 0800 5435 1234 0001 6162 6364 6566 6768');
const REPLY = fromHex('4500 0024 0077 4000 4001 b65e c000 0202 c000 0201 0000 5c35 1234 0001 6162 6364 6566 6768');
const STACK = parseIPv4('192.0.2.2')!;

/** Request n (n in the ICMP sequence field's low byte; checksums do not matter here). */
function request(n: number): Uint8Array {
  const p = REQUEST.slice();
  p[27] = n;
  return p;
}
function reply(n: number): Uint8Array {
  const p = REPLY.slice();
  p[27] = n;
  return p;
}

/** A recording: requests at 10 s and 10.5 s, replies 100 and 80 µs after. */
function recording(): { linkType: number; packets: { timeUs: number; data: Uint8Array; originalLength: number }[] } {
  const packets = [
    { timeUs: 10_000_000, data: request(1) },
    { timeUs: 10_000_100, data: reply(1) },
    { timeUs: 10_500_000, data: request(2) },
    { timeUs: 10_500_080, data: reply(2) },
  ].map((p) => ({ ...p, originalLength: p.data.length }));
  return { linkType: LINKTYPE_RAW, packets };
}

describe('replay link', () => {
  it('splits the recording into inbound and expected outbound packets', () => {
    const link = new ReplayLink({ clock: new VirtualClock(), capture: recording(), isInbound: destinedTo(STACK) });
    expect([link.name, link.linkType, link.mtu]).toEqual(['replay', 'ip', 1500]);
    expect(link.inbound.map((p) => [p.index, p.relativeUs, p.data[27]])).toEqual([
      [0, 0, 1],
      [2, 500_000, 2],
    ]);
    expect(link.expectedOutbound.map((p) => [p.index, p.relativeUs, p.data[27]])).toEqual([
      [1, 100, 1],
      [3, 500_080, 2],
    ]);
  });

  it('feeds inbound packets at their recorded times from the start, and records what is sent', () => {
    const clock = new VirtualClock(7_000);
    const link = new ReplayLink({ clock, capture: recording(), isInbound: destinedTo(STACK) });
    const arrivals: [number, number][] = [];
    // A fake stack: answers each request 90 µs later.
    link.setReceiver((f) => {
      arrivals.push([clock.now(), f[27]!]);
      const n = f[27]!;
      clock.schedule(clock.now() + 90, () => link.send(reply(n)));
    });
    clock.advance(1_000);
    expect(arrivals).toEqual([]); // nothing before start
    link.start(); // at 8000
    expect(arrivals).toEqual([]); // not inside start()
    expect(link.startTimeUs).toBe(8_000);
    clock.runDue();
    expect(arrivals).toEqual([[8_000, 1]]);
    clock.advanceTo(507_999);
    expect(arrivals.length).toBe(1);
    clock.advanceTo(508_000);
    expect(arrivals).toEqual([
      [8_000, 1],
      [508_000, 2],
    ]);
    expect(link.finished).toBe(true);
    clock.runUntilIdle();
    expect(link.sent.map((s) => [s.timeUs, s.relativeUs, s.data[27]])).toEqual([
      [8_090, 90, 1],
      [508_090, 500_090, 2],
    ]);
    // What a replay test compares: the stack's output against the recording.
    expect(link.sent.map((s) => s.data)).toEqual(link.expectedOutbound.map((p) => p.data));
    expect(link.deliveredCount).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('delivers fresh copies, so the stack cannot alter the recording', () => {
    const clock = new VirtualClock();
    const cap = recording();
    const link = new ReplayLink({ clock, capture: cap });
    link.setReceiver((f) => f.fill(0));
    link.start();
    clock.runUntilIdle();
    expect(cap.packets[0]!.data).toEqual(request(1));
    expect(link.deliveredCount).toBe(4);
  });

  it('delivers packets of the same instant together, in capture order; sorts an unsorted capture by time', () => {
    const clock = new VirtualClock();
    const packets = [5, 3, 5, 1].map((t, i) => ({ timeUs: 1_000 + t, data: request(i), originalLength: 36 }));
    const link = new ReplayLink({ clock, capture: { linkType: 'ip', packets }, timeBaseUs: 1_000 });
    const got: [number, number][] = [];
    link.setReceiver((f) => got.push([clock.now(), f[27]!]));
    link.start(100);
    clock.runUntilIdle();
    expect(got).toEqual([
      [101, 3],
      [103, 1],
      [105, 0],
      [105, 2],
    ]);
  });

  it('counts packets that come due with no receiver; stops on close', () => {
    const clock = new VirtualClock();
    const link = new ReplayLink({ clock, capture: recording() });
    link.start();
    clock.advance(200);
    expect(link.deliveredCount).toBe(2);
    expect(link.undeliverableCount).toBe(2);
    const got: Uint8Array[] = [];
    link.setReceiver((f) => got.push(f));
    link.close();
    link.send(reply(9));
    clock.runUntilIdle();
    expect(got).toEqual([]);
    expect(link.sent).toEqual([]);
    expect(link.finished).toBe(false);
    expect(() => link.start()).toThrow(/already started/);
  });

  it('replays a capture written by PcapWriter', () => {
    const rec = new VirtualClock(2_000_000);
    const w = new PcapWriter({ clock: rec, linkType: 'ip' });
    w.write(request(1));
    rec.advance(40);
    w.write(reply(1));
    rec.advance(960);
    w.write(request(2));
    const r = decodePcap(w.toBytes());
    if (!r.ok) throw new Error(r.reason);
    const clock = new VirtualClock();
    const link = new ReplayLink({ clock, capture: r.value, isInbound: destinedTo(STACK) });
    const times: number[] = [];
    link.setReceiver(() => times.push(clock.now()));
    link.start(50);
    clock.runUntilIdle();
    expect(times).toEqual([50, 1_050]);
  });

  it('refuses a capture of a link type it cannot replay', () => {
    expect(() => new ReplayLink({ clock: new VirtualClock(), capture: { linkType: 113, packets: [] } })).toThrow(
      /LINKTYPE 113/,
    );
  });
});

describe('destinedTo', () => {
  it('matches the IPv4 destination on ip and Ethernet frames, never throwing on short or foreign frames', () => {
    const toStack = destinedTo(STACK);
    expect([toStack(REQUEST), toStack(REPLY)]).toEqual([true, false]);
    // Only the destination field is looked at: it needs the first 20 bytes.
    for (let n = 0; n < 20; n++) expect(toStack(REQUEST.subarray(0, n))).toBe(false);
    expect(toStack(REQUEST.subarray(0, 20))).toBe(true);
    const eth = (type: string, ip: Uint8Array): Uint8Array =>
      concatBytes([fromHex('020000000002 020000000001'), fromHex(type), ip]);
    const onEth = destinedTo(STACK, 'ethernet');
    expect([onEth(eth('0800', REQUEST)), onEth(eth('0800', REPLY)), onEth(eth('0806', REQUEST))]).toEqual([
      true,
      false,
      false,
    ]);
    expect(onEth(new Uint8Array(13))).toBe(false);
    expect(toStack(new Uint8Array(0))).toBe(false);
  });

  it('matches the IPv6 destination', () => {
    const dst = parseIPv6('2001:db8::2')!;
    const hdr = new Uint8Array(40);
    hdr[0] = 0x60;
    hdr.set(dst, 24);
    expect(destinedTo(dst)(hdr)).toBe(true);
    expect(destinedTo(parseIPv6('2001:db8::1')!)(hdr)).toBe(false);
    expect(destinedTo(dst)(hdr.subarray(0, 39))).toBe(false);
    expect(destinedTo(STACK)(hdr)).toBe(false);
  });
});
