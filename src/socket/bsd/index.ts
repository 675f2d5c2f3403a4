import type { StackContext } from '../../core/context.js';
import { EphemeralPortAllocator } from '../../core/ephemeral-ports.js';
import type { Icmpv4Layer } from '../../icmp/icmpv4.js';
import { PingEndpoints } from '../../icmp/ping-endpoints.js';
import { RawIcmpEndpoints } from '../../icmp/raw-endpoints.js';
import type { IpStack } from '../../ip/ip-layer.js';
import type { TcpLayer } from '../../tcp/tcp-layer.js';
import { UdpLayer } from '../../udp/udp-layer.js';
import { BsdApi } from './api.js';
import { BSD_CONSTANTS, type BsdConstants } from './constants.js';
import { Resolver, type ResolverOptions } from './resolver.js';
import type { SocketHost } from './socket-base.js';
import { BsdSys } from './sys.js';
import { TcpBindTable } from './tcp-bind-table.js';

/**
 * What the facade needs of a stack. `Stack` fits. The datagram layers come
 * from the options, else from the stack (a `udp` property holding a
 * UdpLayer), else are created on first use.
 */
export interface BsdStack {
  readonly ctx: StackContext;
  readonly ip: IpStack;
  readonly tcp: TcpLayer;
  readonly icmp: Icmpv4Layer;
  readonly udp?: unknown;
}

/** Options for {@link createBsdSockets}. */
export interface BsdSocketsOptions extends ResolverOptions {
  /** RLIMIT_NOFILE: descriptors are 3 .. maxDescriptors-1 (default 1024). */
  readonly maxDescriptors?: number;
  /** The stack's UDP layer, ping and raw ICMP endpoint sets, when the stack object does not carry them. */
  readonly udp?: UdpLayer;
  readonly ping?: PingEndpoints;
  readonly raw?: RawIcmpEndpoints;
}

/** The BSD socket facade of one stack. */
export interface BsdSockets {
  /** The system-call layer: integer descriptors, negative errnos, WOULD_BLOCK (see BsdSys). */
  readonly sys: BsdSys;
  /** The Promise layer: blocking calls as Promises, SocketError on failure (see BsdApi). */
  readonly api: BsdApi;
  /** Linux's numbers for AF_*, SOCK_*, SO_*, TCP_*, IP_*, MSG_*, POLL*, F_*, O_*, ioctls, AI_*, EAI_*. */
  readonly constants: BsdConstants;
  /** getaddrinfo's hosts table and name servers. */
  readonly resolver: Resolver;
  /** Closes every descriptor. */
  close(): void;
}

/**
 * Creates the BSD socket facade of `stack`: one descriptor table (first
 * descriptor 3), the sys and Promise layers over the stack's TCP, UDP and
 * ICMP endpoints, and a resolver. One facade per stack: two facades would
 * have two descriptor tables, and each would create its own UDP layer if
 * the stack has none.
 */
export function createBsdSockets(stack: BsdStack, options: BsdSocketsOptions = {}): BsdSockets {
  const ctx = stack.ctx;
  let udp: UdpLayer | undefined = options.udp ?? (stack.udp instanceof UdpLayer ? stack.udp : undefined);
  let ping: PingEndpoints | undefined = options.ping;
  let raw: RawIcmpEndpoints | undefined = options.raw;
  const [low, high] = stack.tcp.config.localPortRange;
  const host: SocketHost = {
    ctx,
    ip: stack.ip,
    tcp: stack.tcp,
    tcpBinds: new TcpBindTable(stack.tcp),
    tcpPorts: new EphemeralPortAllocator(ctx.random, { low, high }),
    udp: () => (udp ??= new UdpLayer(ctx, stack.ip)),
    ping: () => (ping ??= new PingEndpoints(ctx, stack.ip, stack.icmp)),
    raw: () => (raw ??= new RawIcmpEndpoints(ctx, stack.ip, stack.icmp)),
  };
  const sys = new BsdSys(host, options.maxDescriptors !== undefined ? { maxDescriptors: options.maxDescriptors } : {});
  const resolver = new Resolver(sys, ctx, stack.ip, options);
  const api = new BsdApi(sys, ctx, resolver);
  return { sys, api, constants: BSD_CONSTANTS, resolver, close: () => sys.closeAll() };
}

export { BsdApi } from './api.js';
export type { Accepted, AcceptOptions, Received, SelectResult, WaitOptions } from './api.js';
export { BSD_CONSTANTS } from './constants.js';
export * as constants from './constants.js';
export { buildDnsMessage, buildDnsQuery, parseDnsMessage } from './dns.js';
export { inet_ntop, inet_pton } from './inet.js';
export { AddrInfoError, Resolver } from './resolver.js';
export type { AddrInfo, AddrInfoHints, ResolverOptions } from './resolver.js';
export { BsdSys } from './sys.js';
export type { WaitHandle } from './sys.js';
export { WOULD_BLOCK } from './types.js';
export type {
  GetsockoptResult, IpMreq, Linger, OptionValue, PollFd, RecvMsgHdr, SendMsgHdr, SockAddr, SockAddrOut, SysResult,
  TcpInfoStruct, Timeval, WouldBlock,
} from './types.js';
