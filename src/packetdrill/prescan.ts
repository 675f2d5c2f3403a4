import type { TcpConfig } from '../tcp/config.js';
import type { Script } from './ast.js';
import type { ProfileName } from './config.js';
import { interpretShell } from './shell.js';
import { SUPPORTED_SYSCALLS } from './syscalls.js';

/**
 * What a script needs before it runs: its command-line options, the sysctl
 * profile its init command selects, and whether everything in it is
 * something this runner can reproduce on tsip. An unsupported script is
 * skipped with the reason, never run half-way.
 */

/** Run settings read from the script's `--name=value` lines. */
export interface ScriptSettings {
  /** `--ip_version`: 4, 6, or null when not given. */
  readonly ipVersion: 4 | 6 | null;
  /** `--mtu`, or null for the run's default. */
  readonly mtu: number | null;
  /** `--tcp_ts_tick_usecs` (0: TS val unchecked). */
  readonly tsTickUs: number;
  /** `--strict_segments`: no TSO-style aggregation of outbound segments. */
  readonly strictSegments: boolean;
  /** `--tcp_ts_ecr_scaled`: infer inbound TS ecr values that no outbound TS val matches. */
  readonly tsEcrScaled: boolean;
  /** `--bind_port` / `--connect_port`, or null. */
  readonly port: number | null;
}

/** The outcome of the scan. */
export type Prescan =
  | {
      readonly ok: true;
      readonly settings: ScriptSettings;
      /** defaults.sh ran in the init command. */
      readonly usesDefaults: boolean;
      /** Sysctls of the init command. */
      readonly sysctls: Partial<TcpConfig>;
    }
  | { readonly ok: false; readonly reason: string };

/** Options that change nothing here: addresses (ours are fixed), wire-mode and device plumbing. */
const IGNORED_OPTIONS = new Set([
  'tolerance_usecs', 'tolerance_percent', 'local_ip', 'remote_ip', 'gateway_ip', 'netmask_ip', 'speed',
  'init_scripts', 'wire_client', 'wire_server', 'wire_server_ip', 'wire_server_port', 'wire_client_dev',
  'wire_server_dev', 'verbose', 'non_fatal',
]);

function intOption(v: string | null): number | null {
  return v !== null && /^[0-9]+$/.test(v) ? Number(v) : null;
}

/** Scans a parsed script. Never throws. */
export function prescan(script: Script): Prescan {
  let ipVersion: 4 | 6 | null = null;
  let mtu: number | null = null;
  let tsTickUs = 0;
  let strictSegments = false;
  let tsEcrScaled = false;
  let port: number | null = null;
  for (const o of script.options) {
    switch (o.name) {
      case 'ip_version':
        if (o.value === 'ipv4') ipVersion = 4;
        else if (o.value === 'ipv6') ipVersion = 6;
        else return { ok: false, reason: `--ip_version=${o.value ?? ''} is not supported (ipv4 or ipv6 only)` };
        break;
      case 'mtu': {
        const v = intOption(o.value);
        if (v === null || v < 576 || v > 65535) return { ok: false, reason: `bad --mtu=${o.value ?? ''}` };
        mtu = v;
        break;
      }
      case 'tcp_ts_tick_usecs': {
        const v = intOption(o.value);
        if (v === null) return { ok: false, reason: `bad --tcp_ts_tick_usecs=${o.value ?? ''}` };
        tsTickUs = v;
        break;
      }
      case 'strict_segments':
        strictSegments = true;
        break;
      case 'tcp_ts_ecr_scaled':
        tsEcrScaled = true;
        break;
      case 'bind_port':
      case 'connect_port': {
        const v = intOption(o.value);
        if (v === null || v > 65535) return { ok: false, reason: `bad --${o.name}=${o.value ?? ''}` };
        port = v;
        break;
      }
      default:
        if (!IGNORED_OPTIONS.has(o.name)) return { ok: false, reason: `option --${o.name} is not supported` };
    }
  }

  let usesDefaults = false;
  let sysctls: Partial<TcpConfig> = {};
  if (script.initCommand !== null) {
    const r = interpretShell(script.initCommand.command);
    if (!r.ok) return { ok: false, reason: r.reason };
    usesDefaults = r.effect.usesDefaults;
    sysctls = r.effect.sysctls;
  }
  if (script.cleanupCommand !== null) {
    const r = interpretShell(script.cleanupCommand.command);
    if (!r.ok) return { ok: false, reason: `cleanup: ${r.reason}` };
  }

  for (const e of script.events) {
    const a = e.action;
    if (a.type === 'shell') {
      const r = interpretShell(a.command);
      if (!r.ok) return { ok: false, reason: `line ${e.line}: ${r.reason}` };
      if (r.effect.usesDefaults) return { ok: false, reason: `line ${e.line}: defaults.sh in the middle of a script` };
    } else if (a.type === 'syscall') {
      if (!SUPPORTED_SYSCALLS.has(a.name)) return { ok: false, reason: `line ${e.line}: system call ${a.name}() is not supported` };
    } else if (a.type === 'packet' && a.protocol !== 'tcp') {
      return { ok: false, reason: `line ${e.line}: ${a.protocol.toUpperCase()} packet lines are not supported` };
    }
  }
  return { ok: true, settings: { ipVersion, mtu, tsTickUs, strictSegments, tsEcrScaled, port }, usesDefaults, sysctls };
}

/** The profile a script runs with: defaults.sh when its init command runs it, else the base. */
export function profileOf(usesDefaults: boolean, base: Exclude<ProfileName, 'defaults'>): ProfileName {
  return usesDefaults ? 'defaults' : base;
}
