import type { Readable, Writable } from 'node:stream';
import { formatIPv4, parseIPv4, type IPv4Address } from '../core/address.js';
import { RealClock } from '../core/clock.js';
import { SocketError } from '../core/errno.js';
import type { TcpConnection } from '../tcp/connection.js';
import { UsageError, type CommandIo } from './io.js';
import { parseLinkArgs, setupStack, type StackOnLink } from './link-setup.js';
import { pipeTcp } from './nc/tcp-pipe.js';
import { pipeUdp } from './nc/udp-pipe.js';

/** What `tsip nc` was asked to do. */
export interface NcOptions {
  listen: boolean;
  udp: boolean;
  verbose: boolean;
  /** Remote host (connect) or local bind address (listen; null = any). */
  host: IPv4Address | null;
  port: number;
  /** UDP: quit this long after input ends without datagrams arriving (ms); negative = never. */
  quitAfterEofMs: number;
}

/** The byte streams nc joins to the network (the process's stdin/stdout by default; tests inject their own). */
export interface NcStreams {
  stdin: Readable;
  stdout: Writable;
}

/** Exit codes after a signal, as a shell reports them (128 + signal number). */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Parses `[-l] [-u] [-v] [-q SEC] [HOST] PORT`. Without -l, HOST and PORT
 * are required; with -l, HOST is the optional local address to bind.
 * UDP clients quit 1 s after input ends (and no datagram arrived meanwhile)
 * unless -q says otherwise; UDP listeners run until a signal unless -q.
 */
export function parseNcArgs(args: readonly string[]): NcOptions {
  let listen = false;
  let udp = false;
  let verbose = false;
  let quit: number | null = null;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-l') listen = true;
    else if (a === '-u') udp = true;
    else if (a === '-v') verbose = true;
    else if (a === '-q') {
      const v = Number(args[++i]);
      if (!Number.isFinite(v) || v > 86_400) throw new UsageError('-q takes seconds (negative: never quit)');
      quit = v < 0 ? -1 : Math.round(v * 1000);
    } else if (/^-[luv]{2,}$/.test(a)) {
      // Bundled flags as in `nc -lu`.
      for (const f of a.slice(1)) {
        if (f === 'l') listen = true;
        else if (f === 'u') udp = true;
        else verbose = true;
      }
    } else if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length === 0) throw new UsageError(listen ? 'nc -l needs a PORT' : 'nc needs HOST and PORT');
  if (pos.length > 2) throw new UsageError(`unexpected argument ${pos[2]!}`);
  if (!listen && pos.length < 2) throw new UsageError('nc needs HOST and PORT');
  const portText = pos[pos.length - 1]!;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError('PORT must be 1..65535');
  let host: IPv4Address | null = null;
  if (pos.length === 2) {
    host = parseIPv4(pos[0]!);
    if (host === null) throw new UsageError(`HOST must be an IPv4 address, not '${pos[0]!}'`);
  }
  return { listen, udp, verbose, host, port, quitAfterEofMs: quit ?? (udp && !listen ? 1000 : -1) };
}

/**
 * `tsip nc [link] [-l] [-u] [-v] [-q SEC] [HOST] PORT`: netcat over a tsip
 * stack. TCP: stdin goes to the connection, the connection to stdout, stdin's
 * end is sent as FIN (half-close), and nc exits once both directions are
 * done. -l waits for one connection on PORT. -u: each stdin chunk is a
 * datagram, each datagram received is printed; with -l replies go to the
 * last sender. With --memory the in-process peer (192.0.2.1) runs echo 7,
 * discard 9, UDP echo 7 and HTTP 80. Exit 0 on a clean end, 1 on a network
 * error, 128+n after signal n.
 */
export async function runNc(args: string[], io: CommandIo, streams?: NcStreams): Promise<number> {
  const { link, rest } = parseLinkArgs(args);
  const opts = parseNcArgs(rest);
  const s = streams ?? { stdin: process.stdin, stdout: process.stdout };
  const on = await setupStack(link, new RealClock(), 'tsip-nc', { peerServices: true });
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => abort.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runNcOn(on, opts, s, io, abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await on.close();
    // A terminal or pipe left open on stdin would keep the process alive.
    if (streams === undefined) process.stdin.destroy();
  }
}

/**
 * The nc session on a stack that is already up (what {@link runNc} does
 * after the link setup; tests call it with their own stack and streams).
 * Resolves with the exit code; `signal` aborts the session (its reason, a
 * signal name, picks the exit code).
 */
export async function runNcOn(on: StackOnLink, o: NcOptions, s: NcStreams, io: CommandIo, signal?: AbortSignal): Promise<number> {
  const say = (t: string): void => {
    if (o.verbose) io.err(`tsip nc: ${t}\n`);
  };
  const signalled = (): number => SIGNAL_EXIT[String(signal?.reason)] ?? 1;
  if (o.udp) return runUdp(on, o, s, io, say, signal, signalled);

  let c: TcpConnection;
  if (o.listen) {
    const accepted = await acceptOne(on, o, say, signal);
    if (accepted === null) return signalled();
    c = accepted;
    say(`connection from ${formatIPv4(c.remoteAddress as number)}:${c.remotePort}`);
  } else {
    try {
      c = on.stack.tcp.connect({ remoteAddress: o.host!, remotePort: o.port });
    } catch (e) {
      io.err(`tsip nc: connect to ${formatIPv4(o.host!)} port ${o.port}: ${e instanceof SocketError ? e.code : String(e)}\n`);
      return 1;
    }
  }
  const r = await pipeTcp(c, s.stdin, s.stdout, {
    onConnected: () => say(`connected to ${formatIPv4(o.host!)} port ${o.port}`),
    ...(signal !== undefined ? { signal } : {}),
  });
  await flush(s.stdout);
  if (signal?.aborted === true) return signalled();
  say(`${r.bytesOut} bytes sent, ${r.bytesIn} bytes received`);
  if (r.error !== null) {
    io.err(`tsip nc: ${r.error}\n`);
    return 1;
  }
  return 0;
}

/** Listens on the port and takes one connection, then stops listening. Null if aborted first. */
function acceptOne(on: StackOnLink, o: NcOptions, say: (t: string) => void, signal?: AbortSignal): Promise<TcpConnection | null> {
  const l = on.stack.tcp.listen({ address: o.host, port: o.port, backlog: 1 });
  say(`listening on ${o.host === null ? '0.0.0.0' : formatIPv4(o.host)}:${o.port}`);
  return new Promise((resolve) => {
    const done = (c: TcpConnection | null): void => {
      signal?.removeEventListener('abort', onAbort);
      l.setHandler(null);
      l.close();
      resolve(c);
    };
    const onAbort = (): void => done(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    l.setHandler({
      onConnection: () => {
        const c = l.accept();
        if (c !== null) done(c);
      },
    });
  });
}

async function runUdp(
  on: StackOnLink,
  o: NcOptions,
  s: NcStreams,
  io: CommandIo,
  say: (t: string) => void,
  signal: AbortSignal | undefined,
  signalled: () => number,
): Promise<number> {
  const ep = on.stack.udp.open(4);
  try {
    if (o.listen) {
      const r = ep.bind(o.host ?? 0, o.port);
      if (r !== 'ok') throw new SocketError(r, 'bind');
      say(`listening on ${o.host === null ? '0.0.0.0' : formatIPv4(o.host)}:${o.port} (udp)`);
    } else {
      const r = ep.connect(o.host!, o.port);
      if (r !== 'ok') throw new SocketError(r, 'connect');
    }
  } catch (e) {
    ep.close();
    io.err(`tsip nc: ${e instanceof SocketError ? `${e.syscall}: ${e.code}` : String(e)}\n`);
    return 1;
  }
  const session = pipeUdp(ep, s.stdin, s.stdout, {
    peer: o.listen ? null : { address: o.host!, port: o.port },
    quitAfterEofMs: o.quitAfterEofMs,
    onSender: (from) => say(`datagram from ${formatIPv4(from.address as number)}:${from.port}`),
  });
  signal?.addEventListener('abort', session.stop, { once: true });
  const r = await session.done;
  signal?.removeEventListener('abort', session.stop);
  ep.close();
  await flush(s.stdout);
  if (signal?.aborted === true) return signalled();
  say(`${r.datagramsOut} datagrams sent, ${r.datagramsIn} received`);
  if (r.error !== null) {
    io.err(`tsip nc: ${r.error}\n`);
    return 1;
  }
  return 0;
}

/** Resolves once everything written to `w` so far has been handed to the system. */
function flush(w: Writable): Promise<void> {
  if (w.destroyed || w.writableEnded) return Promise.resolve();
  return new Promise((resolve) => w.write(new Uint8Array(0), () => resolve()));
}
