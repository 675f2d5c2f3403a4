import { hex } from './fields.js';
import { findField, type DecodedLayer, type DecodedPacket } from './types.js';

/**
 * One line per packet in tcpdump's words (`tcpdump -nn -S`, plus `-e` for
 * Ethernet frames):
 *
 * ```
 * 00:00:01.000300 IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [S], seq 1000, win 64240, length 0
 * 00:00:00.000000 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has ...
 * ```
 *
 * Where tcpdump would print nothing or give up, the line says why:
 * `[malformed tcp: tcp-bad-data-offset]`, and a wrong checksum is flagged at
 * the end as `[bad tcp cksum 0x1234 -> 0x7764!]` (tcpdump shows those only with -v).
 */

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The time of day (UTC) of a capture time in µs: `HH:MM:SS.uuuuuu`, as tcpdump prints it with TZ=UTC. */
export function formatTimestamp(timeUs: number): string {
  const t = Number.isFinite(timeUs) && timeUs > 0 ? Math.floor(timeUs) : 0;
  const us = t % 1_000_000;
  const s = Math.floor(t / 1_000_000) % 86_400;
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(us, 6)}`;
}

function isPorted(l: DecodedLayer | undefined): l is DecodedLayer {
  return l !== undefined && (l.protocol === 'tcp' || l.protocol === 'udp');
}

/** tcpdump's word for a layer in "bad cksum" notes. */
function checksumName(l: DecodedLayer): string {
  return l.protocol === 'ipv4' ? 'ip' : l.protocol;
}

/** The packet's text without the timestamp. */
export function formatPacket(p: DecodedPacket): string {
  const L = p.layers;
  const parts: string[] = [];
  let i = 0;
  const ethernet = L.length > 0 && L[0]!.protocol === 'eth';
  if (ethernet) {
    // tcpdump -e: the link header, then each VLAN tag, then the rest without
    // the "IP"/"ARP," label (the EtherType has said it).
    parts.push(L[0]!.summary + ':');
    for (i = 1; i < L.length && L[i]!.protocol === 'vlan'; i++) parts.push(L[i]!.summary + ',');
  }
  const net = L[i];
  if (net === undefined) {
    const m = p.malformed;
    if (!ethernet && m !== undefined && (m.layer === 'ipv4' || m.layer === 'ipv6')) parts.push(m.layer === 'ipv4' ? 'IP' : 'IP6');
  } else if (net.protocol === 'ipv4' || net.protocol === 'ipv6') {
    if (!ethernet) parts.push(net.protocol === 'ipv4' ? 'IP' : 'IP6');
    const next = L[i + 1];
    if (isPorted(next)) {
      // Transport right after IP: ports join the addresses.
      parts.push(`${net.src}.${next.src} > ${net.dst}.${next.dst}:`, next.summary);
      i += 2;
    } else {
      // After extension headers tcpdump prints the ports on their own.
      parts.push(`${net.src} > ${net.dst}:`);
      for (i++; i < L.length; i++) {
        const l = L[i]!;
        if (isPorted(l)) parts.push(`${l.src} > ${l.dst}:`);
        parts.push(l.summary);
      }
    }
  } else {
    parts.push(net.protocol === 'arp' && !ethernet ? `ARP, ${net.summary}` : net.summary);
    i++;
  }
  for (; i < L.length; i++) parts.push(L[i]!.summary);
  if (p.malformed !== undefined) parts.push(`[malformed ${p.malformed.layer}: ${p.malformed.reason}]`);
  for (const l of L) {
    const status = findField(l, 'checksum-status');
    if (status === undefined || status.value !== 'bad') continue;
    const got = findField(l, 'checksum')?.value;
    const want = findField(l, 'checksum-expected')?.value;
    if (typeof got === 'number' && typeof want === 'number') {
      parts.push(`[bad ${checksumName(l)} cksum ${hex(got, 4)} -> ${hex(want, 4)}!]`);
    }
  }
  return parts.join(' ');
}

/** One tcpdump-style line: timestamp and packet text. */
export function formatLine(p: DecodedPacket, timeUs: number): string {
  return `${formatTimestamp(timeUs)} ${formatPacket(p)}`;
}
