import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  findField,
  findLayer,
  type DecodedLayer,
  type DecodedPacket,
} from '../../../src/cli/decode/decode.js';
import { formatLine, formatPacket, formatTimestamp } from '../../../src/cli/decode/format-line.js';
import { formatVerbose } from '../../../src/cli/decode/format-verbose.js';
import { parseIPv6 } from '../../../src/core/address.js';
import { fromHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Echo } from '../../../src/icmp/icmpv4-header.js';
import { buildUdp } from '../../../src/udp/header.js';
import { ALL_CASES, ETHERNET_CASES, MALFORMED_CASES, RAW_CASES } from './line-cases.js';
import {
  A, A6, arpFrame, B, B6, BROADCAST, ether, icmp6, ipv4, ipv6, MAC_A, pingRequest, SYN_OPTIONS, tcp4, udp4, udp6,
  udpAndUnreachable,
} from './samples.js';

const RAW = 101;
const ETH = 1;

function decodeRaw(frame: Uint8Array): DecodedPacket {
  return decodePacket(frame, RAW);
}

function layer(p: DecodedPacket, protocol: DecodedLayer['protocol']): DecodedLayer {
  const l = findLayer(p, protocol);
  if (l === undefined) throw new Error(`no ${protocol} layer in [${p.layers.map((x) => x.protocol).join(', ')}]`);
  return l;
}

/** name → display-or-value of every field of a layer (the last one wins for repeated names). */
function fieldMap(l: DecodedLayer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of l.fields) out[f.name] = f.display ?? String(f.value);
  return out;
}

/** The displays of every field called `name`, in order. */
function all(l: DecodedLayer, name: string): string[] {
  return l.fields.filter((f) => f.name === name).map((f) => f.display ?? String(f.value));
}

describe('one line per packet, as tcpdump -nn -S prints it', () => {
  for (const c of [...RAW_CASES, ...ETHERNET_CASES, ...MALFORMED_CASES]) {
    it(c.name, () => {
      expect(formatPacket(decodePacket(c.frame, c.linkType))).toBe(c.line);
    });
  }

  it('every deliberate difference from tcpdump says why', () => {
    for (const c of ALL_CASES) expect(c.tcpdump === undefined).toBe(c.why === undefined);
  });

  it('prefixes the UTC time of day with microseconds', () => {
    expect(formatLine(decodeRaw(pingRequest()), 1_000_200)).toBe(
      '00:00:01.000200 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
    );
  });
});

describe('formatTimestamp', () => {
  it('prints a virtual clock from 0 as the first seconds of the day', () => {
    expect(formatTimestamp(0)).toBe('00:00:00.000000');
    expect(formatTimestamp(1_000_200)).toBe('00:00:01.000200');
    expect(formatTimestamp(3_723_000_001)).toBe('01:02:03.000001');
  });

  it('prints wall-clock captures as UTC time of day', () => {
    // 1700000000 s is 2023-11-14 22:13:20 UTC.
    expect(formatTimestamp(1_700_000_000_123_456)).toBe('22:13:20.123456');
  });

  it('clamps nonsense to zero', () => {
    expect(formatTimestamp(-5)).toBe('00:00:00.000000');
    expect(formatTimestamp(Number.NaN)).toBe('00:00:00.000000');
  });
});

describe('decoded fields', () => {
  it('IPv4 and ICMP echo', () => {
    const p = decodeRaw(pingRequest());
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv4', 'icmp']);
    expect(p.malformed).toBeUndefined();
    expect(p.capturedLength).toBe(84);
    expect(p.originalLength).toBe(84);
    const ip = layer(p, 'ipv4');
    expect(ip.src).toBe('192.0.2.1');
    expect(ip.dst).toBe('192.0.2.2');
    expect(fieldMap(ip)).toMatchObject({
      version: '4',
      ihl: '5 (20 bytes)',
      'total-length': '84',
      ttl: '64',
      protocol: 'ICMP (1)',
      flags: 'none',
      'checksum-status': 'correct',
    });
    expect(findField(ip, 'checksum-expected')).toBeUndefined();
    expect(fieldMap(layer(p, 'icmp'))).toMatchObject({
      type: 'echo request (8)',
      code: '0',
      id: '1',
      seq: '1',
      'checksum-status': 'correct',
      'body-length': '56',
    });
  });

  it('TCP fields, flags and every option', () => {
    const p = decodeRaw(tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x12, ack: 7, window: 64240, options: SYN_OPTIONS }));
    const t = layer(p, 'tcp');
    expect([t.src, t.dst]).toEqual(['40000', '80']);
    expect(findField(t, 'seq')?.value).toBe(1000);
    expect(findField(t, 'ack')?.value).toBe(7);
    expect(findField(t, 'flags')).toEqual({ name: 'flags', value: 0x12, display: '0x012 [S.]' });
    expect(fieldMap(t)).toMatchObject({ 'data-offset': '10 (40 bytes)', window: '64240', 'checksum-status': 'correct' });
    expect(all(t, 'option')).toEqual(['mss 1460', 'sackOK', 'TS val 1 ecr 0', 'nop', 'wscale 7']);
  });

  it('a bad TCP checksum is a field with the expected value, not a malformation', () => {
    const p = decodeRaw(tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, ack: 5001, flags: 0x10, window: 100, checksum: 0x1234 }));
    expect(p.malformed).toBeUndefined();
    // tcpdump -v: "cksum 0x1234 (incorrect -> 0x7764)".
    expect(fieldMap(layer(p, 'tcp'))).toMatchObject({ checksum: '0x1234', 'checksum-status': 'bad', 'checksum-expected': '0x7764' });
  });

  it('a bad IPv4 header checksum is a field and the payload is still decoded', () => {
    const p = decodeRaw(ipv4(1, buildIcmpv4Echo({ identifier: 1, sequence: 2, data: fromHex('6162') }), { checksum: 0xdead }));
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv4', 'icmp']);
    expect(fieldMap(layer(p, 'ipv4'))).toMatchObject({ checksum: '0xdead', 'checksum-status': 'bad', 'checksum-expected': '0xf6db' });
  });

  it('a bad ICMP checksum', () => {
    const frame = pingRequest();
    frame[30] = 0xff; // a data byte: the ICMP checksum no longer matches
    const icmp = layer(decodeRaw(frame), 'icmp');
    expect(findField(icmp, 'checksum-status')?.value).toBe('bad');
    // The expected value is the one the sender writes for these bytes.
    const fixed = pingRequest();
    fixed[30] = 0xff;
    fixed.set(buildIcmpv4Echo({ identifier: 1, sequence: 1, data: fixed.subarray(28) }).subarray(0, 4), 20);
    expect(findField(icmp, 'checksum-expected')?.value).toBe((fixed[22]! << 8) | fixed[23]!);
  });

  it('UDP checksum zero: none over IPv4, bad over IPv6 (RFC 8200 §8.1)', () => {
    const v4 = layer(decodeRaw(udp4({ srcPort: 1, dstPort: 2, payload: fromHex('01'), checksum: 0 })), 'udp');
    expect(findField(v4, 'checksum-status')?.value).toBe('none');
    const v6 = layer(decodeRaw(udp6({ srcPort: 1, dstPort: 2, payload: fromHex('01'), checksum: 0 })), 'udp');
    expect(findField(v6, 'checksum-status')?.value).toBe('bad');
    const right = buildUdp({ srcPort: 1, dstPort: 2, payload: fromHex('01') }, A6, B6);
    expect(findField(v6, 'checksum-expected')?.value).toBe((right[6]! << 8) | right[7]!);
  });

  it('a first fragment decodes the transport header without verifying its checksum', () => {
    const udp = buildUdp({ srcPort: 40000, dstPort: 7777, payload: new Uint8Array(100) }, A, B);
    const p = decodeRaw(ipv4(17, udp.subarray(0, 48), { id: 0x42, mf: true }));
    expect(p.malformed).toBeUndefined();
    expect(fieldMap(layer(p, 'ipv4'))).toMatchObject({ flags: 'MF', mf: 'true', 'fragment-offset': '0' });
    expect(fieldMap(layer(p, 'udp'))).toMatchObject({ length: '108', 'checksum-status': 'unverified', 'payload-length': '100' });
  });

  it('a later fragment is not decoded past IP', () => {
    const p = decodeRaw(ipv4(6, new Uint8Array(60), { id: 9, fragmentOffset: 1480, mf: true }));
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv4', 'fragment']);
    expect(fieldMap(layer(p, 'fragment'))).toMatchObject({ id: '9', offset: '1480', length: '60', more: 'true', protocol: 'TCP (6)' });
    expect(formatPacket(p)).toBe('IP 192.0.2.1 > 192.0.2.2: frag (1480|60) ip-proto-6');
  });

  it('IPv4 options are listed one per field', () => {
    const p = decodeRaw(udp4({ srcPort: 1, dstPort: 2 }, { options: fromHex('94040000 01 07070400000000 00') }));
    expect(all(layer(p, 'ipv4'), 'option')).toEqual(['RA (len 4, value 0)', 'NOP', 'RR (len 7, ptr 4, 0.0.0.0)', 'EOL']);
  });

  it('a malformed IPv4 option list is reported beside the options that parsed', () => {
    const ip = layer(decodeRaw(udp4({ srcPort: 1, dstPort: 2 }, { options: fromHex('0107ff00') })), 'ipv4');
    expect(all(ip, 'option')).toEqual(['NOP']);
    expect(findField(ip, 'options-error')?.value).toBe('ipv4-opt-truncated');
  });

  it('an ICMP error summarises the datagram it quotes', () => {
    const icmp = layer(decodeRaw(udpAndUnreachable().unreachable), 'icmp');
    expect(fieldMap(icmp)).toMatchObject({
      type: 'destination unreachable (3)',
      code: '3',
      quote: '192.0.2.1.40000 > 192.0.2.2.7777 UDP (17), length 40',
      'quote-src': '192.0.2.1',
      'quote-dst': '192.0.2.2',
      'quote-protocol': 'UDP (17)',
    });
  });

  it('an ICMP unreachable whose quote is too short says so', () => {
    const frame = ipv4(1, fromHex('0303 0000 00000000 4500'), { src: B, dst: A });
    // Fix the ICMP checksum so only the quote is wrong.
    const icmp = frame.subarray(20);
    let sum = 0;
    for (let i = 0; i < icmp.length; i += 2) sum += (icmp[i]! << 8) | (icmp[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    icmp[2] = (~sum >>> 8) & 0xff;
    icmp[3] = ~sum & 0xff;
    const p = decodeRaw(frame);
    expect(fieldMap(layer(p, 'icmp'))).toMatchObject({ 'quote-error': 'icmpv4-quote-truncated', 'checksum-status': 'correct' });
    expect(formatPacket(p)).toBe('IP 192.0.2.2 > 192.0.2.1: ICMP unreachable code 3 [icmpv4-quote-truncated], length 10');
  });

  it('neighbor discovery: target, flags and options', () => {
    const ns = layer(
      decodeRaw(icmp6({ kind: 'neighbor-solicitation', target: B6, options: [{ kind: 'source-lla', address: MAC_A }] })),
      'icmp6',
    );
    expect(fieldMap(ns)).toMatchObject({ type: 'neighbor solicitation (135)', target: '2001:db8::2', 'checksum-status': 'correct' });
    expect(all(ns, 'option')).toEqual(['source link-address 02:00:00:00:00:01']);

    const na = layer(decodeRaw(icmp6({ kind: 'neighbor-advertisement', flags: 0xe0000000, target: B6, options: [] })), 'icmp6');
    expect(fieldMap(na)).toMatchObject({ flags: '0xe0000000', 'flags-text': 'router, solicited, override' });

    const ra = layer(
      decodeRaw(
        icmp6({
          kind: 'router-advertisement', curHopLimit: 64, flags: 0xc0, routerLifetime: 1800, reachableTime: 30000,
          retransTimer: 1000,
          options: [
            { kind: 'mtu', mtu: 1500 },
            {
              kind: 'prefix-info', prefixLength: 64, flags: 0x80, validLifetime: 0xffffffff, preferredLifetime: 0,
              reserved2: 0, prefix: parseIPv6('2001:db8:1::')!,
            },
          ],
        }),
      ),
      'icmp6',
    );
    expect(fieldMap(ra)).toMatchObject({
      'cur-hop-limit': '64',
      'flags-text': 'managed, other stateful',
      'router-lifetime': '1800',
      'reachable-time': '30000',
      'retrans-timer': '1000',
    });
    expect(all(ra, 'option')).toEqual([
      'mtu 1500',
      'prefix 2001:db8:1::/64, flags [onlink], valid infinity, preferred 0s',
    ]);
  });

  it('MLDv2 report records and the Hop-by-Hop router alert before them', () => {
    const p = decodeRaw(
      icmp6(
        {
          kind: 'mld-v2-report',
          records: [
            { recordType: 1, multicastAddress: parseIPv6('ff05::2')!, sources: [A6, B6], auxData: new Uint8Array(0) },
            { recordType: 4, multicastAddress: parseIPv6('ff02::1:ff00:2')!, sources: [], auxData: new Uint8Array(0) },
          ],
        },
        {
          src: parseIPv6('fe80::1')!, dst: parseIPv6('ff02::16')!, hopLimit: 1,
          extensions: [{ kind: 'hbh', options: [{ type: 5, data: fromHex('0000') }] }],
        },
      ),
    );
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv6', 'ipv6-hbh', 'icmp6']);
    expect(all(layer(p, 'ipv6-hbh'), 'option')).toEqual(['router alert 0x0000', 'padn (2 bytes)']);
    const mld = layer(p, 'icmp6');
    expect(findField(mld, 'record-count')?.value).toBe(2);
    expect(all(mld, 'record')).toEqual([
      'is_in ff05::2, 2 source(s) 2001:db8::1 2001:db8::2',
      'to_ex ff02::1:ff00:2, 0 source(s)',
    ]);
  });

  it('IPv6 fragment header fields', () => {
    const p = decodeRaw(ipv6(17, new Uint8Array(16), { extensions: [{ kind: 'fragment', offset: 1232, more: true, identification: 0xabcdef01 }] }));
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv6', 'ipv6-frag']);
    expect(fieldMap(layer(p, 'ipv6-frag'))).toMatchObject({
      'next-header': 'UDP (17)',
      offset: '1232',
      more: 'true',
      id: '0xabcdef01',
      'data-length': '16',
    });
  });

  it('the pseudo-header uses the final destination of a type 0 Routing header (RFC 8200 §8.1)', () => {
    const final = parseIPv6('2001:db8::3')!;
    const routing = (udpDst: Uint8Array): DecodedPacket =>
      decodeRaw(
        ipv6(17, buildUdp({ srcPort: 1, dstPort: 2, payload: fromHex('ff') }, A6, udpDst), {
          extensions: [{ kind: 'routing', routingType: 0, segmentsLeft: 1, data: concat4(final) }],
        }),
      );
    expect(findField(layer(routing(final), 'udp'), 'checksum-status')?.value).toBe('correct');
    expect(findField(layer(routing(B6), 'udp'), 'checksum-status')?.value).toBe('bad');
    expect(all(layer(routing(final), 'ipv6-routing'), 'address')).toEqual(['2001:db8::3']);
    expect(formatPacket(routing(final))).toBe(
      'IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::3) 1 > 2: UDP, length 1',
    );
  });

  it('what the stack would refuse in the extension headers is shown on the IPv6 layer', () => {
    // A Hop-by-Hop header after a Destination Options header (RFC 8200 §4.1).
    const p = decodeRaw(
      ipv6(59, new Uint8Array(0), { extensions: [{ kind: 'dstopts', options: [] }, { kind: 'hbh', options: [] }] }),
    );
    expect(findField(layer(p, 'ipv6'), 'extensions-error')?.value).toBe('ipv6-hbh-not-first');
    expect(p.layers.map((l) => l.protocol)).toEqual(['ipv6', 'ipv6-dstopts', 'ipv6-hbh', 'data']);
  });

  it('Ethernet, VLAN and ARP fields', () => {
    const p = decodePacket(
      arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { dst: BROADCAST, vlans: [{ vid: 42, pcp: 6 }] }),
      ETH,
    );
    expect(p.layers.map((l) => l.protocol)).toEqual(['eth', 'vlan', 'arp']);
    const eth = layer(p, 'eth');
    expect([eth.src, eth.dst]).toEqual(['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff']);
    expect(fieldMap(eth)).toMatchObject({ type: '802.1Q (0x8100)' });
    expect(fieldMap(layer(p, 'vlan'))).toMatchObject({ tpid: '0x8100', pcp: '6', dei: 'false', vid: '42', type: 'ARP (0x0806)' });
    expect(layer(p, 'vlan').offset).toBe(12);
    const arp = layer(p, 'arp');
    expect(arp.offset).toBe(18);
    expect(fieldMap(arp)).toMatchObject({
      opcode: 'Request (1)',
      'sender-mac': '02:00:00:00:00:01',
      'sender-ip': '192.0.2.1',
      'target-mac': '00:00:00:00:00:00',
      'target-ip': '192.0.2.2',
    });
  });

  it('layer offsets locate each header in the frame', () => {
    const p = decodePacket(ether(0x0800, tcp4({ srcPort: 1, dstPort: 2 }, { options: fromHex('94040000') })), ETH);
    expect(p.layers.map((l) => [l.protocol, l.offset])).toEqual([['eth', 0], ['ipv4', 14], ['tcp', 38]]);
  });

  it('a malformed layer keeps the layers decoded before it', () => {
    const p = decodePacket(ether(0x0800, tcp4({ srcPort: 1, dstPort: 2, dataOffset: 3 })), ETH);
    expect(p.layers.map((l) => l.protocol)).toEqual(['eth', 'ipv4']);
    expect(p.malformed).toEqual({ layer: 'tcp', reason: 'tcp-bad-data-offset' });
  });

  it('the Ethernet length is the length on the wire of a snapped capture', () => {
    const frame = ether(0x0800, pingRequest());
    const p = decodePacket(frame.subarray(0, 54), ETH, 98);
    expect(p.capturedLength).toBe(54);
    expect(p.originalLength).toBe(98);
    expect(formatPacket(p)).toBe(
      '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98: 192.0.2.1 > 192.0.2.2: [malformed ipv4: ipv4-truncated-packet]',
    );
    // An original length below the captured one is not believed.
    expect(decodePacket(frame, ETH, 3).originalLength).toBe(frame.length);
  });
});

describe('formatVerbose', () => {
  it('prints every field of every layer, indented, after the line', () => {
    const p = decodeRaw(udp4({ srcPort: 40000, dstPort: 7777, payload: fromHex('68656c6c6f20776f726c6421') }));
    expect(formatVerbose(p, 2_000_000)).toEqual([
      '00:00:02.000000 IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 12',
      '  Frame: 40 bytes captured, 40 on the wire, linktype RAW (101)',
      '  IPv4: 192.0.2.1 > 192.0.2.2',
      '    version: 4',
      '    ihl: 5 (20 bytes)',
      '    tos: 0x00',
      '    dscp: 0',
      '    ecn: 0',
      '    total-length: 40',
      '    id: 0',
      '    flags: none',
      '    df: false',
      '    mf: false',
      '    fragment-offset: 0',
      '    ttl: 64',
      '    protocol: UDP (17)',
      '    checksum: 0xf6c1',
      '    checksum-status: correct',
      '    src: 192.0.2.1',
      '    dst: 192.0.2.2',
      '  UDP: UDP, length 12',
      '    srcport: 40000',
      '    dstport: 7777',
      '    length: 20',
      '    checksum: 0x2f31',
      '    checksum-status: correct',
      '    payload-length: 12',
    ]);
  });

  it('shows a bad checksum with the expected value, and the malformation last', () => {
    const bad = formatVerbose(decodeRaw(tcp4({ srcPort: 40000, dstPort: 80, seq: 1007, ack: 5001, flags: 0x10, window: 100, checksum: 0x1234 })), 0);
    expect(bad).toContain('    checksum: 0x1234');
    expect(bad).toContain('    checksum-status: bad');
    expect(bad).toContain('    checksum-expected: 0x7764');
    const malformed = formatVerbose(decodePacket(fromHex('0102'), ETH), 0);
    expect(malformed).toEqual([
      '00:00:00.000000 [malformed eth: eth-truncated]',
      '  Frame: 2 bytes captured, 2 on the wire, linktype EN10MB (1)',
      '  Malformed eth: eth-truncated',
    ]);
  });
});

/** A type 0 Routing header body: 4 reserved bytes then the address. */
function concat4(addr: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + 16);
  b.set(addr, 4);
  return b;
}
