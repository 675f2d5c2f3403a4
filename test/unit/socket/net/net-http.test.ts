import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, netPair, type NetPair, once, pattern, SERVER_IP, sha256 } from './fixture.js';

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

const BIG = pattern(1 << 20, 9);

/** Node's own http.Server, fed with the sockets a tsip net.Server accepts. */
async function startHttp(p: NetPair): Promise<{ http: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/big') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(BIG);
      return;
    }
    if (req.method === 'POST' && req.url === '/hash') {
      void collect(req).then((body) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ length: body.length, sha256: sha256(body), peer: req.socket.remoteAddress }));
      });
      return;
    }
    res.statusCode = 404;
    res.end('no such thing');
  });
  // The options http.Server gives its own net.Server (half-open is handled by
  // http itself; no Nagle delay on responses).
  const tcp = p.server.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket));
  tcp.listen(8080, SERVER_IP);
  await once(tcp, 'listening');
  return { http: server, port: 8080 };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** http.request over tsip: the client socket comes from `createConnection`. */
function request(p: NetPair, options: http.RequestOptions, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: SERVER_IP,
      ...options,
      createConnection: (o: http.ClientRequestArgs): Duplex => p.client.connect({ port: Number(o.port), host: String(o.host) }),
    }, (res) => {
      collect(res).then((b) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Node http over tsip net', { timeout: 30_000 }, () => {
  it('GET of 1 MB: http.Server via emit("connection"), http.request via createConnection', async () => {
    pair = netPair();
    const { port } = await startHttp(pair);
    const r = await request(pair, { port, path: '/big' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(BIG.length));
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.body.length).toBe(BIG.length);
    expect(sha256(r.body)).toBe(sha256(BIG));
  });

  it('POST of 1 MB (chunked): the server hashes exactly what was sent', async () => {
    pair = netPair();
    const { port } = await startHttp(pair);
    const body = pattern(1 << 20, 77);
    const r = await request(pair, { port, path: '/hash', method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, body);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ length: body.length, sha256: sha256(body), peer: '192.0.2.1' });
  });

  it('a keep-alive http.Agent reuses one tsip socket for several requests; 404s come through', async () => {
    pair = netPair();
    const { port } = await startHttp(pair);
    const p = pair;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const created: number[] = [];
    agent.createConnection = (o: http.ClientRequestArgs): Duplex => {
      const s = p.client.connect({ port: Number(o.port), host: String(o.host) });
      s.once('connect', () => created.push(s.localPort!));
      return s;
    };
    const r1 = await request(pair, { port, path: '/big', agent });
    const body = pattern(300_000, 1);
    const r2 = await request(pair, { port, path: '/hash', method: 'POST', agent, headers: { 'content-length': String(body.length) } }, body);
    const r3 = await request(pair, { port, path: '/nothing', agent });
    expect(sha256(r1.body)).toBe(sha256(BIG));
    expect(JSON.parse(r2.body.toString())).toMatchObject({ length: body.length, sha256: sha256(body) });
    expect(r3.status).toBe(404);
    expect(r3.body.toString()).toBe('no such thing');
    expect(created).toHaveLength(1);
    agent.destroy();
  });
});
