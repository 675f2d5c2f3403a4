import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../../core/address.js';
import { ACK, SYN } from '../../tcp/header.js';
import { formatEndpoint, type TcpPacketInfo } from './segments.js';

/**
 * Grouping the TCP segments of a capture into connections, by 4-tuple.
 * A SYN with a new initial sequence number on a 4-tuple already seen starts
 * a new connection (the port pair was reused), as tcptrace and Wireshark's
 * stream index do.
 */

/** The segments of one connection, both directions, in capture order. */
export interface TcpConnectionPackets {
  /** The active opener (sender of the SYN), or the sender of the first segment seen when the SYN is missing. */
  readonly client: string;
  readonly server: string;
  /** Client ISN from its SYN, or null when no SYN was captured. */
  readonly clientIsn: number | null;
  readonly packets: readonly TcpPacketInfo[];
}

interface Building {
  client: string;
  server: string;
  clientIsn: number | null;
  /** True once the roles come from a SYN or SYN-ACK rather than from who spoke first. */
  rolesKnown: boolean;
  packets: TcpPacketInfo[];
}

/** A key naming the 4-tuple whichever way the segment goes. */
function tupleKey(a: string, b: string): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

/** Splits segments into connections, in order of each connection's first segment. */
export function groupConnections(packets: Iterable<TcpPacketInfo>): TcpConnectionPackets[] {
  const all: Building[] = [];
  const current = new Map<string, Building>();
  for (const p of packets) {
    const key = tupleKey(p.src, p.dst);
    const syn = (p.flags & SYN) !== 0;
    const pureSyn = syn && (p.flags & ACK) === 0;
    let c = current.get(key);
    if (c !== undefined && pureSyn) {
      // A new incarnation of the 4-tuple: a SYN with another ISN, or any SYN
      // once the connection went past its handshake. (The other end's SYN
      // before that is a simultaneous open, RFC 9293 §3.5.)
      const established = c.packets.some((q) => (q.flags & SYN) === 0);
      const fresh = c.clientIsn !== null && c.client === p.src ? p.seq !== c.clientIsn : established;
      if (fresh) c = undefined;
    }
    if (c === undefined) {
      c = { client: p.src, server: p.dst, clientIsn: null, rolesKnown: false, packets: [] };
      if (syn && !pureSyn) {
        // First seen: a SYN-ACK, so its receiver opened the connection.
        c.client = p.dst;
        c.server = p.src;
        c.rolesKnown = true;
      }
      current.set(key, c);
      all.push(c);
    }
    if (pureSyn && c.clientIsn === null && !(c.rolesKnown && c.client !== p.src)) {
      c.client = p.src;
      c.server = p.dst;
      c.clientIsn = p.seq;
      c.rolesKnown = true;
    } else if (syn && !pureSyn && !c.rolesKnown) {
      c.client = p.dst;
      c.server = p.src;
      c.rolesKnown = true;
    }
    c.packets.push(p);
  }
  return all.map((c) => ({ client: c.client, server: c.server, clientIsn: c.clientIsn, packets: c.packets }));
}

/** `client-server`, the form `--conn` takes. */
export function connectionName(c: { client: string; server: string }): string {
  return `${c.client}-${c.server}`;
}

/**
 * Splits `A:P-B:P` (either address may be a bracketed IPv6 address) into
 * its two endpoints, or returns null when the text has another shape.
 */
export function parseConnectionName(text: string): [string, string] | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]:\d+|[0-9.]+:\d+)-(\[[0-9A-Fa-f:.]+\]:\d+|[0-9.]+:\d+)$/.exec(text.trim());
  return m === null ? null : [m[1]!, m[2]!];
}

/** True when connection `c` joins the two endpoints (in either order). */
export function connectionMatches(c: { client: string; server: string }, ends: readonly [string, string]): boolean {
  const [a, b] = ends.map(canonicalEndpoint) as [string, string];
  return (c.client === a && c.server === b) || (c.client === b && c.server === a);
}

/**
 * An endpoint as {@link formatEndpoint} writes it, so that `--conn` text
 * with a non-canonical IPv6 spelling still matches.
 */
export function canonicalEndpoint(text: string): string {
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(text);
  if (v6 !== null) {
    const a = parseIPv6(v6[1]!);
    return a === null ? text : formatEndpoint(formatIPv6(a), Number(v6[2]));
  }
  const v4 = /^([0-9.]+):(\d+)$/.exec(text);
  if (v4 !== null) {
    const a = parseIPv4(v4[1]!);
    return a === null ? text : formatEndpoint(formatIPv4(a), Number(v4[2]));
  }
  return text;
}
