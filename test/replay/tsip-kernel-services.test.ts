import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/core/address.js';
import { readU32 } from '../../src/core/bytes.js';
import { VirtualClock } from '../../src/core/clock.js';
import { serveTcpDiscard, serveTcpEcho } from '../../src/cli/services/tcp-services.js';
import { serveUdpEcho } from '../../src/cli/services/udp-echo.js';
import { readPcapFile } from '../../src/link/pcap-reader.js';
import { ReplayLink } from '../../src/link/replay-link.js';
import { Stack } from '../../src/stack.js';
import { compareOutbound, TcpReplayMap, viewTcp } from './tcp-replay-map.js';

/**
 * fixtures/tsip-kernel-services.pcap: the Linux kernel (192.0.2.1) as a
 * client of `tsip serve` (192.0.2.2) on a TUN device, captured by tsip's own
 * --pcap (scripts/fixtures/record-tsip-services.sh): a TCP echo session with
 * request/response exchanges and a 64 KiB bulk echo, a discard session, a SYN
 * to a closed port, UDP echo and a datagram to a closed port.
 *
 * A fresh stack with the same services is fed the kernel's packets at their
 * recorded times (virtual clock); its TCP numbers are mapped onto the
 * recorded ones by TcpReplayMap, and every packet it sends must match the
 * recording field by field, in the same order. The fields allowed to differ
 * (IP ID, checksums, TSval, the ISN offset) are listed in tcp-replay-map.ts.
 */

const ME = parseIPv4('192.0.2.2')!;

/** Whether a recorded packet is one the stack sent (IPv4 from its address): everything else is replayed to it. */
const sentByStack = (d: Uint8Array): boolean => d.length >= 20 && d[0]! >>> 4 === 4 && readU32(d, 12) === ME;

async function replay(mapped = true): Promise<{ link: ReplayLink; map: TcpReplayMap; stack: Stack }> {
  const capture = await readPcapFile(resolve(__dirname, '../../fixtures/tsip-kernel-services.pcap'));
  const clock = new VirtualClock();
  const link = new ReplayLink({ clock, capture, isInbound: (d) => !sentByStack(d) });
  const map = new TcpReplayMap(link, link.expectedOutbound);
  const stack = new Stack({ clock, seed: 7, id: 'replay' });
  stack.addInterface(mapped ? map : link, { ipv4: ['192.0.2.2/24'] });
  // As `tsip serve --echo 7 --discard 9 --udp-echo 7` did when recording.
  serveTcpEcho(stack, 7);
  serveTcpDiscard(stack, 9);
  serveUdpEcho(stack, 7);
  link.start();
  const last = link.inbound.at(-1)!.relativeUs;
  // One clock event at a time, letting microtasks run in between (UDP echo replies from one).
  for (let steps = 0; steps < 100_000; steps++) {
    const next = clock.nextEventAt();
    if (next === undefined || next > link.startTimeUs + last + 1_000_000) break;
    clock.advanceTo(next);
    await Promise.resolve();
  }
  return { link, map, stack };
}

describe('replay: tsip serving the kernel (TCP echo and discard, RST, UDP echo)', () => {
  it('sends what it sent when recorded, field by field and in order', async () => {
    const { link, map, stack } = await replay();
    expect(link.finished).toBe(true);
    const got = link.sent.map((s) => s.data);
    const want = link.expectedOutbound.map((p) => p.data);
    const firstDiff = got.findIndex((g, i) => want[i] === undefined || compareOutbound(g, want[i]!, map.seqOffsetFor(g)).length > 0);
    if (firstDiff >= 0) {
      const w = want[firstDiff];
      throw new Error(`packet ${firstDiff} (capture index ${link.expectedOutbound[firstDiff]?.index}) differs: ${JSON.stringify(w ? compareOutbound(got[firstDiff]!, w, map.seqOffsetFor(got[firstDiff]!)) : 'extra packet')}`);
    }
    expect(got.length).toBe(want.length);
    // Every kernel segment of the two connections but their SYNs went through the mapping.
    const mappedInbound = link.inbound.filter((p) => {
      const v = viewTcp(p.data);
      return v !== null && (v.dstPort === 7 || v.dstPort === 9) && (v.flags & 0x02) === 0;
    });
    expect(map.rewritten).toBe(mappedInbound.length);
    expect(map.rewritten).toBeGreaterThan(20);
    // TSval is allowed to differ from the recording, but must never go backwards on a connection.
    const lastTs = new Map<number, number>();
    for (const g of got) {
      const v = viewTcp(g);
      if (v === null || v.tsOffset < 0) continue;
      const ts = readU32(g, v.tsOffset);
      const prev = lastTs.get(v.dstPort);
      if (prev !== undefined) expect((ts - prev) | 0).toBeGreaterThanOrEqual(0);
      lastTs.set(v.dstPort, ts);
    }
    const counters = stack.countersSnapshot();
    expect(counters).toMatchObject({ TcpPassiveOpens: 2, TcpOutRsts: 1, UdpInDatagrams: 2, UdpOutDatagrams: 2, UdpNoPorts: 1, IcmpOutDestUnreachs: 1 });
    // Nothing the kernel sent looked wrong to the live stack once mapped.
    expect(counters.TcpInErrs ?? 0).toBe(0);
    expect(counters.TcpExtTCPChallengeACK ?? 0).toBe(0);
    stack.close();
  });

  it('fails without the ISN/TS mapping: the live stack rejects acknowledgments of numbers it never sent', async () => {
    const { link, stack } = await replay(false);
    const diverged = link.sent.some((g, i) => {
      const w = link.expectedOutbound[i];
      return w === undefined || compareOutbound(g.data, w.data, 0).length > 0;
    });
    expect(diverged).toBe(true);
    stack.close();
  });
});
