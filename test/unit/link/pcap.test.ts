import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import {
  decodePcap,
  encodePcap,
  encodePcapFileHeader,
  encodePcapRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  linkTypeFromPcap,
  pcapLinkTypeFor,
} from '../../../src/link/pcap-format.js';
import { readPcap, readPcapBytes } from '../../../src/link/pcap-reader.js';
import { PcapTap } from '../../../src/link/pcap-tap.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';

// Hand-built IPv4 ICMP echo request 192.0.2.1 -> 192.0.2.2 (id 0x1234, seq 1,
// payload "abcdefgh") and its reply; checksums computed with python3 (RFC 1071)
// and confirmed "[correct]" by tshark -V.
const ECHO_REQUEST = fromHex(
  '4500 0024 0001 4000 4001 b6d4 c000 0201 c000 0202' + '0800 5435 1234 0001 6162 6364 6566 6768',
);
const ECHO_REPLY = fromHex(
  '4500 0024 0077 4000 4001 b65e c000 0202 c000 0201' + '0000 5c35 1234 0001 6162 6364 6566 6768',
);
const MAC_A = fromHex('02 00 00 00 00 0a');
const MAC_B = fromHex('02 00 00 00 00 0b');
const ethernet = (dst: Uint8Array, src: Uint8Array, ip: Uint8Array): Uint8Array =>
  concatBytes([dst, src, fromHex('0800'), ip]);

const dir = mkdtempSync(join(tmpdir(), 'tsip-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pcap format', () => {
  it('maps link types to LINKTYPEs and back', () => {
    expect([LINKTYPE_RAW, LINKTYPE_ETHERNET]).toEqual([101, 1]);
    expect(pcapLinkTypeFor('ip')).toBe(101);
    expect(pcapLinkTypeFor('ethernet')).toBe(1);
    expect([101, 1, 228, 229, 12, 14, 113].map(linkTypeFromPcap)).toEqual([
      'ip',
      'ethernet',
      'ip',
      'ip',
      'ip',
      'ip',
      undefined,
    ]);
  });

  it('writes the file header little-endian: µs magic, version 2.4, snaplen 262144', () => {
    expect(toHex(encodePcapFileHeader(LINKTYPE_RAW))).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '65000000',
    );
    expect(toHex(encodePcapFileHeader(LINKTYPE_ETHERNET, 65535)).slice(32)).toBe('ffff0000' + '01000000');
  });

  it('writes a record header: seconds, microseconds, captured and original length', () => {
    // 1.500250 s: 1 s and 500250 µs = 0x0007a21a.
    const rec = encodePcapRecord(1_500_250, ECHO_REQUEST);
    expect(toHex(rec.subarray(0, 16))).toBe('01000000' + '1aa20700' + '24000000' + '24000000');
    expect(rec.subarray(16)).toEqual(ECHO_REQUEST);
    const snapped = encodePcapRecord(0, ECHO_REQUEST, 20);
    expect(toHex(snapped.subarray(0, 16))).toBe('00000000' + '00000000' + '14000000' + '24000000');
    expect(snapped.subarray(16)).toEqual(ECHO_REQUEST.subarray(0, 20));
  });

  it('round-trips a capture through encode and decode', () => {
    const packets = [
      { timeUs: 0, data: ECHO_REQUEST },
      { timeUs: 4_294_967_295_999_999, data: ECHO_REPLY },
      { timeUs: 7, data: new Uint8Array(0) },
    ];
    const bytes = encodePcap(LINKTYPE_RAW, packets);
    expect(bytes.length).toBe(24 + 3 * 16 + 72);
    const r = decodePcap(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ linkType: 101, snaplen: 262144, byteOrder: 'little', precision: 'us', truncated: false });
    expect(r.value.packets).toEqual(packets.map((p) => ({ ...p, originalLength: p.data.length })));
    // Packet data are views into the file bytes.
    expect(r.value.packets[0]!.data.buffer).toBe(bytes.buffer);
  });

  it('decodes big-endian files and nanosecond files', () => {
    const be = fromHex(
      'a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000065' + '00000001 0007a21a 00000024 00000024',
    );
    const r = decodePcap(concatBytes([be, ECHO_REQUEST]));
    expect(r.ok && r.value).toMatchObject({ linkType: 101, snaplen: 65535, byteOrder: 'big', precision: 'us' });
    expect(r.ok && r.value.packets).toEqual([{ timeUs: 1_500_250, data: ECHO_REQUEST, originalLength: 36 }]);

    // 2.123456789 s: nanoseconds 0x075bcd15 truncate to 2123456 µs; snapped 4 of 60 bytes.
    const ns = fromHex('4d3cb2a1 0200 0400 00000000 00000000 00000400 01000000' + '02000000 15cd5b07 04000000 3c000000 deadbeef');
    const n = decodePcap(ns);
    expect(n.ok && n.value).toMatchObject({ linkType: 1, byteOrder: 'little', precision: 'ns' });
    expect(n.ok && n.value.packets).toEqual([{ timeUs: 2_123_456, data: fromHex('deadbeef'), originalLength: 60 }]);
    const nsBE = fromHex('a1b23c4d 0002 0004 00000000 00000000 00040000 00000001' + '00000002 075bcd15 00000004 0000003c deadbeef');
    const nb = decodePcap(nsBE);
    expect(nb.ok && nb.value).toMatchObject({ byteOrder: 'big', precision: 'ns' });
    expect(nb.ok && nb.value.packets[0]!.timeUs).toBe(2_123_456);
  });

  it('reads a capture cut short up to the last whole record', () => {
    const whole = encodePcap(LINKTYPE_RAW, [
      { timeUs: 1, data: ECHO_REQUEST },
      { timeUs: 2, data: ECHO_REPLY },
    ]);
    for (const cut of [whole.length - 1, whole.length - 36, whole.length - 50]) {
      const r = decodePcap(whole.subarray(0, cut));
      expect(r.ok && r.value.truncated).toBe(true);
      expect(r.ok && r.value.packets.map((p) => p.timeUs)).toEqual([1]);
    }
    const headerOnly = decodePcap(whole.subarray(0, 24));
    expect(headerOnly.ok && headerOnly.value).toMatchObject({ packets: [], truncated: false });
  });

  it('refuses garbage with a reason', () => {
    const hdr = encodePcapFileHeader(LINKTYPE_RAW);
    expect(decodePcap(hdr.subarray(0, 23))).toEqual({ ok: false, reason: 'pcap-truncated-header' });
    expect(decodePcap(new Uint8Array(24))).toEqual({ ok: false, reason: 'pcap-bad-magic' });
    const pcapng = concatBytes([fromHex('0a0d0d0a'), new Uint8Array(20)]);
    expect(decodePcap(pcapng)).toEqual({ ok: false, reason: 'pcap-is-pcapng' });
    const v3 = hdr.slice();
    v3[4] = 3;
    expect(decodePcap(v3)).toEqual({ ok: false, reason: 'pcap-bad-version' });
    // A record claiming 1 MiB in a file with snaplen 262144.
    const huge = concatBytes([hdr, fromHex('00000000 00000000 00001000 00001000')]);
    expect(decodePcap(huge)).toEqual({ ok: false, reason: 'pcap-bad-caplen' });
  });

  it('never throws, whatever the bytes', () => {
    const valid = encodePcap(LINKTYPE_RAW, [{ timeUs: 5, data: ECHO_REQUEST }]);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.boolean(),
        fc.nat({ max: valid.length }),
        (junk, afterHeader, cut) => {
          const bytes = afterHeader ? concatBytes([valid.subarray(0, cut), junk]) : junk;
          const r = decodePcap(bytes);
          if (r.ok) {
            for (const p of r.value.packets) expect(p.data.byteOffset + p.data.length).toBeLessThanOrEqual(bytes.length);
          } else {
            expect(r.reason).toMatch(/^pcap-/);
          }
        },
      ),
      { numRuns: 1000, seed: 20240601 },
    );
  });
});

describe('PcapWriter', () => {
  it('collects records in memory, stamped by the clock', () => {
    const clock = new VirtualClock(1_500_000);
    const w = new PcapWriter({ clock, linkType: 'ip' });
    w.write(ECHO_REQUEST);
    clock.advance(250);
    w.write(ECHO_REPLY);
    w.write(ECHO_REPLY, 9_000_001);
    expect(w.packetCount).toBe(3);
    expect(w.linkType).toBe('ip');
    expect(toHex(w.toBytes())).toBe(
      toHex(
        encodePcap(LINKTYPE_RAW, [
          { timeUs: 1_500_000, data: ECHO_REQUEST },
          { timeUs: 1_500_250, data: ECHO_REPLY },
          { timeUs: 9_000_001, data: ECHO_REPLY },
        ]),
      ),
    );
  });

  it('copies frames (the caller may reuse its buffer), applies snaplen and a time offset', () => {
    const clock = new VirtualClock(10);
    const w = new PcapWriter({ clock, linkType: LINKTYPE_ETHERNET, snaplen: 16, timeOffsetUs: 1_000_000 });
    const buf = ethernet(MAC_B, MAC_A, ECHO_REQUEST);
    w.write(buf);
    buf.fill(0);
    const r = decodePcap(w.toBytes());
    expect(r.ok && r.value).toMatchObject({ linkType: 1, snaplen: 16 });
    expect(r.ok && r.value.packets).toEqual([
      { timeUs: 1_000_010, data: ethernet(MAC_B, MAC_A, ECHO_REQUEST).subarray(0, 16), originalLength: 50 },
    ]);
  });

  it('writes a file that pcap-parser reads back (buffer spills and oversized records included)', async () => {
    const clock = new VirtualClock(3_000_000);
    const path = join(dir, 'spill.pcap');
    const w = new PcapWriter({ clock, linkType: 'ip', path, bufferBytes: 100 });
    const big = new Uint8Array(300).map((_, i) => i & 0xff);
    const expected = [];
    for (let i = 0; i < 50; i++) {
      const data = i % 10 === 9 ? big : i % 2 ? ECHO_REPLY : ECHO_REQUEST;
      w.write(data);
      expected.push({ timeUs: clock.now(), data, originalLength: data.length });
      clock.advance(333_333);
    }
    w.close();
    w.write(ECHO_REQUEST); // ignored after close
    expect(() => w.toBytes()).toThrow();
    const cap = await readPcap(path);
    expect(cap).toMatchObject({ linkType: 101, snaplen: 262144, byteOrder: 'little', precision: 'us', truncated: false });
    expect(cap.packets).toEqual(expected);
    expect(readFileSync(path).length).toBe(24 + 50 * 16 + 5 * 300 + 45 * 36);
  });

  it('reads big-endian, truncated and nanosecond files, and refuses garbage with the reason', async () => {
    const be = concatBytes([
      fromHex('a1b2c3d4 0002 0004 00000000 00000000 00040000 00000065' + '00000001 0007a21a 00000024 00000024'),
      ECHO_REQUEST,
    ]);
    writeFileSync(join(dir, 'be.pcap'), be);
    const b = await readPcap(join(dir, 'be.pcap'));
    expect(b).toMatchObject({ linkType: 101, byteOrder: 'big', truncated: false });
    expect(b.packets).toEqual([{ timeUs: 1_500_250, data: ECHO_REQUEST, originalLength: 36 }]);

    writeFileSync(join(dir, 'cut.pcap'), be.subarray(0, be.length - 1));
    const cut = await readPcap(join(dir, 'cut.pcap'));
    expect(cut).toMatchObject({ packets: [], truncated: true });

    const ns = fromHex('4d3cb2a1 0200 0400 00000000 00000000 00000400 01000000' + '02000000 15cd5b07 04000000 3c000000 deadbeef');
    writeFileSync(join(dir, 'ns.pcap'), ns);
    const n = await readPcap(join(dir, 'ns.pcap'));
    expect(n).toMatchObject({ linkType: 1, precision: 'ns' });
    expect(n.packets).toEqual([{ timeUs: 2_123_456, data: fromHex('deadbeef'), originalLength: 60 }]);

    writeFileSync(join(dir, 'junk.pcap'), new Uint8Array(40));
    await expect(readPcap(join(dir, 'junk.pcap'))).rejects.toThrow(/junk\.pcap: pcap-bad-magic/);
    writeFileSync(join(dir, 'short.pcap'), new Uint8Array(3));
    await expect(readPcap(join(dir, 'short.pcap'))).rejects.toThrow(/pcap-truncated-header/);
    await expect(readPcap(join(dir, 'missing.pcap'))).rejects.toThrow(/ENOENT/);

    expect((await readPcap(be)).packets.length).toBe(1);
    await expect(readPcap(new Uint8Array(5))).rejects.toThrow('pcap: pcap-truncated-header');
    expect(readPcapBytes(new Uint8Array(5))).toEqual({ ok: false, reason: 'pcap-truncated-header' });
  });
});

describe('PcapTap', () => {
  /** Two stacks' worth of link: a pings, b answers; a's traffic is tapped. */
  function pingThroughTap(linkType: 'ip' | 'ethernet'): Uint8Array {
    const clock = new VirtualClock(1_500_000);
    const [a, b] = createMemoryPair(clock, { linkType, latencyUs: 125, macs: [MAC_A, MAC_B] });
    const writer = new PcapWriter({ clock, linkType });
    const tapped = new PcapTap(a, writer);
    const frame = (ip: Uint8Array, dst: Uint8Array, src: Uint8Array): Uint8Array =>
      linkType === 'ethernet' ? ethernet(dst, src, ip) : ip.slice();
    b.setReceiver(() => b.send(frame(ECHO_REPLY, MAC_A, MAC_B)));
    const got: Uint8Array[] = [];
    tapped.setReceiver((f) => got.push(f));
    tapped.send(frame(ECHO_REQUEST, MAC_B, MAC_A));
    clock.runUntilIdle();
    expect(got).toEqual([frame(ECHO_REPLY, MAC_A, MAC_B)]);
    expect(tapped.name).toBe('mem-a');
    expect(tapped.mac).toEqual(linkType === 'ethernet' ? MAC_A : undefined);
    const r = decodePcap(writer.toBytes());
    expect(r.ok && r.value.packets).toEqual([
      { timeUs: 1_500_000, data: frame(ECHO_REQUEST, MAC_B, MAC_A), originalLength: linkType === 'ip' ? 36 : 50 },
      { timeUs: 1_500_250, data: frame(ECHO_REPLY, MAC_A, MAC_B), originalLength: linkType === 'ip' ? 36 : 50 },
    ]);
    return writer.toBytes();
  }

  it('records frames sent and received with the clock time, and passes them on unchanged', () => {
    pingThroughTap('ip');
    pingThroughTap('ethernet');
  });

  it('can record one direction only, and refuses a writer of another link type', () => {
    const clock = new VirtualClock();
    const [a, b] = createMemoryPair(clock);
    const w = new PcapWriter({ clock, linkType: 'ip' });
    const tap = new PcapTap(a, w, { rx: false });
    b.setReceiver((f) => b.send(f.slice()));
    tap.setReceiver(() => {});
    tap.send(ECHO_REQUEST.slice());
    clock.runUntilIdle();
    expect(w.packetCount).toBe(1);
    expect(() => new PcapTap(a, new PcapWriter({ clock, linkType: 'ethernet' }))).toThrow(/LINKTYPE 1/);
  });

  describe('read by tshark', () => {
    const probe = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
    const haveTshark = probe.error === undefined && probe.status === 0;
    const tshark = (args: string[]): string => {
      if (!haveTshark) {
        throw new Error('tshark is not installed, and CI is set so these checks must run: install it (apt-get install tshark)');
      }
      const r = spawnSync('tshark', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    };
    const runIt = it.skipIf(!haveTshark && !process.env['CI']);

    runIt('shows the lengths and source addresses we wrote, on RAW and Ethernet captures', () => {
      for (const linkType of ['ip', 'ethernet'] as const) {
        const path = join(dir, `tap-${linkType}.pcap`);
        writeFileSync(path, pingThroughTap(linkType));
        const out = tshark(['-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'ip.src', '-e', 'frame.time_epoch']);
        const len = linkType === 'ip' ? 36 : 50;
        expect(out).toBe(`${len}\t192.0.2.1\t1.500000000\n${len}\t192.0.2.2\t1.500250000\n`);
      }
    });

    runIt('finds nothing to warn about in well-formed IPv4/ICMP packets (and does on broken ones)', () => {
      const expertArgs = (path: string): string[] => ['-r', path, '-q', '-z', 'expert', '-o', 'ip.check_checksum:TRUE'];
      for (const linkType of ['ip', 'ethernet'] as const) {
        const path = join(dir, `expert-${linkType}.pcap`);
        writeFileSync(path, pingThroughTap(linkType));
        expect(tshark(expertArgs(path)).trim()).toBe('');
      }
      // The check can fail: a wrong ICMP checksum and a truncated packet are reported.
      const badSum = ECHO_REQUEST.slice();
      badSum[23] ^= 1;
      const path = join(dir, 'expert-bad.pcap');
      writeFileSync(path, encodePcap(LINKTYPE_RAW, [{ timeUs: 0, data: badSum }, { timeUs: 1, data: ECHO_REQUEST.subarray(0, 24) }]));
      const out = tshark(expertArgs(path));
      expect(out).toMatch(/Errors \(\d+\)/);
      expect(out).toMatch(/Warns \(1\)[\s\S]*ICMP\s+Bad checksum/);
    });
  });
});
