import { createHash } from 'node:crypto';
import type { IPv6Address } from '../core/address.js';
import { PREFIX_FLAG_AUTONOMOUS, type NdpPrefixInfoOption } from '../icmp/icmpv6-header.js';
import { addIpv6Address, lifetimeUs, scheduleLifetimes } from './addrconf.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { eui64FromMac, isLinkLocal6, isReservedIid, prefixMatch6, withInterfaceId } from './ipv6-address.js';
import type { Ipv6Interface } from './ipv6-interface.js';

/** RFC 4862 §5.5.3 (e): the valid lifetime of an existing address is not cut below two hours by an RA. */
const TWO_HOURS_US = 7_200_000_000;
/** Interface identifiers are 64 bits on Ethernet and every link we know (RFC 4291 §2.5.1). */
const IID_LENGTH = 64;

/**
 * The interface identifier for addresses under `prefix` on `iface`: the
 * modified EUI-64 of the MAC on Ethernet (RFC 4291 Appendix A, RFC 2464 §4,
 * Linux's default addr_gen_mode), and on links without a hardware address
 * (TUN) a stable, opaque identifier in the manner of RFC 7217 §5:
 * F(Prefix, Net_Iface, DAD_Counter, secret_key), with SHA-256 as F and the
 * secret drawn from the stack's randomness — Linux's addr_gen_mode "random".
 */
export function interfaceIdFor(iface: NetInterface, v6: Ipv6Interface, prefix: IPv6Address, dadCounter = 0): Uint8Array {
  const mac = iface.medium?.mac;
  if (mac !== undefined) return eui64FromMac(mac);
  for (let counter = dadCounter; ; counter++) {
    const h = createHash('sha256');
    h.update(prefix.subarray(0, 8));
    h.update(iface.name);
    h.update(Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff));
    h.update(v6.iidSecret);
    const iid = new Uint8Array(h.digest().subarray(0, 8));
    // RFC 7217 §5: an identifier that is reserved (RFC 5453) is discarded and the counter bumped.
    if (!isReservedIid(iid)) return iid;
  }
}

/**
 * Stateless address autoconfiguration from a Prefix Information option
 * (RFC 4862 §5.5.3): forms an address from an autonomous prefix, or
 * refreshes the lifetimes of the one formed before — with the "two hours"
 * rule that keeps a forged RA from cutting a valid lifetime short.
 */
export function slaacPrefixInput(ip: IpStack, iface: NetInterface, pio: NdpPrefixInfoOption, packet: Uint8Array): void {
  const v6 = iface.v6;
  if (v6 === null || !v6.config.autoconf) return;
  const trace = ip.ctx.trace;
  // (a) the Autonomous flag; (b) never the link-local prefix.
  if ((pio.flags & PREFIX_FLAG_AUTONOMOUS) === 0) return;
  if (isLinkLocal6(pio.prefix)) return trace.dropped('slaac', 'link-local-prefix', packet);
  // (c) a preferred lifetime beyond the valid lifetime makes the option invalid.
  if (pio.preferredLifetime > pio.validLifetime) return trace.dropped('slaac', 'preferred-exceeds-valid', packet);
  if (pio.prefixLength > 128) return trace.dropped('slaac', 'bad-prefix-length', packet);
  const now = ip.ctx.clock.now();
  const valid = lifetimeUs(pio.validLifetime);
  const preferred = lifetimeUs(pio.preferredLifetime);
  const existing = iface.ipv6.find(
    (a) => a.origin === 'slaac' && a.prefix === pio.prefixLength && prefixMatch6(a.address, pio.prefix, pio.prefixLength),
  );
  if (existing === undefined) {
    // (d) a new prefix: form an address if the lifetimes allow and the lengths add up to 128.
    if (valid === 0) return;
    if (pio.prefixLength + IID_LENGTH !== 128) return trace.dropped('slaac', 'prefix-length-not-64', packet);
    const address = withInterfaceId(pio.prefix, interfaceIdFor(iface, v6, pio.prefix));
    if (iface.ipv6AssignmentOf(address) !== undefined) return;
    addIpv6Address(ip, iface, address, pio.prefixLength, 'slaac', valid, preferred);
    return;
  }
  // (e) a known prefix: preferred lifetime as advertised; valid lifetime under the two-hour rule.
  existing.preferredUntil = now + preferred;
  const remaining = existing.validUntil - now;
  if (valid > TWO_HOURS_US || valid > remaining) existing.validUntil = now + valid;
  else if (remaining > TWO_HOURS_US) existing.validUntil = now + TWO_HOURS_US;
  if (existing.state === 'deprecated' && existing.preferredUntil > now) existing.state = 'preferred';
  scheduleLifetimes(ip, iface);
}
