/**
 * IPv6 between a real tsip Stack on a TUN and on a TAP device and the Linux
 * kernel in a network namespace: ping both ways (on TAP through neighbour
 * discovery after our DAD), fragments both ways, and path MTU discovery from
 * a real Packet Too Big sent by the kernel acting as a router. Kernel side
 * 2001:db8::1/64, stack side 2001:db8::2/64 (design.md §8). Namespaces and
 * devices are removed in afterAll, also after a failure.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatIPv6, parseIPv6 } from '../../src/core/address.js';
import { RealClock } from '../../src/core/clock.js';
import type { NetInterface } from '../../src/ip/interface.js';
import { Netns, randomDeviceName } from '../../src/link/netns.js';
import { TunLink, type TunMode } from '../../src/link/tun-link.js';
import { Stack } from '../../src/stack.js';
import { describeInterop } from './tun-gate.js';

/** Resolves once every address of `iface` has finished DAD (at most a few seconds on TAP). */
async function addressesReady(iface: NetInterface): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (iface.ipv6.every((a) => a.state === 'preferred')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`DAD did not finish: ${iface.ipv6.map((a) => `${formatIPv6(a.address)} ${a.state}`).join(', ')}`);
}

for (const mode of ['tun', 'tap'] as TunMode[]) {
  describeInterop(`tsip IPv6 on ${mode.toUpperCase()} with the kernel as the peer`, () => {
    let ns: Netns | undefined;
    let stack: Stack | undefined;
    let iface: NetInterface | undefined;
    let dev = '';

    beforeAll(async () => {
      ns = await Netns.create();
      dev = randomDeviceName();
      const link = TunLink.open({ mode, name: dev, mtu: 1500 });
      await ns.adoptDevice(dev, { addresses: ['2001:db8::1/64'], mtu: 1500 });
      stack = new Stack({ clock: new RealClock(), id: `interop6-${mode}` });
      iface = stack.addInterface(link, { ipv6: ['2001:db8::2/64'], ipv6Config: { routerSolicitations: 0 } });
      stack.addRoute('::/0', { via: '2001:db8::1', ifindex: iface.index });
      await addressesReady(iface);
    });

    afterAll(async () => {
      stack?.close();
      await ns?.delete();
    });

    it('answers the kernel ping -6, 5 of 5', async () => {
      const r = await ns!.exec('ping', ['-6', '-c', '5', '-i', '0.2', '-W', '2', '2001:db8::2']);
      expect(r.stdout).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);
      expect(stack!.counters.Icmp6OutEchoReplies).toBeGreaterThanOrEqual(5);
      if (mode === 'tap') expect(stack!.counters.Icmp6InNeighborSolicits + stack!.counters.Icmp6InNeighborAdvertisements).toBeGreaterThan(0);
    });

    it('pings the kernel over IPv6 and gets its replies', async () => {
      for (let seq = 1; seq <= 3; seq++) {
        const reply = await stack!.ping6('2001:db8::1', { identifier: 4343, sequence: seq, data: new Uint8Array(32).fill(seq), timeoutUs: 2_000_000 });
        expect(reply.sequence).toBe(seq);
        expect(reply.data).toEqual(new Uint8Array(32).fill(seq));
      }
    });

    it('answers a kernel ping to its link-local address', async () => {
      const ll = formatIPv6(iface!.ipv6[0]!.address);
      const r = await ns!.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', `${ll}%${dev}`]);
      expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
    });

    it('reassembles a large kernel ping the kernel fragments, and fragments its reply', async () => {
      const before = { reasm: stack!.counters.Ip6ReasmOKs, frags: stack!.counters.Ip6FragCreates };
      const r = await ns!.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', '-s', '4000', '2001:db8::2']);
      expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
      expect(stack!.counters.Ip6ReasmOKs - before.reasm).toBeGreaterThanOrEqual(2);
      expect(stack!.counters.Ip6FragCreates - before.frags).toBeGreaterThanOrEqual(6);
    });

    it('takes a SLAAC address from a Router Advertisement the kernel side sends, and answers pings to it', async () => {
      // A raw ICMPv6 socket in the namespace sends the RA from the kernel's link-local address (the kernel fills the checksum).
      const script = [
        'import socket, struct, time',
        `ifindex = socket.if_nametoindex('${dev}')`,
        's = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)',
        's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)',
        's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)',
        "ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)",
        "pio = struct.pack('!BBBBIII16s', 3, 4, 64, 0xc0, 7200, 3600, 0, socket.inet_pton(socket.AF_INET6, '2001:db8:5::'))",
        'for attempt in range(50):',
        '    try:',
        "        s.sendto(ra + pio, ('ff02::1', 0, 0, ifindex))",
        '        break',
        '    except OSError:',
        '        time.sleep(0.1)  # the link-local address may still be in DAD',
      ].join('\n');
      const r = await ns!.exec('python3', ['-c', script]);
      expect(r.stderr).toBe('');
      for (let i = 0; i < 100 && !iface!.ipv6.some((a) => a.origin === 'slaac' && a.state === 'preferred'); i++) {
        await new Promise((res) => setTimeout(res, 50));
      }
      const slaac = iface!.ipv6.find((a) => a.origin === 'slaac');
      expect(slaac?.state).toBe('preferred');
      const text = formatIPv6(slaac!.address);
      expect(text.startsWith('2001:db8:5:0:')).toBe(true);
      expect(iface!.v6!.routers).toHaveLength(1);
      await ns!.ip(['-6', 'route', 'add', '2001:db8:5::/64', 'dev', dev]);
      const p = await ns!.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', text]);
      expect(p.stdout).toMatch(/2 packets transmitted, 2 received/);
    });

    it('learns a smaller path MTU from the kernel router\'s Packet Too Big and fragments to it', async () => {
      // The kernel routes 2001:db8:1::/64 onto a veth with MTU 1280: what it cannot forward it answers with PTB.
      await ns!.ip(['link', 'add', 'v0', 'mtu', '1280', 'type', 'veth', 'peer', 'name', 'v1']);
      await ns!.ip(['link', 'set', 'v1', 'up']);
      await ns!.addAddress('v0', '2001:db8:1::1/64');
      await ns!.setLinkUp('v0');
      await ns!.exec('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
      const far = parseIPv6('2001:db8:1::99')!;
      expect(stack!.ip.pathMtu(far)).toBe(1500);
      const big = new Uint8Array(1400);
      await stack!.ping6(far, { identifier: 1, sequence: 1, data: big, timeoutUs: 500_000 }).catch(() => undefined);
      expect(stack!.counters.Icmp6InPktTooBigs).toBeGreaterThanOrEqual(1);
      expect(stack!.ip.pathMtu(far)).toBe(1280);
      // The next large datagram is cut to 1280 at the source (and forwarded by the kernel without complaint).
      const fragsBefore = stack!.counters.Ip6FragCreates;
      const tooBigBefore = stack!.counters.Icmp6InPktTooBigs;
      await stack!.ping6(far, { identifier: 1, sequence: 2, data: big, timeoutUs: 300_000 }).catch(() => undefined);
      expect(stack!.counters.Ip6FragCreates - fragsBefore).toBe(2);
      expect(stack!.counters.Icmp6InPktTooBigs).toBe(tooBigBefore);
    });
  });
}
