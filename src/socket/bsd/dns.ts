import { readU16, readU32, writeU16, writeU32 } from '../../core/bytes.js';
import { fail, ok, type ParseResult } from '../../core/result.js';

/**
 * DNS messages (RFC 1035 §4.1), as much as a stub resolver needs: the
 * header, questions, and resource records with A (RFC 1035 §3.4.1), AAAA
 * (RFC 3596 §2.2) and CNAME (RFC 1035 §3.3.1) data decoded. Names may be
 * compressed (§4.1.4) on input; output never compresses.
 *
 * Header (§4.1.1):
 *
 *                                     1  1  1  1  1  1
 *       0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |                      ID                       |   offset 0
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |   offset 2
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |                    QDCOUNT                    |   offset 4
 *     |                    ANCOUNT                    |   offset 6
 *     |                    NSCOUNT                    |   offset 8
 *     |                    ARCOUNT                    |   offset 10
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * A question is QNAME, QTYPE (16 bits), QCLASS (16 bits); a resource
 * record is NAME, TYPE, CLASS, TTL (32 bits), RDLENGTH (16 bits), RDATA.
 */

export const DNS_ID_OFFSET = 0;
export const DNS_FLAGS_OFFSET = 2;
export const DNS_QDCOUNT_OFFSET = 4;
export const DNS_ANCOUNT_OFFSET = 6;
export const DNS_NSCOUNT_OFFSET = 8;
export const DNS_ARCOUNT_OFFSET = 10;
export const DNS_HEADER_LEN = 12;

/** RR types and class (RFC 1035 §3.2.2, §3.2.4; RFC 3596). */
export const DNS_TYPE_A = 1;
export const DNS_TYPE_NS = 2;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_AAAA = 28;
export const DNS_CLASS_IN = 1;

/** RCODE values (RFC 1035 §4.1.1). */
export const DNS_RCODE_NOERROR = 0;
export const DNS_RCODE_FORMERR = 1;
export const DNS_RCODE_SERVFAIL = 2;
export const DNS_RCODE_NXDOMAIN = 3;
export const DNS_RCODE_NOTIMP = 4;
export const DNS_RCODE_REFUSED = 5;

/** §2.3.4: a label is at most 63 octets, a name at most 255 octets on the wire. */
const MAX_LABEL = 63;
const MAX_NAME = 255;
/** A bound on compression pointers followed in one name (a loop guard beyond "pointers go backwards"). */
const MAX_POINTERS = 64;

/** A question (§4.1.2). Names are dotted text without the trailing dot; the root is ''. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** A resource record (§4.1.3). `rdata` is a view into the message. */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
  /** A: 4 bytes, AAAA: 16 bytes (views); null for other types or a wrong RDLENGTH. */
  readonly address: Uint8Array | null;
  /** CNAME / NS: the target name (decompressed); null for other types. */
  readonly target: string | null;
}

/** A parsed message. */
export interface DnsMessage {
  readonly id: number;
  /** Response (true) or query. */
  readonly qr: boolean;
  readonly opcode: number;
  /** Authoritative answer, truncated, recursion desired, recursion available. */
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The three Z bits (RFC 2535 later used two of them: AD, CD). */
  readonly z: number;
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** Reads a possibly compressed name at `off`; returns it and the offset after it in the record, or a failure reason. */
function readName(b: Uint8Array, off: number): { name: string; next: number } | string {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let wire = 1; // the root's zero octet
  let pointers = 0;
  for (;;) {
    if (pos >= b.length) return 'dns-truncated';
    const len = b[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= b.length) return 'dns-truncated';
      const ptr = ((len & 0x3f) << 8) | b[pos + 1]!;
      // Pointers must go backwards (to a prior occurrence, §4.1.4): no loops.
      if (ptr >= pos || ++pointers > MAX_POINTERS) return 'dns-bad-pointer';
      if (next < 0) next = pos + 2;
      pos = ptr;
      continue;
    }
    if (kind !== 0) return 'dns-bad-label';
    if (pos + 1 + len > b.length) return 'dns-truncated';
    wire += len + 1;
    if (wire > MAX_NAME) return 'dns-name-too-long';
    labels.push(String.fromCharCode(...b.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function readRecords(b: Uint8Array, off: number, count: number, out: DnsRecord[]): number | string {
  let pos = off;
  for (let i = 0; i < count; i++) {
    const n = readName(b, pos);
    if (typeof n === 'string') return n;
    pos = n.next;
    if (pos + 10 > b.length) return 'dns-truncated';
    const type = readU16(b, pos);
    const cls = readU16(b, pos + 2);
    const ttl = readU32(b, pos + 4);
    const rdlen = readU16(b, pos + 8);
    pos += 10;
    if (pos + rdlen > b.length) return 'dns-truncated';
    const rdata = b.subarray(pos, pos + rdlen);
    let address: Uint8Array | null = null;
    let target: string | null = null;
    if ((type === DNS_TYPE_A && rdlen === 4) || (type === DNS_TYPE_AAAA && rdlen === 16)) address = rdata;
    else if (type === DNS_TYPE_CNAME || type === DNS_TYPE_NS) {
      const t = readName(b, pos);
      if (typeof t === 'string') return t;
      if (t.next > pos + rdlen) return 'dns-bad-rdata';
      target = t.name;
    }
    out.push({ name: n.name, type, class: cls, ttl, rdata, address, target });
    pos += rdlen;
  }
  return pos;
}

/**
 * Parses a DNS message. Never throws: malformed input gives a reason
 * (`dns-truncated`, `dns-bad-pointer`, `dns-bad-label`, `dns-name-too-long`,
 * `dns-bad-rdata`). Bytes after the last record are ignored.
 */
export function parseDnsMessage(b: Uint8Array): ParseResult<DnsMessage> {
  if (b.length < DNS_HEADER_LEN) return fail('dns-truncated');
  const flags = readU16(b, DNS_FLAGS_OFFSET);
  const qd = readU16(b, DNS_QDCOUNT_OFFSET);
  const an = readU16(b, DNS_ANCOUNT_OFFSET);
  const ns = readU16(b, DNS_NSCOUNT_OFFSET);
  const ar = readU16(b, DNS_ARCOUNT_OFFSET);
  let pos = DNS_HEADER_LEN;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(b, pos);
    if (typeof n === 'string') return fail(n);
    pos = n.next;
    if (pos + 4 > b.length) return fail('dns-truncated');
    questions.push({ name: n.name, type: readU16(b, pos), class: readU16(b, pos + 2) });
    pos += 4;
  }
  const answers: DnsRecord[] = [];
  const authorities: DnsRecord[] = [];
  const additionals: DnsRecord[] = [];
  for (const [count, list] of [[an, answers], [ns, authorities], [ar, additionals]] as const) {
    const r = readRecords(b, pos, count, list);
    if (typeof r === 'string') return fail(r);
    pos = r;
  }
  return ok({
    id: readU16(b, DNS_ID_OFFSET),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags >>> 4) & 0x7,
    rcode: flags & 0xf,
    questions,
    answers,
    authorities,
    additionals,
  });
}

/** A record to build. */
export interface DnsRecordSpec {
  readonly name: string;
  readonly type: number;
  /** Default IN. */
  readonly class?: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
  /** RDLENGTH; default rdata.length. */
  readonly rdlength?: number;
}

/** A message to build. Counts default to the list lengths and may be overridden (malformed messages on purpose). */
export interface DnsMessageSpec {
  readonly id: number;
  readonly qr?: boolean;
  readonly opcode?: number;
  readonly aa?: boolean;
  readonly tc?: boolean;
  readonly rd?: boolean;
  readonly ra?: boolean;
  readonly z?: number;
  readonly rcode?: number;
  readonly questions?: readonly DnsQuestion[];
  readonly answers?: readonly DnsRecordSpec[];
  readonly authorities?: readonly DnsRecordSpec[];
  readonly additionals?: readonly DnsRecordSpec[];
  readonly qdcount?: number;
  readonly ancount?: number;
  readonly nscount?: number;
  readonly arcount?: number;
}

/**
 * A name in wire form (uncompressed), or null if it cannot be one: an
 * empty label, a label over 63 octets, a name over 255 octets, or a
 * character beyond one octet. A trailing dot is allowed ("example.com.").
 */
export function encodeDnsName(name: string): Uint8Array | null {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = text === '' ? [] : text.split('.');
  let size = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > MAX_LABEL) return null;
    size += l.length + 1;
  }
  if (size > MAX_NAME) return null;
  const out = new Uint8Array(size);
  let o = 0;
  for (const l of labels) {
    out[o++] = l.length;
    for (let i = 0; i < l.length; i++) {
      const c = l.charCodeAt(i);
      if (c > 0xff) return null;
      out[o++] = c;
    }
  }
  out[o] = 0;
  return out;
}

function nameOrThrow(name: string): Uint8Array {
  const n = encodeDnsName(name);
  if (n === null) throw new RangeError(`not a DNS name: ${JSON.stringify(name)}`);
  return n;
}

/** The header flags word of a spec. */
function flagsOf(s: DnsMessageSpec): number {
  return (
    (s.qr ? 0x8000 : 0) |
    ((s.opcode ?? 0) & 0xf) << 11 |
    (s.aa ? 0x0400 : 0) |
    (s.tc ? 0x0200 : 0) |
    (s.rd ? 0x0100 : 0) |
    (s.ra ? 0x0080 : 0) |
    ((s.z ?? 0) & 0x7) << 4 |
    ((s.rcode ?? 0) & 0xf)
  );
}

/** Builds a message. Throws RangeError for a name that cannot be encoded (programmer error; check with {@link encodeDnsName}). */
export function buildDnsMessage(s: DnsMessageSpec): Uint8Array {
  const qs = s.questions ?? [];
  const sections = [s.answers ?? [], s.authorities ?? [], s.additionals ?? []];
  const qnames = qs.map((q) => nameOrThrow(q.name));
  const rnames = sections.map((list) => list.map((r) => nameOrThrow(r.name)));
  let size = DNS_HEADER_LEN;
  for (const n of qnames) size += n.length + 4;
  sections.forEach((list, i) => list.forEach((r, j) => (size += rnames[i]![j]!.length + 10 + r.rdata.length)));
  const b = new Uint8Array(size);
  writeU16(b, DNS_ID_OFFSET, s.id & 0xffff);
  writeU16(b, DNS_FLAGS_OFFSET, flagsOf(s));
  writeU16(b, DNS_QDCOUNT_OFFSET, s.qdcount ?? qs.length);
  writeU16(b, DNS_ANCOUNT_OFFSET, s.ancount ?? sections[0]!.length);
  writeU16(b, DNS_NSCOUNT_OFFSET, s.nscount ?? sections[1]!.length);
  writeU16(b, DNS_ARCOUNT_OFFSET, s.arcount ?? sections[2]!.length);
  let o = DNS_HEADER_LEN;
  qs.forEach((q, i) => {
    b.set(qnames[i]!, o);
    o += qnames[i]!.length;
    writeU16(b, o, q.type);
    writeU16(b, o + 2, q.class);
    o += 4;
  });
  sections.forEach((list, i) =>
    list.forEach((r, j) => {
      const n = rnames[i]![j]!;
      b.set(n, o);
      o += n.length;
      writeU16(b, o, r.type);
      writeU16(b, o + 2, r.class ?? DNS_CLASS_IN);
      writeU32(b, o + 4, r.ttl >>> 0);
      writeU16(b, o + 8, r.rdlength ?? r.rdata.length);
      b.set(r.rdata, o + 10);
      o += 10 + r.rdata.length;
    }),
  );
  return b;
}

/** A recursive query for one name and type (RD set, as a stub resolver sends: RFC 1035 §7.1). */
export function buildDnsQuery(id: number, name: string, type: number): Uint8Array {
  return buildDnsMessage({ id, rd: true, questions: [{ name, type, class: DNS_CLASS_IN }] });
}

/** Case-insensitive name equality (RFC 4343), ignoring a trailing dot. */
export function sameDnsName(a: string, b: string): boolean {
  const x = a.endsWith('.') ? a.slice(0, -1) : a;
  const y = b.endsWith('.') ? b.slice(0, -1) : b;
  return x.length === y.length && x.toLowerCase() === y.toLowerCase();
}

/**
 * The addresses a response gives for `name` and `type`, following CNAME
 * chains inside the answer section (RFC 1034 §3.6.2, §5.3.3), and the
 * canonical name reached.
 */
export function answerAddresses(m: DnsMessage, name: string, type: number): { addresses: Uint8Array[]; canonical: string } {
  let current = name;
  const seen = new Set<string>();
  for (let hops = 0; hops < 16; hops++) {
    const cname = m.answers.find((r) => r.type === DNS_TYPE_CNAME && r.class === DNS_CLASS_IN && sameDnsName(r.name, current));
    if (cname === undefined || cname.target === null || seen.has(cname.target.toLowerCase())) break;
    seen.add(cname.target.toLowerCase());
    current = cname.target;
  }
  const addresses: Uint8Array[] = [];
  for (const r of m.answers) {
    if (r.type === type && r.class === DNS_CLASS_IN && r.address !== null && (sameDnsName(r.name, current) || sameDnsName(r.name, name))) {
      addresses.push(r.address);
    }
  }
  return { addresses, canonical: current };
}
