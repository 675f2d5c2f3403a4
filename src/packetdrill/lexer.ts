import { parseIPv6 } from '../core/address.js';

/**
 * Lexer for the packetdrill script language, written from the documented
 * token rules (conformance README §1.1, packetdrill lexer.l semantics).
 *
 * Matching follows flex's discipline so that scripts tokenise exactly as
 * upstream does: at each position the longest candidate wins, and a tie goes
 * to the earlier rule (keywords, `...`, `--option`, FLOAT, INTEGER, HEX, WORD,
 * ...). That is what makes `S.` come out as WORD `S` plus `.`, `+.1...0.200`
 * as `+` FLOAT ELLIPSIS FLOAT, and `1:1001` as INTEGER `:` INTEGER (an IPv6
 * literal needs `::` or eight groups, so it never swallows a sequence range).
 *
 * The lexer never throws: malformed input (an unterminated string, comment or
 * `%{` block) becomes an `error` token carrying a message and its position,
 * and is also listed in {@link LexResult.diagnostics}.
 */

/** Token categories. `punct` is any other single non-blank character. */
export type TokenKind =
  | 'integer'
  | 'float'
  | 'hex'
  | 'ipv4'
  | 'ipv6'
  | 'ellipsis'
  | 'option'
  | 'string'
  | 'backquoted'
  | 'code'
  | 'keyword'
  | 'word'
  | 'punct'
  | 'error'
  | 'eof';

/** One token with its source position (line and column are 1-based). */
export interface Token {
  readonly kind: TokenKind;
  /** The exact source text of the token (for a `--define` substitution: the symbol as written). */
  readonly text: string;
  /**
   * The decoded value: the inner text of a STRING / BACK_QUOTED (delimiters
   * removed, escapes kept as written, as packetdrill does), the trimmed body of
   * a CODE block, the name of an OPTION (without `--`), the word itself for
   * WORD / KEYWORD / numbers / addresses, the character for `punct`, and the
   * message for `error`.
   */
  readonly value: string;
  /** Numeric value of INTEGER, HEX and FLOAT tokens; NaN for other kinds. */
  readonly num: number;
  /** For OPTION tokens, the text after `=` (null when the option has no `=`). */
  readonly optionValue: string | null;
  readonly line: number;
  readonly col: number;
  /** Offset of the first character in the source (UTF-16 code units). */
  readonly offset: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** A lexical problem, with its position. */
export interface Diagnostic {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** The token stream (always ending with one `eof` token) plus any diagnostics. */
export interface LexResult {
  readonly tokens: Token[];
  readonly diagnostics: Diagnostic[];
}

/** Options for {@link lex}. */
export interface LexOptions {
  /**
   * Symbol definitions, as given by `--define=SYM=val` or `-D SYM=val` on the
   * packetdrill command line. A WORD equal to a defined symbol is replaced by
   * the value: `"..."` becomes a STRING, `` `...` `` a BACK_QUOTED command,
   * anything else is lexed as script text (so `-D MSS=1000` yields INTEGER).
   * `--define` option lines inside the script extend this table for the text
   * that follows them.
   */
  readonly defines?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/**
 * The reserved words of README §1.1 (lexer.l). A word equal to one of these
 * lexes as `keyword`; a longer word containing one (e.g. `acks`) is a WORD.
 */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'ack', 'win', 'urg', 'mss', 'nop', 'eol', 'sackOK', 'sack', 'wscale', 'TS', 'val', 'ecr', 'FO', 'FOEXP',
  'md5', 'ECN', 'tos', 'ttl', 'ect0', 'ect1', 'ect01', 'ce', 'noecn', 'flowlabel', 'udp', 'icmp', 'mtu', 'id',
  'raw', 'ipv4', 'ipv6', 'gre', 'mpls', 'encap', 'psp', 'spi',
  'fd', 'events', 'revents', 'onoff', 'linger', 'msg_name', 'msg_iov', 'msg_flags', 'msg_control',
  'cmsg_level', 'cmsg_type', 'cmsg_data', 'sa_family', 'sin_port', 'sin_addr', 'htons', 'inet_addr',
  'inet6_addr',
]);

/**
 * Splits a command-line definition `SYM=val` (the argument of `-D` or of
 * `--define=`) into its symbol and value; null when there is no `=` or no
 * symbol.
 */
export function parseDefine(arg: string): [string, string] | null {
  const eq = arg.indexOf('=');
  if (eq <= 0) return null;
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * Tokenises `source`. Never throws.
 */
export function lex(source: string, options: LexOptions = {}): LexResult {
  const defines = new Map<string, string>();
  const given = options.defines;
  if (given !== undefined) {
    const entries = given instanceof Map ? given.entries() : Object.entries(given);
    for (const [k, v] of entries) defines.set(k, v);
  }
  return new Lexer(source, defines).run();
}

// Rule ranks for flex's tie-break between candidates of equal length.
const RANK_KEYWORD = 0;
const RANK_ELLIPSIS = 1;
const RANK_FLOAT = 3;
const RANK_INTEGER = 4;
const RANK_HEX = 5;
const RANK_WORD = 6;
const RANK_IPV4 = 14;
const RANK_IPV6 = 15;

/** The longest IPv6 text we try to recognise (RFC 4291 text with a dotted quad). */
const MAX_IPV6_TEXT = 45;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
function isBlank(c: number): boolean {
  // packetdrill skips space, tab and newline; CR, FF and VT are tolerated too
  // so that scripts with DOS line ends still lex.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b;
}

class Lexer {
  private readonly lineStarts: number[] = [0];
  private readonly tokens: Token[] = [];
  private readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly src: string,
    private readonly defines: Map<string, string>,
  ) {
    for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 0x0a) this.lineStarts.push(i + 1);
  }

  run(): LexResult {
    const s = this.src;
    let i = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (isBlank(c)) {
        i++;
        continue;
      }
      const c1 = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
      if (c === 0x2f /* / */ && c1 === 0x2f) {
        const nl = s.indexOf('\n', i);
        i = nl === -1 ? s.length : nl;
        continue;
      }
      if (c === 0x2f && c1 === 0x2a /* * */) {
        const close = s.indexOf('*/', i + 2);
        if (close === -1) {
          i = this.error(i, s.length, 'unterminated /* comment');
          continue;
        }
        i = close + 2;
        continue;
      }
      if (c === 0x25 /* % */ && c1 === 0x7b /* { */) {
        i = this.code(i);
        continue;
      }
      if (c === 0x22 /* " */ || c === 0x60 /* ` */) {
        i = this.quoted(i, c === 0x22 ? 'string' : 'backquoted');
        continue;
      }
      if (c === 0x2d /* - */ && c1 === 0x2d && i + 2 < s.length && isWordChar(s.charCodeAt(i + 2))) {
        i = this.option(i);
        continue;
      }
      i = this.atom(i);
    }
    this.push('eof', '', '', NaN, null, s.length, s.length);
    return { tokens: this.tokens, diagnostics: this.diagnostics };
  }

  private position(offset: number): { line: number; col: number } {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }

  private push(
    kind: TokenKind,
    text: string,
    value: string,
    num: number,
    optionValue: string | null,
    start: number,
    end: number,
  ): void {
    const { line, col } = this.position(start);
    this.tokens.push({ kind, text, value, num, optionValue, line, col, offset: start, end });
  }

  private error(start: number, end: number, message: string): number {
    const { line, col } = this.position(start);
    this.diagnostics.push({ line, col, message });
    this.push('error', this.src.slice(start, end), message, NaN, null, start, end);
    return end;
  }

  /** `%{ ... }%`: blanks (space, tab) trimmed at both ends, as packetdrill does. */
  private code(start: number): number {
    const close = this.src.indexOf('}%', start + 2);
    if (close === -1) return this.error(start, this.src.length, 'unterminated %{ code block (missing }%)');
    const end = close + 2;
    let a = start + 2;
    let b = close;
    while (a < b && (this.src[a] === ' ' || this.src[a] === '\t')) a++;
    while (b > a && (this.src[b - 1] === ' ' || this.src[b - 1] === '\t')) b--;
    this.push('code', this.src.slice(start, end), this.src.slice(a, b), NaN, null, start, end);
    return end;
  }

  /** `"..."` or `` `...` ``: a backslash escapes the next character; may span lines. */
  private quoted(start: number, kind: 'string' | 'backquoted'): number {
    const s = this.src;
    const delim = s.charCodeAt(start);
    let i = start + 1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x5c /* \ */) {
        i += 2;
        continue;
      }
      if (c === delim) {
        const end = i + 1;
        this.push(kind, s.slice(start, end), s.slice(start + 1, i), NaN, null, start, end);
        return end;
      }
      i++;
    }
    return this.error(start, s.length, kind === 'string' ? 'unterminated string' : 'unterminated back-quoted command');
  }

  /**
   * `--name` or `--name=value`. The value runs to the next blank, except that
   * a quoted part (`"..."` or `` `...` ``) may contain blanks.
   * `--define=SYM=val` also extends the definition table (the substitution hook).
   */
  private option(start: number): number {
    const s = this.src;
    let i = start + 2;
    while (i < s.length && isWordChar(s.charCodeAt(i))) i++;
    const name = s.slice(start + 2, i);
    let value: string | null = null;
    if (i < s.length && s[i] === '=') {
      const vStart = i + 1;
      i = vStart;
      while (i < s.length && !isBlank(s.charCodeAt(i))) {
        const c = s.charCodeAt(i);
        if (c === 0x22 || c === 0x60) {
          const close = s.indexOf(s[i]!, i + 1);
          if (close === -1) return this.error(start, s.length, `unterminated quote in option --${name}`);
          i = close + 1;
        } else i++;
      }
      value = s.slice(vStart, i);
    }
    this.push('option', s.slice(start, i), name, NaN, value, start, i);
    if (name === 'define' && value !== null) {
      const def = parseDefine(value);
      if (def !== null) this.defines.set(def[0], def[1]);
    }
    return i;
  }

  /** Numbers, words, addresses, `...` and single characters, by longest match. */
  private atom(start: number): number {
    const s = this.src;
    // A single character (rank 9) unless something longer matches.
    const best: { len: number; rank: number; kind: TokenKind } = { len: 1, rank: 9, kind: 'punct' };
    const consider = (len: number, rank: number, kind: TokenKind): void => {
      if (len > best.len || (len === best.len && rank < best.rank)) {
        best.len = len;
        best.rank = rank;
        best.kind = kind;
      }
    };

    if (s.startsWith('...', start)) consider(3, RANK_ELLIPSIS, 'ellipsis');

    // FLOAT -?[0-9]*\.[0-9]+ and INTEGER -?[0-9]+
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const digitsStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    const intEnd = i;
    if (intEnd > digitsStart) consider(intEnd - start, RANK_INTEGER, 'integer');
    if (i < s.length && s.charCodeAt(i) === 0x2e && i + 1 < s.length && isDigit(s.charCodeAt(i + 1))) {
      i++;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      consider(i - start, RANK_FLOAT, 'float');
    }

    // HEX 0x[0-9a-fA-F]+
    if (s.startsWith('0x', start)) {
      let j = start + 2;
      while (j < s.length && isHexDigit(s.charCodeAt(j))) j++;
      if (j > start + 2) consider(j - start, RANK_HEX, 'hex');
    }

    // WORD [a-zA-Z0-9_]+ (a keyword when the whole word is reserved)
    let w = start;
    while (w < s.length && isWordChar(s.charCodeAt(w))) w++;
    if (w > start) {
      const isKw = KEYWORDS.has(s.slice(start, w));
      consider(w - start, isKw ? RANK_KEYWORD : RANK_WORD, isKw ? 'keyword' : 'word');
    }

    // IPV4 [0-9]+.[0-9]+.[0-9]+.[0-9]+
    if (isDigit(s.charCodeAt(start))) {
      let j = start;
      let groups = 0;
      for (;;) {
        const g = j;
        while (j < s.length && isDigit(s.charCodeAt(j))) j++;
        if (j === g) break;
        groups++;
        if (groups === 4 || j >= s.length || s.charCodeAt(j) !== 0x2e) break;
        j++;
      }
      if (groups === 4) consider(j - start, RANK_IPV4, 'ipv4');
    }

    // IPV6: the longest prefix of the run of [0-9a-fA-F:.] that is a valid
    // address. Valid text needs `::` or eight groups, so `1:1001` never is.
    const c0 = s.charCodeAt(start);
    if (isHexDigit(c0) || c0 === 0x3a) {
      let j = start;
      let colons = 0;
      let doubleColon = false;
      while (j < s.length && j - start < MAX_IPV6_TEXT) {
        const c = s.charCodeAt(j);
        if (c === 0x3a) {
          colons++;
          if (j > start && s.charCodeAt(j - 1) === 0x3a) doubleColon = true;
        } else if (!isHexDigit(c) && c !== 0x2e) break;
        j++;
      }
      if (doubleColon || colons >= 7) {
        for (let end = j; end - start > best.len; end--) {
          if (parseIPv6(s.slice(start, end)) !== null) {
            consider(end - start, RANK_IPV6, 'ipv6');
            break;
          }
        }
      }
    }

    const end = start + best.len;
    const text = s.slice(start, end);
    switch (best.kind) {
      case 'integer':
        this.push('integer', text, text, Number(text), null, start, end);
        break;
      case 'float':
        this.push('float', text, text, Number(text), null, start, end);
        break;
      case 'hex':
        this.push('hex', text, text, parseInt(text.slice(2), 16), null, start, end);
        break;
      case 'word':
        this.word(text, start, end);
        break;
      default:
        this.push(best.kind, text, text, NaN, null, start, end);
    }
    return end;
  }

  /** A WORD, or the tokens of its definition when it names a defined symbol. */
  private word(text: string, start: number, end: number): void {
    const def = this.defines.get(text);
    if (def === undefined) {
      this.push('word', text, text, NaN, null, start, end);
      return;
    }
    if (def.length >= 2 && def.startsWith('"') && def.endsWith('"')) {
      this.push('string', text, def.slice(1, -1), NaN, null, start, end);
      return;
    }
    if (def.length >= 2 && def.startsWith('`') && def.endsWith('`')) {
      this.push('backquoted', text, def.slice(1, -1), NaN, null, start, end);
      return;
    }
    // Lex the definition as script text, without further substitution (so a
    // self-referential definition cannot loop), and splice its tokens here.
    const sub = new Lexer(def, new Map()).run();
    const { line, col } = this.position(start);
    for (const d of sub.diagnostics) this.diagnostics.push({ line, col, message: `in definition of ${text}: ${d.message}` });
    for (const t of sub.tokens) {
      if (t.kind === 'eof') break;
      this.tokens.push({ ...t, text, line, col, offset: start, end });
    }
  }
}
