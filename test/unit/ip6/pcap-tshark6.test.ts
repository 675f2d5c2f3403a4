import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTshark, tsharkRequired } from '../../helpers/tshark.js';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { PcapTap } from '../../../src/link/pcap-tap.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';
import { Stack } from '../../../src/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-pcap6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An independent decoder's view of everything IPv6 the stack sends on
 * Ethernet: MLDv2 reports, DAD and resolution NS/NA, RS, and a fragmented
 * echo exchange. tshark must find every packet well formed, every ICMPv6
 * checksum good, and reassemble the fragments.
 */
describe.runIf(haveTshark || tsharkRequired)('an IPv6 capture written by the stack, read by tshark', () => {
  it('has no malformed packets, no expert errors or warnings, and the expected ICMPv6 conversation', async () => {
    expect(haveTshark, 'tshark is not installed (apt-get install tshark)').toBe(true);
    const clock = new VirtualClock(1_700_000_000_000_000);
    const [la, lb] = createMemoryPair(clock, { linkType: 'ethernet', latencyUs: 250 });
    const path = join(dir, 'stack6.pcap');
    const writer = new PcapWriter({ clock, linkType: 'ethernet', path });
    const a = new Stack({ clock, seed: 1, id: 'a' });
    const b = new Stack({ clock, seed: 2, id: 'b' });
    a.addInterface(new PcapTap(la, writer), { ipv6: ['2001:db8::1/64'] });
    b.addInterface(lb, { ipv6: ['2001:db8::2/64'] });
    clock.advance(15_000_000); // DAD, reports, solicitations
    const p = a.ping6('2001:db8::2', { identifier: 5, sequence: 1, data: new Uint8Array(3000).fill(0x5a) });
    clock.advance(1_000_000);
    await p;
    a.close();
    b.close();
    writer.close();

    const types = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'icmpv6.type'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    const seen = new Set(types.flatMap((t) => t.split(',')).filter((t) => t !== ''));
    // MLDv2 report, RS, NS, NA, echo request and reply (the reassembled ones).
    expect([...seen].sort()).toEqual(['128', '129', '133', '135', '136', '143']);
    const checks = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'icmpv6.checksum.status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const statuses = checks.split('\n').filter((x) => x !== '');
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((x) => x !== '1')).toEqual([]); // 1 = good (PROTO_CHECKSUM_E_GOOD)
    const expert = execFileSync('tshark', ['-r', path, '-z', 'expert', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(expert).not.toMatch(/Errors|Warnings|Malformed/);
  });
});
