import { parseIPv4, parseIPv6 } from '../core/address.js';
import { RealClock } from '../core/clock.js';
import { UsageError, type CommandIo } from './io.js';
import { parseLinkArgs, setupStack } from './link-setup.js';

/**
 * `tsip ping [link] [-4|-6] [-c N] [-i SEC] [-s SIZE] HOST`: echo requests
 * from the stack (ICMPv6 when HOST is IPv6 or with -6), ping(8)-style lines
 * and summary. Exit 0 when every reply came, 1 when some were lost.
 */
export async function runPing(args: string[], io: CommandIo): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  let count = 4;
  let intervalMs = 1000;
  let size = 56;
  let host: string | null = null;
  let family: 4 | 6 | 0 = 0;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-4' || a === '-6') family = a === '-4' ? 4 : 6;
    else if (a === '-c') count = Number(rest[++i]);
    else if (a === '-i') intervalMs = Number(rest[++i]) * 1000;
    else if (a === '-s') size = Number(rest[++i]);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (host === null) host = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (host === null) throw new UsageError('ping needs a HOST');
  const v6 = parseIPv6(host) !== null;
  if (!v6 && parseIPv4(host) === null) throw new UsageError('ping needs an IPv4 or IPv6 HOST');
  if (family === 6 && !v6) throw new UsageError('ping -6 needs an IPv6 HOST');
  if (family === 4 && v6) throw new UsageError('ping -4 needs an IPv4 HOST');
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new UsageError('-c takes 1..100000');
  if (!(intervalMs >= 1) || intervalMs > 3_600_000) throw new UsageError('-i takes 0.001..3600 seconds');
  if (!Number.isInteger(size) || size < 0 || size > 65507) throw new UsageError('-s takes 0..65507');

  const on = await setupStack(link, new RealClock(), 'tsip-ping');
  const data = new Uint8Array(size).map((_, i) => i & 0xff);
  const id = on.stack.ctx.random.u32() & 0xffff;
  const rtts: number[] = [];
  // ping(8)'s banner: IPv4 shows the packet size (+20 IP +8 ICMP), IPv6 the data size.
  io.out(v6 ? `PING ${host}(${host}) ${size} data bytes\n` : `PING ${host} ${size}(${size + 28}) bytes of data.\n`);
  try {
    for (let seq = 1; seq <= count; seq++) {
      try {
        const opts = { identifier: id, sequence: seq, data, timeoutUs: Math.max(1_000_000, intervalMs * 1000) };
        const r = v6 ? await on.stack.ping6(host, opts) : await on.stack.ping(host, opts);
        rtts.push(r.rttUs / 1000);
        io.out(`${r.data.length + 8} bytes from ${host}: icmp_seq=${seq} ttl=${r.ttl} time=${(r.rttUs / 1000).toFixed(3)} ms\n`);
      } catch (e) {
        io.out(`From ${host} icmp_seq=${seq} ${e instanceof Error ? e.message : String(e)}\n`);
      }
      if (seq < count) await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    await on.close();
  }
  const loss = Math.round(((count - rtts.length) / count) * 100);
  io.out(`\n--- ${host} ping statistics ---\n${count} packets transmitted, ${rtts.length} received, ${loss}% packet loss\n`);
  if (rtts.length > 0) {
    const avg = rtts.reduce((x, y) => x + y, 0) / rtts.length;
    io.out(`rtt min/avg/max = ${Math.min(...rtts).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...rtts).toFixed(3)} ms\n`);
  }
  return rtts.length === count ? 0 : 1;
}
