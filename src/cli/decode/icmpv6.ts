import { formatIPv6, type IPv6Address } from '../../core/address.js';
import { readU16, toHex } from '../../core/bytes.js';
import { finishChecksum, pseudoSumV6, sumBytes } from '../../ip/checksum.js';
import {
  icmpv6Checksum,
  IPPROTO_ICMPV6,
  MLD_QUERY_QRV_MASK,
  MLD_QUERY_S_FLAG,
  mldQqicSeconds,
  NA_FLAG_OVERRIDE,
  NA_FLAG_ROUTER,
  NA_FLAG_SOLICITED,
  parseIcmpv6,
  PREFIX_FLAG_AUTONOMOUS,
  PREFIX_FLAG_ON_LINK,
  RA_FLAG_MANAGED,
  RA_FLAG_OTHER,
  type Icmpv6Fields,
  type NdpOption,
} from '../../icmp/icmpv6-header.js';
import { formatMac } from '../../link/ethernet.js';
import { addLayer, field, hexField, markMalformed, pushChecksum, type Decoding } from './fields.js';
import { ipProtocolName } from './names.js';
import type { ChecksumStatus, DecodedField } from './types.js';

/** MLDv2 record type names as tcpdump abbreviates them (RFC 3810 §5.2.12). */
const RECORD_TYPES: readonly string[] = ['type-0', 'is_in', 'is_ex', 'to_in', 'to_ex', 'allow', 'block'];

/** Type names for the verbose `type` field and for messages the decoder does not take apart. */
function typeName(type: number): string | undefined {
  switch (type) {
    case 1:
      return 'destination unreachable';
    case 2:
      return 'packet too big';
    case 3:
      return 'time exceeded';
    case 4:
      return 'parameter problem';
    case 128:
      return 'echo request';
    case 129:
      return 'echo reply';
    case 130:
      return 'multicast listener query';
    case 131:
      return 'multicast listener report';
    case 132:
      return 'multicast listener done';
    case 133:
      return 'router solicitation';
    case 134:
      return 'router advertisement';
    case 135:
      return 'neighbor solicitation';
    case 136:
      return 'neighbor advertisement';
    case 137:
      return 'redirect';
    case 138:
      return 'router renumbering';
    case 141:
      return 'inverse neighbor solicitation';
    case 142:
      return 'inverse neighbor advertisement';
    case 143:
      return 'multicast listener report v2';
    default:
      return undefined;
  }
}

/** What an error message's invoking packet (RFC 4443 §2.4) says, read as far as it goes. */
interface Invoking {
  readonly src: string;
  readonly dst: string;
  readonly nextHeader: number;
  /** Transport ports when the next header is TCP or UDP and they were quoted, else -1. */
  readonly srcPort: number;
  readonly dstPort: number;
}

/** Reads the fixed header of the invoking packet; null when under 40 bytes or not IPv6. */
function readInvoking(b: Uint8Array): Invoking | null {
  if (b.length < 40 || b[0]! >>> 4 !== 6) return null;
  const nh = b[6]!;
  const ports = (nh === 6 || nh === 17) && b.length >= 44;
  return {
    src: formatIPv6(b, 8),
    dst: formatIPv6(b, 24),
    nextHeader: nh,
    srcPort: ports ? readU16(b, 40) : -1,
    dstPort: ports ? readU16(b, 42) : -1,
  };
}

function invokingText(q: Invoking): string {
  const sp = q.srcPort >= 0 ? `.${q.srcPort}` : '';
  const dp = q.dstPort >= 0 ? `.${q.dstPort}` : '';
  return `${q.src}${sp} > ${q.dst}${dp} ${ipProtocolName(q.nextHeader) ?? 'proto'} (${q.nextHeader})`;
}

function unreachText(code: number, q: Invoking): string {
  switch (code) {
    case 0:
      return `unreachable route ${q.dst}`;
    case 1:
      return `unreachable prohibited ${q.dst}`;
    case 2:
      return `beyond scope ${q.dst}, source address ${q.src}`;
    case 3:
      return `unreachable address ${q.dst}`;
    case 4:
      if (q.dstPort >= 0) return `unreachable port, ${q.dst} ${q.nextHeader === 6 ? 'tcp' : 'udp'} port ${q.dstPort}`;
      return `unreachable port, ${q.dst}`;
    default:
      return `unknown unreach code (${code})`;
  }
}

const PARAM_PROBLEMS: readonly string[] = ['erroneous', 'next header', 'option', 'incomplete header chain'];

function lifetimeText(s: number): string {
  return s === 0xffffffff ? 'infinity' : `${s}s`;
}

/** One Neighbor Discovery option (RFC 4861 §4.6) in a line. */
function ndpOptionText(o: NdpOption): string {
  const addr = (a: Uint8Array): string => (a.length === 6 ? formatMac(a) : `0x${toHex(a)}`);
  switch (o.kind) {
    case 'source-lla':
      return `source link-address ${addr(o.address)}`;
    case 'target-lla':
      return `target link-address ${addr(o.address)}`;
    case 'prefix-info': {
      const flags: string[] = [];
      if ((o.flags & PREFIX_FLAG_ON_LINK) !== 0) flags.push('onlink');
      if ((o.flags & PREFIX_FLAG_AUTONOMOUS) !== 0) flags.push('auto');
      return `prefix ${formatIPv6(o.prefix)}/${o.prefixLength}, flags [${flags.join(', ') || 'none'}], ` +
        `valid ${lifetimeText(o.validLifetime)}, preferred ${lifetimeText(o.preferredLifetime)}`;
    }
    case 'redirected-header':
      return `redirected header, ${o.packet.length} bytes`;
    case 'mtu':
      return `mtu ${o.mtu}`;
    case 'unknown':
      return `option ${o.type}, length ${o.data.length + 2}`;
  }
}

function pushOptions(fields: DecodedField[], options: readonly NdpOption[]): void {
  for (const o of options) fields.push(field('option', o.kind, ndpOptionText(o)));
}

/** Fields and tcpdump text of the message body. */
function describe(type: number, code: number, f: Icmpv6Fields, fields: DecodedField[]): string {
  switch (f.kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
    case 'packet-too-big':
    case 'param-problem': {
      const q = readInvoking(f.invoking);
      if (q !== null) {
        fields.push(field('quote', invokingText(q)), field('quote-src', q.src), field('quote-dst', q.dst));
      } else {
        fields.push(field('quote-error', 'icmp6-quote-truncated'));
      }
      if (f.kind === 'packet-too-big') {
        fields.push(field('mtu', f.mtu));
        return `packet too big, mtu ${f.mtu}`;
      }
      if (f.kind === 'param-problem') {
        fields.push(field('pointer', f.pointer));
        const what = PARAM_PROBLEMS[code];
        return what !== undefined ? `parameter problem, ${what} - octet ${f.pointer}` : `parameter problem, code-#${code}`;
      }
      if (f.kind === 'time-exceeded') {
        if (code === 0) return q !== null ? `time exceeded in-transit for ${q.dst}` : 'time exceeded in-transit';
        if (code === 1) return 'time exceeded in-transit (reassembly)';
        return `time exceeded in-transit, unknown code (${code})`;
      }
      if (q === null) return `destination unreachable, code ${code} [icmp6-quote-truncated]`;
      return `destination unreachable, ${unreachText(code, q)}`;
    }
    case 'echo-request':
    case 'echo-reply':
      fields.push(field('id', f.identifier), field('seq', f.sequence), field('data-length', f.data.length));
      return `${f.kind === 'echo-request' ? 'echo request' : 'echo reply'}, id ${f.identifier}, seq ${f.sequence}`;
    case 'router-solicitation':
      pushOptions(fields, f.options);
      return 'router solicitation';
    case 'router-advertisement': {
      const flags: string[] = [];
      if ((f.flags & RA_FLAG_MANAGED) !== 0) flags.push('managed');
      if ((f.flags & RA_FLAG_OTHER) !== 0) flags.push('other stateful');
      fields.push(
        field('cur-hop-limit', f.curHopLimit),
        hexField('flags', f.flags, 2),
        field('flags-text', flags.join(', ') || 'none'),
        field('router-lifetime', f.routerLifetime),
        field('reachable-time', f.reachableTime),
        field('retrans-timer', f.retransTimer),
      );
      pushOptions(fields, f.options);
      return 'router advertisement';
    }
    case 'neighbor-solicitation': {
      const target = formatIPv6(f.target);
      fields.push(field('target', target));
      pushOptions(fields, f.options);
      return `neighbor solicitation, who has ${target}`;
    }
    case 'neighbor-advertisement': {
      const target = formatIPv6(f.target);
      const flags: string[] = [];
      if ((f.flags & NA_FLAG_ROUTER) !== 0) flags.push('router');
      if ((f.flags & NA_FLAG_SOLICITED) !== 0) flags.push('solicited');
      if ((f.flags & NA_FLAG_OVERRIDE) !== 0) flags.push('override');
      fields.push(hexField('flags', f.flags, 8), field('flags-text', flags.join(', ') || 'none'), field('target', target));
      pushOptions(fields, f.options);
      return `neighbor advertisement, tgt is ${target}`;
    }
    case 'redirect': {
      const target = formatIPv6(f.target);
      const destination = formatIPv6(f.destination);
      fields.push(field('target', target), field('destination', destination));
      pushOptions(fields, f.options);
      return `redirect, ${destination} to ${target}`;
    }
    case 'mld-query': {
      const group = formatIPv6(f.multicastAddress);
      fields.push(field('version', f.version), field('max-response-code', f.maxResponseCode), field('group', group));
      if (f.version === 1) return `multicast listener query max resp delay: ${f.maxResponseCode} addr: ${group}`;
      const flags = f.flags ?? 0;
      fields.push(
        field('s-flag', (flags & MLD_QUERY_S_FLAG) !== 0),
        field('qrv', flags & MLD_QUERY_QRV_MASK),
        field('qqic', f.qqic ?? 0, `${f.qqic ?? 0} (${mldQqicSeconds(f.qqic ?? 0)}s)`),
        field('source-count', f.sources.length),
      );
      for (const s of f.sources) fields.push(field('source', formatIPv6(s)));
      const n = f.sources.length;
      return `multicast listener query v2 [gaddr ${group}${n > 0 ? `, ${n} source(s)` : ''}]`;
    }
    case 'mld-report':
    case 'mld-done': {
      const group = formatIPv6(f.multicastAddress);
      fields.push(field('max-response-delay', f.maxResponseDelay), field('group', group));
      const what = f.kind === 'mld-report' ? 'report' : 'done';
      return `multicast listener ${what} max resp delay: ${f.maxResponseDelay} addr: ${group}`;
    }
    case 'mld-v2-report': {
      fields.push(field('record-count', f.records.length));
      for (const r of f.records) {
        let text = `${RECORD_TYPES[r.recordType] ?? `type-${r.recordType}`} ${formatIPv6(r.multicastAddress)}, ` +
          `${r.sources.length} source(s)`;
        for (const s of r.sources) text += ` ${formatIPv6(s)}`;
        fields.push(field('record', r.recordType, text));
      }
      return `multicast listener report v2, ${f.records.length} group record(s)`;
    }
    case 'unknown':
      fields.push(field('body-length', f.body.length));
      return typeName(type) ?? `unknown icmp6 type (${type})`;
  }
}

/**
 * Decodes an ICMPv6 message (RFC 4443, RFC 4861, RFC 2710/3810): `b` is the
 * upper-layer bytes; `src`/`dst` give the pseudo-header (RFC 8200 §8.1).
 */
export function decodeIcmpv6(
  d: Decoding,
  b: Uint8Array,
  offset: number,
  src: IPv6Address,
  dst: IPv6Address,
  firstFragment: boolean,
): void {
  // The checksum is checked here (not by the parser) so that a bad one is a field.
  const r = parseIcmpv6(b);
  if (!r.ok) {
    markMalformed(d, 'icmp6', r.reason);
    return;
  }
  const m = r.value;
  const fields: DecodedField[] = [
    field('type', m.type, `${typeName(m.type) ?? 'unknown'} (${m.type})`),
    field('code', m.code),
  ];
  let status: ChecksumStatus;
  let expected = m.checksum;
  if (firstFragment) status = 'unverified';
  else if (icmpv6Checksum(b, src, dst) === 0) status = 'correct';
  else {
    status = 'bad';
    const pseudo = pseudoSumV6(src, dst, IPPROTO_ICMPV6, b.length);
    expected = finishChecksum(sumBytes(b, 4, b.length, sumBytes(b, 0, 2, pseudo)));
  }
  pushChecksum(fields, m.checksum, status, expected);
  const text = describe(m.type, m.code, m.fields, fields);
  addLayer(d, 'icmp6', offset, fields, `ICMP6, ${text}, length ${b.length}`);
}
