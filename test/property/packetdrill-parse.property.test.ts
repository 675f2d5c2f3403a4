import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lex } from '../../src/packetdrill/lexer.js';
import { parseScript } from '../../src/packetdrill/parser.js';
import { planTiming } from '../../src/packetdrill/timing.js';

const params = { numRuns: 2000, seed: 0x9d11 };

/** Fragments of the script language, so random strings reach deep into the grammar. */
const fragment = fc.constantFrom(
  '0', '+0', '+.1', '.5', '-1', '0x1f', '1:1001(1000)', '...', '<', '>', '.', '-', '*', '~', '+', ',', ':', '(', ')',
  '[', ']', '{', '}', '|', '=', 'S', 'S.', 'P.', 'F.', 'R', 'ack', 'win', 'urg', 'mss', 'nop', 'sackOK', 'sack',
  'TS', 'val', 'ecr', 'wscale', 'FO', 'md5', 'udp', 'icmp', 'mtu', 'id', 'raw', 'ect0', 'tos', 'flowlabel',
  'socket', 'SOCK_STREAM', 'msg_iov', 'msg_name', 'fd', 'events', 'onoff', 'linger', 'htons', 'inet_addr',
  '"str"', '"', '`cmd`', '`', '%{ x }%', '%{', '}%', '// c\n', '/*', '*/', '\n', ' ', '\t', '--tolerance_usecs=1',
  '--define=X=1', 'X', '2001:db8::1', '192.0.2.1', 'EAGAIN', '(note)', '\\',
);

const scriptLike = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(' '));

describe('packetdrill front end never throws', () => {
  it('on arbitrary unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        const l = lex(s);
        expect(l.tokens.at(-1)!.kind).toBe('eof');
        const r = parseScript(s);
        if (r.ok) planTiming(r.script);
        else expect(r.errors.length).toBeGreaterThan(0);
      }),
      params,
    );
  });

  it('on random sequences of script fragments', () => {
    fc.assert(
      fc.property(scriptLike, (s) => {
        const l = lex(s);
        for (const t of l.tokens) {
          expect(t.line).toBeGreaterThanOrEqual(1);
          expect(t.col).toBeGreaterThanOrEqual(1);
          expect(t.end).toBeGreaterThanOrEqual(t.offset);
        }
        const r = parseScript(s);
        if (r.ok) planTiming(r.script);
        else for (const e of r.errors) expect(e.line).toBeGreaterThanOrEqual(1);
      }),
      params,
    );
  });

  it('on valid scripts with one line corrupted', () => {
    const base = [
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
      '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
      '+0 > S. 0:0(0) ack 1 <...>',
      '+.1 < . 1:1(0) ack 1 win 257',
      '+0...0.2 accept(3, ..., ...) = 4',
      '+0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 40}], msg_flags=0}, MSG_MORE) = 40',
      '+.3~+.31 > P. 1:41(40) ack 1',
    ];
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.nat(80), fc.string({ maxLength: 8 }), (line, at, junk) => {
        const lines = [...base];
        const l = lines[line]!;
        lines[line] = l.slice(0, at % (l.length + 1)) + junk + l.slice(at % (l.length + 1));
        const r = parseScript(lines.join('\n'));
        if (!r.ok) for (const e of r.errors) expect(e.line).toBeLessThanOrEqual(base.length + 1);
      }),
      params,
    );
  });
});
