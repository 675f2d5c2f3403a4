import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { PacketBuffer } from '../../../src/core/packet-buffer.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { buildIcmpv4Echo } from '../../../src/icmp/icmpv4-header.js';
import { fragmentIpv4 } from '../../../src/ip/fragmenter.js';
import { parseIpv4 } from '../../../src/ip/ipv4-header.js';
import { twoStacks } from '../../helpers/stacks.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';

describe('IPv4 fragmentation and reassembly in the stack (RFC 791 §3.2)', () => {
  it('fragments a large echo to the MTU, reassembles it, and does the same for the reply', async () => {
    const { clock, a, b, ra, rb } = twoStacks({ mtu: 576 });
    const data = new Uint8Array(1400).map((_, i) => i * 7);
    const p = a.ping('192.0.2.2', { identifier: 3, sequence: 4, data });
    clock.runUntilIdle();
    const reply = await p;
    expect(toHex(reply.data)).toBe(toHex(data));
    // 1408 bytes of ICMP in 552-byte pieces: 552 + 552 + 304, MF on all but the last.
    for (const sent of [ra.frames(), rb.frames()]) {
      const hs = sent.map((f) => parseIpv4(f)).map((r) => (r.ok ? r.value : null));
      expect(hs.map((h) => [h!.totalLength, h!.fragmentOffset, h!.mf, h!.df])).toEqual([
        [572, 0, true, false],
        [572, 552, true, false],
        [324, 1104, false, false],
      ]);
      expect(new Set(hs.map((h) => h!.id)).size).toBe(1);
    }
    expect(a.counters).toMatchObject({ IpFragOKs: 1, IpFragCreates: 3, IpReasmReqds: 3, IpReasmOKs: 1 });
    expect(b.counters).toMatchObject({ IpFragOKs: 1, IpFragCreates: 3, IpReasmReqds: 3, IpReasmOKs: 1 });
  });

  it('times out an incomplete datagram after 30 s and sends time exceeded (code 1) quoting the first fragment', () => {
    const clock = new VirtualClock();
    const [la, lb] = createMemoryPair(clock);
    const out: Uint8Array[] = [];
    lb.setReceiver((f) => out.push(f.slice()));
    const a = new Stack({ clock, seed: 1, id: 'a' });
    const iface = a.addInterface(la, { ipv4: ['192.0.2.2/24'] });
    const frags = fragmentIpv4(
      { src: 0xc0000201, dst: 0xc0000202, protocol: 1, id: 0x77 },
      buildIcmpv4Echo({ identifier: 1, sequence: 1, data: new Uint8Array(200) }),
      100,
    );
    a.ip.receiveFrame(iface, frags[0]!);
    a.ip.receiveFrame(iface, frags[2]!);
    clock.advance(29_999_999);
    expect(out).toHaveLength(0);
    clock.advance(1);
    clock.runDue();
    expect(out).toHaveLength(1);
    const err = out[0]!;
    expect(toHex(err.subarray(20, 22))).toBe('0b01');
    expect(toHex(err.subarray(28, 28 + frags[0]!.length))).toBe(toHex(frags[0]!));
    expect(a.counters).toMatchObject({ IpReasmReqds: 2, IpReasmTimeout: 1, IpReasmFails: 1, IcmpOutTimeExcds: 1 });
  });

  it('refuses to fragment when DF is set', () => {
    const clock = new VirtualClock();
    const [la] = createMemoryPair(clock, { mtu: 576 });
    const a = new Stack({ clock, seed: 1 });
    a.addInterface(la, { ipv4: ['192.0.2.1/24'] });
    const pkt = PacketBuffer.alloc(1000);
    expect(a.ip.send({ dst: 0xc0000202, protocol: 253, dontFragment: true }, pkt)).toBe('EMSGSIZE');
    expect(a.counters.IpFragFails).toBe(1);
  });
});
