import type { IPv6Address } from '../core/address.js';
import {
  buildIcmpv4,
  icmpv4EchoRest,
  icmpv4QuoteLength,
  ICMPV4_ECHO_REPLY,
  ICMPV4_ECHO_REQUEST,
  type Icmpv4Spec,
} from '../icmp/icmpv4-header.js';
import { buildIcmpv6, IPPROTO_ICMPV6, type Icmpv6Fields, type Icmpv6Spec } from '../icmp/icmpv6-header.js';
import {
  applyChecksum,
  build,
  codecChecksum,
  encodeInner,
  v4,
  type ChecksumInput,
  type Inner,
  type Ipv4Input,
  type Layer,
} from './layer.js';

const ICMP_F_CHECKSUM = 2;
const IPPROTO_ICMP = 1;

/**
 * Fields of an ICMPv4 message to craft (RFC 792). The rest-of-header word
 * is `rest` if given, else made from whichever of the per-type names is
 * given: identifier/sequence (echo, timestamp), mtu (fragmentation needed,
 * RFC 1191), pointer (parameter problem), gateway (redirect).
 */
export interface IcmpCraft {
  type: number;
  /** Default 0. */
  code?: number;
  rest?: number;
  identifier?: number;
  sequence?: number;
  mtu?: number;
  pointer?: number;
  gateway?: Ipv4Input;
  checksum?: ChecksumInput;
}

function restWord(s: IcmpCraft): number {
  if (s.rest !== undefined) return s.rest >>> 0;
  if (s.gateway !== undefined) return v4(s.gateway);
  if (s.identifier !== undefined || s.sequence !== undefined) return icmpv4EchoRest(s.identifier ?? 0, s.sequence ?? 0);
  return ((((s.pointer ?? 0) & 0xff) << 24) | ((s.mtu ?? 0) & 0xffff)) >>> 0;
}

/** Any ICMPv4 message; `body` is echo data or, for errors, the quoted datagram (taken whole: see {@link icmpError}). */
export function icmp(spec: IcmpCraft, body?: Inner): Layer {
  return {
    kind: 'icmp',
    protocol: IPPROTO_ICMP,
    encode: () => {
      // A quoted datagram carries its own addresses: it is encoded on its own.
      const codec: Icmpv4Spec = { type: spec.type, code: spec.code ?? 0, rest: restWord(spec), body: encodeInner(body, {}) };
      const cs = codecChecksum(spec.checksum);
      if (cs !== undefined) codec.checksum = cs;
      const b = buildIcmpv4(codec);
      if (spec.checksum === 'bad') applyChecksum(b, ICMP_F_CHECKSUM, 'bad');
      return b;
    },
  };
}

/** Fields of an echo request or reply (RFC 792). */
export interface IcmpEchoCraft {
  identifier: number;
  sequence: number;
  reply?: boolean;
  code?: number;
  checksum?: ChecksumInput;
}

/** An echo request (or reply) carrying `data`. */
export function icmpEcho(spec: IcmpEchoCraft, data?: Inner): Layer {
  const craft: IcmpCraft = {
    type: spec.reply === true ? ICMPV4_ECHO_REPLY : ICMPV4_ECHO_REQUEST,
    identifier: spec.identifier,
    sequence: spec.sequence,
  };
  if (spec.code !== undefined) craft.code = spec.code;
  if (spec.checksum !== undefined) craft.checksum = spec.checksum;
  return icmp(craft, data);
}

/** Fields of an error about an original datagram. */
export type IcmpErrorCraft = IcmpCraft & {
  /** Most bytes of the original to quote (default 548, Linux's 576-byte rule; RFC 1812 §4.3.2.3). */
  maxQuote?: number;
};

/**
 * An error message (destination unreachable, time exceeded, parameter
 * problem, redirect, source quench) quoting the start of `original`, as a
 * router or host would (RFC 792, RFC 1122 §3.2.2).
 */
export function icmpError(spec: IcmpErrorCraft, original: Inner): Layer {
  const whole = build(original);
  const quote = whole.subarray(0, icmpv4QuoteLength(whole, spec.maxQuote));
  return icmp(spec, quote);
}

/** An ICMPv6 message to craft: the codec's spec, with a spoilable checksum. */
export type Icmp6Craft = Icmpv6Fields & {
  /** Default 0. */
  code?: number;
  checksum?: ChecksumInput;
};

const ZERO6: IPv6Address = new Uint8Array(16);

/** An ICMPv6 message (RFC 4443, RFC 4861, RFC 3810); its checksum covers the enclosing IPv6 pseudo-header. */
export function icmp6(spec: Icmp6Craft): Layer {
  return {
    kind: 'icmp6',
    protocol: IPPROTO_ICMPV6,
    encode: (env) => {
      const src = env.src instanceof Uint8Array ? env.src : ZERO6;
      const dst = env.dst instanceof Uint8Array ? env.dst : ZERO6;
      const codec: Icmpv6Spec = { ...spec, checksum: codecChecksum(spec.checksum) };
      const b = buildIcmpv6(codec, src, dst);
      if (spec.checksum === 'bad') applyChecksum(b, ICMP_F_CHECKSUM, 'bad');
      return b;
    },
  };
}
