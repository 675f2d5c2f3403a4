import { writeU16, writeU32 } from '../core/bytes.js';
import { ipv4HeaderLength, writeIpv4HeaderAt, type Ipv4Spec } from './ipv4-header.js';
import { ipv4OptionCopied, walkIpv4Options } from './ipv4-options.js';
import {
  buildIpv6,
  extensionLength,
  IPV6_EXT_FRAGMENT,
  IPV6_F_NEXT_HEADER,
  IPV6_F_PAYLOAD_LENGTH,
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  type Ipv6ExtensionSpec,
  type Ipv6Spec,
} from './ipv6-header.js';

/**
 * Fragmentation of outbound datagrams, as pure functions: bytes in, a list
 * of packets out. Deciding *whether* to fragment (DF, PMTU, IPv6 source-only
 * fragmentation) and counting (IpFragCreates, Ip6FragOKs) is the IP layer's.
 */

/** Largest fragment data length that fits `room` bytes and is a multiple of 8 (RFC 791, RFC 8200 §4.5). */
function chunkFor(room: number): number {
  return room & ~7;
}

/**
 * The options a non-first fragment carries: only those whose copied flag is
 * set (RFC 791 §3.1 "copied flag"; §3.2 fragmentation procedure). NOP and
 * EOL have the flag clear and go too; the header writer pads with EOL.
 */
function copiedOptions(options: Uint8Array): Uint8Array | undefined {
  const walk = walkIpv4Options(options);
  let n = 0;
  for (const o of walk.options) if (ipv4OptionCopied(o.type)) n += o.length;
  if (n === 0) return undefined;
  const out = new Uint8Array(n);
  let p = 0;
  for (const o of walk.options) {
    if (!ipv4OptionCopied(o.type)) continue;
    out.set(options.subarray(o.offset, o.offset + o.length), p);
    p += o.length;
  }
  return out;
}

/**
 * Splits an IPv4 datagram (header `spec` + `payload`) into fragments of at
 * most `mtu` bytes (RFC 791 §3.2, "An Example Fragmentation Procedure").
 * Every fragment but the last carries a multiple of 8 data bytes and MF;
 * offsets count 8-byte units from `spec.fragmentOffset`, so an existing
 * fragment can be fragmented again and the last piece keeps its MF. The first
 * fragment carries all options, later ones only the copied ones.
 *
 * A datagram that already fits is returned as one unchanged packet. The
 * spec's total length, IHL and checksum overrides apply to that case only;
 * fragments get their own. Throws (programmer error) when DF is set and the
 * datagram does not fit, or when the MTU leaves no room for 8 data bytes.
 */
export function fragmentIpv4(spec: Ipv4Spec, payload: Uint8Array, mtu: number): Uint8Array[] {
  const firstHl = ipv4HeaderLength(spec);
  if (firstHl + payload.length <= mtu) {
    const b = new Uint8Array(firstHl + payload.length);
    writeIpv4HeaderAt(b, 0, spec, payload.length);
    b.set(payload, firstHl);
    return [b];
  }
  if (spec.df === true) throw new RangeError('fragmentIpv4: DF is set and the datagram exceeds the MTU');
  const laterOptions = spec.options === undefined ? undefined : copiedOptions(spec.options);
  const base: Ipv4Spec = { ...spec, ihl: undefined, totalLength: undefined, checksum: undefined };
  const later: Ipv4Spec = { ...base, options: laterOptions };
  const laterHl = ipv4HeaderLength(later);
  const firstChunk = chunkFor(mtu - firstHl);
  const laterChunk = chunkFor(mtu - laterHl);
  if (firstChunk < 8 || laterChunk < 8) throw new RangeError(`fragmentIpv4: MTU ${mtu} leaves no room for data`);
  const startOffset = spec.fragmentOffset ?? 0;
  const lastMf = spec.mf === true;
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const first = pos === 0;
    const s = first ? base : later;
    const hl = first ? firstHl : laterHl;
    const chunk = Math.min(first ? firstChunk : laterChunk, payload.length - pos);
    const last = pos + chunk === payload.length;
    const b = new Uint8Array(hl + chunk);
    writeIpv4HeaderAt(
      b,
      0,
      { ...s, fragmentOffset: startOffset + pos, mf: last ? lastMf : true },
      chunk,
    );
    b.set(payload.subarray(pos, pos + chunk), hl);
    out.push(b);
    pos += chunk;
  }
  return out;
}

/**
 * How many of `exts` form the unfragmentable part (RFC 8200 §4.5): the
 * headers up to and including the last Routing header, or a leading
 * Hop-by-Hop header when there is no Routing header. Destination Options
 * before a Routing header belong to it; those after it travel fragmented.
 */
export function unfragmentableCount(exts: readonly Ipv6ExtensionSpec[]): number {
  let n = exts.length > 0 && exts[0]!.kind === 'hbh' ? 1 : 0;
  for (let i = 0; i < exts.length; i++) if (exts[i]!.kind === 'routing') n = i + 1;
  return n;
}

/**
 * Splits an IPv6 packet (`spec` + upper-layer `payload`) into fragments of
 * at most `mtu` bytes, each with a Fragment header carrying `identification`
 * (RFC 8200 §4.5). The unfragmentable part is repeated in every fragment with
 * its Payload Length adjusted and its last Next Header set to 44; every
 * fragment but the last carries a multiple of 8 bytes of the fragmentable part.
 *
 * A packet that fits is returned as one unfragmented packet (no atomic
 * fragments, RFC 8021). Throws (programmer error) when the spec already has
 * a Fragment header, the MTU leaves no room for 8 data bytes, the
 * fragmentable extension headers do not fit in the first fragment (RFC 7112
 * wants the whole header chain there), or the packet exceeds 65535 bytes of
 * payload.
 */
export function fragmentIpv6(spec: Ipv6Spec, payload: Uint8Array, mtu: number, identification: number): Uint8Array[] {
  const exts = spec.extensions ?? [];
  for (const e of exts) if (e.kind === 'fragment') throw new RangeError('fragmentIpv6: spec already has a Fragment header');
  const nUnfrag = unfragmentableCount(exts);
  let unfragLen = IPV6_HEADER_LEN;
  for (let i = 0; i < nUnfrag; i++) unfragLen += extensionLength(exts[i]!);
  let totalExt = 0;
  for (const e of exts) totalExt += extensionLength(e);
  if (totalExt + payload.length > 0xffff) throw new RangeError('fragmentIpv6: payload longer than 65535 bytes');
  const whole = buildIpv6({ ...spec, payloadLength: undefined }, payload);
  if (whole.length <= mtu) return [whole];
  const chunkMax = chunkFor(mtu - unfragLen - IPV6_FRAGMENT_HEADER_LEN);
  if (chunkMax < 8) throw new RangeError(`fragmentIpv6: MTU ${mtu} leaves no room for data`);
  const fragExtLen = IPV6_HEADER_LEN + totalExt - unfragLen;
  if (fragExtLen > chunkMax) throw new RangeError('fragmentIpv6: header chain does not fit in the first fragment');
  // The byte that names the first fragmentable header: the fixed header's
  // Next Header, or the first byte of the last unfragmentable extension.
  const nhField = nUnfrag === 0 ? IPV6_F_NEXT_HEADER : unfragLen - extensionLength(exts[nUnfrag - 1]!);
  const fragNext = whole[nhField]!;
  const fragmentable = whole.subarray(unfragLen);
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < fragmentable.length; ) {
    const chunk = Math.min(chunkMax, fragmentable.length - pos);
    const more = pos + chunk < fragmentable.length;
    const b = new Uint8Array(unfragLen + IPV6_FRAGMENT_HEADER_LEN + chunk);
    b.set(whole.subarray(0, unfragLen));
    writeU16(b, IPV6_F_PAYLOAD_LENGTH, b.length - IPV6_HEADER_LEN);
    b[nhField] = IPV6_EXT_FRAGMENT;
    const f = unfragLen;
    b[f] = fragNext;
    b[f + 1] = 0;
    writeU16(b, f + 2, pos | (more ? 1 : 0));
    writeU32(b, f + 4, identification);
    b.set(fragmentable.subarray(pos, pos + chunk), f + IPV6_FRAGMENT_HEADER_LEN);
    out.push(b);
    pos += chunk;
  }
  return out;
}

