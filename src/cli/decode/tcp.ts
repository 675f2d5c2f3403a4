import { toHex } from '../../core/bytes.js';
import { finishChecksum, pseudoSum, sumBytes } from '../../ip/checksum.js';
import { ACK, AE, CWR, ECE, FIN, IPPROTO_TCP, PSH, RST, SYN, URG, parseTcp, tcpChecksumValid } from '../../tcp/header.js';
import {
  decodeTcpOptionList,
  OPT_MSS,
  OPT_SACK,
  OPT_SACK_PERMITTED,
  OPT_TIMESTAMP,
  OPT_WSCALE,
  type TcpOption,
} from '../../tcp/options.js';
import { addLayer, field, hex, markMalformed, pushChecksum, type Decoding } from './fields.js';
import type { IpInfo } from './transport.js';
import type { ChecksumStatus, DecodedField } from './types.js';

/** tcpdump's flag letters, in its order (bit order, FIN first); ACK is `.`. AE has no letter there. */
const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [FIN, 'F'],
  [SYN, 'S'],
  [RST, 'R'],
  [PSH, 'P'],
  [ACK, '.'],
  [URG, 'U'],
  [ECE, 'E'],
  [CWR, 'W'],
];

/** `S.`, `P.`, `none`: the inside of tcpdump's `Flags [...]`. */
export function tcpdumpFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if ((flags & bit) !== 0) s += letter;
  return s === '' ? 'none' : s;
}

/** tcpdump's names for option kinds (IANA "TCP Option Kind Numbers"). */
function optionKindName(kind: number): string | undefined {
  switch (kind) {
    case OPT_MSS:
      return 'mss';
    case OPT_WSCALE:
      return 'wscale';
    case OPT_SACK_PERMITTED:
      return 'sackOK';
    case OPT_SACK:
      return 'sack';
    case 6:
      return 'echo';
    case 7:
      return 'echoreply';
    case OPT_TIMESTAMP:
      return 'TS';
    case 11:
      return 'cc';
    case 12:
      return 'ccnew';
    case 13:
      return 'ccecho';
    case 19:
      return 'md5';
    case 28:
      return 'uto';
    case 29:
      return 'tcp-ao';
    case 30:
      return 'mptcp';
    case 34:
      return 'tfo';
    case 253:
    case 254:
      return 'exp';
    default:
      return undefined;
  }
}

/** One option as tcpdump prints it inside `options [...]`. */
export function tcpOptionText(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOK':
      return 'sackOK';
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'sack': {
      let s = `sack ${o.blocks.length} `;
      for (const [start, end] of o.blocks) s += `{${start}:${end}}`;
      return s;
    }
    case 'raw': {
      const name = optionKindName(o.type);
      const data = o.data.length > 0 ? ` 0x${toHex(o.data)}` : '';
      if (name === undefined) return `unknown-${o.type}${data}`;
      // A kind the codec knows but with the wrong length: show the length, as tcpdump's "[len N]".
      const known = o.type === OPT_MSS || o.type === OPT_WSCALE || o.type === OPT_SACK_PERMITTED ||
        o.type === OPT_SACK || o.type === OPT_TIMESTAMP;
      return known ? `${name}${data}[len ${o.data.length + 2}]` : `${name}${data}`;
    }
  }
}

/** Decodes a TCP segment (RFC 9293 §3.1): `b` is the whole segment, as the IP layer delimits it. */
export function decodeTcp(d: Decoding, b: Uint8Array, offset: number, ip: IpInfo): void {
  const r = parseTcp(b);
  if (!r.ok) {
    markMalformed(d, 'tcp', r.reason);
    return;
  }
  const s = r.value;
  const hl = s.dataOffset * 4;
  const len = s.payload.length;
  const flagText = tcpdumpFlags(s.flags);
  const fields: DecodedField[] = [
    field('srcport', s.srcPort),
    field('dstport', s.dstPort),
    field('seq', s.seq),
    field('ack', s.ack),
    field('data-offset', s.dataOffset, `${s.dataOffset} (${hl} bytes)`),
    field('flags', s.flags, `${hex(s.flags, 3)} [${flagText}]`),
    field('reserved', s.reserved),
    field('ae', (s.flags & AE) !== 0),
    field('window', s.window),
  ];
  let status: ChecksumStatus;
  let expected = s.checksum;
  if (ip.firstFragment) {
    status = 'unverified';
  } else if (tcpChecksumValid(b, ip.src, ip.dst)) {
    status = 'correct';
  } else {
    status = 'bad';
    // RFC 9293 §3.1: pseudo-header + segment, with the checksum field (bytes 16-17) taken as zero.
    const pseudo = pseudoSum(ip.src, ip.dst, IPPROTO_TCP, b.length);
    expected = finishChecksum(sumBytes(b, 18, b.length, sumBytes(b, 0, 16, pseudo)));
  }
  pushChecksum(fields, s.checksum, status, expected);
  fields.push(field('urgent', s.urgent));

  let optionsText = '';
  if (s.options.length > 0) {
    const list = decodeTcpOptionList(s.options);
    if (list.ok) {
      const texts: string[] = [];
      for (const o of list.value) {
        const t = tcpOptionText(o);
        texts.push(t);
        fields.push(field('option', o.kind, t));
      }
      optionsText = texts.join(',');
    } else {
      fields.push(field('options-error', list.reason));
      optionsText = 'bad opt';
    }
  }
  fields.push(field('payload-length', len));

  // tcpdump -S: the sequence range when the segment occupies sequence space.
  let summary = `Flags [${flagText}]`;
  if (len > 0) summary += `, seq ${s.seq}:${(s.seq + len) >>> 0}`;
  else if ((s.flags & (SYN | FIN | RST)) !== 0) summary += `, seq ${s.seq}`;
  if ((s.flags & ACK) !== 0) summary += `, ack ${s.ack}`;
  summary += `, win ${s.window}`;
  if ((s.flags & URG) !== 0) summary += `, urg ${s.urgent}`;
  if (s.options.length > 0) summary += `, options [${optionsText}]`;
  summary += `, length ${len}`;
  addLayer(d, 'tcp', offset, fields, summary, String(s.srcPort), String(s.dstPort));
}
