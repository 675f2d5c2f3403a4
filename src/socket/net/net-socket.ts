import { Duplex } from 'node:stream';
import type { StackContext } from '../../core/context.js';
import { type ErrnoCode, SocketError } from '../../core/errno.js';
import type { TcpConnection, TcpConnectionHandler, TcpSocketOptions } from '../../tcp/connection.js';
import type { TcpLayer } from '../../tcp/tcp-layer.js';
import { familyName, formatAddress, type HostAddress, resolveHost } from './address.js';
import { connectTarget, type NetConnectOptions, normalizeArgs, pathUnsupported } from './args.js';
import { connectError, nodeError, readError, writeAfterFinError } from './errors.js';
import { TcpWriteQueue, type WriteCallback } from './write-queue.js';

/** What the adapters need from a stack (a `Stack` satisfies it). */
export interface NetHost {
  readonly tcp: TcpLayer;
  readonly ctx: StackContext;
}

/** Told when an accepted socket is destroyed (the server's connection count). */
export interface SocketOwner {
  socketDestroyed(s: NetSocket): void;
}

/** Internal option key: the server hands an accepted connection to a new socket through it. */
export const kAccept: unique symbol = Symbol('tsip.net.accept');

/** What the server passes under {@link kAccept}. */
export interface AcceptInit {
  conn: TcpConnection;
  owner: SocketOwner | null;
  pauseOnConnect: boolean;
}

/** `new Socket(options)`: the `net.Socket` constructor options tsip honours. */
export interface NetSocketOptions {
  /** Keep the writable side open after the peer's FIN (default false: end() follows 'end'). */
  allowHalfOpen?: boolean;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** ms before the first keepalive probe (0: the stack's TCP_KEEPIDLE default). */
  keepAliveInitialDelay?: number;
  signal?: AbortSignal;
  [kAccept]?: AcceptInit;
}

/** `socket.address()`. */
export interface SocketAddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** Bytes taken from TCP per read, as libuv reads 64 KiB at a time. */
const READ_CHUNK = 65536;

/**
 * A `net.Socket` over a tsip TCP connection: a real `stream.Duplex` with
 * Node's events (`connect`, `ready`, `data`, `drain`, `end`, `timeout`,
 * `error`, `close(hadError)`), methods and properties.
 *
 * Backpressure is end to end. Reading pulls from the connection only when
 * the stream asks (`_read`), so a paused socket leaves the bytes in TCP's
 * receive buffer and the advertised window closes. Writing hands bytes to
 * TCP's send buffer only while it has room; the write callback waits for
 * the rest, so `write()` returns false and `'drain'` follows, as with a
 * kernel socket.
 *
 * Copies: caller-owned Buffers are copied as TCP takes them (see
 * {@link TcpWriteQueue}); received bytes are handed out as views of TCP's
 * receive blocks (no copy).
 *
 * `ref()`/`unref()` are no-ops: a tsip connection has no libuv handle; what
 * keeps the process alive is the link device (and the stack's clock).
 */
export class NetSocket extends Duplex {
  /** True between `connect()` and `'connect'`. */
  connecting = false;
  /** The server that accepted this socket (set by `net` or `http` servers). */
  server: object | null = null;
  _server: object | null = null;
  /** The idle timeout set by {@link setTimeout}, in ms. */
  timeout: number | undefined = undefined;

  readonly #host: NetHost;
  #conn: TcpConnection | null = null;
  #owner: SocketOwner | null = null;
  /** `_read` was called and nothing has been pushed since. */
  #wantRead = false;
  #pumping = false;
  #eofPushed = false;
  readonly #out = new TcpWriteQueue();
  #finalCb: WriteCallback | null = null;
  #bytesRead = 0;
  #timer: NodeJS.Timeout | null = null;
  #noDelay: boolean;
  #keepAlive: boolean;
  #keepIdleS: number;
  #resetting = false;
  /** 'end' happened on a socket that does not allow half-open: later writes are EPIPE (Node's writeAfterFIN). */
  #endedByPeer = false;
  #remote: { text: string; port: number } | null = null;
  readonly #handler: TcpConnectionHandler = {
    onConnected: () => this.#onConnected(),
    onReadable: () => this.#pump(),
    onWritable: () => this.#flushOut(),
    onPeerFin: () => this.#pump(),
    onClosed: (_c, err) => this.#onClosed(err),
  };

  constructor(host: NetHost, options: NetSocketOptions = {}) {
    const hwm = options.highWaterMark;
    super({
      allowHalfOpen: Boolean(options.allowHalfOpen),
      // Node's net.Socket: 'close' is emitted by the socket itself, with hadError.
      emitClose: false,
      autoDestroy: true,
      decodeStrings: false,
      ...(hwm !== undefined ? { highWaterMark: hwm } : {}),
      ...(options.readableHighWaterMark !== undefined ? { readableHighWaterMark: options.readableHighWaterMark } : {}),
      ...(options.writableHighWaterMark !== undefined ? { writableHighWaterMark: options.writableHighWaterMark } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    this.#host = host;
    this.#noDelay = Boolean(options.noDelay);
    this.#keepAlive = Boolean(options.keepAlive);
    this.#keepIdleS = keepIdleSeconds(options.keepAliveInitialDelay);
    this.on('end', () => {
      if (!this.allowHalfOpen) this.#endedByPeer = true;
    });
    const accept = options[kAccept];
    if (accept !== undefined) this.#adopt(accept);
  }

  // ------------------------------------------------------------ connection set-up

  /**
   * Opens the connection: `connect(port[, host][, listener])` or
   * `connect(options[, listener])`. Hosts are numeric addresses,
   * `localhost` (127.0.0.1), or names resolved by `options.lookup`.
   */
  connect(options: NetConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [opts, cb] = normalizeArgs<NetConnectOptions>(args);
    if (opts.path !== undefined) throw pathUnsupported(opts.path);
    if (this.destroyed) throw nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed');
    if (this.#conn !== null || this.connecting) {
      throw nodeError(Error, 'ERR_INVALID_STATE', 'Invalid state: the socket is already connected or connecting');
    }
    const { port, local, localPort } = connectTarget(opts);
    if (cb !== null) this.once('connect', cb as () => void);
    if (opts.timeout !== undefined && opts.timeout !== 0) this.setTimeout(opts.timeout);
    if (opts.noDelay !== undefined) this.#noDelay = Boolean(opts.noDelay);
    if (opts.keepAlive !== undefined) this.#keepAlive = Boolean(opts.keepAlive);
    if (opts.keepAliveInitialDelay !== undefined) this.#keepIdleS = keepIdleSeconds(opts.keepAliveInitialDelay);
    this.connecting = true;
    this.#activity();
    const host = opts.host ?? 'localhost';
    // As Node: even for an address the connect happens on a later tick,
    // after the caller had a chance to add listeners.
    resolveHost(host, opts.lookup, opts.family ?? 0, (err, h, answer) => {
      if (answer !== null) this.emit('lookup', err, answer.address, answer.family, host);
      if (!this.connecting || this.destroyed) return;
      if (err !== null || h === null) this.destroy(err ?? undefined);
      else this.#startConnect(h, port, local, localPort);
    });
    return this;
  }

  #startConnect(remote: HostAddress, port: number, local: HostAddress | null, localPort: number | undefined): void {
    if (!this.connecting || this.destroyed) return;
    this.#remote = { text: remote.text, port };
    try {
      this.#conn = this.#host.tcp.connect({
        remoteAddress: remote.address,
        remotePort: port,
        ...(local !== null ? { localAddress: local.address } : {}),
        ...(localPort !== undefined && localPort !== 0 ? { localPort } : {}),
        options: this.#tcpOptions(),
        handler: this.#handler,
      });
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      this.destroy(connectError(e.code, remote.text, port));
    }
  }

  /** Takes over an accepted connection (server side). */
  #adopt(a: AcceptInit): void {
    const c = a.conn;
    this.#conn = c;
    this.#owner = a.owner;
    c.setHandler(this.#handler);
    const opts = this.#tcpOptions();
    if (opts.noDelay === true || opts.keepAlive === true) c.setOptions(opts);
    if (a.pauseOnConnect) this.pause();
    else this.read(0);
    // Notifications that came before the handler was installed were dropped;
    // a connection already reset while it waited in the accept queue reports it now.
    if (c.stateName === 'CLOSED' && c.error !== null) {
      const err = c.error;
      process.nextTick(() => this.#onClosed(err));
    }
  }

  #tcpOptions(): Partial<TcpSocketOptions> {
    const o: Partial<TcpSocketOptions> = {};
    if (this.#noDelay) o.noDelay = true;
    if (this.#keepAlive) {
      o.keepAlive = true;
      if (this.#keepIdleS > 0) o.keepIdleS = this.#keepIdleS;
    }
    return o;
  }

  // ------------------------------------------------------------ TCP notifications

  #onConnected(): void {
    if (this.destroyed) return;
    this.connecting = false;
    this.#activity();
    this.#flushOut();
    const f = this.#finalCb;
    if (f !== null) {
      this.#finalCb = null;
      this._final(f);
    }
    this.emit('connect');
    this.emit('ready');
    // Start the first read (or find an immediate EOF), as Node's afterConnect.
    this.#pump();
    if (!this.isPaused()) this.read(0);
  }

  #onClosed(err: ErrnoCode | null): void {
    if (this.destroyed) return;
    if (this.connecting) {
      const r = this.#remote;
      this.destroy(connectError(err ?? 'ECONNREFUSED', r?.text ?? '', r?.port ?? 0));
      return;
    }
    // Bytes that arrived before the end are delivered first (as recv(2) does), then EOF or the error.
    this.#pump();
    if (err === null || this.destroyed) return;
    // A write waiting for room will never get it: let it fail with TCP's error.
    this.#flushOut();
    const c = this.#conn;
    if (!this.destroyed && (c === null || c.readableLength === 0)) this.destroy(readError(err));
  }

  // ------------------------------------------------------------ reading

  override _read(_size: number): void {
    this.#wantRead = true;
    this.#pump();
  }

  /** Moves bytes from TCP into the stream while the stream wants them. */
  #pump(): void {
    const c = this.#conn;
    if (c === null || this.connecting || this.#pumping || this.destroyed) return;
    this.#pumping = true;
    try {
      while (this.#wantRead && !this.destroyed) {
        const data = c.read(READ_CHUNK);
        if (data.length > 0) {
          this.#bytesRead += data.length;
          this.#activity();
          this.#wantRead = this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
          continue;
        }
        if (c.error !== null && c.stateName === 'CLOSED') {
          this.#wantRead = false;
          this.destroy(readError(c.error));
        } else if (c.readEnded) {
          this.#wantRead = false;
          if (!this.#eofPushed) {
            this.#eofPushed = true;
            this.push(null);
          }
        }
        return;
      }
    } finally {
      this.#pumping = false;
    }
  }

  // ------------------------------------------------------------ writing

  override _write(chunk: unknown, encoding: BufferEncoding, cb: WriteCallback): void {
    this.#queueOut([{ chunk, encoding }], cb);
  }

  override _writev(chunks: Array<{ chunk: unknown; encoding: BufferEncoding }>, cb: WriteCallback): void {
    this.#queueOut(chunks, cb);
  }

  #queueOut(chunks: ReadonlyArray<{ chunk: unknown; encoding: BufferEncoding }>, cb: WriteCallback): void {
    if (this.#conn === null && !this.connecting) {
      cb(nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
      return;
    }
    if (this.#out.start(chunks, cb)) this.#flushOut();
  }

  /** Feeds the pending write to TCP (on write, on connect, when TCP has room again). */
  #flushOut(): void {
    const c = this.#conn;
    if (c === null || this.connecting || !this.#out.pending) return;
    if (this.#out.flush(c) > 0) this.#activity();
  }

  override _final(cb: WriteCallback): void {
    if (this.connecting) {
      this.#finalCb = cb;
      return;
    }
    const c = this.#conn;
    if (c !== null) {
      try {
        c.shutdown('write');
      } catch (e) {
        // Node ignores ENOTCONN here: the connection is already gone.
        if (!(e instanceof SocketError)) throw e;
      }
    }
    // libuv completes a shutdown request on a later turn of the loop, not
    // inside end(); keep that, so 'finish' (and the auto-destroy after it)
    // never happens synchronously within the caller's end().
    setImmediate(cb);
  }

  /**
   * Node's writeAfterFIN: once the peer ended a socket that does not allow
   * half-open (so this side ended too), a write fails with EPIPE "This
   * socket has been ended by the other party" instead of write-after-end.
   */
  override write(
    chunk: unknown,
    encoding?: BufferEncoding | ((error: Error | null | undefined) => void),
    cb?: (error: Error | null | undefined) => void,
  ): boolean {
    if (this.#endedByPeer && this.writableEnded) {
      const callback = typeof encoding === 'function' ? encoding : cb;
      const er = writeAfterFinError();
      if (callback !== undefined) process.nextTick(callback, er);
      this.destroy(er);
      return false;
    }
    if (typeof encoding === 'function') return super.write(chunk, encoding);
    if (encoding === undefined) return super.write(chunk, cb);
    return super.write(chunk, encoding, cb);
  }

  // ------------------------------------------------------------ closing

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    const wasConnecting = this.connecting;
    this.connecting = false;
    this.#clearTimer();
    const c = this.#conn;
    if (c !== null) {
      c.setHandler(null);
      // close(): FIN after what is queued, or RST if unread bytes remain (RFC 2525 §2.17), as close(2).
      if (this.#resetting) c.abort();
      else c.close();
    }
    const pending = this.#out.take();
    this.#finalCb = null;
    this.#owner?.socketDestroyed(this);
    this.#owner = null;
    cb(err);
    const hadError = err !== null && err !== undefined;
    process.nextTick(() => {
      // Node: a write queued while connecting fails with ERR_SOCKET_CLOSED_BEFORE_CONNECTION;
      // one TCP had only partly taken is cancelled, as libuv cancels it.
      if (pending !== null) {
        pending(wasConnecting
          ? nodeError(Error, 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established')
          : new SocketError('ECANCELED', 'write'));
      }
      this.emit('close', hadError);
    });
  }

  /** Ends the writable side, then destroys once everything was flushed. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', this.destroy);
  }

  /** Closes with a RST instead of a FIN (SO_LINGER 0), then destroys. */
  resetAndDestroy(): this {
    if (this.#conn !== null) {
      if (this.connecting) this.once('connect', () => this.#reset());
      else this.#reset();
    } else {
      this.destroy(nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
    }
    return this;
  }

  #reset(): void {
    this.#resetting = true;
    this.destroy();
  }

  // ------------------------------------------------------------ options and timers

  /** TCP_NODELAY (default true when called without an argument, as Node). */
  setNoDelay(noDelay = true): this {
    const on = Boolean(noDelay);
    this.#noDelay = on;
    if (this.#conn !== null && !this.destroyed) this.#conn.setOptions({ noDelay: on });
    return this;
  }

  /** SO_KEEPALIVE, with TCP_KEEPIDLE from `initialDelay` ms (0: keep the stack's default). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAlive = Boolean(enable);
    this.#keepIdleS = keepIdleSeconds(initialDelay);
    if (this.#conn !== null && !this.destroyed) {
      this.#conn.setOptions({ keepAlive: this.#keepAlive, ...(this.#keepIdleS > 0 ? { keepIdleS: this.#keepIdleS } : {}) });
    }
    return this;
  }

  /**
   * Emits `'timeout'` after `msecs` without activity (bytes read or written);
   * 0 disables. The socket is not closed: that is the listener's choice.
   */
  setTimeout(msecs: number, callback?: () => void): this {
    if (this.destroyed) return this;
    if (typeof msecs !== 'number' || !(msecs >= 0) || !Number.isFinite(msecs)) {
      throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(msecs)}`);
    }
    this.timeout = msecs;
    this.#clearTimer();
    if (msecs === 0) {
      if (callback !== undefined) this.removeListener('timeout', callback);
    } else {
      // Unreferenced, as Node's socket timers: an idle timer alone never keeps the process alive.
      this.#timer = setTimeout(() => this.emit('timeout'), msecs);
      this.#timer.unref();
      if (callback !== undefined) this.once('timeout', callback);
    }
    return this;
  }

  #activity(): void {
    this.#timer?.refresh();
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** No-op (see the class comment): returns the socket. */
  ref(): this {
    return this;
  }

  /** No-op (see the class comment): returns the socket. */
  unref(): this {
    return this;
  }

  // ------------------------------------------------------------ properties

  /** The local end: `{ address, family, port }`, or `{}` before there is a connection. */
  address(): SocketAddressInfo | Record<string, never> {
    const c = this.#conn;
    if (c === null) return {};
    return { address: formatAddress(c.localAddress), family: familyName(c.family), port: c.localPort };
  }

  get localAddress(): string | undefined {
    const c = this.#conn;
    return c === null ? undefined : formatAddress(c.localAddress);
  }

  get localPort(): number | undefined {
    return this.#conn?.localPort;
  }

  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    const c = this.#conn;
    return c === null ? undefined : familyName(c.family);
  }

  /** The peer's address; undefined until connected (as Node while connecting). */
  get remoteAddress(): string | undefined {
    const c = this.#conn;
    return c === null || this.connecting ? undefined : formatAddress(c.remoteAddress);
  }

  get remotePort(): number | undefined {
    return this.connecting ? undefined : this.#conn?.remotePort;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    const c = this.#conn;
    return c === null || this.connecting ? undefined : familyName(c.family);
  }

  /** Bytes received (handed to the stream). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /**
   * Bytes written, as Node counts them: those handed to TCP plus those still
   * queued in the stream (string chunks counted in characters while queued).
   */
  get bytesWritten(): number {
    return this.#out.dispatched + this.writableLength - this.#out.acceptedOfPending;
  }

  /** True until connected (no connection yet, or connecting). */
  get pending(): boolean {
    return this.#conn === null || this.connecting;
  }

  /** 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed', as Node derives it. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Deprecated Node alias of `writableLength`. */
  get bufferSize(): number | undefined {
    return this.#conn === null ? undefined : this.writableLength;
  }

  /** tsip extension: the underlying TCP connection (null before connect), for `info()` and tests. */
  get tcpConnection(): TcpConnection | null {
    return this.#conn;
  }
}

/** Node's `~~(ms / 1000)`: keepalive idle time in whole seconds. */
function keepIdleSeconds(ms: number | undefined): number {
  if (ms === undefined || !(ms > 0)) return 0;
  return Math.floor(ms / 1000);
}
