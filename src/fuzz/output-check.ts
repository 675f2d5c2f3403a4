import { readU16, readU32, toHex } from '../core/bytes.js';
import { finishChecksum, sumBytes } from '../ip/checksum.js';

/**
 * An oracle on what the target sends: whatever garbage it receives, every
 * packet it emits must be well formed — lengths that match the bytes, a
 * right IPv4 header checksum, a right TCP/UDP/ICMP/ICMPv6 checksum (RFC
 * 1122 §3.2.1.2, RFC 9293 §3.1, RFC 768, RFC 4443 §2.3). A stack that
 * echoes a lie back, or miscounts a length while answering a malformed
 * packet, shows here. Checks are a few reads and one checksum pass per
 * packet; the first bad packet is kept for the report.
 */
export class OutputChecker {
  /** Packets checked, and found malformed. */
  checked = 0;
  bad = 0;
  private first: string | null = null;

  /** Checks one packet the target sent. */
  check(p: Uint8Array): void {
    this.checked++;
    const why = malformed(p);
    if (why === null) return;
    this.bad++;
    this.first ??= `${why}: ${toHex(p.subarray(0, Math.min(p.length, 64)))}${p.length > 64 ? '…' : ''}`;
  }

  /** Null while every packet was well formed, else a description of the first bad one. */
  problem(): string | null {
    return this.first === null ? null : `the target sent ${this.bad} malformed packet(s); the first: ${this.first}`;
  }
}

function transportChecksumOk(p: Uint8Array, start: number, end: number, protocol: number, v6: boolean): boolean {
  const n = end - start;
  if (protocol === 6 && n < 20) return false;
  if ((protocol === 17 || protocol === 1) && n < 8) return false;
  if (protocol === 58 && n < 4) return false;
  if (protocol === 17 && !v6 && readU16(p, start + 6) === 0) return true; // no checksum (RFC 768)
  let sum = 0;
  if (v6) sum = sumBytes(p, 8, 40) + (n >>> 16) + (n & 0xffff) + protocol;
  else if (protocol !== 1) sum = (readU32(p, 12) >>> 16) + (readU32(p, 12) & 0xffff) + (readU32(p, 16) >>> 16) + (readU32(p, 16) & 0xffff) + protocol + n;
  return finishChecksum(sumBytes(p, start, end, sum)) === 0;
}

/** Why `p` is not a well-formed IP packet as a host would send it, or null. */
export function malformed(p: Uint8Array): string | null {
  if (p.length < 1) return 'empty packet';
  const version = p[0]! >>> 4;
  if (version === 4) {
    if (p.length < 20) return 'IPv4 packet shorter than 20 bytes';
    const hl = (p[0]! & 0x0f) << 2;
    if (hl < 20 || hl > p.length) return `IPv4 header length ${hl} for ${p.length} bytes`;
    if (readU16(p, 2) !== p.length) return `IPv4 total length ${readU16(p, 2)} for ${p.length} bytes`;
    if (finishChecksum(sumBytes(p, 0, hl)) !== 0) return 'IPv4 header checksum wrong';
    const ff = readU16(p, 6);
    if ((ff & 0x3fff) !== 0) return null; // a fragment: its transport checksum covers other fragments too
    const proto = p[9]!;
    if ((proto === 6 || proto === 17 || proto === 1) && !transportChecksumOk(p, hl, p.length, proto, false)) {
      return `${proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : 'ICMP'} checksum wrong (or header cut short)`;
    }
    return null;
  }
  if (version === 6) {
    if (p.length < 40) return 'IPv6 packet shorter than 40 bytes';
    if (40 + readU16(p, 4) !== p.length) return `IPv6 payload length ${readU16(p, 4)} for ${p.length} bytes`;
    const nh = p[6]!;
    if ((nh === 6 || nh === 17 || nh === 58) && !transportChecksumOk(p, 40, p.length, nh, true)) {
      return `${nh === 6 ? 'TCP' : nh === 17 ? 'UDP' : 'ICMPv6'} checksum wrong (or header cut short)`;
    }
    return null;
  }
  return `IP version ${version}`;
}
