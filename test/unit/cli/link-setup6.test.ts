import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../../../src/core/address.js';
import { RealClock } from '../../../src/core/clock.js';
import { UsageError } from '../../../src/cli/io.js';
import { DEFAULT_LINK, parseLinkArgs, setupStack } from '../../../src/cli/link-setup.js';
import { runPing } from '../../../src/cli/ping.js';

function captureIo() {
  const io = { outText: '', errText: '', out: (t: string) => void (io.outText += t), err: (t: string) => void (io.errText += t) };
  return io;
}

describe('link flags: --addr6 / --peer6', () => {
  it('default to 2001:db8::2/64 and 2001:db8::1/64 and take IPv6 CIDRs only', () => {
    expect(parseLinkArgs([]).link).toMatchObject({ addr6: '2001:db8::2/64', peer6: '2001:db8::1/64', addr: '192.0.2.2/24' });
    const p = parseLinkArgs(['--addr6', '2001:db8:1::5/48', '--peer6', '2001:db8:1::6/48', 'x']);
    expect(p.link.addr6).toBe('2001:db8:1::5/48');
    expect(p.link.peer6).toBe('2001:db8:1::6/48');
    expect(p.rest).toEqual(['x']);
    expect(() => parseLinkArgs(['--addr6', '192.0.2.2/24'])).toThrow(UsageError);
    expect(() => parseLinkArgs(['--peer6', 'nope/64'])).toThrow(UsageError);
    expect(() => parseLinkArgs(['--addr', '2001:db8::2/64'])).toThrow(UsageError);
  });

  it('--memory configures IPv6 on both stacks, usable at once', async () => {
    const on = await setupStack({ ...DEFAULT_LINK }, new RealClock(), 'v6-side');
    try {
      expect(on.description).toMatchObject({ address6: '2001:db8::2', peer6: '2001:db8::1' });
      expect(on.stack.ip.isLocalAddress(parseIPv6('2001:db8::2')!)).toBe(true);
      expect(on.peerStack!.ip.isLocalAddress(parseIPv6('2001:db8::1')!)).toBe(true);
      const r = await on.stack.ping6('2001:db8::1', { identifier: 7, sequence: 1 });
      expect(r.sequence).toBe(1);
      expect(r.ttl).toBe(64);
    } finally {
      await on.close();
    }
  });
});

describe('tsip ping over IPv6', () => {
  it('pings the memory peer with ICMPv6 for an IPv6 HOST and with -6', async () => {
    const io = captureIo();
    expect(await runPing(['--memory', '-6', '-c', '2', '-i', '0.01', '2001:db8::1'], io)).toBe(0);
    expect(io.outText).toContain('PING 2001:db8::1(2001:db8::1) 56 data bytes');
    expect(io.outText).toMatch(/64 bytes from 2001:db8::1: icmp_seq=1 ttl=64 time=/);
    expect(io.outText).toContain('2 packets transmitted, 2 received, 0% packet loss');
    await expect(runPing(['-6', '192.0.2.1'], captureIo())).rejects.toThrow(UsageError);
    await expect(runPing(['-4', '2001:db8::1'], captureIo())).rejects.toThrow(UsageError);
  });
});
