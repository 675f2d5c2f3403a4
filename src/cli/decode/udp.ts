import { readU16 } from '../../core/bytes.js';
import { finishChecksum, pseudoSum, sumBytes } from '../../ip/checksum.js';
import { IPPROTO_UDP, parseUdp, UDP_HEADER_LEN, udpChecksumValid } from '../../udp/header.js';
import { addLayer, field, markMalformed, pushChecksum, type Decoding } from './fields.js';
import type { IpInfo } from './transport.js';
import type { ChecksumStatus } from './types.js';

/** Decodes a UDP datagram (RFC 768): `b` is the IP payload (or upper-layer bytes for IPv6). */
export function decodeUdp(d: Decoding, b: Uint8Array, offset: number, ip: IpInfo): void {
  let srcPort: number;
  let dstPort: number;
  let length: number;
  let checksum: number;
  const r = parseUdp(b);
  if (r.ok) {
    ({ srcPort, dstPort, length, checksum } = r.value);
  } else if (ip.firstFragment && r.reason === 'udp-truncated' && b.length >= UDP_HEADER_LEN) {
    // The first fragment holds the header; the length it states covers
    // fragments still to come. Show the header as it is.
    srcPort = readU16(b, 0);
    dstPort = readU16(b, 2);
    length = readU16(b, 4);
    checksum = readU16(b, 6);
  } else {
    markMalformed(d, 'udp', r.reason);
    return;
  }
  const v4 = typeof ip.src === 'number';
  let status: ChecksumStatus;
  let expected = checksum;
  if (ip.firstFragment) {
    status = 'unverified';
  } else if (checksum === 0 && v4) {
    // RFC 768: zero means the sender computed none (allowed over IPv4 only, RFC 8200 §8.1).
    status = 'none';
  } else if (udpChecksumValid(b.subarray(0, length), ip.src, ip.dst)) {
    status = 'correct';
  } else {
    status = 'bad';
    const pseudo = pseudoSum(ip.src, ip.dst, IPPROTO_UDP, length);
    expected = finishChecksum(sumBytes(b, 8, length, sumBytes(b, 0, 6, pseudo)));
    // RFC 768: a computed zero is sent as all ones.
    if (expected === 0) expected = 0xffff;
  }
  const fields = [field('srcport', srcPort), field('dstport', dstPort), field('length', length)];
  pushChecksum(fields, checksum, status, expected);
  fields.push(field('payload-length', length - UDP_HEADER_LEN));
  addLayer(d, 'udp', offset, fields, `UDP, length ${length - UDP_HEADER_LEN}`, String(srcPort), String(dstPort));
}
