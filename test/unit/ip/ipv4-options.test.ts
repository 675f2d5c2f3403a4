import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import {
  IPOPT_EOL,
  IPOPT_NOP,
  IPOPT_RA,
  IPOPT_RR,
  IPOPT_TS,
  ipv4OptionCopied,
  padIpv4Options,
  recordRouteOption,
  routerAlertOption,
  walkIpv4Options,
} from '../../../src/ip/ipv4-options.js';

function summary(hex: string): { opts: [number, number, number, string][]; error: string | null; at: number } {
  const w = walkIpv4Options(fromHex(hex));
  return {
    opts: w.options.map((o) => [o.type, o.offset, o.length, toHex(o.data)]),
    error: w.error,
    at: w.errorOffset,
  };
}

describe('IPv4 options walker', () => {
  it('walks the options tshark decoded as Router Alert + Record Route + EOL', () => {
    // Bytes of the IP_OPTS header in ipv4-header.test.ts (options part).
    expect(summary('94040000' + '070f04' + '00'.repeat(12) + '00')).toEqual({
      opts: [
        [IPOPT_RA, 0, 4, '0000'],
        [IPOPT_RR, 4, 15, '04' + '00'.repeat(12)],
        [IPOPT_EOL, 19, 1, ''],
      ],
      error: null,
      at: -1,
    });
  });

  it('handles the empty list, NOPs, and stops at EOL (the rest is padding)', () => {
    expect(summary('')).toEqual({ opts: [], error: null, at: -1 });
    expect(summary('0101' + '00' + 'ffff')).toEqual({
      opts: [
        [IPOPT_NOP, 0, 1, ''],
        [IPOPT_NOP, 1, 1, ''],
        [IPOPT_EOL, 2, 1, ''],
      ],
      error: null,
      at: -1,
    });
    // Unknown options are skipped by their length (RFC 1122 §3.2.1.8).
    expect(summary('fe03aa01')).toEqual({
      opts: [
        [0xfe, 0, 3, 'aa'],
        [IPOPT_NOP, 3, 1, ''],
      ],
      error: null,
      at: -1,
    });
  });

  it('reports truncation at the length octet', () => {
    expect(summary('0194')).toEqual({ opts: [[IPOPT_NOP, 0, 1, '']], error: 'ipv4-opt-truncated', at: 1 });
    expect(summary('940400')).toEqual({ opts: [], error: 'ipv4-opt-truncated', at: 1 });
    expect(summary('070f04000000')).toEqual({ opts: [], error: 'ipv4-opt-truncated', at: 1 });
  });

  it('reports lengths below the minimum or off a fixed size', () => {
    // Length 0 or 1 would make a walker loop or overlap: rejected.
    expect(summary('fe00')).toEqual({ opts: [], error: 'ipv4-opt-bad-length', at: 1 });
    expect(summary('fe01')).toEqual({ opts: [], error: 'ipv4-opt-bad-length', at: 1 });
    expect(summary('0702')).toEqual({ opts: [], error: 'ipv4-opt-bad-length', at: 1 });
    expect(summary('4403ff')).toEqual({ opts: [], error: 'ipv4-opt-bad-length', at: 1 });
    expect(summary('01' + '9406000000000000')).toEqual({
      opts: [[IPOPT_NOP, 0, 1, '']],
      error: 'ipv4-opt-bad-length',
      at: 2,
    });
    expect(summary('8202')).toEqual({ opts: [], error: 'ipv4-opt-bad-length', at: 1 });
  });

  it('reports route and timestamp pointers below their minimum', () => {
    expect(summary('070703' + '00000000')).toEqual({ opts: [], error: 'ipv4-opt-bad-pointer', at: 2 });
    expect(summary('44080400' + '00000000')).toEqual({ opts: [], error: 'ipv4-opt-bad-pointer', at: 2 });
    expect(summary('44080500' + '00000000').error).toBeNull();
    expect(summary('830304').error).toBeNull();
  });

  it('knows the copied flag (RFC 791)', () => {
    expect(ipv4OptionCopied(IPOPT_RA)).toBe(true);
    expect(ipv4OptionCopied(IPOPT_RR)).toBe(false);
    expect(ipv4OptionCopied(IPOPT_TS)).toBe(false);
    expect(ipv4OptionCopied(0x83)).toBe(true);
  });

  it('encodes router alert and record route, and pads to 4 bytes', () => {
    expect(toHex(routerAlertOption())).toBe('94040000');
    expect(toHex(recordRouteOption(3))).toBe('070f04' + '00'.repeat(12));
    expect(() => recordRouteOption(10)).toThrow(RangeError);
    expect(toHex(padIpv4Options(fromHex('070704')))).toBe('07070400');
    const four = fromHex('01010101');
    expect(padIpv4Options(four)).toBe(four);
    expect(padIpv4Options(new Uint8Array(0)).length).toBe(0);
  });
});
