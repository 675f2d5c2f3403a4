import { type ErrnoCode, SocketError, strerror } from '../../core/errno.js';

/**
 * Errors shaped as Node's `net` module shapes them, so that code which
 * inspects `err.code`, `err.syscall`, `err.address` or matches on the
 * message (`connect ECONNREFUSED 192.0.2.1:80`) works unchanged.
 *
 * System errors are {@link SocketError}s (code, negative errno, syscall);
 * Node's own argument/state errors are plain Error/TypeError/RangeError
 * objects carrying Node's `ERR_*` code.
 */

/** libuv's wording for the errors `listen`/`bind` report (uv_strerror), which Node puts in the message. */
const UV_MESSAGES: Partial<Record<ErrnoCode, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'permission denied',
  EINVAL: 'invalid argument',
  ENETUNREACH: 'network is unreachable',
};

/** `<syscall> <CODE> address:port` with `address` and `port` set (Node's exceptionWithHostPort). */
export function hostPortError(code: ErrnoCode, syscall: string, address: string, port: number): SocketError {
  const e = new SocketError(code, syscall, port > 0 ? `${address}:${port}` : address);
  e.address = address;
  if (port > 0) e.port = port;
  return e;
}

/** `connect ECONNREFUSED 192.0.2.1:80`, with `address` and `port`. */
export function connectError(code: ErrnoCode, address: string, port: number): SocketError {
  return hostPortError(code, 'connect', address, port);
}

/** `listen EADDRINUSE: address already in use 0.0.0.0:80` (Node's uvExceptionWithHostPort). */
export function listenError(code: ErrnoCode, address: string, port: number): SocketError {
  const e = new SocketError(code, 'listen');
  const text = UV_MESSAGES[code] ?? strerror(code).toLowerCase();
  e.message = `listen ${code}: ${text} ${address}${port > 0 ? `:${port}` : ''}`;
  e.address = address;
  if (port > 0) e.port = port;
  return e;
}

/** An error the connection reported after it was established: `read ECONNRESET` (Node's onStreamRead). */
export function readError(code: ErrnoCode): SocketError {
  return new SocketError(code, 'read');
}

/** A Node-style internal error: `new Ctor(message)` with `code` set, e.g. ERR_SOCKET_BAD_PORT. */
export function nodeError(
  ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  code: string,
  message: string,
): Error & { code: string } {
  const e = new ctor(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** What Node throws for a bad port (validatePort). */
export function badPortError(name: string, port: unknown): RangeError & { code: string } {
  const shown = typeof port === 'string' ? `'${port}'` : String(port);
  return nodeError(RangeError, 'ERR_SOCKET_BAD_PORT',
    `${name} should be >= 0 and < 65536. Received type ${typeof port} (${shown}).`) as RangeError & { code: string };
}

/**
 * `getaddrinfo ENOTFOUND name`: what Node reports when a host name does not
 * resolve. tsip has no resolver of its own here (see the `lookup` option).
 */
export function notFoundError(host: string): Error & { code: string; errno: number; syscall: string; hostname: string } {
  const e = new Error(`getaddrinfo ENOTFOUND ${host}`) as Error & { code: string; errno: number; syscall: string; hostname: string };
  e.code = 'ENOTFOUND';
  // EAI_NONAME as libuv numbers it (UV_EAI_NONAME).
  e.errno = -3008;
  e.syscall = 'getaddrinfo';
  e.hostname = host;
  return e;
}

/** The EPIPE Node raises for a write after the peer ended a socket that does not allow half-open. */
export function writeAfterFinError(): Error & { code: string } {
  return nodeError(Error, 'EPIPE', 'This socket has been ended by the other party');
}
