import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../../src/core/errno.js';
import {
  AF_INET, POLLERR, POLLHUP, POLLIN, POLLOUT, SHUT_WR, SO_REUSEADDR, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET,
} from '../../../../src/socket/bsd/constants.js';
import type { BsdSockets } from '../../../../src/socket/bsd/index.js';
import type { PollFd } from '../../../../src/socket/bsd/types.js';
import { B_TEXT, drive, inet, pair, type PairOptions } from './fixture.js';

const CLIENTS = 100;
const PORT = 7;

/** Client i's message: its own length and bytes, so a mix-up between connections shows. */
function message(i: number): Uint8Array {
  const n = 500 + i * 97;
  const out = new Uint8Array(n);
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < n; k++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[k] = x & 0xff;
  }
  return out;
}

interface Conn {
  /** Bytes received and not yet echoed back. */
  pending: Uint8Array[];
  /** The peer finished sending. */
  eof: boolean;
}

/**
 * A single-threaded echo server: one poll() loop over the listener and
 * every connection, non-blocking sys calls only. Stops after `expected`
 * connections have come and gone; returns how many bytes it echoed.
 */
async function echoServer(s: BsdSockets, expected: number): Promise<{ echoed: number; maxOpen: number }> {
  const { sys, api } = s;
  const l = sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  expect(sys.setsockopt(l, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
  expect(sys.bind(l, inet('0.0.0.0', PORT))).toBe(0);
  expect(sys.listen(l, 128)).toBe(0);
  const conns = new Map<number, Conn>();
  const buf = new Uint8Array(4096);
  let finished = 0;
  let echoed = 0;
  let maxOpen = 0;
  while (finished < expected) {
    const fds: PollFd[] = [{ fd: l, events: POLLIN, revents: 0 }];
    for (const [fd, c] of conns) fds.push({ fd, events: POLLIN | (c.pending.length > 0 ? POLLOUT : 0), revents: 0 });
    const n = await api.poll(fds, -1);
    expect(n).toBeGreaterThan(0);
    for (const p of fds) {
      if (p.revents === 0) continue;
      if (p.fd === l) {
        for (;;) {
          const fd = sys.accept4(l, undefined, SOCK_NONBLOCK);
          if (fd === -ERRNO.EAGAIN) break;
          expect(typeof fd === 'number' && fd >= 3).toBe(true);
          conns.set(fd as number, { pending: [], eof: false });
        }
        maxOpen = Math.max(maxOpen, conns.size);
        continue;
      }
      const c = conns.get(p.fd)!;
      expect(p.revents & POLLERR).toBe(0);
      if ((p.revents & (POLLIN | POLLHUP)) !== 0) {
        for (;;) {
          const r = sys.recv(p.fd, buf);
          if (r === -ERRNO.EAGAIN) break;
          expect(typeof r).toBe('number');
          if (r === 0) {
            c.eof = true;
            break;
          }
          c.pending.push(buf.slice(0, r as number));
        }
      }
      while (c.pending.length > 0) {
        const head = c.pending[0]!;
        const w = sys.send(p.fd, head);
        if (w === -ERRNO.EAGAIN) break;
        expect(w).toBeGreaterThan(0);
        echoed += w as number;
        if (w === head.length) c.pending.shift();
        else c.pending[0] = head.subarray(w as number);
      }
      if (c.eof && c.pending.length === 0) {
        expect(sys.close(p.fd)).toBe(0);
        conns.delete(p.fd);
        finished++;
      }
    }
  }
  sys.close(l);
  return { echoed, maxOpen };
}

/** A client: connect, send its message, half-close, read the echo to end of stream. */
async function client(s: BsdSockets, i: number): Promise<Uint8Array> {
  const { api } = s;
  const fd = api.socket(AF_INET, SOCK_STREAM);
  await api.connect(fd, inet(B_TEXT, PORT));
  const msg = message(i);
  expect(await api.send(fd, msg)).toBe(msg.length);
  api.shutdown(fd, SHUT_WR);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const d = await api.recv(fd, 8192);
    if (d.length === 0) break;
    parts.push(d.slice());
    total += d.length;
  }
  await api.close(fd);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function runEcho(o: PairOptions): Promise<void> {
  const { clock, sa, sb } = pair(o);
  const server = echoServer(sb, CLIENTS);
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(sa, i));
  const [result, echoes] = await drive(clock, Promise.all([server, Promise.all(clients)]), 600_000_000);
  let total = 0;
  for (let i = 0; i < CLIENTS; i++) {
    const want = message(i);
    total += want.length;
    expect(echoes[i]!.length).toBe(want.length);
    expect(Buffer.compare(echoes[i]!, want)).toBe(0);
  }
  expect(result.echoed).toBe(total);
  expect(result.maxOpen).toBeGreaterThan(1); // connections were served concurrently
  // Everything was closed on both sides: only TIME-WAIT (on the side that closed first) may remain.
  expect(sa.sys.descriptors()).toEqual([]);
  expect(sb.sys.descriptors()).toEqual([]);
}

describe('a poll()-driven echo server in one loop', () => {
  it(`serves ${CLIENTS} concurrent clients, each echo byte-exact`, async () => {
    await runEcho({ seed: 7 });
  });

  it(`serves ${CLIENTS} concurrent clients with a longer path (1 ms each way)`, async () => {
    await runEcho({ seed: 3, latencyUs: 1_000 });
  });
});
