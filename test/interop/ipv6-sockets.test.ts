/**
 * Dual-stack sockets against the Linux kernel over IPv6: UDP datagrams of
 * 8 KB and 60 KB each way (fragmented by the kernel and by tsip), IPv4
 * delivered to an AF_INET6 endpoint as v4-mapped, TCP 20 MB each way, and a
 * path MTU drop in the middle of a TCP transfer, where a kernel router's
 * Packet Too Big must shrink tsip's segments while the stream stays
 * byte-exact. Kernel side 2001:db8::1 / 192.0.2.1, tsip 2001:db8::2 /
 * 192.0.2.2 (design.md §8); everything created is deleted in afterAll.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatIPv6, parseIPv6 } from '../../src/core/address.js';
import { RealClock } from '../../src/core/clock.js';
import type { NetInterface } from '../../src/ip/interface.js';
import { Netns, randomDeviceName } from '../../src/link/netns.js';
import { TunLink, type TunMode } from '../../src/link/tun-link.js';
import { Stack } from '../../src/stack.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import type { UdpEndpoint } from '../../src/udp/udp-endpoint.js';
import { describeInterop } from './tun-gate.js';
import { serveTcpEcho } from '../../src/cli/services/tcp-services.js';

const MB20 = 20 * 1024 * 1024;

/** Resolves once every IPv6 address of `iface` finished DAD. */
async function addressesReady(iface: NetInterface): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (iface.ipv6.every((a) => a.state === 'preferred')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`DAD did not finish: ${iface.ipv6.map((a) => `${formatIPv6(a.address)} ${a.state}`).join(', ')}`);
}

/** A tsip stack on a fresh TUN/TAP whose kernel side sits in a new namespace. */
async function dualStackOn(mode: TunMode, id: string): Promise<{ ns: Netns; stack: Stack; iface: NetInterface; dev: string }> {
  const ns = await Netns.create();
  try {
    const dev = randomDeviceName();
    const link = TunLink.open({ mode, name: dev, mtu: 1500 });
    await ns.adoptDevice(dev, { addresses: ['192.0.2.1/24', '2001:db8::1/64'], mtu: 1500 });
    const stack = new Stack({ clock: new RealClock(), id });
    const iface = stack.addInterface(link, { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'], ipv6Config: { routerSolicitations: 0 } });
    await addressesReady(iface);
    return { ns, stack, iface, dev };
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

/** Echoes every datagram back to its sender (reading outside the endpoint's notification, as its contract asks). */
function udpEcho(ep: UdpEndpoint): void {
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    for (let d = ep.recv(); d !== null; d = ep.recv()) {
      if (typeof d === 'string') continue;
      ep.send(d.data, { address: d.srcAddress, port: d.srcPort });
    }
  };
  ep.listener = {
    readable: () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
  };
}


/** A deterministic pattern of `n` bytes. */
function pattern(n: number, mul: number, add: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * mul + add) & 0xff;
  return b;
}

/** A kernel TCP server (python3 in `ns`): reads to EOF, hashes, then sends `replyBytes` of (i*13)&0xff and closes. */
function kernelServer(ns: Netns, host: string, port: number, replyBytes: number) {
  const server = ns.spawn('python3', [
    '-c',
    [
      'import socket, hashlib',
      'l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      `l.bind(("${host}", ${port})); l.listen(1); print("listening", flush=True)`,
      'l.settimeout(60); c, _ = l.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0',
      'while True:',
      '    d = c.recv(1 << 20)',
      '    if not d: break',
      '    h.update(d); n += len(d)',
      `reply = bytes((i * 13) & 0xff for i in range(65536)) * ${replyBytes / 65536}`,
      'c.sendall(reply); c.close()',
      'print(n, h.hexdigest(), flush=True)',
    ].join('\n'),
  ]);
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  const listening = (async () => {
    for (let i = 0; i < 500 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 20));
    if (!out.includes('listening')) throw new Error('kernel server did not start');
  })();
  return { listening, exited, output: () => out, kill: () => server.kill() };
}

/** tsip connects, writes `up`, half-closes and reads to EOF; `onProgress` sees the bytes written so far. */
function tsipClient(stack: Stack, host: string, port: number, up: Uint8Array, onProgress?: (written: number) => void) {
  const downHash = createHash('sha256');
  let downBytes = 0;
  const done = new Promise<void>((resolve, reject) => {
    let off = 0;
    const c = stack.tcp.connect({ remoteAddress: parseIPv6(host)!, remotePort: port });
    const pump = (): void => {
      while (off < up.length) {
        const n = c.write(up.subarray(off, off + 65536));
        if (n === 0) break;
        off += n;
      }
      onProgress?.(off);
      if (off === up.length && c.stateName === 'ESTABLISHED') c.shutdown('write');
    };
    c.setHandler({
      onConnected: pump,
      onWritable: pump,
      onReadable: () => {
        for (let d = c.read(); d.length > 0; d = c.read()) {
          downHash.update(d);
          downBytes += d.length;
        }
        if (c.readEnded) resolve();
      },
      onClosed: (_c, err) => (err ? reject(new Error(err)) : resolve()),
    });
  });
  return { done, result: () => ({ downBytes, downHash: downHash.digest('hex') }) };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

for (const mode of ['tun', 'tap'] as TunMode[]) {
  describeInterop(`dual-stack UDP sockets with the kernel over ${mode.toUpperCase()}`, () => {
    let env: Awaited<ReturnType<typeof dualStackOn>> | undefined;

    beforeAll(async () => {
      env = await dualStackOn(mode, `udp6-${mode}`);
    });

    afterAll(async () => {
      env?.stack.close();
      await env?.ns.delete();
    });

    it('8 KB and 60 KB datagrams each way over IPv6: the kernel fragments, tsip reassembles and fragments back', async () => {
      const { ns, stack } = env!;
      const ep = stack.udp.open(6);
      expect(ep.bind(new Uint8Array(16), 5000)).toBe('ok');
      udpEcho(ep);
      const before = { reasm: stack.counters.Ip6ReasmOKs, frags: stack.counters.Ip6FragCreates, out: stack.counters.Udp6OutDatagrams };
      const script = [
        'import socket, hashlib',
        's = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5)',
        's.bind(("2001:db8::1", 5001))',
        'for size in (8192, 61440):',
        '    data = bytes((i * 7 + size) & 0xff for i in range(size))',
        '    s.sendto(data, ("2001:db8::2", 5000))',
        '    back, peer = s.recvfrom(65535)',
        '    print(size, len(back), back == data, peer[0], peer[1])',
      ].join('\n');
      const r = await ns.exec('python3', ['-c', script], { timeoutMs: 20_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(['8192 8192 True 2001:db8::2 5000', '61440 61440 True 2001:db8::2 5000']);
      expect(stack.counters.Ip6ReasmOKs - before.reasm).toBe(2);
      // 1448 bytes of fragment data per 1500-byte packet: 6 for 8 KB, 43 for 60 KB.
      expect(stack.counters.Ip6FragCreates - before.frags).toBe(6 + 43);
      expect(stack.counters.Udp6OutDatagrams - before.out).toBe(2);
      ep.close();
    });

    it('an AF_INET6 wildcard endpoint hears a kernel IPv4 sender as ::ffff:192.0.2.1 and answers over IPv4; V6ONLY does not', async () => {
      const { ns, stack } = env!;
      const dual = stack.udp.open(6);
      expect(dual.bind(new Uint8Array(16), 5002)).toBe('ok');
      let seen = '';
      let scheduled = false;
      dual.listener = {
        readable: () => {
          if (scheduled) return;
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            for (let d = dual.recv(); d !== null; d = dual.recv()) {
              if (typeof d === 'string') continue;
              seen = formatIPv6(d.srcAddress as Uint8Array);
              dual.send(d.data, { address: d.srcAddress, port: d.srcPort });
            }
          });
        },
      };
      const only = stack.udp.open(6);
      expect(only.setOption('IPV6_V6ONLY', true)).toBe('ok');
      expect(only.bind(new Uint8Array(16), 5003)).toBe('ok');
      const script = [
        'import socket',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)',
        's.bind(("192.0.2.1", 5004))',
        's.sendto(b"mapped", ("192.0.2.2", 5002))',
        'back, peer = s.recvfrom(100)',
        'print(back.decode(), peer[0], peer[1])',
        's.sendto(b"refused", ("192.0.2.2", 5003))',
        'try:',
        '    s.recvfrom(100); print("answered")',
        'except ConnectionRefusedError:',
        '    print("refused")',
        'except socket.timeout:',
        '    print("timeout")',
      ].join('\n');
      const before = stack.counters.UdpNoPorts;
      const r = await ns.exec('python3', ['-c', script], { timeoutMs: 20_000 });
      expect(r.stderr).toBe('');
      // The kernel reports our ICMP port unreachable on its unconnected socket only with IP_RECVERR: a timeout.
      expect(r.stdout.trim().split('\n')).toEqual(['mapped 192.0.2.2 5002', 'timeout']);
      expect(seen).toBe('::ffff:192.0.2.1');
      expect(stack.counters.UdpNoPorts - before).toBe(1);
      dual.close();
      only.close();
    });
  });
}

for (const mode of ['tun', 'tap'] as TunMode[]) {
  describeInterop(`dual-stack TCP with the kernel over IPv6 (${mode.toUpperCase()})`, () => {
    let env: Awaited<ReturnType<typeof dualStackOn>> | undefined;

    beforeAll(async () => {
      env = await dualStackOn(mode, 'tcp6');
      serveTcpEcho(env.stack, 7);
    });

    afterAll(async () => {
      env?.stack.close();
      await env?.ns.delete();
    });

    it('echoes 20 MB from a kernel IPv6 client byte-exact', async () => {
      const script = [
        'import socket, hashlib, threading',
        'data = bytes((i * 7 + 3) & 0xff for i in range(65536)) * 320',
        's = socket.create_connection(("2001:db8::2", 7), timeout=60)',
        'peer = s.getpeername()[0]; h = hashlib.sha256(); got = 0',
        'def send():',
        '    s.sendall(data); s.shutdown(socket.SHUT_WR)',
        't = threading.Thread(target=send); t.start()',
        'while True:',
        '    d = s.recv(1 << 20)',
        '    if not d: break',
        '    h.update(d); got += len(d)',
        't.join()',
        'print(got, h.hexdigest() == hashlib.sha256(data).hexdigest(), peer)',
      ].join('\n');
      const r = await env!.ns.exec('python3', ['-c', script], { timeoutMs: 110_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(`${MB20} True 2001:db8::2`);
    }, 120_000);

    it('a tsip IPv6 client sends 20 MB to a kernel server and reads 20 MB back, byte-exact', async () => {
      const server = kernelServer(env!.ns, '2001:db8::1', 9000, MB20);
      try {
        await server.listening;
        const up = pattern(MB20, 31, 1);
        const client = tsipClient(env!.stack, '2001:db8::1', 9000, up);
        await client.done;
        await server.exited;
        const [n, hash] = server.output().trim().split('\n').at(-1)!.split(' ');
        expect(Number(n)).toBe(MB20);
        expect(hash).toBe(sha(up));
        const got = client.result();
        expect(got.downBytes).toBe(MB20);
        expect(got.downHash).toBe(sha(pattern(MB20, 13, 0)));
      } finally {
        server.kill();
      }
    }, 120_000);
  });
}

describeInterop('path MTU drop in the middle of an IPv6 TCP transfer (TUN, kernel router)', () => {
  let env: Awaited<ReturnType<typeof dualStackOn>> | undefined;
  let far: Netns | undefined;

  beforeAll(async () => {
    env = await dualStackOn('tun', 'pmtu6');
    // The kernel side of the TUN routes 2001:db8:1::/64 to a second namespace over a veth; when that
    // veth's MTU drops, the router answers what it cannot forward with Packet Too Big.
    far = await Netns.create();
    const { ns, stack, iface } = env;
    await ns.ip(['link', 'add', 'r0', 'type', 'veth', 'peer', 'name', 'h0', 'netns', far.name]);
    await ns.addAddress('r0', '2001:db8:1::1/64');
    await ns.setLinkUp('r0', { mtu: 1500 });
    await ns.exec('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    await far.addAddress('h0', '2001:db8:1::2/64');
    await far.setLinkUp('h0', { mtu: 1500 });
    await far.loopbackUp();
    await far.ip(['-6', 'route', 'add', 'default', 'via', '2001:db8:1::1']);
    stack.addRoute('::/0', { via: '2001:db8::1', ifindex: iface.index });
  });

  afterAll(async () => {
    env?.stack.close();
    await far?.delete();
    await env?.ns.delete();
  });

  it('shrinks its segments on the router\'s Packet Too Big and delivers 20 MB byte-exact', async () => {
    const { ns, stack } = env!;
    const server = kernelServer(far!, '2001:db8:1::2', 9001, 65536);
    try {
      await server.listening;
      const farAddr = parseIPv6('2001:db8:1::2')!;
      expect(stack.ip.pathMtu(farAddr)).toBe(1500);
      const ptbBefore = stack.counters.Icmp6InPktTooBigs;
      const up = pattern(MB20, 17, 5);
      let dropped: Promise<unknown> | null = null;
      const client = tsipClient(stack, '2001:db8:1::2', 9001, up, (written) => {
        // Once 6 MB are in (more than any send buffer holds, so data is on the wire), lower the router's egress MTU.
        if (dropped === null && written >= 6 * 1024 * 1024) dropped = ns.ip(['link', 'set', 'r0', 'mtu', '1280']);
      });
      await client.done;
      await server.exited;
      await dropped;
      expect(dropped).not.toBeNull();
      const [n, hash] = server.output().trim().split('\n').at(-1)!.split(' ');
      expect(Number(n)).toBe(MB20);
      expect(hash).toBe(sha(up));
      expect(client.result().downBytes).toBe(65536);
      expect(stack.counters.Icmp6InPktTooBigs - ptbBefore).toBeGreaterThanOrEqual(1);
      expect(stack.ip.pathMtu(farAddr)).toBe(1280);
    } finally {
      server.kill();
    }
  }, 120_000);
});
