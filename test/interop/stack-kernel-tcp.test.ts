/**
 * tsip's TCP against the Linux kernel's TCP, over a TUN device in a network
 * namespace: a kernel client pushes data through a tsip echo server, and a
 * tsip client talks to a kernel server — every byte checked by SHA-256.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { Netns, randomDeviceName } from '../../src/link/netns.js';
import { TunLink } from '../../src/link/tun-link.js';
import { Stack } from '../../src/stack.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { describeInterop } from './tun-gate.js';
import { echoClientScript } from '../helpers/kernel-echo.js';

const KERNEL = 0xc0000201;

/** Serves TCP echo (RFC 862) on a tsip stack: everything read is written back; EOF is echoed as FIN. */
function echoServer(stack: Stack, port: number): void {
  const l = stack.tcp.listen({ port, backlog: 16 });
  const serve = (c: TcpConnection): void => {
    let pending: Uint8Array | null = null;
    const pump = (): void => {
      for (;;) {
        if (pending !== null) {
          const n = c.write(pending);
          if (n < pending.length) {
            pending = pending.subarray(n);
            return; // wait for onWritable
          }
          pending = null;
        }
        const d = c.read(65536);
        if (d.length === 0) break;
        pending = d;
      }
      if (c.readEnded && pending === null && c.stateName === 'CLOSE-WAIT') c.shutdown('write');
    };
    c.setHandler({ onReadable: pump, onWritable: pump, onPeerFin: pump, onClosed: () => undefined });
    pump();
  };
  l.setHandler({
    onConnection: () => {
      for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
    },
  });
}

describeInterop('tsip TCP with the Linux kernel TCP as the peer (TUN)', () => {
  let ns: Netns | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    ns = await Netns.create();
    const name = randomDeviceName();
    const link = TunLink.open({ mode: 'tun', name, mtu: 1500 });
    await ns.adoptDevice(name, { addresses: ['192.0.2.1/24'], mtu: 1500 });
    stack = new Stack({ clock: new RealClock(), id: 'tcp-interop' });
    stack.addInterface(link, { ipv4: ['192.0.2.2/24'] });
    echoServer(stack, 7);
  });

  afterAll(async () => {
    stack?.close();
    await ns?.delete();
  });

  it('echoes 20 MB from a kernel client byte-exact', async () => {
    const script = echoClientScript('192.0.2.2');
    const r = await ns!.exec('python3', ['-c', script], { timeoutMs: 90_000 });
    const [got, theirs, want] = r.stdout.trim().split(' ');
    expect(Number(got)).toBe(20 * 1024 * 1024);
    expect(theirs).toBe(want);
    expect(stack!.counters.TcpPassiveOpens).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('connects to a kernel server and exchanges 4 MB each way byte-exact', async () => {
    const server = ns!.spawn('python3', [
      '-c',
      [
        'import socket, hashlib',
        'l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
        'l.bind(("192.0.2.1", 9000)); l.listen(1); print("listening", flush=True)',
        'c, _ = l.accept(); h = hashlib.sha256(); n = 0',
        'while True:',
        '    d = c.recv(1 << 20)',
        '    if not d: break',
        '    h.update(d); n += len(d)',
        'reply = bytes((i * 13) & 0xff for i in range(4 << 20))',
        'c.sendall(reply); c.close()',
        'print(n, h.hexdigest(), flush=True)',
      ].join('\n'),
    ]);
    let serverOut = '';
    server.stdout!.on('data', (d: Buffer) => (serverOut += d.toString()));
    const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
    await new Promise<void>((resolve) => {
      const check = (): void => (serverOut.includes('listening') ? resolve() : void setTimeout(check, 20));
      check();
    });

    const up = new Uint8Array(4 << 20).map((_, i) => (i * 31 + 1) & 0xff);
    const downHash = createHash('sha256');
    let downBytes = 0;
    const done = new Promise<void>((resolve, reject) => {
      let off = 0;
      const c = stack!.tcp.connect({ remoteAddress: KERNEL, remotePort: 9000 });
      const pump = (): void => {
        while (off < up.length) {
          const n = c.write(up.subarray(off, off + 65536));
          if (n === 0) return;
          off += n;
        }
        if (c.stateName === 'ESTABLISHED') c.shutdown('write');
      };
      c.setHandler({
        onConnected: pump,
        onWritable: pump,
        onReadable: () => {
          for (let d = c.read(); d.length > 0; d = c.read()) {
            downHash.update(d);
            downBytes += d.length;
          }
          if (c.readEnded) resolve();
        },
        onClosed: (_c, err) => (err ? reject(new Error(err)) : resolve()),
      });
    });
    await done;
    await exited;
    const [n, hash] = serverOut.trim().split('\n').at(-1)!.split(' ');
    expect(Number(n)).toBe(up.length);
    expect(hash).toBe(createHash('sha256').update(up).digest('hex'));
    expect(downBytes).toBe(4 << 20);
    expect(downHash.digest('hex')).toBe(
      createHash('sha256')
        .update(new Uint8Array(4 << 20).map((_, i) => (i * 13) & 0xff))
        .digest('hex'),
    );
  }, 120_000);
});
