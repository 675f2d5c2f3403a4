import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { listNetns } from '../../src/link/netns.js';
import { describeInterop } from './tun-gate.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeInterop('tsip demo on a TUN device with the kernel as the peer', () => {
  it('runs the whole demo, exits 0 and leaves no namespace behind', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const before = await listNetns();
    expect(await runDemo(['--pcap', join(dir, 'demo.pcap'), '-c', '3'], io)).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^tsip demo: TUN device tsip\w+ in network namespace tsip-\w+; the Linux kernel/);
    expect(out).toMatch(/3 packets transmitted, 3 received, 0% packet loss, time/); // the kernel's ping(8)
    expect(out).toMatch(/HTTP 200, \d+ bytes: .*IpInReceives/); // the kernel's curl
    expect(out).toMatch(/sent 10485760, received 10485760, sha256 equal/); // the kernel's TCP client
    expect(out).toMatch(/demo: every step succeeded\n$/);
    expect(await listNetns()).toEqual(before);
  });
});
