#!/usr/bin/env node
/**
 * Raw packets/s through the native TUN addon (no stack on top), to compare
 * with the ceilings in design.md §9 (C read() 659 k/s, C write() 485 k/s,
 * Node fs.readSync 826 k/s, fs.writeSync 324 k/s, async fs.read ~70 k/s, all
 * with 1400-byte packets).
 *
 *   node bench/tun-raw.mjs [--size 1400] [--mtu 1500] [--rounds 5] [--burst 8000] [--seconds 1.5] [--writes 200000]
 *
 * Needs root and a built addon (node scripts/build-native.mjs). Creates a
 * namespace tsip-<random> with one TUN device (kernel side 192.0.2.1/24) and
 * deletes both at the end, also on error or Ctrl-C. Prints one JSON object.
 *
 * kernel→user, two ways (the kernel's UDP sender is python3, so a
 * concurrent measurement is bounded by how fast python can send):
 *   drain:  the kernel queues a burst while nobody reads (txqueuelen is
 *           raised so none is dropped), then the watcher drains it: the
 *           reader's own rate, with no sender competing for the 2 cores.
 *   stream: python sends for --seconds while the watcher reads.
 *   Both for 'shared' delivery (one reused ArrayBuffer + lengths) and
 *   'buffers' delivery (a new Buffer per frame), each visiting every frame as
 *   TunLink does (one subarray per frame).
 * user→kernel: --writes UDP datagrams to 192.0.2.1:9 (no listener: the
 *   kernel processes each up to the port lookup and counts UdpNoPorts, which
 *   we check) with write() per frame, writeMany() in batches, and
 *   fs.writeSync per frame for reference.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const opts = { size: 1400, mtu: 1500, rounds: 5, burst: 8000, seconds: 1.5, writes: 200000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opts)) throw new Error(`unknown option ${process.argv[i]}`);
  opts[key] = Number(process.argv[i + 1]);
}
if (opts.size < 28 || opts.size > opts.mtu) throw new Error('--size must be in 28..mtu');

const addonPath = process.env.TSIP_TUN_ADDON ?? fileURLToPath(new URL('../build/Release/tsip_tun.node', import.meta.url));
const tun = createRequire(import.meta.url)(addonPath);

const NS = `tsip-${randomBytes(5).toString('hex')}`;
const DEV = `tsip${randomBytes(5).toString('hex')}`;
let fd = -1;
let nsCreated = false;

function cleanup() {
  if (fd >= 0) {
    try {
      tun.close(fd);
    } catch {
      // already closed
    }
    fd = -1;
  }
  if (nsCreated) {
    nsCreated = false;
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // nothing more to do
    }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (...args) => execFileSync('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Kernel-side UDP sender: `count` datagrams (or for `seconds` if > 0), IP packets of `size` bytes. */
const SENDER = `
import socket, sys, time
count, size, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 32, 64 << 20)  # SO_SNDBUFFORCE
s.bind(('192.0.2.1', 40000))
s.connect(('192.0.2.2', 9))
b = bytes(size - 28)
send = s.send
sent = errors = 0
t0 = time.perf_counter()
if seconds > 0:
    end = t0 + seconds
    while time.perf_counter() < end:
        for _ in range(500):
            try:
                send(b)
                sent += 1
            except OSError:
                errors += 1
else:
    for _ in range(count):
        try:
            send(b)
            sent += 1
        except OSError:
            errors += 1
print(sent, errors, time.perf_counter() - t0)
`;

function runSender(count, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', SENDER, String(count), String(opts.size), String(seconds)]);
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sender failed: ${err}`));
      const [sent, errors, secs] = out.trim().split(/\s+/).map(Number);
      resolve({ sent, errors, seconds: secs });
    });
  });
}

function tunStats() {
  const j = JSON.parse(ip('-n', NS, '-s', '-j', 'link', 'show', 'dev', DEV))[0].stats64;
  return { rxPackets: j.rx.packets, txPackets: j.tx.packets, txDropped: j.tx.dropped };
}

function udpNoPorts() {
  const lines = inNs('cat', '/proc/net/snmp').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf('NoPorts')]);
}

/**
 * Starts a watcher in `mode` that visits every frame; resolves when `target`
 * frames arrived or none came for `idleMs`.
 */
function watchUntil(mode, target, idleMs) {
  return new Promise((resolve) => {
    let frames = 0;
    let bytes = 0;
    let batches = 0;
    let first = 0n;
    let last = 0n;
    let idleTimer = null;
    let handle = null;
    const finish = () => {
      clearTimeout(idleTimer);
      tun.unwatch(handle);
      resolve({ frames, bytes, batches, ns: Number(last - first) });
    };
    const arm = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(finish, idleMs);
    };
    const onFrames = () => {
      last = process.hrtime.bigint();
      batches++;
      if (frames >= target) finish();
      else arm();
    };
    const start = process.hrtime.bigint();
    first = start;
    if (mode === 'shared') {
      const buffer = new ArrayBuffer(256 * (opts.mtu + 14) + tun.MAX_FRAME > 4 << 20 ? 4 << 20 : 256 * (opts.mtu + 14) + tun.MAX_FRAME);
      const view = new Uint8Array(buffer);
      const lengths = new Int32Array(256);
      handle = tun.watchShared(fd, buffer, lengths, 256, (count) => {
        let off = 0;
        for (let i = 0; i < count; i++) {
          const f = view.subarray(off, off + lengths[i]);
          bytes += f.length;
          off += lengths[i];
        }
        frames += count;
        onFrames();
      });
    } else {
      handle = tun.watchBuffers(fd, 256, (count, list) => {
        for (let i = 0; i < count; i++) bytes += list[i].length;
        frames += count;
        onFrames();
      });
    }
    arm();
  });
}

async function drainRound(mode) {
  // The device's tx counters move when *we* read a packet; ring-full drops
  // count in tx.dropped at once. So what waits for us is sent - dropped.
  const before = tunStats();
  const s = await runSender(opts.burst, 0);
  await sleep(20);
  const queued = s.sent - (tunStats().txDropped - before.txDropped);
  const r = await watchUntil(mode, queued, 300);
  return { pps: r.frames / (r.ns / 1e9), frames: r.frames, queued, sent: s.sent, meanBatch: r.frames / r.batches };
}

async function streamRound(mode) {
  const before = tunStats();
  const senderDone = runSender(0, opts.seconds);
  const r = await watchUntil(mode, Number.MAX_SAFE_INTEGER, 400);
  const s = await senderDone;
  const after = tunStats();
  return {
    pps: r.frames / (r.ns / 1e9),
    frames: r.frames,
    senderPps: s.sent / s.seconds,
    kernelDropped: after.txDropped - before.txDropped,
    meanBatch: r.frames / r.batches,
  };
}

function buildPacket(i) {
  const p = Buffer.alloc(opts.size);
  p[0] = 0x45;
  p.writeUInt16BE(opts.size, 2);
  p.writeUInt16BE(i & 0xffff, 4);
  p.writeUInt16BE(0x4000, 6);
  p[8] = 64;
  p[9] = 17;
  Buffer.from([192, 0, 2, 2, 192, 0, 2, 1]).copy(p, 12);
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += p.readUInt16BE(k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(50000, 20);
  p.writeUInt16BE(9, 22);
  p.writeUInt16BE(opts.size - 20, 24);
  // UDP checksum 0 = none (RFC 768): valid for IPv4, and the kernel skips verifying it.
  return p;
}

function writeRound(method, batch) {
  const pool = Array.from({ length: 256 }, (_, i) => buildPacket(i));
  const n = opts.writes;
  const status = new Int32Array(256);
  const frames = new Array(batch);
  const noPortsBefore = udpNoPorts();
  let ok = 0;
  const t0 = process.hrtime.bigint();
  if (method === 'write') {
    for (let i = 0; i < n; i++) if (tun.write(fd, pool[i & 255]) === 0) ok++;
  } else if (method === 'writeMany') {
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      for (let j = 0; j < k; j++) frames[j] = pool[(i + j) & 255];
      ok += tun.writeMany(fd, frames, k, status);
    }
  } else {
    for (let i = 0; i < n; i++) {
      try {
        writeSync(fd, pool[i & 255]);
        ok++;
      } catch {
        // EAGAIN etc.: dropped
      }
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const accepted = udpNoPorts() - noPortsBefore;
  return { pps: ok / (ns / 1e9), written: ok, kernelUdpNoPorts: accepted };
}

async function main() {
  execFileSync('ip', ['netns', 'add', NS]);
  nsCreated = true;
  ({ fd } = tun.open(DEV, false, false));
  ip('link', 'set', 'dev', DEV, 'netns', NS);
  inNs('sysctl', '-qw', `net.ipv6.conf.${DEV}.disable_ipv6=1`);
  ip('-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', DEV);
  ip('-n', NS, 'link', 'set', 'dev', 'lo', 'up');
  ip('-n', NS, 'link', 'set', 'dev', DEV, 'mtu', String(opts.mtu), 'txqueuelen', String(Math.max(1000, opts.burst + 1000)), 'up');
  const results = { config: { ...opts, kernel: execFileSync('uname', ['-r']).toString().trim() } };

  const modes = ['shared', 'buffers'];
  results.kernelToUser = {};
  for (const mode of modes) {
    const drain = [];
    const stream = [];
    for (let r = 0; r < opts.rounds; r++) drain.push(await drainRound(mode));
    for (let r = 0; r < opts.rounds; r++) stream.push(await streamRound(mode));
    results.kernelToUser[mode] = {
      drainPps: Math.round(median(drain.map((x) => x.pps))),
      drainLost: drain.reduce((a, x) => a + (x.queued - x.frames), 0),
      drainMeanBatch: Math.round(median(drain.map((x) => x.meanBatch))),
      streamPps: Math.round(median(stream.map((x) => x.pps))),
      streamSenderPps: Math.round(median(stream.map((x) => x.senderPps))),
      streamKernelDropped: stream.reduce((a, x) => a + x.kernelDropped, 0),
      streamMeanBatch: Math.round(median(stream.map((x) => x.meanBatch))),
    };
  }

  results.userToKernel = {};
  const methods = [
    ['write', 1],
    ['writeMany', 16],
    ['writeMany', 64],
    ['writeMany', 256],
    ['fs.writeSync', 1],
  ];
  for (const [method, batch] of methods) {
    const rounds = [];
    for (let r = 0; r < opts.rounds; r++) {
      rounds.push(writeRound(method, batch));
      // Empty the kernel's ICMP port-unreachable replies between rounds.
      await watchUntil('shared', Number.MAX_SAFE_INTEGER, 20);
    }
    const key = method === 'writeMany' ? `writeMany(batch=${batch})` : method;
    results.userToKernel[key] = {
      pps: Math.round(median(rounds.map((x) => x.pps))),
      written: rounds.reduce((a, x) => a + x.written, 0),
      kernelUdpNoPorts: rounds.reduce((a, x) => a + x.kernelUdpNoPorts, 0),
    };
  }
  const bits = (pps) => Math.round((pps * opts.size * 8) / 1e8) / 10;
  results.gbitPerSecond = {
    kernelToUserDrainShared: bits(results.kernelToUser.shared.drainPps),
    userToKernelWriteMany256: bits(results.userToKernel['writeMany(batch=256)'].pps),
  };
  results.design9Reference = {
    cReadPps: 659000,
    cWritePps: 485000,
    nodeReadSyncPps: 826000,
    nodeWriteSyncPps: 324000,
    nodeAsyncFsReadPps: 70000,
    packetSize: 1400,
  };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

try {
  await main();
} finally {
  cleanup();
}
