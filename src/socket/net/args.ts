import { type HostAddress, type HostLookup, parseNumericHost } from './address.js';
import { badPortError, nodeError } from './errors.js';

/**
 * Argument handling of `connect()` and `listen()`, with Node's overloads:
 * `(options[, cb])`, `(port[, host][, cb])`, `(path[, cb])` — the last one
 * (an IPC path) is recognised only to be refused.
 */

/** Node's `dns.lookup`-compatible resolver a caller may pass to connect (`options.lookup`). */
export type LookupFunction = HostLookup;

/** `net.connect()` / `socket.connect()` options that tsip honours. */
export interface NetConnectOptions {
  port?: number | string;
  /** Numeric address, `localhost`, or a name resolved through `lookup` (default `localhost`). */
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** 0, 4 or 6: passed to `lookup`. */
  family?: number;
  lookup?: LookupFunction;
  /** Idle timeout in ms (as `socket.setTimeout`). */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** IPC path: not supported by tsip (throws). */
  path?: string;
  /** Constructor options also accepted by `net.connect()`. */
  allowHalfOpen?: boolean;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  signal?: AbortSignal;
}

/** `server.listen()` options that tsip honours. */
export interface NetListenOptions {
  port?: number | string | null;
  host?: string;
  backlog?: number;
  /** `true` keeps an IPv6 wildcard listener from also taking IPv4. */
  ipv6Only?: boolean;
  exclusive?: boolean;
  signal?: AbortSignal;
  /** IPC path: not supported by tsip (throws). */
  path?: string;
}

/** A callback as the last argument, Node style. */
export type Callback = (...a: never[]) => unknown;

/** Node's toNumber: a non-negative number, else false. */
export function toNumber(x: unknown): number | false {
  const n = Number(x);
  return n >= 0 ? n : false;
}

/** Node's isPipeName: a string that is not a number. */
function isPipeName(s: unknown): s is string {
  return typeof s === 'string' && toNumber(s) === false;
}

/** Splits Node's overloaded arguments into an options object and a trailing callback. */
export function normalizeArgs<T extends { port?: unknown; host?: string; path?: string }>(args: readonly unknown[]): [T, Callback | null] {
  if (args.length === 0) return [{} as T, null];
  const arg0 = args[0];
  let options: T;
  if (typeof arg0 === 'object' && arg0 !== null) options = { ...(arg0 as T) };
  else if (isPipeName(arg0)) options = { path: arg0 } as T;
  else {
    options = { port: arg0 } as T;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const last = args[args.length - 1];
  return [options, typeof last === 'function' ? (last as Callback) : null];
}

/**
 * Node's validatePort: an integer (or integer text) in [0, 65535]; throws
 * ERR_SOCKET_BAD_PORT otherwise. Returns the number.
 */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const ok = (typeof port === 'number' || (typeof port === 'string' && port.trim().length > 0)) &&
    Number(port) === Number(port) >>> 0 && Number(port) <= 0xffff && (allowZero || Number(port) !== 0);
  if (!ok) throw badPortError(name, port);
  return Number(port);
}

/** What connect/listen throw for an IPC path: tsip only carries TCP/IP. */
export function pathUnsupported(path: string): Error {
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `tsip: IPC (path ${JSON.stringify(path)}) sockets are not supported; use a port`);
}

/**
 * The destination and local binding of a connect, validated as Node does
 * (ERR_MISSING_ARGS, ERR_INVALID_ARG_TYPE, ERR_SOCKET_BAD_PORT,
 * ERR_INVALID_IP_ADDRESS — all thrown synchronously).
 */
export function connectTarget(opts: NetConnectOptions): { port: number; local: HostAddress | null; localPort: number | undefined } {
  if (opts.port === undefined) {
    throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
  }
  if (typeof opts.port !== 'number' && typeof opts.port !== 'string') {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "options.port" property must be of type number or string. Received ${typeof opts.port}`);
  }
  const port = validatePort(opts.port, 'Port');
  let local: HostAddress | null = null;
  if (opts.localAddress !== undefined) {
    local = parseNumericHost(opts.localAddress);
    if (local === null) throw nodeError(TypeError, 'ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${opts.localAddress}`);
  }
  const localPort = opts.localPort === undefined ? undefined : validatePort(opts.localPort, 'options.localPort');
  return { port, local, localPort };
}
