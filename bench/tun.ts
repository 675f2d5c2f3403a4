/**
 * bench/tun: bulk TCP between tsip on a TUN device and the Linux kernel, in
 * both directions, at several MTUs, beside the same transfer between two
 * kernels (two namespaces joined by a veth pair) in the same run. Prints one
 * JSON object with Gbit/s for each and the ratios tsip/kernel.
 *
 *   node dist/bench/tun.js [--bytes N] [--mtus 1500,9000,65000] [--timeout-s S]
 *
 * Defaults: 256 MiB per transfer, MTUs 1500, 9000 and 65000, each transfer
 * cut off after 60 s (a cut-off transfer reports the bytes it moved and
 * `"complete": false`). Needs root, /dev/net/tun, the built addon and
 * python3 (the kernel's side of every transfer is a small Python program
 * using sendall / recv_into with 4 MiB buffers).
 *
 * Every figure is measured by the receiver, from the moment the connection
 * is accepted to the end of stream: kernel→tsip by tsip (a sink on port
 * 5001), tsip→kernel and kernel→kernel by the Python receiver. The veth pair
 * keeps its default offloads (TSO/GRO), as a real host would.
 *
 * Namespaces and devices are created per MTU and deleted at the end of each
 * step, also on error and on SIGINT/SIGTERM (the Netns registry's handlers).
 */
import { performance } from 'node:perf_hooks';
import { RealClock } from '../src/core/clock.js';
import { Netns, netnsAvailable, randomDeviceName, randomNetnsName, runCommand, tunAvailable } from '../src/link/netns.js';
import { TunLink } from '../src/link/tun-link.js';
import { Stack } from '../src/stack.js';
import type { TcpConnection } from '../src/tcp/connection.js';

const KERNEL = 0xc0000201; // 192.0.2.1

interface Transfer {
  bytes: number;
  seconds: number;
  gbps: number;
  complete: boolean;
}

interface MtuResult {
  mtu: number;
  kernelToTsip: Transfer;
  tsipToKernel: Transfer;
  kernelToKernelVeth: Transfer;
  ratioKernelToTsip: number;
  ratioTsipToKernel: number;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : (process.argv[i + 1] ?? dflt);
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

function transfer(bytes: number, seconds: number, wanted: number): Transfer {
  return { bytes, seconds: round(seconds, 4), gbps: round((bytes * 8) / seconds / 1e9), complete: bytes === wanted };
}

/** Python: send `n` bytes to HOST:PORT in 4 MiB sendall calls (bounded by `limit` seconds), half-close, wait for EOF. */
const SENDER = [
  'import socket, sys, time',
  'host, port, n, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])',
  'buf = memoryview(b"\\x5a" * (4 << 20))',
  's = socket.create_connection((host, port), timeout=30)',
  'sent = 0; t0 = time.monotonic()',
  'while sent < n and time.monotonic() - t0 < limit:',
  '    k = min(len(buf), n - sent); s.sendall(buf[:k]); sent += k',
  's.shutdown(socket.SHUT_WR)',
  'while s.recv(65536): pass',
  'print(sent, flush=True)',
].join('\n');

/** Python: accept one connection on PORT, count bytes to EOF with recv_into, print "bytes seconds". */
const RECEIVER = [
  'import socket, sys, time',
  'port, limit = int(sys.argv[1]), float(sys.argv[2])',
  'l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  'l.bind(("0.0.0.0", port)); l.listen(1); l.settimeout(30); print("listening", flush=True)',
  'c, _ = l.accept(); c.settimeout(limit)',
  'buf = bytearray(4 << 20); n = 0; t0 = time.perf_counter()',
  'while True:',
  '    k = c.recv_into(buf)',
  '    if k == 0: break',
  '    n += k',
  't1 = time.perf_counter(); c.close()',
  'print(n, t1 - t0, flush=True)',
].join('\n');

/** Starts the Python receiver in `ns` and resolves once it listens; `result` resolves with its "bytes seconds" line. */
async function startReceiver(ns: Netns, port: number, limitS: number): Promise<{ result: Promise<[number, number]> }> {
  const p = ns.spawn('python3', ['-c', RECEIVER, String(port), String(limitS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<void>((res) => p.on('close', () => res()));
  const t0 = Date.now();
  while (!out.includes('listening')) {
    if (p.exitCode !== null || Date.now() - t0 > 20_000) throw new Error(`receiver did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const result = closed.then((): [number, number] => {
    const last = out.trim().split('\n').at(-1)!.split(' ');
    if (last.length !== 2) throw new Error(`receiver failed: ${err}`);
    return [Number(last[0]), Number(last[1])];
  });
  return { result };
}

/** kernel → tsip: a tsip sink counts bytes from accept to end of stream while Python sends. */
async function kernelToTsip(ns: Netns, stack: Stack, bytes: number, limitS: number): Promise<Transfer> {
  const l = stack.tcp.listen({ port: 5001, backlog: 4 });
  try {
    const measured = new Promise<Transfer>((resolve) => {
      l.setHandler({
        onConnection: () => {
          const c = l.accept();
          if (c === null) return;
          const t0 = performance.now();
          let got = 0;
          let done = false;
          const finish = (): void => {
            if (done) return;
            done = true;
            resolve(transfer(got, (performance.now() - t0) / 1000, bytes));
          };
          const drain = (): void => {
            for (let d = c.read(); d.length > 0; d = c.read()) got += d.length;
            if (c.readEnded) {
              finish();
              if (c.stateName === 'CLOSE-WAIT') c.shutdown('write');
            }
          };
          c.setHandler({ onReadable: drain, onPeerFin: drain, onClosed: finish });
          drain();
        },
      });
    });
    const sender = ns.exec('python3', ['-c', SENDER, '192.0.2.2', '5001', String(bytes), String(limitS)], { timeoutMs: (limitS + 30) * 1000 });
    const [t, s] = await Promise.all([measured, sender]);
    if (s.code !== 0) throw new Error(`sender failed: ${s.stderr}`);
    return t;
  } finally {
    l.close();
  }
}

/** tsip → kernel: tsip writes as fast as TCP takes it; the Python receiver measures. */
async function tsipToKernel(ns: Netns, stack: Stack, bytes: number, limitS: number): Promise<Transfer> {
  const rx = await startReceiver(ns, 5002, limitS + 10);
  const chunk = new Uint8Array(1 << 20).fill(0xa5); // never modified: TCP may keep references until acked
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let c: TcpConnection | null = null;
    const timer = setTimeout(() => {
      // Bounded in time: stop writing and half-close what was accepted so far.
      sent = Math.min(sent, bytes);
      if (c !== null && c.stateName === 'ESTABLISHED') c.shutdown('write');
    }, limitS * 1000);
    const pump = (): void => {
      if (c === null) return;
      while (sent < bytes && performance.now() - t0 < limitS * 1000) {
        const n = c.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
        if (n === 0) return;
        sent += n;
      }
      if (c.stateName === 'ESTABLISHED') c.shutdown('write');
    };
    c = stack.tcp.connect({
      remoteAddress: KERNEL,
      remotePort: 5002,
      handler: {
        onConnected: pump,
        onWritable: pump,
        onReadable: (conn) => void conn.read(),
        onClosed: (_c, err) => {
          clearTimeout(timer);
          if (err !== null) reject(new Error(`tsip→kernel: ${err}`));
          else resolve();
        },
      },
    });
  });
  const [n, s] = await rx.result;
  return transfer(n, s, bytes);
}

/** kernel → kernel over veth between two namespaces, same programs, same sizes. */
async function kernelToKernel(mtu: number, bytes: number, limitS: number): Promise<Transfer> {
  const a = await Netns.create(randomNetnsName());
  let b: Netns | null = null;
  try {
    b = await Netns.create(randomNetnsName());
    const va = randomDeviceName();
    const vb = randomDeviceName();
    await a.ip(['link', 'add', va, 'type', 'veth', 'peer', 'name', vb, 'netns', b.name]);
    await a.addAddress(va, '198.51.100.1/24');
    await b.addAddress(vb, '198.51.100.2/24');
    await a.loopbackUp();
    await b.loopbackUp();
    await a.setLinkUp(va, { mtu });
    await b.setLinkUp(vb, { mtu });
    const rx = await startReceiver(b, 5003, limitS + 10);
    const s = await a.exec('python3', ['-c', SENDER, '198.51.100.2', '5003', String(bytes), String(limitS)], { timeoutMs: (limitS + 30) * 1000 });
    if (s.code !== 0) throw new Error(`veth sender failed: ${s.stderr}`);
    const [n, secs] = await rx.result;
    return transfer(n, secs, bytes);
  } finally {
    await b?.delete();
    await a.delete();
  }
}

/** tsip on a TUN device at `mtu`, both directions. */
async function tsipRuns(mtu: number, bytes: number, limitS: number): Promise<{ k2t: Transfer; t2k: Transfer }> {
  const ns = await Netns.create();
  let link: TunLink | null = null;
  let stack: Stack | null = null;
  try {
    const dev = randomDeviceName();
    link = TunLink.open({ mode: 'tun', name: dev, mtu });
    await ns.adoptDevice(dev, { addresses: ['192.0.2.1/24'], mtu, txqueuelen: 10_000 });
    stack = new Stack({ clock: new RealClock(), id: `bench-tun-${mtu}` });
    stack.addInterface(link, { ipv4: ['192.0.2.2/24'], mtu });
    // Let the kernel finish bringing the device up (IPv6 autoconf chatter) before timing.
    const ping = await ns.exec('ping', ['-c', '1', '-W', '2', '192.0.2.2']);
    if (ping.code !== 0) throw new Error(`tsip does not answer ping at MTU ${mtu}`);
    const k2t = await kernelToTsip(ns, stack, bytes, limitS);
    const t2k = await tsipToKernel(ns, stack, bytes, limitS);
    return { k2t, t2k };
  } finally {
    stack?.close(); // closes the link too
    if (stack === null) link?.close();
    await ns.delete();
  }
}

async function main(): Promise<void> {
  const bytes = Number(arg('--bytes', String(256 << 20)));
  const mtus = arg('--mtus', '1500,9000,65000').split(',').map(Number);
  const limitS = Number(arg('--timeout-s', '60'));
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 16 * 2 ** 30) throw new Error('--bytes takes 1..16 GiB');
  if (mtus.some((m) => !Number.isInteger(m) || m < 576 || m > 65535)) throw new Error('--mtus takes MTUs in 576..65535');
  if (!(limitS > 0 && limitS <= 600)) throw new Error('--timeout-s takes 1..600');
  const tun = tunAvailable();
  const ns = tun.ok ? netnsAvailable() : tun;
  if (!ns.ok) {
    process.stdout.write(`${JSON.stringify({ bench: 'tun', skipped: ns.reason })}\n`);
    return;
  }
  const kernelVersion = (await runCommand('uname', ['-r'])).stdout.trim();
  const runs: MtuResult[] = [];
  for (const mtu of mtus) {
    const { k2t, t2k } = await tsipRuns(mtu, bytes, limitS);
    const kk = await kernelToKernel(mtu, bytes, limitS);
    runs.push({
      mtu,
      kernelToTsip: k2t,
      tsipToKernel: t2k,
      kernelToKernelVeth: kk,
      ratioKernelToTsip: round(k2t.gbps / kk.gbps),
      ratioTsipToKernel: round(t2k.gbps / kk.gbps),
    });
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'tun', node: process.version, kernel: kernelVersion, bytesPerTransfer: bytes, unit: 'Gbit/s', runs }, null, 2)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/tun: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
