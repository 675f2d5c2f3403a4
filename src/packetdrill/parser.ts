import type {
  Action, Command, EventTime, Expr, Script, ScriptError, ScriptEvent, ScriptOption, SyscallAction,
} from './ast.js';
import { ParseFailure, TokenCursor } from './cursor.js';
import { lex, type LexOptions, type Token } from './lexer.js';
import { parseExpr } from './parse-expr.js';
import { parsePacket } from './parse-packet.js';

/**
 * Recursive-descent parser for packetdrill scripts, following the grammar of
 * README §1.2-1.5 (parser.y):
 *
 * ```
 * script      := option* [BACK_QUOTED] event+ [BACK_QUOTED]
 * event       := event_time action
 * event_time  := '*' | time ['~' time] | '+' time ['~' '+' time]
 * time        := INTEGER | FLOAT                     (seconds, >= 0)
 * action      := packet | syscall | BACK_QUOTED | CODE
 * syscall     := ['...' time] WORD '(' [expr {',' expr}] ')' '=' expr [WORD] {'(' note ')'}
 * ```
 *
 * Errors carry line and column. After an error the parser skips to the next
 * line that starts an event, so one run reports every broken line. The parser
 * never throws to its caller.
 */

/** Options for {@link parseScript}: the lexer's `--define` table. */
export type ParseOptions = LexOptions;

/** The parse result: a script, or every error found. */
export type ParseOutcome =
  | { readonly ok: true; readonly script: Script }
  | { readonly ok: false; readonly errors: readonly ScriptError[] };

/**
 * Parses a script. Time-related semantics (first event at 0, ranges only on
 * outbound packets...) are checked by `planTiming` in timing.ts.
 */
export function parseScript(source: string, options: ParseOptions = {}): ParseOutcome {
  const { tokens, diagnostics } = lex(source, options);
  const errors: ScriptError[] = diagnostics.map((d) => ({ line: d.line, col: d.col, message: d.message }));
  const cur = new TokenCursor(tokens, source);

  const scriptOptions: ScriptOption[] = [];
  while (cur.peek().kind === 'option') {
    const t = cur.next();
    scriptOptions.push({ name: t.value, value: t.optionValue, line: t.line });
  }
  let initCommand: Command | null = null;
  if (cur.peek().kind === 'backquoted') {
    const t = cur.next();
    initCommand = { command: t.value, line: t.line };
  }

  const events: ScriptEvent[] = [];
  let cleanupCommand: Command | null = null;
  while (cur.peek().kind !== 'eof') {
    const t = cur.peek();
    if (t.kind === 'backquoted' && cur.peek(1).kind === 'eof') {
      cur.next();
      cleanupCommand = { command: t.value, line: t.line };
      break;
    }
    const startPos = cur.pos;
    try {
      if (t.kind === 'option') cur.semantic(t, `option --${t.value} must come before the first event`);
      if (t.kind === 'backquoted') cur.semantic(t, 'a command between events needs a time (e.g. +0 `cmd`)');
      events.push(parseEvent(cur));
    } catch (e) {
      if (!(e instanceof ParseFailure)) throw e;
      if (!e.silent) errors.push({ line: e.line, col: e.col, message: e.message });
      resync(cur, startPos);
    }
  }
  if (events.length === 0 && errors.length === 0) {
    const t = cur.peek();
    errors.push({ line: t.line, col: t.col, message: 'script has no events' });
  }
  if (errors.length > 0) {
    errors.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, errors };
  }
  return { ok: true, script: { options: scriptOptions, initCommand, events, cleanupCommand } };
}

/**
 * Skips to the first token after `startPos` that begins a line and can begin
 * an event (a time, `*`, or a command), or to the end.
 */
function resync(cur: TokenCursor, startPos: number): void {
  const toks = cur.tokens;
  let i = Math.max(cur.pos, startPos + 1);
  for (; i < toks.length - 1; i++) {
    const t = toks[i]!;
    if (toks[i - 1]!.line >= t.line) continue;
    if (t.kind === 'integer' || t.kind === 'float' || t.kind === 'backquoted') break;
    if (t.kind === 'punct' && (t.value === '+' || t.value === '*')) break;
  }
  cur.pos = Math.min(i, toks.length - 1);
}

/**
 * Converts a decimal seconds literal (`2`, `.1`, `0.035`) to integer
 * microseconds exactly, digit by digit, so that `0.57` is 570000 and not the
 * 569999 a binary float multiply would give. Digits past the sixth decimal
 * are dropped (packetdrill truncates too). Null if not a decimal or too big.
 */
export function secondsToMicros(text: string): number | null {
  const m = /^(-?)([0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (m === null || (m[2] === '' && m[3] === undefined)) return null;
  const whole = m[2] === '' ? 0 : Number(m[2]);
  const frac = Number((m[3] ?? '').slice(0, 6).padEnd(6, '0'));
  const us = whole * 1_000_000 + frac;
  if (!Number.isSafeInteger(us)) return null;
  return m[1] === '-' && us !== 0 ? -us : us;
}

function parseTime(cur: TokenCursor): number {
  const t = cur.peek();
  if (t.kind !== 'integer' && t.kind !== 'float') return cur.fail(t, 'expected a time in seconds');
  cur.next();
  const us = secondsToMicros(t.text);
  if (us === null) return cur.semantic(t, `time out of range: ${t.text}`);
  if (us < 0 || t.text.startsWith('-')) return cur.semantic(t, `negative time: ${t.text}`);
  return us;
}

function parseEventTime(cur: TokenCursor): EventTime {
  const t = cur.peek();
  if (t.kind === 'punct' && t.value === '*') {
    cur.next();
    return { kind: 'any' };
  }
  if (t.kind === 'punct' && t.value === '+') {
    cur.next();
    const us = parseTime(cur);
    if (!cur.eatPunct('~')) return { kind: 'relative', us };
    cur.expectPunct('+', "after '~' in a relative time range");
    return { kind: 'range', relative: true, startUs: us, endUs: parseTime(cur) };
  }
  if (t.kind === 'integer' || t.kind === 'float') {
    const us = parseTime(cur);
    if (!cur.eatPunct('~')) return { kind: 'absolute', us };
    return { kind: 'range', relative: false, startUs: us, endUs: parseTime(cur) };
  }
  return cur.fail(t, 'expected an event time (T, +d, T1~T2, +d1~+d2 or *)');
}

function parseEvent(cur: TokenCursor): ScriptEvent {
  const first = cur.peek();
  const time = parseEventTime(cur);
  const action = parseAction(cur);
  return { line: first.line, col: first.col, time, action };
}

function parseAction(cur: TokenCursor): Action {
  const t = cur.peek();
  switch (t.kind) {
    case 'punct':
      if (t.value === '<' || t.value === '>') return parsePacket(cur);
      break;
    case 'backquoted':
      cur.next();
      return { type: 'shell', command: t.value };
    case 'code':
      cur.next();
      return { type: 'code', code: t.value };
    case 'ellipsis':
    case 'word':
      return parseSyscall(cur);
    default:
      break;
  }
  return cur.fail(t, 'expected a packet (< or >), a system call, a `command` or a %{ code }% block');
}

function parseSyscall(cur: TokenCursor): SyscallAction {
  let endUs: number | null = null;
  if (cur.peek().kind === 'ellipsis') {
    cur.next();
    endUs = parseTime(cur);
  }
  const nameTok = cur.peek();
  if (nameTok.kind !== 'word') cur.fail(nameTok, 'expected a system call name');
  cur.next();
  cur.expectPunct('(', `after ${nameTok.value}`);
  const args: Expr[] = [];
  if (!cur.eatPunct(')')) {
    do args.push(parseExpr(cur));
    while (cur.eatPunct(','));
    cur.expectPunct(')', `to close the arguments of ${nameTok.value}`);
  }
  cur.expectPunct('=', `before the expected result of ${nameTok.value}`);
  const result = parseExpr(cur);
  const errno = cur.peek().kind === 'word' ? cur.next().value : null;
  const notes: string[] = [];
  while (cur.atPunct('(')) notes.push(parseNote(cur));
  return { type: 'syscall', name: nameTok.value, args, endUs, result, errno, note: notes.length > 0 ? notes.join(' ') : null };
}

/** `( free text )`: the source between the parentheses, blanks collapsed. Nested parentheses are allowed. */
function parseNote(cur: TokenCursor): string {
  const open = cur.next();
  let depth = 1;
  let t: Token = cur.peek();
  for (;;) {
    t = cur.peek();
    if (t.kind === 'eof' || t.kind === 'error') cur.fail(t, "unterminated note: missing ')'");
    cur.next();
    if (t.kind === 'punct' && t.value === '(') depth++;
    if (t.kind === 'punct' && t.value === ')' && --depth === 0) break;
  }
  return cur.source.slice(open.end, t.offset).replace(/\s+/g, ' ').trim();
}
