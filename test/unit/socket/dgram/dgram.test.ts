import * as nodeDgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createDgramApi, type DgramApi, type RemoteInfo } from '../../../../src/socket/dgram/index.js';
import { CLIENT_IP, netPair, type NetPair, once, pattern, SERVER_IP } from '../net/fixture.js';

let pair: NetPair | null = null;
let client: DgramApi;
let server: DgramApi;
function setup(): NetPair {
  pair = netPair();
  client = createDgramApi(pair.a);
  server = createDgramApi(pair.b);
  return pair;
}
afterEach(() => {
  pair?.close();
  pair = null;
});

function shape(e: unknown): Record<string, unknown> {
  const x = e as Record<string, unknown>;
  return { message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, address: x.address, port: x.port };
}

describe('dgram.Socket over tsip UDP', { timeout: 30_000 }, () => {
  it('bind → listening, message with exact bytes and rinfo, a reply, send callbacks with the byte count', async () => {
    setup();
    const srv = server.createSocket('udp4');
    srv.on('message', (msg, rinfo) => srv.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    srv.bind(5353);
    await once(srv, 'listening');
    expect(srv.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 5353 });

    const cli = client.createSocket({ type: 'udp4' });
    expect(() => cli.address()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getsockname' }));
    const got = once<[Buffer, RemoteInfo]>(cli, 'message');
    const sent = new Promise<[Error | null, number | undefined]>((resolve) => cli.send('hello', 5353, SERVER_IP, (e, n) => resolve([e, n])));
    expect(await sent).toEqual([null, 5]);
    // The send bound the socket implicitly (and emitted 'listening').
    const port = cli.address().port;
    expect(port).toBeGreaterThanOrEqual(32768);
    const [msg, rinfo] = await got;
    expect(msg.toString()).toBe('echo:hello');
    expect(rinfo).toEqual({ address: SERVER_IP, family: 'IPv4', port: 5353, size: 10 });

    // Offset/length, a list of buffers, and a 1400-byte datagram, in order.
    const all: Array<[string, RemoteInfo]> = [];
    const three = new Promise<void>((resolve) => {
      cli.on('message', (m: Buffer, r: RemoteInfo) => {
        all.push([m.toString('hex'), r]);
        if (all.length === 4) resolve();
      });
    });
    cli.send(Buffer.from('xxABCxx'), 2, 3, 5353, SERVER_IP);
    cli.send([Buffer.from('li'), 'st'], 5353, SERVER_IP);
    const big = pattern(1400, 3);
    cli.send(big, 5353, SERVER_IP);
    cli.send(new Uint8Array(0), 5353, SERVER_IP);
    await three;
    expect(all.map((x) => x[0])).toEqual([
      Buffer.from('echo:ABC').toString('hex'),
      Buffer.from('echo:list').toString('hex'),
      Buffer.concat([Buffer.from('echo:'), big]).toString('hex'),
      Buffer.from('echo:').toString('hex'),
    ]);
    expect(all[2]![1].size).toBe(1405);
    const closed = once(cli, 'close');
    cli.close();
    await closed;
    expect(() => cli.close()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    srv.close();
  });

  it('connect: remoteAddress, sends without an address, ERR_SOCKET_DGRAM_IS_CONNECTED, disconnect', async () => {
    setup();
    const srv = server.createSocket('udp4');
    const rinfos: RemoteInfo[] = [];
    srv.on('message', (_m, r) => rinfos.push(r));
    srv.bind(7000, SERVER_IP);
    await once(srv, 'listening');
    expect(srv.address()).toEqual({ address: SERVER_IP, family: 'IPv4', port: 7000 });

    const cli = client.createSocket('udp4');
    const connected = new Promise<void>((resolve) => cli.connect(7000, SERVER_IP, () => resolve()));
    expect(() => cli.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    await connected;
    expect(cli.remoteAddress()).toEqual({ address: SERVER_IP, family: 'IPv4', port: 7000 });
    expect(cli.address().address).toBe(CLIENT_IP);
    const gotIt = once(srv, 'message');
    cli.send('one');
    await gotIt;
    expect(rinfos[0]).toEqual({ address: CLIENT_IP, family: 'IPv4', port: cli.address().port, size: 3 });
    // As Node: an explicit destination (after offset and length) on a connected socket throws.
    expect(() => cli.send('two', 0, 3, 7000, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }));
    expect(() => cli.connect(7000, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }));
    cli.disconnect();
    expect(() => cli.disconnect()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    cli.close();
    srv.close();
  });

  it('a connected socket gets "recvmsg ECONNREFUSED" from the peer\'s port unreachable, like Node on Linux', async () => {
    setup();
    const cli = client.createSocket('udp4');
    await new Promise<void>((resolve) => cli.connect(9, SERVER_IP, () => resolve()));
    const errored = once<[Error]>(cli, 'error');
    cli.send('anyone?');
    const [err] = await errored;
    expect(shape(err)).toEqual({ message: 'recvmsg ECONNREFUSED', code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg', address: undefined, port: undefined });

    // The kernel, through Node's own dgram, on loopback.
    const probe = nodeDgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const closedPort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const k = nodeDgram.createSocket('udp4');
    await new Promise<void>((r) => k.connect(closedPort, '127.0.0.1', r));
    const kerr = once<[Error]>(k, 'error');
    k.send('anyone?');
    expect(shape((await kerr)[0])).toEqual({ message: 'recvmsg ECONNREFUSED', code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg', address: undefined, port: undefined });
    k.close();
    cli.close();
  });

  it('errors: bind EADDRINUSE emitted with host:port, send EACCES to broadcast until setBroadcast(true), bad ports throw', async () => {
    setup();
    const a = server.createSocket('udp4');
    a.bind(6000, SERVER_IP);
    await once(a, 'listening');
    const b = server.createSocket('udp4');
    let called = false;
    b.bind(6000, SERVER_IP, () => {
      called = true;
    });
    const [err] = await once<[Error]>(b, 'error');
    expect(shape(err)).toEqual({ message: `bind EADDRINUSE ${SERVER_IP}:6000`, code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: SERVER_IP, port: 6000 });
    expect(called).toBe(false);
    // Node's own shape for the same failure, on loopback.
    const k1 = nodeDgram.createSocket('udp4');
    await new Promise<void>((r) => k1.bind(0, '127.0.0.1', r));
    const kp = k1.address().port;
    const k2 = nodeDgram.createSocket('udp4');
    k2.bind(kp, '127.0.0.1');
    const [kerr] = await once<[Error]>(k2, 'error');
    expect(shape(kerr)).toEqual({ message: `bind EADDRINUSE 127.0.0.1:${kp}`, code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: '127.0.0.1', port: kp });
    k1.close();
    k2.close();

    const cli = client.createSocket('udp4');
    const r1 = await new Promise<Error | null>((resolve) => cli.send('x', 9, '192.0.2.255', (e) => resolve(e)));
    expect(shape(r1)).toEqual({ message: 'send EACCES 192.0.2.255:9', code: 'EACCES', errno: -13, syscall: 'send', address: '192.0.2.255', port: 9 });
    cli.setBroadcast(true);
    // A wildcard-bound socket hears the subnet broadcast.
    const wild = server.createSocket('udp4');
    wild.bind(6001);
    await once(wild, 'listening');
    const heard = once<[Buffer, RemoteInfo]>(wild, 'message');
    const r2 = await new Promise<[Error | null, number | undefined]>((resolve) => cli.send('to all', 6001, '192.0.2.255', (e, n) => resolve([e, n])));
    expect(r2).toEqual([null, 6]);
    const [bmsg, brinfo] = await heard;
    expect(bmsg.toString()).toBe('to all');
    expect(brinfo).toEqual({ address: CLIENT_IP, family: 'IPv4', port: cli.address().port, size: 6 });
    wild.close();
    expect(() => cli.send('x', 0, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => cli.send('x', 70000, SERVER_IP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => client.createSocket('udp5' as 'udp4')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_TYPE' }));
    cli.close();
    a.close();
    b.close();
  });

  it('options: TTLs return their value, buffer sizes are doubled as Linux reports them, multicast membership receives a group', async () => {
    setup();
    const srv = server.createSocket({ type: 'udp4', recvBufferSize: 10_000 });
    expect(srv.getRecvBufferSize()).toBe(20_000);
    srv.setSendBufferSize(8192);
    expect(srv.getSendBufferSize()).toBe(16_384);
    expect(() => srv.setRecvBufferSize(-1)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_BUFFER_SIZE' }));
    expect(srv.setTTL(17)).toBe(17);
    expect(srv.udpEndpoint.getOption('IP_TTL')).toBe(17);
    expect(() => srv.setTTL(0)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setTTL' }));
    expect(srv.setMulticastTTL(3)).toBe(3);
    expect(srv.setMulticastLoopback(false)).toBe(false);
    srv.bind(5007);
    await once(srv, 'listening');
    srv.addMembership('239.1.2.3');
    expect(() => srv.addMembership('239.1.2.3')).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'addMembership' }));
    expect(() => srv.addMembership('10.0.0.1')).toThrow(expect.objectContaining({ code: 'EINVAL' }));

    const cli = client.createSocket('udp4');
    cli.setMulticastTTL(2);
    const got = once<[Buffer, RemoteInfo]>(srv, 'message');
    cli.send('group hello', 5007, '239.1.2.3');
    const [msg, rinfo] = await got;
    expect(msg.toString()).toBe('group hello');
    expect(rinfo.address).toBe(CLIENT_IP);
    srv.dropMembership('239.1.2.3');
    expect(() => srv.dropMembership('239.1.2.3')).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    expect(cli.ref()).toBe(cli);
    expect(cli.unref()).toBe(cli);
    cli.close();
    srv.close();
  });
});
