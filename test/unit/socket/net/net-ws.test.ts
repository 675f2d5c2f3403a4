import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { netPair, type NetPair, once, pattern, SERVER_IP, sha256 } from './fixture.js';

/** ws is a devDependency the lead adds; without it these tests are skipped. */
const require = createRequire(import.meta.url);
function hasWs(): boolean {
  try {
    require.resolve('ws');
    return true;
  } catch {
    return false;
  }
}
const available = hasWs();

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

describe('ws WebSocket server and client over tsip net', { timeout: 30_000 }, () => {
  it.skipIf(!available)('upgrade through Node http, text and 1 MB binary echo, ping/pong, close code and reason', async () => {
    const { WebSocket, WebSocketServer } = await import('ws');
    pair = netPair();
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (ws, req) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'bye') {
          ws.close(4000, 'done');
          return;
        }
        ws.send(isBinary ? data : `echo: ${data.toString()} from ${req.socket.remoteAddress}`, { binary: isBinary });
      });
    });
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    const tcp = pair.server.createServer((socket) => server.emit('connection', socket));
    tcp.listen(8080, SERVER_IP);
    await once(tcp, 'listening');

    const p = pair;
    const ws = new WebSocket(`ws://${SERVER_IP}:8080/chat`, {
      createConnection: (): Duplex => p.client.connect(8080, SERVER_IP),
    });
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    let gotMessage: (() => void) | null = null;
    ws.on('message', (data, isBinary) => {
      messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), binary: isBinary });
      gotMessage?.();
    });
    const next = (): Promise<void> => new Promise((resolve) => {
      gotMessage = resolve;
    });
    await once(ws, 'open');

    let m = next();
    ws.send('hello');
    await m;
    expect(messages[0]!.binary).toBe(false);
    expect(messages[0]!.data.toString()).toBe('echo: hello from 192.0.2.1');

    const big = pattern(1 << 20, 17);
    m = next();
    ws.send(big);
    await m;
    expect(messages[1]!.binary).toBe(true);
    expect(messages[1]!.data.length).toBe(big.length);
    expect(sha256(messages[1]!.data)).toBe(sha256(big));

    const pong = once<[Buffer]>(ws, 'pong');
    ws.ping('are you there');
    expect((await pong)[0].toString()).toBe('are you there');

    const closed = once<[number, Buffer]>(ws, 'close');
    ws.send('bye');
    const [code, reason] = await closed;
    expect(code).toBe(4000);
    expect(reason.toString()).toBe('done');
    wss.close();
  });
});
