/**
 * Names of numbers as tcpdump prints them (EtherTypes, IP protocols).
 * Only what the decoder meets; everything else prints as a number.
 */

/** tcpdump's name for an EtherType, `Unknown` when it has none. */
export function ethertypeName(type: number): string {
  switch (type) {
    case 0x0800:
      return 'IPv4';
    case 0x0806:
      return 'ARP';
    case 0x86dd:
      return 'IPv6';
    case 0x8100:
      return '802.1Q';
    case 0x88a8:
      return '802.1Q-QinQ';
    case 0x8035:
      return 'Reverse ARP';
    case 0x88cc:
      return 'LLDP';
    case 0x8847:
      return 'MPLS unicast';
    case 0x8848:
      return 'MPLS multicast';
    case 0x8863:
      return 'PPPoE D';
    case 0x8864:
      return 'PPPoE S';
    case 0x888e:
      return 'EAPOL';
    case 0x9000:
      return 'Loopback';
    default:
      return 'Unknown';
  }
}

/** tcpdump's name for an IP protocol / IPv6 Next Header value, or undefined. */
export function ipProtocolName(p: number): string | undefined {
  switch (p) {
    case 0:
      return 'Options';
    case 1:
      return 'ICMP';
    case 2:
      return 'IGMP';
    case 4:
      return 'IPIP';
    case 6:
      return 'TCP';
    case 17:
      return 'UDP';
    case 41:
      return 'IPv6';
    case 43:
      return 'Routing';
    case 44:
      return 'Fragment';
    case 47:
      return 'GRE';
    case 50:
      return 'ESP';
    case 51:
      return 'AH';
    case 58:
      return 'ICMPv6';
    case 59:
      return 'NONE';
    case 60:
      return 'DSTOPTS';
    case 132:
      return 'SCTP';
    default:
      return undefined;
  }
}
