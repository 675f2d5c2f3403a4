import { formatIPv4, formatIPv6, parseCidr, parseIPv4, parseIPv6, type IPv4Address, type IPv6Address } from './core/address.js';
import { RealClock, type Clock } from './core/clock.js';
import type { StackContext } from './core/context.js';
import { createCounters, nonZeroCounters, type Counters } from './core/counters.js';
import { CryptoRandom, SeededRandom, type RandomSource } from './core/random.js';
import { TimerScheduler } from './core/scheduler.js';
import { Tracer } from './core/trace.js';
import { Icmpv4Layer, type EchoOptions, type EchoReply, type Icmpv4Config } from './icmp/icmpv4.js';
import { Icmpv6Layer, type Echo6Options, type Echo6Reply, type Icmpv6Config } from './icmp/icmpv6.js';
import { PingEndpoints } from './icmp/ping-endpoints.js';
import { RawIcmpEndpoints } from './icmp/raw-endpoints.js';
import type { Ipv6InterfaceOptions } from './ip/addrconf.js';
import { IgmpLayer, type IgmpConfig } from './ip/igmp.js';
import type { NetInterface } from './ip/interface.js';
import { IpStack } from './ip/ip-layer.js';
import { addressScope6, SCOPE_LINK_LOCAL } from './ip/ipv6-address.js';
import { Ipv6RouteTable } from './ip/route-table6.js';
import type { Link } from './link/link.js';
import { createBsdSockets, type BsdSockets } from './socket/bsd/index.js';
import { createDgramApi, type DgramApi } from './socket/dgram/index.js';
import { createNetApi, type NetApi } from './socket/net/index.js';
import type { TcpConfig } from './tcp/config.js';
import type { TcpInfo } from './tcp/info.js';
import { TcpLayer } from './tcp/tcp-layer.js';
import { UdpLayer } from './udp/udp-layer.js';

/** How to build a {@link Stack}. */
export interface StackOptions {
  /** A name for traces and logs; default `stack-` plus random hex from the stack's randomness. */
  id?: string;
  /** Time source; default a {@link RealClock}. Tests pass a VirtualClock. */
  clock?: Clock;
  /** Randomness; default `crypto`. Overrides `seed`. */
  random?: RandomSource;
  /** Shorthand for `random: new SeededRandom(seed)`: a reproducible stack. */
  seed?: number;
  /** ICMPv4 knobs (Linux sysctl equivalents). */
  icmp?: Partial<Icmpv4Config>;
  /** ICMPv6 knobs (Linux sysctl equivalents). */
  icmp6?: Partial<Icmpv6Config>;
  /** TCP knobs (Linux sysctl equivalents: buffers, timers, congestion control). */
  tcp?: Partial<TcpConfig>;
  /** IGMP knobs (version, robustness, intervals). */
  igmp?: Partial<IgmpConfig>;
}

/** Options for {@link Stack.addInterface}. */
export interface AddInterfaceOptions {
  /** Interface name (default: the link's). */
  name?: string;
  /** IP MTU (default: the link's). */
  mtu?: number;
  /** IPv4 addresses in CIDR form, e.g. `['192.0.2.2/24']`. */
  ipv4?: string[];
  /**
   * IPv6 addresses in CIDR form, e.g. `['2001:db8::2/64']`. Giving this
   * (even `[]`) starts IPv6 on the interface: a link-local address, DAD and
   * MLD on Ethernet, router solicitation and SLAAC (RFC 4861, 4862, 3810).
   */
  ipv6?: string[];
  /** Per-interface IPv6 knobs (Linux's net.ipv6.conf.IF.*); giving it also starts IPv6. */
  ipv6Config?: Ipv6InterfaceOptions;
}

/** Options for {@link Stack.addRoute}. */
export interface AddRouteOptions {
  /** Next-hop router; omitted for an on-link route. */
  via?: string;
  /** Interface (default: the one whose subnet contains `via`, else the first). */
  ifindex?: number;
  metric?: number;
  /** Preferred source address. */
  src?: string;
}

/**
 * One TCP/IP stack: interfaces, routes, protocols, counters, clock, timers
 * and randomness. Everything lives on the instance; stacks in one process
 * never share state.
 */
export class Stack {
  readonly ctx: StackContext;
  readonly ip: IpStack;
  readonly icmp: Icmpv4Layer;
  readonly tcp: TcpLayer;
  readonly igmp: IgmpLayer;
  readonly udp: UdpLayer;
  /** SOCK_RAW/IPPROTO_ICMP endpoints. */
  readonly rawIcmp: RawIcmpEndpoints;
  /** Linux-style ping endpoints (SOCK_DGRAM/IPPROTO_ICMP). */
  readonly pingIcmp: PingEndpoints;
  /** Node `net` (Socket, Server, connect, createServer) over this stack's TCP. */
  readonly net: NetApi;
  /** Node `dgram` over this stack's UDP (IPv4). */
  readonly dgram: DgramApi;
  /** The BSD socket facade: `sys` (descriptors, negative errnos) and `api` (Promises). */
  readonly sockets: BsdSockets;
  /** ICMPv6: echo, errors, and the hand-off of ND and MLD to the IP layer. */
  readonly icmp6: Icmpv6Layer;
  private closed = false;

  constructor(options: StackOptions = {}) {
    const clock = options.clock ?? new RealClock();
    const random = options.random ?? (options.seed !== undefined ? new SeededRandom(options.seed) : new CryptoRandom());
    const id = options.id ?? `stack-${random.u32().toString(16).padStart(8, '0')}`;
    const counters = createCounters();
    this.ctx = {
      id,
      clock,
      random,
      counters,
      timers: new TimerScheduler(clock),
      trace: new Tracer(id, () => clock.now()),
    };
    this.ip = new IpStack(this.ctx);
    this.icmp = new Icmpv4Layer(this.ctx, this.ip, options.icmp);
    this.icmp6 = new Icmpv6Layer(this.ctx, this.ip, options.icmp6);
    this.tcp = new TcpLayer(this.ctx, this.ip, options.tcp);
    this.igmp = new IgmpLayer(this.ctx, this.ip, options.igmp);
    this.udp = new UdpLayer(this.ctx, this.ip, { membership: this.igmp });
    this.rawIcmp = new RawIcmpEndpoints(this.ctx, this.ip, this.icmp);
    this.pingIcmp = new PingEndpoints(this.ctx, this.ip, this.icmp);
    this.net = createNetApi(this);
    this.dgram = createDgramApi(this);
    this.sockets = createBsdSockets(this, { udp: this.udp, ping: this.pingIcmp, raw: this.rawIcmp });
  }

  get id(): string {
    return this.ctx.id;
  }

  get clock(): Clock {
    return this.ctx.clock;
  }

  /** Attaches a link and assigns its addresses; returns the new interface. */
  addInterface(link: Link, options: AddInterfaceOptions = {}): NetInterface {
    const opts: { name?: string; mtu?: number } = {};
    if (options.name !== undefined) opts.name = options.name;
    if (options.mtu !== undefined) opts.mtu = options.mtu;
    const iface = this.ip.addInterface(link, opts);
    for (const text of options.ipv4 ?? []) this.addAddress(iface, text);
    if (options.ipv6 !== undefined || options.ipv6Config !== undefined) {
      this.ip.enableIpv6(iface, options.ipv6Config ?? {});
      for (const text of options.ipv6 ?? []) this.addAddress(iface, text);
    }
    return iface;
  }

  /** Adds an address in CIDR form to an interface. Throws on malformed text (programmer error). */
  addAddress(iface: NetInterface, cidrText: string): void {
    const cidr = parseCidr(cidrText);
    if (cidr === null) throw new TypeError(`not an address/prefix: ${cidrText}`);
    if (cidr.family === 6) {
      void this.icmp6;
      this.ip.addIpv6Address(iface, cidr.address, cidr.prefix);
      return;
    }
    this.ip.addIpv4Address(iface, cidr.address, cidr.prefix);
  }

  /**
   * Adds a route, e.g. `addRoute('0.0.0.0/0', { via: '192.0.2.1' })` or
   * `addRoute('::/0', { via: 'fe80::1', ifindex: 1 })`. `default` means the
   * family of `via` (IPv4 without one).
   */
  addRoute(destination: string, options: AddRouteOptions = {}): void {
    const v6 = destination.includes(':') || (destination === 'default' && options.via?.includes(':') === true);
    if (v6) {
      this.addRoute6(destination === 'default' ? '::/0' : destination, options);
      return;
    }
    const cidr = parseCidr(destination === 'default' ? '0.0.0.0/0' : destination);
    if (cidr === null || cidr.family !== 4) throw new TypeError(`not an IPv4 destination: ${destination}`);
    const gateway = options.via === undefined ? null : parseIPv4(options.via);
    if (options.via !== undefined && gateway === null) throw new TypeError(`not an IPv4 gateway: ${options.via}`);
    let ifindex = options.ifindex;
    if (ifindex === undefined) {
      const viaRoute = gateway === null ? null : this.ip.routes4.lookup(gateway);
      ifindex = viaRoute?.ifindex ?? this.ip.interfaces[0]?.index;
    }
    if (ifindex === undefined) throw new Error('addRoute: the stack has no interface');
    const src = options.src === undefined ? undefined : parseIPv4(options.src);
    if (src === null) throw new TypeError(`not an IPv4 source: ${options.src}`);
    this.ip.routes4.add({
      network: cidr.address,
      prefix: cidr.prefix,
      gateway,
      ifindex,
      metric: options.metric ?? 0,
      ...(src !== undefined ? { src } : {}),
    });
  }

  private addRoute6(destination: string, options: AddRouteOptions): void {
    const cidr = parseCidr(destination);
    if (cidr === null || cidr.family !== 6) throw new TypeError(`not an IPv6 destination: ${destination}`);
    const gateway = options.via === undefined ? null : parseIPv6(options.via);
    if (options.via !== undefined && gateway === null) throw new TypeError(`not an IPv6 gateway: ${options.via}`);
    let ifindex = options.ifindex;
    if (ifindex === undefined) {
      // A link-local gateway names no interface by itself (RFC 4007): take the first with IPv6.
      const viaRoute = gateway === null || addressScope6(gateway) <= SCOPE_LINK_LOCAL ? null : this.ip.routes6.lookup(gateway);
      ifindex = viaRoute?.ifindex ?? this.ip.interfaces.find((i) => i.v6 !== null)?.index ?? this.ip.interfaces[0]?.index;
    }
    if (ifindex === undefined) throw new Error('addRoute: the stack has no interface');
    const src = options.src === undefined ? undefined : parseIPv6(options.src);
    if (src === null) throw new TypeError(`not an IPv6 source: ${options.src}`);
    this.ip.routes6.add({
      network: cidr.address,
      prefix: cidr.prefix,
      gateway,
      ifindex,
      metric: options.metric ?? 1024,
      origin: 'static',
      ...(src !== undefined ? { src } : {}),
    });
  }

  /**
   * Sends one echo request and resolves with the reply (rejects with
   * ETIMEDOUT after the timeout). IPv6 text (or a 16-byte address) pings
   * over ICMPv6, as {@link ping6}.
   */
  ping(host: IPv4Address, options?: Partial<EchoOptions>): Promise<EchoReply>;
  ping(host: IPv6Address, options?: Partial<Echo6Options>): Promise<Echo6Reply>;
  ping(host: string, options?: Partial<EchoOptions & Echo6Options>): Promise<EchoReply | Echo6Reply>;
  ping(host: string | IPv4Address | IPv6Address, options: Partial<EchoOptions & Echo6Options> = {}): Promise<EchoReply | Echo6Reply> {
    if (typeof host !== 'number' && (typeof host !== 'string' || host.includes(':'))) return this.ping6(host, options);
    const dst = typeof host === 'number' ? host : parseIPv4(host);
    if (dst === null) return Promise.reject(new TypeError(`not an IPv4 address: ${String(host)}`));
    return this.icmp.echo(dst, { identifier: options.identifier ?? 1, sequence: options.sequence ?? 1, ...options });
  }

  /** Sends one ICMPv6 echo request (`ping -6`) and resolves with the reply. */
  ping6(host: string | IPv6Address, options: Partial<Echo6Options> = {}): Promise<Echo6Reply> {
    const dst = typeof host === 'string' ? parseIPv6(host) : host;
    if (dst === null || dst.length !== 16) return Promise.reject(new TypeError(`not an IPv6 address: ${String(host)}`));
    return this.icmp6.echo(dst, { identifier: options.identifier ?? 1, sequence: options.sequence ?? 1, ...options });
  }

  /** The live counter set (Linux SNMP names). */
  get counters(): Counters {
    return this.ctx.counters;
  }

  /** The non-zero counters, as `nstat` prints them. */
  countersSnapshot(): Partial<Counters> {
    return nonZeroCounters(this.ctx.counters);
  }

  /** Drops by `layer:reason`, like Linux's skb drop reasons. */
  dropReasons(): Record<string, number> {
    return Object.fromEntries(this.ctx.trace.drops);
  }

  /** Every TCP connection, as `ss -tni` shows them. */
  connections(): TcpInfo[] {
    return this.tcp.connections();
  }

  /** `ip addr`-style description of the interfaces (IPv6 addresses with their scope and state, as Linux prints them). */
  describe(): string {
    return this.ip.interfaces
      .map((i) => {
        const v4 = i.ipv4.map((a) => `\n    inet ${formatIPv4(a.address)}/${a.prefix}`).join('');
        const v6 = i.ipv6
          .map((a) => {
            const scope = addressScope6(a.address) <= SCOPE_LINK_LOCAL ? 'link' : 'global';
            const flags = a.state === 'tentative' ? ' tentative' : a.state === 'duplicate' ? ' dadfailed tentative' : a.state === 'deprecated' ? ' deprecated' : '';
            const dynamic = a.origin === 'slaac' ? ' dynamic' : '';
            return `\n    inet6 ${formatIPv6(a.address)}/${a.prefix} scope ${scope}${dynamic}${flags}`;
          })
          .join('');
        return `${i.index}: ${i.name} mtu ${i.mtu}${v4}${v6}`;
      })
      .join('\n');
  }

  /** `ip -6 route`-style listing. */
  describeRoutes6(): string {
    return this.ip.routes6
      .list()
      .map((r) => Ipv6RouteTable.format(r, (ix) => this.ip.interfaceByIndex(ix)?.name ?? `if${ix}`))
      .join('\n');
  }

  /** Stops every timer, rejects pending operations and detaches every link. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sockets.close();
    this.tcp.shutdown();
    // IGMP first, so that closing endpoints sends no leave messages on a dying stack.
    this.igmp.close();
    this.udp.close();
    this.rawIcmp.close();
    this.pingIcmp.close();
    this.icmp.close();
    this.ctx.timers.close();
    this.ip.close();
  }
}
