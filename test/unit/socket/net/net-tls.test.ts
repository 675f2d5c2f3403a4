import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, netPair, type NetPair, once, pattern, SERVER_IP, sha256 } from './fixture.js';

/** openssl makes the self-signed certificate; without it these tests are skipped. */
function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = hasOpenssl();

let dir = '';
let key = '';
let cert = '';
beforeAll(() => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'tsip-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tsip.test', '-days', '1',
    '-addext', 'subjectAltName=DNS:tsip.test',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

describe('TLS over tsip net sockets', { timeout: 30_000 }, () => {
  it.skipIf(!available)('tls.connect({ socket }) against new tls.TLSSocket(socket, { isServer }): verified handshake, 1 MB echoed', async () => {
    pair = netPair();
    // The TLS layer ends the transport itself (after close_notify and the
    // echoed data), so the raw socket must not end on the peer's FIN: Node
    // wraps a JS stream in a JSStreamSocket, which relies on that.
    const srv = pair.server.createServer({ allowHalfOpen: true }, (raw) => {
      const secure = new tls.TLSSocket(raw, { isServer: true, key, cert });
      secure.on('error', () => undefined);
      secure.pipe(secure);
    });
    srv.listen(443, SERVER_IP);
    await once(srv, 'listening');

    const raw = pair.client.connect(443, SERVER_IP);
    const s = tls.connect({ socket: raw, servername: 'tsip.test', ca: cert });
    await once(s, 'secureConnect');
    expect(s.authorized).toBe(true);
    expect(s.getPeerCertificate().subject.CN).toBe('tsip.test');
    expect(s.getProtocol()).toBe('TLSv1.3');
    const data = pattern(1 << 20, 21);
    const back = collect(s);
    s.end(data);
    const got = await back;
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
    // The bytes on the wire are TLS records, not the plaintext.
    expect(raw.bytesWritten).toBeGreaterThan(data.length);
  });

  it.skipIf(!available)('rejects a certificate it cannot verify (no ca given)', async () => {
    pair = netPair();
    const srv = pair.server.createServer((raw) => {
      const secure = new tls.TLSSocket(raw, { isServer: true, key, cert });
      secure.on('error', () => undefined);
    });
    srv.listen(443, SERVER_IP);
    await once(srv, 'listening');
    const s = tls.connect({ socket: pair.client.connect(443, SERVER_IP), servername: 'tsip.test' });
    const [err] = await once<[Error & { code?: string }]>(s, 'error');
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it.skipIf(!available)('https: Node\'s https.Server fed raw tsip sockets, https.request over tls.connect({ socket }), GET 1 MB', async () => {
    pair = netPair();
    const big = pattern(1 << 20, 4);
    const server = https.createServer({ key, cert }, (req, res) => {
      res.end(req.url === '/big' ? big : 'hello');
    });
    const srv = pair.server.createServer((raw) => server.emit('connection', raw));
    srv.listen(443, SERVER_IP);
    await once(srv, 'listening');
    const p = pair;
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = https.request({
        host: SERVER_IP, port: 443, path: '/big', servername: 'tsip.test', ca: cert,
        createConnection: (): Duplex => tls.connect({ socket: p.client.connect(443, SERVER_IP), servername: 'tsip.test', ca: cert }),
      }, (res) => {
        expect(res.statusCode).toBe(200);
        collect(res).then(resolve, reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(body.length).toBe(big.length);
    expect(sha256(body)).toBe(sha256(big));
  });
});
