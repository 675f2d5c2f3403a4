/**
 * The README's recipes, as code that runs: test/unit/socket/recipes.test.ts
 * executes every function here, so the README cannot drift from what works.
 * Each recipe takes a server stack and a client stack (e.g. two tsip stacks
 * on the in-memory link, or one on a TUN device and the kernel as the peer).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import type { Stack } from '../src/stack.js';

/** HTTP server: Node's own `http.Server`, fed the sockets a tsip server accepts. */
export async function httpServer(stack: Stack, port: number): Promise<() => void> {
  const app = http.createServer((req, res) => res.end(`hello from tsip, you asked for ${req.url}\n`));
  const tcp = stack.net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => app.emit('connection', socket));
  await new Promise<void>((resolve) => tcp.listen(port, resolve));
  return () => tcp.close();
}

/** HTTP client with Node's `http.request` and `createConnection`. */
export function httpGet(stack: Stack, host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, createConnection: () => stack.net.connect(port, host) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** HTTP client with undici: an Agent whose `connect` opens tsip sockets. */
export async function undiciGet(stack: Stack, url: string): Promise<string> {
  const dispatcher = new Agent({
    connect: (opts, cb) => {
      // undici leaves `port` empty when the URL implies the default one.
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      const s = stack.net.connect(port, opts.hostname);
      s.once('connect', () => cb(null, s as never));
      s.once('error', (e) => cb(e, null));
    },
  });
  try {
    const res = await request(url, { dispatcher });
    return await res.body.text();
  } finally {
    await dispatcher.close();
  }
}

/** WebSocket server (ws, noServer mode) behind Node's http server on tsip; echoes text. */
export async function wsEchoServer(stack: Stack, port: number): Promise<() => void> {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo: ${data.toString()}`)));
  const app = http.createServer();
  app.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const tcp = stack.net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => app.emit('connection', s));
  await new Promise<void>((resolve) => tcp.listen(port, resolve));
  return () => {
    wss.close();
    tcp.close();
  };
}

/** WebSocket client (ws) with `createConnection`. */
export function wsRoundTrip(stack: Stack, host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}:${port}/`, { createConnection: () => stack.net.connect(port, host) });
    ws.on('open', () => ws.send(text));
    ws.on('message', (data) => {
      resolve(data.toString());
      ws.close();
    });
    ws.on('error', reject);
  });
}

/** TLS server: Node's https server over tsip sockets (key and cert in PEM). */
export async function httpsServer(stack: Stack, port: number, key: string, cert: string): Promise<() => void> {
  const app = https.createServer({ key, cert }, (_req, res) => res.end('hello over TLS\n'));
  const tcp = stack.net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => app.emit('connection', s));
  await new Promise<void>((resolve) => tcp.listen(port, resolve));
  return () => tcp.close();
}

/** TLS client: `tls.connect({ socket })` on a tsip socket. */
export function tlsGet(stack: Stack, host: string, port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = stack.net.connect({ port, host, allowHalfOpen: true });
    const t = tls.connect({ socket, ca, servername }, () => t.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`));
    let reply = '';
    t.setEncoding('utf8');
    t.on('data', (d: string) => (reply += d));
    t.on('end', () => resolve(reply));
    t.on('error', reject);
  });
}

/** UDP echo with the dgram adapter. */
export async function udpEchoServer(stack: Stack, port: number): Promise<() => void> {
  const sock = stack.dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => sock.bind(port, resolve));
  return () => sock.close();
}

/** UDP client: one datagram out, the echo back. */
export function udpAsk(stack: Stack, host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = stack.dgram.createSocket('udp4');
    sock.on('message', (msg) => {
      resolve(msg.toString());
      sock.close();
    });
    sock.send(text, port, host);
  });
}

/** Ping: one ICMP echo request, the round-trip time in ms. */
export async function pingOnce(stack: Stack, host: string): Promise<number> {
  const reply = await stack.ping(host, { identifier: 1, sequence: 1 });
  return reply.rttUs / 1000;
}
