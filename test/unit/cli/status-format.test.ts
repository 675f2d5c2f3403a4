import { describe, expect, it } from 'vitest';
import { formatNstat, formatSs } from '../../../src/cli/status-format.js';
import type { TcpConnection } from '../../../src/tcp/connection.js';
import { twoStacks } from '../../helpers/stacks.js';

describe('live views: nstat and ss formatting', () => {
  it('prints non-zero counters and an ss -tni table of real connections', () => {
    const { clock, a, b } = twoStacks({ latencyUs: 1000 });
    const l = b.tcp.listen({ port: 80 });
    const c = a.tcp.connect({ remoteAddress: 0xc0000202, remotePort: 80 });
    let s: TcpConnection | null = null;
    clock.runUntil(() => (s ??= l.accept()) !== null, { maxUs: 5_000_000 });
    c.write(new Uint8Array(3000));
    clock.advance(10_000);
    const nstat = formatNstat(b.counters);
    expect(nstat.some((line) => /^TcpPassiveOpens\s+1$/.test(line))).toBe(true);
    expect(nstat.every((line) => !/\s0$/.test(line))).toBe(true);
    const ss = formatSs(b.connections());
    expect(ss[0]).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/);
    expect(ss[1]).toMatch(/^ESTAB\s+3000\s+0\s+192\.0\.2\.2:80\s+192\.0\.2\.1:\d+$/);
    expect(ss[2]).toMatch(/^\t cubic ts sack wscale:\d+,\d+ rto:\d+(\.\d+)? rtt:[\d.]+\/[\d.]+ mss:1448 .*bytes_received:3000 /);
    a.close();
    b.close();
  });
});
