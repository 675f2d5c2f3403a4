import type { TcpConfig } from '../tcp/config.js';

/**
 * Back-quoted shell commands of packetdrill scripts, interpreted instead of
 * run (conformance README §1.8). Nothing is ever executed: a command we
 * recognise becomes stack configuration, and any other command makes the
 * script unsupported (the runner reports it as SKIP), because its effect on
 * Linux (a qdisc, a route, a file) has no counterpart here.
 *
 * Recognised:
 * - `…/defaults.sh`: the Linux profile of config.ts;
 * - `…/set_sysctls.py /proc/sys/net/ipv4/NAME=VALUE …` and
 *   `sysctl [-q] [-w] net.ipv4.NAME=VALUE …`: the sysctls in {@link SYSCTLS};
 * - `ethtool -K DEV tso|gso|gro … on|off`: a no-op (tsip has no offloads);
 * - `…/sysctl_restore_${PPID}.sh` (the cleanup of set_sysctls.py): ignored.
 */

/** What a command does to the run. */
export interface ShellEffect {
  /** The command ran defaults.sh. */
  readonly usesDefaults: boolean;
  /** Stack TCP settings from sysctls (later ones win). */
  readonly sysctls: Partial<TcpConfig>;
}

/** The interpretation of a command: its effect, or why the script cannot run here. */
export type ShellOutcome = { readonly ok: true; readonly effect: ShellEffect } | { readonly ok: false; readonly reason: string };

type SysctlResult = Partial<TcpConfig> | 'noop' | null;

function intValue(v: string): number | null {
  return /^-?[0-9]+$/.test(v) ? Number(v) : null;
}

function flag(key: keyof TcpConfig): (v: string) => SysctlResult {
  return (v) => {
    const n = intValue(v);
    return n === 0 || n === 1 ? { [key]: n === 1 } : null;
  };
}

function count(key: keyof TcpConfig, min = 0): (v: string) => SysctlResult {
  return (v) => {
    const n = intValue(v);
    return n !== null && n >= min ? { [key]: n } : null;
  };
}

function seconds(key: keyof TcpConfig): (v: string) => SysctlResult {
  return (v) => {
    const n = intValue(v);
    return n !== null && n > 0 ? { [key]: n * 1_000_000 } : null;
  };
}

function triple(key: 'rmem' | 'wmem'): (v: string) => SysctlResult {
  return (v) => {
    const parts = v.trim().split(/\s+/).map(intValue);
    if (parts.length !== 3 || parts.some((p) => p === null || p <= 0)) return null;
    return { [key]: parts as [number, number, number] };
  };
}

/**
 * net.ipv4.* sysctls with a tsip counterpart, keyed by their name under
 * net/ipv4. 'noop' entries tune Linux mechanisms tsip does not have (TSO
 * deferral; ECN, which tsip never negotiates, when switched off), so setting
 * them changes nothing.
 */
const SYSCTLS: Readonly<Record<string, (v: string) => SysctlResult>> = {
  tcp_syn_retries: count('synRetries', 1),
  tcp_synack_retries: count('synackRetries', 1),
  tcp_timestamps: flag('timestamps'),
  tcp_sack: flag('sack'),
  tcp_dsack: flag('dsack'),
  tcp_window_scaling: flag('windowScaling'),
  tcp_slow_start_after_idle: flag('slowStartAfterIdle'),
  tcp_moderate_rcvbuf: flag('moderateRcvbuf'),
  tcp_syncookies: (v) => {
    const n = intValue(v);
    return n === 0 || n === 1 || n === 2 ? { syncookies: n } : null;
  },
  tcp_reordering: count('reordering', 1),
  tcp_retries2: count('retries2', 1),
  tcp_orphan_retries: count('orphanRetries'),
  tcp_fin_timeout: seconds('finTimeoutUs'),
  tcp_keepalive_time: seconds('keepaliveTimeUs'),
  tcp_keepalive_intvl: seconds('keepaliveIntvlUs'),
  tcp_keepalive_probes: count('keepaliveProbes', 1),
  tcp_challenge_ack_limit: count('challengeAckLimit'),
  tcp_rmem: triple('rmem'),
  tcp_wmem: triple('wmem'),
  tcp_congestion_control: (v) => (v === 'cubic' ? { congestionControl: 'cubic' } : v === 'reno' ? { congestionControl: 'newreno' } : null),
  // tcp_recovery bit 0 is RACK; tcp_early_retrans >= 3 enables TLP.
  tcp_recovery: (v) => {
    const n = intValue(v);
    return n === null || n < 0 ? null : { rack: (n & 1) === 1 };
  },
  tcp_early_retrans: (v) => {
    const n = intValue(v);
    return n === null || n < 0 || n > 4 ? null : { tlp: n >= 3 };
  },
  // tsip never negotiates ECN: only "off" is something we can honour.
  tcp_ecn: (v) => (v === '0' ? 'noop' : null),
  tcp_min_tso_segs: count('minTsoSegs', 1),
  tcp_tso_win_divisor: (v) => (intValue(v) !== null ? 'noop' : null),
};

/** Applies one `NAME=VALUE` (NAME under net.ipv4); null when unsupported. */
function applySysctl(name: string, value: string, into: Record<string, unknown>): string | null {
  const f = SYSCTLS[name];
  if (f === undefined) return `sysctl net.ipv4.${name} has no tsip counterpart`;
  const r = f(value);
  if (r === null) return `sysctl net.ipv4.${name}=${value} is not supported`;
  if (r !== 'noop') Object.assign(into, r);
  return null;
}

/**
 * Splits a command into simple commands (at newlines, `;` and `&&` outside
 * quotes) made of words, joining backslash-continued lines and removing
 * single and double quotes (`tcp_rmem="4096 87380 6291456"` is one word).
 */
function simpleCommands(command: string): string[][] {
  const text = command.replace(/\\\r?\n/g, ' ');
  const out: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  const endWord = (): void => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) out.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\n' || ch === ';' || (ch === '&' && text[i + 1] === '&')) {
      if (ch === '&') i++;
      endCommand();
    } else if (/\s/.test(ch)) {
      endWord();
    } else {
      word = (word ?? '') + ch;
    }
  }
  endCommand();
  return out;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

const PROC_IPV4 = '/proc/sys/net/ipv4/';
const ETHTOOL_FEATURES = new Set(['tso', 'gso', 'gro', 'lro', 'sg', 'tx', 'rx']);

/**
 * Interprets a back-quoted command. Never runs anything; never throws.
 * A script whose command is not recognised cannot be run faithfully, and
 * the reason says which part was not understood.
 */
export function interpretShell(command: string): ShellOutcome {
  let usesDefaults = false;
  const sysctls: Record<string, unknown> = {};
  for (const words of simpleCommands(command)) {
    const cmd = words[0]!;
    const name = basename(cmd);
    if (name === 'defaults.sh') {
      if (words.length > 1) return { ok: false, reason: `defaults.sh with arguments: ${words.join(' ')}` };
      usesDefaults = true;
      continue;
    }
    if (/^sysctl_restore_.*\.sh$/.test(name)) continue;
    if (name === 'set_sysctls.py') {
      for (const arg of words.slice(1)) {
        const eq = arg.indexOf('=');
        if (!arg.startsWith(PROC_IPV4) || eq < 0) return { ok: false, reason: `set_sysctls.py ${arg} is not a net.ipv4 sysctl` };
        const err = applySysctl(arg.slice(PROC_IPV4.length, eq), arg.slice(eq + 1), sysctls);
        if (err !== null) return { ok: false, reason: err };
      }
      continue;
    }
    if (cmd === 'sysctl') {
      for (const arg of words.slice(1)) {
        if (arg === '-q' || arg === '-w' || arg === '-qw' || arg === '-wq') continue;
        const eq = arg.indexOf('=');
        if (!arg.startsWith('net.ipv4.') || eq < 0) return { ok: false, reason: `sysctl ${arg} is not a net.ipv4 setting` };
        const err = applySysctl(arg.slice('net.ipv4.'.length, eq), arg.slice(eq + 1), sysctls);
        if (err !== null) return { ok: false, reason: err };
      }
      continue;
    }
    if (cmd === 'ethtool' && words[1] === '-K' && words.length >= 5 && words.length % 2 === 1) {
      // `ethtool -K DEV feature on|off ...`: tsip has no segmentation offloads to switch.
      let ok = true;
      for (let i = 3; i < words.length; i += 2) {
        if (!ETHTOOL_FEATURES.has(words[i]!) || (words[i + 1] !== 'on' && words[i + 1] !== 'off')) ok = false;
      }
      if (ok) continue;
    }
    return { ok: false, reason: `shell command not supported: ${words.join(' ')}` };
  }
  return { ok: true, effect: { usesDefaults, sysctls: sysctls as Partial<TcpConfig> } };
}
