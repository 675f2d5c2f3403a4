import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetSocket } from '../../../../src/socket/net/index.js';
import { CLIENT_IP, collect, netPair, type NetPair, once, pattern, SERVER_IP, sha256, until } from './fixture.js';

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

/** An echo server on the server stack; resolves with its port once listening. */
async function echoServer(p: NetPair, opts: { allowHalfOpen?: boolean } = {}): Promise<{ port: number; sockets: NetSocket[] }> {
  const sockets: NetSocket[] = [];
  const srv = p.server.createServer(opts, (s) => {
    sockets.push(s);
    s.pipe(s);
  });
  srv.listen(0);
  await once(srv, 'listening');
  const addr = srv.address();
  if (addr === null) throw new Error('not listening');
  return { port: addr.port, sockets };
}

describe('net.Socket over tsip TCP', { timeout: 30_000 }, () => {
  it('is a real stream.Duplex and echoes 256 KiB byte-exact with the connect/ready order and Node properties', async () => {
    pair = netPair();
    const { port } = await echoServer(pair, { allowHalfOpen: true });
    const s = pair.client.connect({ port, host: SERVER_IP });
    expect(s).toBeInstanceOf(Duplex);
    expect(s).toBeInstanceOf(pair.client.Socket);
    expect(s.connecting).toBe(true);
    expect(s.pending).toBe(true);
    expect(s.readyState).toBe('opening');
    expect(s.remoteAddress).toBeUndefined();
    const events: string[] = [];
    s.on('connect', () => events.push('connect'));
    s.on('ready', () => events.push('ready'));
    await once(s, 'ready');
    expect(events).toEqual(['connect', 'ready']);
    expect(s.connecting).toBe(false);
    expect(s.pending).toBe(false);
    expect(s.readyState).toBe('open');
    expect(s.remoteAddress).toBe(SERVER_IP);
    expect(s.remotePort).toBe(port);
    expect(s.remoteFamily).toBe('IPv4');
    expect(s.localAddress).toBe(CLIENT_IP);
    expect(s.localPort).toBeGreaterThanOrEqual(32768);
    expect(s.localFamily).toBe('IPv4');
    expect(s.address()).toEqual({ address: CLIENT_IP, family: 'IPv4', port: s.localPort });
    expect(s.ref()).toBe(s);
    expect(s.unref()).toBe(s);

    const data = pattern(256 * 1024, 7);
    const got = collect(s);
    const closed = once<[boolean]>(s, 'close');
    s.end(data);
    const back = await got;
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
    expect(s.bytesRead).toBe(data.length);
    expect(s.bytesWritten).toBe(data.length);
    const [hadError] = await closed;
    expect(hadError).toBe(false);
    expect(s.readyState).toBe('closed');
  });

  it('supports connect(port, host, cb) on a Socket made with new Socket()', async () => {
    pair = netPair();
    const { port } = await echoServer(pair);
    const s = new pair.client.Socket();
    expect(s.pending).toBe(true);
    expect(s.address()).toEqual({});
    const connected = new Promise<void>((resolve) => s.connect(port, SERVER_IP, resolve));
    await connected;
    s.end('hello');
    expect((await collect(s)).toString()).toBe('hello');
  });

  it('half-close with allowHalfOpen: the server reads EOF, then still writes, then ends', async () => {
    pair = netPair();
    const srv = pair.server.createServer({ allowHalfOpen: true }, (sock) => {
      void collect(sock).then((req) => {
        // The client's FIN arrived; this side is still writable.
        expect(sock.readyState).toBe('writeOnly');
        sock.end(`got ${req.length} bytes`);
      });
    });
    srv.listen(0, SERVER_IP);
    await once(srv, 'listening');
    expect(srv.address()).toEqual({ address: SERVER_IP, family: 'IPv4', port: srv.address()!.port });
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    s.end(pattern(5000));
    const reply = await collect(s);
    expect(reply.toString()).toBe('got 5000 bytes');
  });

  it('allowHalfOpen false (default): the peer\'s FIN makes the socket end its side too', async () => {
    pair = netPair();
    let serverSock: NetSocket | null = null;
    const srv = pair.server.createServer((sock) => {
      serverSock = sock;
      sock.resume();
    });
    srv.listen(0);
    await once(srv, 'listening');
    const s = pair.client.connect({ port: srv.address()!.port, host: SERVER_IP, allowHalfOpen: true });
    await once(s, 'connect');
    await until(() => serverSock !== null, 'accept');
    const finished = once(serverSock!, 'finish');
    const serverClosed = once<[boolean]>(serverSock!, 'close');
    s.resume();
    s.end();
    await once(s, 'end'); // the server's automatic end() reached us
    await finished;
    const [hadError] = await serverClosed;
    expect(hadError).toBe(false);
  });

  it('setTimeout emits timeout after idleness and setTimeout(0) disables it; options reach TCP', async () => {
    pair = netPair();
    const { port } = await echoServer(pair);
    const s = pair.client.connect(port, SERVER_IP);
    await once(s, 'connect');
    expect(s.setNoDelay()).toBe(s);
    expect(s.tcpConnection!.options.noDelay).toBe(true);
    s.setNoDelay(false);
    expect(s.tcpConnection!.options.noDelay).toBe(false);
    expect(s.setKeepAlive(true, 30_000)).toBe(s);
    expect(s.tcpConnection!.options.keepAlive).toBe(true);
    expect(s.tcpConnection!.options.keepIdleS).toBe(30);
    let fired = 0;
    s.setTimeout(20, () => fired++);
    expect(s.timeout).toBe(20);
    await once(s, 'timeout');
    expect(fired).toBe(1);
    expect(s.destroyed).toBe(false);
    s.setTimeout(0);
    expect(s.timeout).toBe(0);
    s.destroy();
  });

  it('destroySoon flushes what was written, then closes', async () => {
    pair = netPair();
    let received: Promise<Buffer> | null = null;
    const srv = pair.server.createServer((sock) => {
      received = collect(sock);
    });
    srv.listen(0);
    await once(srv, 'listening');
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    const data = pattern(100_000, 3);
    s.write(data);
    s.destroySoon();
    await once(s, 'close');
    await until(() => received !== null, 'accept');
    expect(sha256(await received!)).toBe(sha256(data));
  });

  it('resetAndDestroy sends a RST: the peer sees read ECONNRESET', async () => {
    pair = netPair();
    const errs: Error[] = [];
    let serverSock: NetSocket | null = null;
    const srv = pair.server.createServer((sock) => {
      serverSock = sock;
      sock.on('error', (e) => errs.push(e));
    });
    srv.listen(0);
    await once(srv, 'listening');
    const s = pair.client.connect(srv.address()!.port, SERVER_IP);
    await once(s, 'connect');
    await until(() => serverSock !== null, 'accept');
    const closed = once<[boolean]>(serverSock!, 'close');
    expect(s.resetAndDestroy()).toBe(s);
    const [hadError] = await closed;
    expect(hadError).toBe(true);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'read', message: 'read ECONNRESET' });
  });
});

describe('net.Server over tsip TCP', { timeout: 30_000 }, () => {
  it('listen(0) picks an ephemeral port; getConnections counts; close waits for the sockets', async () => {
    pair = netPair();
    let served = 0;
    const srv = pair.server.createServer((sock) => {
      served++;
      sock.resume();
    });
    expect(srv.address()).toBeNull();
    expect(srv.listening).toBe(false);
    srv.listen(0, () => undefined);
    expect(srv.listening).toBe(true);
    await once(srv, 'listening');
    const addr = srv.address()!;
    expect(addr.address).toBe('::');
    expect(addr.family).toBe('IPv6');
    const [low, high] = pair.b.tcp.config.localPortRange;
    expect(addr.port).toBeGreaterThanOrEqual(low);
    expect(addr.port).toBeLessThanOrEqual(high);

    const c1 = pair.client.connect(addr.port, SERVER_IP);
    const c2 = pair.client.connect(addr.port, SERVER_IP);
    c1.resume();
    c2.resume();
    await Promise.all([once(c1, 'connect'), once(c2, 'connect')]);
    // TCP may hold a connection before the server accepts it: wait for the server's own 'connection' events.
    await until(() => served === 2, 'two server connections');
    const count = await new Promise<number>((resolve) => srv.getConnections((_e, n) => resolve(n)));
    expect(count).toBe(2);

    let closed = false;
    srv.close(() => {
      closed = true;
    });
    expect(srv.listening).toBe(false);
    expect(srv.address()).toBeNull();
    c1.end();
    await once(c1, 'close');
    expect(closed).toBe(false);
    c2.end();
    await until(() => closed, 'server close after the last socket');
    const [err] = await new Promise<[Error | undefined]>((resolve) => srv.close((e) => resolve([e])));
    expect(err).toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING' });
  });

  it('listen(port, host, backlog, cb) and listen(options): the backlog and options reach the TCP listener and accepted sockets', async () => {
    pair = netPair();
    const srv = pair.server.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 5000 }, (sock) => sock.resume());
    let listened = false;
    expect(srv.listen(4321, SERVER_IP, 7, () => {
      listened = true;
    })).toBe(srv);
    await until(() => listened, 'listening callback');
    const listeners = pair.b.tcp.listenerList();
    expect(listeners).toHaveLength(1);
    expect(listeners[0]!.localPort).toBe(4321);
    expect(listeners[0]!.backlog).toBe(7);
    expect(srv.address()).toEqual({ address: SERVER_IP, family: 'IPv4', port: 4321 });
    const accepted = once<[NetSocket]>(srv, 'connection');
    const c = pair.client.connect(4321, SERVER_IP);
    const [sock] = await accepted;
    expect(sock.server).toBe(srv);
    expect(sock.tcpConnection!.options).toMatchObject({ noDelay: true, keepAlive: true, keepIdleS: 5 });
    expect(sock.remoteAddress).toBe(CLIENT_IP);
    expect(sock.remotePort).toBe(c.localPort);
    c.destroy();

    const ac = new AbortController();
    const srv2 = pair.server.createServer();
    srv2.listen({ port: 4322, host: SERVER_IP, signal: ac.signal });
    await once(srv2, 'listening');
    expect(() => srv2.listen(4323)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_ALREADY_LISTEN' }));
    const closed = once(srv2, 'close');
    ac.abort();
    await closed;
    expect(srv2.listening).toBe(false);
    expect(pair.b.tcp.listenerList().map((l) => l.localPort)).toEqual([4321]);
  });

  it('maxConnections: further connections are closed and reported with drop', async () => {
    pair = netPair();
    const srv = pair.server.createServer((sock) => sock.resume());
    srv.maxConnections = 1;
    const drops: unknown[] = [];
    srv.on('drop', (d) => drops.push(d));
    srv.listen(0, SERVER_IP);
    await once(srv, 'listening');
    const port = srv.address()!.port;
    const c1 = pair.client.connect(port, SERVER_IP);
    await once(c1, 'connect');
    await until(() => pair!.b.tcp.connectionList().length === 1, 'first server connection');
    const c2 = pair.client.connect(port, SERVER_IP);
    c2.resume();
    await once(c2, 'connect');
    await once(c2, 'end');
    expect(drops).toEqual([{
      localAddress: SERVER_IP, localPort: port, localFamily: 'IPv4',
      remoteAddress: CLIENT_IP, remotePort: c2.localPort, remoteFamily: 'IPv4',
    }]);
    c1.destroy();
    c2.destroy();
  });
});

describe('NetServer.listen backlog', () => {
  it('treats listen(options, cb) without a backlog as the default, not 0 (every connection would need a SYN cookie)', async () => {
    const p = netPair();
    try {
      const server = p.server.createServer();
      await new Promise<void>((resolve) => server.listen({ port: 7070 }, resolve));
      const l = p.b.tcp.listenerList().find((x) => x.localPort === 7070);
      expect(l?.backlog).toBeGreaterThan(0);
      server.close();
    } finally {
      p.close();
    }
  });
});
