/**
 * `tsip fuzz --target tun`: 20 000 generated and mutated packets, with TCP
 * connection attacks, into the Linux kernel behind a TUN device in a
 * namespace created for the run; the kernel must still answer ping and
 * echo over a fresh TCP connection afterwards, and nothing is left behind.
 */
import { expect, it } from 'vitest';
import { runFuzz } from '../../src/cli/fuzz.js';
import { listNetns, randomNetnsName } from '../../src/link/netns.js';
import { describeInterop } from './tun-gate.js';

describeInterop('tsip fuzz against the Linux kernel (TUN in a network namespace)', () => {
  it('sends 20 000 packets and the kernel stays healthy', async () => {
    const before = new Set(await listNetns());
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), isTTY: false };
    const code = await runFuzz(['--target', 'tun', '--count', '20000', '--seed', '1'], io);
    expect(out).toMatch(/target tun: Linux kernel in network namespace tsip-[0-9a-f]+ behind TUN/);
    expect(out).toMatch(/seed 1, proto all, mode mixed: 20000 packets in /);
    expect(out).toMatch(/\d+ connection-attack packets \((\d+)\/\d+ connections established\)/);
    const established = Number(/\((\d+)\/\d+ connections established\)/.exec(out)?.[1]);
    expect(established).toBeGreaterThan(20);
    expect(out).toContain('no failure: the target stayed healthy');
    expect(code).toBe(0);
    // The run's namespace (and its device, and the echo server) are gone.
    const after = (await listNetns()).filter((n) => !before.has(n) && n.startsWith('tsip-'));
    expect(after).toEqual([]);
  }, 120_000);

  it('--netns names the namespace, which is created for the run and deleted after it', async () => {
    const name = randomNetnsName();
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), isTTY: false };
    const code = await runFuzz(['--target', 'tun', '--netns', name, '--count', '2000', '--seed', '2', '--proto', 'icmp'], io);
    expect(out).toContain(`network namespace ${name} behind TUN`);
    expect(out).toContain('no failure');
    expect(code).toBe(0);
    expect(await listNetns()).not.toContain(name);
  }, 120_000);
});
