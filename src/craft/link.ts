import { buildArp, type ArpSpec } from '../link/arp.js';
import { buildEthernet, ETHERTYPE_ARP, type VlanTagSpec } from '../link/ethernet.js';
import { encodeInner, v4, type Inner, type Ipv4Input, type Layer } from './layer.js';

/** Fields of an Ethernet header to craft; the EtherType defaults to the inner layer's. */
export interface EtherCraft {
  /** Default ff:ff:ff:ff:ff:ff. */
  dst?: Uint8Array;
  /** Default 02:00:00:00:00:02 (locally administered). */
  src?: Uint8Array;
  /** Override the EtherType (default: what the inner layer announces). */
  ethertype?: number;
  vlans?: readonly VlanTagSpec[];
  /** Zero-pad to 60 bytes. */
  pad?: boolean;
}

/** An Ethernet II frame around `inner` (IEEE 802.3, with optional 802.1Q/ad tags). */
export function ether(spec: EtherCraft, inner?: Inner): Layer {
  return {
    kind: 'ether',
    encode: (env) => {
      const ethertype = spec.ethertype ?? (inner instanceof Uint8Array ? undefined : inner?.ethertype);
      if (ethertype === undefined) throw new RangeError('craft ether: give an ethertype for a raw payload');
      return buildEthernet(
        {
          dst: spec.dst ?? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
          src: spec.src ?? Uint8Array.of(0x02, 0, 0, 0, 0, 0x02),
          ethertype,
          ...(spec.vlans !== undefined ? { vlans: spec.vlans } : {}),
          ...(spec.pad !== undefined ? { pad: spec.pad } : {}),
        },
        encodeInner(inner, env),
      );
    },
  };
}

/** Fields of an ARP packet to craft: the codec's, with addresses also as text. */
export type ArpCraft = Omit<ArpSpec, 'senderIp' | 'targetIp' | 'opcode'> & {
  /** Default 1 (request). */
  opcode?: number;
  senderIp: Ipv4Input;
  targetIp: Ipv4Input;
};

/** An Ethernet/IPv4 ARP packet (RFC 826); htype/ptype/hlen/plen may lie. */
export function arp(spec: ArpCraft): Layer {
  return {
    kind: 'arp',
    ethertype: ETHERTYPE_ARP,
    encode: () => buildArp({ ...spec, opcode: spec.opcode ?? 1, senderIp: v4(spec.senderIp), targetIp: v4(spec.targetIp) }),
  };
}
