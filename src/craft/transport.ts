import { concatBytes } from '../core/bytes.js';
import { IPPROTO_TCP, buildTcp, type TcpSpec } from '../tcp/header.js';
import { encodeTcpOptionList, type TcpOption } from '../tcp/options.js';
import { buildUdp, IPPROTO_UDP, type UdpSpec } from '../udp/header.js';
import { parseTcpFlags } from './flags.js';
import { applyChecksum, codecChecksum, encodeInner, type ChecksumInput, type Inner, type Layer } from './layer.js';

const TCP_F_CHECKSUM = 16;
const UDP_F_CHECKSUM = 6;

/**
 * One TCP option to craft: any option the codec knows (RFC 9293 §3.2, RFC
 * 7323, RFC 2018), or `lie`, whose length octet says whatever it is told
 * regardless of the data that follows (RFC 9293 §3.1 MUST-7: receivers must
 * survive an illegal option length).
 */
export type TcpOptionCraft = TcpOption | { kind: 'lie'; type: number; length: number; data?: Uint8Array };

/** Encodes option crafts in order (no padding: the TCP builder pads with EOL to a multiple of 4). */
export function encodeTcpOptions(list: readonly TcpOptionCraft[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let run: TcpOption[] = [];
  const flush = (): void => {
    if (run.length > 0) parts.push(encodeTcpOptionList(run));
    run = [];
  };
  for (const o of list) {
    if (o.kind !== 'lie') {
      run.push(o);
      continue;
    }
    flush();
    const data = o.data ?? new Uint8Array(0);
    const b = new Uint8Array(2 + data.length);
    b[0] = o.type & 0xff;
    b[1] = o.length & 0xff;
    b.set(data, 2);
    parts.push(b);
  }
  flush();
  return concatBytes(parts);
}

/** Fields of a TCP segment to craft: the codec's spec, flags also as letters, options also as a list. */
export type TcpCraft = Omit<TcpSpec, 'flags' | 'options' | 'payload' | 'checksum'> & {
  /** Flag bits, or letters as tcpdump prints them: 'S', 'SA' / 'S.', 'FPA', 'R' (E = ECE, W = CWR, U = URG). */
  flags?: number | string;
  options?: Uint8Array | readonly TcpOptionCraft[];
  checksum?: ChecksumInput;
};

/** A TCP segment (RFC 9293 §3.1) carrying `payload`; the checksum covers the enclosing IP layer's pseudo-header. */
export function tcp(spec: TcpCraft, payload?: Inner): Layer {
  return {
    kind: 'tcp',
    protocol: IPPROTO_TCP,
    encode: (env) => {
      const { flags, options, checksum, ...rest } = spec;
      const codec: TcpSpec = { ...rest, payload: encodeInner(payload, env) };
      if (flags !== undefined) codec.flags = typeof flags === 'number' ? flags : parseTcpFlags(flags);
      if (options !== undefined) codec.options = options instanceof Uint8Array ? options : encodeTcpOptions(options);
      const cs = codecChecksum(checksum);
      if (cs !== undefined) codec.checksum = cs;
      const b = buildTcp(codec, env.src, env.dst);
      if (checksum === 'bad') applyChecksum(b, TCP_F_CHECKSUM, 'bad');
      return b;
    },
  };
}

/** Fields of a UDP datagram to craft: the codec's spec with a spoilable checksum. */
export type UdpCraft = Omit<UdpSpec, 'payload' | 'checksum'> & { checksum?: ChecksumInput };

/** A UDP datagram (RFC 768) carrying `payload`; the checksum covers the enclosing IP layer's pseudo-header. */
export function udp(spec: UdpCraft, payload?: Inner): Layer {
  return {
    kind: 'udp',
    protocol: IPPROTO_UDP,
    encode: (env) => {
      const { checksum, ...rest } = spec;
      const codec: UdpSpec = { ...rest, payload: encodeInner(payload, env) };
      const cs = codecChecksum(checksum);
      if (cs !== undefined) codec.checksum = cs;
      const b = buildUdp(codec, env.src, env.dst);
      if (checksum === 'bad') applyChecksum(b, UDP_F_CHECKSUM, 'bad');
      return b;
    },
  };
}
