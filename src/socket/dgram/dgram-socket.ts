import { EventEmitter } from 'node:events';
import { parseIPv4, parseIPv6 } from '../../core/address.js';
import type { StackContext } from '../../core/context.js';
import { type ErrnoCode, SocketError } from '../../core/errno.js';
import type { DatagramOptionName, DatagramOptionValues } from '../../udp/socket-options.js';
import type { ReceivedDatagram, UdpEndpoint } from '../../udp/udp-endpoint.js';
import type { UdpLayer } from '../../udp/udp-layer.js';
import { familyName, formatAddress, type HostAddress, resolveHost } from '../net/address.js';
import { type LookupFunction, validatePort } from '../net/args.js';
import { hostPortError, nodeError, notFoundError } from '../net/errors.js';
import { checkNumber, type DgramMessage, sliceBuffer, toList } from './dgram-args.js';

/** What the dgram adapter needs from a stack (a `Stack` satisfies it). */
export interface DgramHost {
  readonly udp: UdpLayer;
  readonly ctx: StackContext;
}

/** `dgram.createSocket(options)`. */
export interface DgramSocketOptions {
  /** 'udp4' (AF_INET) or 'udp6' (AF_INET6: dual-stack unless `ipv6Only`). */
  type: 'udp4' | 'udp6';
  reuseAddr?: boolean;
  /** udp6 only: IPV6_V6ONLY, so that the socket takes no IPv4 traffic (Node sets it at bind). */
  ipv6Only?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** A `dns.lookup`-style resolver for host names (without it: numeric and `localhost` only). */
  lookup?: LookupFunction;
  signal?: AbortSignal;
}

/** `socket.bind(options)`. */
export interface DgramBindOptions {
  port?: number;
  address?: string;
  exclusive?: boolean;
}

/** The `rinfo` of a `'message'`. */
export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size: number;
}

/** `socket.address()` / `socket.remoteAddress()`. */
export interface DgramAddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

type SendCallback = (error: Error | null, bytes?: number) => void;

const UNBOUND = 0;
const BINDING = 1;
const BOUND = 2;
const DISCONNECTED = 0;
const CONNECTING = 1;
const CONNECTED = 2;

/**
 * A `dgram.Socket` over a tsip UDP endpoint, with Node's behaviour: `bind`
 * resolves then binds on a later tick and emits `'listening'`; `send` and
 * `connect` on an unbound socket bind it to an ephemeral port first and
 * wait for that; `'message'` gives `(msg, rinfo)`; errors carry Node's
 * shapes (`bind EADDRINUSE 0.0.0.0:41234`, `send EACCES 192.0.2.255:9`,
 * `recvmsg ECONNREFUSED`).
 *
 * Differences: options such as setBroadcast or addMembership work before
 * bind (the endpoint exists from the start, as a kernel socket does; libuv
 * would report EBADF); `ref()`/`unref()` are no-ops, as for net sockets.
 */
export class DgramSocket extends EventEmitter {
  readonly type: 'udp4' | 'udp6';
  readonly #ep: UdpEndpoint;
  readonly #lookup: LookupFunction | undefined;
  #bindState = UNBOUND;
  #connectState = DISCONNECTED;
  #closed = false;
  /** Operations waiting for the implicit bind, as Node's state.queue. */
  #queue: Array<() => void> | null = null;
  #drainScheduled = false;
  /** A udp6 socket: IPv6 defaults ('::', '::1') and IPV6_* options. */
  readonly #v6: boolean;

  constructor(host: DgramHost, options: DgramSocketOptions | 'udp4' | 'udp6', listener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    super();
    const opts: DgramSocketOptions = typeof options === 'string' ? { type: options } : options;
    if (opts.type !== 'udp4' && opts.type !== 'udp6') {
      throw nodeError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
    }
    this.type = opts.type;
    this.#v6 = opts.type === 'udp6';
    this.#lookup = opts.lookup;
    const ep = host.udp.open(this.#v6 ? 6 : 4);
    this.#ep = ep;
    if (this.#v6 && opts.ipv6Only === true) ep.setOption('IPV6_V6ONLY', true);
    // The endpoint notifies from inside packet processing, where it must not
    // be called back: only schedule the drain here.
    ep.listener = { readable: () => this.#scheduleDrain(), error: () => this.#scheduleDrain() };
    if (opts.reuseAddr === true) ep.setOption('SO_REUSEADDR', true);
    if (opts.recvBufferSize !== undefined) this.setRecvBufferSize(opts.recvBufferSize);
    if (opts.sendBufferSize !== undefined) this.setSendBufferSize(opts.sendBufferSize);
    if (listener !== undefined) this.on('message', listener);
    const signal = opts.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (!this.#closed) this.close();
      };
      if (signal.aborted) process.nextTick(onAbort);
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  // ------------------------------------------------------------ bind / connect

  /** `bind([port][, address][, cb])` or `bind(options[, cb])`; 'listening' follows, or 'error'. */
  bind(port?: number | DgramBindOptions | (() => void), address?: string | (() => void), callback?: () => void): this;
  bind(...args: unknown[]): this {
    this.#healthCheck();
    if (this.#bindState !== UNBOUND) throw nodeError(Error, 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    this.#bindState = BINDING;
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      // As Node: the callback is a 'listening' listener that an 'error' removes.
      const onListening = (): void => {
        this.off('error', removeListeners);
        (last as () => void).call(this);
      };
      const removeListeners = (): void => {
        this.off('error', removeListeners);
        this.off('listening', onListening);
      };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    let port: unknown = args[0];
    let address: string;
    if (port !== null && typeof port === 'object') {
      const o = port as DgramBindOptions;
      address = o.address ?? '';
      port = o.port;
    } else {
      address = typeof args[1] === 'string' ? args[1] : '';
      if (typeof port === 'function') port = 0;
    }
    const p = port === undefined || port === null ? 0 : validatePort(port, 'Port');
    this.#resolve(address === '' ? (this.#v6 ? '::' : '0.0.0.0') : address, (err, host) => {
      if (this.#closed) return;
      if (err !== null || host === null) {
        this.#bindFailed(err ?? notFoundError(address));
        return;
      }
      const r = this.#ep.bind(host.address, p);
      if (r !== 'ok') {
        this.#bindFailed(hostPortError(r, 'bind', host.text, p));
        return;
      }
      this.#bindState = BOUND;
      this.emit('listening');
      this.#flushQueue();
    });
    return this;
  }

  #bindFailed(err: Error): void {
    this.#bindState = UNBOUND;
    // Node drops the operations that waited for this bind.
    this.#queue = null;
    this.emit('error', err);
  }

  /** Sets the default peer (filters input to it); 'connect' follows, or the callback gets the error. */
  connect(port: number, address?: string | ((err?: Error) => void), callback?: (err?: Error) => void): void {
    const p = validatePort(port, 'Port', false);
    let addr = '';
    let cb = callback;
    if (typeof address === 'function') cb = address;
    else if (address !== undefined) {
      if (typeof address !== 'string') throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "address" argument must be of type string');
      addr = address;
    }
    if (this.#connectState !== DISCONNECTED) throw nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    this.#connectState = CONNECTING;
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true });
    const run = (): void => this.#doConnect(p, addr, cb);
    if (this.#bindState !== BOUND) this.#enqueue(run);
    else run();
  }

  #doConnect(port: number, address: string, cb: ((err?: Error) => void) | undefined): void {
    if (cb !== undefined) this.once('connect', cb);
    this.#resolve(address === '' ? this.#loopback() : address, (err, host) => {
      if (this.#closed) return;
      let ex: Error | null = err;
      if (ex === null && host !== null) {
        const r = this.#ep.connect(host.address, port);
        if (r !== 'ok') ex = hostPortError(r, 'connect', address === '' ? host.text : address, port);
      }
      if (ex !== null) {
        this.#connectState = DISCONNECTED;
        const e = ex;
        process.nextTick(() => {
          if (cb !== undefined) {
            this.removeListener('connect', cb);
            cb(e);
          } else this.emit('error', e);
        });
        return;
      }
      this.#connectState = CONNECTED;
      process.nextTick(() => this.emit('connect'));
    });
  }

  /** Forgets the default peer. Throws ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected. */
  disconnect(): void {
    if (this.#connectState !== CONNECTED) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    const r = this.#ep.disconnect();
    if (r !== 'ok') throw new SocketError(r, 'connect');
    this.#connectState = DISCONNECTED;
  }

  // ------------------------------------------------------------ sending

  /**
   * `send(msg[, offset, length][, port][, address][, callback])`, with
   * Node's argument rules. The callback gets `(null, bytes)` or the error;
   * without a callback, a failed send is not reported (Node's
   * dgram_legacy compatibility).
   */
  send(msg: DgramMessage, port?: number, address?: string, callback?: SendCallback): void;
  send(msg: DgramMessage, port?: number, callback?: SendCallback): void;
  send(msg: DgramMessage, callback?: SendCallback): void;
  send(msg: DgramMessage, offset: number, length: number, port?: number, address?: string, callback?: SendCallback): void;
  send(msg: DgramMessage, offset: number, length: number, callback?: SendCallback): void;
  send(...args: unknown[]): void {
    let [buffer, offset, length, port, address, callback] = args;
    const connected = this.#connectState === CONNECTED;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) buffer = sliceBuffer(buffer, offset, length);
      else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else callback = offset;
      if (port || address) throw nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    const list = toList(buffer);
    const p = connected ? 0 : validatePort(port, 'Port', false);
    let cb = typeof callback === 'function' ? (callback as SendCallback) : undefined;
    let addr: string | undefined;
    if (typeof address === 'function') cb = address as SendCallback;
    else if (address !== null && address !== undefined) {
      if (typeof address !== 'string') throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "address" argument must be of type string');
      addr = address;
    }
    this.#healthCheck();
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true });
    const run = (): void => this.#doSend(list, p, addr, cb);
    if (this.#bindState !== BOUND) this.#enqueue(run);
    else run();
  }

  #doSend(list: Uint8Array[], port: number, address: string | undefined, cb: SendCallback | undefined): void {
    const data = list.length === 1 ? list[0]! : Buffer.concat(list);
    const fail = (ex: Error, report: boolean): void => {
      if (cb !== undefined) process.nextTick(cb, ex);
      else if (report) process.nextTick(() => this.emit('error', ex));
    };
    if (this.#connectState === CONNECTED) {
      this.#finishSend(this.#ep.send(data), data.length, address ?? '', port, cb, fail);
      return;
    }
    const text = address ?? this.#loopback();
    this.#resolve(text, (err, host) => {
      if (this.#closed) return;
      // A resolver error is emitted when there is no callback; a send error is not (as Node).
      if (err !== null || host === null) fail(err ?? notFoundError(text), true);
      else this.#finishSend(this.#ep.send(data, { address: host.address, port }), data.length, text, port, cb, fail);
    });
  }

  #finishSend(r: 'ok' | ErrnoCode, n: number, address: string, port: number, cb: SendCallback | undefined,
    fail: (ex: Error, report: boolean) => void): void {
    if (r !== 'ok') fail(hostPortError(r, 'send', address, port), false);
    else if (cb !== undefined) process.nextTick(cb, null, n);
  }

  // ------------------------------------------------------------ receiving

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  /** Emits every queued datagram (and a pending error, as recvmsg reports it). */
  #drain(): void {
    while (!this.#closed) {
      const r: ReceivedDatagram | ErrnoCode | null = this.#ep.recv();
      if (r === null) return;
      if (typeof r === 'string') {
        this.emit('error', new SocketError(r, 'recvmsg'));
        continue;
      }
      const d = r.data;
      const rinfo: RemoteInfo = { address: formatAddress(r.srcAddress), family: familyName(r.srcAddress), port: r.srcPort, size: d.length };
      this.emit('message', Buffer.from(d.buffer, d.byteOffset, d.length), rinfo);
    }
  }

  // ------------------------------------------------------------ closing

  /** Closes the endpoint; 'close' follows on the next tick. Throws ERR_SOCKET_DGRAM_NOT_RUNNING if already closed. */
  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback);
    if (this.#queue !== null) {
      this.#queue.push(() => this.close());
      return this;
    }
    this.#healthCheck();
    this.#closed = true;
    this.#ep.close();
    process.nextTick(() => this.emit('close'));
    return this;
  }

  // ------------------------------------------------------------ addresses and options

  /** The bound address. Throws `getsockname EBADF` before the bind completed. */
  address(): DgramAddressInfo {
    this.#healthCheck();
    if (this.#bindState !== BOUND) throw new SocketError('EBADF', 'getsockname');
    const ep = this.#ep;
    return { address: formatAddress(ep.localAddress), family: this.#v6 ? 'IPv6' : 'IPv4', port: ep.localPort };
  }

  /** The connected peer. Throws ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected. */
  remoteAddress(): DgramAddressInfo {
    this.#healthCheck();
    if (this.#connectState !== CONNECTED) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    const ep = this.#ep;
    return { address: formatAddress(ep.remoteAddress), family: this.#v6 ? 'IPv6' : 'IPv4', port: ep.remotePort };
  }

  /** SO_BROADCAST. */
  setBroadcast(flag: boolean): void {
    this.#option('SO_BROADCAST', Boolean(flag), 'setBroadcast');
  }

  /** IP_TTL (1..255), IPV6_UNICAST_HOPS on udp6 (as libuv); returns it. */
  setTTL(ttl: number): number {
    checkNumber(ttl, 'ttl');
    // libuv checks 1..255 for both families.
    if (this.#v6 && (ttl < 1 || ttl > 255)) throw new SocketError('EINVAL', 'setTTL');
    if (this.#v6) this.#option('IPV6_UNICAST_HOPS', ttl, 'setTTL');
    else this.#option('IP_TTL', ttl, 'setTTL');
    return ttl;
  }

  /** IP_MULTICAST_TTL (0..255), IPV6_MULTICAST_HOPS on udp6; returns it. */
  setMulticastTTL(ttl: number): number {
    checkNumber(ttl, 'ttl');
    if (this.#v6) this.#option('IPV6_MULTICAST_HOPS', ttl, 'setMulticastTTL');
    else this.#option('IP_MULTICAST_TTL', ttl, 'setMulticastTTL');
    return ttl;
  }

  /** IP_MULTICAST_LOOP (IPV6_MULTICAST_LOOP on udp6); returns the flag. */
  setMulticastLoopback(flag: boolean): boolean {
    if (this.#v6) this.#option('IPV6_MULTICAST_LOOP', Boolean(flag), 'setMulticastLoopback');
    else this.#option('IP_MULTICAST_LOOP', Boolean(flag), 'setMulticastLoopback');
    return flag;
  }

  /**
   * IP_MULTICAST_IF by one of our addresses ('0.0.0.0': let the route
   * choose); on udp6 IPV6_MULTICAST_IF by the scope of '::%N' (N an
   * interface index; '::' alone: let the route choose).
   */
  setMulticastInterface(interfaceAddress: string): void {
    this.#healthCheck();
    if (this.#v6) {
      const ifindex = scopeIndex(interfaceAddress);
      if (ifindex === null) throw new SocketError('EINVAL', 'setMulticastInterface');
      this.#option('IPV6_MULTICAST_IF', ifindex, 'setMulticastInterface');
      return;
    }
    const a = parseIPv4(interfaceAddress);
    if (a === null) throw new SocketError('EINVAL', 'setMulticastInterface');
    this.#option('IP_MULTICAST_IF', { ifindex: 0, address: a }, 'setMulticastInterface');
  }

  /** IP_ADD_MEMBERSHIP, on the interface with `interfaceAddress` or the route's. */
  addMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#membership(multicastAddress, interfaceAddress, 'addMembership');
  }

  /** IP_DROP_MEMBERSHIP. */
  dropMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#membership(multicastAddress, interfaceAddress, 'dropMembership');
  }

  #membership(group: string, iface: string | undefined, syscall: 'addMembership' | 'dropMembership'): void {
    this.#healthCheck();
    if (!group) throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "multicastAddress" argument must be specified');
    if (this.#v6 && group.includes(':')) {
      // IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP: the interface by the scope of `interfaceAddress`, else by route.
      const g6 = parseIPv6(group);
      const ifindex = iface === undefined ? 0 : scopeIndex(iface);
      if (g6 === null || ifindex === null) throw new SocketError('EINVAL', syscall);
      const r6 = syscall === 'addMembership' ? this.#ep.joinGroup6(g6, ifindex) : this.#ep.leaveGroup6(g6, ifindex);
      if (r6 !== 'ok') throw new SocketError(r6, syscall);
      return;
    }
    const g = parseIPv4(group);
    if (g === null) throw new SocketError('EINVAL', syscall);
    const on: { address?: number } = {};
    if (iface !== undefined) {
      const a = parseIPv4(iface);
      if (a === null) throw new SocketError('EINVAL', syscall);
      on.address = a;
    }
    const r = syscall === 'addMembership' ? this.#ep.addMembership(g, on) : this.#ep.dropMembership(g, on);
    if (r !== 'ok') throw new SocketError(r, syscall);
  }

  /** SO_RCVBUF (the kernel keeps and reports twice the request, as Linux). */
  setRecvBufferSize(size: number): void {
    this.#bufferSize(size, 'SO_RCVBUF');
  }

  /** SO_SNDBUF. */
  setSendBufferSize(size: number): void {
    this.#bufferSize(size, 'SO_SNDBUF');
  }

  getRecvBufferSize(): number {
    return this.#ep.getOption('SO_RCVBUF');
  }

  getSendBufferSize(): number {
    return this.#ep.getOption('SO_SNDBUF');
  }

  /** Sends complete synchronously here: nothing ever waits in a send queue. */
  getSendQueueSize(): number {
    return 0;
  }

  getSendQueueCount(): number {
    return 0;
  }

  /** No-op: returns the socket. */
  ref(): this {
    return this;
  }

  /** No-op: returns the socket. */
  unref(): this {
    return this;
  }

  /** tsip extension: the underlying UDP endpoint. */
  get udpEndpoint(): UdpEndpoint {
    return this.#ep;
  }

  #bufferSize(size: number, name: 'SO_RCVBUF' | 'SO_SNDBUF'): void {
    if (size >>> 0 !== size) throw nodeError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
    const r = this.#ep.setOption(name, size);
    if (r !== 'ok') throw nodeError(Error, 'ERR_SOCKET_BUFFER_SIZE', `Could not get or set buffer size: ${r}`);
  }

  #option<K extends DatagramOptionName>(name: K, value: DatagramOptionValues[K], syscall: string): void {
    this.#healthCheck();
    const r = this.#ep.setOption(name, value);
    if (r !== 'ok') throw new SocketError(r, syscall);
  }

  #healthCheck(): void {
    if (this.#closed) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
  }

  #enqueue(fn: () => void): void {
    (this.#queue ??= []).push(fn);
  }

  #flushQueue(): void {
    const q = this.#queue;
    this.#queue = null;
    if (q !== null) for (const fn of q) fn();
  }

  /** Node's default peer: 127.0.0.1, or ::1 on udp6. */
  #loopback(): string {
    return this.#v6 ? '::1' : '127.0.0.1';
  }

  /**
   * Numeric hosts and `localhost` on the next tick (as dns.lookup), names
   * through `lookup` (family 4 or 6 after the socket type). A udp6 socket
   * also takes IPv4 answers, as the endpoint does (v4-mapped underneath).
   */
  #resolve(host: string, cb: (err: Error | null, h: HostAddress | null) => void): void {
    resolveHost(host, this.#lookup, this.#v6 ? 6 : 4, (err, h) => {
      if (err !== null || h === null) cb(err ?? notFoundError(host), null);
      else if (h.family !== 4 && !this.#v6) cb(new SocketError('EAFNOSUPPORT', 'getaddrinfo'), null);
      else cb(null, h);
    });
  }
}

/** The interface index in the `%N` scope of an IPv6 interface text ('::%2'); 0 without one; null when malformed. */
function scopeIndex(text: string): number | null {
  const pct = text.indexOf('%');
  const addr = pct === -1 ? text : text.slice(0, pct);
  if (addr !== '' && parseIPv6(addr) === null) return null;
  if (pct === -1) return 0;
  const zone = text.slice(pct + 1);
  return /^[0-9]+$/.test(zone) ? Number(zone) : null;
}
