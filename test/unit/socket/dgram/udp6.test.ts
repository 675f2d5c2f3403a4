import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../../../src/core/clock.js';
import { createMemoryPair } from '../../../../src/link/memory-link.js';
import { createDgramApi, type DgramApi, type DgramSocket, type RemoteInfo } from '../../../../src/socket/dgram/index.js';
import { Stack } from '../../../../src/stack.js';
import { once } from '../net/fixture.js';

let stacks: Stack[] = [];
afterEach(() => {
  for (const s of stacks) s.close();
  stacks = [];
});

/** Two dual-stack stacks: client 192.0.2.1 / 2001:db8::1, server .2 / ::2. */
function setup(): { client: DgramApi; server: DgramApi; a: Stack; b: Stack } {
  const clock = new RealClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: 100 });
  const cfg = { routerSolicitations: 0, mldReports: false, linkLocal: false };
  const a = new Stack({ clock, seed: 11, id: 'client' });
  const b = new Stack({ clock, seed: 22, id: 'server' });
  a.addInterface(la, { ipv4: ['192.0.2.1/24'], ipv6: ['2001:db8::1/64'], ipv6Config: cfg });
  b.addInterface(lb, { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'], ipv6Config: cfg });
  stacks = [a, b];
  return { client: createDgramApi(a), server: createDgramApi(b), a, b };
}

function sendP(s: DgramSocket, msg: string, port: number, address: string): Promise<[Error | null, number | undefined]> {
  return new Promise((resolve) => s.send(msg, port, address, (e, n) => resolve([e, n])));
}

describe('dgram udp6 over tsip', { timeout: 30_000 }, () => {
  it('binds ::, exchanges IPv6 datagrams with IPv6 rinfo and address()', async () => {
    const { client, server, b } = setup();
    const srv = server.createSocket('udp6');
    srv.on('message', (msg, rinfo) => srv.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    srv.bind(5353);
    await once(srv, 'listening');
    expect(srv.address()).toEqual({ address: '::', family: 'IPv6', port: 5353 });
    const cli = client.createSocket({ type: 'udp6' });
    const got = once<[Buffer, RemoteInfo]>(cli, 'message');
    expect(await sendP(cli, 'hi6', 5353, '2001:db8::2')).toEqual([null, 3]);
    const [msg, rinfo] = await got;
    expect(msg.toString()).toBe('echo:hi6');
    expect(rinfo).toEqual({ address: '2001:db8::2', family: 'IPv6', port: 5353, size: 8 });
    expect(cli.address().family).toBe('IPv6');
    expect(b.ctx.counters.Udp6InDatagrams).toBe(1);
    cli.close();
    srv.close();
  });

  it('a udp6 socket hears IPv4 peers as ::ffff:a.b.c.d and answers them', async () => {
    const { client, server } = setup();
    const srv = server.createSocket('udp6');
    srv.on('message', (msg, rinfo) => srv.send(msg, rinfo.port, rinfo.address));
    const seen = once<[Buffer, RemoteInfo]>(srv, 'message');
    srv.bind(7000);
    await once(srv, 'listening');
    const cli = client.createSocket('udp4');
    const back = once<[Buffer, RemoteInfo]>(cli, 'message');
    await sendP(cli, 'v4', 7000, '192.0.2.2');
    const [, r] = await seen;
    expect(r.address).toBe('::ffff:192.0.2.1');
    expect(r.family).toBe('IPv6');
    const [m, r2] = await back;
    expect(m.toString()).toBe('v4');
    expect(r2).toEqual({ address: '192.0.2.2', family: 'IPv4', port: 7000, size: 2 });
    cli.close();
    srv.close();
  });

  it('ipv6Only refuses IPv4: the peer learns ECONNREFUSED; sending to a v4-mapped address fails ENETUNREACH', async () => {
    const { client, server } = setup();
    const srv = server.createSocket({ type: 'udp6', ipv6Only: true });
    srv.bind(7001);
    await once(srv, 'listening');
    const cli = client.createSocket('udp4');
    const err = once<[Error]>(cli, 'error');
    cli.connect(7001, '192.0.2.2');
    await once(cli, 'connect');
    cli.send('x');
    const [e] = await err;
    expect((e as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const [e2] = await sendP(srv, 'y', 9, '::ffff:192.0.2.1');
    expect((e2 as NodeJS.ErrnoException).code).toBe('ENETUNREACH');
    cli.close();
    srv.close();
  });

  it('setTTL / setMulticastTTL map to the IPv6 hop limits; membership with an %ifindex scope', async () => {
    const { client, server } = setup();
    const srv = server.createSocket('udp6');
    srv.bind(7002);
    await once(srv, 'listening');
    srv.addMembership('ff12::7', '::%1');
    expect(() => srv.addMembership('ff12::7', '::%1')).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'addMembership' }));
    expect(() => srv.addMembership('ff12::8', '::%x')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const cli = client.createSocket('udp6');
    expect(cli.setTTL(9)).toBe(9);
    expect(cli.udpEndpoint.getOption('IPV6_UNICAST_HOPS')).toBe(9);
    expect(cli.setMulticastTTL(4)).toBe(4);
    expect(cli.udpEndpoint.getOption('IPV6_MULTICAST_HOPS')).toBe(4);
    expect(() => cli.setTTL(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const got = once<[Buffer, RemoteInfo]>(srv, 'message');
    await sendP(cli, 'group', 7002, 'ff12::7');
    const [m] = await got;
    expect(m.toString()).toBe('group');
    srv.dropMembership('ff12::7', '::%1');
    expect(() => srv.dropMembership('ff12::7', '::%1')).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    cli.close();
    srv.close();
  });
});
