import { request, type IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { parseIPv4 } from '../core/address.js';
import { RealClock } from '../core/clock.js';
import { createNetApi } from '../socket/net/index.js';
import type { Stack } from '../stack.js';
import { UsageError, type CommandIo } from './io.js';
import { parseLinkArgs, setupStack } from './link-setup.js';

/** What `tsip get` was asked to fetch. */
export interface GetOptions {
  /** IPv4 address of the server (tsip resolves no names). */
  host: string;
  port: number;
  /** Path and query. */
  path: string;
  /** -i: write the status line and headers before the body. */
  includeHeaders: boolean;
  verbose: boolean;
  /** -m: give up after this long (ms). */
  maxTimeMs: number;
}

/** Parses `[-i] [-v] [-m SEC] URL` with an `http://IPv4[:port]/path` URL. */
export function parseGetArgs(args: readonly string[]): GetOptions {
  let includeHeaders = false;
  let verbose = false;
  let maxTimeMs = 60_000;
  let url: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-i') includeHeaders = true;
    else if (a === '-v') verbose = true;
    else if (a === '-m') {
      const v = Number(args[++i]);
      if (!(v > 0) || v > 86_400) throw new UsageError('-m takes seconds (0..86400]');
      maxTimeMs = Math.round(v * 1000);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (url === null) url = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (url === null) throw new UsageError('get needs a URL');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:') throw new UsageError('only http:// URLs are supported');
  if (parseIPv4(u.hostname) === null) throw new UsageError(`the host must be an IPv4 address (tsip resolves no names): ${u.hostname}`);
  return {
    host: u.hostname,
    port: u.port === '' ? 80 : Number(u.port),
    path: `${u.pathname}${u.search}`,
    includeHeaders,
    verbose,
    maxTimeMs,
  };
}

/** How a fetch ended. */
export interface FetchResult {
  /** HTTP status, or 0 when no response came. */
  readonly status: number;
  /** Body bytes written to the output. */
  readonly bytes: number;
  /** Why it failed (connection error, timeout, truncated body), or null. */
  readonly error: string | null;
}

/**
 * HTTP GET of `o.path` from `o.host:o.port` through `stack`'s TCP: Node's
 * own HTTP client (`http.request`) whose socket comes from tsip's `net`
 * adapter (`createConnection`). The body goes to `out`, pausing the response
 * while `out` pushes back. Never rejects.
 */
export function fetchTo(stack: Stack, o: GetOptions, out: Writable, io: CommandIo): Promise<FetchResult> {
  const net = createNetApi(stack);
  return new Promise((resolve) => {
    let status = 0;
    let bytes = 0;
    let settled = false;
    const settle = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, bytes, error });
    };
    const req = request(
      {
        host: o.host,
        port: o.port,
        path: o.path,
        method: 'GET',
        // No agent: with `agent: false` Node would make a fresh Agent, which
        // ignores createConnection and opens a kernel socket instead.
        headers: { connection: 'close', 'user-agent': 'tsip-get' },
        createConnection: () => net.createConnection({ host: o.host, port: o.port }),
      },
      (res: IncomingMessage) => {
        status = res.statusCode ?? 0;
        if (o.verbose) io.err(`tsip get: HTTP/${res.httpVersion} ${status} ${res.statusMessage ?? ''}\n`);
        if (o.includeHeaders) {
          const lines = [`HTTP/${res.httpVersion} ${status} ${res.statusMessage ?? ''}`];
          for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]!}: ${res.rawHeaders[i + 1]!}`);
          out.write(`${lines.join('\r\n')}\r\n\r\n`);
        }
        res.on('data', (d: Buffer) => {
          bytes += d.length;
          if (!out.write(d)) {
            res.pause();
            out.once('drain', () => res.resume());
          }
        });
        res.on('end', () => settle(res.complete ? null : 'connection closed before the end of the body'));
        res.on('aborted', () => settle('connection closed before the end of the body'));
        res.on('error', (e) => settle(e.message));
      },
    );
    const timer = setTimeout(() => {
      settle(`no complete response within ${o.maxTimeMs / 1000} s`);
      req.destroy();
    }, o.maxTimeMs);
    req.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
    req.end();
  });
}

/**
 * `tsip get [link] [-i] [-v] [-m SEC] URL`: fetches an http:// URL through a
 * tsip stack and writes the body to stdout. With --memory the in-process
 * peer serves HTTP on 192.0.2.1:80. Exit 0 for a 2xx/3xx response received
 * whole, 1 otherwise.
 */
export async function runGet(args: string[], io: CommandIo, out: Writable = process.stdout): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  const o = parseGetArgs(rest);
  const on = await setupStack(link, new RealClock(), 'tsip-get', { peerServices: true });
  try {
    const r = await fetchTo(on.stack, o, out, io);
    await new Promise<void>((resolve) => out.write(new Uint8Array(0), () => resolve()));
    if (r.error !== null) {
      io.err(`tsip get: ${r.error}\n`);
      return 1;
    }
    if (r.status >= 400) {
      io.err(`tsip get: HTTP status ${r.status}\n`);
      return 1;
    }
    return 0;
  } finally {
    await on.close();
  }
}
