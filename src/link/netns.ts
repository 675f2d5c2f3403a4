import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseCidr } from '../core/address.js';
import { probeTunNative } from './tun-native.js';

/**
 * Linux network namespaces for tests and for the CLI: a private copy of the
 * kernel's network stack where a TUN/TAP device can be moved and configured
 * without touching the host's own interfaces, addresses or routes.
 *
 * The usual sequence (design.md §8):
 *   const ns = await Netns.create();            // ip netns add tsip-<random>
 *   const link = TunLink.open({ name: randomDeviceName() });
 *   await ns.adoptDevice(link.name, { addresses: ['192.0.2.1/24'], mtu: 1500 });
 *   await ns.exec('ping', ['-c', '1', '192.0.2.2']);
 *   link.close(); await ns.delete();
 * The open descriptor keeps working after the device moves: only the
 * kernel's side of the device changes namespace.
 *
 * Every command is run with an argument vector (no shell). Namespaces still
 * alive when the process exits, or gets SIGINT/SIGTERM, are deleted (and the
 * children started in them killed) by handlers installed while any exists.
 * That registry is per process on purpose: it tracks OS resources this
 * process created, not stack state.
 */

/** Exit status and output of a finished command. */
export interface ExecResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link Netns.exec}. */
export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long. Default 30 s. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
}

/** Kernel-side settings for a device that was moved into a namespace. */
export interface DeviceConfig {
  /** CIDR strings such as '192.0.2.1/24', '2001:db8::1/64' (IPv6 ones are added with `nodad`). */
  addresses?: readonly string[];
  mtu?: number;
  txqueuelen?: number;
}

/** Whether something is usable here, and if not, why. */
export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** A fresh namespace name: `tsip-` and 10 random hex digits. */
export function randomNetnsName(): string {
  return `tsip-${randomBytes(5).toString('hex')}`;
}

/** A fresh device name: `tsip` and 10 random hex digits (14 bytes, under IFNAMSIZ). */
export function randomDeviceName(): string {
  return `tsip${randomBytes(5).toString('hex')}`;
}

function checkName(kind: string, name: string, max: number): void {
  // A leading '-' would be read by `ip` as an option.
  if (!NAME_RE.test(name) || name.length > max) throw new RangeError(`bad ${kind} name '${name}'`);
}

/** Runs a command to completion; never rejects for a non-zero exit (only if it cannot be started). */
export function runCommand(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return runTracked(cmd, args, options, null);
}

function runTracked(
  cmd: string,
  args: readonly string[],
  options: ExecOptions,
  track: Set<ChildProcess> | null,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    track?.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      track?.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      track?.delete(child);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {
      // The command may exit without reading its input; that is its business.
    });
    child.stdin.end(options.input);
  });
}

/** Runs `ip ARGS`, resolving with stdout and rejecting with stderr on failure. */
async function ip(args: readonly string[]): Promise<string> {
  const r = await runCommand('ip', args, { timeoutMs: 15_000 });
  if (r.code !== 0) {
    throw new Error(`ip ${args.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/* ---- cleanup of whatever is left at exit ---- */

const live = new Set<Netns>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function cleanupAllSync(): void {
  for (const ns of [...live]) ns.deleteSync();
}

function onExit(): void {
  cleanupAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  // If nobody else handles the signal, restore the default action and re-raise
  // it so the process still dies of it (exit status 128+n, as the shell expects).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function register(ns: Netns): void {
  if (live.size === 0) {
    process.on('exit', onExit);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  live.add(ns);
}

function unregister(ns: Netns): void {
  if (!live.delete(ns) || live.size !== 0) return;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** One network namespace created by this process. */
export class Netns {
  private readonly children = new Set<ChildProcess>();
  private gone = false;

  private constructor(readonly name: string) {}

  /**
   * A handle on a namespace that already exists (made by someone else). It
   * is not registered for cleanup: this process deletes it only if asked to.
   */
  static attach(name: string): Netns {
    checkName('namespace', name, 64);
    return new Netns(name);
  }

  /** Creates a namespace (`ip netns add`), named `tsip-<random>` unless given. Needs root. */
  static async create(name: string = randomNetnsName()): Promise<Netns> {
    checkName('namespace', name, 64);
    await ip(['netns', 'add', name]);
    const ns = new Netns(name);
    register(ns);
    return ns;
  }

  /** Whether delete() has run. */
  get deleted(): boolean {
    return this.gone;
  }

  /** Runs `ip -n NAME ARGS` (resolves with stdout, rejects on failure). */
  ip(args: readonly string[]): Promise<string> {
    return ip(['-n', this.name, ...args]);
  }

  /** Moves a device from the host namespace into this one; open descriptors keep working. */
  async moveDevice(dev: string): Promise<void> {
    checkName('device', dev, 15);
    await ip(['link', 'set', 'dev', dev, 'netns', this.name]);
  }

  /** Adds an address to a device in this namespace. IPv6 addresses skip DAD so they are usable at once. */
  async addAddress(dev: string, cidr: string): Promise<void> {
    checkName('device', dev, 15);
    const parsed = parseCidr(cidr);
    if (parsed === null) throw new RangeError(`bad address '${cidr}'`);
    const args = ['addr', 'add', cidr, 'dev', dev];
    if (parsed.family === 6) args.push('nodad');
    await this.ip(args);
  }

  /** Brings a device up, optionally setting its MTU and transmit queue length first. */
  async setLinkUp(dev: string, options: { mtu?: number; txqueuelen?: number } = {}): Promise<void> {
    checkName('device', dev, 15);
    const args = ['link', 'set', 'dev', dev];
    if (options.mtu !== undefined) args.push('mtu', String(options.mtu));
    if (options.txqueuelen !== undefined) args.push('txqueuelen', String(options.txqueuelen));
    args.push('up');
    await this.ip(args);
  }

  /** Brings up `lo` (a new namespace starts with it down). */
  async loopbackUp(): Promise<void> {
    await this.ip(['link', 'set', 'dev', 'lo', 'up']);
  }

  /** moveDevice + addresses + lo up + device up: the kernel side ready to talk. */
  async adoptDevice(dev: string, config: DeviceConfig = {}): Promise<void> {
    await this.moveDevice(dev);
    for (const a of config.addresses ?? []) await this.addAddress(dev, a);
    await this.loopbackUp();
    const up: { mtu?: number; txqueuelen?: number } = {};
    if (config.mtu !== undefined) up.mtu = config.mtu;
    if (config.txqueuelen !== undefined) up.txqueuelen = config.txqueuelen;
    await this.setLinkUp(dev, up);
  }

  /** Runs a command inside the namespace to completion (`ip netns exec NAME CMD ARGS`). */
  exec(cmd: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    this.assertLive();
    return runTracked('ip', ['netns', 'exec', this.name, cmd, ...args], options, this.children);
  }

  /** Starts a long-running command inside the namespace; it is killed by delete() if still running. */
  spawn(cmd: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    this.assertLive();
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], options);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Kills what runs inside, then deletes the namespace (devices in it go with it). Idempotent. */
  async delete(): Promise<void> {
    if (this.gone) return;
    this.killChildren();
    this.gone = true;
    unregister(this);
    await ip(['netns', 'del', this.name]);
  }

  /** delete() for exit handlers, where only synchronous work runs. Never throws. */
  deleteSync(): void {
    if (this.gone) return;
    this.killChildren();
    this.gone = true;
    unregister(this);
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // Already gone, or we are dying anyway: nothing more we can do.
    }
  }

  private killChildren(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.children.clear();
  }

  private assertLive(): void {
    if (this.gone) throw new Error(`network namespace ${this.name} was deleted`);
  }
}

/** Lists namespace names (`ip netns list`), e.g. to check that none of ours is left. */
export async function listNetns(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

function effectiveCaps(): bigint | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : null;
  } catch {
    return null;
  }
}

function hasCap(bit: bigint): boolean {
  const caps = effectiveCaps();
  if (caps === null) return process.getuid?.() === 0;
  return ((caps >> bit) & 1n) === 1n;
}

/** Whether TUN/TAP links can be opened here: Linux, /dev/net/tun, CAP_NET_ADMIN, the addon built. */
export function tunAvailable(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `TUN/TAP needs Linux (this is ${process.platform})` };
  if (!existsSync('/dev/net/tun')) {
    return { ok: false, reason: '/dev/net/tun is missing (modprobe tun, or run the container with --device /dev/net/tun)' };
  }
  if (!hasCap(CAP_NET_ADMIN)) {
    return { ok: false, reason: `opening TUN/TAP needs root or CAP_NET_ADMIN (uid ${process.getuid?.() ?? '?'}), or pass --tun-fd` };
  }
  const probe = probeTunNative();
  if (!probe.ok) return { ok: false, reason: probe.reason };
  return { ok: true };
}

/** Whether `ip netns` works here: Linux, the `ip` tool, CAP_SYS_ADMIN and CAP_NET_ADMIN. */
export function netnsAvailable(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (!hasCap(CAP_SYS_ADMIN) || !hasCap(CAP_NET_ADMIN)) {
    return { ok: false, reason: 'ip netns needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)' };
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    return { ok: false, reason: "the 'ip' tool (iproute2) is not installed" };
  }
  return { ok: true };
}
