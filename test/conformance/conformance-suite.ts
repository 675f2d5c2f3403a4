import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileForPath } from '../../src/packetdrill/files.js';
import { runScript, type ScriptResult } from '../../src/packetdrill/runner.js';

/**
 * Helpers shared by the conformance tests: the manifests of the external
 * script folders, the known-failures list, and running one script.
 */

/** One manifest row: path (relative to the folder), group, tier, expectation. */
export interface ManifestRow {
  readonly folder: string;
  readonly path: string;
  readonly group: string;
  readonly tier: string;
  /** 'pass', or the line a self-test must fail at. */
  readonly expect: { readonly kind: 'pass' } | { readonly kind: 'fail'; readonly line: number };
}

/** Reads `folder/manifest.tsv` (tab-separated: path, group, tier, expect, notes; `#` comments). */
export function readManifest(root: string, folder: string): ManifestRow[] {
  const file = join(root, folder, 'manifest.tsv');
  if (!existsSync(file)) return [];
  const rows: ManifestRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [path, group, tier, expect] = line.split('\t');
    const failAt = /^fail@(\d+)$/.exec(expect ?? '');
    rows.push({
      folder,
      path: path!,
      group: group ?? '',
      tier: tier ?? '',
      expect: failAt !== null ? { kind: 'fail', line: Number(failAt[1]) } : { kind: 'pass' },
    });
  }
  return rows;
}

/** IP version labels used in the known-failures list. */
export type IpLabel = 'ipv4' | 'ipv6';

/** Reads the known-failures list: `path<TAB>ip-version<TAB>reason`, `#` comments. Keyed `path\tip`. */
export function readKnownFailures(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [path, ip, ...reason] = line.split('\t');
    if (path === undefined || (ip !== 'ipv4' && ip !== 'ipv6')) throw new Error(`known-failures.txt: bad line: ${line}`);
    out.set(`${path}\t${ip}`, reason.join('\t'));
  }
  return out;
}

/** Runs one script file over one IP version, with the profile its location implies. */
export function runFile(file: string, ip: IpLabel): ScriptResult {
  return runScript(readFileSync(file, 'utf8'), { ipVersion: ip === 'ipv4' ? 4 : 6, baseProfile: profileForPath(file) });
}

/** A one-line description of a result. */
export function describeResult(r: ScriptResult): string {
  switch (r.status) {
    case 'pass':
      return 'PASS';
    case 'skip':
      return `SKIP: ${r.reason}`;
    case 'fail':
      return `FAIL line ${r.line}: ${r.message}${r.expected !== undefined ? `\n      expected: ${r.expected}\n      actual:   ${r.actual ?? ''}` : ''}`;
  }
}
