import { describe, expect, it } from 'vitest';
import {
  AF_INET, AF_INET6, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE, AI_V4MAPPED, IPPROTO_TCP, IPPROTO_UDP,
  SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
} from '../../../../src/socket/bsd/constants.js';
import {
  buildDnsMessage, DNS_CLASS_IN, DNS_RCODE_NXDOMAIN, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, encodeDnsName,
  parseDnsMessage, type DnsRecordSpec,
} from '../../../../src/socket/bsd/dns.js';
import { inet_ntop, inet_pton } from '../../../../src/socket/bsd/inet.js';
import type { BsdSockets } from '../../../../src/socket/bsd/index.js';
import { AddrInfoError, type AddrInfo } from '../../../../src/socket/bsd/resolver.js';
import { B_TEXT, drive, inet, pair, type PairOptions } from './fixture.js';

interface Zone {
  [name: string]: { a?: string[]; aaaa?: string[]; cname?: string };
}

interface Responder {
  /** Questions seen, as "name/type/id". */
  readonly log: { name: string; type: number; id: number }[];
  /** Queries to ignore before answering (a dropped query). */
  drop: number;
  /** Send a forged answer with the wrong ID before each real one. */
  forge: boolean;
}

/** A tiny authoritative DNS server on stack b's UDP port 53, written with the facade's Promise layer. */
function dnsResponder(s: BsdSockets, zone: Zone): Responder {
  const r: Responder = { log: [], drop: 0, forge: false };
  const fd = s.api.socket(AF_INET, SOCK_DGRAM);
  s.api.bind(fd, inet('0.0.0.0', 53));
  void (async () => {
    for (;;) {
      const { data, address } = await s.api.recvfrom(fd, 512);
      const m = parseDnsMessage(data);
      if (!m.ok || m.value.questions.length !== 1) continue;
      const q = m.value.questions[0]!;
      r.log.push({ name: q.name, type: q.type, id: m.value.id });
      if (r.drop > 0) {
        r.drop--;
        continue;
      }
      const answers: DnsRecordSpec[] = [];
      let name = q.name.toLowerCase();
      let entry = zone[name];
      while (entry?.cname !== undefined) {
        answers.push({ name, type: DNS_TYPE_CNAME, ttl: 300, rdata: encodeDnsName(entry.cname)! });
        name = entry.cname;
        entry = zone[name];
      }
      const list = q.type === DNS_TYPE_A ? entry?.a : q.type === DNS_TYPE_AAAA ? entry?.aaaa : undefined;
      for (const text of list ?? []) {
        answers.push({ name, type: q.type, ttl: 60, rdata: inet_pton(q.type === DNS_TYPE_A ? AF_INET : AF_INET6, text)! });
      }
      const reply = (id: number): Uint8Array =>
        buildDnsMessage({
          id, qr: true, aa: true, rd: m.value.rd, rcode: entry === undefined ? DNS_RCODE_NXDOMAIN : 0,
          questions: [q], answers,
        });
      if (r.forge) {
        const forged = buildDnsMessage({
          id: (m.value.id + 1) & 0xffff, qr: true, questions: [q],
          answers: [{ name: q.name, type: DNS_TYPE_A, class: DNS_CLASS_IN, ttl: 60, rdata: new Uint8Array([6, 6, 6, 6]) }],
        });
        await s.api.sendto(fd, forged, address);
      }
      await s.api.sendto(fd, reply(m.value.id), address);
    }
  })();
  return r;
}

const ZONE: Zone = {
  'www.example.test': { cname: 'example.test' },
  'example.test': { a: ['198.51.100.7'], aaaa: ['2001:db8::7'] },
  'v4only.test': { a: ['198.51.100.8', '198.51.100.9'] },
};

function withDns(o: PairOptions = {}): ReturnType<typeof pair> & { dns: Responder } {
  const p = pair({ ...o, socketsA: { nameservers: [B_TEXT], timeoutMs: 1000, attempts: 2, ...o.socketsA } });
  return { ...p, dns: dnsResponder(p.sb, ZONE) };
}

function addrs(list: AddrInfo[]): string[] {
  return list.map((i) => `${i.family === AF_INET ? 4 : 6}/${i.socktype}/${i.protocol} ${i.address.address}:${i.address.port}`);
}

async function eai(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(AddrInfoError);
    return (e as AddrInfoError).code;
  }
}

describe('inet_pton / inet_ntop', () => {
  it('converts both families as glibc does', () => {
    expect([...inet_pton(AF_INET, '192.0.2.33')!]).toEqual([192, 0, 2, 33]);
    expect(inet_pton(AF_INET, '192.0.2')).toBeNull();
    expect(inet_pton(AF_INET, '192.0.2.033')).toBeNull();
    expect(inet_pton(AF_INET, '256.0.0.1')).toBeNull();
    expect(inet_ntop(AF_INET6, inet_pton(AF_INET6, '2001:DB8:0:0:1::1')!)).toBe('2001:db8::1:0:0:1');
    expect(inet_ntop(AF_INET6, inet_pton(AF_INET6, '::ffff:192.0.2.1')!)).toBe('::ffff:192.0.2.1');
    expect(inet_pton(AF_INET6, 'fe80::1%eth0')).toBeNull();
    expect(inet_pton(AF_INET6, '1::2::3')).toBeNull();
    expect(inet_ntop(AF_INET, new Uint8Array([10, 1, 2, 3]))).toBe('10.1.2.3');
    expect(inet_ntop(AF_INET, new Uint8Array(3))).toBeNull();
    expect(() => inet_pton(99, 'x')).toThrow(TypeError);
  });
});

describe('getaddrinfo: numeric hosts, services, hints', () => {
  it('numeric addresses never touch DNS; one result per socket type unless hinted', async () => {
    const { sa } = withDns();
    expect(addrs(await sa.api.getaddrinfo('192.0.2.7', '80', { socktype: SOCK_STREAM }))).toEqual([`4/${SOCK_STREAM}/${IPPROTO_TCP} 192.0.2.7:80`]);
    expect(addrs(await sa.api.getaddrinfo('2001:db8::1', 53))).toEqual([
      `6/${SOCK_STREAM}/${IPPROTO_TCP} 2001:db8::1:53`,
      `6/${SOCK_DGRAM}/${IPPROTO_UDP} 2001:db8::1:53`,
      `6/${SOCK_RAW}/0 2001:db8::1:53`,
    ]);
    expect(addrs(await sa.api.getaddrinfo('192.0.2.7', 'https', { protocol: IPPROTO_UDP }))).toEqual([`4/${SOCK_DGRAM}/${IPPROTO_UDP} 192.0.2.7:443`]);
    expect(addrs(await sa.api.getaddrinfo('192.0.2.7', null, { family: AF_INET6, flags: AI_V4MAPPED, socktype: SOCK_DGRAM }))).toEqual([
      `6/${SOCK_DGRAM}/${IPPROTO_UDP} ::ffff:192.0.2.7:0`,
    ]);
    expect(sa.resolver.stats.queries).toBe(0);
  });

  it('a null node: the wildcard with AI_PASSIVE, else loopback', async () => {
    const { sa } = pair();
    const h = { socktype: SOCK_STREAM };
    expect(addrs(await sa.api.getaddrinfo(null, 8080, { ...h, flags: AI_PASSIVE }))).toEqual(['4/1/6 0.0.0.0:8080', '6/1/6 :::8080']);
    expect(addrs(await sa.api.getaddrinfo(null, 8080, h))).toEqual(['4/1/6 127.0.0.1:8080', '6/1/6 ::1:8080']);
    expect(addrs(await sa.api.getaddrinfo(null, 8080, { ...h, family: AF_INET6 }))).toEqual(['6/1/6 ::1:8080']);
  });

  it('EAI_* errors as glibc reports them', async () => {
    const { sa } = pair();
    expect(await eai(sa.api.getaddrinfo(null, null))).toBe('EAI_NONAME');
    expect(await eai(sa.api.getaddrinfo('x', null, { flags: 0x10000 }))).toBe('EAI_BADFLAGS');
    expect(await eai(sa.api.getaddrinfo(null, 80, { flags: AI_CANONNAME }))).toBe('EAI_BADFLAGS');
    expect(await eai(sa.api.getaddrinfo('x', null, { family: 99 }))).toBe('EAI_FAMILY');
    expect(await eai(sa.api.getaddrinfo('x', null, { socktype: 5 }))).toBe('EAI_SOCKTYPE');
    expect(await eai(sa.api.getaddrinfo('192.0.2.1', 'gopher-plus'))).toBe('EAI_SERVICE');
    expect(await eai(sa.api.getaddrinfo('192.0.2.1', 70000))).toBe('EAI_SERVICE');
    expect(await eai(sa.api.getaddrinfo('192.0.2.1', 'http', { flags: AI_NUMERICSERV }))).toBe('EAI_NONAME');
    expect(await eai(sa.api.getaddrinfo('host.test', null, { flags: AI_NUMERICHOST }))).toBe('EAI_NONAME');
    expect(await eai(sa.api.getaddrinfo('192.0.2.1', null, { family: AF_INET6 }))).toBe('EAI_ADDRFAMILY');
    expect(await eai(sa.api.getaddrinfo('2001:db8::1', null, { family: AF_INET }))).toBe('EAI_ADDRFAMILY');
    // No name server configured: names that are not in the hosts table do not resolve.
    expect(await eai(sa.api.getaddrinfo('host.test', null))).toBe('EAI_NONAME');
    const e = await sa.api.getaddrinfo('nowhere.test', 1).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EAI_NONAME', errno: -2, syscall: 'getaddrinfo', hostname: 'nowhere.test' });
  });
});

describe('getaddrinfo: the hosts table', () => {
  it('is consulted before DNS, case-insensitively, filtered by family; localhost is there by default', async () => {
    const { sa, dns } = withDns({ socketsA: { hosts: { 'DB.internal': ['10.0.0.5', 'fd00::5'] } } });
    const h = { socktype: SOCK_STREAM };
    expect(addrs(await sa.api.getaddrinfo('db.INTERNAL.', 5432, h))).toEqual(['4/1/6 10.0.0.5:5432', '6/1/6 fd00::5:5432']);
    expect(addrs(await sa.api.getaddrinfo('db.internal', 5432, { ...h, family: AF_INET6 }))).toEqual(['6/1/6 fd00::5:5432']);
    expect(addrs(await sa.api.getaddrinfo('localhost', 1, { ...h, family: AF_INET }))).toEqual(['4/1/6 127.0.0.1:1']);
    sa.resolver.setHost('late.internal', ['10.9.9.9']);
    expect(addrs(await sa.api.getaddrinfo('late.internal', 1, h))).toEqual(['4/1/6 10.9.9.9:1']);
    sa.resolver.deleteHost('late.internal');
    expect(dns.log).toEqual([]);
    expect(() => sa.resolver.setHost('bad', ['not-an-address'])).toThrow(TypeError);
  });
});

describe('getaddrinfo: DNS over the stack’s own UDP', () => {
  it('asks A and AAAA, follows a CNAME, reports the canonical name', async () => {
    const { clock, sa, dns } = withDns();
    const r = await drive(clock, sa.api.getaddrinfo('www.example.test', 443, { socktype: SOCK_STREAM, flags: AI_CANONNAME }));
    expect(addrs(r)).toEqual(['4/1/6 198.51.100.7:443', '6/1/6 2001:db8::7:443']);
    expect(r[0]!.canonname).toBe('example.test');
    expect(r[1]!.canonname).toBeUndefined();
    expect(dns.log.map((q) => `${q.name}/${q.type}`).sort()).toEqual(['www.example.test/1', 'www.example.test/28']);
    expect(dns.log[0]!.id).not.toBe(dns.log[1]!.id); // random IDs from the stack's randomness
    expect(addrs(await drive(clock, sa.api.getaddrinfo('v4only.test', 1, { socktype: SOCK_DGRAM })))).toEqual([
      '4/2/17 198.51.100.8:1',
      '4/2/17 198.51.100.9:1',
    ]);
  });

  it('retries after a dropped query: the answer comes one timeout later', async () => {
    const { clock, sa, dns } = withDns();
    dns.drop = 1;
    const t0 = clock.now();
    const r = await drive(clock, sa.api.getaddrinfo('example.test', 80, { family: AF_INET, socktype: SOCK_STREAM }));
    expect(addrs(r)).toEqual(['4/1/6 198.51.100.7:80']);
    expect(dns.log.length).toBe(2);
    expect(dns.log[0]!.id).not.toBe(dns.log[1]!.id);
    expect(sa.resolver.stats).toEqual({ queries: 2, timeouts: 1 });
    // 1 s for the lost attempt, then one round trip of 200 µs.
    expect(clock.now() - t0).toBe(1_000_200);
  });

  it('gives up with EAI_AGAIN after every attempt timed out, at attempts × timeout', async () => {
    const { clock, sa, dns } = withDns();
    dns.drop = 100;
    const t0 = clock.now();
    expect(await eai(drive(clock, sa.api.getaddrinfo('example.test', 80, { family: AF_INET })))).toBe('EAI_AGAIN');
    expect(clock.now() - t0).toBe(2_000_000);
    expect(sa.resolver.stats).toEqual({ queries: 2, timeouts: 2 });
  });

  it('NXDOMAIN is EAI_NONAME; an unreachable server (ICMP port unreachable) is EAI_AGAIN without waiting', async () => {
    const { clock, sa } = withDns();
    expect(await eai(drive(clock, sa.api.getaddrinfo('missing.test', 80)))).toBe('EAI_NONAME');
    sa.resolver.setNameservers([{ address: B_TEXT, port: 5353 }]);
    const t0 = clock.now();
    expect(await eai(drive(clock, sa.api.getaddrinfo('example.test', 80, { family: AF_INET })))).toBe('EAI_AGAIN');
    expect(clock.now() - t0).toBeLessThan(10_000);
  });

  it('ignores an answer with the wrong ID (RFC 5452) and takes the real one', async () => {
    const { clock, sa, dns } = withDns();
    dns.forge = true;
    const r = await drive(clock, sa.api.getaddrinfo('example.test', 80, { family: AF_INET, socktype: SOCK_STREAM }));
    expect(addrs(r)).toEqual(['4/1/6 198.51.100.7:80']);
  });

  it('an AbortSignal cancels a pending lookup with ECANCELED', async () => {
    const { clock, sa, dns } = withDns();
    dns.drop = 100;
    const ac = new AbortController();
    const p = sa.api.getaddrinfo('example.test', 80, { family: AF_INET }, { signal: ac.signal });
    clock.advance(100_000);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(sa.sys.descriptors()).toEqual([]); // the query socket was closed
  });
});
