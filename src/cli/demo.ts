import { resolve } from 'node:path';
import { RealClock } from '../core/clock.js';
import { nonZeroCounters } from '../core/counters.js';
import { netnsAvailable, randomDeviceName, randomNetnsName, tunAvailable } from '../link/netns.js';
import { readPcapFile } from '../link/pcap-reader.js';
import { kernelPeer, stackPeer, type DemoPeer } from './demo-peer.js';
import { formatCapture } from './dump.js';
import { UsageError, type CommandIo } from './io.js';
import { DEFAULT_LINK, setupStack, type LinkArgs } from './link-setup.js';
import { startServiceSet, STANDARD_SERVICES } from './services/standard.js';

/** Options of `tsip demo`. */
interface DemoArgs {
  pcap: string;
  count: number;
  /** Bytes pushed through the echo service. */
  echoBytes: number;
  /** Force the in-memory link even where a TUN device could be used. */
  memory: boolean;
}

function parseArgs(args: string[]): DemoArgs {
  const out: DemoArgs = { pcap: 'demo.pcap', count: 4, echoBytes: 10 * 1024 * 1024, memory: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--pcap') out.pcap = args[++i] ?? '';
    else if (a === '-c') out.count = Number(args[++i]);
    else if (a === '--echo-bytes') out.echoBytes = Number(args[++i]);
    else if (a === '--memory') out.memory = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  if (!out.pcap) throw new UsageError('--pcap needs a file name');
  if (!Number.isInteger(out.count) || out.count < 1 || out.count > 100) throw new UsageError('-c takes 1..100');
  if (!Number.isInteger(out.echoBytes) || out.echoBytes < 1 || out.echoBytes > 1 << 30) throw new UsageError('--echo-bytes takes 1..1073741824');
  return out;
}

/**
 * The main job. Where this process may open TUN devices and create network
 * namespaces, tsip lives on a TUN device in a fresh namespace and the Linux
 * kernel there is its peer; elsewhere a second tsip stack on the in-memory
 * link plays the peer (and the first line says why). tsip runs its services
 * (ping, TCP echo and discard, UDP echo, HTTP); the peer pings it, fetches
 * `/` over HTTP and pushes 10 MB through echo with a SHA-256 check. Every
 * frame is captured, and the capture is printed as `tsip dump` prints it.
 * The namespace and device are removed, also on failure.
 */
export async function runDemo(args: string[], io: CommandIo): Promise<number> {
  const opts = parseArgs(args);
  const tun = opts.memory ? { ok: false as const, reason: '--memory was given' } : tunAvailable();
  const ns = tun.ok ? netnsAvailable() : tun;
  const useTun = tun.ok && ns.ok;
  const pcapPath = resolve(opts.pcap);
  const link: LinkArgs = useTun
    ? { ...DEFAULT_LINK, kind: 'tun', device: randomDeviceName(), netns: randomNetnsName(), pcap: pcapPath }
    : { ...DEFAULT_LINK, kind: 'memory', pcap: pcapPath };
  const stackAddr = link.addr.split('/')[0]!;
  const peerAddr = link.peer.split('/')[0]!;

  const on = await setupStack(link, new RealClock(), 'tsip');
  let ok = true;
  try {
    if (useTun) {
      io.out(`tsip demo: TUN device ${link.device} in network namespace ${link.netns}; the Linux kernel (${peerAddr}) is the peer\n`);
    } else {
      io.out(`tsip demo: over the in-memory link, a second tsip stack (${peerAddr}) is the peer (no TUN: ${tun.ok ? (ns.ok ? '' : ns.reason) : tun.reason})\n`);
    }
    const services = await startServiceSet(on.stack, STANDARD_SERVICES);
    io.out(`tsip ${stackAddr} serves ${Object.entries(services.ports).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    const peer: DemoPeer = useTun ? kernelPeer(on.netns!, stackAddr) : stackPeer(on.peerStack!, stackAddr);

    io.out(`\n[1/3] the peer pings tsip ${opts.count} times\n`);
    const pings = await peer.ping(opts.count);
    io.out(pings.endsWith('\n') ? pings : `${pings}\n`);
    ok &&= pings.includes(`${opts.count} received`);

    io.out(`\n[2/3] the peer fetches http://${stackAddr}/\n`);
    const page = await peer.httpGet('/');
    io.out(`HTTP ${page.status}, ${page.body.length} bytes: ${page.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160)}…\n`);
    ok &&= page.status === 200;

    io.out(`\n[3/3] the peer pushes ${opts.echoBytes} bytes through tsip's TCP echo (port 7)\n`);
    const e = await peer.echo(opts.echoBytes);
    const mbps = (e.received * 8) / Math.max(e.seconds, 1e-6) / 1e6;
    io.out(`sent ${e.sent}, received ${e.received}, sha256 ${e.match ? 'equal' : 'DIFFERENT'}, ${e.seconds.toFixed(3)} s (${mbps.toFixed(0)} Mbit/s each way)\n`);
    ok &&= e.match;
    services.close();
  } finally {
    await on.close();
  }

  const capture = await readPcapFile(pcapPath);
  io.out(`\nwrote ${pcapPath} (${capture.packets.length} packets); tsip dump ${opts.pcap} | head -12:\n`);
  for (const line of formatCapture(capture, { verbose: false, count: 12 })) io.out(`${line}\n`);

  io.out('\ntsip counters (nstat):\n');
  for (const [k, v] of Object.entries(nonZeroCounters(on.stack.counters))) io.out(`  ${k.padEnd(24)} ${v}\n`);
  io.out(ok ? '\ndemo: every step succeeded\n' : '\ndemo: some step FAILED (see above)\n');
  return ok ? 0 : 1;
}
