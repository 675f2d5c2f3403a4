import { describe, expect, it } from 'vitest';
import { readU16, readU32 } from '../../../src/core/bytes.js';
import { build, emptyDissection, ipv4, ipv6, tcp, udp } from '../../../src/craft/index.js';
import { clampAddresses, defaultAddressPlan, retarget } from '../../../src/fuzz/addresses.js';
import { ATTACKS } from '../../../src/fuzz/attacks.js';
import { Dice } from '../../../src/fuzz/dice.js';
import { Driver } from '../../../src/fuzz/driver.js';
import { GenContext } from '../../../src/fuzz/gen-context.js';
import { HealthOracle, VIRTUAL_HEALTH_TIMING } from '../../../src/fuzz/health.js';
import { malformed, OutputChecker } from '../../../src/fuzz/output-check.js';
import { Recorder } from '../../../src/fuzz/recorder.js';
import { replayPackets } from '../../../src/fuzz/replay.js';
import { SelfTarget } from '../../../src/fuzz/self-target.js';
import { shrinkSequence } from '../../../src/fuzz/shrink.js';
import { TcpSession, sessionEndpoints } from '../../../src/fuzz/tcp-session.js';
import { emptyTcpReply, readTcpReply } from '../../../src/fuzz/wire.js';
import { ipv4HeaderChecksumValid } from '../../../src/ip/ipv4-header.js';
import { ACK, RST, SYN } from '../../../src/tcp/header.js';
import { tcpChecksumValid } from '../../../src/tcp/header.js';
import { udpChecksumValid } from '../../../src/udp/header.js';

describe('Recorder', () => {
  it('keeps the last packets in order, as copies, across arena wraps', () => {
    const r = new Recorder(8, 100);
    for (let i = 0; i < 50; i++) {
      const p = new Uint8Array(7 + (i % 13)).fill(i);
      r.add(i, i * 10, p);
      p.fill(0xff); // the recorder copied: later changes do not show
    }
    const tail = r.tail();
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThanOrEqual(8);
    tail.forEach((p, k) => {
      const i = 50 - tail.length + k;
      expect(p.index).toBe(i);
      expect(p.timeUs).toBe(i * 10);
      expect(p.data.length).toBe(7 + (i % 13));
      expect(p.data.every((b) => b === i)).toBe(true);
    });
    expect(r.tail(2).map((p) => p.index)).toEqual([48, 49]);
  });
});

describe('shrinkSequence', () => {
  it('finds the two packets that together trigger a failure among 1000', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const fails = async (c: number[]): Promise<boolean> => c.includes(123) && c.includes(877);
    const r = await shrinkSequence(items, fails, { maxTests: 10_000, maxMs: 10_000 });
    expect(r.items).toEqual([123, 877]);
  });

  it('takes a failing suffix first when the last packet alone fails', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const r = await shrinkSequence(items, async (c) => c.includes(99_999), { maxTests: 100, maxMs: 10_000 });
    expect(r.items).toEqual([99_999]);
    expect(r.tests).toBe(1);
  });
});

describe('clampAddresses (what reaches a real kernel)', () => {
  it('moves IPv4 addresses into 192.0.2.0/24 and keeps the checksums as right (or wrong) as they were', () => {
    const p = build(ipv4({ src: '8.8.8.8', dst: '192.0.2.1' }, udp({ srcPort: 1, dstPort: 7 }, Uint8Array.of(1, 2, 3))));
    clampAddresses(p, p.length, emptyDissection());
    expect(readU32(p, 12)).toBe(0xc0000208);
    expect(readU32(p, 16)).toBe(0xc0000201);
    expect(ipv4HeaderChecksumValid(p)).toBe(true);
    expect(udpChecksumValid(p.subarray(20), 0xc0000208, 0xc0000201)).toBe(true);
    const bad = build(ipv4({ src: '10.0.0.9', dst: '198.51.100.4' }, tcp({ srcPort: 1, dstPort: 7, checksum: 'bad' })));
    clampAddresses(bad, bad.length, emptyDissection());
    expect(readU32(bad, 12)).toBe(0xc0000209);
    expect(readU32(bad, 16)).toBe(0xc6336404);
    expect(tcpChecksumValid(bad.subarray(20), 0xc0000209, 0xc6336404)).toBe(false);
  });

  it('moves IPv6 addresses into 2001:db8::/32', () => {
    const p = build(ipv6({ src: 'fe80::1', dst: '2001:db8::1' }, udp({ srcPort: 1, dstPort: 7 }, Uint8Array.of(9))));
    clampAddresses(p, p.length, emptyDissection());
    expect(readU32(p, 8)).toBe(0x20010db8);
    expect(udpChecksumValid(p.subarray(40), p.subarray(8, 24), p.subarray(24, 40))).toBe(true);
  });
});

describe('OutputChecker (what the target sends must be well formed)', () => {
  it('passes packets as a host sends them and names the first malformed one', () => {
    const c = new OutputChecker();
    c.check(build(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, tcp({ srcPort: 7, dstPort: 1, flags: 'SA' }))));
    c.check(build(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp({ srcPort: 7, dstPort: 1 }, Uint8Array.of(1)))));
    c.check(build(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ srcPort: 7, dstPort: 1, checksum: 0 }))));
    expect(c.problem()).toBeNull();
    c.check(build(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, tcp({ srcPort: 7, dstPort: 1, flags: 'R', checksum: 'bad' }))));
    c.check(build(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', totalLength: 99 }, udp({ srcPort: 7, dstPort: 1 }))));
    expect(c.checked).toBe(5);
    expect(c.bad).toBe(2);
    expect(c.problem()).toMatch(/^the target sent 2 malformed packet\(s\); the first: TCP checksum wrong/);
    expect(malformed(build(ipv4({ src: 1, dst: 2, checksum: 'bad' }, udp({ srcPort: 1, dstPort: 2 }))))).toBe('IPv4 header checksum wrong');
    expect(malformed(Uint8Array.of(0x50))).toBe('IP version 5');
  });
});

describe('retarget (seeds from a capture)', () => {
  it('rewrites source and destination to fuzzer and target, with checksums recomputed', () => {
    const plan = defaultAddressPlan({ restricted: false, ipv6: true });
    const seen = build(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, tcp({ srcPort: 7, dstPort: 40000, seq: 9, flags: 'SA' })));
    const p = retarget(seen, plan);
    expect(readU32(p, 12)).toBe(plan.fuzzer4);
    expect(readU32(p, 16)).toBe(plan.target4);
    expect(ipv4HeaderChecksumValid(p)).toBe(true);
    expect(tcpChecksumValid(p.subarray(20), plan.fuzzer4, plan.target4)).toBe(true);
    expect(readU32(seen, 12)).toBe(0xc0000201); // the original is left alone
  });
});

describe('TcpSession against a tsip stack', () => {
  it('completes a handshake with hand-built segments, has its data echoed, and resets the connection', async () => {
    const target = new SelfTarget({ seed: 9 });
    const driver = new Driver(target);
    const plan = target.plan;
    const s = new TcpSession(sessionEndpoints(plan.fuzzer4, plan.target4), 40000, 7, 1000);
    s.collect = true;
    const reply = emptyTcpReply();
    const seen: number[] = [];
    driver.hub.add((p) => {
      if (readTcpReply(p, reply) && s.matches(reply, p)) {
        seen.push(reply.flags);
        s.handle(reply, p);
      }
    });
    const flush = (): void => {
      while (s.outbox.length > 0) driver.inject(s.outbox.shift()!);
    };
    s.open({ mss: 1460, wscale: 7, sackOk: true, timestamps: true, window: 65535 });
    await driver.waitFor(() => s.state === 'established', 1_000_000, 1_000, flush);
    expect(seen[0]).toBe(SYN | ACK);
    expect(s.tsOn).toBe(true);
    expect(target.stack.connections()[0]?.state).toBe('ESTABLISHED');
    s.send(new TextEncoder().encode('hello'));
    await driver.waitFor(() => s.receivedBytes >= 5, 1_000_000, 1_000, flush);
    expect(new TextDecoder().decode(s.received[0])).toBe('hello');
    s.abort();
    flush();
    await driver.advance(1_000);
    expect(target.stack.tcp.connectionCount).toBe(0);
    expect(target.stack.counters.TcpEstabResets).toBe(1);
    await target.close();
  });

  it('its RST lands exactly on the target\'s RCV.NXT', () => {
    const s = new TcpSession(sessionEndpoints(1, 2), 1, 7, 0);
    s.state = 'established';
    s.peerAck = s.sndNxt = (12345 >>> 0) as typeof s.sndNxt;
    s.abort();
    const p = s.outbox[0]!;
    expect(p[33]! & RST).toBe(RST);
    expect(readU32(p, 24)).toBe(12345);
  });
});

describe('the health oracle', () => {
  it('passes a healthy stack and fails one whose echo service is gone', async () => {
    const target = new SelfTarget({ seed: 4 });
    const oracle = new HealthOracle(new Driver(target), VIRTUAL_HEALTH_TIMING);
    expect(await oracle.check()).toBeNull();
    for (const l of target.stack.tcp.listenerList()) l.close();
    expect(await oracle.check()).toMatch(/TCP echo: connection refused \(RST\) after 3 attempts/);
    await target.close();
  });

  it('fails a stack whose counters stop adding up', async () => {
    const target = new SelfTarget({ seed: 4 });
    const oracle = new HealthOracle(new Driver(target), VIRTUAL_HEALTH_TIMING);
    target.stack.counters.IpInDelivers += 1;
    expect(await oracle.check()).toMatch(/IPv4 counters do not add up/);
    await target.close();
  });
});

describe('replayPackets', () => {
  it('replays recorded packets at their times into a fresh stack and reports it healthy', async () => {
    const syn = build(ipv4({ src: '192.0.2.2', dst: '192.0.2.1' }, tcp({ srcPort: 5555, dstPort: 7, seq: 1, flags: 'S', window: 1000 })));
    const f = await replayPackets([{ index: 0, timeUs: 5_000, data: syn }], { factory: async ({ seed }) => new SelfTarget({ seed }), targetSeed: 1 });
    expect(f).toBeNull();
    expect(readU16(syn, 2)).toBe(40);
  });
});

describe('connection attacks', () => {
  it('every attack step builds packets the target parses (IPv4 and IPv6 sessions), ICMP errors with right checksums', () => {
    const plan = defaultAddressPlan({ restricted: false, ipv6: true });
    const g = new GenContext(new Dice(1), plan);
    for (const family of [4, 6] as const) {
      const ep = family === 4 ? sessionEndpoints(plan.fuzzer4, plan.target4) : sessionEndpoints(plan.fuzzer6, plan.target6);
      for (const [name, step] of ATTACKS) {
        const s = new TcpSession(ep, 40000, 7, 1000);
        s.state = 'established';
        s.tsOn = true;
        step(s, g);
        expect(s.outbox.length, name).toBeGreaterThan(0);
        for (const p of s.outbox) {
          const problem = malformed(p);
          // Only the deliberately broken ones may be malformed: bad checksums and data offsets.
          if (name !== 'bad-checksum' && name !== 'bad-data-offset' && name !== 'fragmented-data') expect(problem, `${name} over IPv${family}`).toBeNull();
        }
      }
    }
  });
});
