import type {
  Direction, IcmpEchoed, IcmpPacket, IpInfo, PacketAction, Ports, SeqRange, TcpFlagBits, TcpOptionSpec, TcpPacket,
  UdpPacket,
} from './ast.js';
import { U16_MAX, U32_MAX, type TokenCursor } from './cursor.js';
import type { Token } from './lexer.js';

/**
 * Packet lines (README §1.5, parser.y `tcp_packet_spec`, `udp_packet_spec`,
 * `icmp_packet_spec`), with the semantic checks packetdrill makes while
 * parsing: end = start + len, `win` on inbound TCP, `<...>` and `ect01` only
 * outbound, ECN only on TCP, option list within 40 bytes.
 */
export function parsePacket(cur: TokenCursor): PacketAction {
  const dirTok = cur.next();
  const direction: Direction = dirTok.value === '<' ? '<' : '>';
  const p = cur.peek();
  if (p.kind === 'keyword' && ENCAPSULATION.has(p.value)) {
    cur.semantic(p, `'${p.value}' encapsulation prefixes are not supported`);
  }
  const ip = parseOptIpInfo(cur);
  if (ip !== null && ip.ecn === 'ect01' && direction === '<') {
    cur.semantic(dirTok, '[ect01] can only be used with outbound packets');
  }
  if (cur.atKeyword('udp')) return parseUdp(cur, direction, ip, dirTok);
  if (cur.atKeyword('icmp')) return parseIcmp(cur, direction, ip);
  return parseTcp(cur, direction, ip, dirTok);
}

const ENCAPSULATION = new Set(['ipv4', 'ipv6', 'gre', 'mpls', 'encap', 'psp']);

/** Max bytes of TCP options (data offset 15 words minus the 20-byte header). */
const MAX_TCP_OPTION_BYTES = 40;

const ECN_WORDS = new Set(['noecn', 'ect0', 'ect1', 'ce', 'ect01']);

/** `(...)` or `[...]` right after the direction: ECN, `tos`, `ttl`, `flowlabel`, comma separated. */
function parseOptIpInfo(cur: TokenCursor): IpInfo | null {
  if (!cur.atPunct('(') && !cur.atPunct('[')) return null;
  const close = cur.next().value === '(' ? ')' : ']';
  let ecn: IpInfo['ecn'] = null;
  let tos: number | null = null;
  let ttl: number | null = null;
  let flowLabel: number | null = null;
  do {
    const t = cur.peek();
    if (t.kind !== 'keyword') cur.fail(t, 'expected ect0, ect1, ect01, ce, noecn, tos, ttl or flowlabel');
    cur.next();
    const dup = (): never => cur.semantic(t, `'${t.value}' given twice in IP info`);
    if (ECN_WORDS.has(t.value)) {
      if (ecn !== null) dup();
      ecn = t.value as IpInfo['ecn'];
    } else if (t.value === 'tos') {
      if (tos !== null) dup();
      tos = numberOrHex(cur, 'tos value', 0xff);
    } else if (t.value === 'ttl') {
      if (ttl !== null) dup();
      ttl = numberOrHex(cur, 'ttl value', 0xff);
    } else if (t.value === 'flowlabel') {
      if (flowLabel !== null) dup();
      flowLabel = numberOrHex(cur, 'flowlabel', 0xfffff);
    } else cur.fail(t, 'expected ect0, ect1, ect01, ce, noecn, tos, ttl or flowlabel');
  } while (cur.eatPunct(','));
  cur.expectPunct(close, 'to close the IP info');
  return { ecn, tos, ttl, flowLabel };
}

function numberOrHex(cur: TokenCursor, what: string, max: number): number {
  const t = cur.peek();
  if (t.kind !== 'integer' && t.kind !== 'hex') cur.fail(t, `expected ${what}`);
  cur.next();
  if (!Number.isSafeInteger(t.num) || t.num < 0 || t.num > max) cur.semantic(t, `${what} out of range: ${t.text}`);
  return t.num;
}

function parseOptPorts(cur: TokenCursor): Ports | null {
  if (cur.peek().kind !== 'integer' || !cur.atPunct('>', 1)) return null;
  const src = cur.expectInteger('source port', 0, U16_MAX);
  cur.next();
  const dst = cur.expectInteger('destination port', 0, U16_MAX);
  return { src, dst };
}

/** `start:end(len)` */
function parseSeq(cur: TokenCursor): SeqRange {
  const first = cur.peek();
  const start = cur.expectInteger('start sequence number', 0, U32_MAX);
  cur.expectPunct(':', 'in start:end(len)');
  const end = cur.expectInteger('end sequence number', 0, U32_MAX);
  cur.expectPunct('(', 'before the payload length');
  const len = cur.expectInteger('payload length', 0, U16_MAX);
  cur.expectPunct(')', 'after the payload length');
  if (end !== start + len) cur.semantic(first, `inconsistent TCP sequence numbers and payload size: ${start}:${end}(${len})`);
  return { start, end, len };
}

const FLAG_BITS: Record<string, keyof Omit<TcpFlagBits, 'ace'>> = {
  F: 'fin', S: 'syn', R: 'rst', P: 'psh', '.': 'ack', U: 'urg', E: 'ece', W: 'cwr', A: 'ae',
};

/**
 * Flags: a WORD with an optional `.` (`S.`, `FP.`), `.` alone, `-` for none,
 * or an AccECN ACE digit after the dot, which the lexer hands over as a FLOAT
 * (`S.5` = WORD `S` + FLOAT `.5`).
 */
function parseFlags(cur: TokenCursor): { flags: string; bits: TcpFlagBits } {
  const t = cur.peek();
  let text: string;
  if (t.kind === 'punct' && (t.value === '.' || t.value === '-')) {
    cur.next();
    text = t.value === '.' ? '.' : '';
  } else if (t.kind === 'word') {
    cur.next();
    text = t.value;
    const d = cur.peek();
    if (d.kind === 'punct' && d.value === '.') {
      cur.next();
      text += '.';
    } else if (d.kind === 'float' && /^\.[0-9]+$/.test(d.text)) {
      cur.next();
      text += d.text;
    }
  } else if (t.kind === 'float' && /^\.[0-9]+$/.test(t.text)) {
    cur.next();
    text = t.text;
  } else {
    return cur.fail(t, 'expected TCP flags (e.g. S, S., P., F., R, ., -)');
  }
  const bits = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false, ae: false };
  let ace: number | null = null;
  for (const ch of text) {
    const bit = FLAG_BITS[ch];
    if (bit !== undefined) bits[bit] = true;
    else if (ch >= '0' && ch <= '7' && ace === null) ace = ch.charCodeAt(0) - 0x30;
    else cur.semantic(t, `bad TCP flag '${ch}' in '${text}'`);
  }
  return { flags: text, bits: { ...bits, ace } };
}

function hexBlob(cur: TokenCursor, what: string, maxBytes: number): string {
  const t = cur.peek();
  if (t.kind !== 'word' && t.kind !== 'integer') cur.fail(t, `expected ${what} as hex digits`);
  cur.next();
  if (!/^[0-9a-fA-F]*$/.test(t.text) || t.text.length % 2 !== 0) {
    cur.semantic(t, `${what} '${t.text}' is not an even number of hex digits`);
  }
  if (t.text.length / 2 > maxBytes) cur.semantic(t, `${what} longer than ${maxBytes} bytes`);
  return t.text.toLowerCase();
}

/** One TCP option and its encoded length in bytes. */
function parseTcpOption(cur: TokenCursor): { opt: TcpOptionSpec; bytes: number } {
  const t = cur.peek();
  if (t.kind !== 'keyword') return cur.fail(t, 'expected a TCP option');
  cur.next();
  switch (t.value) {
    case 'nop':
      return { opt: { kind: 'nop' }, bytes: 1 };
    case 'eol':
      return { opt: { kind: 'eol' }, bytes: 1 };
    case 'mss':
      return { opt: { kind: 'mss', value: cur.expectInteger('mss value', 0, U16_MAX) }, bytes: 4 };
    case 'wscale':
      return { opt: { kind: 'wscale', shift: cur.expectInteger('window scale shift count', 0, 0xff) }, bytes: 3 };
    case 'sackOK':
      return { opt: { kind: 'sackOK' }, bytes: 2 };
    case 'sack': {
      const blocks: Array<readonly [number, number]> = [];
      do {
        const left = cur.expectInteger('SACK left edge', 0, U32_MAX);
        cur.expectPunct(':', 'in a SACK block');
        const right = cur.expectInteger('SACK right edge', 0, U32_MAX);
        blocks.push([left, right]);
      } while (cur.peek().kind === 'integer');
      return { opt: { kind: 'sack', blocks }, bytes: 2 + 8 * blocks.length };
    }
    case 'TS': {
      if (!cur.eatKeyword('val')) cur.fail(cur.peek(), "expected 'val' after TS");
      const val = cur.expectInteger('TS val', 0, U32_MAX);
      if (!cur.eatKeyword('ecr')) cur.fail(cur.peek(), "expected 'ecr' in the TS option");
      const ecr = cur.expectInteger('TS ecr', 0, U32_MAX);
      return { opt: { kind: 'ts', val, ecr }, bytes: 10 };
    }
    case 'md5': {
      const digestHex = hexBlob(cur, 'MD5 digest', 16);
      return { opt: { kind: 'md5', digestHex }, bytes: 2 + digestHex.length / 2 };
    }
    case 'FO':
    case 'FOEXP': {
      const experimental = t.value === 'FOEXP';
      const base = experimental ? 4 : 2; // the experimental form carries a 2-byte magic
      const k = cur.peek().kind;
      const cookieHex = k === 'word' || k === 'integer' ? hexBlob(cur, 'Fast Open cookie', MAX_TCP_OPTION_BYTES - base) : '';
      return { opt: { kind: 'fastopen', experimental, cookieHex }, bytes: base + cookieHex.length / 2 };
    }
    case 'ECN':
      return cur.semantic(t, 'the AccECN option (ECN ...) is not supported');
    default:
      return cur.fail(t, 'expected a TCP option');
  }
}

/** `<opt, opt, ...>` or `<...>`. */
function parseTcpOptions(cur: TokenCursor): TcpOptionSpec[] | 'any' {
  const open = cur.next();
  if (cur.peek().kind === 'ellipsis') {
    cur.next();
    cur.expectPunct('>', 'after <...');
    return 'any';
  }
  const list: TcpOptionSpec[] = [];
  let bytes = 0;
  do {
    const o = parseTcpOption(cur);
    list.push(o.opt);
    bytes += o.bytes;
  } while (cur.eatPunct(','));
  cur.expectPunct('>', 'to close the TCP option list');
  if (bytes > MAX_TCP_OPTION_BYTES) cur.semantic(open, `TCP option list too long (${bytes} bytes, max ${MAX_TCP_OPTION_BYTES})`);
  return list;
}

function parseTcp(cur: TokenCursor, direction: Direction, ip: IpInfo | null, dirTok: Token): TcpPacket {
  const ports = parseOptPorts(cur);
  const { flags, bits } = parseFlags(cur);
  const seq = parseSeq(cur);
  const ack = cur.eatKeyword('ack') ? cur.expectInteger('ack number', 0, U32_MAX) : null;
  const win = cur.eatKeyword('win') ? cur.expectInteger('window', 0, U16_MAX) : null;
  const urg = cur.eatKeyword('urg') ? cur.expectInteger('urgent pointer', 0, U16_MAX) : null;
  let options: TcpOptionSpec[] | 'any' | null = null;
  if (cur.atPunct('<')) {
    const at = cur.peek();
    options = parseTcpOptions(cur);
    if (options === 'any' && direction === '<') cur.semantic(at, '<...> for TCP options can only be used with outbound packets');
  }
  if (cur.atPunct('{')) cur.semantic(cur.peek(), 'packet fuzzing parameters ({...}) are not supported');
  if (direction === '<' && win === null) cur.semantic(dirTok, 'inbound TCP packets need a window (win N)');
  return { type: 'packet', protocol: 'tcp', direction, ip, ports, flags, flagBits: bits, seq, ack, win, urg, options };
}

function parseUdp(cur: TokenCursor, direction: Direction, ip: IpInfo | null, dirTok: Token): UdpPacket {
  cur.next();
  if (ip !== null && ip.ecn !== null && ip.ecn !== 'ect01') cur.semantic(dirTok, 'ECN can only be used with TCP packets');
  const ports = parseOptPorts(cur);
  cur.expectPunct('(', 'before the UDP payload length');
  const len = cur.expectInteger('UDP payload length', 0, U16_MAX);
  cur.expectPunct(')', 'after the UDP payload length');
  return { type: 'packet', protocol: 'udp', direction, ip, ports, len };
}

function parseIcmp(cur: TokenCursor, direction: Direction, ip: IpInfo | null): IcmpPacket {
  cur.next();
  const typeTok = cur.peek();
  if (typeTok.kind !== 'word') cur.fail(typeTok, 'expected an ICMP type name');
  cur.next();
  const codeTok = cur.peek();
  const icmpCode = codeTok.kind === 'word' ? cur.next().value : null;
  const mtu = cur.eatKeyword('mtu') ? cur.expectInteger('ICMP mtu', 0, U32_MAX) : null;
  const id = cur.eatKeyword('id') ? cur.expectInteger('ICMP id', 0, U16_MAX) : null;
  let echoed: IcmpEchoed | null = null;
  if (cur.eatPunct('[')) {
    if (cur.atKeyword('udp') || cur.atKeyword('raw')) {
      const protocol = cur.next().value === 'udp' ? 'udp' : 'raw';
      cur.expectPunct('(', `before the echoed ${protocol} length`);
      const len = cur.expectInteger('echoed payload length', 0, U16_MAX);
      cur.expectPunct(')', 'after the echoed payload length');
      echoed = { protocol, len };
    } else {
      echoed = { protocol: 'tcp', seq: parseSeq(cur) };
    }
    cur.expectPunct(']', 'to close the echoed packet');
  }
  return { type: 'packet', protocol: 'icmp', direction, ip, icmpType: typeTok.value, icmpCode, mtu, id, echoed };
}
