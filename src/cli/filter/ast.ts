import type { IPv4Address, IPv6Address } from '../../core/address.js';

/**
 * The parsed form of a capture filter. Primitives follow pcap-filter(7):
 * a protocol, a direction and a kind (`tcp src port 80`), protocol names on
 * their own (`udp`), and relations between arithmetic expressions over
 * packet bytes (`tcp[tcpflags] & (syn|ack) == syn`, `len > 100`).
 */

/** Protocols a filter can name (and index with `proto[offset]`). */
export type ProtoName = 'ether' | 'ip' | 'ip6' | 'arp' | 'tcp' | 'udp' | 'icmp' | 'icmp6';

/** Which address or port of a packet a primitive looks at. */
export type Direction = 'src' | 'dst' | 'any';

export type RelOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

/** An arithmetic expression: unsigned 32-bit, as BPF computes. */
export type ArithExpr =
  | { readonly kind: 'number'; readonly value: number }
  /** The packet's length on the wire (tcpdump's `len`). */
  | { readonly kind: 'len' }
  /** `proto[offset:size]`: `size` bytes, big-endian, `offset` bytes into the protocol's header. */
  | { readonly kind: 'load'; readonly proto: ProtoName; readonly offset: ArithExpr; readonly size: 1 | 2 | 4 }
  | { readonly kind: 'binary'; readonly op: ArithOp; readonly left: ArithExpr; readonly right: ArithExpr }
  | { readonly kind: 'negate'; readonly operand: ArithExpr };

/** A boolean filter expression. */
export type FilterExpr =
  /** The empty filter: every packet. */
  | { readonly kind: 'all' }
  | { readonly kind: 'and' | 'or'; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: 'not'; readonly operand: FilterExpr }
  | { readonly kind: 'proto'; readonly proto: ProtoName }
  /** An IP (or ARP) host; `proto` narrows it to one of ip, ip6, arp. */
  | {
      readonly kind: 'host';
      readonly dir: Direction;
      readonly proto: 'ip' | 'ip6' | 'arp' | undefined;
      readonly address: IPv4Address | IPv6Address;
    }
  /** An Ethernet address (`ether host`, `ether src`), lower-case colon form. */
  | { readonly kind: 'ether-host'; readonly dir: Direction; readonly mac: string }
  /** An IPv4 network (address and mask as numbers) or an IPv6 prefix. */
  | { readonly kind: 'net4'; readonly dir: Direction; readonly proto: 'ip' | 'arp' | undefined; readonly network: number; readonly mask: number }
  | { readonly kind: 'net6'; readonly dir: Direction; readonly prefix: Uint8Array; readonly length: number }
  | { readonly kind: 'port'; readonly dir: Direction; readonly proto: 'tcp' | 'udp' | undefined; readonly port: number }
  | { readonly kind: 'compare'; readonly op: RelOp; readonly left: ArithExpr; readonly right: ArithExpr }
  /** A bare arithmetic expression: true when its value is not zero (`tcp[tcpflags] & syn`). */
  | { readonly kind: 'truthy'; readonly value: ArithExpr };
