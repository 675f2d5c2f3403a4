import { formatIPv4, parseIPv4, readIPv4 } from '../../core/address.js';
import type { StackContext } from '../../core/context.js';
import { ERRNO } from '../../core/errno.js';
import { Timer } from '../../core/scheduler.js';
import type { IpStack } from '../../ip/ip-layer.js';
import { mapV4 } from '../../udp/addresses.js';
import { abortError } from './blocking.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, EAI_AGAIN, EAI_BADFLAGS, EAI_FAMILY, EAI_NONAME, EAI_SERVICE, EAI_SOCKTYPE, IPPROTO_TCP,
  IPPROTO_UDP, POLLIN, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_STREAM,
} from './constants.js';
import {
  answerAddresses, buildDnsQuery, DNS_CLASS_IN, DNS_RCODE_NOERROR, DNS_RCODE_NXDOMAIN, DNS_TYPE_A, DNS_TYPE_AAAA,
  type DnsMessage, encodeDnsName, parseDnsMessage, sameDnsName,
} from './dns.js';
import { inet_ntop, inet_pton } from './inet.js';
import type { BsdSys } from './sys.js';
import type { SockAddr } from './types.js';

/** getaddrinfo hints (struct addrinfo's ai_flags, ai_family, ai_socktype, ai_protocol). */
export interface AddrInfoHints {
  readonly flags?: number;
  /** AF_UNSPEC (default), AF_INET or AF_INET6. */
  readonly family?: number;
  /** 0 (default: every type), SOCK_STREAM, SOCK_DGRAM or SOCK_RAW. */
  readonly socktype?: number;
  readonly protocol?: number;
}

/** One result (struct addrinfo). */
export interface AddrInfo {
  readonly family: number;
  readonly socktype: number;
  readonly protocol: number;
  readonly address: SockAddr;
  /** With AI_CANONNAME, on the first result: the canonical name (the end of a CNAME chain). */
  readonly canonname?: string;
}

/** EAI_* names by value (glibc netdb.h). */
const EAI_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'EAI_BADFLAGS', [-2]: 'EAI_NONAME', [-3]: 'EAI_AGAIN', [-4]: 'EAI_FAIL', [-6]: 'EAI_FAMILY',
  [-7]: 'EAI_SOCKTYPE', [-8]: 'EAI_SERVICE', [-9]: 'EAI_ADDRFAMILY', [-10]: 'EAI_MEMORY', [-11]: 'EAI_SYSTEM',
};

/** glibc EAI_ADDRFAMILY: the host has no address of the family asked for. */
export const EAI_ADDRFAMILY = -9;

/** A getaddrinfo failure: `code` is the EAI_* name, `errno` its (negative) value, as getaddrinfo returns it. */
export class AddrInfoError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall = 'getaddrinfo';
  constructor(
    errno: number,
    readonly hostname: string | null,
  ) {
    super(`getaddrinfo ${EAI_NAMES[errno] ?? errno}${hostname !== null ? ` ${hostname}` : ''}`);
    this.name = 'AddrInfoError';
    this.errno = errno;
    this.code = EAI_NAMES[errno] ?? 'EAI_SYSTEM';
  }
}

/** Resolver configuration: the hosts table, name servers, and resolv.conf's timeout and attempts. */
export interface ResolverOptions {
  /** name → addresses, as /etc/hosts. `localhost` is 127.0.0.1 and ::1 unless given. */
  readonly hosts?: Readonly<Record<string, string | readonly string[]>>;
  /** IPv4 name servers, `'192.0.2.53'` or `{ address, port }` (port 53 by default). */
  readonly nameservers?: readonly (string | { readonly address: string; readonly port?: number })[];
  /** Time to wait for each answer, ms (resolv.conf `timeout:`, default 5000). */
  readonly timeoutMs?: number;
  /** Rounds over the name servers (resolv.conf `attempts:`, default 2). */
  readonly attempts?: number;
  /** Service names → ports (as /etc/services). Default: a few well-known ones. */
  readonly services?: Readonly<Record<string, number>>;
}

const DEFAULT_SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, ntp: 123, imap: 143, https: 443,
};

const AI_KNOWN = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG | AI_NUMERICSERV;

interface Nameserver {
  readonly ip: number;
  readonly port: number;
}

type QueryOutcome = { readonly addresses: Uint8Array[]; readonly canonical: string } | 'nxdomain' | 'fail';

/**
 * getaddrinfo(3) for one stack: numeric hosts, a per-stack hosts table,
 * then DNS A/AAAA queries (RFC 1035) over the stack's own UDP, through the
 * facade's sockets, with resolv.conf-style timeout and attempts. Queries
 * carry a random ID from the stack's randomness and go out from a fresh
 * socket with an ephemeral port (RFC 5452 §9.2); a response counts only if
 * it comes from the server queried (a connected socket) with the same ID
 * and question. No TCP fallback: a truncated answer is used as far as it goes.
 */
export class Resolver {
  private readonly hosts = new Map<string, string[]>();
  private servers: Nameserver[] = [];
  private readonly services: Readonly<Record<string, number>>;
  /** Per-answer timeout, µs, and rounds over the servers. */
  timeoutUs: number;
  attempts: number;
  /** Queries sent and answers that never came (for tests and tracing). */
  readonly stats = { queries: 0, timeouts: 0 };

  constructor(
    private readonly sys: BsdSys,
    private readonly ctx: StackContext,
    private readonly ip: IpStack,
    o: ResolverOptions = {},
  ) {
    this.setHost('localhost', ['127.0.0.1', '::1']);
    for (const [name, addrs] of Object.entries(o.hosts ?? {})) this.setHost(name, typeof addrs === 'string' ? [addrs] : addrs);
    this.setNameservers(o.nameservers ?? []);
    this.timeoutUs = (o.timeoutMs ?? 5000) * 1000;
    this.attempts = Math.max(1, o.attempts ?? 2);
    this.services = o.services ?? DEFAULT_SERVICES;
  }

  /** Sets the hosts-table addresses of `name` (case-insensitive). Throws TypeError for an address that is not numeric. */
  setHost(name: string, addresses: readonly string[]): void {
    for (const a of addresses) if (inet_pton(AF_INET, a) === null && inet_pton(AF_INET6, a) === null) throw new TypeError(`not an address: ${a}`);
    this.hosts.set(hostKey(name), [...addresses]);
  }

  /** Removes `name` from the hosts table. */
  deleteHost(name: string): void {
    this.hosts.delete(hostKey(name));
  }

  /** Replaces the name servers. Throws TypeError for an entry that is not an IPv4 address. */
  setNameservers(list: readonly (string | { readonly address: string; readonly port?: number })[]): void {
    this.servers = list.map((e) => {
      const text = typeof e === 'string' ? e : e.address;
      const ip = parseIPv4(text);
      if (ip === null) throw new TypeError(`not an IPv4 name server: ${text}`);
      return { ip, port: typeof e === 'string' ? 53 : e.port ?? 53 };
    });
  }

  /** The name servers, as socket addresses. */
  get nameservers(): SockAddr[] {
    return this.servers.map((s) => ({ family: AF_INET, address: formatIPv4(s.ip), port: s.port }));
  }

  /** getaddrinfo(3); rejects with {@link AddrInfoError}. */
  async getaddrinfo(node: string | null, service: string | number | null, hints: AddrInfoHints, signal?: AbortSignal): Promise<AddrInfo[]> {
    const flags = hints.flags ?? 0;
    const family = hints.family ?? AF_UNSPEC;
    const fail = (e: number): never => {
      throw new AddrInfoError(e, node);
    };
    if ((flags & ~AI_KNOWN) !== 0 || ((flags & AI_CANONNAME) !== 0 && node === null)) fail(EAI_BADFLAGS);
    if (node === null && service === null) fail(EAI_NONAME);
    if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) fail(EAI_FAMILY);
    let triples = this.triples(hints.socktype ?? 0, hints.protocol ?? 0);
    if (triples === null) fail(EAI_SOCKTYPE);
    const port = this.port(service, flags, hints.socktype ?? 0);
    if (port < 0) fail(port === -1 ? EAI_NONAME : EAI_SERVICE);
    // A named service means nothing to a raw socket (glibc GAI_PROTO_NOSERV).
    if (typeof service === 'string' && !/^\d+$/.test(service)) triples = triples!.filter(([t]) => t !== SOCK_RAW);
    let want4 = family !== AF_INET6;
    let want6 = family !== AF_INET;
    if ((flags & AI_ADDRCONFIG) !== 0) {
      want4 &&= this.ip.interfaces.some((i) => i.ipv4.length > 0);
      want6 &&= this.ip.interfaces.some((i) => i.ipv6.some((a) => !(a.address[0] === 0xfe && (a.address[1]! & 0xc0) === 0x80)));
    }

    let addrs: Uint8Array[];
    let canonical = node ?? '';
    if (node === null) {
      const passive = (flags & AI_PASSIVE) !== 0;
      addrs = [];
      if (family !== AF_INET6) addrs.push(new Uint8Array(passive ? [0, 0, 0, 0] : [127, 0, 0, 1]));
      if (family !== AF_INET) addrs.push(passive ? new Uint8Array(16) : inet_pton(AF_INET6, '::1')!);
    } else {
      const v4 = inet_pton(AF_INET, node);
      const v6 = v4 === null ? inet_pton(AF_INET6, node) : null;
      if (v4 !== null || v6 !== null) {
        if (v4 !== null && family === AF_INET6) {
          if ((flags & AI_V4MAPPED) === 0) fail(EAI_ADDRFAMILY);
          addrs = [mapV4(readIPv4(v4, 0))];
        } else if (v6 !== null && family === AF_INET) {
          fail(EAI_ADDRFAMILY);
          addrs = [];
        } else addrs = [v4 ?? v6!];
      } else {
        if ((flags & AI_NUMERICHOST) !== 0) fail(EAI_NONAME);
        const found = this.lookupHosts(node, family, flags);
        if (found !== null) addrs = found;
        else {
          const r = await this.lookupDns(node, want4, want6, family, flags, signal);
          if (typeof r === 'number') fail(r);
          const ok = r as { addrs: Uint8Array[]; canonical: string };
          addrs = ok.addrs;
          canonical = ok.canonical;
        }
      }
    }
    if (!want4) addrs = addrs.filter((a) => a.length !== 4);
    if (!want6) addrs = addrs.filter((a) => a.length !== 16);
    if (addrs.length === 0) fail(EAI_NONAME);

    const out: AddrInfo[] = [];
    for (const a of addrs) {
      const fam = a.length === 4 ? AF_INET : AF_INET6;
      for (const [socktype, protocol] of triples!) {
        const info: AddrInfo = { family: fam, socktype, protocol, address: { family: fam, address: inet_ntop(fam, a)!, port } };
        out.push(out.length === 0 && (flags & AI_CANONNAME) !== 0 ? { ...info, canonname: canonical } : info);
      }
    }
    return out;
  }

  /** (socktype, protocol) pairs for the hints; null when they contradict each other. */
  private triples(socktype: number, protocol: number): [number, number][] | null {
    const all: [number, number][] = [[SOCK_STREAM, IPPROTO_TCP], [SOCK_DGRAM, IPPROTO_UDP], [SOCK_RAW, 0]];
    if (socktype !== 0 && socktype !== SOCK_STREAM && socktype !== SOCK_DGRAM && socktype !== SOCK_RAW) return null;
    const list = all.filter(([t, p]) => (socktype === 0 || t === socktype) && (protocol === 0 || t === SOCK_RAW || p === protocol));
    if (list.length === 0) return null;
    return list.map(([t, p]) => [t, t === SOCK_RAW ? protocol : p]);
  }

  /** The port of a service: -1 for a name under AI_NUMERICSERV (EAI_NONAME), -2 for an unknown one (EAI_SERVICE). */
  private port(service: string | number | null, flags: number, socktype: number): number {
    if (service === null) return 0;
    if (typeof service === 'number') return Number.isInteger(service) && service >= 0 && service <= 0xffff ? service : -2;
    if (/^\d+$/.test(service)) {
      const n = Number(service);
      return n <= 0xffff ? n : -2;
    }
    if ((flags & AI_NUMERICSERV) !== 0) return -1;
    if (socktype === SOCK_RAW) return -2;
    return Object.hasOwn(this.services, service) ? this.services[service]! : -2;
  }

  private lookupHosts(node: string, family: number, flags: number): Uint8Array[] | null {
    const list = this.hosts.get(hostKey(node));
    if (list === undefined) return null;
    const v4: Uint8Array[] = [];
    const v6: Uint8Array[] = [];
    for (const text of list) {
      const a = inet_pton(AF_INET, text);
      if (a !== null) v4.push(a);
      else v6.push(inet_pton(AF_INET6, text)!);
    }
    return this.combine(v4, v6, family, flags);
  }

  /** The result list for a family and the AI_V4MAPPED / AI_ALL flags; null when empty. */
  private combine(v4: Uint8Array[], v6: Uint8Array[], family: number, flags: number): Uint8Array[] | null {
    let out: Uint8Array[];
    if (family === AF_INET) out = v4;
    else if (family === AF_INET6) {
      const mapped = v4.map((a) => mapV4(readIPv4(a, 0)));
      if ((flags & AI_V4MAPPED) === 0) out = v6;
      else if ((flags & AI_ALL) !== 0 || v6.length === 0) out = [...v6, ...mapped];
      else out = v6;
    } else out = [...v4, ...v6];
    return out.length > 0 ? out : null;
  }

  private async lookupDns(
    node: string,
    want4: boolean,
    want6: boolean,
    family: number,
    flags: number,
    signal: AbortSignal | undefined,
  ): Promise<{ addrs: Uint8Array[]; canonical: string } | number> {
    if (encodeDnsName(node) === null) return EAI_NONAME;
    if (this.servers.length === 0) return EAI_NONAME;
    const mapped6 = family === AF_INET6 && (flags & AI_V4MAPPED) !== 0;
    const ask4 = want4 || mapped6;
    // Like glibc, both queries go out together when both families are wanted.
    const [r4, r6] = await Promise.all([
      ask4 ? this.query(node, DNS_TYPE_A, signal) : Promise.resolve<QueryOutcome | null>(null),
      want6 ? this.query(node, DNS_TYPE_AAAA, signal) : Promise.resolve<QueryOutcome | null>(null),
    ]);
    if (r4 === 'nxdomain' || r6 === 'nxdomain') return EAI_NONAME;
    const v4 = r4 !== null && r4 !== 'fail' ? r4.addresses : [];
    const v6 = r6 !== null && r6 !== 'fail' ? r6.addresses : [];
    const canonical = (r4 !== null && r4 !== 'fail' ? r4.canonical : r6 !== null && r6 !== 'fail' ? r6.canonical : node);
    const addrs = this.combine(want4 || mapped6 ? v4 : [], v6, family, flags);
    if (addrs === null) return r4 === 'fail' || r6 === 'fail' ? EAI_AGAIN : EAI_NONAME;
    return { addrs, canonical };
  }

  /** One name and type through the servers, `attempts` rounds (RFC 1035 §7.2). */
  private async query(name: string, type: number, signal: AbortSignal | undefined): Promise<QueryOutcome> {
    for (let round = 0; round < this.attempts; round++) {
      for (const server of this.servers) {
        const id = this.ctx.random.u32() & 0xffff;
        this.stats.queries++;
        const res = await this.exchange(server, buildDnsQuery(id, name, type), id, name, type, signal);
        if (res === 'timeout') {
          this.stats.timeouts++;
          continue;
        }
        if (res === 'unreachable') continue;
        if (res.rcode === DNS_RCODE_NXDOMAIN) return 'nxdomain';
        // SERVFAIL, REFUSED, NOTIMP…: another server may do better.
        if (res.rcode !== DNS_RCODE_NOERROR) continue;
        return answerAddresses(res, name, type);
      }
    }
    return 'fail';
  }

  /** Sends one query and waits for its answer: the message, 'timeout', or 'unreachable' (ICMP, no route). */
  private exchange(
    server: Nameserver,
    query: Uint8Array,
    id: number,
    name: string,
    type: number,
    signal: AbortSignal | undefined,
  ): Promise<DnsMessage | 'timeout' | 'unreachable'> {
    const sys = this.sys;
    const fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
    if (fd < 0) return Promise.resolve('unreachable');
    const peer: SockAddr = { family: AF_INET, address: formatIPv4(server.ip), port: server.port };
    if (sys.connect(fd, peer) !== 0 || sys.send(fd, query) !== query.length) {
      sys.close(fd);
      return Promise.resolve('unreachable');
    }
    return new Promise((resolve, reject) => {
      const buf = new Uint8Array(65536);
      let done = false;
      let wait: { cancel(): void } | null = null;
      const end = (): void => {
        done = true;
        wait?.cancel();
        if (timer.armed) this.ctx.timers.disarm(timer);
        signal?.removeEventListener('abort', onAbort);
        sys.close(fd);
      };
      const timer = new Timer(() => {
        if (done) return;
        end();
        resolve('timeout');
      }, 'dns-timeout');
      function onAbort(): void {
        if (done) return;
        end();
        reject(abortError('getaddrinfo', signal!));
      }
      const read = (): void => {
        wait = null;
        if (done) return;
        for (;;) {
          const n = sys.recv(fd, buf, 0);
          if (n === -ERRNO.EAGAIN) {
            const h = sys.wait(fd, POLLIN, read);
            if (typeof h !== 'number') wait = h;
            return;
          }
          if (typeof n !== 'number' || n < 0) {
            end();
            resolve('unreachable');
            return;
          }
          const m = parseDnsMessage(buf.subarray(0, n));
          // RFC 5452 §9.1: the ID, and the question, must be ours.
          if (!m.ok || !m.value.qr || m.value.id !== id || !questionMatches(m.value, name, type)) continue;
          end();
          resolve(m.value);
          return;
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.ctx.timers.armIn(timer, this.timeoutUs);
      read();
    });
  }
}

function questionMatches(m: DnsMessage, name: string, type: number): boolean {
  const q = m.questions[0];
  return m.questions.length === 1 && q !== undefined && q.type === type && q.class === DNS_CLASS_IN && sameDnsName(q.name, name);
}

function hostKey(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}
