import type { Clock } from '../core/clock.js';
import type { RandomSource } from '../core/random.js';
import { seq, type Seq } from '../core/seq.js';
import { KeyedHasher } from '../core/siphash.js';
import type { IpAddress } from '../ip/types.js';

/**
 * Initial sequence numbers and timestamp offsets for new connections, one
 * generator per stack (RFC 6528; RFC 7323 §5.4 and Appendix G for the
 * timestamp clock).
 *
 * RFC 6528 §3: `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`
 * where M is a clock ticking every 4 µs (RFC 9293 §3.4.1) and F a keyed
 * pseudo-random function. We use SipHash-2-4 for F, as Linux does
 * (net/core/secure_seq.c). Linux's M ticks every 64 ns; we keep the RFC's
 * 4 µs, which still wraps the 32-bit space only every ~4.8 hours.
 *
 * The per-tuple offset F makes ISNs unguessable across tuples, while M keeps
 * the ISNs of successive incarnations of one tuple increasing, so that old
 * duplicates of a previous incarnation fall outside the new window
 * (RFC 9293 §3.4.1).
 */
export class IsnGenerator {
  private readonly seqHash: KeyedHasher;
  private readonly tsHash: KeyedHasher;

  /**
   * @param clock  the stack's clock (M is derived from `clock.now()`).
   * @param random where the two 128-bit secrets come from (one for ISNs, one
   *   for timestamp offsets, as Linux keeps `net_secret` and `ts_secret`).
   */
  constructor(
    private readonly clock: Clock,
    random: RandomSource,
  ) {
    this.seqHash = KeyedHasher.fromRandom(random);
    this.tsHash = KeyedHasher.fromRandom(random);
  }

  /**
   * The ISN for a connection from `localAddr:localPort` to
   * `remoteAddr:remotePort` (RFC 6528 §3). Both addresses must be of the same
   * family.
   */
  isn(localAddr: IpAddress, localPort: number, remoteAddr: IpAddress, remotePort: number): Seq {
    const f = this.seqHash
      .reset()
      .address(localAddr)
      .address(remoteAddr)
      .u32(((localPort & 0xffff) << 16) | (remotePort & 0xffff))
      .digest32();
    // M: a 4 µs clock, taken modulo 2^32 (RFC 9293 §3.4.1).
    const m = Math.floor(this.clock.now() / 4) % 0x1_0000_0000;
    return seq(f + m);
  }

  /**
   * The offset added to the TS clock in this connection's TSval (RFC 7323
   * §5.4 recommends randomising it; Appendix G describes the per-connection
   * variant). Like Linux's `secure_tcp_ts_off()`, the offset depends on the
   * address pair only, not the ports: Linux downgraded from per-4-tuple to
   * per-host offsets (2017) so that TS values from one host stay monotonic
   * across its connections, which PAWS on TIME_WAIT reuse relies on. SYN
   * cookies also need it to be recomputable from the final ACK alone.
   */
  tsOffset(localAddr: IpAddress, remoteAddr: IpAddress): number {
    return this.tsHash.reset().address(localAddr).address(remoteAddr).digest32();
  }
}
