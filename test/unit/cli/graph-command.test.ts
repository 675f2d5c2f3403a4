import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../../src/cli/graph.js';
import { analyzeCapture } from '../../../src/cli/graph/analysis.js';
import { graphSummary, graphTitle, renderSvg } from '../../../src/cli/graph/svg.js';
import { UsageError, type CommandIo } from '../../../src/cli/io.js';
import { encodePcap, LINKTYPE_RAW } from '../../../src/link/pcap-format.js';
import { checkXml, decodePng, haveRsvgConvert, pngSize } from './graph-helpers.js';
import { captureOf, synthetic, type Step } from './graph-synthetic.js';
import { pingRequest } from './samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tsip-graph-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), stdout: () => out, stderr: () => err };
}

async function graph(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = io();
  const code = await runGraph(args, c);
  return { code, out: c.stdout(), err: c.stderr() };
}

/** Writes the steps as a pcap file; returns its path. */
function pcapFile(name: string, steps: Step[]): string {
  const path = join(dir, name);
  const cap = captureOf(steps);
  writeFileSync(path, encodePcap(cap.linkType, cap.packets));
  return path;
}

const exchange = pcapFile('exchange.pcap', synthetic.exchange());
const reuse = pcapFile('reuse.pcap', synthetic.reuse());

describe('tsip graph', () => {
  it('writes the SVG of every connection and says what it drew', async () => {
    const out = join(dir, 'exchange.svg');
    const r = await graph([exchange, '-o', out]);
    const graphs = analyzeCapture(captureOf(synthetic.exchange()));
    expect(r).toEqual({
      code: 0,
      out: `${graphTitle(graphs[0]!)}: ${graphSummary(graphs[0]!)}\nwrote ${out} (1 connection)\n`,
      err: '',
    });
    expect(r.out).toContain('192.0.2.1:40000 \u2192 192.0.2.2:80: 400 bytes in 4 segments \u00b7 1 retransmission \u00b7 2 zero-window probes');
    expect(readFileSync(out, 'utf8')).toBe(renderSvg(graphs));
  });

  it('draws one panel per connection, or the one --conn names, in the direction --dir says', async () => {
    const all = join(dir, 'reuse.svg');
    expect((await graph([reuse, '-o', all])).code).toBe(0);
    const svg = readFileSync(all, 'utf8');
    expect(checkXml(svg).get('clipPath')).toBe(3);
    expect(svg).toContain('width="1200" height="2160"');

    const one = join(dir, 'one.svg');
    const r = await graph([reuse, '--conn', '192.0.2.2:80-192.0.2.1:40001', '--dir', 'server', '-o', one]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^192\.0\.2\.2:80 \u2192 192\.0\.2\.1:40001: 0 bytes in 0 segments/);
    expect(readFileSync(one, 'utf8')).toContain('height="720"');
    // Neither SYN of that connection carried a window scale option.
    expect(r.out.split('\n')[0]).toContain('\u00b7 no window scaling \u00b7');
  });

  it('renders several panels to a PNG (rsvg-convert)', (ctx) => {
    if (!haveRsvgConvert()) {
      if (process.env.CI) throw new Error('rsvg-convert is missing: apt-get install -y librsvg2-bin');
      ctx.skip();
    }
    const svgPath = join(dir, 'panels.svg');
    writeFileSync(svgPath, renderSvg(analyzeCapture(captureOf(synthetic.reuse())), { width: 800, panelHeight: 500 }));
    const png = spawnSync('rsvg-convert', [svgPath], { maxBuffer: 64 << 20 }).stdout as Buffer;
    expect(pngSize(png)).toEqual({ width: 800, height: 1500 });
    const pixels = decodePng(png);
    // Each panel's frame is drawn: its top-left corner is grey, not background.
    for (const top of [0, 500, 1000]) expect(pixels.pixel(92, top + 78).slice(0, 3)).not.toEqual([255, 255, 255]);
  });

  it('--time draws only a span of time', async () => {
    const out = join(dir, 'zoom.svg');
    expect((await graph([exchange, '--time', '0.045:0.065', '-o', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(renderSvg(analyzeCapture(captureOf(synthetic.exchange())), { timeRange: [0.045, 0.065] }));
    await expect(runGraph([exchange, '--time', '2:1', '-o', out], io())).rejects.toThrow(/--time 2:1: expected FROM:TO/);
    await expect(runGraph([exchange, '--time', 'soon', '-o', out], io())).rejects.toThrow(UsageError);
  });

  it('writes an HTML page for -o *.html', async () => {
    const out = join(dir, 'exchange.html');
    expect((await graph([exchange, '-o', out])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).toContain('<script>');
  });

  it('--list prints the connections', async () => {
    const r = await graph([reuse, '--list']);
    expect(r).toEqual({
      code: 0,
      out:
        '192.0.2.1:40000-192.0.2.2:80  7 segments, 200 bytes client\u2192server, 3000 bytes server\u2192client\n' +
        '192.0.2.1:40001-192.0.2.2:80  2 segments, 0 bytes client\u2192server, 0 bytes server\u2192client\n' +
        '192.0.2.1:40000-192.0.2.2:80  3 segments, 500 bytes client\u2192server, 0 bytes server\u2192client\n',
      err: '',
    });
  });

  it('says clearly when there is nothing to graph, and exits 1', async () => {
    const noTcp = join(dir, 'ping.pcap');
    writeFileSync(noTcp, encodePcap(LINKTYPE_RAW, [{ timeUs: 0, data: pingRequest() }]));
    expect(await graph([noTcp, '-o', join(dir, 'x.svg')])).toEqual({
      code: 1,
      out: '',
      err: `tsip graph: ${noTcp}: no TCP segments in this capture (1 packets), nothing to graph\n`,
    });
    const r = await graph([reuse, '--conn', '192.0.2.9:1-192.0.2.2:80', '-o', join(dir, 'x.svg')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `tsip graph: ${reuse}: no connection 192.0.2.9:1-192.0.2.2:80; the capture has:\n` +
        '  192.0.2.1:40000-192.0.2.2:80  7 segments, 200 bytes client\u2192server, 3000 bytes server\u2192client\n' +
        '  192.0.2.1:40001-192.0.2.2:80  2 segments, 0 bytes client\u2192server, 0 bytes server\u2192client\n' +
        '  192.0.2.1:40000-192.0.2.2:80  3 segments, 500 bytes client\u2192server, 0 bytes server\u2192client\n',
    );
    const d = await graph([exchange, '--dir', '192.0.2.9:1', '-o', join(dir, 'x.svg')]);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/--dir 192\.0\.2\.9:1: not an end of 192\.0\.2\.1:40000-192\.0\.2\.2:80/);
    expect((await graph([join(dir, 'absent.pcap'), '-o', join(dir, 'x.svg')])).err).toMatch(/absent\.pcap: No such file or directory/);
    writeFileSync(join(dir, 'junk.pcap'), 'not a capture at all, only some text');
    expect(await graph([join(dir, 'junk.pcap'), '-o', join(dir, 'x.svg')])).toMatchObject({ code: 1, err: expect.stringMatching(/not a readable pcap file \(pcap-bad-magic\)/) });
  });

  it('bad usage throws UsageError; -h prints the usage', async () => {
    const c = io();
    await expect(runGraph([], c)).rejects.toThrow(/missing capture file/);
    await expect(runGraph([exchange], c)).rejects.toThrow(/missing -o OUT.svg or -o OUT.html/);
    await expect(runGraph([exchange, '-o', 'x.png'], c)).rejects.toThrow(/must end in .svg or .html/);
    await expect(runGraph([exchange, '-o'], c)).rejects.toThrow(/-o needs a value/);
    await expect(runGraph([exchange, '--conn', 'a-b', '-o', 'x.svg'], c)).rejects.toThrow(UsageError);
    await expect(runGraph([exchange, '--bogus'], c)).rejects.toThrow(/unknown option '--bogus'/);
    const h = await graph(['-h']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: tsip graph FILE.pcap/);
  });
});
