import { isIP, isIPv4, isIPv6 } from 'node:net';
import { type NetConnectOptions, normalizeArgs } from './args.js';
import { NetServer, type NetServerOptions } from './net-server.js';
import { type NetHost, NetSocket, type NetSocketOptions } from './net-socket.js';

export type { LookupFunction, NetConnectOptions, NetListenOptions } from './args.js';
export type { DropInfo, NetServerOptions, ServerAddressInfo } from './net-server.js';
export type { NetHost, NetSocketOptions, SocketAddressInfo } from './net-socket.js';
export { NetServer, NetSocket };

/** `net.createConnection` / `net.connect` overloads. */
export interface ConnectFunction {
  (options: NetConnectOptions, connectListener?: () => void): NetSocket;
  (port: number | string, host?: string, connectListener?: () => void): NetSocket;
  (port: number | string, connectListener?: () => void): NetSocket;
}

/**
 * The `node:net` surface bound to one stack: drop-in for code that takes a
 * `net`-like module or a `createConnection` function (http, https/tls,
 * undici's `connect`, ws).
 */
export interface NetApi {
  /** `new Socket(options)`, then `socket.connect(...)`. */
  readonly Socket: new (options?: NetSocketOptions) => NetSocket;
  readonly Server: new (
    options?: NetServerOptions | ((socket: NetSocket) => void),
    connectionListener?: (socket: NetSocket) => void,
  ) => NetServer;
  createServer(options?: NetServerOptions | ((socket: NetSocket) => void), connectionListener?: (socket: NetSocket) => void): NetServer;
  readonly connect: ConnectFunction;
  readonly createConnection: ConnectFunction;
  readonly isIP: (input: string) => number;
  readonly isIPv4: (input: string) => boolean;
  readonly isIPv6: (input: string) => boolean;
}

/**
 * Builds the `net` API of a stack (`stack.net`). Each call makes its own
 * Socket and Server classes bound to `host`, so `instanceof` tells which
 * stack a socket belongs to and stacks never share state.
 *
 * Serving Node's own servers: feed them the sockets a tsip server accepts,
 * `stack.net.createServer(opts, (s) => httpServer.emit('connection', s))`.
 * Give the tsip server the options those servers give their own
 * net.Server — `{ allowHalfOpen: true, noDelay: true }` for http/https —
 * since their constructors cannot reach a server they did not create. A
 * socket wrapped by `tls` (Node puts a JS stream under a JSStreamSocket)
 * should allow half-open too: TLS ends the transport itself after its
 * close_notify.
 *
 * Clients: `http.request({ createConnection })`, `tls.connect({ socket })`,
 * undici's `connect` option (call back on `'connect'`), ws's
 * `createConnection`.
 */
export function createNetApi(host: NetHost): NetApi {
  class Socket extends NetSocket {
    constructor(options?: NetSocketOptions) {
      super(host, options);
    }
  }
  const makeSocket = (options: NetSocketOptions): NetSocket => new Socket(options);
  class Server extends NetServer {
    constructor(options?: NetServerOptions | ((socket: NetSocket) => void), connectionListener?: (socket: NetSocket) => void) {
      super(host, makeSocket, options, connectionListener);
    }
  }
  // Node's net.connect: the options go to the constructor and to connect().
  const connect = ((...args: unknown[]): NetSocket => {
    const [opts, cb] = normalizeArgs<NetConnectOptions>(args);
    const s = new Socket(opts);
    return cb === null ? s.connect(opts) : s.connect(opts, cb as () => void);
  }) as ConnectFunction;
  return {
    Socket,
    Server,
    createServer: (options, connectionListener) => new Server(options, connectionListener),
    connect,
    createConnection: connect,
    isIP,
    isIPv4,
    isIPv6,
  };
}
