import { EventEmitter } from 'node:events';
import { SocketError } from '../../core/errno.js';
import type { IpAddress } from '../../ip/types.js';
import type { TcpConnection } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';
import { builtinHost, familyName, formatAddress } from './address.js';
import { type NetListenOptions, normalizeArgs, pathUnsupported, toNumber, validatePort } from './args.js';
import { listenError, nodeError, notFoundError } from './errors.js';
import { kAccept, type NetHost, type NetSocket, type NetSocketOptions, type SocketOwner } from './net-socket.js';

/** `net.createServer(options)`: what accepted sockets inherit. */
export interface NetServerOptions {
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (nothing is read from TCP until resumed). */
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
}

/** `server.address()`. */
export interface ServerAddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** The `'drop'` event's argument (Node ≥ 18.6). */
export interface DropInfo {
  localAddress: string;
  localPort: number;
  localFamily: 'IPv4' | 'IPv6';
  remoteAddress: string;
  remotePort: number;
  remoteFamily: 'IPv4' | 'IPv6';
}

/** Builds the (stack-bound) Socket class for accepted connections. */
export type SocketFactory = (options: NetSocketOptions) => NetSocket;

/** One wildcard or specific listener to open. */
interface Bind {
  address: IpAddress | null;
  family: 4 | 6;
}

/**
 * A `net.Server` over tsip TCP listeners: `listen()` with Node's overloads
 * (`listen(0)` picks an ephemeral port), `address()`, `close()`,
 * `getConnections()`, `maxConnections` with `'drop'`, and the events
 * `listening`, `connection`, `error`, `drop`, `close`.
 *
 * Without a host it listens as Node does on `::` — an IPv6 and an IPv4
 * wildcard on the same port — and reports `{ address: '::', family: 'IPv6' }`.
 * Connections are accepted as soon as TCP completes them (Node accepts in
 * its poll loop the same way), so the listen backlog only matters for
 * bursts within one turn of the event loop.
 *
 * `ref()`/`unref()` are no-ops (no libuv handle; see {@link NetSocket}).
 */
export class NetServer extends EventEmitter implements SocketOwner {
  /** Connections beyond this are closed at once and reported with `'drop'` (falsy: no limit). */
  maxConnections: number | undefined = undefined;
  readonly allowHalfOpen: boolean;
  readonly pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
  highWaterMark: number | undefined;

  readonly #host: NetHost;
  readonly #makeSocket: SocketFactory;
  #listeners: TcpListener[] = [];
  #address: ServerAddressInfo | null = null;
  readonly #sockets = new Set<NetSocket>();
  /** Bumped by every listen/close so a stale 'listening' tick is dropped. */
  #listenId = 0;

  constructor(host: NetHost, makeSocket: SocketFactory, options?: NetServerOptions | ((s: NetSocket) => void), connectionListener?: (s: NetSocket) => void) {
    super();
    this.#host = host;
    this.#makeSocket = makeSocket;
    let opts: NetServerOptions = {};
    if (typeof options === 'function') connectionListener = options;
    else if (options !== undefined && options !== null) opts = options;
    this.allowHalfOpen = Boolean(opts.allowHalfOpen);
    this.pauseOnConnect = Boolean(opts.pauseOnConnect);
    this.noDelay = Boolean(opts.noDelay);
    this.keepAlive = Boolean(opts.keepAlive);
    this.keepAliveInitialDelay = opts.keepAliveInitialDelay ?? 0;
    this.highWaterMark = opts.highWaterMark;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  /** True while listening. */
  get listening(): boolean {
    return this.#listeners.length > 0;
  }

  /**
   * `listen([port[, host[, backlog]]][, cb])` or `listen(options[, cb])`.
   * Bad ports throw (ERR_SOCKET_BAD_PORT); bind failures (EADDRINUSE,
   * EADDRNOTAVAIL) are emitted as `'error'` on the next tick, as Node does.
   */
  listen(port?: number | string | null, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string | null, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string | null, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string | null, listeningListener?: () => void): this;
  listen(options: NetListenOptions, listeningListener?: () => void): this;
  listen(listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    const [opts, cb] = normalizeArgs<NetListenOptions>(args);
    if (this.#listeners.length > 0) throw nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (opts.path !== undefined) throw pathUnsupported(opts.path);
    if (cb !== null) this.once('listening', cb as () => void);
    const backlogArg = toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]);
    // As Node: an absent or zero backlog means the default (Node passes `backlog || 511` to libuv).
    const backlog = opts.backlog || backlogArg || undefined;
    const port = opts.port === undefined || opts.port === null || typeof args[0] === 'function' ? 0 : validatePort(opts.port, 'options.port');
    const id = ++this.#listenId;
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) {
        process.nextTick(() => this.close());
        return this;
      }
      opts.signal.addEventListener('abort', () => this.close(), { once: true });
    }
    const hostText = opts.host ?? '::';
    let binds: Bind[];
    let shown: string;
    if (opts.host === undefined || opts.host === '::') {
      binds = opts.ipv6Only === true ? [{ address: null, family: 6 }] : [{ address: null, family: 6 }, { address: null, family: 4 }];
      shown = '::';
    } else if (opts.host === '0.0.0.0') {
      binds = [{ address: null, family: 4 }];
      shown = '0.0.0.0';
    } else {
      const h = builtinHost(opts.host);
      if (h === null) {
        process.nextTick(() => this.emit('error', notFoundError(hostText)));
        return this;
      }
      binds = [{ address: h.address, family: h.family }];
      shown = h.text;
    }
    const family = binds[0]!.family;
    let chosen: number;
    try {
      chosen = this.#open(binds, port, backlog);
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      const err = listenError(e.code, shown, port);
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    this.#address = { address: shown, family: familyName(family), port: chosen };
    process.nextTick(() => {
      if (this.#listenId === id && this.#listeners.length > 0) this.emit('listening');
    });
    return this;
  }

  /**
   * Opens every listener on `port`; returns the port. For 0 the first
   * listener's port is an ephemeral one the TCP layer picks (a port no
   * listener or connection uses, as Linux's inet_autobind), so the others
   * (the second family of `::`) open on the same port.
   */
  #open(binds: readonly Bind[], port: number, backlog: number | undefined): number {
    const tcp = this.#host.tcp;
    const opened: TcpListener[] = [];
    let p = port;
    try {
      for (const b of binds) {
        const l = tcp.listen({ address: b.address, family: b.family, port: p, ...(backlog !== undefined ? { backlog } : {}) });
        opened.push(l);
        p = l.localPort;
      }
    } catch (e) {
      for (const l of opened) l.close();
      throw e;
    }
    for (const l of opened) l.setHandler({ onConnection: (ln) => this.#acceptAll(ln) });
    this.#listeners = opened;
    return p;
  }

  #acceptAll(l: TcpListener): void {
    for (let c = l.accept(); c !== null; c = l.accept()) this.#accept(c);
  }

  #accept(c: TcpConnection): void {
    if (this.maxConnections && this.#sockets.size >= this.maxConnections) {
      const info: DropInfo = {
        localAddress: formatAddress(c.localAddress), localPort: c.localPort, localFamily: familyName(c.family),
        remoteAddress: formatAddress(c.remoteAddress), remotePort: c.remotePort, remoteFamily: familyName(c.family),
      };
      c.close();
      this.emit('drop', info);
      return;
    }
    const hwm = this.highWaterMark;
    const s = this.#makeSocket({
      allowHalfOpen: this.allowHalfOpen,
      noDelay: this.noDelay,
      keepAlive: this.keepAlive,
      keepAliveInitialDelay: this.keepAliveInitialDelay,
      ...(hwm !== undefined ? { readableHighWaterMark: hwm, writableHighWaterMark: hwm } : {}),
      [kAccept]: { conn: c, owner: this, pauseOnConnect: this.pauseOnConnect },
    });
    s.server = this;
    s._server = this;
    this.#sockets.add(s);
    this.emit('connection', s);
  }

  /** @internal An accepted socket was destroyed. */
  socketDestroyed(s: NetSocket): void {
    if (this.#sockets.delete(s)) this.#emitCloseIfDrained();
  }

  /** `{ address, family, port }` while listening, else null. */
  address(): ServerAddressInfo | null {
    return this.#listeners.length > 0 ? this.#address : null;
  }

  /**
   * Stops listening; `'close'` follows once every accepted socket is gone.
   * The callback gets ERR_SERVER_NOT_RUNNING if the server was not listening.
   */
  close(callback?: (err?: Error) => void): this {
    this.#listenId++;
    if (callback !== undefined) {
      if (this.#listeners.length === 0) {
        this.once('close', () => callback(nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else this.once('close', callback);
    }
    for (const l of this.#listeners) l.close();
    this.#listeners = [];
    this.#emitCloseIfDrained();
    return this;
  }

  #emitCloseIfDrained(): void {
    if (this.#listeners.length > 0 || this.#sockets.size > 0) return;
    process.nextTick(() => this.emit('close'));
  }

  /** Calls back with the number of open accepted sockets. */
  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#sockets.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  /** No-op (see the class comment). */
  ref(): this {
    return this;
  }

  /** No-op (see the class comment). */
  unref(): this {
    return this;
  }
}
