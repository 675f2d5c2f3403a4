import { linkTypeFromPcap } from '../../link/pcap-format.js';
import { markMalformed, type Decoding } from './fields.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeEthernet } from './link.js';
import type { DecodedPacket } from './types.js';

export * from './types.js';

/**
 * Decodes one captured frame of pcap LINKTYPE `linkType` (1 Ethernet, 101
 * raw IP and the other raw-IP numbers) into its layers.
 *
 * Pure and total: any bytes give a packet. A layer that does not parse ends
 * the decoding with `malformed` set and the layers before it kept; wrong
 * checksums are reported in `checksum-status` fields, not as malformations.
 * `originalLength` is the length on the wire (the pcap record's), defaulting
 * to the captured length.
 */
export function decodePacket(frame: Uint8Array, linkType: number, originalLength: number = frame.length): DecodedPacket {
  const wire = Number.isSafeInteger(originalLength) && originalLength >= frame.length ? originalLength : frame.length;
  const d: Decoding = { layers: [], malformed: undefined };
  try {
    decodeFrame(d, frame, linkType, wire);
  } catch (e) {
    // Decoders are written not to throw; should one still do so, the packet
    // is reported rather than the capture abandoned (the property tests
    // assert this reason never appears).
    markMalformed(d, 'decoder', `decoder-bug: ${e instanceof Error ? e.message : String(e)}`);
  }
  const base = { linkType, capturedLength: frame.length, originalLength: wire, layers: d.layers };
  return d.malformed === undefined ? base : { ...base, malformed: d.malformed };
}

function decodeFrame(d: Decoding, frame: Uint8Array, linkType: number, wire: number): void {
  switch (linkTypeFromPcap(linkType)) {
    case 'ethernet':
      decodeEthernet(d, frame, wire);
      return;
    case 'ip':
      decodeRawIp(d, frame);
      return;
    default:
      markMalformed(d, 'link', `unsupported-linktype-${linkType}`);
  }
}

/** Raw IP (LINKTYPE_RAW and kin): the version nibble says which IP it is. */
function decodeRawIp(d: Decoding, b: Uint8Array): void {
  if (b.length === 0) {
    markMalformed(d, 'ip', 'ip-truncated');
    return;
  }
  const version = b[0]! >>> 4;
  if (version === 4) decodeIpv4(d, b, 0);
  else if (version === 6) decodeIpv6(d, b, 0);
  else markMalformed(d, 'ip', `ip-bad-version-${version}`);
}
