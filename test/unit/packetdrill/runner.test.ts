import { describe, expect, it } from 'vitest';
import { runScript, type RunOptions, type ScriptResult } from '../../../src/packetdrill/runner.js';

/**
 * Interpreter semantics (conformance README §1.3-1.9) on small scripts
 * written for these tests: what passes, and where and why a script fails.
 */

const PASSIVE = `\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
`;

/** The same handshake with timestamps. */
const PASSIVE_TS = `\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 20000 <mss 1000,sackOK,TS val 100 ecr 0>
   +0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 100>
  +.1 < . 1:1(0) ack 1 win 20000 <nop,nop,TS val 200 ecr 100>
   +0 accept(3, ..., ...) = 4
`;

function run(script: string, options: Partial<RunOptions> = {}): ScriptResult {
  return runScript(script, { ipVersion: 4, ...options });
}

/** The 1-based line of the first line containing `marker`. */
function lineOf(script: string, marker: string): number {
  const i = script.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no ${marker}`);
  return i + 1;
}

function expectFail(r: ScriptResult, line: number, message: RegExp): void {
  if (r.status !== 'fail') throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  expect(r.line).toBe(line);
  expect(r.message).toMatch(message);
}

describe('packetdrill runner: passing scripts', () => {
  it('runs a passive open and a write over IPv4 and IPv6', () => {
    const s = `${PASSIVE}   +0 write(4, ..., 2000) = 2000\n   +0 > P. 1:2001(2000) ack 1\n`;
    expect(run(s)).toEqual({ status: 'pass', codeBlocksSkipped: 0 });
    expect(run(s, { ipVersion: 6 })).toEqual({ status: 'pass', codeBlocksSkipped: 0 });
  });

  it('aggregates consecutive segments into one expected packet (TSO), unless --strict_segments', () => {
    const s = `${PASSIVE}   +0 write(4, ..., 10000) = 10000\n   +0 > P. 1:10001(10000) ack 1 // AGG\n`;
    expect(run(s).status).toBe('pass');
    const strict = `--strict_segments\n${s}`;
    expectFail(run(strict), lineOf(strict, 'AGG'), /live packet payload: expected 10000 bytes vs actual 1000 bytes/);
  });

  it('accepts any options for <...> and checks the window only when written', () => {
    const s = PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>', '> S. 0:0(0) ack 1 <...>');
    expect(run(s).status).toBe('pass');
    const win = PASSIVE.replace('> S. 0:0(0) ack 1 <', '> S. 0:0(0) ack 1 win 123 <');
    expectFail(run(win), lineOf(win, 'win 123'), /tcp_window: expected 123 got/);
  });

  it('counts and skips %{ }% blocks', () => {
    const s = `${PASSIVE}  +.1 %{ assert tcpi_snd_cwnd == 10 }%\n`;
    expect(run(s)).toEqual({ status: 'pass', codeBlocksSkipped: 1 });
  });

  it('maps inbound TS ecr to the live TS val the script named, and checks TS val in ticks', () => {
    const ok = `--tcp_ts_tick_usecs=1000\n${PASSIVE_TS}   +1 close(4) = 0\n   +0 > F. 1:1(0) ack 1 <nop,nop,TS val 1200 ecr 200> // FIN\n`;
    expect(run(ok).status).toBe('pass');
    const bad = ok.replace('TS val 1200 ecr 200', 'TS val 1500 ecr 200');
    expectFail(run(bad), lineOf(bad, '// FIN'), /tcp_ts_val: expected 1500/);
    // Without --tcp_ts_tick_usecs the val is not compared.
    expect(run(bad.replace('--tcp_ts_tick_usecs=1000\n', '')).status).toBe('pass');
  });

  it('fails an inbound TS ecr that no outbound TS val explains, unless --tcp_ts_ecr_scaled', () => {
    const s = `${PASSIVE_TS}  +.1 < . 1:1(0) ack 1 win 20000 <nop,nop,TS val 300 ecr 999> // ECR\n`;
    expectFail(run(s), lineOf(s, '// ECR'), /unable to infer live TS ecr for script TS ecr 999/);
    expect(run(`--tcp_ts_ecr_scaled\n${s}`).status).toBe('pass');
  });

  it('runs an active open with a blocking connect', () => {
    const s = `\`defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
  +.1...0.2 connect(3, ..., ...) = 0
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
  +.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>
   +0 > . 1:1(0) ack 1
`;
    expect(run(s).status).toBe('pass');
    expect(run(s, { ipVersion: 6 }).status).toBe('pass');
  });
});

describe('packetdrill runner: failures at the right line', () => {
  it('reports a flag difference with both packets decoded', () => {
    const s = `${PASSIVE}   +0 write(4, ..., 2000) = 2000\n   +0 > . 1:2001(2000) ack 1 // NOPSH\n`;
    const r = run(s);
    expectFail(r, lineOf(s, 'NOPSH'), /tcp_psh: expected 0 got 1/);
    if (r.status !== 'fail') return;
    expect(r.expected).toMatch(/^0\.100000 IP 192\.0\.2\.2\.8080 > 192\.0\.2\.1\.\d+: Flags \[\.\], seq 1:2001, ack 1/);
    expect(r.actual).toMatch(/Flags \[P\.\], seq 1:2001, ack 1/);
  });

  it('reports sequence numbers and option lists that differ', () => {
    const seq = `${PASSIVE}   +0 write(4, ..., 1000) = 1000\n   +0 > P. 2:1002(1000) ack 1 // SEQ\n`;
    expectFail(run(seq), lineOf(seq, 'SEQ'), /tcp_seq: expected 2 got 1/);
    const opts = PASSIVE.replace('<mss 1460,nop,nop,sackOK,nop,wscale 8>', '<mss 1460,sackOK,nop,nop,nop,wscale 8>');
    expectFail(run(opts), lineOf(opts, '> S.'), /tcp_options: expected mss,sackOK,nop,nop,nop,wscale got mss,nop,nop,sackOK,nop,wscale/);
    const mss = PASSIVE.replace('<mss 1460,nop,nop', '<mss 1400,nop,nop');
    expectFail(run(mss), lineOf(mss, '> S.'), /tcp_option_mss: expected mss 1400 got mss 1460/);
  });

  it('fails a packet sent earlier than the script says', () => {
    const s = `${PASSIVE}   +0 write(4, ..., 1000) = 1000\n  +.1 > P. 1:1001(1000) ack 1 // LATE\n`;
    expectFail(run(s), lineOf(s, 'LATE'), /timing error: expected outbound packet at 0\.200000 sec but happened at 0\.100000 sec/);
  });

  it('times out waiting for a packet that never comes', () => {
    const s = `${PASSIVE}   +1 > F. 1:1(0) ack 1 // NEVER\n`;
    expectFail(run(s), lineOf(s, 'NEVER'), /Timed out waiting for packet/);
  });

  it('fails when an unexpected packet comes first', () => {
    const s = `${PASSIVE}  +.1 < P. 1:101(100) ack 1 win 257\n   +0 close(4) = 0\n   +0 > F. 1:1(0) ack 101 // FIN\n`;
    // The ACK of the data goes out before the FIN: the FIN line sees it.
    expectFail(run(s), lineOf(s, '// FIN'), /tcp_fin: expected 1 got 0/);
  });

  it('compares syscall results and errno names (EWOULDBLOCK is EAGAIN)', () => {
    const wrong = `${PASSIVE}   +0 write(4, ..., 1000) = 999 // W\n`;
    expectFail(run(wrong), lineOf(wrong, '// W'), /Expected result 999 but got 1000/);
    const alias = `${PASSIVE}   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n   +0 accept(3, ..., ...) = -1 EWOULDBLOCK (no more)\n`;
    expect(run(alias).status).toBe('pass');
    const errno = alias.replace('EWOULDBLOCK', 'ECONNRESET').replace('(no more)', '// E');
    expectFail(run(errno), lineOf(errno, '// E'), /Expected errno 104 \(ECONNRESET: .*\) but got errno 11 \(EAGAIN/);
  });

  it('checks when a blocking call returns', () => {
    const ok = `${PASSIVE}   +0...0.1 read(4, ..., 1000) = 1000 // READ\n  +.1 < P. 1:1001(1000) ack 1 win 257\n   +0 > . 1:1(0) ack 1001\n`;
    expect(run(ok).status).toBe('pass');
    const late = ok.replace('+0...0.1 read', '+0...0.3 read');
    expectFail(run(late), lineOf(late, 'READ'), /timing error: expected system call return at 0\.400000 sec but happened at 0\.200000 sec/);
  });

  it('fails a call that would block when the script does not expect it to', () => {
    const s = `${PASSIVE}   +0 read(4, ..., 1000) = 1000 // R\n`;
    expectFail(run(s), lineOf(s, '// R'), /would block/);
  });

  it('fails a blocking call that never returns at the end of the script', () => {
    const s = `${PASSIVE}   +0...1 read(4, ..., 1000) = 1000 // R\n`;
    expectFail(run(s), lineOf(s, '// R'), /exiting while a blocking system call is in progress/);
  });

  it('names unknown descriptors', () => {
    const s = `${PASSIVE}   +0 close(9) = 0 // C\n`;
    expectFail(run(s), lineOf(s, '// C'), /unable to find fd with script fd 9/);
  });

  it('reports parse errors with their line', () => {
    expectFail(run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 1:1(0)\n'), 2, /script error/);
  });
});

describe('packetdrill runner: unsupported scripts are skipped', () => {
  it('skips unknown shell commands, unsupported syscalls and non-TCP packets', () => {
    const shell = `\`tc qdisc add dev tun0 root netem loss 10%\`\n${PASSIVE.slice(PASSIVE.indexOf('\n') + 1)}`;
    const r1 = run(shell);
    expect(r1.status).toBe('skip');
    if (r1.status === 'skip') expect(r1.reason).toMatch(/shell command not supported: tc qdisc/);
    const r2 = run('0 epoll_create(1) = 5\n');
    expect(r2).toMatchObject({ status: 'skip', reason: 'line 1: system call epoll_create() is not supported' });
    const r3 = run('0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 < udp (10)\n');
    expect(r3).toMatchObject({ status: 'skip' });
  });

  it('skips a script pinned to the other IP version', () => {
    expect(run(`--ip_version=ipv6\n${PASSIVE}`)).toMatchObject({ status: 'skip', reason: 'the script runs over IPv6 only' });
    expect(run(`--ip_version=ipv6\n${PASSIVE}`, { ipVersion: 6 }).status).toBe('pass');
  });

  it('applies sysctls from set_sysctls.py and sysctl', () => {
    // Without timestamps the SYN-ACK layout changes: the script only passes if tcp_timestamps=0 was applied.
    const s = `\`../common/defaults.sh
../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 20000 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
`;
    expect(run(s).status).toBe('pass');
    expect(run(s.replace('tcp_timestamps=0', 'tcp_timestamps=1')).status).toBe('fail');
    const viaSysctl = s.replace('../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0', 'sysctl -q net.ipv4.tcp_timestamps=0');
    expect(run(viaSysctl).status).toBe('pass');
  });
});
