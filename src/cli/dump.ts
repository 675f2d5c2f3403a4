import { readFile } from 'node:fs/promises';
import type { PcapCapture } from '../link/pcap-format.js';
import { readPcapBytes } from '../link/pcap-reader.js';
import { decodePacket } from './decode/decode.js';
import { formatLine } from './decode/format-line.js';
import { formatVerbose } from './decode/format-verbose.js';
import { UsageError, type CommandIo } from './io.js';

/**
 * `tsip dump FILE.pcap [-v] [-c N]`: prints a capture one packet per line,
 * as `tcpdump -nn -S` would (with `-e` for Ethernet captures, times in UTC);
 * `-v` adds every field of every layer.
 */

const USAGE = 'usage: tsip dump FILE.pcap [-v] [-c COUNT]';

/** Options of {@link formatCapture}. */
export interface FormatCaptureOptions {
  /** Print every field of every layer (`-v`). */
  verbose?: boolean;
  /** Stop after this many packets (`-c`). */
  count?: number;
}

/** The output lines (without newlines) for the packets of a capture, one packet at a time. */
function* captureLines(capture: PcapCapture, options: FormatCaptureOptions): Generator<string> {
  const n = Math.min(capture.packets.length, options.count ?? Infinity);
  for (let i = 0; i < n; i++) {
    const pkt = capture.packets[i]!;
    const decoded = decodePacket(pkt.data, capture.linkType, pkt.originalLength);
    if (options.verbose === true) yield* formatVerbose(decoded, pkt.timeUs);
    else yield formatLine(decoded, pkt.timeUs);
  }
}

/** The output lines (without newlines) for the packets of a capture. */
export function formatCapture(capture: PcapCapture, options: FormatCaptureOptions = {}): string[] {
  return [...captureLines(capture, options)];
}

interface DumpArgs {
  file: string;
  verbose: boolean;
  count: number | undefined;
}

function parseCount(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`-c needs a positive packet count\n${USAGE}`);
  }
  return Number(text);
}

function parseArgs(args: string[]): DumpArgs | null {
  let file: string | undefined;
  let verbose = false;
  let count: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return null;
    if (a === '-v') verbose = true;
    else if (a === '-c') count = parseCount(args[++i]);
    else if (a.startsWith('-c')) count = parseCount(a.slice(2));
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else if (file !== undefined) throw new UsageError(`one capture file at a time\n${USAGE}`);
    else file = a;
  }
  if (file === undefined) throw new UsageError(`missing capture file\n${USAGE}`);
  return { file, verbose, count };
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'No such file or directory';
    if (code === 'EACCES') return 'Permission denied';
    if (code === 'EISDIR') return 'Is a directory';
    return e.message;
  }
  return String(e);
}

/** Writes lines to `io.out` in chunks: neither one write per line nor one giant string. */
function writeLines(io: CommandIo, lines: Iterable<string>): void {
  const CHUNK = 1024;
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === CHUNK) {
      io.out(batch.join('\n') + '\n');
      batch = [];
    }
  }
  if (batch.length > 0) io.out(batch.join('\n') + '\n');
}

/** Entry point of `tsip dump`. Resolves with the exit code (1 when the file cannot be read). */
export async function runDump(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === null) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let bytes: Uint8Array;
  try {
    const buf = await readFile(parsed.file);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    io.err(`tsip dump: ${parsed.file}: ${errorText(e)}\n`);
    return 1;
  }
  const r = readPcapBytes(bytes);
  if (!r.ok) {
    io.err(`tsip dump: ${parsed.file}: not a readable pcap file (${r.reason})\n`);
    return 1;
  }
  const capture = r.value;
  const options: FormatCaptureOptions = { verbose: parsed.verbose };
  if (parsed.count !== undefined) options.count = parsed.count;
  writeLines(io, captureLines(capture, options));
  if (capture.truncated && (parsed.count === undefined || parsed.count > capture.packets.length)) {
    io.err(`tsip dump: ${parsed.file}: capture truncated (the last record is incomplete)\n`);
  }
  return 0;
}
