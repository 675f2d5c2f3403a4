import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../../src/cli/graph/analysis.js';
import { canonicalEndpoint, connectionMatches, parseConnectionName } from '../../../src/cli/graph/connections.js';
import { formatBytes, formatSeconds, groupDigits, niceStep, ticks } from '../../../src/cli/graph/scale.js';
import { tcpPacketInfo } from '../../../src/cli/graph/segments.js';
import { renderSvg } from '../../../src/cli/graph/svg.js';
import { LINKTYPE_RAW } from '../../../src/link/pcap-format.js';
import { ACK, SYN } from '../../../src/tcp/header.js';
import { checkXml } from './graph-helpers.js';
import { captureOf, I, J, synthetic } from './graph-synthetic.js';
import { pingRequest, tcp6 } from './samples.js';

describe('time-sequence analysis of a hand-built exchange', () => {
  const capture = captureOf(synthetic.exchange());
  const [g, ...rest] = analyzeCapture(capture);

  it('has one connection A → B with the negotiated options', () => {
    expect(rest).toEqual([]);
    expect(g).toMatchObject({
      name: '192.0.2.1:40000-192.0.2.2:80',
      sender: '192.0.2.1:40000',
      receiver: '192.0.2.2:80',
      startUs: 1_700_000_000_000_000,
      isn: I,
      isnFromSyn: true,
      windowScale: 2,
      windowScaleKnown: true,
      windowScaling: true,
      sackPermitted: true,
      mss: 1000,
    });
  });

  it('classifies every segment, with sequence numbers relative to the ISN across the 2^32 wrap', () => {
    expect(g!.segments.map((s) => [s.t, s.start, s.end, s.kind, s.frame])).toEqual([
      [0, 0, 1, 'data', 1], // SYN
      [0.02, 1, 101, 'data', 4],
      [0.021, 101, 201, 'data', 5],
      [0.022, 201, 301, 'data', 6], // wraps: seq 0xffffffc9 + 100
      [0.031, 101, 201, 'retransmit', 8],
      [0.05, 300, 300, 'zero-window-probe', 10], // bare ACK one below SND.UNA
      [0.06, 301, 302, 'zero-window-probe', 11], // one byte at the closed window's edge
      [0.081, 301, 401, 'data', 14], // the probe byte again, with the rest: not a retransmission
      [0.095, 401, 402, 'data', 16], // FIN
    ]);
  });

  it('steps the ACK line and the window edge (ack + window << 2, unscaled on the SYN-ACK)', () => {
    expect(g!.acks.map((a) => [a.t, a.value])).toEqual([
      [0.01, 1],
      [0.03, 101],
      [0.04, 301],
      [0.09, 401],
      [0.1, 402],
    ]);
    expect(g!.window.map((w) => [w.t, w.value])).toEqual([
      [0.01, 1 + 1000],
      [0.03, 101 + 250 * 4],
      [0.04, 301],
      [0.08, 301 + 100 * 4],
      [0.09, 401 + 400],
      [0.1, 402 + 400],
    ]);
  });

  it('keeps SACK blocks, telling a D-SACK (a block below the cumulative ACK, RFC 2883) apart', () => {
    expect(g!.sacks).toEqual([
      { t: 0.03, start: 201, end: 301, dsack: false },
      { t: 0.07, start: 101, end: 201, dsack: true },
    ]);
  });

  it('counts', () => {
    expect(g!.stats).toEqual({
      packets: 17,
      dataSegments: 4,
      retransmissions: 1,
      zeroWindowProbes: 2,
      bytes: 400,
      retransmittedBytes: 100,
      sackBlocks: 2,
      durationUs: 100_000,
    });
  });

  it('renders a panel with a D-SACK legend entry', () => {
    const svg = renderSvg([g!]);
    checkXml(svg);
    expect(svg).toContain('>D-SACK block</text>');
    expect(svg).toContain('sequence number (bytes, relative to ISN 4294967040)');
    expect(svg).toContain('wscale 2 \u00b7 MSS 1000 \u00b7 0.100 s');
  });

  it('without SYNs: relative to the first sequence number, window scale unknown', () => {
    const [m] = analyzeCapture(captureOf(synthetic.midstream()));
    expect(m).toMatchObject({ isn: 7000, isnFromSyn: false, windowScale: 0, windowScaleKnown: false, windowScaling: false, mss: -1 });
    expect(m!.segments.map((s) => [s.start, s.end, s.kind])).toEqual([[0, 10, 'data']]);
    expect(m!.acks.map((a) => a.value)).toEqual([0, 10]);
    expect(renderSvg([m!])).toContain('wscale unknown (no SYNs)');
  });

  it('a bare ACK below SND.UNA in an open window is a keepalive, not a probe; in a full window it probes', () => {
    const open = analyzeCapture(
      captureOf([
        ...synthetic.midstream(),
        { ms: 3, up: true, spec: { srcPort: 40000, dstPort: 80, seq: 7009, ack: 50, flags: ACK, window: 300 } },
      ]),
    )[0]!;
    expect(open.stats.zeroWindowProbes).toBe(0);
    expect(open.segments.map((x) => x.kind)).toEqual(['data']);
    const full = analyzeCapture(
      captureOf([
        ...synthetic.midstream(),
        { ms: 3, up: true, spec: { srcPort: 40000, dstPort: 80, seq: 7010, ack: 50, flags: ACK, window: 300, payload: new Uint8Array(300) } },
        { ms: 4, up: true, spec: { srcPort: 40000, dstPort: 80, seq: 7009, ack: 50, flags: ACK, window: 300 } },
      ]),
    )[0]!;
    // The window (ack 10 + 300) is all used by the 300 bytes sent: closed though not zero.
    expect(full.segments.map((x) => [x.start, x.end, x.kind])).toEqual([[0, 10, 'data'], [10, 310, 'data'], [9, 9, 'zero-window-probe']]);
  });

  it('a zoomed rendering fits the sequence axis to the chosen time span', () => {
    const svg = renderSvg([g!], { timeRange: [0.045, 0.065] });
    checkXml(svg);
    // The two probes and the closed window sit at 300-302: the axis labels stay near there.
    const labels = [...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...labels)).toBeGreaterThanOrEqual(290);
    expect(Math.max(...labels)).toBeLessThanOrEqual(310);
  });
});

describe('segment extraction', () => {
  it('reads IPv6 and ignores frames without TCP', () => {
    expect(tcpPacketInfo(pingRequest(), LINKTYPE_RAW, 5, 1)).toBeNull();
    expect(tcpPacketInfo(new Uint8Array([0x45, 0, 0]), LINKTYPE_RAW, 5, 1)).toBeNull();
    const info = tcpPacketInfo(tcp6({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: SYN | ACK, window: 5 }), LINKTYPE_RAW, 6, 2);
    expect(info).toEqual({
      frame: 2,
      timeUs: 6,
      src: '[2001:db8::1]:1',
      dst: '[2001:db8::2]:2',
      seq: 3,
      ack: 4,
      flags: SYN | ACK,
      window: 5,
      payloadLength: 0,
      wscale: -1,
      mss: -1,
      sackPermitted: false,
      sack: [],
    });
  });

  it('names connections A:P-B:P, IPv6 in brackets, in either order and any spelling', () => {
    expect(parseConnectionName('192.0.2.1:80-192.0.2.2:40000')).toEqual(['192.0.2.1:80', '192.0.2.2:40000']);
    expect(parseConnectionName('[2001:DB8:0::1]:80-[2001:db8::2]:9')).toEqual(['[2001:DB8:0::1]:80', '[2001:db8::2]:9']);
    expect(parseConnectionName('192.0.2.1-192.0.2.2')).toBeNull();
    expect(canonicalEndpoint('[2001:DB8:0::1]:080')).toBe('[2001:db8::1]:80');
    const conn = { client: '[2001:db8::1]:80', server: '192.0.2.2:9' };
    expect(connectionMatches(conn, ['192.0.2.2:9', '[2001:0db8::1]:80'])).toBe(true);
    expect(connectionMatches(conn, ['192.0.2.2:9', '[2001:db8::1]:81'])).toBe(false);
  });
});

describe('axis arithmetic', () => {
  it('picks 1-2-5 steps and labels them compactly', () => {
    expect([niceStep(1, 10), niceStep(0.55, 10), niceStep(1.64e6, 8), niceStep(8.1, 10), niceStep(0, 10)]).toEqual([0.1, 0.05, 200000, 1, 1]);
    expect(ticks(-0.01, 0.56, 0.05).map((v) => formatSeconds(v, 0.05))).toEqual(
      ['0.00', '0.05', '0.10', '0.15', '0.20', '0.25', '0.30', '0.35', '0.40', '0.45', '0.50', '0.55'],
    );
    expect([0, 200000, 1_000_000, 1_200_000].map((v) => formatBytes(v, 200000, 1.3e6))).toEqual(['0', '0.2M', '1.0M', '1.2M']);
    expect([0, 20000, 60000].map((v) => formatBytes(v, 20000, 65000))).toEqual(['0', '20k', '60k']);
    expect([290, 295, 300].map((v) => formatBytes(v, 5, 310))).toEqual(['290', '295', '300']);
    expect([groupDigits(1048576), groupDigits(999), groupDigits(-1234)]).toEqual(['1,048,576', '999', '-1,234']);
  });

  it('ignores ACK-less segments of the receiver and its SYN', () => {
    // Only A sends: a SYN and data, never acknowledged.
    const cap = captureOf([
      { ms: 0, up: true, spec: { srcPort: 1, dstPort: 2, seq: J, flags: SYN, window: 10 } },
      { ms: 1, up: true, spec: { srcPort: 1, dstPort: 2, seq: J + 1, flags: ACK, window: 10, payload: new Uint8Array(5) } },
    ]);
    const [x] = analyzeCapture(cap);
    expect(x!.acks).toEqual([]);
    expect(x!.window).toEqual([]);
    expect(x!.segments.map((s) => [s.start, s.end])).toEqual([[0, 1], [1, 6]]);
    checkXml(renderSvg([x!]));
  });
});
