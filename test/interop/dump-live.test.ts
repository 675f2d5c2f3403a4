import { expect, it } from 'vitest';
import { runDump } from '../../src/cli/dump.js';
import { listNetns, randomDeviceName, randomNetnsName, runCommand } from '../../src/link/netns.js';
import { describeInterop } from './tun-gate.js';

describeInterop('tsip dump --live on a TUN device with the kernel as the peer', () => {
  it('prints the kernel ping and tsip replies as they cross, filtered, and cleans up', async () => {
    const ns = randomNetnsName();
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    const running = runDump(['--live', '--tun', randomDeviceName(), '--netns', ns, '-c', '4', 'icmp'], io);
    for (let i = 0; i < 200 && !err.includes('listening'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(err).toMatch(/tsip dump: listening on .*"netns":"tsip-/);
    const ping = await runCommand('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.0.2.2']);
    expect(ping.stdout).toMatch(/2 received/);
    expect(await running).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} IP 192\.0\.2\.1 > 192\.0\.2\.2: ICMP echo request, id \d+, seq 1, length 64$/);
    expect(lines[1]).toMatch(/IP 192\.0\.2\.2 > 192\.0\.2\.1: ICMP echo reply, id \d+, seq 1, length 64$/);
    expect(err).toMatch(/4 packets printed/);
    expect(await listNetns()).not.toContain(ns);
  });
});
