import { VirtualClock } from '../core/clock.js';
import type { NetInterface } from '../ip/interface.js';
import { createMemoryPair, type MemoryLink } from '../link/memory-link.js';
import { Stack } from '../stack.js';
import { serveTcpEcho } from '../cli/services/tcp-services.js';
import type { UdpEndpoint } from '../udp/udp-endpoint.js';
import { defaultAddressPlan, type AddressPlan } from './addresses.js';
import { OutputChecker } from './output-check.js';
import type { FuzzTarget, OutputHandler, TargetFactory } from './target.js';

/** Options for {@link SelfTarget}. */
export interface SelfTargetOptions {
  /** Seeds the stack's randomness (ISNs, IDs, ports): same seed and inputs, same run. */
  seed: number;
  /** Put 2001:db8::1/64 on the interface and fuzz IPv6 too (default true). */
  ipv6?: boolean;
  /** Link MTU (default 1500). */
  mtu?: number;
  /** Most TCP connections the table may hold before the run is called a leak (default 1024). */
  maxConnections?: number;
  /** Most bytes the reassembly buffer may hold (default 8 MiB: twice the stack's own cap). */
  maxReassemblyBytes?: number;
}

/**
 * A tsip stack in this process as the fuzz target: one end of an in-memory
 * link on a {@link VirtualClock}, 192.0.2.1/24 (and 2001:db8::1/64), with
 * TCP echo (IPv4 and IPv6) and UDP echo (IPv4) on port 7. Fuzz packets
 * enter the stack's interface directly (see {@link inject}); everything the
 * stack sends crosses the memory link to the fuzzer's end, where an
 * {@link OutputChecker} vets it. Deterministic: the same seed and packets
 * at the same virtual times give the same run.
 */
export class SelfTarget implements FuzzTarget {
  readonly kind = 'self';
  readonly virtualTime = true;
  readonly plan: AddressPlan;
  readonly mtu: number;
  readonly clock = new VirtualClock();
  readonly stack: Stack;
  private readonly mine: MemoryLink;
  private readonly iface: NetInterface;
  private readonly theirs: MemoryLink;
  private readonly udpEcho: UdpEndpoint[] = [];
  private udpPending = false;
  private readonly maxConnections: number;
  private readonly maxReassemblyBytes: number;
  private closed = false;
  /** The oracle on what the stack sends. */
  readonly outputs = new OutputChecker();

  constructor(options: SelfTargetOptions) {
    const ipv6 = options.ipv6 ?? true;
    this.plan = defaultAddressPlan({ restricted: false, ipv6 });
    this.mtu = options.mtu ?? 1500;
    this.maxConnections = options.maxConnections ?? 1024;
    this.maxReassemblyBytes = options.maxReassemblyBytes ?? 8 * 1024 * 1024;
    [this.mine, this.theirs] = createMemoryPair(this.clock, { mtu: this.mtu, namePrefix: 'fuzz' });
    this.theirs.setReceiver((p) => this.outputs.check(p));
    this.stack = new Stack({ clock: this.clock, seed: options.seed, id: 'fuzz-target' });
    this.iface = this.stack.addInterface(this.mine, { ipv4: ['192.0.2.1/24'], ...(ipv6 ? { ipv6: ['2001:db8::1/64'] } : {}) });
    // Listens on IPv4 and IPv6 alike.
    serveTcpEcho(this.stack, this.plan.echoPort);
    // UDP is IPv4-only in the stack so far (UdpLayer.open takes family 4).
    this.openUdpEcho();
  }

  /**
   * UDP echo answered synchronously after each step of the clock (not from
   * a microtask, as the CLI's service does), so that a whole run is one
   * synchronous, deterministic computation and any exception reaches the fuzzer.
   */
  private openUdpEcho(): void {
    const ep = this.stack.udp.open(4);
    const r = ep.bind(0, this.plan.echoPort);
    if (r !== 'ok') throw new Error(`fuzz self target: UDP echo bind: ${r}`);
    ep.listener = { readable: () => void (this.udpPending = true) };
    this.udpEcho.push(ep);
  }

  private drainUdp(): void {
    this.udpPending = false;
    for (const ep of this.udpEcho) {
      for (let d = ep.recv(); d !== null; d = ep.recv()) {
        if (typeof d === 'string') continue; // a reported ICMP error: nothing to echo
        ep.send(d.data, { address: d.srcAddress, port: d.srcPort });
      }
    }
  }

  /**
   * Delivers straight into the stack's interface, as its link's receiver
   * would when the clock next runs: the same code path, minus a queue and a
   * clock event per packet, which the fuzzer's packet rate notices. What the
   * stack sends goes out through the memory link to the fuzzer's end.
   */
  inject(packet: Uint8Array): void {
    this.stack.ip.receiveFrame(this.iface, packet);
  }

  advance(us: number): void {
    this.clock.advance(us);
    if (this.udpPending) {
      this.drainUdp();
      this.clock.runDue();
    }
  }

  now(): number {
    return this.clock.now();
  }

  /** Every packet the stack sends is checked for well-formedness on its way to the handler. */
  setOutput(handler: OutputHandler | null): void {
    const checker = this.outputs;
    this.theirs.setReceiver(
      handler === null
        ? (p) => checker.check(p)
        : (p) => {
            checker.check(p);
            handler(p);
          },
    );
  }

  checkInternals(injected: number): string | null {
    const c = this.stack.counters;
    if (c.LinkInFrames !== injected) return `LinkInFrames ${c.LinkInFrames} != ${injected} packets injected`;
    const ipIn = c.IpInReceives + c.Ip6InReceives;
    if (ipIn < c.LinkInFrames) return `IpInReceives + Ip6InReceives = ${ipIn} < ${c.LinkInFrames} frames received`;
    // Beyond the injected packets, IP input only sees what the stack looped back to itself.
    const looped = ipIn - c.LinkInFrames;
    if (looped > c.IpOutRequests + c.Ip6OutRequests) {
      return `${looped} more IP inputs than frames, but only ${c.IpOutRequests + c.Ip6OutRequests} IP outputs`;
    }
    // RFC 4293 bookkeeping: every IPv4 datagram received is an error, a
    // fragment handed to reassembly, or delivered / unknown-protocol; a
    // reassembled datagram counts once more on delivery (hence - ReasmOKs).
    const accounted =
      c.IpInHdrErrors + c.IpExtInTruncatedPkts + c.IpInAddrErrors + c.IpReasmReqds + c.IpInDelivers +
      c.IpInUnknownProtos + c.IpInDiscards - c.IpReasmOKs;
    if (accounted !== c.IpInReceives) {
      return `IPv4 counters do not add up: IpInReceives ${c.IpInReceives} but errors+fragments+delivered = ${accounted}`;
    }
    const sent = this.outputs.problem();
    if (sent !== null) return sent;
    const conns = this.stack.tcp.connectionCount;
    if (conns > this.maxConnections) return `TCP connection table holds ${conns} connections (bound ${this.maxConnections})`;
    const reasm = this.stack.ip.reassembly.memory;
    if (reasm > this.maxReassemblyBytes) return `reassembly holds ${reasm} bytes (bound ${this.maxReassemblyBytes})`;
    return null;
  }

  describe(): string {
    return `tsip stack in process (192.0.2.1/24${this.plan.ipv6 ? ', 2001:db8::1/64' : ''}, virtual clock, TCP/UDP echo on ${this.plan.echoPort})`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stack.close();
    this.mine.close();
    this.theirs.close();
  }
}

/** Factory for `--target self`. */
export const selfTargetFactory: TargetFactory = async ({ seed }) => new SelfTarget({ seed });
