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
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { Stack } from '../../../src/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveTshark || tsharkRequired)('a capture written by the stack, read by tshark', () => {
  it('has no malformed packets and no expert errors or warnings', async () => {
    expect(haveTshark, 'tshark is not installed (apt-get install tshark)').toBe(true);
    const clock = new VirtualClock(1_700_000_000_000_000);
    const [la, lb] = createMemoryPair(clock, { latencyUs: 250 });
    const path = join(dir, 'stack.pcap');
    const writer = new PcapWriter({ clock, linkType: 'ip', path });
    const a = new Stack({ clock, seed: 1, id: 'a' });
    const b = new Stack({ clock, seed: 2, id: 'b' });
    a.addInterface(new PcapTap(la, writer), { ipv4: ['192.0.2.1/24'] });
    b.addInterface(lb, { ipv4: ['192.0.2.2/24'] });
    for (let seq = 1; seq <= 3; seq++) {
      const p = a.ping('192.0.2.2', { identifier: 77, sequence: seq, data: new Uint8Array(56).fill(seq) });
      clock.runUntilIdle();
      await p;
    }
    // A datagram of an unknown protocol (sent straight onto the wire, and
    // recorded as the tap would) draws an ICMP protocol unreachable quoting it.
    const unknown = buildIpv4({ src: 0xc0000201, dst: 0xc0000202, protocol: 253, id: 9 }, new Uint8Array(12));
    writer.write(unknown);
    la.send(unknown);
    clock.runUntilIdle();
    a.close();
    b.close();
    writer.close();

    const fields = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type', '-e', 'icmp.code'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(fields.trim().split('\n')).toEqual([
      '192.0.2.1\t192.0.2.2\t8\t0',
      '192.0.2.2\t192.0.2.1\t0\t0',
      '192.0.2.1\t192.0.2.2\t8\t0',
      '192.0.2.2\t192.0.2.1\t0\t0',
      '192.0.2.1\t192.0.2.2\t8\t0',
      '192.0.2.2\t192.0.2.1\t0\t0',
      '192.0.2.1\t192.0.2.2\t\t',
      // tshark lists the outer and the quoted header's addresses.
      '192.0.2.2,192.0.2.1\t192.0.2.1,192.0.2.2\t3\t2',
    ]);
    const expert = execFileSync('tshark', ['-r', path, '-o', 'ip.check_checksum:TRUE', '-z', 'expert', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(expert).not.toMatch(/Errors|Warnings|Malformed/);
  });
});
