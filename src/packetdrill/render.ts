import { decodePacket } from '../cli/decode/decode.js';
import { formatPacket } from '../cli/decode/format-line.js';

/** pcap LINKTYPE_RAW: an IP datagram with no link header. */
const LINKTYPE_RAW = 101;

/**
 * One line for a packet as `tsip dump` prints it, prefixed with its script
 * time in seconds (`0.100000 IP 192.0.2.1.40000 > 192.0.2.2.8080: Flags [S], ...`).
 */
export function renderPacket(bytes: Uint8Array, scriptTimeUs: number): string {
  return `${(scriptTimeUs / 1e6).toFixed(6)} ${formatPacket(decodePacket(bytes, LINKTYPE_RAW))}`;
}

/** Seconds with microsecond precision, as packetdrill prints times. */
export function secs(us: number): string {
  return (us / 1e6).toFixed(6);
}
