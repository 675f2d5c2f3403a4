import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { serveTcpDiscard, serveTcpEcho } from '../../../src/cli/services/tcp-services.js';
import type { IpAddress } from '../../../src/ip/types.js';

function stacks(): { clock: VirtualClock; client: Stack; server: Stack } {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: 100 });
  const client = new Stack({ clock, seed: 3, id: 'client' });
  const server = new Stack({ clock, seed: 4, id: 'server' });
  client.addInterface(la, { ipv4: ['192.0.2.1/24'], ipv6: ['2001:db8::1/64'] });
  server.addInterface(lb, { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'] });
  return { clock, client, server };
}

function echoOnce(clock: VirtualClock, client: Stack, to: IpAddress, port: number): string {
  const c = client.tcp.connect({ remoteAddress: to, remotePort: port });
  clock.runUntil(() => c.stateName === 'ESTABLISHED', { maxUs: 5_000_000 });
  c.write(new TextEncoder().encode('hello'));
  c.shutdown('write');
  let got = '';
  clock.runUntil(() => {
    const d = c.read();
    if (d.length > 0) got += new TextDecoder().decode(d);
    return c.readEnded;
  }, { maxUs: 5_000_000 });
  return got;
}

describe('CLI TCP services', () => {
  it('echo answers over IPv4 and IPv6 on one port; close() stops both listeners', () => {
    const { clock, client, server } = stacks();
    const svc = serveTcpEcho(server, 7);
    expect(svc.listeners.map((l) => l.family)).toEqual([4, 6]);
    expect(echoOnce(clock, client, parseIPv4('192.0.2.2')!, 7)).toBe('hello');
    expect(echoOnce(clock, client, parseIPv6('2001:db8::2')!, 7)).toBe('hello');
    svc.close();
    expect(server.tcp.listenerList()).toEqual([]);
  });

  it('discard listens on both families, and a failed second listen leaves nothing open', () => {
    const { server } = stacks();
    server.tcp.listen({ port: 9, family: 6 });
    expect(() => serveTcpDiscard(server, 9)).toThrow(/EADDRINUSE/);
    expect(server.tcp.listenerList().map((l) => l.family)).toEqual([6]);
    const svc = serveTcpDiscard(server, 19);
    expect(svc.listeners.map((l) => [l.family, l.localPort])).toEqual([[4, 19], [6, 19]]);
  });
});
