import { describe, it } from 'vitest';
import { netnsAvailable, tunAvailable, type Availability } from '../../src/link/netns.js';

/**
 * Interop suites need root, /dev/net/tun, `ip netns` and the built addon.
 * Where they are missing the suite is skipped with the reason in its title —
 * unless TSIP_REQUIRE_TUN=1 (CI on a capable machine), where it FAILS, so a
 * broken environment cannot pass silently.
 */
export function interopAvailability(): Availability {
  const tun = tunAvailable();
  if (!tun.ok) return tun;
  return netnsAvailable();
}

/** `describe` for suites that need TUN/TAP inside network namespaces. */
export function describeInterop(name: string, body: () => void): void {
  const avail = interopAvailability();
  if (avail.ok) {
    describe(name, body);
  } else if (process.env.TSIP_REQUIRE_TUN === '1') {
    describe(name, () => {
      it('has TUN/TAP and network namespaces available (TSIP_REQUIRE_TUN=1)', () => {
        throw new Error(`TUN/TAP interop is required but unavailable: ${avail.reason}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${avail.reason}]`, body);
  }
}
