/**
 * The link and IPv4/ICMPv4/UDP codec-spec arbitraries now live with the
 * packet-crafting toolkit (src/craft/arb-l2-l3.ts), where the fuzzer uses
 * them too; re-exported here for the property tests that import this path.
 */
export * from '../../src/craft/arb-l2-l3.js';
