import type { ChildProcess } from 'node:child_process';
import { listNetns, Netns, randomDeviceName } from '../link/netns.js';
import { TunLink } from '../link/tun-link.js';
import { defaultAddressPlan, type AddressPlan } from './addresses.js';
import type { FuzzTarget, OutputHandler, TargetFactory } from './target.js';

/** Options for {@link TunTarget.open}. */
export interface TunTargetOptions {
  /** Use this namespace (created if missing, and then deleted at the end); default: a fresh `tsip-<random>`. */
  netns?: string;
  /** Fuzz IPv6 too (default true). */
  ipv6?: boolean;
  /** Default 1500. */
  mtu?: number;
}

/**
 * A tiny echo server for the kernel's side (TCP and UDP, port 7, IPv4 and
 * IPv6), run with python3 inside the namespace; asyncio, so that many
 * half-dead fuzz connections cannot exhaust threads. Prints "ready" once listening.
 */
const ECHO_SERVER = `
import asyncio, sys
class Udp(asyncio.DatagramProtocol):
    def connection_made(self, t): self.t = t
    def datagram_received(self, d, a): self.t.sendto(d, a)
async def echo(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d: break
            w.write(d)
            await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def main(hosts):
    srv = await asyncio.start_server(echo, host=hosts, port=7, backlog=1024, reuse_address=True)
    loop = asyncio.get_running_loop()
    for h in hosts:
        await loop.create_datagram_endpoint(Udp, local_addr=(h, 7))
    print("ready", flush=True)
    async with srv:
        await srv.serve_forever()
asyncio.run(main(sys.argv[1:]))
`;

/**
 * The Linux kernel as the fuzz target: a TUN device moved into a network
 * namespace created for the run, the kernel's side 192.0.2.1/24 and
 * 2001:db8::1/64, with a python3 echo server on port 7; the fuzzer writes
 * IP packets into the device as 192.0.2.2 / 2001:db8::2. Nothing touches
 * the host's own namespace, and every address on the wire stays in the
 * documentation ranges (the plan is `restricted`).
 */
export class TunTarget implements FuzzTarget {
  readonly kind = 'tun';
  readonly virtualTime = false;
  readonly plan: AddressPlan;
  readonly mtu: number;
  private readonly startMs = performance.now();
  private closed = false;

  private constructor(
    private readonly ns: Netns,
    private readonly ownsNamespace: boolean,
    private readonly link: TunLink,
    private readonly server: ChildProcess,
    ipv6: boolean,
    mtu: number,
  ) {
    this.plan = defaultAddressPlan({ restricted: true, ipv6 });
    this.mtu = mtu;
  }

  /** Creates the namespace, device, addresses and echo server. Cleans up whatever was made if a step fails. */
  static async open(options: TunTargetOptions = {}): Promise<TunTarget> {
    const ipv6 = options.ipv6 ?? true;
    const mtu = options.mtu ?? 1500;
    let ns: Netns | null = null;
    let owns = false;
    let link: TunLink | null = null;
    try {
      if (options.netns !== undefined && (await listNetns()).includes(options.netns)) {
        ns = Netns.attach(options.netns);
      } else {
        ns = await Netns.create(options.netns);
        owns = true;
      }
      const name = randomDeviceName();
      link = TunLink.open({ mode: 'tun', name, mtu });
      const addresses = ['192.0.2.1/24', ...(ipv6 ? ['2001:db8::1/64'] : [])];
      await ns.adoptDevice(name, { addresses, mtu });
      const server = ns.spawn('python3', ['-c', ECHO_SERVER, '192.0.2.1', ...(ipv6 ? ['2001:db8::1'] : [])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await waitForReady(server);
      return new TunTarget(ns, owns, link, server, ipv6, mtu);
    } catch (e) {
      link?.close();
      if (owns) await ns?.delete();
      throw e;
    }
  }

  inject(packet: Uint8Array): void {
    this.link.send(packet);
  }

  advance(us: number): Promise<void> {
    // Real time: at least one turn of the event loop, so the device is read and written.
    if (us < 1_000) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => setTimeout(resolve, Math.ceil(us / 1_000)));
  }

  now(): number {
    return Math.round((performance.now() - this.startMs) * 1_000);
  }

  setOutput(handler: OutputHandler | null): void {
    this.link.setReceiver(handler);
  }

  describe(): string {
    return `Linux kernel in network namespace ${this.ns.name} behind TUN ${this.link.name} (192.0.2.1/24${this.plan.ipv6 ? ', 2001:db8::1/64' : ''}, python3 TCP/UDP echo on 7)`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.link.close();
    if (this.server.exitCode === null && this.server.signalCode === null) this.server.kill('SIGKILL');
    if (this.ownsNamespace) await this.ns.delete();
  }
}

function waitForReady(server: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`echo server in the namespace did not start: ${err.trim()}`)), 15_000);
    server.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`echo server in the namespace exited (${code}): ${err.trim()}`));
    });
  });
}

/** Factory for `--target tun`; `netns` names the namespace to use. */
export function tunTargetFactory(options: TunTargetOptions = {}): TargetFactory {
  return async () => TunTarget.open(options);
}
