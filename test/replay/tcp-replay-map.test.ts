import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readU32, writeU16, writeU32 } from '../../src/core/bytes.js';
import { readPcapFile } from '../../src/link/pcap-reader.js';
import { compareOutbound, viewTcp } from './tcp-replay-map.js';

/** compareOutbound ignores exactly the documented fields and nothing else. */
describe('compareOutbound', () => {
  async function synAck(): Promise<Uint8Array> {
    const cap = await readPcapFile(resolve(__dirname, '../../fixtures/tsip-kernel-services.pcap'));
    const p = cap.packets.map((x) => x.data).find((d) => {
      const v = viewTcp(d);
      return v !== null && (v.flags & 0x12) === 0x12;
    });
    if (p === undefined) throw new Error('no SYN-ACK in the fixture');
    return p;
  }

  it('accepts a different IP ID, IP and TCP checksums, TSval and an ISN shifted by the offset', async () => {
    const rec = await synAck();
    const live = rec.slice();
    const v = viewTcp(live)!;
    writeU16(live, 4, 0x1234);
    writeU16(live, 10, 0xbeef);
    writeU16(live, v.tcpOffset + 16, 0xcafe);
    writeU32(live, v.tsOffset, 12345);
    writeU32(live, v.tcpOffset + 4, (v.seq + 1000) >>> 0);
    expect(compareOutbound(live, rec, 1000)).toEqual([]);
  });

  it('reports the TS echo reply, the ack, the window and the TTL', async () => {
    const rec = await synAck();
    const live = rec.slice();
    const v = viewTcp(live)!;
    writeU32(live, v.tsOffset + 4, (readU32(live, v.tsOffset + 4) + 1) >>> 0);
    writeU32(live, v.tcpOffset + 8, (v.ack + 1) >>> 0);
    writeU16(live, v.tcpOffset + 14, 1);
    live[8] = 1;
    expect(compareOutbound(live, rec, 0).map((d) => d.field)).toEqual([
      'ip.ttl', 'tcp.ack', 'tcp.window', 'tcp.options(TSval blanked)',
    ]);
  });

  it('reports a sequence number not explained by the ISN offset', async () => {
    const rec = await synAck();
    expect(compareOutbound(rec.slice(), rec, 1).map((d) => d.field)).toEqual(['tcp.seq-isnOffset']);
  });
});
