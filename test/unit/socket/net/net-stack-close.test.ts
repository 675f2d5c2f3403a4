import { afterEach, describe, expect, it } from 'vitest';
import type { NetSocket } from '../../../../src/socket/net/index.js';
import { netPair, type NetPair, once, SERVER_IP } from './fixture.js';

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

describe('closing the stack under a net.Socket', { timeout: 30_000 }, () => {
  it('errors the socket with ECONNABORTED instead of a clean end', async () => {
    pair = netPair();
    const srv = pair.server.createServer();
    const accepted = once<[NetSocket]>(srv, 'connection');
    srv.listen(0, SERVER_IP);
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    const s = pair.client.connect(port, SERVER_IP);
    await once(s, 'connect');
    const [peer] = await accepted;
    peer.on('error', () => {});
    let ended = false;
    s.on('end', () => (ended = true));
    const err = once<[Error & { code: string }]>(s, 'error');
    pair.a.close();
    const [e] = await err;
    expect(e.code).toBe('ECONNABORTED');
    expect(ended).toBe(false);
  });
});
