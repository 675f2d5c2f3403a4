import { describe, expect, it } from 'vitest';
import { lex, parseDefine, type LexOptions } from '../../../src/packetdrill/lexer.js';

/** [kind, value] pairs, without the final eof. */
function toks(src: string, options?: LexOptions): Array<[string, string]> {
  return lex(src, options).tokens.filter((t) => t.kind !== 'eof').map((t) => [t.kind, t.value]);
}

describe('packetdrill lexer: numbers and sequence ranges', () => {
  it('keeps 1:1001(1000) as INTEGER : INTEGER ( INTEGER )', () => {
    expect(toks('1:1001(1000)')).toEqual([
      ['integer', '1'], ['punct', ':'], ['integer', '1001'], ['punct', '('], ['integer', '1000'], ['punct', ')'],
    ]);
  });

  it('does not read SACK blocks such as 2001:3001 6001:7001 as IPv6', () => {
    expect(toks('2001:3001 6001:7001').map(([k]) => k)).toEqual(['integer', 'punct', 'integer', 'integer', 'punct', 'integer']);
  });

  it('splits +.1...0.200 into + FLOAT ELLIPSIS FLOAT, and +0...30 into + INTEGER ELLIPSIS INTEGER', () => {
    expect(toks('+.1...0.200')).toEqual([['punct', '+'], ['float', '.1'], ['ellipsis', '...'], ['float', '0.200']]);
    expect(toks('+0...30')).toEqual([['punct', '+'], ['integer', '0'], ['ellipsis', '...'], ['integer', '30']]);
  });

  it('reads a leading minus as part of a number, hex as HEX, and gives numeric values', () => {
    const t = lex('-1 0x1F .5 -2.25 007').tokens;
    expect(t.slice(0, 5).map((x) => [x.kind, x.num])).toEqual([
      ['integer', -1], ['hex', 31], ['float', 0.5], ['float', -2.25], ['integer', 7],
    ]);
  });

  it('prefers the longest match: 0x1g is a WORD, 12ab is a WORD, 1.2.3 is two FLOATs', () => {
    expect(toks('0x1g 12ab 1.2.3')).toEqual([['word', '0x1g'], ['word', '12ab'], ['float', '1.2'], ['float', '.3']]);
  });

  it('reads - alone (the no-flags marker) and * and ~ as punctuation', () => {
    expect(toks('< - 1:1 * +.3~+.4').map(([k, v]) => `${k}:${v}`)).toEqual([
      'punct:<', 'punct:-', 'integer:1', 'punct::', 'integer:1', 'punct:*', 'punct:+', 'float:.3', 'punct:~',
      'punct:+', 'float:.4',
    ]);
  });
});

describe('packetdrill lexer: addresses', () => {
  it('reads IPv4 literals as one token', () => {
    expect(toks('192.168.0.1 10.0.0.255')).toEqual([['ipv4', '192.168.0.1'], ['ipv4', '10.0.0.255']]);
  });

  it('reads IPv6 literals (with ::, eight groups, or an embedded dotted quad)', () => {
    expect(toks('2001:db8::1 fd3d:fa7b:d17d::/48 ::ffff:192.0.2.1 1:2:3:4:5:6:7:8 ::')).toEqual([
      ['ipv6', '2001:db8::1'], ['ipv6', 'fd3d:fa7b:d17d::'], ['punct', '/'], ['integer', '48'],
      ['ipv6', '::ffff:192.0.2.1'], ['ipv6', '1:2:3:4:5:6:7:8'], ['ipv6', '::'],
    ]);
  });

  it('does not make an address out of flag words followed by a dot (F. P. FA.)', () => {
    expect(toks('F. FA.')).toEqual([['word', 'F'], ['punct', '.'], ['word', 'FA'], ['punct', '.']]);
  });
});

describe('packetdrill lexer: words, keywords, flags', () => {
  it('splits S. and FP. into WORD and .', () => {
    expect(toks('S. FP. R')).toEqual([['word', 'S'], ['punct', '.'], ['word', 'FP'], ['punct', '.'], ['word', 'R']]);
  });

  it('marks reserved words as keywords only when the whole word matches', () => {
    expect(toks('ack acks sackOK sack TS val ecr win msg_iov SOCK_STREAM')).toEqual([
      ['keyword', 'ack'], ['word', 'acks'], ['keyword', 'sackOK'], ['keyword', 'sack'], ['keyword', 'TS'],
      ['keyword', 'val'], ['keyword', 'ecr'], ['keyword', 'win'], ['keyword', 'msg_iov'], ['word', 'SOCK_STREAM'],
    ]);
  });

  it('reads ... as ELLIPSIS and <...> as < ELLIPSIS >', () => {
    expect(toks('<...>')).toEqual([['punct', '<'], ['ellipsis', '...'], ['punct', '>']]);
  });
});

describe('packetdrill lexer: comments, strings, commands, code', () => {
  it('skips // and /* */ comments but has no # comment', () => {
    expect(toks('a // x y\nb /* c\nd */ e # f')).toEqual([['word', 'a'], ['word', 'b'], ['word', 'e'], ['punct', '#'], ['word', 'f']]);
  });

  it('lexes a // comment that ends the file without a newline', () => {
    expect(toks('x // end')).toEqual([['word', 'x']]);
  });

  it('strips the delimiters of strings and back-quoted commands, keeping escapes as written', () => {
    expect(toks('"a\\"b" `echo "hi"`')).toEqual([['string', 'a\\"b'], ['backquoted', 'echo "hi"']]);
  });

  it('lets a back-quoted command span lines, and numbers later lines correctly', () => {
    const t = lex('`a\n b`\n  +0 x').tokens;
    expect(t[0]).toMatchObject({ kind: 'backquoted', value: 'a\n b', line: 1, col: 1 });
    expect(t[1]).toMatchObject({ kind: 'punct', value: '+', line: 3, col: 3 });
    expect(t[3]).toMatchObject({ kind: 'word', value: 'x', line: 3, col: 6 });
  });

  it('trims spaces and tabs (not newlines) around a %{ }% body', () => {
    expect(toks('%{ \t assert a == 1 }%')).toEqual([['code', 'assert a == 1']]);
    expect(toks('%{\nassert a\n}%')).toEqual([['code', '\nassert a\n']]);
  });
});

describe('packetdrill lexer: options and --define', () => {
  it('reads --name and --name=value as OPTION tokens', () => {
    const t = lex('--tolerance_usecs=10000\n--strict_segments --local_ip=192.0.2.2').tokens;
    expect(t.slice(0, 3).map((x) => [x.kind, x.value, x.optionValue, x.line])).toEqual([
      ['option', 'tolerance_usecs', '10000', 1],
      ['option', 'strict_segments', null, 2],
      ['option', 'local_ip', '192.0.2.2', 2],
    ]);
  });

  it('keeps blanks inside a quoted option value', () => {
    expect(lex('--define=CC="a b" x').tokens[0]).toMatchObject({ kind: 'option', value: 'define', optionValue: 'CC="a b"' });
  });

  it('substitutes defined symbols given to the lexer (-D): numbers, strings and commands', () => {
    const defines = { MSS: '1000', NAME: '"reno"', CMD: '`echo hi`', PAIR: '1:1001' };
    expect(toks('mss MSS NAME CMD PAIR OTHER', { defines })).toEqual([
      ['keyword', 'mss'], ['integer', '1000'], ['string', 'reno'], ['backquoted', 'echo hi'],
      ['integer', '1'], ['punct', ':'], ['integer', '1001'], ['word', 'OTHER'],
    ]);
  });

  it('gives a substituted token the position and source text of the symbol', () => {
    const t = lex('  X', { defines: new Map([['X', '42']]) }).tokens[0]!;
    expect(t).toMatchObject({ kind: 'integer', num: 42, text: 'X', line: 1, col: 3, offset: 2, end: 3 });
  });

  it('applies --define=SYM=val lines of the script to the text after them', () => {
    expect(toks('P --define=P=7\nP')).toEqual([['word', 'P'], ['option', 'define'], ['integer', '7']]);
  });

  it('does not loop on a self-referential definition', () => {
    expect(toks('A', { defines: { A: 'A' } })).toEqual([['word', 'A']]);
  });

  it('splits a command-line definition', () => {
    expect(parseDefine('MSS=1000')).toEqual(['MSS', '1000']);
    expect(parseDefine('X=a=b')).toEqual(['X', 'a=b']);
    expect(parseDefine('novalue')).toBeNull();
    expect(parseDefine('=1')).toBeNull();
  });
});

describe('packetdrill lexer: positions and errors', () => {
  it('records line, column and offsets of every token', () => {
    const t = lex('0 socket(..., 1)\n  +.1 < S').tokens;
    expect(t.map((x) => [x.text, x.line, x.col, x.offset, x.end])).toEqual([
      ['0', 1, 1, 0, 1], ['socket', 1, 3, 2, 8], ['(', 1, 9, 8, 9], ['...', 1, 10, 9, 12], [',', 1, 13, 12, 13],
      ['1', 1, 15, 14, 15], [')', 1, 16, 15, 16], ['+', 2, 3, 19, 20], ['.1', 2, 4, 20, 22], ['<', 2, 7, 23, 24],
      ['S', 2, 9, 25, 26], ['', 2, 10, 26, 26],
    ]);
  });

  it('turns an unterminated string into an error token with a diagnostic, without throwing', () => {
    const r = lex('a\n "abc');
    expect(r.tokens.map((t) => t.kind)).toEqual(['word', 'error', 'eof']);
    expect(r.tokens[1]).toMatchObject({ line: 2, col: 2, value: 'unterminated string' });
    expect(r.diagnostics).toEqual([{ line: 2, col: 2, message: 'unterminated string' }]);
  });

  it('reports unterminated comments, commands and code blocks', () => {
    expect(lex('/* x').diagnostics).toEqual([{ line: 1, col: 1, message: 'unterminated /* comment' }]);
    expect(lex('x `ls').diagnostics).toEqual([{ line: 1, col: 3, message: 'unterminated back-quoted command' }]);
    expect(lex('%{ a').diagnostics).toEqual([{ line: 1, col: 1, message: 'unterminated %{ code block (missing }%)' }]);
  });

  it('always ends with a single eof token, even for empty input', () => {
    expect(lex('').tokens).toEqual([
      { kind: 'eof', text: '', value: '', num: NaN, optionValue: null, line: 1, col: 1, offset: 0, end: 0 },
    ]);
  });
});
