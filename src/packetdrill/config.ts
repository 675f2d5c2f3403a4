import type { TcpConfig } from '../tcp/config.js';

/**
 * The machine a packetdrill script expects, expressed as tsip stack
 * settings: addresses, MTU and the Linux sysctl profile (conformance README
 * §1.6, §1.8).
 *
 * ## Addresses (README §1.6, §1.9)
 * The in-memory link never leaves the process, so we use the project's test
 * ranges rather than packetdrill's random 192.168.0.0/16 local address:
 * - IPv4: tsip is 192.0.2.2/24, the scripted remote peer 192.0.2.1 (on link).
 * - IPv6: tsip is 2001:db8::2/64, the remote 2001:db8::1, and the link MTU is
 *   1520 as run_all.py sets it, so that the IPv6 MSS stays 1460.
 * Our listener binds port 8080 (`bind(fd, ..., ...)`), connect() goes to the
 * remote's port 8080, and each passive connection gets a fresh remote port.
 */

/** Addresses and MTU of one run. */
export interface RunEndpoints {
  readonly family: 4 | 6;
  /** tsip's own address, as text. */
  readonly localIp: string;
  /** The scripted peer's address, as text. */
  readonly remoteIp: string;
  readonly prefixLength: number;
  readonly mtu: number;
  /** The port `bind(fd, ..., ...)` uses and `connect(fd, ..., ...)` targets. */
  readonly port: number;
}

/** The IPv4 run: 192.0.2.2 (tsip) and 192.0.2.1 (peer), MTU 1500. */
export const IPV4_ENDPOINTS: RunEndpoints = Object.freeze({
  family: 4, localIp: '192.0.2.2', remoteIp: '192.0.2.1', prefixLength: 24, mtu: 1500, port: 8080,
});

/** The IPv6 run: 2001:db8::2 (tsip) and 2001:db8::1 (peer), MTU 1520 (run_all.py). */
export const IPV6_ENDPOINTS: RunEndpoints = Object.freeze({
  family: 6, localIp: '2001:db8::2', remoteIp: '2001:db8::1', prefixLength: 64, mtu: 1520, port: 8080,
});

/** The endpoints of a run over IPv4 or IPv6. */
export function endpointsFor(family: 4 | 6): RunEndpoints {
  return family === 4 ? IPV4_ENDPOINTS : IPV6_ENDPOINTS;
}

/**
 * Which sysctl profile a script starts from.
 * - `defaults`: packetdrill's `common/defaults.sh` (README §1.8), selected by
 *   an init command that runs it. Most google scripts do.
 * - `kernel`: a stock Linux kernel, for scripts that run no defaults.sh.
 * - `gvisor`: a stock kernel plus gVisor's packetdrill_setup.sh (tcp_sack=1,
 *   tcp_rmem / tcp_wmem "4096 2 MiB 8 MiB"), for gVisor's scripts.
 * - `bsd`: a stock kernel that places PSH as FreeBSD does (on the segment
 *   that empties the send buffer), for upstream's tests/bsd scripts.
 */
export type ProfileName = 'defaults' | 'kernel' | 'gvisor' | 'bsd';

const MIB = 1024 * 1024;

/**
 * Stack TCP settings of a profile. Only knobs that differ from
 * `defaultTcpConfig()` (which already follows Linux and defaults.sh for
 * buffers) are listed, so each profile reads as the list of sysctls it sets.
 */
export function profileTcpConfig(name: ProfileName): Partial<TcpConfig> {
  switch (name) {
    case 'defaults':
      // defaults.sh: rmem "4096 540000 15 MiB" (advertised wscale 8), wmem
      // "4096 256 KiB 4 MiB", timestamps/sack/dsack on, reordering 3, cubic,
      // slow_start_after_idle 0, RACK + TLP, ecn 0, syn/synack retries 5,
      // syncookies 1.
      return {
        rmem: [4096, 540000, 15 * MIB],
        wmem: [4096, 262144, 4 * MIB],
        timestamps: true,
        sack: true,
        dsack: true,
        windowScaling: true,
        reordering: 3,
        congestionControl: 'cubic',
        slowStartAfterIdle: false,
        rack: true,
        tlp: true,
        synRetries: 5,
        synackRetries: 5,
        syncookies: 1,
      };
    case 'kernel':
      // A stock kernel: tcp_rmem "4096 131072 6291456", tcp_wmem
      // "4096 16384 4194304", tcp_slow_start_after_idle 1, tcp_syn_retries 6.
      return {
        rmem: [4096, 131072, 6291456],
        wmem: [4096, 16384, 4194304],
        slowStartAfterIdle: true,
        synRetries: 6,
        synackRetries: 5,
      };
    case 'bsd':
      return { ...profileTcpConfig('kernel'), pushPolicy: 'bsd' };
    case 'gvisor':
      return {
        ...profileTcpConfig('kernel'),
        sack: true,
        rmem: [4096, 2 * MIB, 8 * MIB],
        wmem: [4096, 2 * MIB, 8 * MIB],
      };
  }
}

/**
 * The TCP settings of a run: the profile, then the script's own sysctls
 * (later ones win).
 */
export function runTcpConfig(profile: ProfileName, sysctls: Partial<TcpConfig>): Partial<TcpConfig> {
  return { ...profileTcpConfig(profile), ...sysctls };
}

/**
 * The timing tolerance a profile's harness passes on the command line:
 * gVisor runs its scripts with `--tolerance_usecs=100000`
 * (packetdrill_test.sh); packetdrill's own default is 4 ms. A script's own
 * `--tolerance_usecs` still wins.
 */
export function profileToleranceUs(name: ProfileName): number {
  return name === 'gvisor' ? 100_000 : 4000;
}
