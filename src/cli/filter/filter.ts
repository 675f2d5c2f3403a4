import type { FilterExpr } from './ast.js';
import { compileFilter, type PacketPredicate } from './evaluate.js';
import type { FilterError } from './lexer.js';
import { caretLine, parseFilter } from './parser.js';

/**
 * Capture filters for `tsip dump` and the library: text in tcpdump's
 * language (pcap-filter(7), a subset) in, a predicate over decoded packets
 * out.
 *
 * ```ts
 * const f = packetFilter('tcp[tcpflags] & (syn|ack) == syn and dst port 80');
 * if (f.ok) for (const pkt of capture.packets) if (f.match(decodePacket(pkt.data, lt), pkt.data)) …
 * ```
 */

export type { FilterExpr } from './ast.js';
export type { FilterError } from './lexer.js';
export type { PacketPredicate } from './evaluate.js';

/** A compiled filter, or the error with its column. Never throws. */
export type PacketFilter =
  | { readonly ok: true; readonly expr: FilterExpr; readonly match: PacketPredicate }
  | { readonly ok: false; readonly error: FilterError };

/** Parses and compiles filter text (an empty text matches every packet). */
export function packetFilter(text: string): PacketFilter {
  const r = parseFilter(text);
  return r.ok ? { ok: true, expr: r.expr, match: compileFilter(r.expr) } : r;
}

/** The error as the terminal shows it: message, column, and the text with a caret under the column. */
export function formatFilterError(text: string, error: FilterError): string {
  return `filter: ${error.message} (column ${error.column})\n${caretLine(text, error.column)}`;
}
