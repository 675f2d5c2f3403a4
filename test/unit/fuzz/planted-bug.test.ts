import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFuzzWith } from '../../../src/cli/fuzz.js';
import { readU16 } from '../../../src/core/bytes.js';
import { defaultAddressPlan } from '../../../src/fuzz/addresses.js';
import { readReproducer } from '../../../src/fuzz/reproducer.js';
import type { FuzzTarget, TargetFactory } from '../../../src/fuzz/target.js';
import { readPcap } from '../../../src/link/pcap-reader.js';
import { FIN, SYN } from '../../../src/tcp/header.js';

/**
 * A test-only target with a planted bug: it throws on a TCP segment with
 * both SYN and FIN set and the urgent pointer 0x1234 — one segment in about
 * a million random ones. Everything else it swallows.
 */
class PlantedBugTarget implements FuzzTarget {
  readonly kind = 'planted';
  readonly virtualTime = true;
  readonly probes = false;
  readonly mtu = 1500;
  readonly plan = defaultAddressPlan({ restricted: false, ipv6: false });
  private t = 0;

  inject(p: Uint8Array): void {
    if (p.length < 20 || p[0]! >>> 4 !== 4 || p[9] !== 6) return;
    const hl = (p[0]! & 0x0f) << 2;
    if (hl < 20 || p.length < hl + 20) return;
    const flags = p[hl + 13]!;
    if ((flags & SYN) !== 0 && (flags & FIN) !== 0 && readU16(p, hl + 18) === 0x1234) {
      throw new Error('planted bug: SYN+FIN with urgent pointer 0x1234');
    }
  }

  advance(us: number): void {
    this.t += us;
  }

  now(): number {
    return this.t;
  }

  setOutput(): void {}

  describe(): string {
    return 'a stub with a planted bug';
  }

  async close(): Promise<void> {}
}

const planted: TargetFactory = async () => new PlantedBugTarget();

describe('a planted bug is found, shrunk to one packet, written and replayed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsip-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const repro = join(dir, 'planted.pcap');

  it('finds it, shrinks it to the one guilty packet and writes a reproducer with the seed', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), isTTY: false };
    const code = await runFuzzWith(
      ['--target', 'planted', '--proto', 'tcp', '--mode', 'random', '--count', '20000000', '--seed', '1', '--repro', repro],
      io,
      { targets: { planted } },
    );
    expect(code).toBe(1);
    expect(out).toMatch(/FAILURE after packet \d+: exception: Error: planted bug: SYN\+FIN with urgent pointer 0x1234/);
    expect(out).toMatch(/shrunk from \d+ to 1 packet\(s\)/);
    expect(out).toContain(`reproducer: ${repro} (seed 1)`);

    // The reproducer: one raw IP packet (read back with pcap-parser), carrying the trigger.
    const cap = await readPcap(repro);
    expect(cap.linkType).toBe(101);
    expect(cap.packets.length).toBe(1);
    const p = cap.packets[0]!.data;
    const hl = (p[0]! & 0x0f) << 2;
    expect(p[9]).toBe(6);
    expect(p[hl + 13]! & (SYN | FIN)).toBe(SYN | FIN);
    expect(readU16(p, hl + 18)).toBe(0x1234);
    // Byte shrinking left only what the trigger needs: 20 + 20 bytes at most of headers, no payload.
    expect(p.length).toBeLessThanOrEqual(hl + 20 + 40);

    const { meta } = await readReproducer(repro);
    expect(meta?.seed).toBe(1);
    expect(meta?.target).toBe('planted');
    expect(meta?.failure.kind).toBe('exception');
  }, 120_000);

  it('tsip fuzz --replay says it still fails', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const code = await runFuzzWith(['--replay', repro], io, { targets: { planted } });
    expect(out).toContain('replaying 1 packet(s)');
    expect(out).toContain('still fails: exception: Error: planted bug');
    expect(code).toBe(1);
  });

  it('and a harmless capture replays clean (exit 0)', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const clean = join(dir, 'clean.pcap');
    const ok = await runFuzzWith(['--target', 'planted', '--count', '1000', '--seed', '3', '--proto', 'udp', '--repro', clean], io, { targets: { planted } });
    expect(ok).toBe(0);
    // Replaying the planted reproducer into the healthy self target does not fail either.
    const code = await runFuzzWith(['--replay', repro, '--target', 'self'], io, { targets: { planted } });
    expect(out).toContain('does not fail: the target stayed healthy');
    expect(code).toBe(0);
  }, 60_000);
});
