import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPacketdrill } from '../../../src/cli/packetdrill.js';
import { UsageError } from '../../../src/cli/io.js';

/** `tsip packetdrill` over a directory of small scripts written for this test. */
const dir = mkdtempSync(join(tmpdir(), 'tsip-pd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HANDSHAKE = `\`defaults.sh\`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
`;
writeFileSync(join(dir, 'a-pass.pkt'), `${HANDSHAKE}+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n+0 %{ print(tcpi_rto) }%\n`);
writeFileSync(join(dir, 'b-fail.pkt'), `${HANDSHAKE}+0 > S. 0:0(0) ack 1 <mss 1400,nop,wscale 8>\n`);
writeFileSync(join(dir, 'c-skip.pkt'), '`ip link set dev tun0 mtu 1400`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
writeFileSync(join(dir, 'notes.txt'), 'not a script');

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let out = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (out += t) }, text: () => out };
}

describe('tsip packetdrill', () => {
  it('prints one line per script, the packets of a mismatch, and the summary', async () => {
    const c = capture();
    const json = join(dir, 'report.json');
    const code = await runPacketdrill(['--json', json, dir], c.io);
    expect(code).toBe(1);
    const lines = c.text().split('\n');
    expect(lines[0]).toBe(`PASS ${join(dir, 'a-pass.pkt')}`);
    expect(lines[1]).toBe(`FAIL ${join(dir, 'b-fail.pkt')} line 6: error handling packet: tcp_option_mss: expected mss 1400 got mss 1460`);
    expect(lines[2]).toMatch(/^ {4}expected: 0\.000000 IP 192\.0\.2\.2\.8080 > 192\.0\.2\.1\.40000: Flags \[S\.\], seq 0, ack 1, .*mss 1400/);
    expect(lines[3]).toMatch(/^ {4}actual: {3}0\.000000 IP 192\.0\.2\.2\.8080 > 192\.0\.2\.1\.40000: Flags \[S\.\], seq 0, ack 1, .*mss 1460/);
    expect(lines[4]).toBe(`SKIP ${join(dir, 'c-skip.pkt')}: shell command not supported: ip link set dev tun0 mtu 1400`);
    expect(lines[5]).toBe('1 passed, 1 failed, 1 skipped; 1 %{ }% blocks skipped');
    const report = JSON.parse(readFileSync(json, 'utf8')) as { summary: unknown; results: Array<{ status: string; ip: string }> };
    expect(report.summary).toEqual({ passed: 1, failed: 1, skipped: 1, codeBlocksSkipped: 1 });
    expect(report.results.map((r) => `${r.status}/${r.ip}`)).toEqual(['pass/ipv4', 'fail/ipv4', 'skip/ipv4']);
  });

  it('runs both IP versions on request and exits 0 without failures', async () => {
    const c = capture();
    expect(await runPacketdrill(['--ip', 'both', join(dir, 'a-pass.pkt')], c.io)).toBe(0);
    expect(c.text()).toBe(`PASS ${join(dir, 'a-pass.pkt')} [v4]\nPASS ${join(dir, 'a-pass.pkt')} [v6]\n2 passed, 0 failed, 0 skipped; 2 %{ }% blocks skipped\n`);
  });

  it('prints the event trace with --verbose', async () => {
    const c = capture();
    await runPacketdrill(['--verbose', join(dir, 'a-pass.pkt')], c.io);
    expect(c.text()).toMatch(/ {4}0\.000000 line 6: > S\. 0:0\(0\)\n {6}outbound sniffed: 0\.000000 IP 192\.0\.2\.2\.8080 > /);
  });

  it('rejects bad usage', async () => {
    const c = capture();
    await expect(runPacketdrill([], c.io)).rejects.toBeInstanceOf(UsageError);
    await expect(runPacketdrill(['--ip', 'v5', dir], c.io)).rejects.toBeInstanceOf(UsageError);
    await expect(runPacketdrill([join(dir, 'missing')], c.io)).rejects.toBeInstanceOf(UsageError);
    expect(await runPacketdrill(['--help'], c.io)).toBe(0);
  });
});
