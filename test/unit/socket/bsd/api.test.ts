import { describe, expect, it } from 'vitest';
import { SocketError } from '../../../../src/core/errno.js';
import {
  AF_INET, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, POLLIN, POLLOUT, SHUT_RD, SHUT_WR, SO_LINGER, SO_RCVTIMEO,
  SO_SNDBUF, SO_SNDTIMEO, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET,
} from '../../../../src/socket/bsd/constants.js';
import type { TcpConnection } from '../../../../src/tcp/connection.js';
import { A_TEXT, B_TEXT, dec, drive, enc, flush, inet, pair, type Pair } from './fixture.js';

/** A connected pair through the Promise layer: client on a, accepted socket on b. */
async function connected(p: Pair, port = 8080): Promise<{ l: number; c: number; s: number }> {
  const { clock, sa, sb } = p;
  const l = sb.api.socket(AF_INET, SOCK_STREAM);
  sb.api.bind(l, inet('0.0.0.0', port));
  sb.api.listen(l, 16);
  const acc = sb.api.accept(l);
  const c = sa.api.socket(AF_INET, SOCK_STREAM);
  await drive(clock, sa.api.connect(c, inet(B_TEXT, port)));
  const { fd: s } = await drive(clock, acc);
  return { l, c, s };
}

describe('blocking calls settle on stack events', () => {
  it('accept waits for a connection; connect waits for the handshake; both settle at the right virtual time', async () => {
    const p = pair({ latencyUs: 5_000 });
    const { clock, sa, sb } = p;
    const l = sb.api.socket(AF_INET, SOCK_STREAM);
    sb.api.bind(l, inet('0.0.0.0', 80));
    sb.api.listen(l);
    let acceptedAt = -1;
    const acc = sb.api.accept(l).then((r) => ((acceptedAt = clock.now()), r));
    const c = sa.api.socket(AF_INET, SOCK_STREAM);
    let connectedAt = -1;
    const t0 = clock.now();
    await drive(clock, sa.api.connect(c, inet(B_TEXT, 80)).then(() => (connectedAt = clock.now())));
    const r = await drive(clock, acc);
    expect(connectedAt - t0).toBe(10_000); // one RTT
    expect(acceptedAt - t0).toBe(15_000); // the third segment reaches b half an RTT later
    expect(r.address).toEqual(inet(A_TEXT, (sa.api.getsockname(c) as { port: number }).port));
  });

  it('recv waits for data; MSG_WAITALL waits for all of it; MSG_PEEK leaves it', async () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    const all = sb.api.recv(s, 10, MSG_WAITALL);
    await drive(clock, sa.api.send(c, enc('abcd')));
    await drive(clock, sa.api.send(c, enc('efgh')));
    clock.advance(10_000);
    await flush();
    let settled = false;
    void all.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false); // 8 of 10 bytes so far
    await drive(clock, sa.api.send(c, enc('ijklmn')));
    expect(dec(await drive(clock, all))).toBe('abcdefghij');
    expect(dec(await drive(clock, sb.api.recv(s, 100, MSG_PEEK)))).toBe('klmn');
    expect(dec(await drive(clock, sb.api.recv(s, 100)))).toBe('klmn');
  });

  it('a blocking send of more than the send buffer completes as the peer acknowledges', async () => {
    const p = pair({ latencyUs: 1_000 });
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    sa.api.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 16_384); // 32 KiB
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const sending = sa.api.send(c, data);
    const received: Uint8Array[] = [];
    let total = 0;
    while (total < data.length) {
      const chunk = await drive(clock, sb.api.recv(s, 65536));
      received.push(chunk.slice());
      total += chunk.length;
    }
    expect(await drive(clock, sending)).toBe(300_000);
    const got = new Uint8Array(total);
    let o = 0;
    for (const r of received) {
      got.set(r, o);
      o += r.length;
    }
    expect(Buffer.compare(got, data)).toBe(0);
  });

  it('a non-blocking socket or MSG_DONTWAIT rejects at once with EAGAIN / EINPROGRESS', async () => {
    const p = pair();
    const { sa } = p;
    const { c } = await connected(p);
    await expect(sa.api.recv(c, 10, MSG_DONTWAIT)).rejects.toMatchObject({ code: 'EAGAIN', errno: -11 });
    sa.api.setNonBlocking(c, true);
    await expect(sa.api.recv(c, 10)).rejects.toMatchObject({ code: 'EAGAIN' });
    const d = sa.api.socket(AF_INET, SOCK_STREAM);
    sa.api.setNonBlocking(d, true);
    await expect(sa.api.connect(d, inet(B_TEXT, 8080))).rejects.toMatchObject({ code: 'EINPROGRESS' });
    await expect(sa.api.connect(d, inet(B_TEXT, 8080))).rejects.toMatchObject({ code: 'EALREADY' });
  });

  it('SO_SNDTIMEO bounds a blocking connect: EINPROGRESS, and the handshake carries on', async () => {
    const p = pair({ latencyUs: 50_000 });
    const { clock, sa, sb } = p;
    const l = sb.api.socket(AF_INET, SOCK_STREAM);
    sb.api.bind(l, inet('0.0.0.0', 80));
    sb.api.listen(l);
    const c = sa.api.socket(AF_INET, SOCK_STREAM);
    sa.api.setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 0, tv_usec: 30_000 });
    const t0 = clock.now();
    await expect(drive(clock, sa.api.connect(c, inet(B_TEXT, 80)))).rejects.toMatchObject({ code: 'EINPROGRESS' });
    expect(clock.now() - t0).toBe(30_000);
    // A second blocking connect waits for the same handshake; timing out, it reports EALREADY (Linux).
    await expect(drive(clock, sa.api.connect(c, inet(B_TEXT, 80)))).rejects.toMatchObject({ code: 'EALREADY' });
    expect(clock.now() - t0).toBe(60_000);
    clock.advance(200_000);
    expect(sa.sys.connect(c, inet(B_TEXT, 80))).toBe(0);
    expect(sa.sys.connect(c, inet(B_TEXT, 80))).toBe(-106);
  });
});

describe('send timeouts', () => {
  it('SO_SNDTIMEO: a blocking send to a peer that does not read resolves with what was queued when time is up', async () => {
    const p = pair();
    const { clock, sa } = p;
    const { c } = await connected(p);
    sa.api.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 4096); // 8 KiB
    sa.api.setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 3, tv_usec: 0 });
    const t0 = clock.now();
    // Far more than the peer's receive window and our buffer together.
    const n = await drive(clock, sa.api.send(c, new Uint8Array(4_000_000)));
    expect(clock.now() - t0).toBe(3_000_000);
    expect(n).toBeGreaterThan(8192);
    expect(n).toBeLessThan(4_000_000);
    // Nothing fits now: the next timed-out send has sent nothing, so it is EAGAIN.
    await expect(drive(clock, sa.api.send(c, new Uint8Array(100_000)))).rejects.toMatchObject({ code: 'EAGAIN', syscall: 'send' });
  });
});

describe('closing and aborting', () => {
  it('closing a descriptor rejects its pending Promises at once with EBADF', async () => {
    const p = pair();
    const { sa, sb } = p;
    const { l, c } = await connected(p);
    const r1 = sa.api.recv(c, 10);
    const r2 = sa.api.recv(c, 10, MSG_WAITALL);
    const a1 = sb.api.accept(l);
    const pl = sa.api.poll([{ fd: c, events: POLLIN, revents: 0 }], -1);
    const outcomes: string[] = [];
    for (const [name, pr] of [['r1', r1], ['r2', r2], ['a1', a1]] as const) {
      void (pr as Promise<unknown>).then(
        () => outcomes.push(`${name}:ok`),
        (e: SocketError) => outcomes.push(`${name}:${e.code}:${e.syscall}`),
      );
    }
    await flush();
    expect(outcomes).toEqual([]);
    await sa.api.close(c);
    await sb.api.close(l);
    await flush();
    // Settled without the clock moving.
    expect(outcomes.sort()).toEqual(['a1:EBADF:accept', 'r1:EBADF:recv', 'r2:EBADF:recv']);
    expect(await pl).toBe(1); // poll reports the descriptor as POLLNVAL
  });

  it('an AbortSignal rejects a pending call with ECANCELED (cause: the reason); the socket stays usable', async () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    const ac = new AbortController();
    const r = sa.api.recv(c, 10, 0, { signal: ac.signal });
    ac.abort('enough');
    await expect(r).rejects.toMatchObject({ code: 'ECANCELED', syscall: 'recv', cause: 'enough' });
    await expect(sa.api.recv(c, 1, 0, { signal: ac.signal })).rejects.toMatchObject({ code: 'ECANCELED' });
    const again = sa.api.recv(c, 10);
    await drive(clock, sb.api.send(s, enc('still here')));
    expect(dec(await drive(clock, again))).toBe('still here');
  });

  it('shutdown(SHUT_RD) wakes a pending recv with end of stream', async () => {
    const p = pair();
    const { sa } = p;
    const { c } = await connected(p);
    const r = sa.api.recv(c, 10);
    sa.api.shutdown(c, SHUT_RD);
    expect((await r).length).toBe(0);
  });

  it('SO_LINGER with a timeout: close() waits until the FIN is acknowledged', async () => {
    const p = pair({ latencyUs: 20_000 });
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    sa.api.setsockopt(c, SOL_SOCKET, SO_LINGER, { onoff: 1, linger: 5 });
    await drive(clock, sa.api.send(c, new Uint8Array(1000)));
    const conn = sa.sys.inspect(c)!.endpoint as TcpConnection;
    const t0 = clock.now();
    await drive(clock, sa.api.close(c));
    expect(clock.now() - t0).toBeGreaterThanOrEqual(40_000); // at least one RTT for the FIN's ACK
    expect(['FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']).toContain(conn.stateName);
    expect((await drive(clock, sb.api.recv(s, 2000, MSG_WAITALL))).length).toBe(1000);
  });
});

describe('poll and select', () => {
  it('poll with a timeout resolves 0 after it on the stack clock, or early when a descriptor gets ready', async () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    const t0 = clock.now();
    const fds = [{ fd: c, events: POLLIN, revents: 0 }];
    expect(await drive(clock, sa.api.poll(fds, 250))).toBe(0);
    expect(clock.now() - t0).toBe(250_000);
    const waiting = sa.api.poll(fds, 1000);
    await drive(clock, sb.api.send(s, enc('x')));
    expect(await drive(clock, waiting)).toBe(1);
    expect(fds[0]!.revents).toBe(POLLIN);
    expect(clock.now() - t0).toBeLessThan(260_000);
    expect(await sa.api.poll([{ fd: c, events: POLLOUT, revents: 0 }], 0)).toBe(1);
  });

  it('select reports readable and writable descriptors, and EBADF for a closed one', async () => {
    const p = pair();
    const { clock, sa, sb } = p;
    const { c, s } = await connected(p);
    const u = sa.api.socket(AF_INET, SOCK_DGRAM);
    expect(await sa.api.select([c, u], [c], [], 0)).toEqual({ readfds: [], writefds: [c], exceptfds: [] });
    const sel = sa.api.select([c, u], [], [], -1);
    await drive(clock, sb.api.send(s, enc('ping')));
    expect(await drive(clock, sel)).toEqual({ readfds: [c], writefds: [], exceptfds: [] });
    await expect(sa.api.select([99], [], [])).rejects.toMatchObject({ code: 'EBADF', syscall: 'select' });
    sb.api.shutdown(s, SHUT_WR);
  });

  it('SO_RCVTIMEO on accept rejects EAGAIN', async () => {
    const p = pair();
    const { clock, sb } = p;
    const l = sb.api.socket(AF_INET, SOCK_STREAM);
    sb.api.listen(l);
    sb.api.setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 0 });
    const t0 = clock.now();
    await expect(drive(clock, sb.api.accept(l))).rejects.toMatchObject({ code: 'EAGAIN', syscall: 'accept' });
    expect(clock.now() - t0).toBe(1_000_000);
  });
});
