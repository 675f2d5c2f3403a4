import diagnostics_channel from 'node:diagnostics_channel';
import { RealClock } from '../core/clock.js';
import { CHANNELS, type LinkTraceMessage } from '../core/trace.js';
import { pcapLinkTypeFor } from '../link/pcap-format.js';
import { decodePacket } from './decode/decode.js';
import { formatLine } from './decode/format-line.js';
import { formatVerbose } from './decode/format-verbose.js';
import { formatFilterError, packetFilter, type PacketPredicate } from './filter/filter.js';
import { UsageError, type CommandIo } from './io.js';
import { parseLinkArgs, setupStack } from './link-setup.js';
import { startServiceSet, STANDARD_SERVICES } from './services/standard.js';

const USAGE = 'usage: tsip dump --live [link] [-v] [-c COUNT] [EXPRESSION...]';

/**
 * `tsip dump --live [link] [-v] [-c N] [EXPRESSION...]`: brings a stack up on
 * the link, with the standard services (as `tsip serve`), and prints every
 * frame it receives or sends as it happens — read from the stack's own
 * `tsip:link:rx`/`tsip:link:tx` channels, so nothing is captured twice and
 * the filter language is the one `tsip dump FILE` takes. Stops after `-c`
 * matching packets or on SIGINT/SIGTERM.
 */
export async function runLiveDump(args: string[], io: CommandIo): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  let verbose = false;
  let count = Infinity;
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-v') verbose = true;
    else if (a === '-c') {
      count = Number(rest[++i]);
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`-c needs a positive packet count\n${USAGE}`);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else words.push(a);
  }
  let filter: PacketPredicate | undefined;
  if (words.length > 0) {
    const f = packetFilter(words.join(' '));
    if (!f.ok) throw new UsageError(`${formatFilterError(words.join(' '), f.error)}\n${USAGE}`);
    filter = f.match;
  }

  const clock = new RealClock();
  const on = await setupStack(link, clock, 'tsip-dump', { peerServices: true });
  const services = await startServiceSet(on.stack, STANDARD_SERVICES);
  const linkType = pcapLinkTypeFor(on.stack.ip.interfaces[0]!.link.linkType);
  let shown = 0;
  let finish: (reason: string) => void = () => {};
  const done = new Promise<string>((resolve) => (finish = resolve));
  const onFrame = (message: unknown): void => {
    const m = message as LinkTraceMessage;
    if (m.stack !== on.stack.id || shown >= count) return;
    const decoded = decodePacket(m.frame, linkType);
    if (filter !== undefined && !filter(decoded, m.frame)) return;
    shown++;
    io.out(verbose ? `${[...formatVerbose(decoded, m.time)].join('\n')}\n` : `${formatLine(decoded, m.time)}\n`);
    if (shown >= count) finish('count');
  };
  diagnostics_channel.subscribe(CHANNELS.linkRx, onFrame);
  diagnostics_channel.subscribe(CHANNELS.linkTx, onFrame);
  const onSignal = (): void => finish('signal');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.err(`tsip dump: listening on ${JSON.stringify(on.description)}\n`);
  try {
    await done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    diagnostics_channel.unsubscribe(CHANNELS.linkRx, onFrame);
    diagnostics_channel.unsubscribe(CHANNELS.linkTx, onFrame);
    services.close();
    await on.close();
  }
  io.err(`${shown} packets printed\n`);
  return 0;
}
