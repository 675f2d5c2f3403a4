import { readU16, writeU16 } from '../core/bytes.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { fail, type ParseResult } from '../core/result.js';

/**
 * Ethernet II frame codec (DIX / IEEE 802.3 with EtherType), with IEEE
 * 802.1Q VLAN tags and stacked 802.1ad (QinQ) service tags.
 *
 * ```
 *  0                   6                  12      14
 * +-------------------+-------------------+-------+------------------
 * |  destination MAC  |    source MAC     | type  | payload ...
 * +-------------------+-------------------+-------+------------------
 *
 * With tags, each 4-byte tag sits between the source MAC and the EtherType:
 * +-----+-----+-------+------+------+------
 * | dst | src | TPID  | TCI  | type | payload
 * +-----+-----+-------+------+------+------
 *                16 bits: PCP(3) DEI(1) VID(12)
 * ```
 *
 * Frames reach us without the FCS (TAP devices strip it), so the IEEE
 * minimum of 64 bytes is 60 here. Receivers must accept shorter frames
 * (TAP and veth deliver them unpadded); senders may pad.
 */
export const ETH_HEADER_LEN = 14;
/** Minimum frame length without the 4-byte FCS (IEEE 802.3 §3.2.9: 64 bytes with it). */
export const ETH_MIN_FRAME_LEN = 60;
export const MAC_LEN = 6;
export const VLAN_TAG_LEN = 4;
/**
 * Most tags a frame may carry before we refuse it. Linux stops walking
 * nested tags at the same depth (VLAN_MAX_DEPTH); it also bounds the work
 * and allocation a hostile frame can cause.
 */
export const ETH_MAX_VLAN_TAGS = 8;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag (C-tag). */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service VLAN tag (S-tag, "QinQ"). */
export const ETHERTYPE_QINQ = 0x88a8;
/**
 * Type/length values up to this one are IEEE 802.3 length fields (the
 * payload is LLC), not EtherTypes. The parser reports them as the ethertype
 * unchanged; the stack handles no LLC protocol and drops them as unknown.
 */
export const ETH_MAX_LENGTH_FIELD = 1500;

const F_DST = 0;
const F_SRC = 6;
const F_TYPE = 12;

/** One 802.1Q / 802.1ad tag as found on the wire. */
export interface VlanTag {
  /** The tag protocol identifier: {@link ETHERTYPE_VLAN} or {@link ETHERTYPE_QINQ}. */
  readonly tpid: number;
  /** Priority code point (IEEE 802.1p), 0..7. */
  readonly pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  readonly dei: boolean;
  /** VLAN identifier, 0..4095 (0: priority tag only, 4095: reserved). */
  readonly vid: number;
}

/** A parsed frame. MACs and payload are views into the frame, not copies. */
export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** Tags outermost first; an empty shared array when the frame is untagged. */
  readonly vlans: readonly VlanTag[];
  /** The EtherType after the tags (or an 802.3 length, see {@link ETH_MAX_LENGTH_FIELD}). */
  readonly ethertype: number;
  /** 14 plus 4 per tag. */
  readonly headerLength: number;
  /**
   * Everything after the header. The Ethernet header carries no length, so
   * padding added by a sender to reach 60 bytes stays here; the network
   * layer trims it by its own length field.
   */
  readonly payload: Uint8Array;
}

const NO_VLANS: readonly VlanTag[] = Object.freeze([]);

/** True for the TPIDs that introduce a VLAN tag (the same pair Linux's eth_type_vlan() accepts). */
export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ;
}

/**
 * Parses an Ethernet II frame (without FCS). Never throws. Failures:
 * `eth-truncated` (under 14 bytes), `eth-vlan-truncated` (a tag announced
 * but the frame ends inside it), `eth-too-many-vlans`.
 */
export function parseEthernet(b: Uint8Array): ParseResult<EthernetFrame> {
  if (b.length < ETH_HEADER_LEN) return fail('eth-truncated');
  let type = readU16(b, F_TYPE);
  let o = F_TYPE;
  let vlans = NO_VLANS;
  if (isVlanTpid(type)) {
    const tags: VlanTag[] = [];
    while (isVlanTpid(type)) {
      if (tags.length === ETH_MAX_VLAN_TAGS) return fail('eth-too-many-vlans');
      // The tag is TPID(2) TCI(2) and a following type field (2) must fit too.
      if (o + VLAN_TAG_LEN + 2 > b.length) return fail('eth-vlan-truncated');
      const tci = readU16(b, o + 2);
      tags.push({ tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
      o += VLAN_TAG_LEN;
      type = readU16(b, o);
    }
    vlans = tags;
  }
  const headerLength = o + 2;
  return {
    ok: true,
    value: {
      dst: b.subarray(F_DST, F_DST + MAC_LEN),
      src: b.subarray(F_SRC, F_SRC + MAC_LEN),
      vlans,
      ethertype: type,
      headerLength,
      payload: b.subarray(headerLength),
    },
  };
}

/** A tag to write. Unset fields default to 0 / false; see {@link EthernetSpec.vlans} for the TPID default. */
export interface VlanTagSpec {
  tpid?: number;
  pcp?: number;
  dei?: boolean;
  vid: number;
}

/** Fields for building a frame header. */
export interface EthernetSpec {
  dst: Uint8Array;
  src: Uint8Array;
  ethertype: number;
  /**
   * Tags, outermost first. A tag without `tpid` gets 0x8100 if it is the
   * innermost one and 0x88a8 otherwise (IEEE 802.1ad: S-tags outside, the
   * C-tag inside).
   */
  vlans?: readonly VlanTagSpec[];
  /** Zero-pad the frame to {@link ETH_MIN_FRAME_LEN} bytes if it is shorter. */
  pad?: boolean;
}

/** Header length for a spec: 14 + 4 per tag. */
export function ethernetHeaderLength(spec: EthernetSpec): number {
  return ETH_HEADER_LEN + VLAN_TAG_LEN * (spec.vlans?.length ?? 0);
}

/** Writes the header described by `spec` at `b[o..)`; returns its length. */
export function writeEthernetHeaderAt(b: Uint8Array, o: number, spec: EthernetSpec): number {
  if (spec.dst.length !== MAC_LEN || spec.src.length !== MAC_LEN) {
    throw new RangeError('writeEthernetHeaderAt: MAC addresses must be 6 bytes');
  }
  b.set(spec.dst, o + F_DST);
  b.set(spec.src, o + F_SRC);
  let p = o + F_TYPE;
  const vlans = spec.vlans;
  if (vlans !== undefined) {
    for (let i = 0; i < vlans.length; i++) {
      const t = vlans[i]!;
      const tpid = t.tpid ?? (i === vlans.length - 1 ? ETHERTYPE_VLAN : ETHERTYPE_QINQ);
      writeU16(b, p, tpid);
      writeU16(b, p + 2, (((t.pcp ?? 0) & 7) << 13) | (t.dei === true ? 0x1000 : 0) | (t.vid & 0x0fff));
      p += VLAN_TAG_LEN;
    }
  }
  writeU16(b, p, spec.ethertype);
  return p + 2 - o;
}

/**
 * Prepends the Ethernet header in front of the payload already in `pkt`
 * and returns the frame to transmit.
 *
 * With `spec.pad` a short frame is zero-padded to 60 bytes: in place when
 * the buffer has room after the data (then `pkt` grows and the result is
 * `pkt.view()`), otherwise the result is a padded copy and `pkt` keeps the
 * unpadded frame. Only frames under 60 bytes can take the copying path.
 */
export function writeEthernetHeader(pkt: PacketBuffer, spec: EthernetSpec): Uint8Array {
  const o = pkt.prepend(ethernetHeaderLength(spec));
  writeEthernetHeaderAt(pkt.buf, o, spec);
  if (spec.pad !== true || pkt.length >= ETH_MIN_FRAME_LEN) return pkt.view();
  const missing = ETH_MIN_FRAME_LEN - pkt.length;
  if (pkt.buf.length - pkt.end >= missing) {
    pkt.buf.fill(0, pkt.end, pkt.end + missing);
    pkt.end += missing;
    return pkt.view();
  }
  const frame = new Uint8Array(ETH_MIN_FRAME_LEN);
  frame.set(pkt.view());
  return frame;
}

/** Builds a whole frame around `payload` in a new buffer. */
export function buildEthernet(spec: EthernetSpec, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hl = ethernetHeaderLength(spec);
  let len = hl + payload.length;
  if (spec.pad === true && len < ETH_MIN_FRAME_LEN) len = ETH_MIN_FRAME_LEN;
  const b = new Uint8Array(len);
  writeEthernetHeaderAt(b, 0, spec);
  b.set(payload, hl);
  return b;
}

// ---------------------------------------------------------------------------
// MAC address helpers

/**
 * Parses "aa:bb:cc:dd:ee:ff" (also with '-' separators, any case). Returns
 * null unless there are exactly six 1-2 digit hex groups.
 */
export function parseMac(text: string): Uint8Array | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== MAC_LEN) return null;
  const mac = new Uint8Array(MAC_LEN);
  for (let i = 0; i < MAC_LEN; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    mac[i] = parseInt(p, 16);
  }
  return mac;
}

/** Lower-case colon-separated text of the 6 bytes at `b[o..)`. For logs and tools, not for hot paths. */
export function formatMac(b: Uint8Array, o = 0): string {
  let s = '';
  for (let i = 0; i < MAC_LEN; i++) {
    const v = b[o + i] ?? 0;
    if (i > 0) s += ':';
    s += (v < 16 ? '0' : '') + v.toString(16);
  }
  return s;
}

/** A new ff:ff:ff:ff:ff:ff (a function, not a shared constant, so nobody can corrupt it). */
export function broadcastMac(): Uint8Array {
  return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

/** True for ff:ff:ff:ff:ff:ff at `b[o..)`. */
export function isBroadcastMac(b: Uint8Array, o = 0): boolean {
  return (b[o]! & b[o + 1]! & b[o + 2]! & b[o + 3]! & b[o + 4]! & b[o + 5]!) === 0xff;
}

/** True when the individual/group bit (IEEE 802 §8.2, LSB of the first octet) is set: multicast, broadcast included. */
export function isMulticastMac(b: Uint8Array, o = 0): boolean {
  return (b[o]! & 1) === 1;
}

/** Compares the 6 bytes at `a[ao..)` and `b[bo..)`. */
export function macEquals(a: Uint8Array, b: Uint8Array, ao = 0, bo = 0): boolean {
  for (let i = 0; i < MAC_LEN; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** The group MAC an IPv4 multicast address maps to: 01:00:5e + its low 23 bits (RFC 1112 §6.4). */
export function ipv4MulticastMac(group: number): Uint8Array {
  return new Uint8Array([0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff]);
}

/** The group MAC an IPv6 multicast address maps to: 33:33 + its last 4 bytes (RFC 2464 §7). */
export function ipv6MulticastMac(group: Uint8Array): Uint8Array {
  return new Uint8Array([0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!]);
}
