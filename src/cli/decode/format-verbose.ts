import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../link/pcap-format.js';
import { formatLine } from './format-line.js';
import type { DecodedPacket, LayerProtocol } from './types.js';

/**
 * `tsip dump -v`: the packet's line, then every layer with every field, one
 * per line, in the spirit of `tshark -V` but compact:
 *
 * ```
 * 00:00:00.000000 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64
 *   Frame: 84 bytes captured, 84 on the wire, linktype RAW (101)
 *   IPv4: 192.0.2.1 > 192.0.2.2
 *     version: 4
 *     ...
 *     checksum: 0xb6d4
 *     checksum-status: correct
 * ```
 */

const TITLES: Readonly<Record<LayerProtocol, string>> = {
  eth: 'Ethernet',
  vlan: '802.1Q',
  arp: 'ARP',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  'ipv6-hbh': 'IPv6 Hop-by-Hop Options',
  'ipv6-dstopts': 'IPv6 Destination Options',
  'ipv6-routing': 'IPv6 Routing',
  'ipv6-frag': 'IPv6 Fragment',
  fragment: 'IPv4 Fragment',
  icmp: 'ICMP',
  icmp6: 'ICMPv6',
  udp: 'UDP',
  tcp: 'TCP',
  data: 'Data',
};

function linkTypeText(linkType: number): string {
  if (linkType === LINKTYPE_ETHERNET) return `EN10MB (${linkType})`;
  if (linkType === LINKTYPE_RAW) return `RAW (${linkType})`;
  return String(linkType);
}

/** The verbose lines of one packet (no trailing newlines). */
export function formatVerbose(p: DecodedPacket, timeUs: number): string[] {
  const lines = [formatLine(p, timeUs)];
  lines.push(
    `  Frame: ${p.capturedLength} bytes captured, ${p.originalLength} on the wire, linktype ${linkTypeText(p.linkType)}`,
  );
  for (const layer of p.layers) {
    lines.push(`  ${TITLES[layer.protocol]}: ${layer.summary}`);
    for (const f of layer.fields) lines.push(`    ${f.name}: ${f.display ?? String(f.value)}`);
  }
  if (p.malformed !== undefined) lines.push(`  Malformed ${p.malformed.layer}: ${p.malformed.reason}`);
  return lines;
}
