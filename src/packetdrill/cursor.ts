import type { Token } from './lexer.js';

/**
 * A parse error raised inside the recursive-descent parser and caught at the
 * event boundary (parser.ts), which records it and resynchronises. It never
 * leaves the parser. `silent` marks a failure on a lexer `error` token, whose
 * message the lexer already reported.
 */
export class ParseFailure {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly message: string,
    readonly silent: boolean,
  ) {}
}

/** Limit on nesting of `[`/`{` in expressions, so hostile input cannot overflow the stack. */
export const MAX_NESTING = 64;

/** Read position over a token array that ends with `eof`. */
export class TokenCursor {
  pos = 0;

  constructor(
    readonly tokens: readonly Token[],
    readonly source: string,
  ) {}

  /** The token `k` ahead (the final `eof` when past the end). */
  peek(k = 0): Token {
    const t = this.tokens;
    return t[Math.min(this.pos + k, t.length - 1)]!;
  }

  /** Consumes and returns the current token (stays on `eof`). */
  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  /** Whether the token `k` ahead is the punctuation character `c`. */
  atPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.value === c;
  }

  /** Whether the token `k` ahead is the keyword `word`. */
  atKeyword(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'keyword' && t.value === word;
  }

  /** Consumes `c` if it is next. */
  eatPunct(c: string): boolean {
    if (!this.atPunct(c)) return false;
    this.next();
    return true;
  }

  /** Consumes the keyword `word` if it is next. */
  eatKeyword(word: string): boolean {
    if (!this.atKeyword(word)) return false;
    this.next();
    return true;
  }

  /** Consumes `c`, or fails with "expected 'c' <context>". */
  expectPunct(c: string, context: string): Token {
    if (!this.atPunct(c)) this.fail(this.peek(), `expected '${c}' ${context}`);
    return this.next();
  }

  /** An INTEGER token's value, checked to lie in [min, max]. */
  expectInteger(what: string, min: number, max: number): number {
    const t = this.peek();
    if (t.kind !== 'integer') this.fail(t, `expected ${what}`);
    this.next();
    if (!Number.isSafeInteger(t.num) || t.num < min || t.num > max) this.semantic(t, `${what} out of range: ${t.text}`);
    return t.num;
  }

  /** Throws a {@link ParseFailure} positioned at `t`. */
  fail(t: Token, message: string): never {
    if (t.kind === 'error') throw new ParseFailure(t.line, t.col, t.value, true);
    const found = t.kind === 'eof' ? 'end of script' : `'${t.text}'`;
    throw new ParseFailure(t.line, t.col, `${message} (found ${found})`, false);
  }

  /** Throws a semantic {@link ParseFailure} at `t` (no "found" suffix). */
  semantic(t: Token, message: string): never {
    throw new ParseFailure(t.line, t.col, message, false);
  }
}

/** 32-bit unsigned range, for sequence and ack numbers. */
export const U32_MAX = 0xffffffff;
/** 16-bit unsigned range, for windows, ports and lengths. */
export const U16_MAX = 0xffff;
