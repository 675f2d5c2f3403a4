import type { Expr, StructField } from './ast.js';
import { MAX_NESTING, type TokenCursor } from './cursor.js';

/**
 * Syscall argument expressions (README §1.4, parser.y `expression`):
 * integers, hex, symbols, `a|b` bitwise OR, `...`, strings, `[...]` arrays,
 * `{...}` structs and lists, `htons(...)`, `inet_addr("...")`.
 */
export function parseExpr(cur: TokenCursor, depth = 0): Expr {
  if (depth > MAX_NESTING) cur.semantic(cur.peek(), `expression nested more than ${MAX_NESTING} deep`);
  const first = parsePrimary(cur, depth);
  if (!cur.atPunct('|')) return first;
  const terms: Expr[] = [first];
  while (cur.eatPunct('|')) terms.push(parsePrimary(cur, depth));
  return { kind: 'bitor', terms };
}

/** Names that read as function calls rather than `name(index)=value` fields. */
const CALLS = new Set(['htons', 'inet_addr', 'inet6_addr']);

function parsePrimary(cur: TokenCursor, depth: number): Expr {
  const t = cur.peek();
  switch (t.kind) {
    case 'ellipsis':
      cur.next();
      return { kind: 'ellipsis' };
    case 'integer':
    case 'hex':
      cur.next();
      if (!Number.isSafeInteger(t.num)) cur.semantic(t, `integer out of range: ${t.text}`);
      return { kind: 'int', value: t.num, hex: t.kind === 'hex' };
    case 'string': {
      let value = '';
      while (cur.peek().kind === 'string') value += cur.next().value;
      const ellipsis = cur.peek().kind === 'ellipsis';
      if (ellipsis) cur.next();
      return { kind: 'string', value, ellipsis };
    }
    case 'word':
      cur.next();
      if (cur.eatPunct('=')) return { kind: 'assign', name: t.value, value: parseExpr(cur, depth + 1) };
      return { kind: 'symbol', name: t.value };
    case 'keyword':
      if (t.value === 'htons') {
        cur.next();
        cur.expectPunct('(', 'after htons');
        const value = parseExpr(cur, depth + 1);
        cur.expectPunct(')', 'to close htons(');
        return { kind: 'htons', value };
      }
      if (t.value === 'inet_addr' || t.value === 'inet6_addr') {
        cur.next();
        cur.expectPunct('(', `after ${t.value}`);
        const a = cur.peek();
        if (a.kind !== 'string') cur.fail(a, `expected an address string in ${t.value}()`);
        cur.next();
        cur.expectPunct(')', `to close ${t.value}(`);
        return { kind: 'inet_addr', family: t.value === 'inet_addr' ? 4 : 6, address: a.value };
      }
      return cur.fail(t, `keyword '${t.value}' cannot start an expression`);
    case 'punct':
      if (t.value === '[') return parseArray(cur, depth);
      if (t.value === '{') return parseBraces(cur, depth);
      break;
    default:
      break;
  }
  return cur.fail(t, 'expected an expression');
}

function parseArray(cur: TokenCursor, depth: number): Expr {
  cur.next();
  const elements: Expr[] = [];
  if (!cur.eatPunct(']')) {
    do elements.push(parseExpr(cur, depth + 1));
    while (cur.eatPunct(','));
    cur.expectPunct(']', 'to close the array');
  }
  return { kind: 'array', elements };
}

/** A brace entry: a named field (`name=v`, `name(i)=v`) or a positional expression. */
type Entry = { field: StructField } | { expr: Expr };

function parseEntry(cur: TokenCursor, depth: number): Entry {
  const t = cur.peek();
  if (t.kind === 'word' || t.kind === 'keyword') {
    if (cur.atPunct('=', 1)) {
      cur.next();
      cur.next();
      return { field: { name: t.value, index: null, value: parseExpr(cur, depth + 1) } };
    }
    if (cur.atPunct('(', 1) && !CALLS.has(t.value)) {
      cur.next();
      cur.next();
      const index = parseExpr(cur, depth + 1);
      cur.expectPunct(')', `to close ${t.value}(`);
      cur.expectPunct('=', `after ${t.value}(...)`);
      return { field: { name: t.value, index, value: parseExpr(cur, depth + 1) } };
    }
  }
  return { expr: parseExpr(cur, depth + 1) };
}

function parseBraces(cur: TokenCursor, depth: number): Expr {
  const open = cur.next();
  const entries: Entry[] = [];
  if (!cur.eatPunct('}')) {
    do entries.push(parseEntry(cur, depth));
    while (cur.eatPunct(','));
    cur.expectPunct('}', 'to close the braces');
  }
  const fields: StructField[] = [];
  for (const e of entries) if ('field' in e) fields.push(e.field);
  if (entries.length > 0 && fields.length === entries.length) return recognise(fields);
  const elements: Expr[] = [];
  for (const e of entries) {
    if ('expr' in e) elements.push(e.expr);
    else if (e.field.index !== null) cur.semantic(open, `field ${e.field.name}(...) mixed with positional entries`);
    else elements.push({ kind: 'assign', name: e.field.name, value: e.field.value });
  }
  // `{..., N}` is packetdrill's iovec form.
  if (elements.length === 2 && elements[0]!.kind === 'ellipsis') {
    return { kind: 'iovec', base: elements[0]!, len: elements[1]! };
  }
  return { kind: 'list', elements };
}

/** Turns the struct shapes packetdrill knows into their own node kinds. */
function recognise(fields: StructField[]): Expr {
  const by = new Map<string, StructField>();
  for (const f of fields) {
    if (by.has(f.name)) return { kind: 'struct', fields };
    by.set(f.name, f);
  }
  const has = (...names: string[]): boolean => names.every((n) => by.has(n));
  const plain = (...names: string[]): boolean => names.every((n) => by.get(n)?.index === null);
  const v = (n: string): Expr => by.get(n)!.value;
  const n = fields.length;
  if (n === 2 && has('onoff', 'linger') && plain('onoff', 'linger')) {
    return { kind: 'linger', onoff: v('onoff'), linger: v('linger') };
  }
  if ((n === 2 || (n === 3 && has('revents'))) && has('fd', 'events') && plain('fd', 'events')) {
    if (n === 2 || plain('revents')) {
      return { kind: 'pollfd', fd: v('fd'), events: v('events'), revents: n === 3 ? v('revents') : null };
    }
  }
  if (n === 3 && has('sa_family', 'sin_port', 'sin_addr') && plain('sa_family', 'sin_port', 'sin_addr')) {
    return { kind: 'sockaddr', family: v('sa_family'), port: v('sin_port'), addr: v('sin_addr') };
  }
  if ((n === 3 || (n === 4 && has('msg_control'))) && has('msg_name', 'msg_iov', 'msg_flags')) {
    return {
      kind: 'msghdr',
      name: v('msg_name'),
      nameLen: by.get('msg_name')!.index,
      iov: v('msg_iov'),
      iovLen: by.get('msg_iov')!.index,
      flags: v('msg_flags'),
      control: n === 4 ? v('msg_control') : null,
    };
  }
  return { kind: 'struct', fields };
}
