import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/cli/demo.js';
import { decodePacket } from '../../../src/cli/decode/decode.js';
import { readPcapFile } from '../../../src/link/pcap-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsip demo over the in-memory link', () => {
  it('pings, fetches / over HTTP, echoes the payload byte-exact, and captures every frame', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const pcap = join(dir, 'demo.pcap');
    expect(await runDemo(['--memory', '--pcap', pcap, '-c', '2', '--echo-bytes', '1000000'], io)).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^tsip demo: over the in-memory link, a second tsip stack \(192\.0\.2\.1\) is the peer \(no TUN: --memory was given\)$/);
    expect(out).toMatch(/2 packets transmitted, 2 received, 0% packet loss/);
    expect(out).toMatch(/HTTP 200, \d+ bytes: .*IpInReceives/);
    expect(out).toMatch(/sent 1000000, received 1000000, sha256 equal/);
    expect(out).toMatch(/demo: every step succeeded\n$/);
    const cap = await readPcapFile(pcap);
    // The capture holds the pings, the HTTP exchange and the echo: at least 1 MB of TCP payload each way.
    let tcpPayload = 0;
    for (const p of cap.packets) {
      const d = decodePacket(p.data, cap.linkType);
      const len = d.layers.find((l) => l.protocol === 'tcp')?.fields.find((f) => f.name === 'payload-length')?.value;
      if (typeof len === 'number') tcpPayload += len;
    }
    expect(tcpPayload).toBeGreaterThan(2_000_000);
    expect(out).toMatch(/IP 192\.0\.2\.1 > 192\.0\.2\.2: ICMP echo request, id \d+, seq 1, length 64/);
  });
});
