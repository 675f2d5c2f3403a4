import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RealClock } from '../../../src/core/clock.js';
import { fetchTo, parseGetArgs, runGet } from '../../../src/cli/get.js';
import type { CommandIo } from '../../../src/cli/io.js';
import { DEFAULT_LINK, setupStack } from '../../../src/cli/link-setup.js';
import { parseServeArgs } from '../../../src/cli/serve.js';
import { startServiceSet } from '../../../src/cli/services/standard.js';

/**
 * `tsip get` and the HTTP service of `tsip serve`, in-process on the memory
 * link: Node's HTTP client and server over tsip TCP through the net adapter.
 */

function captureIo(): CommandIo & { errText: string } {
  const io = { errText: '', out: () => undefined, err: (t: string) => void (io.errText += t) };
  return io;
}

function collector(): Writable & { total(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 8192,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb);
    },
  }) as Writable & { total(): Buffer };
  w.total = () => Buffer.concat(chunks);
  return w;
}

/** The /bytes/N body: byte i is i mod 256. */
function bytesBody(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i & 0xff;
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('tsip get arguments', () => {
  it('takes an http URL with an IPv4 host, port and path', () => {
    expect(parseGetArgs(['-i', 'http://192.0.2.1:8080/a/b?x=1'])).toEqual({
      host: '192.0.2.1', port: 8080, path: '/a/b?x=1', includeHeaders: true, verbose: false, maxTimeMs: 60_000,
    });
    expect(parseGetArgs(['-m', '2', 'http://192.0.2.1'])).toMatchObject({ port: 80, path: '/', maxTimeMs: 2000 });
  });

  it('refuses names, https and junk', () => {
    expect(() => parseGetArgs(['http://example.com/'])).toThrow(/IPv4/);
    expect(() => parseGetArgs(['https://192.0.2.1/'])).toThrow(/http:\/\//);
    expect(() => parseGetArgs([])).toThrow(/URL/);
    expect(() => parseGetArgs(['nota url'])).toThrow(/not a URL/);
  });
});

describe('tsip serve runs HTTP on port 80 by default', () => {
  it('lists http among the default services', () => {
    expect(parseServeArgs([])).toEqual({ echo: 7, discard: 9, udpEcho: 7, http: 80 });
    expect(parseServeArgs(['--http', '8080'])).toEqual({ echo: null, discard: null, udpEcho: null, http: 8080 });
  });
});

describe('tsip get over the memory link', () => {
  it('fetches /bytes/N from the peer byte-exact', async () => {
    const out = collector();
    const io = captureIo();
    const code = await runGet(['--memory', 'http://192.0.2.1/bytes/300000'], io, out);
    expect(io.errText).toBe('');
    expect(code).toBe(0);
    const body = out.total();
    expect(body.length).toBe(300_000);
    expect(sha(body)).toBe(sha(bytesBody(300_000)));
  });

  it('the index page lists the serving stack\'s non-zero counters', async () => {
    const out = collector();
    const code = await runGet(['--memory', '-i', 'http://192.0.2.1/'], captureIo(), out);
    expect(code).toBe(0);
    const text = out.total().toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/content-type: text\/html/i);
    expect(text).toContain('<td>TcpPassiveOpens</td><td>1</td>');
    expect(text).not.toMatch(/<td>\w+<\/td><td>0<\/td>/);
  });

  it('an unknown path is 404 and exits 1; a huge /bytes is refused with 400', async () => {
    const io = captureIo();
    expect(await runGet(['--memory', 'http://192.0.2.1/nothing'], io, collector())).toBe(1);
    expect(io.errText).toContain('HTTP status 404');
    const io2 = captureIo();
    expect(await runGet(['--memory', 'http://192.0.2.1/bytes/9999999999'], io2, collector())).toBe(1);
    expect(io2.errText).toContain('HTTP status 400');
  });

  it('a refused connection is reported', async () => {
    const io = captureIo();
    expect(await runGet(['--memory', 'http://192.0.2.1:81/'], io, collector())).toBe(1);
    expect(io.errText).toContain('ECONNREFUSED');
  });

  it('serves HTTP on the stack side: the peer fetches from startServiceSet', async () => {
    const on = await setupStack({ ...DEFAULT_LINK }, new RealClock(), 'http-side');
    const services = await startServiceSet(on.stack, { echo: null, discard: null, udpEcho: null, http: 8080 });
    try {
      expect(services.ports).toEqual({ http: 8080 });
      const out = collector();
      const r = await fetchTo(on.peerStack!, { host: '192.0.2.2', port: 8080, path: '/bytes/65537', includeHeaders: false, verbose: false, maxTimeMs: 30_000 }, out, captureIo());
      expect(r).toEqual({ status: 200, bytes: 65537, error: null });
      expect(sha(out.total())).toBe(sha(bytesBody(65537)));
    } finally {
      services.close();
      await on.close();
    }
  });
});
