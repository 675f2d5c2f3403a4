import { RealClock } from '../core/clock.js';
import { nonZeroCounters } from '../core/counters.js';
import { UsageError, type CommandIo } from './io.js';
import { parseLinkArgs, setupStack, type StackOnLink } from './link-setup.js';
import { serveTcpDiscard, serveTcpEcho } from './services/tcp-services.js';
import { serveUdpEcho } from './services/udp-echo.js';

/** The services `tsip serve` can run, by port (null = off). */
export interface ServeOptions {
  echo: number | null;
  discard: number | null;
  udpEcho: number | null;
  http: number | null;
}

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
  if (!any) return { echo: 7, discard: 9, udpEcho: 7, http: null };
  return o;
}

/** Starts the chosen services on a stack; returns what listens where. */
export function startServices(on: StackOnLink, o: ServeOptions): Record<string, number> {
  const ports: Record<string, number> = {};
  const { stack } = on;
  if (o.echo !== null) {
    serveTcpEcho(stack, o.echo);
    ports.echo = o.echo;
  }
  if (o.discard !== null) {
    serveTcpDiscard(stack, o.discard);
    ports.discard = o.discard;
  }
  if (o.udpEcho !== null) {
    serveUdpEcho(stack, o.udpEcho);
    ports['udp-echo'] = o.udpEcho;
  }
  if (o.http !== null) throw new UsageError('--http: the HTTP service needs the Node net adapter, which is not built yet');
  return ports;
}

/** Prints the non-zero counters and the connection table (what SIGUSR1 and exit show). */
export function printStatus(on: StackOnLink, io: CommandIo): void {
  io.out('counters:\n');
  for (const [k, v] of Object.entries(nonZeroCounters(on.stack.counters))) io.out(`  ${k.padEnd(28)} ${v}\n`);
  const conns = on.stack.connections();
  io.out(`connections: ${conns.length}\n`);
  for (const c of conns) io.out(`  ${JSON.stringify(c)}\n`);
}

/**
 * `tsip serve [link] [--echo PORT] [--discard PORT] [--udp-echo PORT] [--http PORT]`:
 * answers ping, runs the services, prints exactly one `ready {json}` line
 * when everything listens, and runs until SIGINT/SIGTERM; then prints the
 * counters and removes whatever it created. SIGUSR1 prints the status.
 */
export async function runServe(args: string[], io: CommandIo): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  const services = parseServeArgs(rest);
  const on = await setupStack(link, new RealClock(), 'tsip-serve');
  let ports: Record<string, number>;
  try {
    ports = startServices(on, services);
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
  io.out(`ready ${JSON.stringify({ ...on.description, ports })}\n`);
  const sig = await stopped;
  process.off('SIGUSR1', onUsr1);
  io.err(`tsip serve: ${sig}, shutting down\n`);
  printStatus(on, io);
  await on.close();
  return 0;
}
