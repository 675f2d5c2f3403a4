import { formatIPv4, readIPv4 } from '../../core/address.js';
import { readU16 } from '../../core/bytes.js';
import { finishChecksum, internetChecksum, sumBytes } from '../../ip/checksum.js';
import { IPV4_HEADER_LEN, parseIpv4 } from '../../ip/ipv4-header.js';
import {
  IPOPT_CIPSO,
  IPOPT_EOL,
  IPOPT_LSRR,
  IPOPT_NOP,
  IPOPT_RA,
  IPOPT_RR,
  IPOPT_SEC,
  IPOPT_SID,
  IPOPT_SSRR,
  IPOPT_TS,
  walkIpv4Options,
  type Ipv4Option,
} from '../../ip/ipv4-options.js';
import { addLayer, field, hexField, markMalformed, named, pushChecksum, type Decoding } from './fields.js';
import { ipProtocolName } from './names.js';
import { decodeTransport } from './transport.js';
import type { DecodedField } from './types.js';

/** tcpdump's short names for IPv4 options (RFC 791, RFC 1108, RFC 2113). */
function optionName(type: number): string {
  switch (type) {
    case IPOPT_EOL:
      return 'EOL';
    case IPOPT_NOP:
      return 'NOP';
    case IPOPT_RR:
      return 'RR';
    case IPOPT_TS:
      return 'TS';
    case IPOPT_SEC:
      return 'SEC';
    case IPOPT_LSRR:
      return 'LSRR';
    case IPOPT_CIPSO:
      return 'CIPSO';
    case IPOPT_SID:
      return 'SID';
    case IPOPT_SSRR:
      return 'SSRR';
    case IPOPT_RA:
      return 'RA';
    default:
      return `unknown-${type}`;
  }
}

/** One option as text: name, length and, for route options, the pointer and the addresses recorded so far. */
function optionText(o: Ipv4Option): string {
  if (o.length === 1) return optionName(o.type);
  let s = `${optionName(o.type)} (len ${o.length}`;
  if (o.type === IPOPT_RR || o.type === IPOPT_LSRR || o.type === IPOPT_SSRR) {
    // data = pointer, then 4-byte route slots (RFC 791 "Record Route").
    s += `, ptr ${o.data[0] ?? 0}`;
    for (let i = 1; i + 4 <= o.data.length; i += 4) s += `${i === 1 ? ',' : ''} ${formatIPv4(readIPv4(o.data, i))}`;
  } else if (o.type === IPOPT_RA && o.data.length === 2) {
    s += `, value ${readU16(o.data, 0)}`;
  }
  return s + ')';
}

function flagsText(df: boolean, mf: boolean, reserved: boolean): string {
  const parts: string[] = [];
  if (reserved) parts.push('RF');
  if (df) parts.push('DF');
  if (mf) parts.push('MF');
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/**
 * What can be shown of a header whose total length is wrong (a capture cut
 * short, or a lying length): the addresses and the fields beside them. The
 * packet is reported malformed by the caller.
 */
function addPartialIpv4(d: Decoding, b: Uint8Array, offset: number): void {
  const src = formatIPv4(readIPv4(b, 12));
  const dst = formatIPv4(readIPv4(b, 16));
  const protocol = b[9]!;
  addLayer(
    d,
    'ipv4',
    offset,
    [
      field('ihl', b[0]! & 0x0f),
      field('total-length', readU16(b, 2)),
      field('captured-length', b.length),
      field('protocol', protocol, named(ipProtocolName(protocol), protocol)),
      field('src', src),
      field('dst', dst),
    ],
    `${src} > ${dst}`,
    src,
    dst,
  );
}

/** Decodes an IPv4 datagram (RFC 791) and its payload; `b` may carry link padding after it. */
export function decodeIpv4(d: Decoding, b: Uint8Array, offset: number): void {
  // The checksum is verified below and reported as a field, not a parse failure.
  const r = parseIpv4(b, false);
  if (!r.ok) {
    if ((r.reason === 'ipv4-truncated-packet' || r.reason === 'ipv4-bad-total-length') && b.length >= IPV4_HEADER_LEN) {
      addPartialIpv4(d, b, offset);
    }
    markMalformed(d, 'ipv4', r.reason);
    return;
  }
  const h = r.value;
  const hl = h.headerLength;
  const src = formatIPv4(h.src);
  const dst = formatIPv4(h.dst);
  const fields: DecodedField[] = [
    field('version', h.version),
    field('ihl', h.ihl, `${h.ihl} (${hl} bytes)`),
    hexField('tos', h.tos, 2),
    field('dscp', h.dscp),
    field('ecn', h.ecn),
    field('total-length', h.totalLength),
    field('id', h.id),
    field('flags', h.flags, flagsText(h.df, h.mf, (h.flags & 4) !== 0)),
    field('df', h.df),
    field('mf', h.mf),
    field('fragment-offset', h.fragmentOffset),
    field('ttl', h.ttl),
    field('protocol', h.protocol, named(ipProtocolName(h.protocol), h.protocol)),
  ];
  // RFC 791 §3.1: the checksum covers the header only; the expected value is
  // the sum with the checksum field itself left out.
  const ok = internetChecksum(b, 0, hl) === 0;
  const expected = ok ? h.headerChecksum : finishChecksum(sumBytes(b, 12, hl, sumBytes(b, 0, 10)));
  pushChecksum(fields, h.headerChecksum, ok ? 'correct' : 'bad', expected);
  fields.push(field('src', src), field('dst', dst));
  if (h.options.length > 0) {
    const walk = walkIpv4Options(h.options);
    for (const o of walk.options) fields.push(field('option', o.type, optionText(o)));
    if (walk.error !== null) fields.push(field('options-error', walk.error));
  }
  addLayer(d, 'ipv4', offset, fields, `${src} > ${dst}`, src, dst);

  const payloadOffset = offset + hl;
  if (h.fragmentOffset !== 0) {
    // A later fragment holds no transport header: say what it is and stop.
    const len = h.payload.length;
    addLayer(
      d,
      'fragment',
      payloadOffset,
      [
        field('id', h.id),
        field('offset', h.fragmentOffset),
        field('length', len),
        field('more', h.mf),
        field('protocol', h.protocol, named(ipProtocolName(h.protocol), h.protocol)),
      ],
      `frag (${h.fragmentOffset}|${len}) ip-proto-${h.protocol}`,
    );
    return;
  }
  decodeTransport(d, h.protocol, h.payload, payloadOffset, { src: h.src, dst: h.dst, firstFragment: h.mf });
}
