import { decodePacket } from '../decode/decode.js';
import { findField, type DecodedLayer, type DecodedPacket } from '../decode/types.js';
import { parseTcpOptions } from '../../tcp/options.js';

/**
 * The first step of a time-sequence graph: each captured frame reduced to
 * the numbers of its TCP header that the graph needs. Frames are decoded
 * with the packet decoder of `tsip dump` (so a graph and a dump agree on
 * what a frame holds); the options are read again with the TCP option codec
 * because the graph needs the SACK blocks and the window scale as numbers.
 */

/** One TCP segment of a capture. Plain numbers and strings: no view of the frame is kept. */
export interface TcpPacketInfo {
  /** 1-based number of the frame in its capture (as Wireshark numbers frames). */
  readonly frame: number;
  /** Capture time in µs. */
  readonly timeUs: number;
  /** Sender and receiver as `address:port` (`[v6-address]:port` for IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly seq: number;
  readonly ack: number;
  /** FIN..CWR in bits 0-7, AE in bit 8 (as the TCP codec keeps them). */
  readonly flags: number;
  /** The window field as sent (unscaled). */
  readonly window: number;
  readonly payloadLength: number;
  /** Window scale option shift as sent, or -1 when absent (RFC 7323 §2.2: only meaningful on SYNs). */
  readonly wscale: number;
  /** MSS option value, or -1. */
  readonly mss: number;
  readonly sackPermitted: boolean;
  /** SACK blocks as [start0, end0, start1, end1, …] (RFC 2018 §3), empty when none. */
  readonly sack: readonly number[];
}

/** `192.0.2.1:80`, or `[2001:db8::1]:80` so that the port cannot be read as part of an IPv6 address. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function numberField(layer: DecodedLayer, name: string): number {
  const f = findField(layer, name);
  return f !== undefined && typeof f.value === 'number' ? f.value : 0;
}

/** The TCP layer of a decoded packet and the IP layer that carries it, when the segment decoded. */
function tcpLayers(p: DecodedPacket): { ip: DecodedLayer; tcp: DecodedLayer } | null {
  let ip: DecodedLayer | undefined;
  for (const layer of p.layers) {
    if (layer.protocol === 'ipv4' || layer.protocol === 'ipv6') ip = layer;
    else if (layer.protocol === 'tcp') return ip !== undefined && ip.src !== undefined && ip.dst !== undefined ? { ip, tcp: layer } : null;
  }
  return null;
}

/**
 * The TCP numbers of one frame, or null when it holds no decodable TCP
 * segment (other protocols, later fragments, malformed or snapped headers).
 * Never throws.
 */
export function tcpPacketInfo(frame: Uint8Array, linkType: number, timeUs: number, frameNumber: number): TcpPacketInfo | null {
  const decoded = decodePacket(frame, linkType);
  const layers = tcpLayers(decoded);
  if (layers === null) return null;
  const { ip, tcp } = layers;
  const dataOffset = numberField(tcp, 'data-offset');
  let wscale = -1;
  let mss = -1;
  let sackPermitted = false;
  let sack: number[] = [];
  if (dataOffset > 5) {
    // The decoder checked that the header lies within the frame.
    const opts = parseTcpOptions(frame.subarray(tcp.offset + 20, tcp.offset + dataOffset * 4));
    if (opts.ok) {
      const o = opts.value;
      wscale = o.wscale;
      mss = o.mss;
      sackPermitted = o.sackPermitted;
      if (o.sackCount > 0) sack = o.sackBlocks.slice(0, 2 * o.sackCount);
    }
  }
  return {
    frame: frameNumber,
    timeUs,
    src: formatEndpoint(ip.src!, numberField(tcp, 'srcport')),
    dst: formatEndpoint(ip.dst!, numberField(tcp, 'dstport')),
    seq: numberField(tcp, 'seq'),
    ack: numberField(tcp, 'ack'),
    flags: numberField(tcp, 'flags'),
    window: numberField(tcp, 'window'),
    payloadLength: numberField(tcp, 'payload-length'),
    wscale,
    mss,
    sackPermitted,
    sack,
  };
}
