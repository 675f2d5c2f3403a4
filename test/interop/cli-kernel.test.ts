/**
 * The real `tsip` command (node bin/tsip.js, run as a child process) with
 * the Linux kernel as its peer, over a TUN and over a TAP device in a network
 * namespace the test creates (design.md §8):
 *   - kernel ping → `tsip serve`;
 *   - kernel UDP ↔ the UDP echo service;
 *   - a kernel TCP client → the echo service, 20 MB, SHA-256 equal;
 *   - curl → the HTTP service (/bytes/1000000 and the counters page);
 *   - `tsip nc` → a kernel TCP server, 20 MB each way, SHA-256 equal, and
 *     `tsip nc -u` → a kernel UDP echo server.
 * serve uses 192.0.2.0/24 (kernel .1, tsip .2); each nc run brings its own
 * device into the same namespace on 198.51.100.0/24 so the two never clash.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNetns, Netns, randomDeviceName, runCommand } from '../../src/link/netns.js';
import { ensureBuilt, spawnTsip, writeAll, type TsipChild } from './cli-child.js';
import { describeInterop } from './tun-gate.js';
import { echoClientScript } from '../helpers/kernel-echo.js';

const MB20 = 20 * 1024 * 1024;

/** 20 MB: the 64 KiB block (i*mul+add) & 0xff, 320 times (the Python scripts build the same). */
function pattern20(mul: number, add: number): Buffer {
  const block = Buffer.allocUnsafe(65536);
  for (let i = 0; i < block.length; i++) block[i] = (i * mul + add) & 0xff;
  return Buffer.concat(Array.from({ length: 320 }, () => block));
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A kernel client that pushes 20 MB through an echo server and reports what came back. */
const ECHO_CLIENT = echoClientScript('192.0.2.2');

/** Datagrams of several sizes (one fragmented in both directions) must come back unchanged from 192.0.2.2:7. */
const UDP_CLIENT = [
  'import socket',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)',
  'ok = 0',
  'for i, n in enumerate([1, 100, 1472, 1473, 8000, 30000]):',
  '    d = bytes((i * 31 + j) & 0xff for j in range(n))',
  '    s.sendto(d, ("192.0.2.2", 7))',
  '    r, a = s.recvfrom(65535)',
  '    assert r == d and a == ("192.0.2.2", 7), (n, len(r), a)',
  '    ok += 1',
  'print("ok", ok)',
].join('\n');

/**
 * A kernel TCP server on port 9000 for nc (bound to any address: the
 * 198.51.100.1 device only appears when nc starts): sends 20 MB of its own
 * pattern (then half-closes) while hashing everything it receives.
 */
const NC_SERVER = [
  'import socket, hashlib, threading',
  'l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  'l.bind(("0.0.0.0", 9000)); l.listen(1); l.settimeout(60); print("listening", flush=True)',
  'c, _ = l.accept(); c.settimeout(60)',
  'reply = bytes((i * 13 + 5) & 0xff for i in range(65536)) * 320',
  'def send():',
  '    c.sendall(reply); c.shutdown(socket.SHUT_WR)',
  't = threading.Thread(target=send); t.start()',
  'h = hashlib.sha256(); n = 0',
  'while True:',
  '    d = c.recv(1 << 20)',
  '    if not d: break',
  '    h.update(d); n += len(d)',
  't.join(); c.close()',
  'print(n, h.hexdigest(), flush=True)',
].join('\n');

/** A kernel UDP echo server on port 9001 (any address) that answers three datagrams in capitals. */
const UDP_ECHO_SERVER = [
  'import socket',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9001)); s.settimeout(30)',
  'print("listening", flush=True)',
  'for _ in range(3):',
  '    d, a = s.recvfrom(65535); s.sendto(d.upper(), a)',
].join('\n');

/** Starts a Python program in the namespace and waits for it to print "listening". */
async function startKernelServer(ns: Netns, script: string): Promise<{ output(): string; exited: Promise<void> }> {
  const p = ns.spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => p.on('close', () => res()));
  const started = Date.now();
  while (!out.includes('listening')) {
    if (p.exitCode !== null || Date.now() - started > 20_000) throw new Error(`kernel server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { output: () => out, exited };
}

for (const mode of ['tun', 'tap'] as const) {
  describeInterop(`the tsip command with the kernel as the peer (${mode.toUpperCase()})`, () => {
    let ns: Netns | undefined;
    let serve: TsipChild | undefined;

    beforeAll(async () => {
      ensureBuilt();
      ns = await Netns.create();
      serve = spawnTsip(['serve', `--${mode}`, randomDeviceName(), '--netns', ns.name]);
      const ready = await serve.ready();
      expect(ready).toMatchObject({ link: mode, netns: ns.name, ports: { echo: 7, discard: 9, 'udp-echo': 7, http: 80 } });
    }, 120_000);

    afterAll(async () => {
      const exit = await serve?.stop('SIGTERM');
      await ns?.delete();
      // It shut down on its own (no SIGKILL needed) and printed its counters.
      expect(exit).toEqual({ code: 0, signal: null });
      expect(serve!.stdout()).toContain('#nstat (non-zero counters)');
      expect(serve!.stdout()).toMatch(/TcpPassiveOpens\s+\d+/);
    });

    it('answers the kernel\'s ping', async () => {
      const r = await ns!.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2'], { timeoutMs: 20_000 });
      expect(r.stdout).toContain('3 packets transmitted, 3 received');
      expect(r.code).toBe(0);
    });

    it('echoes the kernel\'s UDP datagrams, fragmented ones included', async () => {
      const r = await ns!.exec('python3', ['-c', UDP_CLIENT], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('ok 6');
    });

    it('echoes 20 MB from a kernel TCP client byte-exact', async () => {
      const r = await ns!.exec('python3', ['-c', ECHO_CLIENT], { timeoutMs: 110_000 });
      const [got, theirs, want] = r.stdout.trim().split(' ');
      expect(Number(got)).toBe(MB20);
      expect(theirs).toBe(want);
    }, 120_000);

    it('serves curl: /bytes/1000000 byte-exact and the counters page', async () => {
      const r = await ns!.exec('sh', ['-c', 'curl -s --max-time 60 http://192.0.2.2/bytes/1000000 | sha256sum'], { timeoutMs: 70_000 });
      const want = sha(Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => i & 0xff)));
      expect(r.stdout.split(' ')[0]).toBe(want);
      const page = await ns!.exec('curl', ['-s', '--max-time', '20', '-w', '\n%{http_code}', 'http://192.0.2.2/'], { timeoutMs: 30_000 });
      expect(page.stdout).toMatch(/<td>TcpPassiveOpens<\/td><td>\d+<\/td>/);
      expect(page.stdout.trim().endsWith('200')).toBe(true);
      const missing = await ns!.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://192.0.2.2/nope'], { timeoutMs: 30_000 });
      expect(missing.stdout).toBe('404');
    }, 120_000);

    it('tsip nc exchanges 20 MB each way with a kernel TCP server byte-exact', async () => {
      const server = await startKernelServer(ns!, NC_SERVER);
      const up = pattern20(31, 1);
      const down = createHash('sha256');
      let downBytes = 0;
      const nc = spawnTsip(
        ['nc', `--${mode}`, randomDeviceName(), '--netns', ns!.name, '--addr', '198.51.100.2/24', '--peer', '198.51.100.1/24', '-v', '198.51.100.1', '9000'],
        {
          onStdout: (b) => {
            down.update(b);
            downBytes += b.length;
          },
        },
      );
      try {
        await writeAll(nc.proc, up);
        const exit = await nc.exited;
        await server.exited;
        expect(nc.stderr()).toContain('connected to 198.51.100.1 port 9000');
        expect(exit).toEqual({ code: 0, signal: null });
        const [n, hash] = server.output().trim().split('\n').at(-1)!.split(' ');
        expect(Number(n)).toBe(MB20);
        expect(hash).toBe(sha(up));
        expect(downBytes).toBe(MB20);
        expect(down.digest('hex')).toBe(sha(pattern20(13, 5)));
      } finally {
        await nc.stop('SIGKILL', 1000);
      }
    }, 120_000);

    it('tsip nc -u talks to a kernel UDP server', async () => {
      const server = await startKernelServer(ns!, UDP_ECHO_SERVER);
      const nc = spawnTsip(['nc', `--${mode}`, randomDeviceName(), '--netns', ns!.name, '--addr', '198.51.100.2/24', '--peer', '198.51.100.1/24', '-u', '-q', '2', '198.51.100.1', '9001']);
      try {
        // One datagram per write: wait for each echo before the next.
        for (const [i, word] of ['alpha\n', 'beta\n', 'gamma\n'].entries()) {
          nc.proc.stdin!.write(word);
          const want = ['alpha\n', 'beta\n', 'gamma\n'].slice(0, i + 1).join('').toUpperCase();
          const started = Date.now();
          while (nc.stdout() !== want && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
          expect(nc.stdout()).toBe(want);
        }
        nc.proc.stdin!.end();
        expect(await nc.exited).toEqual({ code: 0, signal: null });
        await server.exited;
      } finally {
        await nc.stop('SIGKILL', 1000);
      }
    }, 60_000);
  });
}

describeInterop('the tsip command cleans up after SIGTERM in the middle of transfers', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  for (const mode of ['tun', 'tap'] as const) {
    it(`serve (${mode}) deletes the namespace it created and its device`, async () => {
      const name = `tsip-sigterm-${process.pid}-${mode}`;
      const dev = randomDeviceName();
      const serve = spawnTsip(['serve', `--${mode}`, dev, '--netns', name]);
      const peer = Netns.attach(name);
      let client: ReturnType<Netns['spawn']> | null = null;
      try {
        await serve.ready();
        // A kernel client streaming into the echo service (bounded: 400 MB or 60 s), both directions busy.
        client = peer.spawn('python3', ['-c', [
          'import socket, threading, time',
          's = socket.create_connection(("192.0.2.2", 7), timeout=10)',
          'def drain():',
          '    try:',
          '        while s.recv(1 << 20): pass',
          '    except OSError: pass',
          'threading.Thread(target=drain, daemon=True).start()',
          'block = bytes(65536); sent = 0; t0 = time.time()',
          'try:',
          '    while sent < 400 << 20 and time.time() - t0 < 60:',
          '        s.sendall(block); sent += len(block)',
          '        if sent == 4 << 20: print("streaming", flush=True)',
          'except OSError: pass',
        ].join('\n')], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        const started = Date.now();
        while (!out.includes('streaming') && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
        expect(out).toContain('streaming');

        const exit = await serve.stop('SIGTERM');
        expect(exit).toEqual({ code: 0, signal: null });
        expect(serve.stderr()).toContain('SIGTERM, shutting down');
        expect(await listNetns()).not.toContain(name);
        // The device went with the namespace and the process; it did not fall back into ours.
        expect((await runCommand('ip', ['link', 'show', 'dev', dev])).code).not.toBe(0);
      } finally {
        client?.kill('SIGKILL');
        await serve.stop('SIGKILL', 1000);
        if ((await listNetns()).includes(name)) await runCommand('ip', ['netns', 'del', name]);
      }
    }, 120_000);
  }

  it('nc -l (tun) deletes the namespace it created when SIGTERM comes mid-transfer', async () => {
    const name = `tsip-sigterm-${process.pid}-nc`;
    const dev = randomDeviceName();
    let received = 0;
    const nc = spawnTsip(['nc', '--tun', dev, '--netns', name, '-l', '-v', '5000'], { onStdout: (b) => (received += b.length) });
    const peer = Netns.attach(name);
    let client: ReturnType<Netns['spawn']> | null = null;
    try {
      await nc.waitForStderr('listening on');
      client = peer.spawn('python3', ['-c', [
        'import socket, time',
        's = socket.create_connection(("192.0.2.2", 5000), timeout=10)',
        'block = bytes(65536); sent = 0; t0 = time.time()',
        'try:',
        '    while sent < 400 << 20 and time.time() - t0 < 60:',
        '        s.sendall(block); sent += len(block)',
        'except OSError: pass',
      ].join('\n')], { stdio: 'ignore' });
      const started = Date.now();
      while (received < 4 << 20 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
      expect(received).toBeGreaterThanOrEqual(4 << 20);
      const exit = await nc.stop('SIGTERM');
      expect(exit).toEqual({ code: 143, signal: null });
      expect(await listNetns()).not.toContain(name);
      expect((await runCommand('ip', ['link', 'show', 'dev', dev])).code).not.toBe(0);
    } finally {
      client?.kill('SIGKILL');
      await nc.stop('SIGKILL', 1000);
      if ((await listNetns()).includes(name)) await runCommand('ip', ['netns', 'del', name]);
    }
  }, 120_000);
});

describe('cli-kernel helpers', () => {
  it('builds the 20 MB patterns the Python side builds', () => {
    const p = pattern20(7, 3);
    expect(p.length).toBe(MB20);
    expect([p[0], p[1], p[65535], p[65536]]).toEqual([3, 10, (65535 * 7 + 3) & 0xff, 3]);
  });
});
