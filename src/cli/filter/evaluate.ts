import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../../core/address.js';
import { findField, type DecodedLayer, type DecodedPacket, type LayerProtocol } from '../decode/types.js';
import type { ArithExpr, Direction, FilterExpr, ProtoName } from './ast.js';

/**
 * Evaluating a filter over a decoded packet (see src/cli/decode): the
 * expression is compiled once into closures, with address texts and masks
 * worked out up front, then run per packet. Total: any packet, decoded from
 * any bytes, gives true or false.
 *
 * Semantics follow tcpdump where they can: a protocol matches when its layer
 * decoded, when decoding failed inside it (a truncated TCP header is still
 * `tcp`), or when a later IP fragment carries it; a relation that reads
 * bytes outside the packet, or a layer the packet lacks, or divides by zero,
 * is false (BPF rejects the packet there), and `not` of it is true.
 */

/** A compiled filter. `frame` (the decoded bytes) is needed by `proto[offset]` loads other than tcp[13]. */
export type PacketPredicate = (packet: DecodedPacket, frame?: Uint8Array) => boolean;
type Arith = (packet: DecodedPacket, frame: Uint8Array | undefined) => number | undefined;

const IPPROTO: Readonly<Record<'tcp' | 'udp' | 'icmp' | 'icmp6', number>> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58 };

/** The decoder layer that `proto[...]` indexes. */
const LAYER_OF: Readonly<Record<ProtoName, LayerProtocol>> = {
  ether: 'eth',
  ip: 'ipv4',
  ip6: 'ipv6',
  arp: 'arp',
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  icmp6: 'icmp6',
};

function layerOf(p: DecodedPacket, protocol: LayerProtocol): DecodedLayer | undefined {
  for (const l of p.layers) if (l.protocol === protocol) return l;
  return undefined;
}

/** The protocol number carried by a later IP fragment (no transport header of its own), or -1. */
function laterFragmentProtocol(p: DecodedPacket): number {
  for (const l of p.layers) {
    if (l.protocol === 'fragment') {
      const v = findField(l, 'protocol')?.value;
      return typeof v === 'number' ? v : -1;
    }
    if (l.protocol === 'ipv6-frag' && findField(l, 'offset')?.value !== 0) {
      const v = findField(l, 'next-header')?.value;
      return typeof v === 'number' ? v : -1;
    }
  }
  return -1;
}

/** True when packet `p` is of protocol `proto` (pcap-filter's `tcp`, `ip6`, …). */
export function hasProtocol(p: DecodedPacket, proto: ProtoName): boolean {
  const layer = LAYER_OF[proto];
  if (layerOf(p, layer) !== undefined || p.malformed?.layer === layer) return true;
  if (proto === 'tcp' || proto === 'udp' || proto === 'icmp' || proto === 'icmp6') return laterFragmentProtocol(p) === IPPROTO[proto];
  return false;
}

function endsMatch(l: DecodedLayer, dir: Direction, test: (text: string) => boolean): boolean {
  if (dir !== 'dst' && l.src !== undefined && test(l.src)) return true;
  return dir !== 'src' && l.dst !== undefined && test(l.dst);
}

/** True when some layer among `protocols` has a matching end. */
function anyLayer(p: DecodedPacket, protocols: readonly LayerProtocol[], dir: Direction, test: (text: string) => boolean): boolean {
  for (const l of p.layers) if (protocols.includes(l.protocol) && endsMatch(l, dir, test)) return true;
  return false;
}

function numberField(l: DecodedLayer, name: string): number | undefined {
  const v = findField(l, name)?.value;
  return typeof v === 'number' ? v : undefined;
}

/** Compiles a parsed filter into a predicate over decoded packets. */
export function compileFilter(e: FilterExpr): PacketPredicate {
  switch (e.kind) {
    case 'all':
      return () => true;
    case 'and': {
      const l = compileFilter(e.left);
      const r = compileFilter(e.right);
      return (p, f) => l(p, f) && r(p, f);
    }
    case 'or': {
      const l = compileFilter(e.left);
      const r = compileFilter(e.right);
      return (p, f) => l(p, f) || r(p, f);
    }
    case 'not': {
      const o = compileFilter(e.operand);
      return (p, f) => !o(p, f);
    }
    case 'proto': {
      const proto = e.proto;
      return (p) => hasProtocol(p, proto);
    }
    case 'host': {
      // The decoder writes addresses with the same formatters, so text equality is address equality.
      const v4 = typeof e.address === 'number';
      const text = typeof e.address === 'number' ? formatIPv4(e.address) : formatIPv6(e.address);
      const layers: LayerProtocol[] = !v4 ? ['ipv6'] : e.proto === 'ip' ? ['ipv4'] : e.proto === 'arp' ? ['arp'] : ['ipv4', 'arp'];
      const dir = e.dir;
      return (p) => anyLayer(p, layers, dir, (t) => t === text);
    }
    case 'ether-host': {
      const { mac, dir } = e;
      return (p) => anyLayer(p, ['eth'], dir, (t) => t === mac);
    }
    case 'net4': {
      const { network, mask, dir } = e;
      const layers: LayerProtocol[] = e.proto === 'ip' ? ['ipv4'] : e.proto === 'arp' ? ['arp'] : ['ipv4', 'arp'];
      return (p) =>
        anyLayer(p, layers, dir, (t) => {
          const a = parseIPv4(t);
          return a !== null && ((a & mask) >>> 0) === network;
        });
    }
    case 'net6': {
      const { prefix, length, dir } = e;
      return (p) =>
        anyLayer(p, ['ipv6'], dir, (t) => {
          const a = parseIPv6(t);
          return a !== null && prefixMatches(a, prefix, length);
        });
    }
    case 'port': {
      const { port, dir } = e;
      const layers: LayerProtocol[] = e.proto === undefined ? ['tcp', 'udp'] : [e.proto];
      return (p) => {
        for (const l of p.layers) {
          if (!layers.includes(l.protocol)) continue;
          if (dir !== 'dst' && numberField(l, 'srcport') === port) return true;
          if (dir !== 'src' && numberField(l, 'dstport') === port) return true;
        }
        return false;
      };
    }
    case 'compare': {
      const l = compileArith(e.left);
      const r = compileArith(e.right);
      const op = e.op;
      return (p, f) => {
        const a = l(p, f);
        if (a === undefined) return false;
        const b = r(p, f);
        if (b === undefined) return false;
        switch (op) {
          case '==':
            return a === b;
          case '!=':
            return a !== b;
          case '<':
            return a < b;
          case '<=':
            return a <= b;
          case '>':
            return a > b;
          case '>=':
            return a >= b;
        }
      };
    }
    case 'truthy': {
      const v = compileArith(e.value);
      return (p, f) => {
        const a = v(p, f);
        return a !== undefined && a !== 0;
      };
    }
  }
}

function prefixMatches(a: Uint8Array, prefix: Uint8Array, length: number): boolean {
  const whole = length >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== prefix[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & m) === (prefix[whole]! & m);
}

/** Unsigned 32-bit arithmetic, as BPF's ALU. */
function compileArith(e: ArithExpr): Arith {
  switch (e.kind) {
    case 'number': {
      const v = e.value >>> 0;
      return () => v;
    }
    case 'len':
      // pcap-filter(7): `len` is the packet's length on the wire.
      return (p) => p.originalLength >>> 0;
    case 'negate': {
      const o = compileArith(e.operand);
      return (p, f) => {
        const v = o(p, f);
        return v === undefined ? undefined : -v >>> 0;
      };
    }
    case 'load':
      return compileLoad(e.proto, compileArith(e.offset), e.size);
    case 'binary': {
      const l = compileArith(e.left);
      const r = compileArith(e.right);
      const op = e.op;
      return (p, f) => {
        const a = l(p, f);
        if (a === undefined) return undefined;
        const b = r(p, f);
        if (b === undefined) return undefined;
        switch (op) {
          case '+':
            return (a + b) >>> 0;
          case '-':
            return (a - b) >>> 0;
          case '*':
            return Math.imul(a, b) >>> 0;
          case '/':
            return b === 0 ? undefined : Math.floor(a / b) >>> 0;
          case '%':
            return b === 0 ? undefined : a % b >>> 0;
          case '&':
            return (a & b) >>> 0;
          case '|':
            return (a | b) >>> 0;
          case '^':
            return (a ^ b) >>> 0;
          case '<<':
            return b >= 32 ? 0 : (a << b) >>> 0;
          case '>>':
            return b >= 32 ? 0 : a >>> b;
        }
      };
    }
  }
}

/** `proto[offset:size]`: bytes from the frame, big-endian, counted from the start of the protocol's header. */
function compileLoad(proto: ProtoName, offset: Arith, size: 1 | 2 | 4): Arith {
  const layerName = LAYER_OF[proto];
  return (p, frame) => {
    const layer = layerOf(p, layerName);
    if (layer === undefined) return undefined;
    const off = offset(p, frame);
    if (off === undefined) return undefined;
    if (frame === undefined || frame.length !== p.capturedLength) {
      // Without the bytes, tcp[13] (tcp[tcpflags]) can still come from the decoded flags.
      if (proto === 'tcp' && off === 13 && size === 1) {
        const flags = numberField(layer, 'flags');
        return flags === undefined ? undefined : flags & 0xff;
      }
      return undefined;
    }
    const start = layer.offset + off;
    if (start + size > frame.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + frame[start + i]!;
    return v;
  };
}
