import { describe, expect, it } from 'vitest';
import type { Action, Expr, Script, ScriptError, TcpFlagBits } from '../../../src/packetdrill/ast.js';
import { parseScript, secondsToMicros } from '../../../src/packetdrill/parser.js';

function parsed(src: string): Script {
  const r = parseScript(src);
  if (!r.ok) throw new Error(`unexpected parse errors: ${JSON.stringify(r.errors)}`);
  return r.script;
}

function errorsOf(src: string): readonly ScriptError[] {
  const r = parseScript(src);
  if (r.ok) throw new Error('expected the script to be rejected');
  return r.errors;
}

/** The action of a one-event script `0 <line>`. */
function action(line: string): Action {
  const s = parsed(`0 ${line}`);
  expect(s.events).toHaveLength(1);
  return s.events[0]!.action;
}

/** The single argument of `0 f(<expr>) = 0`. */
function arg(expr: string): Expr {
  const a = action(`f(${expr}) = 0`);
  if (a.type !== 'syscall') throw new Error('not a syscall');
  return a.args[0]!;
}

const NO_FLAGS: TcpFlagBits = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false, ae: false, ace: null };
const int = (value: number): Expr => ({ kind: 'int', value, hex: false });
const sym = (name: string): Expr => ({ kind: 'symbol', name });
const ELLIPSIS: Expr = { kind: 'ellipsis' };

describe('packetdrill parser: script shape', () => {
  it('collects options, the init command, events and the cleanup command', () => {
    const s = parsed('// c\n--tolerance_usecs=10000\n--strict_segments\n`init.sh`\n0 `a`\n+1 %{ x }%\n`cleanup`\n');
    expect(s).toEqual({
      options: [
        { name: 'tolerance_usecs', value: '10000', line: 2 },
        { name: 'strict_segments', value: null, line: 3 },
      ],
      initCommand: { command: 'init.sh', line: 4 },
      events: [
        { line: 5, col: 1, time: { kind: 'absolute', us: 0 }, action: { type: 'shell', command: 'a' } },
        { line: 6, col: 1, time: { kind: 'relative', us: 1_000_000 }, action: { type: 'code', code: 'x' } },
      ],
      cleanupCommand: { command: 'cleanup', line: 7 },
    });
  });

  it('uses the line of the time stamp for a multi-line event', () => {
    const s = parsed('0 a(1)=0\n\n  +0 sendmsg(4, {msg_name(...)=...,\n msg_iov(1)=[{..., 40}], msg_flags=0}, 0) = 40');
    expect(s.events[1]).toMatchObject({ line: 3, col: 3 });
  });
});

describe('packetdrill parser: event times', () => {
  const timeOf = (t: string) => parsed(`${t} > . 1:1(0)`).events[0]!.time;

  it('reads absolute, relative, range and any times in microseconds', () => {
    expect(timeOf('0')).toEqual({ kind: 'absolute', us: 0 });
    expect(timeOf('2.5')).toEqual({ kind: 'absolute', us: 2_500_000 });
    expect(timeOf('+.1')).toEqual({ kind: 'relative', us: 100_000 });
    expect(timeOf('+.3~+.310')).toEqual({ kind: 'range', relative: true, startUs: 300_000, endUs: 310_000 });
    expect(timeOf('1~2')).toEqual({ kind: 'range', relative: false, startUs: 1_000_000, endUs: 2_000_000 });
    expect(timeOf('*')).toEqual({ kind: 'any' });
  });

  it('converts decimal seconds exactly, digit by digit', () => {
    expect(timeOf('+0.57')).toEqual({ kind: 'relative', us: 570_000 });
    expect(secondsToMicros('0.035')).toBe(35_000);
    expect(secondsToMicros('.0000019')).toBe(1);
    expect(secondsToMicros('30')).toBe(30_000_000);
    expect(secondsToMicros('-1.5')).toBe(-1_500_000);
    expect(secondsToMicros('abc')).toBeNull();
    expect(secondsToMicros('.')).toBeNull();
  });
});

describe('packetdrill parser: TCP packets', () => {
  it('parses an inbound SYN with a window and an option list', () => {
    expect(action('< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>')).toEqual({
      type: 'packet', protocol: 'tcp', direction: '<', ip: null, ports: null,
      flags: 'S', flagBits: { ...NO_FLAGS, syn: true },
      seq: { start: 0, end: 0, len: 0 }, ack: null, win: 32792, urg: null,
      options: [{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
    });
  });

  it('parses an outbound SYN-ACK with <...>, and a data segment with no option list', () => {
    expect(action('> S. 0:0(0) ack 1 <...>')).toMatchObject({
      flags: 'S.', flagBits: { ...NO_FLAGS, syn: true, ack: true }, ack: 1, win: null, options: 'any',
    });
    expect(action('> P. 1:1001(1000) ack 1')).toMatchObject({
      flags: 'P.', flagBits: { ...NO_FLAGS, psh: true, ack: true }, seq: { start: 1, end: 1001, len: 1000 }, options: null,
    });
  });

  it('reads . as ACK only, - as no flags, and FP. as FIN+PSH+ACK', () => {
    expect(action('> . 1:1(0) ack 1')).toMatchObject({ flags: '.', flagBits: { ...NO_FLAGS, ack: true } });
    expect(action('< - 1:1001(1000) win 20000')).toMatchObject({ flags: '', flagBits: NO_FLAGS, ack: null });
    expect(action('< FP. 1001:2001(1000) ack 1 win 257')).toMatchObject({
      flags: 'FP.', flagBits: { ...NO_FLAGS, fin: true, psh: true, ack: true },
    });
    expect(action('> SEWA. 0:0(0) ack 1')).toMatchObject({
      flagBits: { ...NO_FLAGS, syn: true, ece: true, cwr: true, ae: true, ack: true },
    });
  });

  it('reads an AccECN ACE digit after the dot', () => {
    expect(action('> S.5 0:0(0) ack 1')).toMatchObject({ flags: 'S.5', flagBits: { ...NO_FLAGS, syn: true, ack: true, ace: 5 } });
  });

  it('parses ports, urg and every option kind', () => {
    expect(action('< 1234>8080 U. 1:2(1) ack 1 win 10 urg 1 <nop,eol>')).toMatchObject({
      ports: { src: 1234, dst: 8080 }, urg: 1, flagBits: { ...NO_FLAGS, urg: true, ack: true },
      options: [{ kind: 'nop' }, { kind: 'eol' }],
    });
    expect(action('< . 1:1(0) ack 1 win 257 <sack 2001:3001 6001:7001,nop,nop>')).toMatchObject({
      options: [{ kind: 'sack', blocks: [[2001, 3001], [6001, 7001]] }, { kind: 'nop' }, { kind: 'nop' }],
    });
    expect(action('> S 0:0(0) <mss 1460, sackOK, TS val 100 ecr 0, nop,wscale 8>')).toMatchObject({
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }],
    });
    expect(action('< S 0:0(0) win 1 <FO 0a1B2c3d,FOEXP,md5 00112233>')).toMatchObject({
      options: [
        { kind: 'fastopen', experimental: false, cookieHex: '0a1b2c3d' },
        { kind: 'fastopen', experimental: true, cookieHex: '' },
        { kind: 'md5', digestHex: '00112233' },
      ],
    });
  });

  it('parses IP info in parentheses or brackets', () => {
    expect(action('> (ect0) . 1:1(0) ack 1')).toMatchObject({ ip: { ecn: 'ect0', tos: null, ttl: null, flowLabel: null } });
    expect(action('< [tos 0x4, flowlabel 0x12345] . 1:1(0) ack 1 win 1')).toMatchObject({
      ip: { ecn: null, tos: 4, ttl: null, flowLabel: 0x12345 },
    });
    expect(action('> (ttl 64) . 1:1(0) ack 1')).toMatchObject({ ip: { ecn: null, tos: null, ttl: 64, flowLabel: null } });
    expect(action('> [ect01] . 1:1(0) ack 1')).toMatchObject({ ip: { ecn: 'ect01' } });
  });
});

describe('packetdrill parser: UDP and ICMP packets', () => {
  it('parses UDP with and without ports', () => {
    expect(action('< udp (100)')).toEqual({ type: 'packet', protocol: 'udp', direction: '<', ip: null, ports: null, len: 100 });
    expect(action('> udp 53>1024 (8)')).toMatchObject({ direction: '>', ports: { src: 53, dst: 1024 }, len: 8 });
  });

  it('parses ICMP errors with a type, code, mtu and the echoed TCP segment', () => {
    expect(action('< icmp unreachable frag_needed mtu 800 [1:1001(1000)]')).toEqual({
      type: 'packet', protocol: 'icmp', direction: '<', ip: null, icmpType: 'unreachable', icmpCode: 'frag_needed',
      mtu: 800, id: null, echoed: { protocol: 'tcp', seq: { start: 1, end: 1001, len: 1000 } },
    });
  });

  it('parses ICMP with an id, UDP or raw echoed parts, or nothing echoed', () => {
    expect(action('> icmp echo_reply id 7')).toMatchObject({ icmpType: 'echo_reply', icmpCode: null, id: 7, echoed: null });
    expect(action('< icmp unreachable port_unreachable [udp (10)]')).toMatchObject({ echoed: { protocol: 'udp', len: 10 } });
    expect(action('< icmp packet_too_big mtu 1400 [raw (20)]')).toMatchObject({ mtu: 1400, echoed: { protocol: 'raw', len: 20 } });
  });
});

describe('packetdrill parser: system calls', () => {
  it('parses a plain call with symbols, ellipsis and an integer result', () => {
    expect(action('socket(..., SOCK_STREAM, IPPROTO_TCP) = 3')).toEqual({
      type: 'syscall', name: 'socket', args: [ELLIPSIS, sym('SOCK_STREAM'), sym('IPPROTO_TCP')], endUs: null,
      result: int(3), errno: null, note: null,
    });
  });

  it('parses the errno name and the note, whitespace collapsed', () => {
    expect(action('read(4,..., 4) = -1 ECONNRESET (Connection  Reset by Peer)')).toMatchObject({
      args: [int(4), ELLIPSIS, int(4)], result: int(-1), errno: 'ECONNRESET', note: 'Connection Reset by Peer',
    });
    expect(action('accept(3, ..., ...) = -1 EWOULDBLOCK')).toMatchObject({ errno: 'EWOULDBLOCK', note: null });
    expect(action('close(3) = 0 (done (really))')).toMatchObject({ errno: null, note: 'done (really)' });
  });

  it('parses the end time of a blocking call', () => {
    expect(action('...0.200 accept(3, ..., ...) = 4')).toMatchObject({ name: 'accept', endUs: 200_000 });
    expect(parsed('+0...30 connect(3, ..., ...) = 0').events[0]!.action).toMatchObject({ endUs: 30_000_000 });
  });

  it('parses bitwise OR of symbols and pointers to ints', () => {
    expect(arg('O_RDWR|O_NONBLOCK')).toEqual({ kind: 'bitor', terms: [sym('O_RDWR'), sym('O_NONBLOCK')] });
    expect(arg('[IP_PMTUDISC_DONT]')).toEqual({ kind: 'array', elements: [sym('IP_PMTUDISC_DONT')] });
    expect(arg('[]')).toEqual({ kind: 'array', elements: [] });
    expect(arg('0x1f')).toEqual({ kind: 'int', value: 31, hex: true });
  });

  it('parses strings, concatenation and a trailing ellipsis', () => {
    expect(arg('"reno"')).toEqual({ kind: 'string', value: 'reno', ellipsis: false });
    expect(arg('"ab" "cd"...')).toEqual({ kind: 'string', value: 'abcd', ellipsis: true });
  });

  it('recognises linger, pollfd, sockaddr, iovec and msghdr structs', () => {
    expect(arg('{onoff=1, linger=0}')).toEqual({ kind: 'linger', onoff: int(1), linger: int(0) });
    expect(arg('[{fd=4, events=POLLOUT, revents=POLLOUT|POLLERR}]')).toEqual({
      kind: 'array',
      elements: [{ kind: 'pollfd', fd: int(4), events: sym('POLLOUT'), revents: { kind: 'bitor', terms: [sym('POLLOUT'), sym('POLLERR')] } }],
    });
    expect(arg('{fd=3, events=POLLIN}')).toEqual({ kind: 'pollfd', fd: int(3), events: sym('POLLIN'), revents: null });
    expect(arg('{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}')).toEqual({
      kind: 'sockaddr', family: sym('AF_INET'), port: { kind: 'htons', value: int(8080) },
      addr: { kind: 'inet_addr', family: 4, address: '192.0.2.1' },
    });
    expect(arg('{msg_name(...)=..., msg_iov(3)=[{..., 100}, {..., 200}], msg_flags=0}')).toEqual({
      kind: 'msghdr', name: ELLIPSIS, nameLen: ELLIPSIS, iovLen: int(3), flags: int(0), control: null,
      iov: { kind: 'array', elements: [{ kind: 'iovec', base: ELLIPSIS, len: int(100) }, { kind: 'iovec', base: ELLIPSIS, len: int(200) }] },
    });
    expect(arg('inet6_addr("2001:db8::1")')).toEqual({ kind: 'inet_addr', family: 6, address: '2001:db8::1' });
  });

  it('keeps other brace shapes generic', () => {
    expect(arg('{cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=4}')).toEqual({
      kind: 'struct',
      fields: [
        { name: 'cmsg_level', index: null, value: sym('SOL_IP') },
        { name: 'cmsg_type', index: null, value: sym('IP_TOS') },
        { name: 'cmsg_data', index: null, value: int(4) },
      ],
    });
    expect(arg('{1, 2, 3}')).toEqual({ kind: 'list', elements: [int(1), int(2), int(3)] });
    expect(arg('{1, x=2}')).toEqual({ kind: 'list', elements: [int(1), { kind: 'assign', name: 'x', value: int(2) }] });
    expect(arg('TCP_INFO=5')).toEqual({ kind: 'assign', name: 'TCP_INFO', value: int(5) });
  });

  it('accepts a call with no arguments', () => {
    expect(action('getpid() = 1')).toMatchObject({ name: 'getpid', args: [], result: int(1) });
  });
});

describe('packetdrill parser: errors', () => {
  it('rejects an inbound TCP packet without a window', () => {
    expect(errorsOf('0 < . 1:1(0) ack 1')).toEqual([{ line: 1, col: 3, message: 'inbound TCP packets need a window (win N)' }]);
  });

  it('rejects <...> on inbound packets and ect01 on inbound packets', () => {
    expect(errorsOf('0 < S 0:0(0) win 1 <...>')[0]!.message).toBe('<...> for TCP options can only be used with outbound packets');
    expect(errorsOf('0 < [ect01] S 0:0(0) win 1')[0]!.message).toBe('[ect01] can only be used with outbound packets');
  });

  it('rejects an inconsistent sequence range, bad flags and out-of-range numbers', () => {
    expect(errorsOf('0 > . 1:1000(1000)')[0]!.message).toBe('inconsistent TCP sequence numbers and payload size: 1:1000(1000)');
    expect(errorsOf('0 > SX 0:0(0)')[0]!.message).toBe("bad TCP flag 'X' in 'SX'");
    expect(errorsOf('0 > . 1:1(0) win 65536')[0]!.message).toBe('window out of range: 65536');
    expect(errorsOf('0 > . 4294967296:4294967296(0)')[0]!.message).toBe('start sequence number out of range: 4294967296');
  });

  it('rejects ECN on UDP, an over-long option list and the unsupported AccECN option', () => {
    expect(errorsOf('0 < (ect0) udp (1)')[0]!.message).toBe('ECN can only be used with TCP packets');
    expect(errorsOf('0 > S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>')[0]!.message).toBe('TCP option list too long (42 bytes, max 40)');
    expect(errorsOf('0 > S 0:0(0) <ECN e1b 1>')[0]!.message).toBe('the AccECN option (ECN ...) is not supported');
    expect(errorsOf('0 > S 0:0(0) <FO abc>')[0]!.message).toBe("Fast Open cookie 'abc' is not an even number of hex digits");
  });

  it('reports what it found, with its position', () => {
    expect(errorsOf('0 socket(..., 1 = 3')).toEqual([{ line: 1, col: 17, message: "expected ')' to close the arguments of socket (found '=')" }]);
    expect(errorsOf('0 ? x')).toEqual([{ line: 1, col: 3, message: "expected a packet (< or >), a system call, a `command` or a %{ code }% block (found '?')" }]);
    expect(errorsOf('0 close(3) =')).toEqual([{ line: 1, col: 13, message: 'expected an expression (found end of script)' }]);
  });

  it('rejects a negative time, a misplaced option and a command without a time', () => {
    expect(errorsOf('-1 close(3) = 0')[0]!.message).toBe('negative time: -1');
    expect(errorsOf('0 close(3) = 0\n--mss=1000\n+0 close(3) = 0')).toEqual([{ line: 2, col: 1, message: 'option --mss must come before the first event' }]);
    expect(errorsOf('0 close(3) = 0\n`ls`\n+0 close(3) = 0')).toEqual([{ line: 2, col: 1, message: 'a command between events needs a time (e.g. +0 `cmd`)' }]);
  });

  it('reports an empty script and lexer errors', () => {
    expect(errorsOf('// nothing\n')).toEqual([{ line: 2, col: 1, message: 'script has no events' }]);
    expect(errorsOf('0 write(3, "abc, 3) = 3')).toEqual([{ line: 1, col: 12, message: 'unterminated string' }]);
  });

  it('recovers at the next event line and reports every broken line', () => {
    const errs = errorsOf('0 socket(..., SOCK_STREAM) = 3\n+0 < S 0:0(0)\n+0 close(3) = 0\n+0 > . 1:2(0)\n+0 bind(3) = 0');
    expect(errs.map((e) => e.line)).toEqual([2, 4]);
  });

  it('bounds the nesting of expressions', () => {
    const deep = `0 f(${'['.repeat(200)}1${']'.repeat(200)}) = 0`;
    expect(errorsOf(deep)[0]!.message).toBe('expression nested more than 64 deep');
  });

  it('rejects encapsulation prefixes it does not support', () => {
    expect(errorsOf('0 < ipv4 192.0.2.1 > 192.0.2.2: S 0:0(0) win 1')[0]!.message).toBe("'ipv4' encapsulation prefixes are not supported");
  });
});
