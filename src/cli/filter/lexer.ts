import { parseIPv6 } from '../../core/address.js';

/**
 * Tokens of the capture-filter language (a subset of tcpdump's, see
 * pcap-filter(7)). Words cover keywords, names and addresses alike
 * (`host`, `syn`, `192.0.2.1`, `2001:db8::1`, `02:00:00:00:00:01`): the
 * parser decides what a word means where it stands, as libpcap's does.
 */

/** A token; `column` is 1-based, counted in UTF-16 code units of the filter text. */
export interface Token {
  readonly kind: 'word' | 'number' | 'op' | 'eof';
  readonly text: string;
  readonly column: number;
  /** The value of a `number` token. */
  readonly value: number;
}

/** A lexing or parsing error at a column of the filter text. */
export interface FilterError {
  readonly message: string;
  /** 1-based column of the offending character or token. */
  readonly column: number;
}

/** Operators, longest first so that `<=` wins over `<`, `&&` over `&`. */
const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '(', ')', '[', ']', ':', '&', '|', '^', '+', '-', '*', '/', '%', '<', '>', '=', '!'];

/** Largest number the language holds: BPF arithmetic is unsigned 32-bit. */
const MAX_NUMBER = 0xffffffff;

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_.:]/.test(c);
}

/** tcpdump names with a hyphen (`tcp-syn`, `icmp-echo`, `icmp6-echo`): the word before it. */
const HYPHEN_PREFIXES = new Set(['tcp', 'icmp', 'icmp6']);

/**
 * Splits filter text into tokens, ending with an `eof` token. Never throws:
 * an unknown character or an oversized number is returned as an error.
 */
export function tokenize(text: string): { ok: true; tokens: Token[] } | { ok: false; error: FilterError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const column = i + 1;
    // A word may start with ':' only as an IPv6 address does ("::1"); a lone ':' is offset:size.
    if (isWordChar(c) && (c !== ':' || text[i + 1] === ':')) {
      let j = i + 1;
      for (;;) {
        while (j < text.length && isWordChar(text[j]!)) j++;
        if (text[j] === '-' && HYPHEN_PREFIXES.has(text.slice(i, j)) && /[A-Za-z]/.test(text[j + 1] ?? '')) {
          j++;
          continue;
        }
        break;
      }
      const word = text.slice(i, j);
      i = j;
      // `13:2` or `tcpflags:1` inside brackets is offset:size, not an address.
      const pair = /^([^:]+):(\d+)$/.exec(word);
      if (pair !== null && parseIPv6(word) === null) {
        const head = classify(pair[1]!, column);
        if ('error' in head) return { ok: false, error: head.error };
        const size = classify(pair[2]!, column + pair[1]!.length + 1);
        if ('error' in size) return { ok: false, error: size.error };
        tokens.push(head.token, { kind: 'op', text: ':', column: column + pair[1]!.length, value: 0 }, size.token);
        continue;
      }
      const one = classify(word, column);
      if ('error' in one) return { ok: false, error: one.error };
      tokens.push(one.token);
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) {
      return { ok: false, error: { message: `unexpected character '${c}'`, column } };
    }
    tokens.push({ kind: 'op', text: op, column, value: 0 });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '', column: text.length + 1, value: 0 });
  return { ok: true, tokens };
}

/** A word as a number token when it spells one (decimal, 0x hex, 0 octal), else as a word token. */
function classify(word: string, column: number): { token: Token } | { error: FilterError } {
  if (/^(0[xX][0-9A-Fa-f]+|\d+)$/.test(word)) {
    if (/^0[0-9]*[89]/.test(word)) return { error: { message: `bad octal number ${word}`, column } };
    return number(word, column);
  }
  return { token: { kind: 'word', text: word, column, value: 0 } };
}

function number(text: string, column: number): { token: Token } | { error: FilterError } {
  // As libpcap: 0x… is hex, a leading 0 means octal.
  const value = /^0[xX]/.test(text) ? parseInt(text.slice(2), 16) : /^0[0-7]+$/.test(text) ? parseInt(text, 8) : Number(text);
  if (!(value <= MAX_NUMBER)) return { error: { message: `number ${text} is too large (the limit is ${MAX_NUMBER})`, column } };
  return { token: { kind: 'number', text, column, value } };
}
