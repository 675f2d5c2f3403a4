import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScriptResult } from '../../src/packetdrill/runner.js';
import { describeResult, readKnownFailures, readManifest, runFile, type IpLabel, type ManifestRow } from './conformance-suite.js';

/**
 * Runs the external packetdrill scripts of ../shared/conformance (google's
 * and gVisor's, read at run time, never copied here) over IPv4 and IPv6, and
 * compares the outcome with test/conformance/known-failures.txt:
 * - a script that fails and is not on the list is a regression;
 * - a script on the list that now passes must be removed from it (the list
 *   only shrinks);
 * - the interpreter self-tests (manifest `expect=fail@N`) must fail exactly
 *   at their marked line.
 */
const ROOT = process.env['TSIP_CONFORMANCE_DIR'] ?? fileURLToPath(new URL('../../../shared/conformance', import.meta.url));
const FOLDERS = ['packetdrill', 'packetdrill-gvisor'];
const IPS: readonly IpLabel[] = ['ipv4', 'ipv6'];
const KNOWN_FAILURES = fileURLToPath(new URL('./known-failures.txt', import.meta.url));

const present = existsSync(ROOT);
if (!present) console.warn(`[run-shared] skipped: conformance scripts not found at ${ROOT} (set TSIP_CONFORMANCE_DIR)`);

interface Outcome {
  readonly row: ManifestRow;
  readonly ip: IpLabel;
  /** `folder/path`, as the known-failures list names scripts. */
  readonly key: string;
  readonly result: ScriptResult;
}

describe.skipIf(!present)('shared packetdrill scripts on tsip', () => {
  const outcomes: Outcome[] = [];
  let known = new Map<string, string>();

  beforeAll(() => {
    known = readKnownFailures(KNOWN_FAILURES);
    for (const folder of FOLDERS) {
      for (const row of readManifest(ROOT, folder)) {
        for (const ip of IPS) {
          const key = `${folder}/${row.path}`;
          outcomes.push({ row, ip, key, result: runFile(join(ROOT, folder, row.path), ip) });
        }
      }
    }
    // The per-tier table, for the record.
    const tiers = new Map<string, { pass: number; fail: number; skip: number }>();
    for (const o of outcomes) {
      const t = `tier ${o.row.tier} ${o.ip}`;
      const c = tiers.get(t) ?? { pass: 0, fail: 0, skip: 0 };
      c[o.result.status]++;
      tiers.set(t, c);
    }
    const lines = [...tiers.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, c]) => `  ${t.padEnd(16)} pass ${c.pass}  fail ${c.fail}  skip ${c.skip}`);
    console.log(`[run-shared] ${outcomes.length} runs\n${lines.join('\n')}`);
  });

  it('finds the manifests of both folders', () => {
    for (const f of FOLDERS) expect(outcomes.some((o) => o.row.folder === f), f).toBe(true);
  });

  it('makes every interpreter self-test fail at its marked line', () => {
    const wrong: string[] = [];
    for (const o of outcomes) {
      if (o.row.expect.kind !== 'fail') continue;
      const r = o.result;
      if (r.status !== 'fail' || r.line !== o.row.expect.line) wrong.push(`${o.key} [${o.ip}] should fail at line ${o.row.expect.line}: ${describeResult(r)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('has no failure that is not on the known-failures list', () => {
    const regressions: string[] = [];
    for (const o of outcomes) {
      if (o.row.expect.kind !== 'pass' || o.result.status === 'pass') continue;
      if (!known.has(`${o.key}\t${o.ip}`)) regressions.push(`${o.key}\t${o.ip}\t${describeResult(o.result)}`);
    }
    expect(regressions, 'scripts that fail but are not in test/conformance/known-failures.txt').toEqual([]);
  });

  it('has no known failure that passes now (the list only shrinks)', () => {
    const ran = new Set(outcomes.map((o) => `${o.key}\t${o.ip}`));
    const stale: string[] = [];
    for (const key of known.keys()) {
      const o = outcomes.find((x) => `${x.key}\t${x.ip}` === key);
      if (!ran.has(key)) stale.push(`${key}  (no such script in the manifests)`);
      else if (o !== undefined && o.result.status === 'pass') stale.push(`${key}  (passes now)`);
    }
    expect(stale, 'remove these lines from test/conformance/known-failures.txt').toEqual([]);
  });
});
