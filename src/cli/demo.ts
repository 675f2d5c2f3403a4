import { resolve } from 'node:path';
import { RealClock } from '../core/clock.js';
import { nonZeroCounters } from '../core/counters.js';
import { createMemoryPair } from '../link/memory-link.js';
import { PcapTap } from '../link/pcap-tap.js';
import { PcapWriter } from '../link/pcap-writer.js';
import { readPcapFile } from '../link/pcap-reader.js';
import { Stack } from '../stack.js';
import { formatCapture } from './dump.js';
import { UsageError, type CommandIo } from './io.js';

/** Options of `tsip demo`. */
interface DemoArgs {
  pcap: string;
  count: number;
}

function parseArgs(args: string[]): DemoArgs {
  const out: DemoArgs = { pcap: 'demo.pcap', count: 4 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--pcap') out.pcap = args[++i] ?? '';
    else if (a === '-c') out.count = Number(args[++i]);
    else throw new UsageError(`unknown option ${a}`);
  }
  if (!out.pcap) throw new UsageError('--pcap needs a file name');
  if (!Number.isInteger(out.count) || out.count < 1 || out.count > 100) throw new UsageError('-c takes 1..100');
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The main job, first version: two tsip stacks back to back on the in-memory
 * link (192.0.2.1 pings 192.0.2.2), every frame captured to a pcap that is
 * then read back and printed as `tsip dump` prints it.
 */
export async function runDemo(args: string[], io: CommandIo): Promise<number> {
  const opts = parseArgs(args);
  io.out('tsip demo: over the in-memory link (two tsip stacks in this process; the TUN device mode is not built yet)\n');

  const clock = new RealClock();
  const [linkA, linkB] = createMemoryPair(clock, { latencyUs: 150, namePrefix: 'mem' });
  const pcapPath = resolve(opts.pcap);
  const writer = new PcapWriter({ clock, linkType: 'ip', path: pcapPath });
  const client = new Stack({ clock, id: 'client' });
  const server = new Stack({ clock, id: 'server' });
  client.addInterface(new PcapTap(linkA, writer), { ipv4: ['192.0.2.1/24'] });
  server.addInterface(linkB, { ipv4: ['192.0.2.2/24'] });
  io.out(`client ${client.describe().replace(/\n\s*/g, ' ')}\nserver ${server.describe().replace(/\n\s*/g, ' ')}\n\n`);

  io.out('PING 192.0.2.2 56 data bytes\n');
  const data = new Uint8Array(56).map((_, i) => i);
  let received = 0;
  const rtts: number[] = [];
  try {
    for (let seq = 1; seq <= opts.count; seq++) {
      try {
        const r = await client.ping('192.0.2.2', { identifier: process.pid & 0xffff, sequence: seq, data });
        received++;
        rtts.push(r.rttUs / 1000);
        io.out(`${r.data.length + 8} bytes from 192.0.2.2: icmp_seq=${seq} ttl=${r.ttl} time=${(r.rttUs / 1000).toFixed(3)} ms\n`);
      } catch (e) {
        io.out(`icmp_seq=${seq}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
      if (seq < opts.count) await sleep(100);
    }
  } finally {
    client.close();
    server.close();
    writer.close();
  }
  const loss = ((opts.count - received) / opts.count) * 100;
  io.out(`\n--- 192.0.2.2 ping statistics ---\n${opts.count} packets transmitted, ${received} received, ${loss.toFixed(0)}% packet loss\n`);
  if (rtts.length > 0) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    io.out(`rtt min/avg/max = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms\n`);
  }

  const capture = await readPcapFile(pcapPath);
  io.out(`\nwrote ${pcapPath} (${capture.packets.length} packets); tsip dump ${opts.pcap}:\n`);
  for (const line of formatCapture(capture, { verbose: false, count: 12 })) io.out(`${line}\n`);

  io.out('\nserver counters (nstat):\n');
  for (const [k, v] of Object.entries(nonZeroCounters(server.counters))) io.out(`  ${k.padEnd(24)} ${v}\n`);
  return received === opts.count ? 0 : 1;
}
