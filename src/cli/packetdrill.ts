import { readFileSync, writeFileSync } from 'node:fs';
import { collectScripts, profileForPath } from '../packetdrill/files.js';
import { runScript, type ScriptResult } from '../packetdrill/runner.js';
import { UsageError, type CommandIo } from './io.js';

/**
 * `tsip packetdrill [--ip v4|v6|both] [--profile kernel|gvisor|bsd] [--json FILE]
 * [--verbose] PATH...`: runs packetdrill scripts against a fresh tsip stack
 * each, in virtual time (src/packetdrill/runner.ts). Directories are walked
 * for `*.pkt`. One line per script and IP version:
 *
 * ```
 * PASS tcp/close/close-on-syn-sent.pkt
 * FAIL tcp/nagle/https_client.pkt line 32: error handling packet: tcp_psh: expected 1 got 0
 *     expected: 0.230000 IP 192.0.2.2.60822 > 192.0.2.1.8080: Flags [P.], seq 1543:2517, ...
 *     actual:   0.230000 IP 192.0.2.2.60822 > 192.0.2.1.8080: Flags [.], seq 1543:2517, ...
 * SKIP tcp/eor/basic.pkt: line 12: system call epoll_create() is not supported
 * 40 passed, 3 failed, 1 skipped; 12 %{ }% blocks skipped
 * ```
 *
 * Exit status: 0 when nothing failed, 1 otherwise, 2 for bad usage.
 */

const USAGE = 'usage: tsip packetdrill [--ip v4|v6|both] [--profile kernel|gvisor|bsd] [--json FILE] [--verbose] PATH...';

interface Args {
  versions: Array<4 | 6>;
  profile: 'kernel' | 'gvisor' | 'bsd' | null;
  json: string | null;
  verbose: boolean;
  paths: string[];
}

function parseArgs(args: string[]): Args | null {
  const out: Args = { versions: [4], profile: null, json: null, verbose: false, paths: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '-h' || a === '--help') return null;
    else if (a === '--ip') {
      const v = value();
      if (v === 'v4' || v === '4') out.versions = [4];
      else if (v === 'v6' || v === '6') out.versions = [6];
      else if (v === 'both') out.versions = [4, 6];
      else throw new UsageError(`--ip takes v4, v6 or both\n${USAGE}`);
    } else if (a === '--profile') {
      const v = value();
      if (v !== 'kernel' && v !== 'gvisor' && v !== 'bsd') throw new UsageError(`--profile takes kernel, gvisor or bsd\n${USAGE}`);
      out.profile = v;
    } else if (a === '--json') out.json = value();
    else if (a === '-v' || a === '--verbose') out.verbose = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else out.paths.push(a);
  }
  if (out.paths.length === 0) throw new UsageError(`no script or directory given\n${USAGE}`);
  return out;
}

/** One row of the JSON report. */
interface JsonRow {
  path: string;
  ip: 'ipv4' | 'ipv6';
  status: ScriptResult['status'];
  line?: number;
  message?: string;
  expected?: string;
  actual?: string;
  reason?: string;
  codeBlocksSkipped: number;
}

/** Runs `tsip packetdrill`. */
export async function runPacketdrill(args: string[], io: CommandIo): Promise<number> {
  const a = parseArgs(args);
  if (a === null) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const files: string[] = [];
  for (const p of a.paths) {
    try {
      files.push(...collectScripts(p));
    } catch {
      throw new UsageError(`cannot read ${p}`);
    }
  }
  const rows: JsonRow[] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let codeBlocks = 0;
  for (const file of files) {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      io.err(`tsip packetdrill: cannot read ${file}\n`);
      failed++;
      continue;
    }
    for (const ip of a.versions) {
      const tag = a.versions.length > 1 ? ` [v${ip}]` : '';
      const trace: string[] = [];
      const r = runScript(source, {
        ipVersion: ip,
        baseProfile: a.profile ?? profileForPath(file),
        ...(a.verbose ? { trace: (l: string) => void trace.push(l) } : {}),
      });
      for (const l of trace) io.out(`    ${l}\n`);
      codeBlocks += r.codeBlocksSkipped;
      const row: JsonRow = { path: file, ip: ip === 4 ? 'ipv4' : 'ipv6', status: r.status, codeBlocksSkipped: r.codeBlocksSkipped };
      if (r.status === 'pass') {
        passed++;
        io.out(`PASS ${file}${tag}\n`);
      } else if (r.status === 'skip') {
        skipped++;
        row.reason = r.reason;
        io.out(`SKIP ${file}${tag}: ${r.reason}\n`);
      } else {
        failed++;
        Object.assign(row, { line: r.line, message: r.message });
        io.out(`FAIL ${file}${tag} line ${r.line}: ${r.message}\n`);
        if (r.expected !== undefined) {
          row.expected = r.expected;
          io.out(`    expected: ${r.expected}\n`);
        }
        if (r.actual !== undefined) {
          row.actual = r.actual;
          io.out(`    actual:   ${r.actual}\n`);
        }
      }
      rows.push(row);
    }
  }
  io.out(`${passed} passed, ${failed} failed, ${skipped} skipped; ${codeBlocks} %{ }% blocks skipped\n`);
  if (a.json !== null) {
    const report = { results: rows, summary: { passed, failed, skipped, codeBlocksSkipped: codeBlocks } };
    writeFileSync(a.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  return failed > 0 ? 1 : 0;
}
