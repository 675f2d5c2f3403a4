import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as recipes from '../../../examples/recipes.js';
import { RealClock } from '../../../src/core/clock.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';

/** The README's recipes, run as written: a server stack (192.0.2.2) and a client stack (192.0.2.1). */
describe('README recipes over two tsip stacks', { timeout: 30_000 }, () => {
  const clock = new RealClock();
  const [ls, lc] = createMemoryPair(clock, { latencyUs: 100 });
  const server = new Stack({ clock, id: 'recipe-server' });
  const client = new Stack({ clock, id: 'recipe-client' });
  server.addInterface(ls, { ipv4: ['192.0.2.2/24'] });
  client.addInterface(lc, { ipv4: ['192.0.2.1/24'] });
  const stops: (() => void)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tsip-recipes-'));
  let key = '';
  let cert = '';
  let haveOpenssl = true;

  beforeAll(async () => {
    stops.push(await recipes.httpServer(server, 80));
    stops.push(await recipes.wsEchoServer(server, 8080));
    stops.push(await recipes.udpEchoServer(server, 7));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tsip.test', '-addext', 'subjectAltName=DNS:tsip.test', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      stops.push(await recipes.httpsServer(server, 443, key, cert));
    } catch {
      haveOpenssl = false;
    }
  });

  afterAll(() => {
    for (const stop of stops) stop();
    server.close();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP with http.request({ createConnection })', async () => {
    expect(await recipes.httpGet(client, '192.0.2.2', 80, '/x')).toBe('hello from tsip, you asked for /x\n');
  });

  it('HTTP with an undici Agent whose connect opens tsip sockets', async () => {
    expect(await recipes.undiciGet(client, 'http://192.0.2.2/y')).toBe('hello from tsip, you asked for /y\n');
  });

  it('WebSocket server and client (ws)', async () => {
    expect(await recipes.wsRoundTrip(client, '192.0.2.2', 8080, 'hi')).toBe('echo: hi');
  });

  it('TLS with tls.connect({ socket }) against https over tsip', async (ctx) => {
    if (!haveOpenssl) ctx.skip();
    const reply = await recipes.tlsGet(client, '192.0.2.2', 443, cert, 'tsip.test');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply).toMatch(/hello over TLS\n$/);
  });

  it('UDP echo with the dgram adapter', async () => {
    expect(await recipes.udpAsk(client, '192.0.2.2', 7, 'ping over udp')).toBe('ping over udp');
  });

  it('ping', async () => {
    expect(await recipes.pingOnce(client, '192.0.2.2')).toBeGreaterThanOrEqual(0);
  });
});
