/**
 * bench/tcp-conns: many connections between two tsip stacks on the
 * in-memory link (VirtualClock, zero latency), beside the Linux kernel's
 * connect+accept+close rate over loopback (Node `net`, 127.0.0.1) in the
 * same run. Prints one JSON object.
 *
 *   node --expose-gc dist/bench/tcp-conns.js [--conns N] [--ports N] [--batch N] [--kernel N]
 *
 * Phases (tsip):
 *  1. open: N active opens from one client address to `--ports` listening
 *     ports (ephemeral ports give ~28 k 4-tuples per server port, so 100 k
 *     connections need 4 ports), in batches so the SYN queues never
 *     overflow; timed until every connection is ESTABLISHED on both ends
 *     and accepted;
 *  2. hold: the connections sit idle; the heap (after full GCs) is compared
 *     with the heap before phase 1, giving bytes per idle connection pair;
 *  3. close: every client closes, every server closes on the peer's FIN;
 *     timed until every server end is CLOSED and every client end reached
 *     TIME-WAIT (what close(2) callers see), then TIME-WAIT is run out;
 *  4. split: the same number of connections is opened again (untimed), the
 *     client ends are dropped silently and the heap measured again, which
 *     splits the per-pair figure into client and server ends.
 *
 * Re-runs itself with --expose-gc when started without it. Bounded in
 * time: the virtual clock never waits, and the kernel part is a fixed count.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { VirtualClock } from '../src/core/clock.js';
import { createMemoryPair } from '../src/link/memory-link.js';
import { Stack } from '../src/stack.js';
import type { TcpConnection } from '../src/tcp/connection.js';
import type { TcpListener } from '../src/tcp/listener.js';

const SERVER = 0xc0000202; // 192.0.2.2
const BASE_PORT = 5001;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) g();
}

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

interface World {
  clock: VirtualClock;
  client: Stack;
  server: Stack;
  listeners: TcpListener[];
  accepted: TcpConnection[];
}

function makeWorld(ports: number, backlog: number): World {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { mtu: 1500 });
  const client = new Stack({ clock, seed: 1, id: 'conns-client' });
  const server = new Stack({ clock, seed: 2, id: 'conns-server' });
  client.addInterface(la, { ipv4: ['192.0.2.1/24'] });
  server.addInterface(lb, { ipv4: ['192.0.2.2/24'] });
  const accepted: TcpConnection[] = [];
  const listeners: TcpListener[] = [];
  for (let p = 0; p < ports; p++) {
    const l = server.tcp.listen({ port: BASE_PORT + p, backlog });
    l.setHandler({
      onConnection: (ls) => {
        for (let c = ls.accept(); c !== null; c = ls.accept()) accepted.push(c);
      },
    });
    listeners.push(l);
  }
  return { clock, client, server, listeners, accepted };
}

/** Opens `n` connections in batches; returns the client ends (server ends land in w.accepted). */
function openAll(w: World, n: number, ports: number, batch: number): TcpConnection[] {
  const clients: TcpConnection[] = [];
  let established = 0;
  const handler = { onConnected: (): void => void established++ };
  while (clients.length < n) {
    const k = Math.min(batch, n - clients.length);
    const target = clients.length + k;
    for (let i = 0; i < k; i++) {
      const port = BASE_PORT + (clients.length % ports);
      clients.push(w.client.tcp.connect({ remoteAddress: SERVER, remotePort: port, handler }));
    }
    const ok = w.clock.runUntil(() => established >= target && w.accepted.length >= target, { maxEvents: 100 * k + 1000 });
    if (!ok) throw new Error(`open stalled at ${established}/${w.accepted.length} of ${target}`);
  }
  return clients;
}

interface Tsip {
  connections: number;
  serverPorts: number;
  openSeconds: number;
  openPerSecond: number;
  closeSeconds: number;
  closePerSecond: number;
  openClosePerSecond: number;
  heapBytesPerIdleConnectionPair: number;
  heapBytesPerIdleConnection: { client: number; server: number };
  timeWaitDrainSeconds: number;
}

function tsipRun(n: number, ports: number, batch: number): Tsip {
  // ---- 1. open (timed)
  let w: World | null = makeWorld(ports, 4096);
  const h0 = heapUsed();
  let t0 = performance.now();
  let clients: TcpConnection[] = openAll(w, n, ports, batch);
  const openSeconds = (performance.now() - t0) / 1000;
  if (w.client.tcp.connectionCount !== n || w.server.tcp.connectionCount !== n) throw new Error('connection count mismatch');

  // ---- 2. hold idle: the clock runs a minute of idleness (no timer should be armed), then measure
  w.clock.advance(60_000_000);
  const h1 = heapUsed();
  const pair = (h1 - h0) / n;

  // ---- 3. close (timed): clients close; servers close when the FIN arrives
  let serverClosed = 0;
  for (const s of w.accepted) {
    s.setHandler({
      onPeerFin: (c) => c.close(),
      onClosed: () => void serverClosed++,
    });
  }
  t0 = performance.now();
  for (let i = 0; i < clients.length; i += batch) {
    const end = Math.min(clients.length, i + batch);
    for (let j = i; j < end; j++) clients[j]!.close();
    const ok = w.clock.runUntil(() => serverClosed >= end, { maxEvents: 100 * batch + 1000 });
    if (!ok) throw new Error(`close stalled at ${serverClosed} of ${end}`);
  }
  const closeSeconds = (performance.now() - t0) / 1000;
  for (const c of clients) if (c.stateName !== 'TIME-WAIT') throw new Error(`client in ${c.stateName} after close`);
  t0 = performance.now();
  w.clock.advance(61_000_000);
  const timeWaitDrainSeconds = (performance.now() - t0) / 1000;
  if (w.client.tcp.connectionCount !== 0 || w.server.tcp.connectionCount !== 0) throw new Error('connections left after TIME-WAIT');
  w.client.close();
  w.server.close();
  clients = [];
  w = null;

  // ---- 4. split the per-pair heap figure into the two ends (untimed)
  const { client, server } = splitRun(n, ports, batch);

  return {
    connections: n,
    serverPorts: ports,
    openSeconds: +openSeconds.toFixed(3),
    openPerSecond: Math.round(n / openSeconds),
    closeSeconds: +closeSeconds.toFixed(3),
    closePerSecond: Math.round(n / closeSeconds),
    openClosePerSecond: Math.round(n / (openSeconds + closeSeconds)),
    heapBytesPerIdleConnectionPair: Math.round(pair),
    heapBytesPerIdleConnection: { client: Math.round(client), server: Math.round(server) },
    timeWaitDrainSeconds: +timeWaitDrainSeconds.toFixed(3),
  };
}

/**
 * Opens `n` connections again and drops the client ends silently, measuring
 * the heap with both ends and with the server ends only. The client ends are
 * dropped inside a helper so that no interpreter register of this frame
 * still points at them when the heap is measured.
 */
function splitRun(n: number, ports: number, batch: number): { client: number; server: number } {
  const w = makeWorld(ports, 4096);
  const g0 = heapUsed();
  const clients = { list: openAll(w, n, ports, batch) };
  w.clock.advance(60_000_000);
  const g1 = heapUsed();
  dropAll(clients);
  const g2 = heapUsed();
  w.client.close();
  w.server.close();
  return { client: (g1 - g2) / n, server: (g2 - g0) / n };
}

function dropAll(holder: { list: TcpConnection[] }): void {
  for (let i = 0; i < holder.list.length; i++) holder.list[i]!.abortSilently();
  holder.list = [];
}

interface Kernel {
  connections: number;
  concurrency: number;
  seconds: number;
  connectAcceptClosePerSecond: number;
}

/** connect + accept + close through the kernel over loopback, `concurrency` at a time. */
async function kernelRun(n: number, concurrency: number): Promise<Kernel> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.resume();
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const one = (): void => {
      started++;
      const c = net.connect(port, '127.0.0.1');
      c.on('error', reject);
      c.on('connect', () => c.end());
      c.resume();
      c.on('close', () => {
        done++;
        if (done === n) resolve();
        else if (started < n) one();
      });
    };
    for (let i = 0; i < Math.min(concurrency, n); i++) one();
  });
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return { connections: n, concurrency, seconds: +seconds.toFixed(3), connectAcceptClosePerSecond: Math.round(n / seconds) };
}

async function main(): Promise<void> {
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    // Heap figures need explicit full GCs: start again with --expose-gc.
    const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const n = arg('--conns', 100_000);
  const ports = arg('--ports', 4);
  const batch = arg('--batch', 1000);
  const kn = arg('--kernel', 5000);
  if (ports * 28_000 < n) throw new Error(`--ports ${ports} gives too few 4-tuples for ${n} connections`);
  const tsip = tsipRun(n, ports, batch);
  const kernel = await kernelRun(kn, 64);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'tcp-conns',
      tsip,
      kernelLoopback: kernel,
      targetHeapBytesPerConnection: 4096,
      ratioOpenClose: +(tsip.openClosePerSecond / kernel.connectAcceptClosePerSecond).toFixed(3),
    })}\n`,
  );
}

void main();
