/**
 * bench/tcp-memory: bulk TCP between two tsip stacks on the in-memory link in
 * one process, beside the same transfer through the Linux kernel's TCP over
 * loopback (Node `net`, 127.0.0.1) in the same run. Prints one JSON object:
 * Gbit/s and CPU seconds for each, and the ratio tsip/kernel.
 *
 *   node dist/bench/tcp-memory.js [--bytes N] [--mtu N] [--runs N]
 *
 * The tsip side runs on a VirtualClock with zero link latency, so the figure
 * is pure protocol processing cost on one core (the clock never waits).
 */
import { once } from 'node:events';
import net from 'node:net';
import { VirtualClock } from '../src/core/clock.js';
import { createMemoryPair } from '../src/link/memory-link.js';
import { Stack } from '../src/stack.js';
import type { TcpConnection } from '../src/tcp/connection.js';

interface Figures {
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  gbps: number;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

function tsipRun(total: number, mtu: number): Figures {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { mtu });
  const a = new Stack({ clock, seed: 1, id: 'bench-a' });
  const b = new Stack({ clock, seed: 2, id: 'bench-b' });
  a.addInterface(la, { ipv4: ['192.0.2.1/24'] });
  b.addInterface(lb, { ipv4: ['192.0.2.2/24'] });
  const l = b.tcp.listen({ port: 5001, backlog: 4 });
  const client = a.tcp.connect({ remoteAddress: 0xc0000202, remotePort: 5001 });
  let server: TcpConnection | null = null;
  clock.runUntil(() => (server ??= l.accept()) !== null && client.stateName === 'ESTABLISHED', { maxUs: 10_000_000 });
  if (server === null) throw new Error('no connection');
  const srv: TcpConnection = server;
  const chunk = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
  let sent = 0;
  let received = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = client.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
      if (n === 0) return;
      sent += n;
    }
  };
  client.setHandler({ onWritable: pump });
  srv.setHandler({
    onReadable: () => {
      for (let d = srv.read(); d.length > 0; d = srv.read()) received += d.length;
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  pump();
  clock.runUntil(() => received >= total, { maxEvents: 1e9 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  a.close();
  b.close();
  if (received !== total) throw new Error(`tsip moved ${received} of ${total}`);
  return { bytes: total, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, gbps: (total * 8) / seconds / 1e9 };
}

async function kernelRun(total: number): Promise<Figures> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const chunk = Buffer.alloc(256 * 1024, 7);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = new Promise<number>((resolve) => {
    server.on('connection', (s) => {
      let n = 0;
      s.on('data', (d: Buffer) => {
        n += d.length;
        if (n >= total) resolve(n);
      });
    });
  });
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  let sent = 0;
  while (sent < total) {
    const n = Math.min(chunk.length, total - sent);
    sent += n;
    if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) await once(c, 'drain');
  }
  const got = await done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  c.destroy();
  server.close();
  return { bytes: got, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, gbps: (got * 8) / seconds / 1e9 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const total = arg('--bytes', 1 << 30);
  const mtu = arg('--mtu', 1500);
  const runs = arg('--runs', 3);
  const tsip: Figures[] = [];
  const kernel: Figures[] = [];
  for (let i = 0; i < runs; i++) {
    tsip.push(tsipRun(total, mtu));
    kernel.push(await kernelRun(total));
  }
  const t = median(tsip.map((f) => f.gbps));
  const k = median(kernel.map((f) => f.gbps));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'tcp-memory',
      bytes: total,
      mtu,
      runs,
      tsip: { gbps: +t.toFixed(3), cpuSeconds: +median(tsip.map((f) => f.cpuSeconds)).toFixed(3), runs: tsip },
      kernelLoopback: { gbps: +k.toFixed(3), cpuSeconds: +median(kernel.map((f) => f.cpuSeconds)).toFixed(3), runs: kernel },
      ratio: +(t / k).toFixed(3),
    })}\n`,
  );
}

void main();
