import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Typed access to the native TUN/TAP addon (native/tun.c, built into
 * build/Release/tsip_tun.node by scripts/build-native.mjs).
 *
 * The addon is optional: it needs a C compiler at install time and only
 * works on Linux. Everything that does not touch TUN/TAP must work without
 * it, so nothing imports it eagerly; callers ask for it with
 * {@link loadTunNative} (throws a clear error) or {@link probeTunNative}.
 */

/** Result of opening a device: the non-blocking descriptor and the device's name. */
export interface TunOpenResult {
  readonly fd: number;
  readonly name: string;
}

/** What TUNGETIFF reports about an adopted descriptor. */
export interface TunAdoptResult extends TunOpenResult {
  readonly tap: boolean;
  readonly multiQueue: boolean;
}

/** An opaque handle of a running readable-watcher. */
export interface TunWatcherHandle {
  readonly __tsipTunWatcher: never;
}

/**
 * Errors thrown by the addon: `code` is the errno name (`'EBUSY'`), `errno`
 * its negative number, `syscall` the call that failed (`'TUNSETIFF'`).
 */
export interface TunNativeError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
}

/** The addon's exports. All descriptor arguments are plain fd numbers. */
export interface TunNative {
  /** Size the shared receive buffer must leave free before each read (max MTU + Ethernet/VLAN header). */
  readonly MAX_FRAME: number;
  /** Opens /dev/net/tun and attaches it to device `name` ("" = the kernel picks `tunN`/`tapN`). */
  open(name: string, tap: boolean, multiQueue: boolean): TunOpenResult;
  /** Takes over an inherited descriptor after checking it with TUNGETIFF; makes it non-blocking. */
  adopt(fd: number): TunAdoptResult;
  /** Closes a descriptor (stop its watcher first). */
  close(fd: number): void;
  /** SIOCSIFMTU by name, in the calling thread's network namespace. */
  setMtu(name: string, mtu: number): void;
  /** SIOCSIFFLAGS (IFF_UP) by name, in the calling thread's network namespace. */
  setUp(name: string, up: boolean): void;
  /** SIOCSIFADDR + SIOCSIFNETMASK; `address` is a host-order uint32. */
  addAddress4(name: string, address: number, prefixLength: number): void;
  /** SIOCSIFADDR on an AF_INET6 socket with struct in6_ifreq. */
  addAddress6(name: string, address: Uint8Array, prefixLength: number): void;
  /** SIOCGIFHWADDR on the descriptor: the device's own MAC (the kernel's side of a TAP). */
  getMac(fd: number): Buffer;
  /** SIOCSIFHWADDR on the descriptor. */
  setMac(fd: number, mac: Uint8Array): void;
  /** Writes one frame: 0, or the errno (EAGAIN = device queue full). Never throws for I/O. */
  write(fd: number, frame: Uint8Array): number;
  /** Writes frames[0..count) with one write() each; status[i] = 0 or errno. Returns how many were sent. */
  writeMany(fd: number, frames: readonly Uint8Array[], count: number, status: Int32Array): number;
  /**
   * Watches `fd` for readability; on each wake-up reads up to `maxFrames`
   * frames back to back into `buffer`, their lengths into `lengths`, and
   * calls `onBatch(count)` once. A negative count is -errno: the descriptor
   * failed and watching stopped.
   */
  watchShared(
    fd: number,
    buffer: ArrayBuffer,
    lengths: Int32Array,
    maxFrames: number,
    onBatch: (count: number) => void,
  ): TunWatcherHandle;
  /** As watchShared, but each frame arrives as its own freshly allocated Buffer. */
  watchBuffers(fd: number, maxFrames: number, onBatch: (count: number, frames?: Buffer[]) => void): TunWatcherHandle;
  /** Stops a watcher (idempotent). The descriptor stays open. */
  unwatch(handle: TunWatcherHandle): void;
  /** Whether an active watcher keeps the event loop alive (default true). */
  ref(handle: TunWatcherHandle, keepAlive: boolean): void;
}

/** Outcome of {@link probeTunNative}. */
export type TunNativeProbe = { ok: true; native: TunNative; path: string } | { ok: false; reason: string };

/** Message used when the addon file does not exist. */
export const ADDON_MISSING = 'native TUN addon not built: run npm install (needs a C compiler)';

/**
 * Where the built addon may be: next to the sources (src/link → ../../build)
 * or next to the compiled output (dist/src/link → ../../../build).
 * TSIP_TUN_ADDON overrides both.
 */
function candidatePaths(): string[] {
  const override = process.env.TSIP_TUN_ADDON;
  if (override) return [override];
  return [
    fileURLToPath(new URL('../../build/Release/tsip_tun.node', import.meta.url)),
    fileURLToPath(new URL('../../../build/Release/tsip_tun.node', import.meta.url)),
  ];
}

function isNative(mod: unknown): mod is TunNative {
  return typeof mod === 'object' && mod !== null && typeof (mod as { open?: unknown }).open === 'function';
}

/** Loads the addon if it is built and loadable; never throws. */
export function probeTunNative(): TunNativeProbe {
  if (process.platform !== 'linux') return { ok: false, reason: `TUN/TAP needs Linux (this is ${process.platform})` };
  const path = candidatePaths().find((p) => existsSync(p));
  if (path === undefined) return { ok: false, reason: ADDON_MISSING };
  try {
    // require() caches the module, so repeated probes are cheap.
    const mod: unknown = createRequire(import.meta.url)(path);
    if (!isNative(mod)) return { ok: false, reason: `${path} is not the tsip TUN addon` };
    return { ok: true, native: mod, path };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `native TUN addon ${path} failed to load (${msg}): rebuild with node scripts/build-native.mjs` };
  }
}

/** Loads the addon or throws an Error explaining how to build it. */
export function loadTunNative(): TunNative {
  const probe = probeTunNative();
  if (!probe.ok) throw new Error(probe.reason);
  return probe.native;
}

/** Narrows an unknown thrown value to an addon error (has string `code` and `syscall`). */
export function isTunNativeError(err: unknown): err is TunNativeError {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { syscall?: unknown }).syscall === 'string'
  );
}
