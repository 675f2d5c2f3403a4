import { formatIPv4 } from '../../core/address.js';
import { readU16, readU32 } from '../../core/bytes.js';
import { finishChecksum, internetChecksum, sumBytes } from '../../ip/checksum.js';
import {
  ICMPV4_ADDRESS_MASK_REPLY,
  ICMPV4_ADDRESS_MASK_REQUEST,
  ICMPV4_DEST_UNREACH,
  ICMPV4_ECHO_REPLY,
  ICMPV4_ECHO_REQUEST,
  ICMPV4_INFO_REPLY,
  ICMPV4_INFO_REQUEST,
  ICMPV4_PARAM_PROBLEM,
  ICMPV4_REDIRECT,
  ICMPV4_ROUTER_ADVERT,
  ICMPV4_ROUTER_SOLICIT,
  ICMPV4_SOURCE_QUENCH,
  ICMPV4_TIME_EXCEEDED,
  ICMPV4_TIMESTAMP,
  ICMPV4_TIMESTAMP_REPLY,
  ICMPV4_UNREACH_FRAG_NEEDED,
  ICMPV4_UNREACH_PORT,
  ICMPV4_UNREACH_PROTOCOL,
  isIcmpv4Error,
  parseIcmpv4,
  parseIcmpv4Quote,
  type Icmpv4Message,
  type Icmpv4Quote,
} from '../../icmp/icmpv4-header.js';
import { addLayer, field, hex, markMalformed, pushChecksum, type Decoding } from './fields.js';
import { ipProtocolName } from './names.js';
import type { IpInfo } from './transport.js';
import type { ChecksumStatus, DecodedField } from './types.js';

/**
 * Destination Unreachable texts by code (RFC 792, RFC 1122 §3.2.2.1,
 * RFC 1812 §5.2.7.1) in tcpdump's words; `%` stands for the quoted destination.
 * Codes 2, 3 and 4 are built separately (they show more of the quote).
 */
const UNREACH: readonly string[] = [
  'net % unreachable',
  'host % unreachable',
  '',
  '',
  '',
  '% unreachable - source route failed',
  'net % unreachable - unknown',
  'host % unreachable - unknown',
  '% unreachable - source host isolated',
  'net % unreachable - admin prohibited',
  'host % unreachable - admin prohibited',
  'net % unreachable - tos prohibited',
  'host % unreachable - tos prohibited',
  'host % unreachable - admin prohibited filter',
  'host % unreachable - host precedence violation',
  'host % unreachable - precedence cutoff',
];

/** Type names (RFC 792, RFC 950, RFC 1256), for the verbose `type` field. */
const TYPE_NAMES: readonly (string | undefined)[] = [
  'echo reply', undefined, undefined, 'destination unreachable', 'source quench', 'redirect', undefined, undefined,
  'echo request', 'router advertisement', 'router solicitation', 'time exceeded', 'parameter problem',
  'timestamp', 'timestamp reply', 'information request', 'information reply', 'address mask request',
  'address mask reply',
];

/** The quoted datagram in one line: `192.0.2.1.40000 > 192.0.2.2.7777 UDP (17), length 40`. */
function quoteText(q: Icmpv4Quote): string {
  const ports = q.protocol === 6 || q.protocol === 17;
  const sp = ports ? `.${readU16(q.transport, 0)}` : '';
  const dp = ports ? `.${readU16(q.transport, 2)}` : '';
  const name = ipProtocolName(q.protocol) ?? 'proto';
  return `${formatIPv4(q.src)}${sp} > ${formatIPv4(q.dst)}${dp} ${name} (${q.protocol}), length ${q.totalLength}`;
}

function unreachText(m: Icmpv4Message, q: Icmpv4Quote): string {
  const dst = formatIPv4(q.dst);
  switch (m.code) {
    case ICMPV4_UNREACH_PROTOCOL:
      return `${dst} protocol ${q.protocol} unreachable`;
    case ICMPV4_UNREACH_PORT: {
      // The quote holds at least 8 bytes of transport header (parseIcmpv4Quote checks).
      const port = readU16(q.transport, 2);
      if (q.protocol === 6) return `${dst} tcp port ${port} unreachable`;
      if (q.protocol === 17) return `${dst} udp port ${port} unreachable`;
      return `${dst} protocol ${q.protocol} port ${port} unreachable`;
    }
    case ICMPV4_UNREACH_FRAG_NEEDED:
      // RFC 1191 §4: routers that predate it leave the MTU field zero.
      return m.mtu !== 0 ? `${dst} unreachable - need to frag (mtu ${m.mtu})` : `${dst} unreachable - need to frag`;
    default: {
      const t = UNREACH[m.code];
      return t !== undefined ? t.replace('%', dst) : `${dst} unreachable - #${m.code}`;
    }
  }
}

/** Redirect codes 0-3 (RFC 792): for the network or the host, by type of service or not. */
const REDIRECT_TO: readonly string[] = ['to net', 'to host', 'to net', 'to host'];

function redirectText(m: Icmpv4Message, q: Icmpv4Quote): string {
  const to = REDIRECT_TO[m.code];
  const kind = m.code === 2 || m.code === 3 ? 'redirect-tos' : m.code <= 1 ? 'redirect' : `redirect-#${m.code}`;
  return `${kind} ${formatIPv4(q.dst)} ${to ?? 'to'} ${formatIPv4(m.gateway)}`;
}

/** Milliseconds since midnight UT (RFC 792 timestamps) as HH:MM:SS.mmm. */
function msText(ms: number): string {
  const p = (n: number, w: number): string => String(n).padStart(w, '0');
  const t = ms % 86_400_000;
  return `${p(Math.floor(t / 3_600_000), 2)}:${p(Math.floor(t / 60_000) % 60, 2)}:${p(Math.floor(t / 1000) % 60, 2)}.${p(t % 1000, 3)}`;
}

/** tcpdump's text for a message that needs no quote; undefined for the error types. */
function plainText(m: Icmpv4Message): string | undefined {
  switch (m.type) {
    case ICMPV4_ECHO_REQUEST:
      return `echo request, id ${m.identifier}, seq ${m.sequence}`;
    case ICMPV4_ECHO_REPLY:
      return `echo reply, id ${m.identifier}, seq ${m.sequence}`;
    case ICMPV4_TIME_EXCEEDED:
      if (m.code === 0) return 'time exceeded in-transit';
      if (m.code === 1) return 'ip reassembly time exceeded';
      return `time exceeded-#${m.code}`;
    case ICMPV4_PARAM_PROBLEM:
      return m.code === 0 ? `parameter problem - octet ${m.pointer}` : `parameter problem - code ${m.code}`;
    case ICMPV4_SOURCE_QUENCH:
      return 'source quench';
    case ICMPV4_TIMESTAMP:
      return `time stamp query id ${m.identifier} seq ${m.sequence}`;
    case ICMPV4_TIMESTAMP_REPLY: {
      const b = m.body;
      const s = `time stamp reply id ${m.identifier} seq ${m.sequence}`;
      if (b.length < 12) return s;
      return `${s}: org ${msText(readU32(b, 0))}, recv ${msText(readU32(b, 4))}, xmit ${msText(readU32(b, 8))}`;
    }
    case ICMPV4_INFO_REQUEST:
      return 'information request';
    case ICMPV4_INFO_REPLY:
      return 'information reply';
    case ICMPV4_ADDRESS_MASK_REQUEST:
      return 'address mask request';
    case ICMPV4_ADDRESS_MASK_REPLY:
      return m.body.length >= 4 ? `address mask is ${hex(readU32(m.body, 0), 8)}` : 'address mask reply';
    case ICMPV4_ROUTER_ADVERT:
      return 'router advertisement';
    case ICMPV4_ROUTER_SOLICIT:
      return 'router solicitation';
    case ICMPV4_DEST_UNREACH:
    case ICMPV4_REDIRECT:
      return undefined;
    default:
      return `type-#${m.type}`;
  }
}

/** Decodes an ICMPv4 message (RFC 792): `b` is the whole IP payload. */
export function decodeIcmpv4(d: Decoding, b: Uint8Array, offset: number, ip: IpInfo): void {
  const r = parseIcmpv4(b, false);
  if (!r.ok) {
    markMalformed(d, 'icmp', r.reason);
    return;
  }
  const m = r.value;
  const fields: DecodedField[] = [
    field('type', m.type, `${TYPE_NAMES[m.type] ?? 'unknown'} (${m.type})`),
    field('code', m.code),
  ];
  let status: ChecksumStatus;
  let expected = m.checksum;
  if (ip.firstFragment) status = 'unverified';
  else if (internetChecksum(b) === 0) status = 'correct';
  else {
    status = 'bad';
    expected = finishChecksum(sumBytes(b, 4, b.length, sumBytes(b, 0, 2)));
  }
  pushChecksum(fields, m.checksum, status, expected);

  let text = plainText(m);
  if (m.type === ICMPV4_ECHO_REQUEST || m.type === ICMPV4_ECHO_REPLY || m.type === ICMPV4_TIMESTAMP ||
    m.type === ICMPV4_TIMESTAMP_REPLY) {
    fields.push(field('id', m.identifier), field('seq', m.sequence));
  }
  if (m.type === ICMPV4_DEST_UNREACH && m.code === ICMPV4_UNREACH_FRAG_NEEDED) fields.push(field('mtu', m.mtu));
  if (m.type === ICMPV4_PARAM_PROBLEM) fields.push(field('pointer', m.pointer));
  if (m.type === ICMPV4_REDIRECT) fields.push(field('gateway', formatIPv4(m.gateway)));
  if (isIcmpv4Error(m.type)) {
    const q = parseIcmpv4Quote(m.body);
    if (q.ok) {
      fields.push(
        field('quote', quoteText(q.value)),
        field('quote-src', formatIPv4(q.value.src)),
        field('quote-dst', formatIPv4(q.value.dst)),
        field('quote-protocol', q.value.protocol, `${ipProtocolName(q.value.protocol) ?? 'unknown'} (${q.value.protocol})`),
      );
      if (m.type === ICMPV4_DEST_UNREACH) text = unreachText(m, q.value);
      else if (m.type === ICMPV4_REDIRECT) text = redirectText(m, q.value);
    } else {
      fields.push(field('quote-error', q.reason));
      if (text === undefined) text = `${m.type === ICMPV4_REDIRECT ? 'redirect' : 'unreachable'} code ${m.code} [${q.reason}]`;
    }
  }
  fields.push(field('body-length', m.body.length));
  addLayer(d, 'icmp', offset, fields, `ICMP ${text ?? `type-#${m.type}`}, length ${b.length}`);
}
