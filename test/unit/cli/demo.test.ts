import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/cli/demo.js';
import { readPcapFile } from '../../../src/link/pcap-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let out = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (out += t) }, text: () => out };
}

describe('tsip demo over the in-memory link', () => {
  it('pings both ways, writes a capture of every frame and prints its dump', async () => {
    const { io, text } = capture();
    const pcap = join(dir, 'demo.pcap');
    expect(await runDemo(['--memory', '--pcap', pcap, '-c', '2'], io)).toBe(0);
    const out = text();
    expect(out.split('\n')[0]).toMatch(/^tsip demo: over the in-memory link/);
    expect(out).toMatch(/2 packets transmitted, 2 received, 0% packet loss/g);
    expect(out.match(/2 packets transmitted, 2 received/g)).toHaveLength(2);
    const cap = await readPcapFile(pcap);
    expect(cap.packets).toHaveLength(8);
    expect(out).toMatch(/IP 192\.0\.2\.1 > 192\.0\.2\.2: ICMP echo request, id \d+, seq 1, length 64/);
    expect(out).toMatch(/IcmpOutEchoReps\s+2/);
  });
});
