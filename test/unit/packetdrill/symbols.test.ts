import { describe, expect, it } from 'vitest';
import { parseScript } from '../../../src/packetdrill/parser.js';
import {
  collectScriptSymbols, errnoNames, errnoNumber, sameErrno, symbolNames, symbolValue,
} from '../../../src/packetdrill/symbols.js';

describe('packetdrill symbol table', () => {
  it('holds the Linux values of the constants scripts use', () => {
    const expected: Record<string, number> = {
      AF_INET: 2, AF_INET6: 10, AF_UNSPEC: 0, SOCK_STREAM: 1, SOCK_DGRAM: 2, IPPROTO_TCP: 6, IPPROTO_UDP: 17,
      IPPROTO_ICMP: 1, SOL_SOCKET: 1, SOL_TCP: 6, SOL_IP: 0, SO_REUSEADDR: 2, SO_KEEPALIVE: 9, SO_LINGER: 13,
      SO_RCVBUF: 8, SO_SNDBUF: 7, SO_ERROR: 4, TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4,
      TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6, TCP_LINGER2: 8, TCP_DEFER_ACCEPT: 9, TCP_INFO: 11, TCP_USER_TIMEOUT: 18,
      IP_TOS: 1, IP_MTU_DISCOVER: 10, IP_PMTUDISC_DONT: 0, IP_PMTUDISC_DO: 2, O_RDWR: 2, O_NONBLOCK: 2048,
      F_GETFL: 3, F_SETFL: 4, SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, POLLIN: 1, POLLOUT: 4, POLLERR: 8,
      POLLHUP: 16, POLLRDHUP: 0x2000, MSG_PEEK: 2, MSG_DONTWAIT: 0x40, MSG_WAITALL: 0x100, MSG_MORE: 0x8000,
      MSG_NOSIGNAL: 0x4000, SIOCINQ: 0x541b, FIONREAD: 0x541b, SIOCOUTQ: 0x5411,
    };
    for (const [name, value] of Object.entries(expected)) expect([name, symbolValue(name)]).toEqual([name, value]);
    expect(symbolValue('NOT_A_SYMBOL')).toBeUndefined();
    expect(symbolValue('toString')).toBeUndefined();
    expect(symbolNames()).toContain('TCP_NODELAY');
  });

  it('holds Linux errno numbers and treats the Linux aliases as equal', () => {
    expect(['EAGAIN', 'EWOULDBLOCK', 'EINPROGRESS', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EPROTONOSUPPORT', 'ENOTSUP', 'EOPNOTSUPP'].map(errnoNumber))
      .toEqual([11, 11, 115, 104, 32, 110, 93, 95, 95]);
    expect(sameErrno('EWOULDBLOCK', 'EAGAIN')).toBe(true);
    expect(sameErrno('EOPNOTSUPP', 'ENOTSUP')).toBe(true);
    expect(sameErrno('EAGAIN', 'EPIPE')).toBe(false);
    expect(sameErrno('EBOGUS', 'EBOGUS')).toBe(true);
    expect(sameErrno('EBOGUS', 'EOTHER')).toBe(false);
    expect(errnoNames()).toContain('ECONNREFUSED');
    expect(errnoNumber('constructor')).toBeUndefined();
  });

  it('collects the symbols and errno names a script mentions, inside every expression form', () => {
    const r = parseScript(
      '0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n' +
        '+0 poll([{fd=3, events=POLLIN, revents=POLLOUT}], 1, 0) = 1\n' +
        '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=A}, 8) = 0\n' +
        '+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., B}], msg_flags=C}, MSG_MORE) = 1\n' +
        '+0 connect(3, {sa_family=AF_INET, sin_port=htons(D), sin_addr=inet_addr("1.2.3.4")}, 16) = -1 EINPROGRESS (x)\n' +
        '+0 f({k(E)=F}, [G], x=H) = I\n' +
        '+0 < S 0:0(0) win 1',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { symbols, errnos } = collectScriptSymbols(r.script);
    expect([...symbols].sort()).toEqual([
      'A', 'AF_INET', 'B', 'C', 'D', 'E', 'F', 'F_SETFL', 'G', 'H', 'I', 'MSG_MORE', 'O_NONBLOCK', 'O_RDWR', 'POLLIN',
      'POLLOUT', 'SOL_SOCKET', 'SO_LINGER',
    ]);
    expect([...errnos]).toEqual(['EINPROGRESS']);
  });
});
