import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeResult, runFile, type IpLabel } from './conformance-suite.js';

/**
 * Our own packetdrill scripts (test/conformance/*.pkt: keepalive, listen
 * backlog with SYN cookies, RFC 5961 challenge ACKs, zero-window probes,
 * TIME_WAIT, SO_LINGER abort, delayed-ACK timing, window scaling) cover what
 * upstream's scripts do not. Each must pass over IPv4 and IPv6.
 */
const DIR = fileURLToPath(new URL('.', import.meta.url));
const SCRIPTS = readdirSync(DIR).filter((f) => f.endsWith('.pkt')).sort();
const IPS: readonly IpLabel[] = ['ipv4', 'ipv6'];

describe('our packetdrill scripts on tsip', () => {
  it('finds the scripts', () => {
    expect(SCRIPTS.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of SCRIPTS) {
    for (const ip of IPS) {
      it(`${name} [${ip}]`, () => {
        const r = runFile(`${DIR}${name}`, ip);
        expect(describeResult(r)).toBe('PASS');
        if (r.status === 'pass') expect(r.codeBlocksSkipped).toBe(0);
      });
    }
  }
});
