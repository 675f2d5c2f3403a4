import { spawnSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { TcpGraphRecorder, TcpGraphTap } from '../../../src/cli/graph/recorder.js';
import { FaultInjector, type FaultConfig } from '../../../src/link/fault-injector.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { PcapTap } from '../../../src/link/pcap-tap.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';
import { Stack } from '../../../src/stack.js';
import type { TcpConnection } from '../../../src/tcp/connection.js';

export const A_ADDR = 0xc0000201; // 192.0.2.1
export const B_ADDR = 0xc0000202; // 192.0.2.2

/** Two stacks on one virtual clock, A's link recorded by a PcapTap and a TcpGraphTap sitting above A's fault injector. */
export interface Testbed {
  clock: VirtualClock;
  a: Stack;
  b: Stack;
  writer: PcapWriter;
  /** Fed by a TcpGraphTap at the same place as the PcapTap. */
  tapRecorder: TcpGraphRecorder;
  faultsA: FaultInjector;
  faultsB: FaultInjector;
}

/**
 * 100 Mbit/s, 5 ms each way. Each stack's outbound traffic goes through its
 * own fault injector; A's taps sit between A and its injector, so the
 * capture shows everything A sent (lost or not) and what reached A — the
 * view of tcpdump on the sending host.
 */
export function testbed(seed: number, faults: Partial<FaultConfig>): Testbed {
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryPair(clock, { latencyUs: 5000, bandwidthBps: 100e6 });
  const faultsA = new FaultInjector(la, { clock, random: new SeededRandom(seed), tx: faults });
  const faultsB = new FaultInjector(lb, { clock, random: new SeededRandom(seed + 1), tx: faults });
  const writer = new PcapWriter({ clock, linkType: 'ip' });
  const tapRecorder = new TcpGraphRecorder({ linkType: 'ip' });
  const linkA = new TcpGraphTap(new PcapTap(faultsA, writer), tapRecorder, clock);
  const a = new Stack({ clock, seed: seed + 2, id: `graph-a-${seed}` });
  const b = new Stack({ clock, seed: seed + 3, id: `graph-b-${seed}` });
  a.addInterface(linkA, { ipv4: ['192.0.2.1/24'] });
  b.addInterface(faultsB, { ipv4: ['192.0.2.2/24'] });
  return { clock, a, b, writer, tapRecorder, faultsA, faultsB };
}

/** Opens A → B:port and returns both ends once established. */
export function open(t: Testbed, port: number): { client: TcpConnection; server: TcpConnection } {
  const l = t.b.tcp.listen({ port });
  const client = t.a.tcp.connect({ remoteAddress: B_ADDR, remotePort: port });
  let server: TcpConnection | null = null;
  t.clock.runUntil(() => (server ??= l.accept()) !== null && client.stateName === 'ESTABLISHED', { maxUs: 120_000_000 });
  if (server === null) throw new Error('handshake failed');
  l.close();
  return { client, server };
}

/** The width and height in a PNG's IHDR chunk (PNG spec §11.2.2), or null when `png` is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) return null;
  if (String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) !== 'IHDR') return null;
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** True when rsvg-convert can be run. */
export function haveRsvgConvert(): boolean {
  const r = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * A small well-formedness check of XML text: every tag closes in order,
 * attributes are quoted, no stray `<` or `&`. Returns the element names
 * counted, or throws with the offset of the first fault.
 */
export function checkXml(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const stack: string[] = [];
  let i = 0;
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const fault = (what: string): never => {
    throw new Error(`XML: ${what} at offset ${i}: ${JSON.stringify(body.slice(i, i + 60))}`);
  };
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const chars = body.slice(i, lt < 0 ? body.length : lt);
    for (const m of chars.matchAll(/&/g)) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/.test(chars.slice(m.index))) fault('bare &');
    }
    if (lt < 0) break;
    i = lt;
    const gt = body.indexOf('>', i);
    if (gt < 0) fault('unclosed tag');
    const tag = body.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) fault(`</${name}> does not close the open element`);
    } else {
      const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)$/.exec(tag);
      if (m === null) fault('malformed tag');
      const name = m![1]!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (m![3] !== '/') stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) fault(`unclosed <${stack[stack.length - 1]}>`);
  if (counts.size === 0) fault('no elements');
  return counts;
}

/** A decoded 8-bit RGB or RGBA PNG: `pixel(x, y)` gives [r, g, b, a]. */
export interface DecodedPng {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number, number];
}

/**
 * Decodes a non-interlaced 8-bit RGB/RGBA PNG (what rsvg-convert writes):
 * inflate the IDAT stream, then undo each scanline's filter (PNG spec §9).
 */
export function decodePng(png: Uint8Array): DecodedPng {
  const size = pngSize(png);
  if (size === null) throw new Error('not a PNG');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const depth = png[24]!;
  const colorType = png[25]!;
  const interlace = png[28]!;
  if (depth !== 8 || (colorType !== 6 && colorType !== 2) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}`);
  const bpp = colorType === 6 ? 4 : 3;
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 8 <= png.length; ) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(png[o + 4]!, png[o + 5]!, png[o + 6]!, png[o + 7]!);
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = size.width * bpp;
  const out = new Uint8Array(size.height * stride);
  for (let y = 0; y < size.height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[row - stride + x]! : 0;
      const c = x >= bpp && y > 0 ? out[row - stride + x - bpp]! : 0;
      let v = raw[src + x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >>> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[row + x] = v & 0xff;
    }
  }
  return {
    width: size.width,
    height: size.height,
    pixel: (x, y) => {
      const o = y * stride + x * bpp;
      return [out[o]!, out[o + 1]!, out[o + 2]!, bpp === 4 ? out[o + 3]! : 255];
    },
  };
}

/** How many pixels of `png` are within `tolerance` (per channel) of the colour `#rrggbb`. */
export function countColour(png: DecodedPng, hex: string, tolerance = 12): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const [pr, pg, pb, pa] = png.pixel(x, y);
      if (pa > 200 && Math.abs(pr - r) <= tolerance && Math.abs(pg - g) <= tolerance && Math.abs(pb - b) <= tolerance) n++;
    }
  }
  return n;
}
