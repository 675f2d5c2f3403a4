import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../../src/core/errno.js';
import {
  AF_INET, AF_UNSPEC, FIONREAD, ICMP_FILTER, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MTU, IP_MTU_DISCOVER,
  IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_TOS, IP_TTL, IPPROTO_ICMP, MSG_PEEK, MSG_TRUNC, POLLIN,
  POLLOUT, POLLWRNORM, SHUT_RD, SO_BROADCAST, SO_ERROR, SO_KEEPALIVE, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SOCK_DGRAM,
  SOCK_NONBLOCK, SOCK_RAW, SOL_IP, SOL_RAW, SOL_SOCKET,
} from '../../../../src/socket/bsd/constants.js';
import type { RecvMsgHdr, SockAddrOut } from '../../../../src/socket/bsd/types.js';
import { A_TEXT, B_TEXT, dec, drive, enc, inet, pair } from './fixture.js';

const E = ERRNO;

describe('UDP sockets', () => {
  it('sendto / recvfrom between stacks, with the sender address; FIONREAD is the next datagram; MSG_PEEK; MSG_TRUNC', () => {
    const { clock, sa, sb } = pair();
    const srv = sb.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sb.sys.bind(srv, inet('0.0.0.0', 5353))).toBe(0);
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(cli, enc('first datagram'), 0, inet(B_TEXT, 5353))).toBe(14);
    expect(sa.sys.sendto(cli, enc('second'), 0, inet(B_TEXT, 5353))).toBe(6);
    const name = sa.sys.getsockname(cli) as { address: string; port: number };
    expect(name.address).toBe('0.0.0.0'); // autobound on the wildcard
    expect(name.port).toBeGreaterThanOrEqual(32768);
    clock.advance(1_000);
    expect(sb.sys.ioctl(srv, FIONREAD)).toBe(14);
    const buf = new Uint8Array(64);
    const from: SockAddrOut = {};
    expect(sb.sys.recvfrom(srv, buf, MSG_PEEK, from)).toBe(14);
    expect(from.addr).toEqual(inet(A_TEXT, name.port));
    const small = new Uint8Array(5);
    const msg: RecvMsgHdr = { iov: [small], flags: 0 };
    expect(sb.sys.recvmsg(srv, msg, 0)).toBe(5);
    expect(dec(small)).toBe('first');
    expect(msg.flags).toBe(MSG_TRUNC); // the rest of the datagram is gone
    expect(msg.name).toEqual(inet(A_TEXT, name.port));
    expect(sb.sys.recv(srv, small, MSG_TRUNC)).toBe(6); // the real length
    expect(sb.sys.recv(srv, buf)).toBe(-E.EAGAIN);
    const pf = [{ fd: srv, events: POLLIN | POLLOUT | POLLWRNORM, revents: 0 }];
    sb.sys.poll(pf);
    expect(pf[0]!.revents).toBe(POLLOUT | POLLWRNORM);
  });

  it('a connected socket: send() without an address, only the peer is heard, getpeername; AF_UNSPEC dissolves it', () => {
    const { clock, sa, sb } = pair();
    const srv = sb.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sb.sys.bind(srv, inet(B_TEXT, 9000));
    const other = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    expect(sa.sys.send(cli, enc('x'))).toBe(-E.EDESTADDRREQ);
    expect(sa.sys.connect(cli, inet(B_TEXT, 9000))).toBe(0);
    expect(sa.sys.getpeername(cli)).toEqual(inet(B_TEXT, 9000));
    expect((sa.sys.getsockname(cli) as { address: string }).address).toBe(A_TEXT);
    expect(sa.sys.getsockopt(cli, SOL_IP, IP_MTU)).toEqual({ value: 1500, optlen: 4 });
    const cport = (sa.sys.getsockname(cli) as { port: number }).port;
    expect(sa.sys.send(cli, enc('hello'))).toBe(5);
    // A datagram from another port of the peer is filtered out by the connected socket.
    expect(sb.sys.sendto(other, enc('intruder'), 0, inet(A_TEXT, cport))).toBe(8);
    clock.advance(1_000);
    const buf = new Uint8Array(16);
    const from: SockAddrOut = {};
    expect(sb.sys.recvfrom(srv, buf, 0, from)).toBe(5);
    expect(sb.sys.sendto(srv, enc('reply'), 0, from.addr!)).toBe(5);
    clock.advance(1_000);
    expect(sa.sys.recv(cli, buf)).toBe(5);
    expect(dec(buf.subarray(0, 5))).toBe('reply');
    expect(sa.sys.recv(cli, buf)).toBe(-E.EAGAIN);
    expect(sa.sys.connect(cli, { family: AF_UNSPEC, address: '0.0.0.0', port: 0 })).toBe(0);
    expect(sa.sys.getpeername(cli)).toBe(-E.ENOTCONN);
  });

  it('ICMP port unreachable becomes ECONNREFUSED on a connected socket (SO_ERROR, then recv)', () => {
    const { clock, sa } = pair();
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sa.sys.connect(cli, inet(B_TEXT, 9));
    expect(sa.sys.send(cli, enc('anyone?'))).toBe(7);
    clock.advance(1_000);
    const pf = [{ fd: cli, events: POLLIN, revents: 0 }];
    expect(sa.sys.poll(pf)).toBe(1);
    expect(pf[0]!.revents).toBe(0x8); // POLLERR
    expect(sa.sys.recv(cli, new Uint8Array(8))).toBe(-E.ECONNREFUSED);
    expect(sa.sys.recv(cli, new Uint8Array(8))).toBe(-E.EAGAIN);
    sa.sys.send(cli, enc('again'));
    clock.advance(1_000);
    expect(sa.sys.getsockopt(cli, SOL_SOCKET, SO_ERROR)).toEqual({ value: E.ECONNREFUSED, optlen: 4 });
    expect(sa.sys.getsockopt(cli, SOL_SOCKET, SO_ERROR)).toEqual({ value: 0, optlen: 4 });
  });

  it('a blocking recv in the Promise layer waits for the datagram; recvfrom gives its sender; SHUT_RD ends a wait with 0 bytes', async () => {
    const { clock, sa, sb } = pair();
    const srv = sb.api.socket(AF_INET, SOCK_DGRAM);
    sb.api.bind(srv, inet('0.0.0.0', 7777));
    const pending = sb.api.recvfrom(srv, 100);
    const cli = sa.api.socket(AF_INET, SOCK_DGRAM);
    sa.api.bind(cli, inet(A_TEXT, 4444));
    expect(await drive(clock, sa.api.sendto(cli, enc('over here'), inet(B_TEXT, 7777)))).toBe(9);
    const got = await drive(clock, pending);
    expect(dec(got.data)).toBe('over here');
    expect(got.address).toEqual(inet(A_TEXT, 4444));
    const waiting = sb.api.recv(srv, 100);
    expect(sb.sys.shutdown(srv, SHUT_RD)).toBe(-E.ENOTCONN); // unconnected: ENOTCONN, but recorded
    expect((await drive(clock, waiting)).length).toBe(0);
  });

  it('SO_BROADCAST gates broadcast destinations (EACCES without it)', () => {
    const { clock, sa, sb } = pair();
    const srv = sb.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sb.sys.bind(srv, inet('0.0.0.0', 6000));
    const cli = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sa.sys.sendto(cli, enc('all'), 0, inet('192.0.2.255', 6000))).toBe(-E.EACCES);
    expect(sa.sys.setsockopt(cli, SOL_SOCKET, SO_BROADCAST, 1)).toBe(0);
    expect(sa.sys.getsockopt(cli, SOL_SOCKET, SO_BROADCAST)).toEqual({ value: 1, optlen: 4 });
    expect(sa.sys.sendto(cli, enc('all'), 0, inet('192.0.2.255', 6000))).toBe(3);
    clock.advance(1_000);
    expect(sb.sys.recv(srv, new Uint8Array(8))).toBe(3);
  });

  it('options: buffers doubled, TTL/TOS on the wire, multicast settings and memberships, SO_REUSEADDR', () => {
    const { clock, sa, sb, b } = pair();
    const u = sa.sys.socket(AF_INET, SOCK_DGRAM, 0);
    const get = (level: number, name: number): unknown => (sa.sys.getsockopt(u, level, name) as { value: unknown }).value;
    expect(get(SOL_SOCKET, SO_RCVBUF)).toBe(212992);
    sa.sys.setsockopt(u, SOL_SOCKET, SO_RCVBUF, 10_000);
    sa.sys.setsockopt(u, SOL_SOCKET, SO_SNDBUF, 10_000);
    expect(get(SOL_SOCKET, SO_RCVBUF)).toBe(20_000);
    expect(get(SOL_SOCKET, SO_SNDBUF)).toBe(20_000);
    expect(sa.sys.setsockopt(u, SOL_SOCKET, SO_KEEPALIVE, 1)).toBe(0);
    expect(get(SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_TTL, 3)).toBe(0);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_TOS, 0xb8)).toBe(0);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_TTL, 256)).toBe(-E.EINVAL);
    expect(get(SOL_IP, IP_TTL)).toBe(3);
    expect(get(SOL_IP, IP_MULTICAST_TTL)).toBe(1);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MULTICAST_TTL, 8, 1)).toBe(0);
    expect(get(SOL_IP, IP_MULTICAST_TTL)).toBe(8);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MULTICAST_LOOP, 0)).toBe(0);
    expect(get(SOL_IP, IP_MULTICAST_LOOP)).toBe(0);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MULTICAST_IF, A_TEXT)).toBe(0);
    expect(get(SOL_IP, IP_MULTICAST_IF)).toBe(A_TEXT);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MULTICAST_IF, '192.0.2.77')).toBe(-E.EADDRNOTAVAIL);
    for (const v of [0, 1, 2, 3, 4, 5]) {
      expect(sa.sys.setsockopt(u, SOL_IP, IP_MTU_DISCOVER, v)).toBe(0);
      expect(get(SOL_IP, IP_MTU_DISCOVER)).toBe(v);
    }
    expect(sa.sys.setsockopt(u, SOL_IP, IP_MTU_DISCOVER, 6)).toBe(-E.EINVAL);
    const group = { imr_multiaddr: '239.1.2.3', imr_address: '0.0.0.0', imr_ifindex: 0 };
    expect(sa.sys.setsockopt(u, SOL_IP, IP_ADD_MEMBERSHIP, group)).toBe(0);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_ADD_MEMBERSHIP, group)).toBe(-E.EADDRINUSE);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_ADD_MEMBERSHIP, { imr_multiaddr: '192.0.2.9' })).toBe(-E.EINVAL);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_DROP_MEMBERSHIP, group)).toBe(0);
    expect(sa.sys.setsockopt(u, SOL_IP, IP_DROP_MEMBERSHIP, group)).toBe(-E.EADDRNOTAVAIL);
    // TTL and TOS reach the wire.
    const seen: number[][] = [];
    const orig = b.ip.receiveIp.bind(b.ip);
    b.ip.receiveIp = (iface, pkt) => {
      seen.push([pkt[1]!, pkt[8]!]);
      orig(iface, pkt);
    };
    const srv = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    sb.sys.bind(srv, inet('0.0.0.0', 5000));
    sa.sys.sendto(u, enc('t'), 0, inet(B_TEXT, 5000));
    clock.advance(1_000);
    expect(seen[0]).toEqual([0xb8, 3]);
    // SO_REUSEADDR on both lets two UDP sockets share a port.
    const r1 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    const r2 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    expect(sb.sys.bind(r1, inet('0.0.0.0', 5001))).toBe(0);
    expect(sb.sys.bind(r2, inet('0.0.0.0', 5001))).toBe(-E.EADDRINUSE);
    const r3 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    sb.sys.close(r1);
    const r4 = sb.sys.socket(AF_INET, SOCK_DGRAM, 0);
    for (const fd of [r3, r4]) expect(sb.sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    expect(sb.sys.bind(r3, inet('0.0.0.0', 5001))).toBe(0);
    expect(sb.sys.bind(r4, inet('0.0.0.0', 5001))).toBe(0);
  });
});

describe('ICMP sockets', () => {
  it('a ping socket (SOCK_DGRAM, IPPROTO_ICMP) sends an echo request and reads the reply with its identifier', async () => {
    const { clock, sa } = pair();
    const fd = sa.api.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    sa.api.bind(fd, inet('0.0.0.0', 4242)); // the "port" is the echo identifier
    const req = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 7, 0x61, 0x62, 0x63]);
    expect(await drive(clock, sa.api.sendto(fd, req, inet(B_TEXT, 0)))).toBe(11);
    const r = await drive(clock, sa.api.recvfrom(fd, 64));
    expect(r.address).toEqual(inet(B_TEXT, 0));
    expect([...r.data.subarray(0, 2)]).toEqual([0, 0]); // echo reply
    expect((r.data[4]! << 8) | r.data[5]!).toBe(4242);
    expect((r.data[6]! << 8) | r.data[7]!).toBe(7);
    expect(dec(r.data.subarray(8))).toBe('abc');
    expect(sa.api.getsockname(fd)).toEqual(inet('0.0.0.0', 4242));
    expect(sa.sys.sendto(fd, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]), 0, inet(B_TEXT, 0))).toBe(-E.EINVAL); // not a request
  });

  it('a raw ICMP socket reads whole IPv4 datagrams and honours ICMP_FILTER', async () => {
    const { clock, sa } = pair();
    const raw = sa.api.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    const ping = sa.api.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    expect(sa.sys.setsockopt(raw, SOL_RAW, ICMP_FILTER, 1 << 0)).toBe(0); // drop echo replies (type 0)
    expect(sa.sys.getsockopt(raw, SOL_RAW, ICMP_FILTER)).toEqual({ value: 1, optlen: 4 });
    await drive(clock, sa.api.sendto(ping, new Uint8Array([8, 0, 0, 0, 0, 0, 0, 1]), inet(B_TEXT, 0)));
    await drive(clock, sa.api.recv(ping, 64));
    expect(sa.sys.ioctl(raw, FIONREAD)).toBe(0);
    expect(sa.sys.setsockopt(raw, SOL_RAW, ICMP_FILTER, 0)).toBe(0);
    await drive(clock, sa.api.sendto(ping, new Uint8Array([8, 0, 0, 0, 0, 0, 0, 2]), inet(B_TEXT, 0)));
    const r = await drive(clock, sa.api.recvfrom(raw, 128));
    expect(r.data[0]! >> 4).toBe(4); // IPv4 header included
    expect(r.data[9]).toBe(IPPROTO_ICMP);
    expect(r.data[20]).toBe(0); // echo reply
    expect(r.address).toEqual(inet(B_TEXT, 0));
    expect(sa.api.getsockname(raw)).toEqual(inet('0.0.0.0', IPPROTO_ICMP));
  });
});
