import { readFile, writeFile } from 'node:fs/promises';
import { readPcapBytes } from '../link/pcap-reader.js';
import { analyzeConnection, capturePackets, resolveSender } from './graph/analysis.js';
import { connectionMatches, connectionName, groupConnections, parseConnectionName, type TcpConnectionPackets } from './graph/connections.js';
import { renderHtml } from './graph/html.js';
import { graphSummary, graphTitle, renderSvg } from './graph/svg.js';
import { fileErrorText, UsageError, type CommandIo } from './io.js';

/**
 * `tsip graph FILE.pcap [--conn A:P-B:P] [--dir client|server|A:P] [--time FROM:TO] -o OUT.svg|OUT.html`:
 * time-sequence graphs (tcptrace / Wireshark "Stevens" style) of the TCP
 * connections of a capture, one panel per connection; `--time` shows only
 * that span (seconds since each connection's first segment). `--list`
 * prints the connections instead.
 */

const USAGE =
  'usage: tsip graph FILE.pcap [--conn A:P-B:P] [--dir client|server|A:P] [--time FROM:TO] -o OUT.svg|OUT.html\n' +
  '       tsip graph FILE.pcap --list';

interface GraphArgs {
  file: string;
  out: string | undefined;
  format: 'svg' | 'html';
  conn: string | undefined;
  dir: string | undefined;
  timeRange: [number, number] | undefined;
  list: boolean;
}

function value(args: string[], i: number, name: string): string {
  const v = args[i];
  if (v === undefined || v === '') throw new UsageError(`${name} needs a value\n${USAGE}`);
  return v;
}

function parseArgs(args: string[]): GraphArgs | null {
  let file: string | undefined;
  let out: string | undefined;
  let conn: string | undefined;
  let dir: string | undefined;
  let time: string | undefined;
  let list = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return null;
    if (a === '-o') out = value(args, ++i, '-o');
    else if (a === '--conn') conn = value(args, ++i, '--conn');
    else if (a === '--dir') dir = value(args, ++i, '--dir');
    else if (a === '--time') time = value(args, ++i, '--time');
    else if (a === '--list') list = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else if (file !== undefined) throw new UsageError(`one capture file at a time\n${USAGE}`);
    else file = a;
  }
  if (file === undefined) throw new UsageError(`missing capture file\n${USAGE}`);
  if (out === undefined && !list) throw new UsageError(`missing -o OUT.svg or -o OUT.html\n${USAGE}`);
  let format: 'svg' | 'html' = 'svg';
  if (out !== undefined) {
    if (/\.html?$/i.test(out)) format = 'html';
    else if (!/\.svg$/i.test(out)) throw new UsageError(`-o: the output name must end in .svg or .html\n${USAGE}`);
  }
  if (conn !== undefined && parseConnectionName(conn) === null) {
    throw new UsageError(`--conn ${conn}: expected ADDRESS:PORT-ADDRESS:PORT (IPv6 in brackets)\n${USAGE}`);
  }
  let timeRange: [number, number] | undefined;
  if (time !== undefined) {
    const m = /^(\d+(?:\.\d*)?):(\d+(?:\.\d*)?)$/.exec(time);
    if (m === null || !(Number(m[2]) > Number(m[1]))) throw new UsageError(`--time ${time}: expected FROM:TO in seconds, FROM < TO (e.g. 0.5:1.25)\n${USAGE}`);
    timeRange = [Number(m[1]), Number(m[2])];
  }
  return { file, out, format, conn, dir, timeRange, list };
}

/** One line per connection for `--list` and for error messages. */
function describeConnection(c: TcpConnectionPackets): string {
  let up = 0;
  let down = 0;
  for (const p of c.packets) {
    if (p.src === c.client) up += p.payloadLength;
    else down += p.payloadLength;
  }
  return `${connectionName(c)}  ${c.packets.length} segments, ${up} bytes client\u2192server, ${down} bytes server\u2192client`;
}

/** Entry point of `tsip graph`. Resolves with the exit code (1 when there is nothing to graph or a file fails). */
export async function runGraph(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === null) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const { file } = parsed;
  let bytes: Uint8Array;
  try {
    const buf = await readFile(file);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    io.err(`tsip graph: ${file}: ${fileErrorText(e)}\n`);
    return 1;
  }
  const r = readPcapBytes(bytes);
  if (!r.ok) {
    io.err(`tsip graph: ${file}: not a readable pcap file (${r.reason})\n`);
    return 1;
  }
  const packets = capturePackets(r.value);
  if (packets.length === 0) {
    io.err(`tsip graph: ${file}: no TCP segments in this capture (${r.value.packets.length} packets), nothing to graph\n`);
    return 1;
  }
  const all = groupConnections(packets);
  if (parsed.list) {
    io.out(all.map((c) => describeConnection(c) + '\n').join(''));
    return 0;
  }
  let conns = all;
  if (parsed.conn !== undefined) {
    const ends = parseConnectionName(parsed.conn)!;
    conns = all.filter((c) => connectionMatches(c, ends));
    if (conns.length === 0) {
      io.err(`tsip graph: ${file}: no connection ${parsed.conn}; the capture has:\n${all.map((c) => `  ${describeConnection(c)}\n`).join('')}`);
      return 1;
    }
  }
  const graphs = [];
  for (const c of conns) {
    const sender = resolveSender(c, parsed.dir);
    if (sender === null) {
      io.err(`tsip graph: --dir ${parsed.dir}: not an end of ${connectionName(c)} (use client, server or one of its endpoints)\n`);
      return 1;
    }
    graphs.push(analyzeConnection(c, sender));
  }
  const options = parsed.timeRange === undefined ? {} : { timeRange: parsed.timeRange };
  const text = parsed.format === 'html' ? renderHtml(graphs, options) : renderSvg(graphs, options);
  try {
    await writeFile(parsed.out!, text);
  } catch (e) {
    io.err(`tsip graph: ${parsed.out}: ${fileErrorText(e)}\n`);
    return 1;
  }
  for (const g of graphs) io.out(`${graphTitle(g)}: ${graphSummary(g)}\n`);
  io.out(`wrote ${parsed.out} (${graphs.length} connection${graphs.length === 1 ? '' : 's'})\n`);
  return 0;
}
