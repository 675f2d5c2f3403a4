/**
 * A real tsip Stack on a TUN and on a TAP device, with the Linux kernel in a
 * network namespace as the peer: the kernel's own `ping` must get answers
 * from tsip, and tsip's ping must get answers from the kernel. Kernel side
 * 192.0.2.1/24, stack side 192.0.2.2/24 (design.md §8). Namespaces and
 * devices are removed in afterAll, also after a failure.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { Netns, randomDeviceName } from '../../src/link/netns.js';
import { TunLink, type TunMode } from '../../src/link/tun-link.js';
import { Stack } from '../../src/stack.js';
import { describeInterop } from './tun-gate.js';

for (const mode of ['tun', 'tap'] as TunMode[]) {
  describeInterop(`tsip stack on ${mode.toUpperCase()} with the kernel as the peer`, () => {
    let ns: Netns | undefined;
    let stack: Stack | undefined;

    beforeAll(async () => {
      ns = await Netns.create();
      const name = randomDeviceName();
      const link = TunLink.open({ mode, name, mtu: 1500 });
      await ns.adoptDevice(name, { addresses: ['192.0.2.1/24'], mtu: 1500 });
      stack = new Stack({ clock: new RealClock(), id: `interop-${mode}` });
      stack.addInterface(link, { ipv4: ['192.0.2.2/24'] });
    });

    afterAll(async () => {
      stack?.close();
      await ns?.delete();
    });

    it('answers the kernel ping, 5 of 5', async () => {
      const r = await ns!.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', '192.0.2.2']);
      expect(r.stdout).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);
      expect(stack!.counters.IcmpInEchos).toBeGreaterThanOrEqual(5);
      expect(stack!.counters.IcmpOutEchoReps).toBe(stack!.counters.IcmpInEchos);
    });

    it('answers a large kernel ping that the kernel fragments, and fragments its reply', async () => {
      const r = await ns!.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '-s', '4000', '-M', 'dont', '192.0.2.2']);
      expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
      expect(stack!.counters.IpReasmOKs).toBeGreaterThanOrEqual(2);
      expect(stack!.counters.IpFragCreates).toBeGreaterThanOrEqual(6);
    });

    it('pings the kernel and gets its replies', async () => {
      for (let seq = 1; seq <= 3; seq++) {
        const reply = await stack!.ping('192.0.2.1', { identifier: 4242, sequence: seq, data: new Uint8Array(32).fill(seq), timeoutUs: 2_000_000 });
        expect(reply.sequence).toBe(seq);
        expect(reply.data).toEqual(new Uint8Array(32).fill(seq));
      }
    });

    it('answers a datagram of an unknown protocol with protocol unreachable, seen by the kernel', async () => {
      const before = stack!.counters.IcmpOutDestUnreachs;
      const script = [
        'import socket',
        's = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)',
        'r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)',
        'r.settimeout(3)',
        "s.sendto(b'tsip', ('192.0.2.2', 0))",
        'while True:',
        '    d = r.recv(2048)',
        '    if d[20] == 3:',
        '        print(d[20], d[21])',
        '        break',
      ].join('\n');
      const r = await ns!.exec('python3', ['-c', script]);
      expect(r.stdout.trim()).toBe('3 2');
      expect(stack!.counters.IcmpOutDestUnreachs).toBe(before + 1);
    });
  });
}
