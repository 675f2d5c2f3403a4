import type { IPv6Address } from '../core/address.js';
import { isUsableIpv6, type Ipv6Assignment, type NetInterface } from './interface.js';
import { addressScope6, commonPrefixLength6, equal6, SCOPE_LINK_LOCAL } from './ipv6-address.js';

/**
 * Default source address selection (RFC 6724 §5). Of the rules, those that
 * matter to a host without Mobile IPv6, temporary addresses or a policy
 * table are applied, in order:
 *
 * 1. prefer the destination itself;
 * 2. prefer the appropriate scope (the smallest scope at least the
 *    destination's, else the largest);
 * 3. avoid deprecated addresses;
 * 5. prefer an address of the outgoing interface;
 * 8. prefer the longest common prefix with the destination.
 *
 * Candidates are the usable addresses (not tentative, not duplicate: RFC
 * 4862 §5.4) of every interface, except that an address of link-local scope
 * is a candidate only on the outgoing interface — outside its zone it means
 * nothing (RFC 4007 §6). Returns null when there is no candidate.
 */
export function selectSource6(interfaces: readonly NetInterface[], out: NetInterface, dst: IPv6Address): IPv6Address | null {
  const dstScope = addressScope6(dst);
  let best: Ipv6Assignment | null = null;
  let bestOnOut = false;
  for (const iface of interfaces) {
    const onOut = iface === out;
    for (const a of iface.ipv6) {
      if (!isUsableIpv6(a)) continue;
      if (!onOut && addressScope6(a.address) <= SCOPE_LINK_LOCAL) continue;
      if (best === null || prefer(a, onOut, best, bestOnOut, dst, dstScope)) {
        best = a;
        bestOnOut = onOut;
      }
    }
  }
  return best === null ? null : best.address;
}

/** True if candidate `a` beats the current `b` for `dst` (RFC 6724 §5 rules 1, 2, 3, 5, 8). */
function prefer(a: Ipv6Assignment, aOnOut: boolean, b: Ipv6Assignment, bOnOut: boolean, dst: IPv6Address, dstScope: number): boolean {
  // Rule 1: prefer same address.
  const aSame = equal6(a.address, dst);
  const bSame = equal6(b.address, dst);
  if (aSame !== bSame) return aSame;
  // Rule 2: prefer appropriate scope.
  const sa = addressScope6(a.address);
  const sb = addressScope6(b.address);
  if (sa !== sb) {
    if (sa < sb) return sa >= dstScope;
    return sb < dstScope;
  }
  // Rule 3: avoid deprecated addresses.
  const aDep = a.state === 'deprecated';
  const bDep = b.state === 'deprecated';
  if (aDep !== bDep) return bDep;
  // Rule 5: prefer outgoing interface.
  if (aOnOut !== bOnOut) return aOnOut;
  // Rule 8: use longest matching prefix.
  return commonPrefixLength6(a.address, dst) > commonPrefixLength6(b.address, dst);
}
