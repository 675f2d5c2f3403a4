import { readFile } from 'node:fs/promises';
import type { PcapCapture } from '../link/pcap-format.js';
import { readPcapBytes } from '../link/pcap-reader.js';
import { decodePacket } from './decode/decode.js';
import { formatLine } from './decode/format-line.js';
import { formatVerbose } from './decode/format-verbose.js';
import { formatFilterError, packetFilter, type PacketPredicate } from './filter/filter.js';
import { runLiveDump } from './dump-live.js';
import { fileErrorText, UsageError, type CommandIo } from './io.js';

/**
 * `tsip dump FILE.pcap [-v] [-c N] [EXPRESSION...]`: prints a capture one
 * packet per line, as `tcpdump -nn -S` would (with `-e` for Ethernet
 * captures, times in UTC); `-v` adds every field of every layer. An
 * expression in tcpdump's filter language (see src/cli/filter) keeps only
 * the packets it matches; `-c` counts matching packets. With `--live` and
 * link flags it prints a running stack's frames instead (see dump-live.ts).
 */

const USAGE = 'usage: tsip dump FILE.pcap [-v] [-c COUNT] [EXPRESSION...]';

/** Options of {@link formatCapture}. */
export interface FormatCaptureOptions {
  /** Print every field of every layer (`-v`). */
  verbose?: boolean;
  /** Stop after this many (matching) packets (`-c`). */
  count?: number;
  /** Print only the packets this predicate accepts (a compiled filter expression). */
  filter?: PacketPredicate;
}

/** How far {@link captureLines} got: whether `-c` was satisfied (then a cut-short capture goes unmentioned, as tcpdump stops reading). */
interface Progress {
  countReached: boolean;
}

/** The output lines (without newlines) for the packets of a capture, one packet at a time. */
function* captureLines(capture: PcapCapture, options: FormatCaptureOptions, progress?: Progress): Generator<string> {
  const limit = options.count ?? Infinity;
  const filter = options.filter;
  let shown = 0;
  for (let i = 0; i < capture.packets.length && shown < limit; i++) {
    const pkt = capture.packets[i]!;
    const decoded = decodePacket(pkt.data, capture.linkType, pkt.originalLength);
    if (filter !== undefined && !filter(decoded, pkt.data)) continue;
    shown++;
    if (options.verbose === true) yield* formatVerbose(decoded, pkt.timeUs);
    else yield formatLine(decoded, pkt.timeUs);
  }
  if (progress !== undefined) progress.countReached = shown >= limit;
}

/** The output lines (without newlines) for the packets of a capture. */
export function formatCapture(capture: PcapCapture, options: FormatCaptureOptions = {}): string[] {
  return [...captureLines(capture, options)];
}

interface DumpArgs {
  file: string;
  verbose: boolean;
  count: number | undefined;
  filter: PacketPredicate | undefined;
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
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return null;
    if (a === '-v') verbose = true;
    else if (a === '-c') count = parseCount(args[++i]);
    else if (a.startsWith('-c')) count = parseCount(a.slice(2));
    else if (a.startsWith('-') && a !== '-' && !/^-\d/.test(a)) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else if (file === undefined) file = a;
    else words.push(a);
  }
  if (file === undefined) throw new UsageError(`missing capture file\n${USAGE}`);
  return { file, verbose, count, filter: words.length > 0 ? compileExpression(words) : undefined };
}

/** The filter the words after the file spell (joined by spaces, as tcpdump does). */
function compileExpression(words: string[]): PacketPredicate {
  const text = words.join(' ');
  const f = packetFilter(text);
  if (f.ok) return f.match;
  // `tsip dump a.pcap b.pcap` is more likely a second file than a filter.
  const looksLikeFile = (w: string): boolean => /\.(pcap|pcapng|cap)$/i.test(w) || (/[/\\]/.test(w) && !/^[0-9A-Fa-f:.]*\/\d*$/.test(w));
  if (words.some(looksLikeFile)) throw new UsageError(`one capture file at a time\n${USAGE}`);
  throw new UsageError(`${formatFilterError(text, f.error)}\n${USAGE}`);
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
  if (args.includes('--live')) return runLiveDump(args.filter((a) => a !== '--live'), io);
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
    io.err(`tsip dump: ${parsed.file}: ${fileErrorText(e)}\n`);
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
  if (parsed.filter !== undefined) options.filter = parsed.filter;
  const progress: Progress = { countReached: false };
  writeLines(io, captureLines(capture, options, progress));
  if (capture.truncated && !progress.countReached) {
    io.err(`tsip dump: ${parsed.file}: capture truncated (the last record is incomplete)\n`);
  }
  return 0;
}
