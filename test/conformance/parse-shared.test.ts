import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../../src/packetdrill/parser.js';
import { collectScriptSymbols, errnoNumber, symbolValue } from '../../src/packetdrill/symbols.js';
import { planTiming } from '../../src/packetdrill/timing.js';

/**
 * Parses every external packetdrill script in ../shared/conformance (google's
 * and gVisor's, read at run time and never copied into this repository) and
 * checks that the parser, the timing pre-pass and the symbol table cover them.
 */
const ROOT = process.env['TSIP_CONFORMANCE_DIR'] ?? fileURLToPath(new URL('../../../shared/conformance', import.meta.url));
const FOLDERS = ['packetdrill', 'packetdrill-gvisor'];

/**
 * Scripts we expect NOT to parse, keyed by path relative to ROOT, with the
 * reason. Empty: every shared script is in scope. A listed script that starts
 * parsing makes the test fail, so this list cannot go stale.
 */
const EXPECTED_PARSE_FAILURES: Readonly<Record<string, string>> = {};

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out;
}

const present = existsSync(ROOT);
if (!present) {
  console.warn(`[parse-shared] skipped: conformance scripts not found at ${ROOT} (set TSIP_CONFORMANCE_DIR to point at them)`);
}

describe.skipIf(!present)('packetdrill front end over the shared conformance scripts', () => {
  const files = present ? FOLDERS.flatMap((f) => (existsSync(join(ROOT, f)) ? walk(join(ROOT, f)) : [])) : [];
  const rel = (p: string): string => relative(ROOT, p);

  it('finds the scripts of both folders', () => {
    for (const f of FOLDERS) expect(files.some((p) => rel(p).startsWith(`${f}/`)), f).toBe(true);
  });

  it('parses every script (except the documented out-of-scope ones)', () => {
    const unexpected: string[] = [];
    for (const p of files) {
      const r = parseScript(readFileSync(p, 'utf8'));
      const expectedFailure = EXPECTED_PARSE_FAILURES[rel(p)];
      if (expectedFailure !== undefined) {
        expect(r.ok, `${rel(p)} is listed as out of scope (${expectedFailure}) but parses now`).toBe(false);
      } else if (!r.ok) {
        unexpected.push(`${rel(p)}: ${r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ')}`);
      }
    }
    expect(unexpected).toEqual([]);
  });

  it('passes the timing pre-pass on every parsed script', () => {
    const bad: string[] = [];
    for (const p of files) {
      const r = parseScript(readFileSync(p, 'utf8'));
      if (!r.ok) continue;
      const t = planTiming(r.script);
      if (!t.ok) bad.push(`${rel(p)}: ${t.errors.map((e) => `${e.line} ${e.message}`).join('; ')}`);
    }
    expect(bad).toEqual([]);
  });

  it('has a Linux value for every symbol and errno name the scripts use', () => {
    const missing = new Set<string>();
    let seen = 0;
    for (const p of files) {
      const r = parseScript(readFileSync(p, 'utf8'));
      if (!r.ok) continue;
      const { symbols, errnos } = collectScriptSymbols(r.script);
      seen += symbols.size + errnos.size;
      for (const s of symbols) if (symbolValue(s) === undefined) missing.add(s);
      for (const e of errnos) if (errnoNumber(e) === undefined) missing.add(e);
    }
    expect(seen).toBeGreaterThan(0);
    expect([...missing].sort()).toEqual([]);
  });

  it('lists only existing, parseable scripts in the manifests, and a self-test failure line is an event line', () => {
    for (const folder of FOLDERS) {
      const manifest = join(ROOT, folder, 'manifest.tsv');
      if (!existsSync(manifest)) continue;
      const rows = readFileSync(manifest, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const [path, , , expectCol] = row.split('\t');
        const file = join(ROOT, folder, path!);
        expect(existsSync(file), `${folder}/${path} listed in manifest.tsv`).toBe(true);
        const r = parseScript(readFileSync(file, 'utf8'));
        const failAt = /^fail@(\d+)$/.exec(expectCol ?? '');
        if (r.ok && failAt !== null) {
          expect(r.script.events.some((e) => e.line === Number(failAt[1])), `${folder}/${path} has an event on line ${failAt[1]}`).toBe(true);
        }
      }
    }
  });
});
