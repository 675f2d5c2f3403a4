import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../tcp/header.js';

/**
 * TCP flag letters as tcpdump and packetdrill write them, plus scapy's `A`
 * for ACK: F S R P U E W, `.` or `A` for ACK, `N` for AE (formerly NS).
 * Throws on any other character (a typo in a test, not untrusted input).
 */
export function parseTcpFlags(letters: string): number {
  let flags = 0;
  for (const ch of letters) {
    switch (ch) {
      case 'F': flags |= FIN; break;
      case 'S': flags |= SYN; break;
      case 'R': flags |= RST; break;
      case 'P': flags |= PSH; break;
      case 'U': flags |= URG; break;
      case 'E': flags |= ECE; break;
      case 'W': flags |= CWR; break;
      case 'A':
      case '.': flags |= ACK; break;
      case 'N': flags |= AE; break;
      default:
        throw new RangeError(`craft: unknown TCP flag letter '${ch}' in '${letters}'`);
    }
  }
  return flags;
}
