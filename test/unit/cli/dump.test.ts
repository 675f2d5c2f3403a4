import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCapture, runDump } from '../../../src/cli/dump.js';
import { UsageError, type CommandIo } from '../../../src/cli/io.js';
import { fromHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { buildIcmpv4Echo } from '../../../src/icmp/icmpv4-header.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/link/pcap-format.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';
import {
  A, arpFrame, B, BROADCAST, ether, ipv4, MAC_A, MAC_B, PING_DATA, pingRequest, SYN_OPTIONS, tcp4, udp4,
} from './samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An io that keeps what a command writes. */
function capture(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

async function dump(args: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const io = capture();
  const code = await runDump(args, io);
  const text = io.stdout();
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return { code, out: text === '' ? [] : text.slice(0, -1).split('\n'), err: io.stderr() };
}

/** A raw-IP capture written by the stack's pcap writer on a virtual clock that starts at 0. */
function writeRawCapture(): string {
  const path = join(dir, 'raw.pcap');
  const clock = new VirtualClock();
  const w = new PcapWriter({ clock, linkType: 'ip', path });
  w.write(pingRequest());
  clock.advanceTo(1_000_200);
  w.write(ipv4(1, buildIcmpv4Echo({ reply: true, identifier: 1, sequence: 1, data: PING_DATA }), { src: B, dst: A }));
  clock.advanceTo(1_000_300);
  w.write(tcp4({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x02, window: 64240, options: SYN_OPTIONS }));
  clock.advanceTo(2_500_000);
  w.write(fromHex('4f00')); // garbage between good packets
  clock.advanceTo(3_600_000_007);
  w.write(udp4({ srcPort: 40000, dstPort: 7777, payload: fromHex('616263') }));
  w.close();
  return path;
}

const RAW_LINES = [
  '00:00:00.000000 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
  '00:00:01.000200 IP 192.0.2.2 > 192.0.2.1: ICMP echo reply, id 1, seq 1, length 64',
  '00:00:01.000300 IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  '00:00:02.500000 IP [malformed ipv4: ipv4-truncated]',
  '01:00:00.000007 IP 192.0.2.1.40000 > 192.0.2.2.7777: UDP, length 3',
];

describe('tsip dump', () => {
  const raw = writeRawCapture();

  it('prints one line per packet', async () => {
    const r = await dump([raw]);
    expect(r).toEqual({ code: 0, out: RAW_LINES, err: '' });
  });

  it('-c N stops after N packets (also written -cN, before or after the file)', async () => {
    expect((await dump([raw, '-c', '2'])).out).toEqual(RAW_LINES.slice(0, 2));
    expect((await dump(['-c3', raw])).out).toEqual(RAW_LINES.slice(0, 3));
    expect((await dump([raw, '-c', '99'])).out).toEqual(RAW_LINES);
  });

  it('-v prints every field of every layer', async () => {
    const r = await dump([raw, '-v', '-c', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      RAW_LINES[0],
      '  Frame: 84 bytes captured, 84 on the wire, linktype RAW (101)',
      '  IPv4: 192.0.2.1 > 192.0.2.2',
      '    version: 4',
      '    ihl: 5 (20 bytes)',
      '    tos: 0x00',
      '    dscp: 0',
      '    ecn: 0',
      '    total-length: 84',
      '    id: 0',
      '    flags: none',
      '    df: false',
      '    mf: false',
      '    fragment-offset: 0',
      '    ttl: 64',
      '    protocol: ICMP (1)',
      '    checksum: 0xf6a5',
      '    checksum-status: correct',
      '    src: 192.0.2.1',
      '    dst: 192.0.2.2',
      '  ICMP: ICMP echo request, id 1, seq 1, length 64',
      '    type: echo request (8)',
      '    code: 0',
      '    checksum: 0x00eb',
      '    checksum-status: correct',
      '    id: 1',
      '    seq: 1',
      '    body-length: 56',
    ]);
  });

  it('prints Ethernet captures with the link header, like tcpdump -e', async () => {
    const path = join(dir, 'eth.pcap');
    writeFileSync(
      path,
      encodePcap(LINKTYPE_ETHERNET, [
        { timeUs: 0, data: arpFrame({ opcode: 1, senderMac: MAC_A, senderIp: A, targetIp: B }, { dst: BROADCAST }) },
        {
          timeUs: 120,
          data: arpFrame({ opcode: 2, senderMac: MAC_B, senderIp: B, targetMac: MAC_A, targetIp: A }, { src: MAC_B, dst: MAC_A }),
        },
        { timeUs: 500, data: ether(0x0800, pingRequest()) },
      ]),
    );
    const r = await dump([path]);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        '00:00:00.000000 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.2 tell 192.0.2.1, length 28',
        '00:00:00.000120 02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype ARP (0x0806), length 42: Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28',
        '00:00:00.000500 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98: 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
      ],
    });
  });

  it('prints the complete records of a capture cut short, and warns', async () => {
    const path = join(dir, 'cut.pcap');
    const bytes = encodePcap(LINKTYPE_RAW, [
      { timeUs: 0, data: pingRequest() },
      { timeUs: 1, data: pingRequest() },
    ]);
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    const r = await dump([path]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([RAW_LINES[0]]);
    expect(r.err).toBe(`tsip dump: ${path}: capture truncated (the last record is incomplete)\n`);
  });

  it('an empty capture prints nothing', async () => {
    const path = join(dir, 'empty.pcap');
    writeFileSync(path, encodePcap(LINKTYPE_RAW, []));
    expect(await dump([path])).toEqual({ code: 0, out: [], err: '' });
  });

  it('a missing file is an error on stderr and exit code 1', async () => {
    const path = join(dir, 'nope.pcap');
    expect(await dump([path])).toEqual({ code: 1, out: [], err: `tsip dump: ${path}: No such file or directory\n` });
  });

  it('a file that is not a capture is an error on stderr and exit code 1', async () => {
    const path = join(dir, 'text.pcap');
    writeFileSync(path, 'this is not a capture file at all');
    expect(await dump([path])).toEqual({ code: 1, out: [], err: `tsip dump: ${path}: not a readable pcap file (pcap-bad-magic)\n` });
  });

  it('bad usage throws UsageError', async () => {
    const io = capture();
    await expect(runDump([], io)).rejects.toThrow(UsageError);
    await expect(runDump([], io)).rejects.toThrow(/missing capture file/);
    await expect(runDump([raw, '-x'], io)).rejects.toThrow(/unknown option '-x'/);
    await expect(runDump([raw, '-c'], io)).rejects.toThrow(/-c needs a positive packet count/);
    await expect(runDump([raw, '-c', '0'], io)).rejects.toThrow(UsageError);
    await expect(runDump([raw, '-c', 'ten'], io)).rejects.toThrow(UsageError);
    await expect(runDump([raw, raw], io)).rejects.toThrow(/one capture file at a time/);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toBe('');
  });

  it('-h prints the usage', async () => {
    expect(await dump(['-h'])).toEqual({ code: 0, out: ['usage: tsip dump FILE.pcap [-v] [-c COUNT] [EXPRESSION...]'], err: '' });
  });
});

describe('formatCapture', () => {
  it('returns the lines for a capture in memory, honouring count and verbose', () => {
    const r = decodePcap(
      encodePcap(LINKTYPE_RAW, [
        { timeUs: 0, data: pingRequest() },
        { timeUs: 1_000_200, data: udp4({ srcPort: 1, dstPort: 2 }) },
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(formatCapture(r.value)).toEqual([
      RAW_LINES[0],
      '00:00:01.000200 IP 192.0.2.1.1 > 192.0.2.2.2: UDP, length 0',
    ]);
    expect(formatCapture(r.value, { count: 1 })).toEqual([RAW_LINES[0]]);
    const verbose = formatCapture(r.value, { verbose: true });
    expect(verbose.filter((l) => !l.startsWith(' '))).toEqual(formatCapture(r.value));
    expect(verbose).toContain('  UDP: UDP, length 0');
  });
});
