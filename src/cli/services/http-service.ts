import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { nonZeroCounters } from '../../core/counters.js';
import { createNetApi, type NetServer } from '../../socket/net/index.js';
import type { Stack } from '../../stack.js';

/**
 * A small HTTP/1.1 server on a tsip stack, for `tsip serve --http PORT`
 * and the in-memory peer of `--memory`:
 *
 *   GET /          an HTML page with the stack's non-zero counters
 *   GET /bytes/N   N bytes (0 ≤ N ≤ {@link MAX_BYTES}) of the pattern
 *                  byte[i] = i mod 256, streamed with backpressure
 *   anything else  404 (405 for methods other than GET and HEAD)
 *
 * It is Node's own `http.Server`: the tsip `net` adapter accepts the
 * connections and each socket is handed over with
 * `server.emit('connection', socket)`, so the HTTP parsing, keep-alive and
 * chunking are Node's and the bytes travel through tsip's TCP.
 */

/** Largest body /bytes/N serves (1 GiB): bounds what one request can make us send. */
export const MAX_BYTES = 1 << 30;

/** 64 KiB of the /bytes pattern; a multiple of 256 so repeating it keeps byte[i] = i mod 256. */
const PATTERN = (() => {
  const b = Buffer.allocUnsafe(65536);
  for (let i = 0; i < b.length; i++) b[i] = i & 0xff;
  return b;
})();

/** A running HTTP service; close() stops listening and ends its connections. */
export interface HttpService {
  readonly port: number;
  close(): void;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The index page: the counters as a table (what `nstat` would show). */
function indexPage(stack: Stack): string {
  const rows = Object.entries(nonZeroCounters(stack.counters))
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${String(v)}</td></tr>`)
    .join('\n');
  return [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>tsip ${escapeHtml(stack.id)}</title></head>`,
    `<body><h1>tsip stack ${escapeHtml(stack.id)}</h1>`,
    `<p>${stack.tcp.connectionCount} TCP connection(s)</p>`,
    '<table><tr><th>counter</th><th>value</th></tr>',
    rows,
    '</table></body></html>',
    '',
  ].join('\n');
}

/** Writes `n` pattern bytes, waiting for 'drain' whenever the socket's buffer is full. */
function sendPattern(res: ServerResponse, n: number): void {
  let left = n;
  const pump = (): void => {
    while (left > 0) {
      const k = Math.min(left, PATTERN.length);
      left -= k;
      if (!res.write(PATTERN.subarray(0, k))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0; // the client went away: stop producing
  });
  pump();
}

function handle(stack: Stack, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/') {
    const body = Buffer.from(indexPage(stack));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  const m = /^\/bytes\/(\d{1,10})$/.exec(path);
  if (m !== null) {
    const n = Number(m[1]);
    if (n > MAX_BYTES) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`at most ${MAX_BYTES} bytes\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    if (method === 'HEAD') res.end();
    else sendPattern(res, n);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}

/**
 * Serves HTTP on `port` of every IPv4 address of `stack`; resolves once it
 * listens, rejects with the listen error (EADDRINUSE...).
 */
export function serveHttp(stack: Stack, port: number): Promise<HttpService> {
  const http: Server = createServer((req, res) => handle(stack, req, res));
  const net: NetServer = createNetApi(stack).createServer((socket) => http.emit('connection', socket));
  const service: HttpService = {
    port,
    close: () => {
      net.close();
      http.close();
      http.closeAllConnections();
    },
  };
  return new Promise((resolve, reject) => {
    net.once('error', reject);
    // The positional form, so the backlog is explicit (listen(options, cb) in the adapter reads it as 0).
    net.listen(port, '0.0.0.0', 128, () => {
      net.off('error', reject);
      // Later errors have nobody to go to but stderr; an unhandled 'error' would kill the process.
      net.on('error', (e: Error) => process.emitWarning(`tsip http on port ${port}: ${e.message}`));
      resolve(service);
    });
  });
}
