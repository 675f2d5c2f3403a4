import { parseCidr } from '../core/address.js';
import type { Clock } from '../core/clock.js';
import type { Link } from '../link/link.js';
import { createMemoryPair } from '../link/memory-link.js';
import { listNetns, Netns } from '../link/netns.js';
import { PcapTap } from '../link/pcap-tap.js';
import { PcapWriter } from '../link/pcap-writer.js';
import { TunLink } from '../link/tun-link.js';
import { Stack } from '../stack.js';
import { UsageError } from './io.js';
import { startServiceSet, STANDARD_SERVICES, type RunningServices } from './services/standard.js';

/** The link flags shared by every subcommand that needs a link (the `tsip` contract). */
export interface LinkArgs {
  kind: 'tun' | 'tap' | 'tun-fd' | 'memory';
  /** Device name for --tun/--tap. */
  device: string;
  /** Inherited descriptor for --tun-fd. */
  fd: number;
  /** Namespace to put the device in (created if missing, deleted on exit if we created it). */
  netns: string | null;
  /** Stack side, CIDR. */
  addr: string;
  /** Kernel (or memory peer) side, CIDR. */
  peer: string;
  /** Stack side, IPv6 CIDR. */
  addr6: string;
  /** Kernel (or memory peer) side, IPv6 CIDR. */
  peer6: string;
  mtu: number;
  /** Capture every frame of the stack's link here. */
  pcap: string | null;
}

export const DEFAULT_LINK: LinkArgs = {
  kind: 'memory',
  device: '',
  fd: -1,
  netns: null,
  addr: '192.0.2.2/24',
  peer: '192.0.2.1/24',
  addr6: '2001:db8::2/64',
  peer6: '2001:db8::1/64',
  mtu: 1500,
  pcap: null,
};

/** Link flags and the arguments left for the subcommand. */
export interface ParsedLinkArgs {
  link: LinkArgs;
  /** True when a link flag was given (a subcommand may have its own default otherwise). */
  explicit: boolean;
  rest: string[];
}

/**
 * Takes the link flags out of `args`: `--tun NAME | --tap NAME | --tun-fd N |
 * --memory`, `--netns NS`, `--addr CIDR`, `--peer CIDR`, `--addr6 CIDR`,
 * `--peer6 CIDR`, `--mtu N`, `--pcap FILE`. Throws UsageError on a malformed value.
 */
export function parseLinkArgs(args: readonly string[]): ParsedLinkArgs {
  const link: LinkArgs = { ...DEFAULT_LINK };
  const rest: string[] = [];
  let explicit = false;
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    switch (a) {
      case '--tun':
      case '--tap':
        link.kind = a === '--tun' ? 'tun' : 'tap';
        link.device = value(i++, a);
        if (Buffer.byteLength(link.device) > 15) throw new UsageError(`${a}: device names are at most 15 bytes`);
        explicit = true;
        break;
      case '--tun-fd':
        link.kind = 'tun-fd';
        link.fd = Number(value(i++, a));
        if (!Number.isInteger(link.fd) || link.fd < 0) throw new UsageError('--tun-fd takes a descriptor number');
        explicit = true;
        break;
      case '--memory':
        link.kind = 'memory';
        explicit = true;
        break;
      case '--netns':
        link.netns = value(i++, a);
        break;
      case '--addr':
      case '--peer': {
        const v = value(i++, a);
        const c = parseCidr(v);
        if (c === null || c.family !== 4) throw new UsageError(`${a} takes an IPv4 address/prefix, e.g. 192.0.2.2/24`);
        if (a === '--addr') link.addr = v;
        else link.peer = v;
        break;
      }
      case '--addr6':
      case '--peer6': {
        const v = value(i++, a);
        const c = parseCidr(v);
        if (c === null || c.family !== 6) throw new UsageError(`${a} takes an IPv6 address/prefix, e.g. 2001:db8::2/64`);
        if (a === '--addr6') link.addr6 = v;
        else link.peer6 = v;
        break;
      }
      case '--mtu':
        link.mtu = Number(value(i++, a));
        if (!Number.isInteger(link.mtu) || link.mtu < 576 || link.mtu > 65535) throw new UsageError('--mtu takes 576..65535');
        break;
      case '--pcap':
        link.pcap = value(i++, a);
        break;
      default:
        rest.push(a);
    }
  }
  if (link.netns !== null && (link.kind === 'memory' || link.kind === 'tun-fd')) {
    throw new UsageError('--netns goes with --tun or --tap');
  }
  return { link, explicit, rest };
}

/** A stack on its link, with whatever was created for it and how to undo it. */
export interface StackOnLink {
  readonly stack: Stack;
  /** For --memory: the in-process peer stack. */
  readonly peerStack: Stack | null;
  /** For --netns: the namespace (to run kernel-side programs in). */
  readonly netns: Netns | null;
  /** What `ready {json}` reports about the link. */
  readonly description: Record<string, unknown>;
  /** Stops the stack(s), flushes the capture, deletes what we created. Idempotent. */
  close(): Promise<void>;
}

/** Options for {@link setupStack}. */
export interface SetupOptions {
  /**
   * For --memory: run the standard services on the in-process peer stack
   * (TCP echo 7, discard 9, UDP echo 7, HTTP 80), so that client commands
   * (`tsip nc --memory 192.0.2.1 7`, `tsip get --memory http://192.0.2.1/`)
   * have something to talk to. Ignored for other links. Default false.
   */
  peerServices?: boolean;
}

/**
 * IPv6 on the CLI's stacks: no router solicitations (the peer is a host),
 * no MLD reports (nothing snoops a point-to-point link), no DAD delay (the
 * addresses are ours by construction; the kernel side is added `nodad`),
 * so that IPv6 works the moment `ready` is printed.
 */
const CLI_IPV6_CONFIG = { routerSolicitations: 0, mldReports: false, dadTransmits: 0 } as const;

/** Brings a stack up on the link `args` describe (IPv4 --addr/--peer and IPv6 --addr6/--peer6). */
export async function setupStack(args: LinkArgs, clock: Clock, id = 'tsip', options: SetupOptions = {}): Promise<StackOnLink> {
  const stackAddr = args.addr.split('/')[0]!;
  const peerAddr = args.peer.split('/')[0]!;
  let link: Link;
  let netns: Netns | null = null;
  let createdNetns = false;
  let peerStack: Stack | null = null;
  let peerServices: RunningServices | null = null;
  let device: string | null = null;

  if (args.kind === 'memory') {
    const [mine, theirs] = createMemoryPair(clock, { mtu: args.mtu, latencyUs: 50, namePrefix: 'mem' });
    link = mine;
    peerStack = new Stack({ clock, id: `${id}-peer` });
    peerStack.addInterface(theirs, { ipv4: [args.peer], ipv6: [args.peer6], ipv6Config: CLI_IPV6_CONFIG });
    if (options.peerServices === true) peerServices = await startServiceSet(peerStack, STANDARD_SERVICES);
  } else if (args.kind === 'tun-fd') {
    const t = TunLink.adopt(args.fd, { mtu: args.mtu });
    link = t;
    device = t.name;
  } else {
    const t = TunLink.open({ mode: args.kind, name: args.device, mtu: args.mtu });
    link = t;
    device = t.name;
    try {
      if (args.netns !== null) {
        const existing = await listNetns();
        if (existing.includes(args.netns)) netns = Netns.attach(args.netns);
        else {
          netns = await Netns.create(args.netns);
          createdNetns = true;
        }
        // Netns.addAddress adds IPv6 with `nodad`, usable at once.
        await netns.adoptDevice(t.name, { addresses: [args.peer, args.peer6], mtu: args.mtu });
      } else {
        // No namespace: the device stays where we are and the kernel's side gets --peer by ioctl.
        t.configure({ mtu: args.mtu, addresses: [args.peer], up: true });
      }
    } catch (e) {
      t.close();
      if (createdNetns) await netns?.delete();
      throw e;
    }
  }

  let writer: PcapWriter | null = null;
  if (args.pcap !== null) {
    writer = new PcapWriter({ clock, linkType: link.linkType, path: args.pcap });
    link = new PcapTap(link, writer);
  }
  const stack = new Stack({ clock, id });
  stack.addInterface(link, { ipv4: [args.addr], ipv6: [args.addr6], ipv6Config: CLI_IPV6_CONFIG, mtu: args.mtu });

  let closed = false;
  return {
    stack,
    peerStack,
    netns,
    description: {
      link: args.kind,
      device,
      netns: netns?.name ?? null,
      address: stackAddr,
      peer: peerAddr,
      address6: args.addr6.split('/')[0]!,
      peer6: args.peer6.split('/')[0]!,
      mtu: args.mtu,
      pcap: args.pcap,
    },
    close: async () => {
      if (closed) return;
      closed = true;
      stack.close();
      peerServices?.close();
      peerStack?.close();
      writer?.close();
      if (createdNetns) await netns?.delete();
    },
  };
}
