import type { IpAddress } from '../ip/types.js';
import type { BsdSys } from '../socket/bsd/sys.js';
import type { SockAddr } from '../socket/bsd/types.js';
import type { RunEndpoints } from './config.js';
import { newTrackedSocket, type LiveEnd, type TrackedSocket } from './sockets.js';
import { ArgError } from './syscall-args.js';
import type { SyscallHost } from './syscalls.js';

/** First remote port of passive connections (packetdrill takes a fresh ephemeral port each). */
const FIRST_REMOTE_PORT = 40000;

/**
 * The descriptors and sockets of a run (packetdrill's fd list and
 * `socket_under_test`): script descriptors map to live ones, socket(),
 * listen(), accept(), connect() and close() move sockets through
 * packetdrill's states, and the newest socket is the one packet lines mean.
 */
export class SocketTable implements SyscallHost {
  /** Every socket followed, newest last. */
  readonly sockets: TrackedSocket[] = [];
  private readonly fds = new Map<number, TrackedSocket>();
  /** The socket under test. */
  under: TrackedSocket | null = null;
  private nextRemotePort = FIRST_REMOTE_PORT;

  constructor(
    readonly sys: BsdSys,
    readonly endpoints: RunEndpoints,
    private readonly localIp: IpAddress,
    private readonly remoteIp: IpAddress,
  ) {}

  private tracked(scriptFd: number): TrackedSocket {
    const s = this.fds.get(scriptFd);
    if (s === undefined) throw new ArgError(`unable to find fd with script fd ${scriptFd}`);
    return s;
  }

  liveFd(scriptFd: number): number {
    return this.tracked(scriptFd).liveFd;
  }

  domainOf(scriptFd: number): number {
    return this.tracked(scriptFd).domain;
  }

  socketCreated(scriptFd: number, liveFd: number, domain: number): string | null {
    if (scriptFd < 0) return `invalid socket fd ${scriptFd} in script`;
    if (this.fds.has(scriptFd)) return `duplicate fd ${scriptFd} in script`;
    const s = newTrackedSocket('new', domain);
    s.scriptFd = scriptFd;
    s.liveFd = liveFd;
    this.sockets.push(s);
    this.fds.set(scriptFd, s);
    this.under = s;
    return null;
  }

  listened(scriptFd: number): void {
    this.tracked(scriptFd).state = 'listening';
  }

  /**
   * The passive child an accept() returned: the newest child not accepted
   * yet whose SYN-ACK went out (run_system_call.c `run_syscall_accept`).
   */
  accepted(scriptFd: number, liveFd: number, peer: SockAddr | undefined): string | null {
    if (this.fds.has(scriptFd)) return `duplicate fd ${scriptFd} in script`;
    for (let i = this.sockets.length - 1; i >= 0; i--) {
      const s = this.sockets[i]!;
      if (s.scriptFd !== -1 || (s.state !== 'passive-synack-sent' && s.state !== 'passive-synack-acked')) continue;
      if (peer !== undefined && peer.port !== s.live.remote.port) continue;
      s.scriptFd = scriptFd;
      s.liveFd = liveFd;
      this.fds.set(scriptFd, s);
      return null;
    }
    return 'unable to find socket matching accept() call';
  }

  connecting(scriptFd: number, unspec: boolean): void {
    const s = this.tracked(scriptFd);
    if (unspec) {
      s.state = 'new';
      return;
    }
    if (s.state !== 'new') return;
    s.state = 'active-connecting';
    s.live.remote.ip = this.remoteIp;
    s.live.remote.port = this.endpoints.port;
    s.live.local.ip = null;
    s.live.local.port = 0;
  }

  closed(scriptFd: number): void {
    this.fds.delete(scriptFd);
  }

  /** Live endpoints of a new passive connection: a fresh remote port to our bound port. */
  passiveEnds(): { local: LiveEnd; remote: LiveEnd; domain: number } {
    return {
      local: { ip: this.localIp, port: this.endpoints.port },
      remote: { ip: this.remoteIp, port: this.nextRemotePort++ },
      domain: this.endpoints.family === 6 ? 10 : 2,
    };
  }

  /** Follows a new passive child: it becomes the socket under test. */
  adopt(s: TrackedSocket): void {
    this.sockets.push(s);
    this.under = s;
  }
}
