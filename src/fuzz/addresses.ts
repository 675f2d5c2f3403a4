import { parseIPv6, writeIPv4, type IPv4Address, type IPv6Address } from '../core/address.js';
import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { updateChecksum16, updateChecksum32 } from '../ip/checksum.js';
import { dissect, type Dissection } from '../craft/dissect.js';
import { fixChecksums } from '../craft/mutate.js';

/**
 * Who is who in a fuzzing run, and the address discipline of runs that
 * reach a real kernel: every address on the wire stays inside the
 * documentation ranges (RFC 5737: 192.0.2.0/24, 198.51.100.0/24; RFC 3849:
 * 2001:db8::/32).
 */
export interface AddressPlan {
  /** The target's addresses (kernel side on TUN, the stack under test in self mode). */
  readonly target4: IPv4Address;
  readonly target6: IPv6Address;
  /** Where fuzz traffic comes from. */
  readonly fuzzer4: IPv4Address;
  readonly fuzzer6: IPv6Address;
  /** Where health probes come from; the generator never uses it, so fuzz state cannot collide with a probe. */
  readonly probe4: IPv4Address;
  readonly probe6: IPv6Address;
  /** Other sources and destinations the generator may pick (neighbours, broadcast, multicast...). */
  readonly others4: readonly IPv4Address[];
  /** Whether generated IPv6 traffic is on. */
  readonly ipv6: boolean;
  /** Clamp every address into the documentation ranges (a real kernel is listening). */
  readonly restricted: boolean;
  /** The TCP/UDP port the target's echo services listen on. */
  readonly echoPort: number;
}

const V4 = (a: number, b: number, c: number, d: number): IPv4Address => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** The plan both targets use: target 192.0.2.1 / 2001:db8::1, fuzzer .2 / ::2, probes .250 / ::250. */
export function defaultAddressPlan(options: { restricted: boolean; ipv6: boolean }): AddressPlan {
  const others4 = [
    V4(192, 0, 2, 3), V4(192, 0, 2, 255), V4(192, 0, 2, 0), V4(198, 51, 100, 7), V4(198, 51, 100, 255),
  ];
  if (!options.restricted) {
    // Off-link, martian and group addresses only an in-process target ever sees.
    others4.push(0, 0xffffffff, V4(224, 0, 0, 1), V4(224, 0, 0, 22), V4(127, 0, 0, 1), V4(10, 1, 2, 3), V4(240, 0, 0, 1));
  }
  return {
    target4: V4(192, 0, 2, 1),
    target6: parseIPv6('2001:db8::1')!,
    fuzzer4: V4(192, 0, 2, 2),
    fuzzer6: parseIPv6('2001:db8::2')!,
    probe4: V4(192, 0, 2, 250),
    probe6: parseIPv6('2001:db8::250')!,
    others4: Object.freeze(others4),
    ipv6: options.ipv6,
    restricted: options.restricted,
    echoPort: 7,
  };
}

/** True for 192.0.2.0/24 and 198.51.100.0/24 (RFC 5737). */
export function isDocumentation4(a: IPv4Address): boolean {
  const net = a >>> 8;
  return net === 0xc00002 || net === 0xc63364;
}

/** True for 2001:db8::/32 (RFC 3849), read at `b[o..o+4)`. */
export function isDocumentation6(b: Uint8Array, o: number): boolean {
  return readU32(b, o) === 0x20010db8;
}

/** Moves an IPv4 address into 192.0.2.0/24, keeping its last octet (but never landing on the probes' address). */
function clamp4(a: IPv4Address, avoid: IPv4Address): IPv4Address {
  if (isDocumentation4(a)) return a;
  const c = (0xc0000200 | (a & 0xff)) >>> 0;
  return c === avoid ? (c ^ 1) >>> 0 : c;
}

/**
 * Rewrites any address of the packet `b[0..len)` that lies outside the
 * documentation ranges — IPv4 source and destination, IPv6 source and
 * destination prefixes — patching the IPv4 header checksum and the
 * transport checksum incrementally (RFC 1624) so that a right checksum stays
 * right and a deliberately wrong one stays wrong. Packets of other versions
 * are left alone: the kernel drops them at once. `avoid4` (the health
 * probes' source) is never produced, so fuzz traffic cannot pose as a probe.
 */
export function clampAddresses(b: Uint8Array, len: number, d: Dissection, avoid4: IPv4Address = 0xc00002fa): void {
  if (len < 1) return;
  const version = b[0]! >>> 4;
  if (version === 4 && len >= 20) {
    dissect(b, len, d);
    for (const o of [12, 16]) {
      const old = readU32(b, o);
      const now = clamp4(old, avoid4);
      if (old === now) continue;
      writeU32(b, o, now);
      writeU16(b, 10, updateChecksum32(readU16(b, 10), old, now));
      // ICMP has no pseudo-header; TCP and UDP do.
      const co = d.l4ChecksumOffset;
      if (co >= 0 && co + 2 <= len && d.l4Protocol !== 1) {
        const c = readU16(b, co);
        // A UDP checksum of 0 means "none" and stays so.
        if (!(d.l4Protocol === 17 && c === 0)) writeU16(b, co, updateChecksum32(c, old, now));
      }
    }
  } else if (version === 6 && len >= 40) {
    dissect(b, len, d);
    for (const o of [8, 24]) {
      if (isDocumentation6(b, o)) continue;
      const hi = readU16(b, o);
      const lo = readU16(b, o + 2);
      writeU16(b, o, 0x2001);
      writeU16(b, o + 2, 0x0db8);
      const co = d.l4ChecksumOffset;
      if (co >= 0 && co + 2 <= len) {
        const c = updateChecksum16(updateChecksum16(readU16(b, co), hi, 0x2001), lo, 0x0db8);
        writeU16(b, co, c);
      }
    }
  }
}

/**
 * A captured packet aimed at this run's target: a copy with the source set
 * to the fuzzer's address and the destination to the target's (IPv4 or
 * IPv6), checksums recomputed. Seeds from a capture of other hosts would
 * otherwise all be "not for us".
 */
export function retarget(packet: Uint8Array, plan: AddressPlan): Uint8Array {
  const p = packet.slice();
  const version = p.length > 0 ? p[0]! >>> 4 : 0;
  if (version === 4 && p.length >= 20) {
    writeIPv4(p, 12, plan.fuzzer4);
    writeIPv4(p, 16, plan.target4);
  } else if (version === 6 && p.length >= 40) {
    p.set(plan.fuzzer6, 8);
    p.set(plan.target6, 24);
  } else {
    return p;
  }
  fixChecksums(p, p.length);
  return p;
}
