/**
 * ICMP error rate limiting (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)), shaped as
 * Linux does it: a global token bucket (net.ipv4.icmp_msgs_per_sec = 1000,
 * burst icmp_msgs_burst = 50) and a per-destination bucket (icmp_ratelimit =
 * 1000 ms per token, burst of 6 as inet_peer's XRLIM_BURST_FACTOR).
 */
export interface IcmpRateLimitConfig {
  /** Global refill rate, messages per second (0 disables the global limit). */
  msgsPerSec: number;
  /** Global burst. */
  msgsBurst: number;
  /** Per-destination: one token every this many µs (0 disables the per-host limit). */
  perHostIntervalUs: number;
  /** Per-destination burst. */
  perHostBurst: number;
  /** At most this many destinations are remembered (oldest forgotten first). */
  maxHosts: number;
}

export const DEFAULT_ICMP_RATE_LIMIT: IcmpRateLimitConfig = {
  msgsPerSec: 1000,
  msgsBurst: 50,
  perHostIntervalUs: 1_000_000,
  perHostBurst: 6,
  maxHosts: 1024,
};

interface Bucket {
  tokens: number;
  last: number;
}

/** The verdict for one message. */
export type RateVerdict = 'ok' | 'global' | 'host';

/** Token buckets keyed by destination (a number for IPv4, a hex string for IPv6). */
export class IcmpRateLimiter {
  private global: Bucket;
  private readonly hosts = new Map<number | string, Bucket>();

  constructor(
    private readonly config: IcmpRateLimitConfig = DEFAULT_ICMP_RATE_LIMIT,
    now = 0,
  ) {
    this.global = { tokens: config.msgsBurst, last: now };
  }

  /** Takes a token for a message to `dest` at time `now` (µs), or says which limit refused it. */
  allow(dest: number | string, now: number): RateVerdict {
    const c = this.config;
    if (c.msgsPerSec > 0) {
      const g = this.global;
      g.tokens = Math.min(c.msgsBurst, g.tokens + ((now - g.last) * c.msgsPerSec) / 1_000_000);
      g.last = now;
      if (g.tokens < 1) return 'global';
    }
    if (c.perHostIntervalUs > 0) {
      let h = this.hosts.get(dest);
      if (h === undefined) {
        h = { tokens: c.perHostBurst, last: now };
        if (this.hosts.size >= c.maxHosts) {
          const oldest = this.hosts.keys().next().value;
          if (oldest !== undefined) this.hosts.delete(oldest);
        }
        this.hosts.set(dest, h);
      } else {
        h.tokens = Math.min(c.perHostBurst, h.tokens + (now - h.last) / c.perHostIntervalUs);
        h.last = now;
      }
      if (h.tokens < 1) return 'host';
      h.tokens -= 1;
    }
    if (c.msgsPerSec > 0) this.global.tokens -= 1;
    return 'ok';
  }
}
