import { formatIPv4, ipv4Mask, parseIPv4, parseIPv6 } from '../../core/address.js';
import type { ArithExpr, ArithOp, Direction, FilterExpr, ProtoName, RelOp } from './ast.js';
import { tokenize, type FilterError, type Token } from './lexer.js';

/**
 * The capture-filter grammar, after pcap-filter(7):
 *
 * ```
 * filter     := expr? EOF
 * expr       := unary (('and' | '&&' | 'or' | '||') unary)*       -- and/or: equal precedence, left to right
 * unary      := ('not' | '!') unary | atom
 * atom       := '(' expr ')' | relation | primitive | value     -- a bare value repeats the last qualifiers
 * primitive  := [proto] [src | dst] [host | net | port] value | proto | (greater | less) NUM
 * relation   := arith [relop arith]                              -- bare arith: true when not zero
 * arith      := arith binop arith | '-' arith | '(' arith ')' | NUM | len | NAME | proto '[' arith [':' 1|2|4] ']'
 * ```
 *
 * Arithmetic precedence, loosest first, as libpcap's grammar: `|`, `^`,
 * `&`, `<<` `>>`, `+` `-`, `*` `/` `%`. `tcp host`-style combinations that
 * tcpdump refuses are refused here too, with the column of the word at fault.
 */

/** A parsed filter, or where and why parsing failed. Never thrown. */
export type FilterParse = { readonly ok: true; readonly expr: FilterExpr } | { readonly ok: false; readonly error: FilterError };

const PROTOS: ReadonlySet<string> = new Set(['ether', 'ip', 'ip6', 'arp', 'tcp', 'udp', 'icmp', 'icmp6']);
const REL_OPS: ReadonlySet<string> = new Set(['==', '=', '!=', '<', '<=', '>', '>=']);
const ARITH_OPS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
/** Binary operator levels, loosest first. */
const LEVELS: readonly (readonly ArithOp[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
/** Guards the recursion: deeper nesting is refused rather than overflowing the stack. */
const MAX_DEPTH = 200;

/**
 * Named constants usable in arithmetic: tcpdump's TCP flag and ICMP type
 * names, and the bare flag names (`syn`, `ack` …) this tool also accepts.
 */
const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['fin', 0x01], ['syn', 0x02], ['rst', 0x04], ['psh', 0x08], ['push', 0x08], ['ack', 0x10], ['urg', 0x20], ['ece', 0x40], ['cwr', 0x80],
  ['tcp-fin', 0x01], ['tcp-syn', 0x02], ['tcp-rst', 0x04], ['tcp-push', 0x08], ['tcp-ack', 0x10], ['tcp-urg', 0x20], ['tcp-ece', 0x40], ['tcp-cwr', 0x80],
  ['icmp-echoreply', 0], ['icmp-unreach', 3], ['icmp-sourcequench', 4], ['icmp-redirect', 5], ['icmp-echo', 8],
  ['icmp-routeradvert', 9], ['icmp-routersolicit', 10], ['icmp-timxceed', 11], ['icmp-paramprob', 12],
  ['icmp-tstamp', 13], ['icmp-tstampreply', 14], ['icmp-ireq', 15], ['icmp-ireqreply', 16], ['icmp-maskreq', 17], ['icmp-maskreply', 18],
  ['icmp6-destinationunreach', 1], ['icmp6-packettoobig', 2], ['icmp6-timeexceeded', 3], ['icmp6-parameterproblem', 4],
  ['icmp6-echo', 128], ['icmp6-echoreply', 129], ['icmp6-routersolicit', 133], ['icmp6-routeradvert', 134],
  ['icmp6-neighborsolicit', 135], ['icmp6-neighboradvert', 136], ['icmp6-redirect', 137],
]);

/** Offsets with names inside `proto[...]` (pcap-filter(7): tcpflags, icmptype, icmpcode). */
const NAMED_OFFSETS: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map([
  ['tcp', new Map([['tcpflags', 13], ['flags', 13]])],
  ['icmp', new Map([['icmptype', 0], ['icmpcode', 1]])],
  ['icmp6', new Map([['icmp6type', 0], ['icmp6code', 1]])],
]);

/** Qualifiers of a primitive, remembered for abbreviations such as `port 80 or 443`. */
interface Qualifiers {
  proto: Token | undefined;
  dir: Direction;
  kind: 'host' | 'net' | 'port';
}

class SyntaxFault {
  constructor(readonly error: FilterError) {}
}

/** Parses filter text. Never throws: errors come back with the column they point at. */
export function parseFilter(text: string): FilterParse {
  const lexed = tokenize(text);
  if (!lexed.ok) return { ok: false, error: lexed.error };
  try {
    return { ok: true, expr: new Parser(lexed.tokens).filter() };
  } catch (e) {
    if (e instanceof SyntaxFault) return { ok: false, error: e.error };
    throw e;
  }
}

/**
 * Filter text with a caret under the column of an error, for the terminal:
 * ```
 * port foo
 *      ^
 * ```
 */
export function caretLine(text: string, column: number): string {
  const oneLine = text.replace(/[\t\n\r]/g, ' ');
  return `${oneLine}\n${' '.repeat(Math.max(0, column - 1))}^`;
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end of the expression' : `'${t.text}'`;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private last: Qualifiers | undefined;
  /** The protocols of the `proto[...]` being parsed, innermost last: their named offsets are in scope. */
  private readonly loads: ProtoName[] = [];

  constructor(private readonly tokens: readonly Token[]) {}

  filter(): FilterExpr {
    if (this.peek().kind === 'eof') return { kind: 'all' };
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(`unexpected ${describe(t)} after a complete expression`, t);
    return e;
  }

  // ---------------------------------------------------------------- boolean level

  private expr(): FilterExpr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const op = this.isWord(t, 'and') || this.isOp(t, '&&') ? 'and' : this.isWord(t, 'or') || this.isOp(t, '||') ? 'or' : null;
      if (op === null) return left;
      this.pos++;
      if (this.peek().kind === 'eof') this.fail(`missing expression after '${t.text}'`, this.peek());
      left = { kind: op, left, right: this.unary() };
    }
  }

  private unary(): FilterExpr {
    const t = this.peek();
    if (this.isWord(t, 'not') || this.isOp(t, '!')) {
      this.pos++;
      this.enter(t);
      const operand = this.unary();
      this.depth--;
      return { kind: 'not', operand };
    }
    return this.atom();
  }

  private atom(): FilterExpr {
    const t = this.peek();
    if (this.isOp(t, '(')) {
      const close = this.matchingParen(this.pos);
      if (close < 0) this.fail(`missing ')' for this '('`, t);
      // `(tcp[13] & 2) != 0` is arithmetic; `(tcp or udp) and …` is a group.
      if (this.startsArithTail(this.tokens[close + 1]!)) return this.relation();
      this.pos++;
      this.enter(t);
      const e = this.expr();
      this.expect(')');
      this.depth--;
      return e;
    }
    if (t.kind === 'number') {
      if (this.startsArithTail(this.tokens[this.pos + 1]!)) return this.relation();
      if (this.last !== undefined) return this.value(this.last);
      this.fail(`a bare number needs a qualifier, as in 'port ${t.text}' or 'len > ${t.text}'`, t);
    }
    if (t.kind === 'op') {
      if (t.text === '-') return this.relation();
      this.fail(t.text === ')' ? `unexpected ')' without a matching '('` : `expected a filter primitive, found ${describe(t)}`, t);
    }
    if (t.kind === 'eof') this.fail('expected a filter primitive', t);
    const w = t.text;
    if (w === 'and' || w === 'or') this.fail(`expected a filter primitive before '${w}'`, t);
    if (w === 'len' || CONSTANTS.has(w) || [...NAMED_OFFSETS.values()].some((m) => m.has(w))) return this.relation();
    if (PROTOS.has(w)) {
      if (this.isOp(this.tokens[this.pos + 1]!, '[')) return this.relation();
      this.pos++;
      return this.primitive(t);
    }
    if (w === 'src' || w === 'dst' || w === 'host' || w === 'net' || w === 'port') return this.primitive(undefined);
    if (w === 'greater' || w === 'less') {
      this.pos++;
      const n = this.next();
      if (n.kind !== 'number') this.fail(`expected a length after '${w}'`, n);
      // pcap-filter(7): `greater N` is len >= N, `less N` is len <= N.
      return { kind: 'compare', op: w === 'greater' ? '>=' : '<=', left: { kind: 'len' }, right: { kind: 'number', value: n.value } };
    }
    // A bare address: with earlier qualifiers it repeats them, else it is `host ADDRESS`.
    return this.value(this.last ?? { proto: undefined, dir: 'any', kind: 'host' });
  }

  /** `[src|dst] [host|net|port] VALUE` after an optional protocol, or the protocol on its own. */
  private primitive(proto: Token | undefined): FilterExpr {
    let dir: Direction = 'any';
    let t = this.peek();
    let qualified = false;
    if (this.isWord(t, 'src') || this.isWord(t, 'dst')) {
      dir = t.text as Direction;
      this.pos++;
      qualified = true;
      t = this.peek();
    }
    let kind: Qualifiers['kind'] = 'host';
    if (this.isWord(t, 'host') || this.isWord(t, 'net') || this.isWord(t, 'port')) {
      kind = t.text as Qualifiers['kind'];
      this.pos++;
      qualified = true;
    }
    if (!qualified) return { kind: 'proto', proto: proto!.text as ProtoName };
    const q: Qualifiers = { proto, dir, kind };
    this.checkQualifiers(q);
    return this.value(q);
  }

  private checkQualifiers(q: Qualifiers): void {
    const p = q.proto?.text;
    if (p === undefined) return;
    const allowed = q.kind === 'port' ? ['tcp', 'udp'] : q.kind === 'host' ? ['ip', 'ip6', 'arp', 'ether'] : ['ip', 'ip6', 'arp'];
    if (!allowed.includes(p)) this.fail(`'${p} ${q.kind}' is not valid: ${q.kind} takes ${allowed.join(', ')}`, q.proto!);
  }

  /** The value of a primitive with qualifiers `q`: an address, a network or a port. */
  private value(q: Qualifiers): FilterExpr {
    const prev = this.tokens[this.pos - 1];
    const t = this.next();
    this.last = q;
    const proto = q.proto?.text;
    if (t.kind === 'eof' || t.kind === 'op') {
      const what = q.kind === 'port' ? 'a port number' : q.kind === 'net' ? 'a network' : 'an address';
      this.fail(`expected ${what}${prev !== undefined ? ` after '${prev.text}'` : ''}, found ${describe(t)}`, t);
    }
    if (q.kind === 'port') {
      if (t.kind !== 'number' || t.value > 0xffff) this.fail(`expected a port number (0-65535), found ${describe(t)}`, t);
      return { kind: 'port', dir: q.dir, proto: proto as 'tcp' | 'udp' | undefined, port: t.value };
    }
    if (q.kind === 'net') return this.network(q, t);
    if (proto === 'ether') {
      const mac = /^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$/.test(t.text) ? t.text.split(':').map((x) => x.toLowerCase().padStart(2, '0')).join(':') : null;
      if (mac === null) this.fail(`expected an Ethernet address such as 02:00:00:00:00:01, found ${describe(t)}`, t);
      return { kind: 'ether-host', dir: q.dir, mac: mac! };
    }
    const v4 = parseIPv4(t.text);
    if (v4 !== null) {
      if (proto === 'ip6') this.fail(`'ip6 host' needs an IPv6 address, not ${t.text}`, t);
      return { kind: 'host', dir: q.dir, proto: proto as 'ip' | 'arp' | undefined, address: v4 };
    }
    const v6 = t.text.includes(':') ? parseIPv6(t.text) : null;
    if (v6 !== null) {
      if (proto === 'ip' || proto === 'arp') this.fail(`'${proto} host' needs an IPv4 address, not ${t.text}`, t);
      return { kind: 'host', dir: q.dir, proto: 'ip6', address: v6 };
    }
    if (t.kind === 'word' && !/^[0-9:.]/.test(t.text) && !/^[0-9A-Fa-f:]+$/.test(t.text)) {
      this.fail(`unknown word '${t.text}' (host names are not looked up; give an address)`, t);
    }
    this.fail(`expected an IPv4 or IPv6 address, found ${describe(t)}`, t);
  }

  /** `net 192.0.2.0/24`, `net 192.0.2` (the octets given set the prefix), `net 192.0.2.0 mask 255.255.255.0`, `net 2001:db8::/32`. */
  private network(q: Qualifiers, t: Token): FilterExpr {
    const proto = q.proto?.text;
    let prefix: number | undefined;
    if (this.isOp(this.peek(), '/')) {
      this.pos++;
      const n = this.next();
      if (n.kind !== 'number') this.fail(`expected a prefix length after '/'`, n);
      prefix = n.value;
    }
    if (t.kind !== 'word' && t.kind !== 'number') this.fail(`expected a network address, found ${describe(t)}`, t);
    if (t.text.includes(':')) {
      const a = parseIPv6(t.text);
      if (a === null) this.fail(`'${t.text}' is not an IPv6 address`, t);
      if (proto === 'ip' || proto === 'arp') this.fail(`'${proto} net' needs an IPv4 network`, t);
      const len = prefix ?? 128;
      if (len > 128) this.fail(`IPv6 prefix length ${len} is over 128`, this.tokens[this.pos - 1]!);
      return { kind: 'net6', dir: q.dir, prefix: a!, length: len };
    }
    if (proto === 'ip6') this.fail(`'ip6 net' needs an IPv6 network`, t);
    // libpcap: `net 10` is 10.0.0.0/8, `net 192.168` is /16 … with as many octets as given.
    const octets = t.text.split('.');
    if (!/^\d+(\.\d+){0,3}$/.test(t.text) || octets.some((o) => Number(o) > 255)) this.fail(`'${t.text}' is not an IPv4 network`, t);
    let address = 0;
    for (let i = 0; i < 4; i++) address = address * 256 + Number(octets[i] ?? 0);
    let mask: number;
    if (this.isWord(this.peek(), 'mask')) {
      if (prefix !== undefined) this.fail(`use either '/len' or 'mask', not both`, this.peek());
      this.pos++;
      const m = this.next();
      const mv = parseIPv4(m.text);
      if (mv === null) this.fail(`expected a dotted-quad mask after 'mask'`, m);
      mask = mv!;
    } else {
      const len = prefix ?? octets.length * 8;
      if (len > 32) this.fail(`IPv4 prefix length ${len} is over 32`, this.tokens[this.pos - 1]!);
      mask = ipv4Mask(len);
    }
    if (((address >>> 0) & ~mask) !== 0) {
      this.fail(`non-network bits set in ${formatIPv4(address >>> 0)} for mask ${formatIPv4(mask)}`, t);
    }
    return { kind: 'net4', dir: q.dir, proto: proto as 'ip' | 'arp' | undefined, network: address >>> 0, mask };
  }

  // ---------------------------------------------------------------- arithmetic level

  private relation(): FilterExpr {
    const first = this.peek();
    const left = this.arith(0);
    const t = this.peek();
    if (t.kind === 'op' && REL_OPS.has(t.text)) {
      this.pos++;
      const op: RelOp = t.text === '=' ? '==' : (t.text as RelOp);
      return { kind: 'compare', op, left, right: this.arith(0) };
    }
    // `syn` alone tests nothing about the packet: say what was probably meant.
    if (left.kind === 'number') this.fail(`'${first.text}' alone is a constant, not a test (try 'tcp[tcpflags] & ${first.text}')`, first);
    return { kind: 'truthy', value: left };
  }

  private arith(level: number): ArithExpr {
    if (level === LEVELS.length) return this.operand();
    let left = this.arith(level + 1);
    const ops = LEVELS[level]!;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !(ops as readonly string[]).includes(t.text)) return left;
      this.pos++;
      left = { kind: 'binary', op: t.text as ArithOp, left, right: this.arith(level + 1) };
    }
  }

  private operand(): ArithExpr {
    const t = this.next();
    if (t.kind === 'number') return { kind: 'number', value: t.value };
    if (this.isOp(t, '-') || this.isOp(t, '(')) {
      this.enter(t);
      let e: ArithExpr;
      if (t.text === '-') {
        e = { kind: 'negate', operand: this.operand() };
      } else {
        e = this.arith(0);
        this.expect(')');
      }
      this.depth--;
      return e;
    }
    if (t.kind === 'word') {
      if (t.text === 'len') return { kind: 'len' };
      const c = CONSTANTS.get(t.text);
      if (c !== undefined) return { kind: 'number', value: c };
      if (PROTOS.has(t.text)) return this.load(t);
      const inside = this.loads[this.loads.length - 1];
      const named = inside === undefined ? undefined : NAMED_OFFSETS.get(inside)?.get(t.text);
      if (named !== undefined) return { kind: 'number', value: named };
      for (const [proto, names] of NAMED_OFFSETS) {
        if (names.has(t.text)) this.fail(`'${t.text}' is an offset in ${proto}[]${inside !== undefined ? `, not in ${inside}[]` : ''}`, t);
      }
    }
    this.fail(`expected a number, 'len', a flag name or proto[offset], found ${describe(t)}`, t);
  }

  /** `proto[offset]` or `proto[offset:size]`, the protocol word already read. */
  private load(protoTok: Token): ArithExpr {
    const proto = protoTok.text as ProtoName;
    const open = this.next();
    if (!this.isOp(open, '[')) this.fail(`'${proto}' needs an offset here, as in ${proto}[0]`, open);
    this.enter(open);
    this.loads.push(proto);
    const offset = this.arith(0);
    this.loads.pop();
    let size: 1 | 2 | 4 = 1;
    if (this.isOp(this.peek(), ':')) {
      this.pos++;
      const s = this.next();
      if (s.kind !== 'number' || (s.value !== 1 && s.value !== 2 && s.value !== 4)) this.fail(`the size after ':' must be 1, 2 or 4`, s);
      size = s.value as 1 | 2 | 4;
    }
    this.expect(']');
    this.depth--;
    return { kind: 'load', proto, offset, size };
  }

  // ---------------------------------------------------------------- helpers

  /** True when `t` continues an arithmetic expression or starts a comparison. */
  private startsArithTail(t: Token): boolean {
    return t.kind === 'op' && (ARITH_OPS.has(t.text) || REL_OPS.has(t.text));
  }

  /** Index of the `)` closing the `(` at `from`, or -1. */
  private matchingParen(from: number): number {
    let depth = 0;
    for (let i = from; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (this.isOp(t, '(')) depth++;
      else if (this.isOp(t, ')') && --depth === 0) return i;
    }
    return -1;
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested too deeply (more than ${MAX_DEPTH} levels)`, t);
  }

  private expect(op: string): void {
    const t = this.next();
    if (!this.isOp(t, op)) this.fail(`expected '${op}', found ${describe(t)}`, t);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text === w;
  }

  private isOp(t: Token, o: string): boolean {
    return t.kind === 'op' && t.text === o;
  }

  private fail(message: string, at: Token): never {
    throw new SyntaxFault({ message, column: at.column });
  }
}
