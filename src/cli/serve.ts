import { RealClock } from '../core/clock.js';
import { UsageError, type CommandIo } from './io.js';
import { formatNstat, formatSs } from './status-format.js';
import { parseLinkArgs, setupStack, type StackOnLink } from './link-setup.js';
import { startServiceSet, STANDARD_SERVICES, type RunningServices, type ServiceSet } from './services/standard.js';

/** The services `tsip serve` can run, by port (null = off). */
export type ServeOptions = ServiceSet;

function portArg(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} takes a port 1..65535`);
  return n;
}

/** Parses the service flags; with none given, every service runs on its well-known port. */
export function parseServeArgs(args: readonly string[]): ServeOptions {
  const o: ServeOptions = { echo: null, discard: null, udpEcho: null, http: null };
  let any = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--echo') o.echo = portArg(args[++i], a);
    else if (a === '--discard') o.discard = portArg(args[++i], a);
    else if (a === '--udp-echo') o.udpEcho = portArg(args[++i], a);
    else if (a === '--http') o.http = portArg(args[++i], a);
    else throw new UsageError(`unknown option ${a}`);
    any = true;
  }
  if (!any) return { ...STANDARD_SERVICES };
  return o;
}

/** Starts the chosen services on the stack; resolves with what listens where. */
export function startServices(on: StackOnLink, o: ServeOptions): Promise<RunningServices> {
  return startServiceSet(on.stack, o);
}

/** Prints the non-zero counters and the connection table (what SIGUSR1 and exit show). */
export function printStatus(on: StackOnLink, io: CommandIo): void {
  io.out('#nstat (non-zero counters)\n');
  for (const line of formatNstat(on.stack.counters)) io.out(`${line}\n`);
  io.out('#ss -tni\n');
  for (const line of formatSs(on.stack.connections())) io.out(`${line}\n`);
}

/**
 * `tsip serve [link] [--echo PORT] [--discard PORT] [--udp-echo PORT] [--http PORT]`:
 * answers ping, runs the services (without flags: echo 7, discard 9, UDP
 * echo 7, HTTP 80), prints exactly one `ready {json}` line
 * when everything listens, and runs until SIGINT/SIGTERM; then prints the
 * counters and removes whatever it created. SIGUSR1 prints the status.
 */
export async function runServe(args: string[], io: CommandIo): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  const services = parseServeArgs(rest);
  const on = await setupStack(link, new RealClock(), 'tsip-serve');
  let running: RunningServices;
  try {
    running = await startServices(on, services);
  } catch (e) {
    await on.close();
    throw e;
  }
  const stopped = new Promise<string>((resolve) => {
    const stop = (sig: string): void => resolve(sig);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  const onUsr1 = (): void => printStatus(on, io);
  process.on('SIGUSR1', onUsr1);
  io.out(`ready ${JSON.stringify({ ...on.description, ports: running.ports })}\n`);
  const sig = await stopped;
  process.off('SIGUSR1', onUsr1);
  io.err(`tsip serve: ${sig}, shutting down\n`);
  printStatus(on, io);
  running.close();
  await on.close();
  return 0;
}
