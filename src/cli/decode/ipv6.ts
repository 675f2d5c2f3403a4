import { formatIPv6 } from '../../core/address.js';
import { readU16, readU32 } from '../../core/bytes.js';
import {
  IPV6_EXT_DSTOPTS,
  IPV6_EXT_FRAGMENT,
  IPV6_EXT_HOPOPTS,
  IPV6_EXT_ROUTING,
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  IPV6_NO_NEXT_HEADER,
  IPV6_OPT_PAD1,
  IPV6_OPT_PADN,
  IPV6_OPT_ROUTER_ALERT,
  IPV6_ROUTING_TYPE0,
  parseIpv6,
  walkIpv6Extensions,
} from '../../ip/ipv6-header.js';
import { addLayer, field, hex, hexField, markMalformed, named, type Decoding } from './fields.js';
import { ipProtocolName } from './names.js';
import { decodeTransport } from './transport.js';
import type { DecodedField } from './types.js';

/** RFC 2675 Jumbo Payload option type. */
const IPV6_OPT_JUMBO = 0xc2;
/** RFC 6275 Type 2 Routing header (Mobile IPv6 home address) and RFC 8754 Segment Routing header. */
const ROUTING_TYPE_MIP6 = 2;
const ROUTING_TYPE_SRH = 4;

function nextHeaderField(nh: number): DecodedField {
  return field('next-header', nh, named(ipProtocolName(nh), nh));
}

/** Lists the TLV options of a Hop-by-Hop or Destination Options header at b[start, end) (RFC 8200 §4.2). */
function pushTlvOptions(fields: DecodedField[], b: Uint8Array, start: number, end: number): void {
  let p = start;
  while (p < end) {
    const type = b[p]!;
    if (type === IPV6_OPT_PAD1) {
      fields.push(field('option', type, 'pad1'));
      p++;
      continue;
    }
    if (p + 2 > end || p + 2 + b[p + 1]! > end) {
      fields.push(field('options-error', 'ipv6-bad-option-length'));
      return;
    }
    const len = b[p + 1]!;
    let text: string;
    if (type === IPV6_OPT_PADN) text = `padn (${len + 2} bytes)`;
    else if (type === IPV6_OPT_ROUTER_ALERT && len === 2) text = `router alert ${hex(readU16(b, p + 2), 4)}`;
    else if (type === IPV6_OPT_JUMBO && len === 4) text = `jumbo payload ${readU32(b, p + 2)}`;
    else text = `option ${hex(type, 2)}, length ${len}`;
    fields.push(field('option', type, text));
    p += 2 + len;
  }
}

/** The fixed header of a packet whose payload length runs past the bytes present, for display. */
function addPartialIpv6(d: Decoding, b: Uint8Array, offset: number): void {
  const src = formatIPv6(b, 8);
  const dst = formatIPv6(b, 24);
  addLayer(
    d,
    'ipv6',
    offset,
    [
      field('payload-length', readU16(b, 4)),
      field('captured-length', b.length),
      nextHeaderField(b[6]!),
      field('src', src),
      field('dst', dst),
    ],
    `${src} > ${dst}`,
    src,
    dst,
  );
}

/**
 * Decodes an IPv6 packet (RFC 8200): the fixed header, each extension
 * header as a layer of its own, then the upper layer. After a Fragment
 * header with a non-zero offset nothing more is decoded.
 */
export function decodeIpv6(d: Decoding, b: Uint8Array, offset: number): void {
  const r = parseIpv6(b);
  if (!r.ok) {
    if (r.reason === 'ipv6-truncated' && b.length >= IPV6_HEADER_LEN && b[0]! >>> 4 === 6) addPartialIpv6(d, b, offset);
    markMalformed(d, 'ipv6', r.reason);
    return;
  }
  const h = r.value;
  const end = IPV6_HEADER_LEN + h.payloadLength;
  const src = formatIPv6(h.src);
  const dst = formatIPv6(h.dst);
  const fields: DecodedField[] = [
    field('version', h.version),
    hexField('traffic-class', h.trafficClass, 2),
    field('dscp', h.trafficClass >>> 2),
    field('ecn', h.trafficClass & 3),
    hexField('flow-label', h.flowLabel, 5),
    field('payload-length', h.payloadLength),
    nextHeaderField(h.nextHeader),
    field('hop-limit', h.hopLimit),
    field('src', src),
    field('dst', dst),
  ];
  // What the stack's own walker would refuse (bad padding, Hop-by-Hop out of
  // place...): not a decoding failure, but worth showing.
  const walk = walkIpv6Extensions(b, h.nextHeader, IPV6_HEADER_LEN, end);
  if (!walk.ok) fields.push(field('extensions-error', walk.reason));
  addLayer(d, 'ipv6', offset, fields, `${src} > ${dst}`, src, dst);

  let nh = h.nextHeader;
  let p = IPV6_HEADER_LEN;
  // RFC 8200 §8.1: the pseudo-header names the final destination.
  let finalDst = h.dst;
  let firstFragment = false;
  // Each header consumes at least 8 bytes, so the loop ends.
  for (;;) {
    if (nh === IPV6_EXT_HOPOPTS || nh === IPV6_EXT_DSTOPTS || nh === IPV6_EXT_ROUTING) {
      const proto = nh === IPV6_EXT_HOPOPTS ? 'ipv6-hbh' : nh === IPV6_EXT_DSTOPTS ? 'ipv6-dstopts' : 'ipv6-routing';
      if (p + 2 > end || p + ((b[p + 1]! + 1) << 3) > end) {
        markMalformed(d, proto, 'ipv6-ext-truncated');
        return;
      }
      const hel = b[p + 1]!;
      const len = (hel + 1) << 3;
      const extFields: DecodedField[] = [nextHeaderField(b[p]!), field('hdr-ext-len', hel, `${hel} (${len} bytes)`)];
      let summary: string;
      if (nh === IPV6_EXT_ROUTING) {
        const type = b[p + 2]!;
        const segleft = b[p + 3]!;
        extFields.push(field('routing-type', type), field('segments-left', segleft));
        summary = `RT6 (len=${hel}, type=${type}`;
        if (type === IPV6_ROUTING_TYPE0) {
          summary += ' [Deprecated]';
          let addrs = '';
          let last = -1;
          for (let a = p + 8, i = 0; a + 16 <= p + len; a += 16, i++) {
            const text = formatIPv6(b, a);
            extFields.push(field('address', text));
            addrs += `, [${i}]${text}`;
            last = a;
          }
          summary += `, segleft=${segleft}${addrs})`;
          // Until the last hop, the final destination is the last listed address.
          if (segleft > 0 && last >= 0) finalDst = b.subarray(last, last + 16);
        } else {
          summary += `, segleft=${segleft})`;
          if (segleft > 0 && len >= 24 && (type === ROUTING_TYPE_MIP6 || type === ROUTING_TYPE_SRH)) {
            // Type 2 carries the home address; an SRH lists the final segment first (RFC 8754 §2).
            finalDst = b.subarray(p + 8, p + 24);
          }
        }
      } else {
        pushTlvOptions(extFields, b, p + 2, p + len);
        summary = nh === IPV6_EXT_HOPOPTS ? 'HBH' : 'DSTOPT';
      }
      addLayer(d, proto, offset + p, extFields, summary);
      nh = b[p]!;
      p += len;
      continue;
    }
    if (nh === IPV6_EXT_FRAGMENT) {
      if (p + IPV6_FRAGMENT_HEADER_LEN > end) {
        markMalformed(d, 'ipv6-frag', 'ipv6-ext-truncated');
        return;
      }
      const offMore = readU16(b, p + 2);
      const fragOffset = offMore & 0xfff8;
      const more = (offMore & 1) === 1;
      const dataLen = end - p - IPV6_FRAGMENT_HEADER_LEN;
      addLayer(
        d,
        'ipv6-frag',
        offset + p,
        [
          nextHeaderField(b[p]!),
          field('reserved', b[p + 1]!),
          field('offset', fragOffset),
          field('res', (offMore >>> 1) & 3),
          field('more', more),
          hexField('id', readU32(b, p + 4), 8),
          field('data-length', dataLen),
        ],
        `frag (${fragOffset}|${dataLen})`,
      );
      // RFC 8200 §4.5: only the first fragment holds the upper-layer header.
      if (fragOffset !== 0) return;
      // Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram.
      firstFragment = more;
      nh = b[p]!;
      p += IPV6_FRAGMENT_HEADER_LEN;
      continue;
    }
    break;
  }
  const upper = b.subarray(p, end);
  if (nh === IPV6_NO_NEXT_HEADER) {
    addLayer(d, 'data', offset + p, [field('length', upper.length)], 'no next header');
    return;
  }
  decodeTransport(d, nh, upper, offset + p, { src: h.src, dst: finalDst, firstFragment });
}
