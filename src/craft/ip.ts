import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../link/ethernet.js';
import { buildIpv4, type Ipv4Spec } from '../ip/ipv4-header.js';
import { IPOPT_EOL, IPOPT_NOP } from '../ip/ipv4-options.js';
import { buildIpv6, type Ipv6Spec } from '../ip/ipv6-header.js';
import {
  applyChecksum,
  codecChecksum,
  encodeInner,
  v4,
  v6,
  type ChecksumInput,
  type Inner,
  type Ipv4Input,
  type Ipv6Input,
  type Layer,
} from './layer.js';

/** IPv4 header checksum offset (RFC 791 §3.1). */
const IPV4_F_CHECKSUM = 10;

/**
 * One IPv4 option to craft (RFC 791 §3.1): types 0 (EOL) and 1 (NOP) are a
 * single octet; others are type, length, data, where `length` may lie.
 */
export interface Ipv4OptionCraft {
  type: number;
  data?: Uint8Array;
  /** The length octet to write (default 2 + data length). */
  length?: number;
}

/** Encodes option crafts in order (no padding: the IPv4 builder pads with EOL). */
export function encodeIpv4Options(list: readonly Ipv4OptionCraft[]): Uint8Array {
  let n = 0;
  for (const o of list) n += o.type === IPOPT_EOL || o.type === IPOPT_NOP ? 1 : 2 + (o.data?.length ?? 0);
  const b = new Uint8Array(n);
  let i = 0;
  for (const o of list) {
    b[i++] = o.type & 0xff;
    if (o.type === IPOPT_EOL || o.type === IPOPT_NOP) continue;
    const data = o.data ?? new Uint8Array(0);
    b[i++] = (o.length ?? 2 + data.length) & 0xff;
    b.set(data, i);
    i += data.length;
  }
  return b;
}

/** Fields of an IPv4 header to craft: the codec's spec, with the protocol derived and the checksum spoilable. */
export type Ipv4Craft = Omit<Ipv4Spec, 'src' | 'dst' | 'protocol' | 'options' | 'checksum'> & {
  src: Ipv4Input;
  dst: Ipv4Input;
  /** Default: what the inner layer announces. */
  protocol?: number;
  /** Raw option bytes, or a list of options (lengths may lie). */
  options?: Uint8Array | readonly Ipv4OptionCraft[];
  checksum?: ChecksumInput;
};

function innerProtocol(inner: Inner | undefined, who: string): number {
  const p = inner === undefined || inner instanceof Uint8Array ? undefined : inner.protocol;
  if (p === undefined) throw new RangeError(`craft ${who}: give a protocol for a raw or empty payload`);
  return p;
}

/** An IPv4 datagram around `inner` (RFC 791). */
export function ipv4(spec: Ipv4Craft, inner?: Inner): Layer {
  return {
    kind: 'ipv4',
    protocol: 4,
    ethertype: ETHERTYPE_IPV4,
    encode: () => {
      const src = v4(spec.src);
      const dst = v4(spec.dst);
      const protocol = spec.protocol ?? innerProtocol(inner, 'ipv4');
      const { options, checksum, ...rest } = spec;
      const codec: Ipv4Spec = { ...rest, src, dst, protocol };
      if (options !== undefined) codec.options = options instanceof Uint8Array ? options : encodeIpv4Options(options);
      const cs = codecChecksum(checksum);
      if (cs !== undefined) codec.checksum = cs;
      const b = buildIpv4(codec, encodeInner(inner, { src, dst }));
      if (checksum === 'bad') applyChecksum(b, IPV4_F_CHECKSUM, 'bad');
      return b;
    },
  };
}

/** Fields of an IPv6 packet to craft: the codec's spec, with the upper-layer protocol derived. */
export type Ipv6Craft = Omit<Ipv6Spec, 'src' | 'dst' | 'protocol'> & {
  src: Ipv6Input;
  dst: Ipv6Input;
  /** The upper-layer protocol after the extension headers (default: what the inner layer announces). */
  protocol?: number;
};

/** An IPv6 packet (RFC 8200) with optional extension headers around `inner`. */
export function ipv6(spec: Ipv6Craft, inner?: Inner): Layer {
  return {
    kind: 'ipv6',
    protocol: 41,
    ethertype: ETHERTYPE_IPV6,
    encode: () => {
      const src = v6(spec.src);
      const dst = v6(spec.dst);
      const protocol = spec.protocol ?? innerProtocol(inner, 'ipv6');
      return buildIpv6({ ...spec, src, dst, protocol }, encodeInner(inner, { src, dst }));
    },
  };
}
