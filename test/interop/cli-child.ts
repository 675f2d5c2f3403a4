/**
 * Running the real `tsip` command (node bin/tsip.js) as a child process in
 * interop tests: making sure dist/ is built from the current sources,
 * spawning, waiting for its `ready {json}` line or a stderr marker, and
 * stopping it within a bounded time.
 *
 * TSIP_BIN may point at another entry script (same argv contract) to run the
 * suite against a different build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** The entry script the tests run. */
export function tsipBin(): string {
  return process.env.TSIP_BIN ?? join(ROOT, 'bin', 'tsip.js');
}

function tsFiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Source files whose compiled counterpart in dist/ is missing or older than they are. */
export function staleOutputs(): string[] {
  const stale: string[] = [];
  for (const top of ['src', 'bench']) {
    const dir = join(ROOT, top);
    if (!existsSync(dir)) continue;
    for (const f of tsFiles(dir, [])) {
      const js = join(ROOT, 'dist', relative(ROOT, f)).replace(/\.ts$/, '.js');
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(f).mtimeMs) stale.push(relative(ROOT, f));
    }
  }
  return stale;
}

/**
 * Compiles to dist/ (`tsc -p tsconfig.json`) when any output is stale. Type
 * errors elsewhere in the tree do not stop tsc from emitting, so only a
 * missing entry point counts as failure.
 */
export function ensureBuilt(): void {
  if (staleOutputs().length === 0) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {
    cwd: ROOT,
    stdio: 'ignore',
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('tsc produced no dist/src/cli/main.js');
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `tsip` child. */
export interface TsipChild {
  readonly proc: ChildProcess;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Everything it printed on stdout so far (as text; nc's binary output goes to `onStdout` instead). */
  stdout(): string;
  readonly exited: Promise<ChildExit>;
  /** Resolves with the JSON of the `ready {json}` line; rejects if the child exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when stderr contains `text`; rejects if the child exits first or after `timeoutMs`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Resolves with how it ended. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ChildExit>;
}

/** Options for {@link spawnTsip}. */
export interface SpawnTsipOptions {
  /** Receives stdout chunks as bytes instead of collecting them as text. */
  onStdout?: (chunk: Buffer) => void;
}

/** Starts `node bin/tsip.js ARGS` with stdin, stdout and stderr as pipes. */
export function spawnTsip(args: readonly string[], options: SpawnTsipOptions = {}): TsipChild {
  const proc = spawn(process.execPath, [tsipBin(), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => {
    if (options.onStdout) options.onStdout(b);
    else out += b.toString('utf8');
  });
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  proc.stdin!.on('error', () => undefined); // it may exit without reading all we give it
  let exitInfo: ChildExit | null = null;
  const exited = new Promise<ChildExit>((res) => {
    proc.on('close', (code, signal) => {
      exitInfo = { code, signal };
      res(exitInfo);
    });
  });

  const waitFor = <T>(test: () => T | null, what: string, timeoutMs: number): Promise<T> =>
    new Promise((res, rej) => {
      const started = Date.now();
      const tick = (): void => {
        const v = test();
        if (v !== null) return res(v);
        if (exitInfo !== null) return rej(new Error(`tsip exited (${JSON.stringify(exitInfo)}) before ${what}; stderr: ${err}`));
        if (Date.now() - started > timeoutMs) return rej(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${err}`));
        setTimeout(tick, 20);
      };
      tick();
    });

  return {
    proc,
    stderr: () => err,
    stdout: () => out,
    exited,
    ready: (timeoutMs = 30_000) =>
      waitFor(
        () => {
          const m = /^ready (\{.*\})$/m.exec(out);
          return m ? (JSON.parse(m[1]!) as Record<string, unknown>) : null;
        },
        'ready line',
        timeoutMs,
      ),
    waitForStderr: (text, timeoutMs = 30_000) => waitFor(() => (err.includes(text) ? true : null), `'${text}' on stderr`, timeoutMs).then(() => undefined),
    stop: async (signal = 'SIGTERM', graceMs = 15_000) => {
      if (exitInfo !== null) return exitInfo;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** Writes `data` to a child's stdin in 64 KiB pieces, honouring backpressure, then closes it. */
export function writeAll(proc: ChildProcess, data: Uint8Array): Promise<void> {
  const stdin = proc.stdin!;
  return new Promise((res, rej) => {
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        const piece = data.subarray(off, off + 65536);
        off += piece.length;
        if (!stdin.write(piece)) {
          stdin.once('drain', pump);
          return;
        }
      }
      stdin.end(() => res());
    };
    stdin.once('error', rej);
    pump();
  });
}

/** True if a process with this pid still exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
