import { createRequire } from 'node:module';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, netPair, type NetPair, once, pattern, SERVER_IP, sha256 } from './fixture.js';

/** undici is a devDependency the lead adds; without it these tests are skipped. */
const require = createRequire(import.meta.url);
function hasUndici(): boolean {
  try {
    require.resolve('undici');
    return true;
  } catch {
    return false;
  }
}
const available = hasUndici();

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

const BIG = pattern(1 << 20, 13);

async function startHttp(p: NetPair): Promise<number> {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.end(BIG);
      return;
    }
    void collect(req).then((body) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, length: body.length, sha256: sha256(body) }));
    });
  });
  const tcp = p.server.createServer((socket) => server.emit('connection', socket));
  tcp.listen(8080, SERVER_IP);
  await once(tcp, 'listening');
  return 8080;
}

type ConnectCallback = (...args: [null, Socket] | [Error, null]) => void;

/** undici's custom `connect`: open a tsip socket, hand it over once connected. */
function tsipConnector(p: NetPair): (opts: { hostname: string; port: string }, cb: ConnectCallback) => void {
  return (opts, cb) => {
    const s = p.client.connect({ port: Number(opts.port), host: opts.hostname });
    const onError = (e: Error): void => cb(e, null);
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      cb(null, s as unknown as Socket);
    });
  };
}

describe('undici over tsip net (custom connect)', { timeout: 30_000 }, () => {
  it.skipIf(!available)('request(): GET 1 MB and POST 1 MB through an Agent whose connect opens tsip sockets', async () => {
    const undici = await import('undici');
    pair = netPair();
    const port = await startHttp(pair);
    const dispatcher = new undici.Agent({ connect: tsipConnector(pair) });
    try {
      const r = await undici.request(`http://${SERVER_IP}:${port}/big`, { dispatcher });
      expect(r.statusCode).toBe(200);
      const got = Buffer.from(await r.body.arrayBuffer());
      expect(got.length).toBe(BIG.length);
      expect(sha256(got)).toBe(sha256(BIG));

      const body = pattern(1 << 20, 99);
      const p = await undici.request(`http://${SERVER_IP}:${port}/hash`, { method: 'POST', body, dispatcher });
      expect(await p.body.json()).toEqual({ method: 'POST', length: body.length, sha256: sha256(body) });
    } finally {
      await dispatcher.close();
    }
  });

  it.skipIf(!available)('fetch(): GET 1 MB and POST 1 MB with a Client bound to a tsip connector', async () => {
    const undici = await import('undici');
    pair = netPair();
    const port = await startHttp(pair);
    const origin = `http://${SERVER_IP}:${port}`;
    const dispatcher = new undici.Client(origin, { connect: tsipConnector(pair) });
    try {
      const res = await undici.fetch(`${origin}/big`, { dispatcher });
      expect(res.status).toBe(200);
      const got = Buffer.from(await res.arrayBuffer());
      expect(sha256(got)).toBe(sha256(BIG));

      const body = pattern(1 << 20, 5);
      const p = await undici.fetch(`${origin}/hash`, { method: 'PUT', body, dispatcher });
      expect(await p.json()).toEqual({ method: 'PUT', length: body.length, sha256: sha256(body) });
    } finally {
      await dispatcher.close();
    }
  });

  it.skipIf(!available)('a refused connect surfaces as undici\'s error with the tsip cause', async () => {
    const undici = await import('undici');
    pair = netPair();
    const dispatcher = new undici.Agent({ connect: tsipConnector(pair) });
    try {
      const err = await undici.request(`http://${SERVER_IP}:81/`, { dispatcher }).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: SERVER_IP, port: 81 });
    } finally {
      await dispatcher.close();
    }
  });
});
