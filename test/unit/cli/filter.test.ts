import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src/cli/decode/decode.js';
import { runDump } from '../../../src/cli/dump.js';
import { formatFilterError, packetFilter } from '../../../src/cli/filter/filter.js';
import { tokenize } from '../../../src/cli/filter/lexer.js';
import { formatFilter } from '../../../src/cli/filter/format.js';
import { parseFilter } from '../../../src/cli/filter/parser.js';
import { UsageError, type CommandIo } from '../../../src/cli/io.js';
import { encodePcap, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/link/pcap-format.js';
import { ethernetPackets, rawPackets } from './filter-samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RAW = rawPackets();
const ETH = ethernetPackets();

/** The names of the packets of `set` that `text` matches, in order. */
function matching(text: string, set: [string, Uint8Array][], linkType: number): string[] {
  const f = packetFilter(text);
  if (!f.ok) throw new Error(`${text}: ${formatFilterError(text, f.error)}`);
  return set.filter(([, frame]) => f.match(decodePacket(frame, linkType), frame)).map(([name]) => name);
}
const raw = (text: string): string[] => matching(text, RAW, LINKTYPE_RAW);
const eth = (text: string): string[] => matching(text, ETH, LINKTYPE_ETHERNET);

const ALL_IPV4 = ['ping', 'pong', 'syn', 'synack', 'ack', 'data', 'fin', 'rst', 'dns-query', 'dns-reply', 'udp-to-c', 'ecn-synack', 'udp-frag2', 'short-tcp'];

/**
 * Expression → the packets of the raw capture it matches: tcpdump 4.99.3's
 * answer (`tcpdump -r raw.pcap -nn EXPR`) for every entry. The
 * cross-check below asks tcpdump again when it is installed.
 */
const TCPDUMP_RAW: Record<string, string[]> = {
  'host 192.0.2.1': ALL_IPV4.filter((n) => n !== 'udp-frag2'),
  'src host 192.0.2.2': ['pong', 'synack', 'fin', 'dns-reply'],
  'dst host 192.0.2.77': ['udp-to-c'],
  'net 192.0.2.0/24': ALL_IPV4,
  'not net 192.0.2.0/24': ['ping6', 'tcp6-syn'],
  'dst net 198.51.100': [],
  'src net 198.51.100': ['ecn-synack'],
  'src port 53': ['dns-reply'],
  'dst port 53 or dst port 7777': ['dns-query', 'udp-to-c'],
  tcp: ['syn', 'synack', 'ack', 'data', 'fin', 'rst', 'ecn-synack', 'tcp6-syn', 'short-tcp'],
  udp: ['dns-query', 'dns-reply', 'udp-to-c', 'udp-frag2'],
  icmp: ['ping', 'pong'],
  icmp6: ['ping6'],
  ip: ALL_IPV4,
  ip6: ['ping6', 'tcp6-syn'],
  'tcp[13] & 4 != 0': ['rst'],
  'tcp[tcpflags] == tcp-rst': ['rst'],
  'tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0': ['ecn-synack'],
  'len > 100': ['dns-reply', 'ping6'],
  'len <= 60 and tcp': ['syn', 'synack', 'ack', 'data', 'fin', 'rst', 'ecn-synack', 'tcp6-syn', 'short-tcp'],
  'not tcp and not udp': ['ping', 'pong', 'ping6'],
  '! (icmp || icmp6) && ip': ALL_IPV4.filter((n) => n !== 'ping' && n !== 'pong'),
  'host 2001:db8::2': ['ping6', 'tcp6-syn'],
  'ip6 and tcp': ['tcp6-syn'],
  'ip[8] == 64': ALL_IPV4,
  'greater 100': ['dns-reply', 'ping6'],
  'less 60': ['syn', 'synack', 'ack', 'data', 'fin', 'rst', 'dns-query', 'udp-to-c', 'ecn-synack', 'tcp6-syn', 'short-tcp'],
  'ip[6:2] & 0x1fff != 0': ['udp-frag2'],
  'icmp[icmptype] == icmp-echo': ['ping'],
  'icmp6[icmp6type] == icmp6-echo': ['ping6'],
  'udp port 53': ['dns-query', 'dns-reply'],
  'src net 192.0.2.0 mask 255.255.255.0 and dst net 192.0.2.64/26': ['udp-to-c'],
  'host 192.0.2.1 or 192.0.2.77': ALL_IPV4,
  'ip6 net 2001:db8::/32': ['ping6', 'tcp6-syn'],
  'ip[0] & 0xf > 5': [],
  'len - 20 >= 300': ['dns-reply'],
  'udp and (ip[6:2] & 0x1fff) == 0 and udp[4:2] > 100': ['dns-reply'],
};

const TCPDUMP_ETH: Record<string, string[]> = {
  arp: ['arp-who-has', 'arp-reply'],
  ip: ['eth-syn', 'eth-udp-back'],
  'host 192.0.2.1': ['arp-who-has', 'arp-reply', 'eth-syn', 'eth-udp-back'],
  'arp host 192.0.2.1': ['arp-who-has', 'arp-reply'],
  'ip host 192.0.2.1': ['eth-syn', 'eth-udp-back'],
  'arp and src host 192.0.2.2': ['arp-reply'],
  'net 192.0.2.0/30': ['arp-who-has', 'arp-reply', 'eth-syn', 'eth-udp-back'],
  'ether host 02:00:00:00:00:02': ['arp-reply', 'eth-syn', 'eth-udp-back'],
  'ether src 02:00:00:00:00:01': ['arp-who-has', 'eth-syn'],
  'ether dst ff:ff:ff:ff:ff:ff': ['arp-who-has'],
  'ether[12:2] == 0x0806': ['arp-who-has', 'arp-reply'],
  'tcp[tcpflags] & tcp-syn != 0 and ether src 2:0:0:0:0:1': ['eth-syn'],
};

describe('filter matching: the same packets as tcpdump', () => {
  for (const [text, want] of Object.entries(TCPDUMP_RAW)) {
    it(`raw: ${text}`, () => expect(raw(text)).toEqual(want));
  }
  for (const [text, want] of Object.entries(TCPDUMP_ETH)) {
    it(`ethernet: ${text}`, () => expect(eth(text)).toEqual(want));
  }
});

describe('filter matching: where tsip differs from tcpdump on purpose', () => {
  it('tcp[...] reads TCP over IPv6 too (libpcap indexes TCP over IPv4 only)', () => {
    expect(raw('tcp[tcpflags] & tcp-syn != 0')).toEqual(['syn', 'synack', 'ecn-synack', 'tcp6-syn']);
    expect(raw('tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn')).toEqual(['syn', 'tcp6-syn']);
  });

  it('ports of a TCP header too short to decode are not read (tcpdump reads the bytes that are there)', () => {
    expect(raw('port 80')).toEqual(['syn', 'synack', 'ack', 'data', 'fin', 'rst']);
    expect(raw('tcp dst port 80')).toEqual(['syn', 'ack', 'data', 'rst']);
    expect(raw('tcp[2:2] == 80')).toEqual(['syn', 'ack', 'data', 'rst']);
    expect(raw('src host 192.0.2.1 and not dst port 80')).toEqual(['ping', 'dns-query', 'udp-to-c', 'short-tcp']);
  });
});

describe('filter language', () => {
  it('accepts bare flag names, flags as an offset, and a bare arithmetic test', () => {
    expect(raw('tcp[flags] & syn')).toEqual(['syn', 'synack', 'ecn-synack', 'tcp6-syn']);
    expect(raw('tcp[flags] & (syn|ack) == syn')).toEqual(['syn', 'tcp6-syn']);
    expect(raw('tcp[flags] & (syn|ack) == (syn|ack)')).toEqual(['synack', 'ecn-synack']);
    expect(raw('tcp[flags] & fin and src host 192.0.2.2')).toEqual(['fin']);
    expect(raw('tcp[flags] & (ece|cwr) == ece|cwr')).toEqual(['ecn-synack']);
    expect(raw('tcp[flags] == psh|ack')).toEqual(['data']);
    expect(raw('tcp[flags] & urg')).toEqual([]);
  });

  it('and/or have equal precedence and group left to right, as in tcpdump', () => {
    // ((udp or tcp) and dst port 80): with C precedence every UDP packet would match.
    expect(raw('udp or tcp and dst port 80')).toEqual(['syn', 'ack', 'data', 'rst']);
    expect(raw('udp or (tcp and dst port 80)')).toEqual(['syn', 'ack', 'data', 'rst', 'dns-query', 'dns-reply', 'udp-to-c', 'udp-frag2']);
    expect(raw('tcp and dst port 80 or udp')).toEqual(['syn', 'ack', 'data', 'rst', 'dns-query', 'dns-reply', 'udp-to-c', 'udp-frag2']);
    // not binds tighter than and/or.
    expect(raw('not udp and not tcp and not ip6')).toEqual(['ping', 'pong']);
    expect(raw('not (udp or tcp)')).toEqual(['ping', 'pong', 'ping6']);
  });

  it('repeats the last qualifiers for a bare value (tcpdump abbreviations)', () => {
    expect(raw('port 80 or 53')).toEqual(raw('port 80 or port 53'));
    expect(raw('src host 192.0.2.2 or 198.51.100.7')).toEqual(['pong', 'synack', 'fin', 'dns-reply', 'ecn-synack']);
    expect(raw('tcp dst port 22 or 80')).toEqual(['syn', 'ack', 'data', 'rst', 'tcp6-syn']);
    expect(raw('not host 192.0.2.1 and 2001:db8::1')).toEqual(['ping6', 'tcp6-syn']);
    expect(raw('192.0.2.77')).toEqual(['udp-to-c', 'udp-frag2']);
  });

  it('arithmetic: unsigned 32-bit, libpcap precedence, division by zero rejects', () => {
    expect(raw('len == 84 and icmp')).toEqual(['ping', 'pong']);
    expect(raw('len / 2 == 42 and icmp')).toEqual(['ping', 'pong']);
    expect(raw('len - 85 > 1000000 and icmp')).toEqual(['ping', 'pong']); // wraps below zero
    expect(raw('2 + 3 * 4 == 14 and icmp')).toEqual(['ping', 'pong']);
    expect(raw('1 | 2 & 0 == 1 and icmp')).toEqual(['ping', 'pong']); // & binds tighter than |
    expect(raw('1 << 4 == 16 and 0x100 >> 8 == 1 and 7 % 4 == 3 and 6 ^ 3 == 5 and icmp')).toEqual(['ping', 'pong']);
    expect(raw('len / 0 == 0')).toEqual([]);
    expect(raw('not len / 0 == 0 and icmp')).toEqual(['ping', 'pong']);
    expect(raw('-1 == 0xffffffff and icmp')).toEqual(['ping', 'pong']);
    expect(raw('010 == 8 and icmp')).toEqual(['ping', 'pong']); // octal, as libpcap
    expect(raw('(tcp[12] >> 4) * 4 > 20')).toEqual(['syn', 'synack']);
    expect(raw('ip[(ip[0] & 0xf) * 4 + 2 : 2] == 53')).toEqual(['dns-query']);
    expect(raw('ip[1000] == 0 or ip[1000] != 0')).toEqual([]);
    expect(raw('tcp[tcpflags + 0] == tcp[13] and tcp[flags] & syn')).toEqual(['syn', 'synack', 'ecn-synack', 'tcp6-syn']);
  });

  it('without the frame bytes, tcp[13] still comes from the decoded header', () => {
    const f = packetFilter('tcp[tcpflags] & tcp-syn != 0');
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    const got = RAW.filter(([, frame]) => f.match(decodePacket(frame, LINKTYPE_RAW))).map(([n]) => n);
    expect(got).toEqual(['syn', 'synack', 'ecn-synack', 'tcp6-syn']);
    const other = packetFilter('ip[8] == 64');
    expect(other.ok && RAW.some(([, frame]) => other.match(decodePacket(frame, LINKTYPE_RAW)))).toBe(false);
  });

  it('the empty filter matches everything', () => {
    expect(raw('')).toEqual(RAW.map(([n]) => n));
    expect(raw('   ')).toEqual(RAW.map(([n]) => n));
  });

  it('formats parsed filters back into text that parses to the same tree', () => {
    for (const text of [...Object.keys(TCPDUMP_RAW), ...Object.keys(TCPDUMP_ETH), 'tcp[flags] & (syn|ack) == syn', 'a::b and -len < 3']) {
      const p = parseFilter(text);
      if (!p.ok) throw new Error(`${text}: ${p.error.message}`);
      const again = parseFilter(formatFilter(p.expr));
      expect(again).toEqual(p);
    }
    const p = parseFilter('udp or tcp and dst port 80');
    expect(p.ok && formatFilter(p.expr)).toBe('udp or tcp and dst port 80');
    const q = parseFilter('udp or (tcp and dst port 80)');
    expect(q.ok && formatFilter(q.expr)).toBe('udp or (tcp and dst port 80)');
  });
});

describe('filter errors point at the offending column', () => {
  const cases: [string, number, RegExp][] = [
    ['port foo', 6, /expected a port number/],
    ['port 70000', 6, /port number \(0-65535\)/],
    ['host', 5, /expected an address after 'host'/],
    ['tcp and', 8, /missing expression after 'and'/],
    ['(tcp or udp', 1, /missing '\)'/],
    ['tcp or udp)', 11, /unexpected '\)'/],
    ['tcp $ udp', 5, /unexpected character '\$'/],
    ['tcp host 192.0.2.1', 1, /'tcp host' is not valid/],
    ['ip6 host 192.0.2.1', 10, /needs an IPv6 address/],
    ['net 192.0.2.1/24', 5, /non-network bits/],
    ['net 192.0.2.0/33', 15, /over 32/],
    ['tcp[flags', 10, /expected '\]'/],
    ['tcp[13:3] == 0', 8, /size after ':' must be 1, 2 or 4/],
    ['udp[flags] == 0', 5, /'flags' is an offset in tcp\[\]/],
    ['len > ', 7, /expected a number/],
    ['tcp udp', 5, /unexpected 'udp' after a complete expression/],
    ['80', 1, /a bare number needs a qualifier/],
    ['frobnicate', 1, /unknown word 'frobnicate'/],
    ['and tcp', 1, /expected a filter primitive before 'and'/],
    ['len > 99999999999', 7, /too large/],
    ['port 089', 6, /bad octal number/],
    ['len > tcp', 10, /'tcp' needs an offset here/],
    ['('.repeat(300) + 'tcp' + ')'.repeat(300), 201, /nested too deeply/],
    ['not '.repeat(300) + 'tcp', 801, /nested too deeply/],
    ['tcp[icmptype] == 0', 5, /'icmptype' is an offset in icmp\[\], not in tcp\[\]/],
    ['tcp and syn', 9, /'syn' alone is a constant, not a test/],
    ['tcpflags == 0', 1, /'tcpflags' is an offset in tcp\[\]/],
  ];
  for (const [text, column, message] of cases) {
    it(JSON.stringify(text), () => {
      const r = parseFilter(text);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.message).toMatch(message);
      expect(r.error.column).toBe(column);
    });
  }

  it('formats an error with a caret under the column', () => {
    const r = parseFilter('tcp and port foo');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatFilterError('tcp and port foo', r.error)).toBe(
      "filter: expected a port number (0-65535), found 'foo' (column 14)\ntcp and port foo\n             ^",
    );
  });

  it('the lexer splits offset:size and hyphenated names, and keeps addresses whole', () => {
    const t = tokenize('tcp[13:1] & tcp-syn and host 2001:db8::1 and net 10.0.0.0/8');
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.tokens.map((x) => x.text)).toEqual([
      'tcp', '[', '13', ':', '1', ']', '&', 'tcp-syn', 'and', 'host', '2001:db8::1', 'and', 'net', '10.0.0.0', '/', '8', '',
    ]);
    expect(t.tokens.map((x) => x.column)).toEqual([1, 4, 5, 7, 8, 9, 11, 13, 21, 25, 30, 42, 46, 50, 58, 59, 60]);
    const u = tokenize('ether[len:4] tcp[tcpflags:1] ether host 02:00:00:00:00:01 ::1');
    expect(u.ok && u.tokens.map((x) => `${x.kind}:${x.text}`)).toEqual([
      'word:ether', 'op:[', 'word:len', 'op::', 'number:4', 'op:]', 'word:tcp', 'op:[', 'word:tcpflags', 'op::', 'number:1', 'op:]',
      'word:ether', 'word:host', 'word:02:00:00:00:00:01', 'word:::1', 'eof:',
    ]);
    expect(raw('tcp[tcpflags:1] == tcp[13:1] and tcp[flags] & rst')).toEqual(['rst']);
  });
});

/** An io that keeps what a command writes. */
function io(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), stdout: () => out, stderr: () => err };
}

describe('tsip dump EXPRESSION', () => {
  const rawPath = join(dir, 'raw.pcap');
  writeFileSync(rawPath, encodePcap(LINKTYPE_RAW, RAW.map(([, data], i) => ({ timeUs: i * 1_000_000, data }))));
  const ethPath = join(dir, 'eth.pcap');
  writeFileSync(ethPath, encodePcap(LINKTYPE_ETHERNET, ETH.map(([, data], i) => ({ timeUs: i * 1_000_000, data }))));

  /** The whole-second timestamps of the printed lines = the indices of the packets shown. */
  async function shown(args: string[]): Promise<number[]> {
    const c = io();
    expect(await runDump(args, c)).toBe(0);
    expect(c.stderr()).toBe('');
    return c
      .stdout()
      .split('\n')
      .filter((l) => /^\d\d:/.test(l))
      .map((l) => Number(l.slice(6, 8)) + 60 * Number(l.slice(3, 5)));
  }
  const index = (names: string[]): number[] => names.map((n) => RAW.findIndex(([m]) => m === n));

  it('prints only the matching packets (the expression may span several arguments)', async () => {
    expect(await shown([rawPath, 'tcp[flags]', '&', '(syn|ack)', '==', 'syn'])).toEqual(index(['syn', 'tcp6-syn']));
    expect(await shown([rawPath, 'udp or tcp and dst port 80'])).toEqual(index(['syn', 'ack', 'data', 'rst']));
    expect(await shown(['-v', rawPath, 'icmp6'])).toEqual(index(['ping6']));
  });

  it('-c counts matching packets', async () => {
    expect(await shown([rawPath, '-c', '2', 'port', '80'])).toEqual(index(['syn', 'synack']));
    expect(await shown([rawPath, 'src', 'host', '192.0.2.2', '-c3'])).toEqual(index(['pong', 'synack', 'fin']));
    expect(await shown([rawPath, '-c', '10', 'icmp'])).toEqual(index(['ping', 'pong']));
  });

  it('filters Ethernet captures', async () => {
    const c = io();
    expect(await runDump([ethPath, 'arp and src host 192.0.2.2'], c)).toBe(0);
    expect(c.stdout()).toBe(
      '00:00:01.000000 02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype ARP (0x0806), length 42: Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28\n',
    );
  });

  it('a bad expression is a usage error showing the column', async () => {
    await expect(runDump([rawPath, 'tcp', 'and', 'port', 'foo'], io())).rejects.toThrow(UsageError);
    await expect(runDump([rawPath, 'tcp', 'and', 'port', 'foo'], io())).rejects.toThrow(
      "filter: expected a port number (0-65535), found 'foo' (column 14)\ntcp and port foo\n             ^\n",
    );
    await expect(runDump([rawPath, rawPath], io())).rejects.toThrow(/one capture file at a time/);
  });
});

/** True when tcpdump can read a capture here. */
function haveTcpdump(): boolean {
  return spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;
}

describe.skipIf(!haveTcpdump())('cross-check with tcpdump', () => {
  const rawPath = join(dir, 'xraw.pcap');
  writeFileSync(rawPath, encodePcap(LINKTYPE_RAW, RAW.map(([, data], i) => ({ timeUs: i * 1_000_000, data }))));
  const ethPath = join(dir, 'xeth.pcap');
  writeFileSync(ethPath, encodePcap(LINKTYPE_ETHERNET, ETH.map(([, data], i) => ({ timeUs: i * 1_000_000, data }))));

  function tcpdump(path: string, names: [string, Uint8Array][], text: string): string[] {
    const r = spawnSync('tcpdump', ['-r', path, '-nn', '-tt', text], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => names[Number(l.split('.')[0])]![0]);
  }

  it('tcpdump matches the same packets for every expression of the tables', () => {
    for (const text of Object.keys(TCPDUMP_RAW)) expect([text, tcpdump(rawPath, RAW, text)]).toEqual([text, raw(text)]);
    for (const text of Object.keys(TCPDUMP_ETH)) expect([text, tcpdump(ethPath, ETH, text)]).toEqual([text, eth(text)]);
  });
});
