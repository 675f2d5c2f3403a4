import { resolve } from 'node:path';
import { RealClock } from '../core/clock.js';
import { nonZeroCounters } from '../core/counters.js';
import type { Link } from '../link/link.js';
import { createMemoryPair } from '../link/memory-link.js';
import { Netns, netnsAvailable, randomDeviceName, tunAvailable } from '../link/netns.js';
import { PcapTap } from '../link/pcap-tap.js';
import { readPcapFile } from '../link/pcap-reader.js';
import { PcapWriter } from '../link/pcap-writer.js';
import { TunLink } from '../link/tun-link.js';
import { Stack } from '../stack.js';
import { formatCapture } from './dump.js';
import { UsageError, type CommandIo } from './io.js';

/** Options of `tsip demo`. */
interface DemoArgs {
  pcap: string;
  count: number;
  /** Force the in-memory link even where a TUN device could be used. */
  memory: boolean;
}

function parseArgs(args: string[]): DemoArgs {
  const out: DemoArgs = { pcap: 'demo.pcap', count: 4, memory: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--pcap') out.pcap = args[++i] ?? '';
    else if (a === '-c') out.count = Number(args[++i]);
    else if (a === '--memory') out.memory = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  if (!out.pcap) throw new UsageError('--pcap needs a file name');
  if (!Number.isInteger(out.count) || out.count < 1 || out.count > 100) throw new UsageError('-c takes 1..100');
  return out;
}

const STACK_ADDR = '192.0.2.2';
const PEER_ADDR = '192.0.2.1';

/** The peer tsip talks to: the Linux kernel in a namespace, or a second tsip stack. */
interface Peer {
  /** How the peer pings tsip; resolves with ping's own output. */
  pingStack(count: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The main job. Where this process may open TUN devices and create network
 * namespaces, tsip lives on a TUN device in a fresh namespace and the Linux
 * kernel there is its peer; elsewhere a second tsip stack on the in-memory
 * link plays the peer. Either way the peer pings tsip, tsip pings the peer,
 * every frame is captured to a pcap, and the capture is printed as
 * `tsip dump` prints it.
 */
export async function runDemo(args: string[], io: CommandIo): Promise<number> {
  const opts = parseArgs(args);
  const tun = opts.memory ? { ok: false as const, reason: '--memory was given' } : tunAvailable();
  const ns = tun.ok ? netnsAvailable() : tun;
  const clock = new RealClock();
  const pcapPath = resolve(opts.pcap);
  const stack = new Stack({ clock, id: 'tsip' });
  let writer: PcapWriter;
  let peer: Peer;

  if (tun.ok && ns.ok) {
    const netns = await Netns.create();
    const dev = randomDeviceName();
    let link: TunLink;
    try {
      link = TunLink.open({ mode: 'tun', name: dev, mtu: 1500 });
      await netns.adoptDevice(dev, { addresses: [`${PEER_ADDR}/24`], mtu: 1500 });
    } catch (e) {
      await netns.delete();
      throw e;
    }
    io.out(`tsip demo: TUN device ${dev} in network namespace ${netns.name}; the Linux kernel (${PEER_ADDR}) is the peer\n`);
    writer = new PcapWriter({ clock, linkType: 'ip', path: pcapPath });
    stack.addInterface(new PcapTap(link, writer), { ipv4: [`${STACK_ADDR}/24`] });
    peer = {
      pingStack: async (count) => (await netns.exec('ping', ['-c', String(count), '-i', '0.2', '-W', '2', STACK_ADDR])).stdout,
      close: () => netns.delete(),
    };
  } else {
    io.out(`tsip demo: over the in-memory link, a second tsip stack (${PEER_ADDR}) is the peer (no TUN: ${tun.ok ? (ns.ok ? '' : ns.reason) : tun.reason})\n`);
    const [mine, theirs] = createMemoryPair(clock, { latencyUs: 150, namePrefix: 'mem' });
    writer = new PcapWriter({ clock, linkType: 'ip', path: pcapPath });
    stack.addInterface(new PcapTap(mine as Link, writer), { ipv4: [`${STACK_ADDR}/24`] });
    const other = new Stack({ clock, id: 'peer' });
    other.addInterface(theirs, { ipv4: [`${PEER_ADDR}/24`] });
    peer = {
      pingStack: async (count) => pingReport(other, STACK_ADDR, count),
      close: async () => other.close(),
    };
  }

  let ok = true;
  try {
    io.out(`\n$ ping -c ${opts.count} ${STACK_ADDR}    (the peer pings tsip)\n`);
    const theirs = await peer.pingStack(opts.count);
    io.out(theirs.endsWith('\n') ? theirs : `${theirs}\n`);
    ok &&= theirs.includes(`${opts.count} received`);
    io.out(`\n$ tsip ping -c ${opts.count} ${PEER_ADDR}    (tsip pings the peer)\n`);
    const ours = await pingReport(stack, PEER_ADDR, opts.count);
    io.out(ours);
    ok &&= ours.includes(`${opts.count} received`);
  } finally {
    stack.close();
    writer.close();
    await peer.close();
  }

  const capture = await readPcapFile(pcapPath);
  io.out(`\nwrote ${pcapPath} (${capture.packets.length} packets); tsip dump ${opts.pcap} | head:\n`);
  for (const line of formatCapture(capture, { verbose: false, count: 12 })) io.out(`${line}\n`);

  io.out('\ntsip counters (nstat):\n');
  for (const [k, v] of Object.entries(nonZeroCounters(stack.counters))) io.out(`  ${k.padEnd(24)} ${v}\n`);
  return ok ? 0 : 1;
}

/** Pings `host` from `stack` `count` times, 200 ms apart, and returns ping(8)-style output. */
async function pingReport(stack: Stack, host: string, count: number): Promise<string> {
  const lines = [`PING ${host} 56(84) bytes of data.`];
  const data = new Uint8Array(56).map((_, i) => i);
  const rtts: number[] = [];
  const id = stack.ctx.random.u32() & 0xffff;
  for (let seq = 1; seq <= count; seq++) {
    try {
      const r = await stack.ping(host, { identifier: id, sequence: seq, data, timeoutUs: 2_000_000 });
      rtts.push(r.rttUs / 1000);
      lines.push(`${r.data.length + 8} bytes from ${host}: icmp_seq=${seq} ttl=${r.ttl} time=${(r.rttUs / 1000).toFixed(3)} ms`);
    } catch (e) {
      lines.push(`icmp_seq=${seq}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (seq < count) await new Promise((r) => setTimeout(r, 200));
  }
  const loss = Math.round(((count - rtts.length) / count) * 100);
  lines.push('', `--- ${host} ping statistics ---`, `${count} packets transmitted, ${rtts.length} received, ${loss}% packet loss`);
  if (rtts.length > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    lines.push(`rtt min/avg/max = ${Math.min(...rtts).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...rtts).toFixed(3)} ms`);
  }
  return `${lines.join('\n')}\n`;
}
