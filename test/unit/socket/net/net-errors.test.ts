import * as nodeNet from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetSocket } from '../../../../src/socket/net/index.js';
import { netPair, type NetPair, once, pattern, SERVER_IP, until } from './fixture.js';

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

/** The fields Node puts on a system error. */
function shape(e: unknown): Record<string, unknown> {
  const x = e as Record<string, unknown>;
  return { message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, address: x.address, port: x.port };
}

/** Node's own error for a connect to a closed port on the kernel's loopback (the reference shape). */
async function kernelRefused(): Promise<{ err: Error; port: number }> {
  const probe = nodeNet.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as nodeNet.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const s = nodeNet.connect(port, '127.0.0.1');
  const [err] = await once<[Error]>(s, 'error');
  return { err, port };
}

describe('errors shaped as Node shapes them', { timeout: 30_000 }, () => {
  it('ECONNREFUSED: "connect ECONNREFUSED addr:port" with the same fields as Node\'s own error', async () => {
    pair = netPair();
    const s = pair.client.connect(81, SERVER_IP);
    const closed = once<[boolean]>(s, 'close');
    const [err] = await once<[Error]>(s, 'error');
    expect(shape(err)).toEqual({
      message: `connect ECONNREFUSED ${SERVER_IP}:81`, code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: SERVER_IP, port: 81,
    });
    expect(await closed).toEqual([true]);
    expect(s.destroyed).toBe(true);

    const ref = await kernelRefused();
    expect(shape(ref.err)).toEqual({
      message: `connect ECONNREFUSED 127.0.0.1:${ref.port}`, code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: ref.port,
    });
  });

  it('ENETUNREACH when no route exists, as a connect error with address and port', async () => {
    pair = netPair();
    const s = pair.client.connect(80, '198.51.100.7');
    const [err] = await once<[Error]>(s, 'error');
    expect(shape(err)).toEqual({
      message: 'connect ENETUNREACH 198.51.100.7:80', code: 'ENETUNREACH', errno: -101, syscall: 'connect', address: '198.51.100.7', port: 80,
    });
  });

  it('a write queued while connecting fails with ERR_SOCKET_CLOSED_BEFORE_CONNECTION when the connect fails', async () => {
    pair = netPair();
    const s = pair.client.connect(81, SERVER_IP);
    const writeErr = new Promise<Error | null | undefined>((resolve) => s.write('early', (e) => resolve(e)));
    const [err] = await once<[Error]>(s, 'error');
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(await writeErr).toMatchObject({ code: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION' });
  });

  it('ECONNRESET: a peer that closes with unread data resets (RFC 2525), the socket errors with "read ECONNRESET"', async () => {
    pair = netPair();
    let serverSock: NetSocket | null = null;
    const srv = pair.server.createServer({ pauseOnConnect: true }, (sock) => {
      serverSock = sock;
    });
    srv.listen(0, SERVER_IP);
    await once(srv, 'listening');
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    s.write(pattern(1000));
    await until(() => serverSock !== null && serverSock.tcpConnection!.readableLength === 1000, 'data at the server');
    const errored = once<[Error]>(s, 'error');
    const closed = once<[boolean]>(s, 'close');
    serverSock!.destroy();
    const [err] = await errored;
    expect(shape(err)).toEqual({ message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read', address: undefined, port: undefined });
    expect(await closed).toEqual([true]);
    expect(pair.b.counters.TcpExtTCPAbortOnClose).toBe(1);
  });

  it('EADDRINUSE on listen: "listen EADDRINUSE: address already in use host:port", emitted, not thrown', async () => {
    pair = netPair();
    const first = pair.server.createServer();
    first.listen(0, SERVER_IP);
    await once(first, 'listening');
    const port = first.address()!.port;
    const second = pair.server.createServer();
    expect(() => second.listen(port, SERVER_IP)).not.toThrow();
    const [err] = await once<[Error]>(second, 'error');
    expect(shape(err)).toEqual({
      message: `listen EADDRINUSE: address already in use ${SERVER_IP}:${port}`, code: 'EADDRINUSE', errno: -98, syscall: 'listen', address: SERVER_IP, port,
    });
    expect(second.listening).toBe(false);

    // The same from the kernel, through Node's own net.
    const k1 = nodeNet.createServer();
    await new Promise<void>((r) => k1.listen(0, '127.0.0.1', r));
    const kport = (k1.address() as nodeNet.AddressInfo).port;
    const k2 = nodeNet.createServer();
    k2.listen(kport, '127.0.0.1');
    const [kerr] = await once<[Error]>(k2, 'error');
    k1.close();
    expect(shape(kerr)).toEqual({
      message: `listen EADDRINUSE: address already in use 127.0.0.1:${kport}`, code: 'EADDRINUSE', errno: -98, syscall: 'listen', address: '127.0.0.1', port: kport,
    });
  });

  it('EPIPE "This socket has been ended by the other party" for a write after the peer ended (allowHalfOpen false)', async () => {
    pair = netPair();
    const srv = pair.server.createServer((sock) => sock.end('bye'));
    srv.listen(0);
    await once(srv, 'listening');
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    // On 'end' the socket ends its own side (allowHalfOpen false); write before that completes.
    const cbErr = new Promise<Error | null | undefined>((resolve) => {
      s.once('end', () => setImmediate(() => {
        expect(s.writableEnded).toBe(true);
        expect(s.destroyed).toBe(false);
        expect(s.write('more', (e) => resolve(e))).toBe(false);
      }));
    });
    s.resume();
    const [err] = await once<[Error]>(s, 'error');
    expect(err).toMatchObject({ code: 'EPIPE', message: 'This socket has been ended by the other party' });
    expect(await cbErr).toBe(err);
    expect(s.destroyed).toBe(true);
  });

  it('ERR_STREAM_WRITE_AFTER_END for a write after our own end()', async () => {
    pair = netPair();
    const srv = pair.server.createServer((sock) => sock.resume());
    srv.listen(0);
    await once(srv, 'listening');
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    await once(s, 'connect');
    s.end();
    const cbErr = new Promise<Error | null | undefined>((resolve) => s.write('late', (e) => resolve(e)));
    const [err] = await once<[Error]>(s, 'error');
    expect(err).toMatchObject({ code: 'ERR_STREAM_WRITE_AFTER_END' });
    expect(await cbErr).toBe(err);
  });

  it('bad ports throw ERR_SOCKET_BAD_PORT synchronously; IPC paths are refused', async () => {
    pair = netPair();
    expect(() => pair!.client.connect(70000, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' }));
    expect(() => pair!.client.connect(-1, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => pair!.server.createServer().listen(65536)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => pair!.client.connect('/tmp/some.sock')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    // Node's own validation says the same.
    expect(() => nodeNet.connect(70000, '127.0.0.1')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
  });

  it('a host name without a resolver: getaddrinfo ENOTFOUND; with options.lookup: resolved, "lookup" emitted', async () => {
    pair = netPair();
    const s = pair.client.connect(80, 'no.such.host');
    const [err] = await once<[Error]>(s, 'error');
    expect(err).toMatchObject({ message: 'getaddrinfo ENOTFOUND no.such.host', code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'no.such.host' });

    const srv = pair.server.createServer((sock) => sock.end('hi'));
    srv.listen(0);
    await once(srv, 'listening');
    const lookups: unknown[][] = [];
    const c = pair.client.connect({
      port: srv.address()!.port,
      host: 'server.test',
      lookup: (name, _opts, cb) => setImmediate(() => cb(null, name === 'server.test' ? SERVER_IP : '0.0.0.0', 4)),
    });
    c.on('lookup', (...a: unknown[]) => lookups.push(a));
    c.resume();
    await once(c, 'connect');
    expect(lookups).toEqual([[null, SERVER_IP, 4, 'server.test']]);
    expect(c.remoteAddress).toBe(SERVER_IP);
  });
});
