import { createHash } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatIPv4, parseIPv4 } from '../../../src/core/address.js';
import { RealClock } from '../../../src/core/clock.js';
import type { CommandIo } from '../../../src/cli/io.js';
import { DEFAULT_LINK, setupStack } from '../../../src/cli/link-setup.js';
import { parseNcArgs, runNc, runNcOn } from '../../../src/cli/nc.js';
import { UsageError } from '../../../src/cli/io.js';

/**
 * `tsip nc` in-process on the memory link: the peer stack (192.0.2.1) runs
 * the standard services, so echo and discard can be exercised end to end.
 */

function captureIo(): CommandIo & { outText: string; errText: string } {
  const io = { outText: '', errText: '', out: (t: string) => void (io.outText += t), err: (t: string) => void (io.errText += t) };
  return io;
}

/** A Writable that collects everything, optionally with a tiny buffer to force backpressure. */
function collector(highWaterMark = 16 * 1024): Writable & { chunks: Buffer[]; total(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      // Complete asynchronously so write() returns false while a chunk is pending.
      setImmediate(cb);
    },
  }) as Writable & { chunks: Buffer[]; total(): Buffer };
  w.chunks = chunks;
  w.total = () => Buffer.concat(chunks);
  return w;
}

function pattern(n: number, mul: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * mul + 1) & 0xff;
  return b;
}

/** Feeds `data` in 64 KiB chunks, honouring the stream's backpressure, then ends it. */
function feed(input: PassThrough, data: Buffer): void {
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const chunk = data.subarray(off, off + 65536);
      off += chunk.length;
      if (!input.write(chunk)) {
        input.once('drain', pump);
        return;
      }
    }
    input.end();
  };
  pump();
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('tsip nc arguments', () => {
  it('parses client, listen, udp, bundled flags and -q', () => {
    expect(parseNcArgs(['192.0.2.1', '7'])).toEqual({ listen: false, udp: false, verbose: false, host: parseIPv4('192.0.2.1'), port: 7, quitAfterEofMs: -1 });
    expect(parseNcArgs(['-l', '9000'])).toMatchObject({ listen: true, host: null, port: 9000 });
    expect(parseNcArgs(['-lu', '192.0.2.2', '53'])).toMatchObject({ listen: true, udp: true, host: parseIPv4('192.0.2.2'), port: 53, quitAfterEofMs: -1 });
    expect(parseNcArgs(['-u', '192.0.2.1', '7'])).toMatchObject({ udp: true, quitAfterEofMs: 1000 });
    expect(parseNcArgs(['-u', '-q', '0.25', '192.0.2.1', '7'])).toMatchObject({ quitAfterEofMs: 250 });
  });

  it('rejects what it cannot do', () => {
    expect(() => parseNcArgs(['192.0.2.1'])).toThrow(UsageError);
    expect(() => parseNcArgs(['example.com', '80'])).toThrow(/IPv4/);
    expect(() => parseNcArgs(['192.0.2.1', '70000'])).toThrow(/PORT/);
    expect(() => parseNcArgs(['-x', '192.0.2.1', '7'])).toThrow(/unknown option -x/);
    expect(() => parseNcArgs(['-l'])).toThrow(/PORT/);
  });
});

describe('tsip nc over the memory link', () => {
  it('echoes 2 MB through the peer echo service byte-exact, with stdout pushing back', async () => {
    const data = pattern(2 << 20, 7);
    const stdin = new PassThrough();
    const stdout = collector(4096);
    const io = captureIo();
    feed(stdin, data);
    const code = await runNc(['--memory', '-v', '192.0.2.1', '7'], io, { stdin, stdout });
    expect(io.errText).toContain('connected to 192.0.2.1 port 7');
    expect(code).toBe(0);
    const got = stdout.total();
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
  });

  it('sends to discard and exits once the peer closes after our FIN', async () => {
    const stdin = new PassThrough();
    const stdout = collector();
    feed(stdin, pattern(300_000, 3));
    const io = captureIo();
    const code = await runNc(['--memory', '-v', '192.0.2.1', '9'], io, { stdin, stdout });
    expect(code).toBe(0);
    expect(stdout.total().length).toBe(0);
    expect(io.errText).toContain('300000 bytes sent, 0 bytes received');
  });

  it('reports a refused connection with exit 1', async () => {
    const stdin = new PassThrough();
    const io = captureIo();
    const code = await runNc(['--memory', '192.0.2.1', '4444'], io, { stdin, stdout: collector() });
    expect(code).toBe(1);
    expect(io.errText).toContain('ECONNREFUSED');
  });

  it('UDP: each chunk becomes a datagram and the echoes come back', async () => {
    const stdin = new PassThrough();
    const stdout = collector();
    const io = captureIo();
    const run = runNc(['--memory', '-u', '-q', '0.3', '-v', '192.0.2.1', '7'], io, { stdin, stdout });
    stdin.write('first datagram\n');
    await new Promise((r) => setTimeout(r, 50));
    stdin.end('second\n');
    expect(await run).toBe(0);
    expect(stdout.total().toString()).toBe('first datagram\nsecond\n');
    expect(io.errText).toContain('2 datagrams sent, 2 received');
  });

  it('-l accepts one connection: half-close one way, data the other, both directions finish', async () => {
    const on = await setupStack({ ...DEFAULT_LINK }, new RealClock(), 'nc-listen', { peerServices: false });
    try {
      const stdin = new PassThrough();
      const stdout = collector();
      const io = captureIo();
      const opts = parseNcArgs(['-l', '-v', '5000']);
      const session = runNcOn(on, opts, { stdin, stdout }, io);
      // The peer stack connects, sends 100 kB and half-closes; it reads our reply until our FIN.
      const peer = on.peerStack!;
      const up = pattern(100_000, 5);
      const down: Buffer[] = [];
      const peerDone = new Promise<void>((resolve, reject) => {
        const c = peer.tcp.connect({ remoteAddress: parseIPv4('192.0.2.2')!, remotePort: 5000 });
        let off = 0;
        const push = (): void => {
          while (off < up.length) {
            const n = c.write(up.subarray(off));
            if (n === 0) return;
            off += n;
          }
          if (c.stateName === 'ESTABLISHED' || c.stateName === 'CLOSE-WAIT') c.shutdown('write');
        };
        c.setHandler({
          onConnected: push,
          onWritable: push,
          onReadable: () => {
            for (let d = c.read(); d.length > 0; d = c.read()) down.push(Buffer.from(d));
          },
          onClosed: (_c, err) => (err ? reject(new Error(err)) : resolve()),
        });
      });
      const reply = pattern(70_000, 11);
      // Our stdin: the reply, ended only after the peer's data arrived (nc keeps reading both ways).
      const waitForData = async (): Promise<void> => {
        while (stdout.total().length < up.length) await new Promise((r) => setTimeout(r, 5));
      };
      await waitForData();
      feed(stdin, reply);
      expect(await session).toBe(0);
      await peerDone;
      expect(io.errText).toContain(`connection from ${formatIPv4(parseIPv4('192.0.2.1')!)}:`);
      expect(sha(stdout.total())).toBe(sha(up));
      expect(sha(Buffer.concat(down))).toBe(sha(reply));
    } finally {
      await on.close();
    }
  });
});
