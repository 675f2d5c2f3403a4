import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture, analyzePackets, type ConnectionGraph } from '../../../src/cli/graph/analysis.js';
import { renderHtml } from '../../../src/cli/graph/html.js';
import { TcpGraphRecorder } from '../../../src/cli/graph/recorder.js';
import { renderSvg, SERIES } from '../../../src/cli/graph/svg.js';
import type { PcapCapture } from '../../../src/link/pcap-format.js';
import { readPcapBytes } from '../../../src/link/pcap-reader.js';
import { pattern, transfer } from '../tcp/helpers/pair.js';
import { checkXml, countColour, decodePng, haveRsvgConvert, open, pngSize, testbed, type Testbed } from './graph-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1 << 20;

function captureOf(t: Testbed): PcapCapture {
  const r = readPcapBytes(t.writer.toBytes());
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** Steps never go back in time or in value. */
function expectMonotonic(steps: readonly { t: number; value: number }[]): void {
  for (let i = 1; i < steps.length; i++) {
    expect(steps[i]!.t).toBeGreaterThanOrEqual(steps[i - 1]!.t);
    expect(steps[i]!.value).toBeGreaterThan(steps[i - 1]!.value);
  }
}

/** The cumulative ACK in force at time t (-Infinity before the first). */
function ackAt(g: ConnectionGraph, t: number): number {
  let v = -Infinity;
  for (const a of g.acks) if (a.t <= t) v = a.value;
  return v;
}

describe('time-sequence graph of 1 MiB over a lossy in-memory path between two stacks', () => {
  // 3 % loss each way; A's taps sit above its fault injector, so the capture
  // holds every segment A sent, including those the injector then dropped.
  let t: Testbed;
  let capture: PcapCapture;
  let graphs: ConnectionGraph[];
  let viaChannel: TcpGraphRecorder;
  let port = 0;

  beforeAll(() => {
    t = testbed(31, { dropProbability: 0.03 });
    viaChannel = new TcpGraphRecorder({ linkType: 'ip' });
    const stop = viaChannel.subscribe({ stack: t.a.id });
    const { client, server } = open(t, 5001);
    port = client.info().localPort;
    const got = transfer(t.clock, client, server, pattern(MiB, 5), 60_000_000);
    expect(got.reduce((n, g) => n + g.length, 0)).toBe(MiB);
    // Let the last ACKs (and any retransmitted FIN) arrive.
    t.clock.advance(5_000_000);
    stop();
    capture = captureOf(t);
    graphs = analyzeCapture(capture);
  });

  it('finds the one connection, in the direction of the data', () => {
    expect(graphs.map((g) => [g.client, g.server, g.sender])).toEqual([
      [`192.0.2.1:${port}`, '192.0.2.2:5001', `192.0.2.1:${port}`],
    ]);
    const g = graphs[0]!;
    expect(g.name).toBe(`192.0.2.1:${port}-192.0.2.2:5001`);
    expect(g.isnFromSyn).toBe(true);
    expect(g.windowScaleKnown).toBe(true);
    expect(g.windowScaling).toBe(true);
    expect(g.sackPermitted).toBe(true);
    expect(g.mss).toBe(1460);
    expect(g.startUs).toBe(0);
  });

  it('counts the data segments and the retransmissions the stack made', () => {
    const s = graphs[0]!.stats;
    expect(t.faultsA.stats('tx').dropped).toBeGreaterThan(0);
    expect(s.bytes).toBe(MiB);
    expect(s.dataSegments).toBe(t.a.counters.TcpExtTCPOrigDataSent);
    expect(s.retransmissions).toBeGreaterThan(0);
    expect(s.retransmissions).toBe(t.a.counters.TcpRetransSegs);
    expect(s.zeroWindowProbes).toBe(0);
    expect(s.packets).toBe(capture.packets.length);
  });

  it('draws an ACK line that only goes up, from the SYN to the FIN', () => {
    const g = graphs[0]!;
    expectMonotonic(g.acks);
    // Relative to the ISN: the SYN-ACK acknowledges 1, the last ACK the FIN after 1 MiB.
    expect(g.acks[0]!.value).toBe(1);
    expect(g.acks[g.acks.length - 1]!.value).toBe(1 + MiB + 1);
    for (const seg of g.segments) {
      expect(seg.start).toBeGreaterThanOrEqual(0);
      expect(seg.end).toBeLessThanOrEqual(1 + MiB + 1);
    }
    for (const w of g.window) expect(w.value).toBeGreaterThanOrEqual(ackAt(g, w.t));
  });

  it('places SACK blocks above the cumulative ACK and retransmissions below what was sent', () => {
    const g = graphs[0]!;
    expect(g.sacks.length).toBeGreaterThan(0);
    for (const s of g.sacks) {
      expect(s.end).toBeGreaterThan(s.start);
      if (!s.dsack) expect(s.start).toBeGreaterThan(ackAt(g, s.t));
    }
    let high = 0;
    for (const seg of g.segments) {
      if (seg.kind === 'retransmit') expect(seg.start).toBeLessThan(high);
      else expect(seg.start).toBeGreaterThanOrEqual(high);
      high = Math.max(high, seg.end);
    }
  });

  it('a live recorder (TcpGraphTap, or the diagnostics channels) sees the same graph as the capture', () => {
    expect(t.tapRecorder.analyze()).toEqual(graphs);
    expect(viaChannel.analyze()).toEqual(graphs);
    expect(viaChannel.svg()).toBe(renderSvg(graphs));
  });

  it('renders well-formed SVG with the title, the counts and the legend', () => {
    const svg = renderSvg(graphs);
    const tags = checkXml(svg);
    expect(tags.get('svg')).toBe(1);
    expect(tags.get('title')).toBe(1);
    expect(tags.get('clipPath')).toBe(1);
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1200" height="720" /);
    expect(svg).toContain(`>192.0.2.1:${port} \u2192 192.0.2.2:5001</text>`);
    const s = graphs[0]!.stats;
    expect(svg).toContain(`1,048,576 bytes in ${s.dataSegments} segments \u00b7 ${s.retransmissions} retransmissions \u00b7 0 zero-window probes`);
    for (const name of ['data segment', 'retransmission', 'zero-window probe', 'cumulative ACK', 'receive window', 'SACK block']) {
      expect(svg).toContain(`>${name}</text>`);
    }
    for (const c of [SERIES.data.color, SERIES.retransmit.color, SERIES.ack.color, SERIES.window.color, SERIES.sack.color]) {
      expect(svg).toContain(`stroke="${c}"`);
    }
  });

  it('renders to a PNG of the stated size that shows every series (rsvg-convert)', (ctx) => {
    if (!haveRsvgConvert()) {
      // The CI image installs librsvg2-bin; elsewhere the check is optional.
      if (process.env.CI) throw new Error('rsvg-convert is missing: apt-get install -y librsvg2-bin');
      ctx.skip();
    }
    const svgPath = join(dir, 'lossy.svg');
    const pngPath = join(dir, 'lossy.png');
    writeFileSync(svgPath, renderSvg(graphs));
    const r = spawnSync('rsvg-convert', ['-o', pngPath, svgPath], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const png = new Uint8Array(readFileSync(pngPath));
    expect(png.length).toBeGreaterThan(10_000);
    expect(pngSize(png)).toEqual({ width: 1200, height: 720 });
    const pixels = decodePng(png);
    for (const c of [SERIES.data.color, SERIES.retransmit.color, SERIES.ack.color, SERIES.window.color, SERIES.sack.color]) {
      expect(countColour(pixels, c), c).toBeGreaterThan(20);
    }
  });

  it('wraps the SVG in an HTML page with pan and zoom and no external assets', () => {
    const html = renderHtml(graphs);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain(`<title>TCP time-sequence graph: 192.0.2.1:${port} \u2192 192.0.2.2:5001</title>`);
    expect(html).toContain(renderSvg(graphs).replace(/^<\?xml[^>]*>\n/, '').trimEnd());
    expect(html).toMatch(/addEventListener\('wheel'/);
    expect(html).toMatch(/addEventListener\('pointermove'/);
    expect(html).not.toMatch(/<script[^>]+src=|<link |@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    checkXml(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta charset="utf-8">/, '<meta charset="utf-8"/>').replace(/<script>[\s\S]*<\/script>/, ''));
  });
});

describe('zero-window probes between two stacks', () => {
  it('marks the persist-timer probes sent while the receiver shows a zero window', () => {
    const t = testbed(21, {});
    const { client, server } = open(t, 5002);
    const data = pattern(MiB, 6);
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        const n = client.write(data.subarray(off, Math.min(data.length, off + 65536)));
        if (n === 0) break;
        off += n;
      }
    };
    client.setHandler({ onWritable: pump });
    pump();
    // The server reads nothing for 8 s: its window closes and A probes it.
    t.clock.advance(8_000_000);
    let got = 0;
    const drain = (): void => {
      for (let d = server.read(); d.length > 0; d = server.read()) got += d.length;
    };
    server.setHandler({ onReadable: drain });
    drain();
    t.clock.runUntil(() => got === data.length, { maxUs: 60_000_000 });
    expect(got).toBe(MiB);
    const g = analyzeCapture(captureOf(t))[0]!;
    const probes = g.segments.filter((s) => s.kind === 'zero-window-probe');
    expect(probes.length).toBe(g.stats.zeroWindowProbes);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    // Each probe counted by the stack as a window probe (some of those carry new data instead).
    expect(probes.length).toBeLessThanOrEqual(t.a.counters.TcpExtTCPWinProbe);
    for (const p of probes) {
      // Linux's probe: no data, one below the cumulative ACK.
      expect(p.end).toBe(p.start);
      expect(p.start).toBe(ackAt(g, p.t) - 1);
    }
    // The persist timer backs off: the gaps between probes never shrink.
    for (let i = 2; i < probes.length; i++) {
      expect(probes[i]!.t - probes[i - 1]!.t).toBeGreaterThanOrEqual(probes[i - 1]!.t - probes[i - 2]!.t);
    }
    expect(g.stats.retransmissions).toBe(t.a.counters.TcpRetransSegs);
    expect(g.stats.dataSegments).toBe(t.a.counters.TcpExtTCPOrigDataSent);
    const svg = renderSvg([g]);
    checkXml(svg);
    expect(svg).toContain(`fill="${SERIES.zwp.color}"`);
  });
});

describe('analysis without the stack', () => {
  it('one connection per SYN on a reused 4-tuple; direction by bytes unless told', async () => {
    const { packetsOf, synthetic } = await import('./graph-synthetic.js');
    const packets = packetsOf(synthetic.reuse());
    const all = analyzePackets(packets);
    expect(all.map((g) => [g.name, g.sender, g.stats.bytes])).toEqual([
      ['192.0.2.1:40000-192.0.2.2:80', '192.0.2.2:80', 3000],
      ['192.0.2.1:40001-192.0.2.2:80', '192.0.2.1:40001', 0],
      ['192.0.2.1:40000-192.0.2.2:80', '192.0.2.1:40000', 500],
    ]);
    // The reused 4-tuple starts again from its new ISN.
    expect(all[2]!.isn).toBe(5000);
    expect(all[2]!.segments.map((x) => [x.start, x.end, x.kind])).toEqual([[0, 1, 'data'], [1, 501, 'data']]);
    const chosen = analyzePackets(packets, { conn: '192.0.2.2:80-192.0.2.1:40001' });
    expect(chosen.map((g) => g.name)).toEqual(['192.0.2.1:40001-192.0.2.2:80']);
    expect(analyzePackets(packets, { dir: 'client' }).map((g) => g.sender)).toEqual(['192.0.2.1:40000', '192.0.2.1:40001', '192.0.2.1:40000']);
    expect(analyzePackets(packets, { dir: '192.0.2.2:80' }).map((g) => g.stats.bytes)).toEqual([3000, 0, 0]);
    expect(() => analyzePackets(packets, { dir: '192.0.2.9:1' })).toThrow(RangeError);
  });
});
