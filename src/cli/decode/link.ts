import { formatIPv4 } from '../../core/address.js';
import { parseArp, ARP_OP_REPLY, ARP_OP_REQUEST } from '../../link/arp.js';
import {
  ETH_MAX_LENGTH_FIELD,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  formatMac,
  parseEthernet,
  VLAN_TAG_LEN,
} from '../../link/ethernet.js';
import { addLayer, field, hex, hexField, markMalformed, type Decoding } from './fields.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { ethertypeName } from './names.js';
import type { DecodedField } from './types.js';

/** RFC 903 RARP and RFC 2390 InARP operations, which tcpdump names too. */
const ARP_OP_RREQUEST = 3;
const ARP_OP_RREPLY = 4;
const ARP_OP_INREQUEST = 8;
const ARP_OP_INREPLY = 9;

/** `IPv4 (0x0800)`: an EtherType as tcpdump -e shows it. */
function typeText(type: number): string {
  return `${ethertypeName(type)} (${hex(type, 4)})`;
}

/**
 * Decodes an Ethernet II frame (tags included) and what it carries.
 * `wireLength` is the frame's length on the wire, which tcpdump -e prints.
 */
export function decodeEthernet(d: Decoding, b: Uint8Array, wireLength: number): void {
  const r = parseEthernet(b);
  if (!r.ok) {
    markMalformed(d, 'eth', r.reason);
    return;
  }
  const e = r.value;
  const src = formatMac(e.src);
  const dst = formatMac(e.dst);
  const outerType = e.vlans.length > 0 ? e.vlans[0]!.tpid : e.ethertype;
  const fields: DecodedField[] = [field('dst', dst), field('src', src)];
  let summary: string;
  if (outerType <= ETH_MAX_LENGTH_FIELD) {
    // IEEE 802.3: the field is the payload length and an LLC header follows.
    fields.push(field('length', outerType));
    summary = `${src} > ${dst}, 802.3, length ${wireLength - e.headerLength}`;
  } else {
    fields.push(field('type', outerType, typeText(outerType)));
    summary = `${src} > ${dst}, ethertype ${typeText(outerType)}, length ${wireLength}`;
  }
  addLayer(d, 'eth', 0, fields, summary, src, dst);

  for (let i = 0; i < e.vlans.length; i++) {
    const tag = e.vlans[i]!;
    const next = i + 1 < e.vlans.length ? e.vlans[i + 1]!.tpid : e.ethertype;
    addLayer(
      d,
      'vlan',
      12 + VLAN_TAG_LEN * i,
      [
        hexField('tpid', tag.tpid, 4),
        field('pcp', tag.pcp),
        field('dei', tag.dei),
        field('vid', tag.vid),
        field('type', next, typeText(next)),
      ],
      `vlan ${tag.vid}, p ${tag.pcp}${tag.dei ? ', DEI' : ''}, ethertype ${typeText(next)}`,
    );
  }

  const off = e.headerLength;
  const payloadWire = wireLength - off;
  switch (e.ethertype) {
    case ETHERTYPE_IPV4:
      decodeIpv4(d, e.payload, off);
      return;
    case ETHERTYPE_IPV6:
      decodeIpv6(d, e.payload, off);
      return;
    case ETHERTYPE_ARP:
      decodeArp(d, e.payload, off, payloadWire);
      return;
    default:
      addLayer(
        d,
        'data',
        off,
        [field('length', e.payload.length)],
        `${e.ethertype <= ETH_MAX_LENGTH_FIELD ? 'LLC' : 'data'}, length ${e.payload.length}`,
      );
  }
}

/** Decodes an Ethernet/IPv4 ARP packet (RFC 826). `wireLength` counts the padding, as tcpdump's length does. */
export function decodeArp(d: Decoding, b: Uint8Array, offset: number, wireLength: number): void {
  const r = parseArp(b);
  if (!r.ok) {
    markMalformed(d, 'arp', r.reason);
    return;
  }
  const a = r.value;
  const sha = formatMac(a.senderMac);
  const tha = formatMac(a.targetMac);
  const spa = formatIPv4(a.senderIp);
  const tpa = formatIPv4(a.targetIp);
  let text: string;
  let opName: string;
  switch (a.opcode) {
    case ARP_OP_REQUEST: {
      opName = 'Request';
      // A request that already names a target MAC shows it, as tcpdump does.
      const thaKnown = a.targetMac.some((x) => x !== 0);
      text = `Request who-has ${tpa}${thaKnown ? ` (${tha})` : ''} tell ${spa}`;
      break;
    }
    case ARP_OP_REPLY:
      opName = 'Reply';
      text = `Reply ${spa} is-at ${sha}`;
      break;
    case ARP_OP_RREQUEST:
      opName = 'Reverse Request';
      text = `Reverse Request who-is ${tha} tell ${sha}`;
      break;
    case ARP_OP_RREPLY:
      opName = 'Reverse Reply';
      text = `Reverse Reply ${tha} at ${tpa}`;
      break;
    case ARP_OP_INREQUEST:
      opName = 'Inverse Request';
      text = `Inverse Request who-is ${tha} tell ${sha}`;
      break;
    case ARP_OP_INREPLY:
      opName = 'Inverse Reply';
      text = `Inverse Reply ${sha} at ${spa}`;
      break;
    default:
      opName = 'Unknown';
      text = `Unknown (${a.opcode})`;
  }
  addLayer(
    d,
    'arp',
    offset,
    [
      field('hardware-type', 1, 'Ethernet (1)'),
      hexField('protocol-type', 0x0800, 4),
      field('hardware-size', 6),
      field('protocol-size', 4),
      field('opcode', a.opcode, `${opName} (${a.opcode})`),
      field('sender-mac', sha),
      field('sender-ip', spa),
      field('target-mac', tha),
      field('target-ip', tpa),
    ],
    `${text}, length ${wireLength}`,
    spa,
    tpa,
  );
}
