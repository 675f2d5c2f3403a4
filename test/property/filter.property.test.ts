import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, type DecodedPacket } from '../../src/cli/decode/decode.js';
import { compileFilter } from '../../src/cli/filter/evaluate.js';
import { packetFilter } from '../../src/cli/filter/filter.js';
import { tokenize } from '../../src/cli/filter/lexer.js';
import { formatFilter } from '../../src/cli/filter/format.js';
import { parseFilter } from '../../src/cli/filter/parser.js';
import { templates } from '../unit/cli/samples.js';

const params = { numRuns: 1000, seed: 0xf117e4 };

/** Words and operators of the language, to build token soups that get past the lexer. */
const TOKENS = [
  'host', 'src', 'dst', 'net', 'port', 'mask', 'tcp', 'udp', 'icmp', 'icmp6', 'arp', 'ip', 'ip6', 'ether', 'len',
  'and', 'or', 'not', 'greater', 'less', 'syn', 'ack', 'fin', 'tcp-syn', 'flags', 'tcpflags', 'icmptype',
  '&&', '||', '!', '(', ')', '[', ']', ':', '&', '|', '^', '+', '-', '*', '/', '%', '<<', '>>', '==', '=', '!=', '<', '<=', '>', '>=',
  '0', '1', '2', '4', '13', '80', '0x12', '65536', '4294967295', '192.0.2.1', '192.0.2', '10', '2001:db8::1', '::', '::1',
  '02:00:00:00:00:01', '24', '33', 'foo', '1.2.3.4.5', '08',
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).chain((ws) =>
  fc.array(fc.constantFrom(' ', '', '  '), { minLength: ws.length, maxLength: ws.length }).map((gaps) => ws.map((w, i) => w + gaps[i]).join('')),
);

/** Filters that follow the grammar (nearly all parse; the few that do not are fine too). */
const validFilter: fc.Arbitrary<string> = fc.letrec<{ expr: string; prim: string; arith: string }>((tie) => ({
  arith: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.nat(300).map(String),
    fc.constantFrom('len', 'syn', 'ack', 'tcp-fin', 'icmp-echo', '0xffffffff'),
    fc
      .tuple(fc.constantFrom('ether', 'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'arp'), tie('arith'), fc.constantFrom('', ':1', ':2', ':4'))
      .map(([p, o, s]) => `${p}[${o}${s}]`),
    fc.constant('tcp[tcpflags]'),
    fc.tuple(tie('arith'), fc.constantFrom('+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'), tie('arith')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('arith').map((a) => `-${a}`),
  ),
  prim: fc.oneof(
    fc.constantFrom('tcp', 'udp', 'icmp', 'icmp6', 'arp', 'ip', 'ip6', 'ether'),
    fc
      .tuple(fc.constantFrom('', 'ip ', 'arp '), fc.constantFrom('', 'src ', 'dst '), fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)))
      .map(([p, d, a]) => `${p}${d}host ${a.join('.')}`),
    fc.tuple(fc.constantFrom('', 'src ', 'dst '), fc.constantFrom('2001:db8::1', '::1', 'fe80::2')).map(([d, a]) => `${d}host ${a}`),
    fc.tuple(fc.constantFrom('', 'tcp ', 'udp '), fc.constantFrom('', 'src ', 'dst '), fc.nat(65535)).map(([p, d, n]) => `${p}${d}port ${n}`),
    fc.tuple(fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 })).map(([a, len]) => {
      const net = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
      return `net ${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
    }),
    fc.constantFrom('net 2001:db8::/32', 'ether host 02:00:00:00:00:01', 'ether src ff:ff:ff:ff:ff:ff', 'greater 60', 'less 100'),
    fc.tuple(tie('arith'), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), tie('arith')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('arith').map((a) => `tcp[tcpflags] & ${a}`),
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('prim'),
    tie('expr').map((e) => `not ${e}`),
    tie('expr').map((e) => `(${e})`),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or', '&&', '||'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
  ),
})).expr;

/** Frames to evaluate over: valid templates with random bytes overwritten, cut or extended, and plain random bytes. */
const packetInput = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...templates()),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([t, sets, cut]) => {
      const b = t.frame.slice();
      for (const [at, v] of sets) b[at % b.length] = v;
      return { frame: cut === undefined ? b : b.subarray(0, cut % (b.length + 1)), linkType: t.linkType };
    }),
  fc.tuple(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(1, 101)).map(([frame, linkType]) => ({ frame, linkType })),
);

describe('filter properties', () => {
  it('parsing arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }), tokenSoup), (text) => {
        const r = parseFilter(text);
        if (!r.ok) {
          expect(r.error.column).toBeGreaterThanOrEqual(1);
          expect(r.error.column).toBeLessThanOrEqual(text.length + 1);
          expect(r.error.message.length).toBeGreaterThan(0);
        }
      }),
      params,
    );
  });

  it('generated filters parse, print back to text that parses to the same tree, and the lexer agrees with itself', () => {
    fc.assert(
      fc.property(validFilter, (text) => {
        const r = parseFilter(text);
        if (!r.ok) {
          // The generator stays well inside the grammar: only constant-only tests are refused.
          expect(r.error.message).toMatch(/alone is a constant/);
          return;
        }
        const printed = formatFilter(r.expr);
        expect(parseFilter(printed)).toEqual(r);
        expect(tokenize(printed).ok).toBe(true);
      }),
      params,
    );
  });

  it('evaluating any parsed filter over any decoded packet never throws and obeys not/and/or', () => {
    fc.assert(
      fc.property(fc.oneof(validFilter, tokenSoup), fc.oneof(validFilter, tokenSoup), packetInput, (ta, tb, input) => {
        const a = packetFilter(ta);
        const b = packetFilter(tb);
        if (!a.ok || !b.ok) return;
        const packet: DecodedPacket = decodePacket(input.frame, input.linkType);
        const withBytes = a.match(packet, input.frame);
        expect(typeof withBytes).toBe('boolean');
        expect(typeof a.match(packet)).toBe('boolean');
        // Another frame than the one decoded must not be read out of bounds either.
        expect(typeof a.match(packet, input.frame.subarray(0, input.frame.length >>> 1))).toBe('boolean');
        const vb = b.match(packet, input.frame);
        expect(compileFilter({ kind: 'not', operand: a.expr })(packet, input.frame)).toBe(!withBytes);
        expect(compileFilter({ kind: 'and', left: a.expr, right: b.expr })(packet, input.frame)).toBe(withBytes && vb);
        expect(compileFilter({ kind: 'or', left: a.expr, right: b.expr })(packet, input.frame)).toBe(withBytes || vb);
      }),
      params,
    );
  });
});
