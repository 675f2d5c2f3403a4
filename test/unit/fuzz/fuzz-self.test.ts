import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runFuzz, type FuzzIo } from '../../../src/cli/fuzz.js';
import { defaultAddressPlan } from '../../../src/fuzz/addresses.js';
import { PacketGenerator } from '../../../src/fuzz/generator.js';
import { runCampaign } from '../../../src/fuzz/runner.js';
import { selfTargetFactory } from '../../../src/fuzz/self-target.js';

function captureIo(): { out: (t: string) => void; err: (t: string) => void; text: () => string; isTTY: boolean } {
  let s = '';
  return { out: (t) => void (s += t), err: (t) => void (s += t), text: () => s, isTTY: false };
}

describe('tsip fuzz --target self', () => {
  it('runs 200 000 packets with seed 1 and finds no failure', async () => {
    const io = captureIo();
    const code = await runFuzz(['--target', 'self', '--count', '200000', '--seed', '1'], io);
    expect(io.text()).toContain('no failure: the target stayed healthy');
    expect(io.text()).not.toContain('\r');
    expect(io.text()).toMatch(/seed 1, proto all, mode mixed: 200000 packets in /);
    // Every source of packets contributed: random, mutated and connection attacks with real handshakes.
    const m = /(\d+) random, (\d+) mutated \(\+(\d+) fragments\), (\d+) connection-attack packets \((\d+)\/(\d+) connections established\)/.exec(io.text());
    expect(m).not.toBeNull();
    const [random, mutated, , attack, established] = m!.slice(1).map(Number) as [number, number, number, number, number];
    expect(random).toBeGreaterThan(40_000);
    expect(mutated).toBeGreaterThan(60_000);
    expect(attack).toBeGreaterThan(15_000);
    expect(established).toBeGreaterThan(500);
    expect(code).toBe(0);
  }, 60_000);

  it('is deterministic: the same seed sends the same packets and gets the same answers', async () => {
    const digest = async (seed: number): Promise<string> => {
      const r = await runCampaign({ factory: selfTargetFactory, seed, count: 20_000, healthEvery: 5_000 });
      expect(r.failure).toBeNull();
      return `${r.outputs}/${r.injected}/${JSON.stringify(r.generator)}/${JSON.stringify(r.attacks)}`;
    };
    const a = await digest(7);
    expect(await digest(7)).toBe(a);
    expect(await digest(8)).not.toBe(a);
  }, 60_000);

  it('the generator alone: same seed, same bytes', () => {
    const hash = (seed: number): string => {
      const plan = defaultAddressPlan({ restricted: false, ipv6: true });
      const g = new PacketGenerator({ seed, plan, proto: 'all', mode: 'mixed' });
      const h = createHash('sha256');
      for (let i = 0; i < 5000; i++) h.update(g.next(i * 10));
      return h.digest('hex');
    };
    expect(hash(3)).toBe(hash(3));
    expect(hash(3)).not.toBe(hash(4));
  });

  it('--proto narrows what is sent', async () => {
    for (const proto of ['tcp', 'udp', 'icmp', 'ip'] as const) {
      const r = await runCampaign({ factory: selfTargetFactory, seed: 2, count: 3_000, proto });
      expect(r.failure).toBeNull();
      expect(r.attacks === null).toBe(proto !== 'tcp');
    }
  }, 60_000);

  it('shows a progress line with packets/s only on a terminal', async () => {
    let tty = '';
    const ttyIo: FuzzIo = { out: (t) => void (tty += t), err: (t) => void (tty += t), isTTY: true };
    await runFuzz(['--count', '20000', '--seed', '4'], ttyIo);
    expect(tty).toMatch(/\r\d+\/20000 packets {2}\d+ packets\/s {2}\d+ answers/);
    let plain = '';
    const plainIo: FuzzIo = { out: (t) => void (plain += t), err: (t) => void (plain += t), isTTY: false };
    await runFuzz(['--count', '20000', '--seed', '4'], plainIo);
    expect(plain).not.toContain('\r');
    expect(plain).toContain('no failure');
  }, 60_000);

  it('rejects bad usage', async () => {
    const io = captureIo();
    await expect(runFuzz(['--proto', 'sctp'], io)).rejects.toThrow(/--proto takes/);
    await expect(runFuzz(['--count'], io)).rejects.toThrow(/needs a value/);
    await expect(runFuzz(['--target', 'moon', '--count', '1'], io)).rejects.toThrow(/--target takes self or tun/);
  });
});

describe('tsip fuzz --seeds', () => {
  it('mutates the packets of a capture (aimed at the target) along with its own templates', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), isTTY: false };
    const code = await runFuzz(['--target', 'self', '--count', '20000', '--seed', '5', '--mode', 'mutate', '--seeds', 'fixtures/tsip-kernel-services.pcap'], io);
    expect(out).toContain('no failure');
    expect(code).toBe(0);
    await expect(runFuzz(['--count', '1', '--seeds', 'no/such/file.pcap'], io)).rejects.toThrow();
  }, 60_000);
});
