import type { IpAddress } from '../ip/types.js';
import { ACK, SYN } from '../tcp/header.js';
import type { TcpPacket } from './ast.js';
import type { FlowLabelState, LivePacket } from './packet-matcher.js';

/**
 * The sockets a script talks about, and how their numbers map between the
 * script and the wire (conformance README §1.7; packetdrill socket.h and
 * run_packet.c). packetdrill follows one "socket under test" at a time:
 * the latest socket() or the child a listener got from an inbound packet;
 * packet lines carry no addresses and always mean that socket.
 */

/** packetdrill's socket states (socket.h `socket_state_t`). */
export type TrackedState =
  | 'new'
  | 'listening'
  | 'passive-packet-received'
  | 'passive-synack-sent'
  | 'passive-synack-acked'
  | 'active-connecting'
  | 'active-syn-sent'
  | 'active-syn-acked';

/** One endpoint of a connection as the wire sees it. */
export interface LiveEnd {
  ip: IpAddress | null;
  port: number;
}

/** A socket followed by the runner. */
export interface TrackedSocket {
  state: TrackedState;
  /** The script's descriptor (-1 for a passive child not accepted yet). */
  scriptFd: number;
  liveFd: number;
  /** AF_INET or AF_INET6. */
  domain: number;
  /** ISNs as the script writes them (taken from its SYN / SYN-ACK lines). */
  readonly script: { localIsn: number; remoteIsn: number };
  /** ISNs and endpoints on the wire. */
  readonly live: { localIsn: number; remoteIsn: number; local: LiveEnd; remote: LiveEnd };
  /** Outbound TS val, script value → live value (for inbound TS ecr). */
  readonly tsValMap: Map<number, number>;
  /** The first outbound TS val pairing: later live vals map to script space relative to it. */
  firstTs: { script: number; live: number } | null;
  readonly flow: FlowLabelState;
}

/** A fresh tracked socket. */
export function newTrackedSocket(state: TrackedState, domain: number): TrackedSocket {
  return {
    state,
    scriptFd: -1,
    liveFd: -1,
    domain,
    script: { localIsn: 0, remoteIsn: 0 },
    live: { localIsn: 0, remoteIsn: 0, local: { ip: null, port: 0 }, remote: { ip: null, port: 0 } },
    tsValMap: new Map(),
    firstTs: null,
    flow: { script: 0, live: 0 },
  };
}

/** Script → live offset of the peer's sequence numbers (socket.h remote_seq_script_to_live_offset). */
export function remoteSeqScriptToLive(s: TrackedSocket, isSyn: boolean): number {
  return isSyn ? 0 : s.live.remoteIsn;
}

/** Script → live offset of our sequence numbers (socket.h local_seq_script_to_live_offset). */
export function localSeqScriptToLive(s: TrackedSocket, isSyn: boolean): number {
  return isSyn ? (s.live.localIsn - s.script.localIsn) >>> 0 : s.live.localIsn;
}

function sameIp(a: IpAddress | null, b: IpAddress): boolean {
  if (a === null) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether a live packet leaves `s` on its known 4-tuple. */
export function isOutboundOf(s: TrackedSocket, p: LivePacket): boolean {
  const t = p.tcp!;
  return (
    sameIp(s.live.local.ip, p.src) && s.live.local.port === t.srcPort &&
    sameIp(s.live.remote.ip, p.dst) && s.live.remote.port === t.dstPort
  );
}

/**
 * A live SYN (no ACK) from a socket whose scripted SYN we are waiting for
 * (run_packet.c `find_connect_for_live_packet`): we learn its local
 * address, port and ISN from it. Returns true when it matched.
 */
export function learnFromConnectSyn(s: TrackedSocket, p: LivePacket): boolean {
  const t = p.tcp!;
  if ((t.flags & SYN) === 0 || (t.flags & ACK) !== 0 || s.state !== 'active-syn-sent') return false;
  if (!sameIp(s.live.remote.ip, p.dst) || s.live.remote.port !== t.dstPort) return false;
  s.live.local.ip = p.src;
  s.live.local.port = t.srcPort;
  s.live.localIsn = t.seq;
  return true;
}

/**
 * The socket a script packet refers to, creating a passive child when an
 * inbound packet reaches a listener (run_packet.c
 * `find_or_create_socket_for_script_packet`). `under` is the socket under
 * test; the result replaces it. `passive` gives the live endpoints of a new
 * child. Returns null when no socket fits.
 */
export function socketForScriptPacket(
  under: TrackedSocket | null,
  p: TcpPacket,
  passive: () => { local: LiveEnd; remote: LiveEnd; domain: number },
): { socket: TrackedSocket; created: boolean } | null {
  if (p.direction === '<' && (under === null || under.state === 'listening')) {
    // Any inbound segment to a listener stands for a new connection attempt.
    const ends = passive();
    const child = newTrackedSocket('passive-packet-received', ends.domain);
    child.script.remoteIsn = p.seq.start;
    child.live.remoteIsn = p.seq.start;
    child.live.local.ip = ends.local.ip;
    child.live.local.port = ends.local.port;
    child.live.remote.ip = ends.remote.ip;
    child.live.remote.port = ends.remote.port;
    return { socket: child, created: true };
  }
  if (under === null) return null;
  if (p.direction === '>' && p.flagBits.syn && !p.flagBits.ack && under.state === 'active-connecting') {
    under.state = 'active-syn-sent';
    under.script.localIsn = p.seq.start;
  }
  return { socket: under, created: false };
}
