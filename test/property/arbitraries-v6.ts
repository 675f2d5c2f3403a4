/**
 * The IPv6 / ICMPv6 / fragment-plan arbitraries now live with the
 * packet-crafting toolkit (src/craft/arb-v6.ts), where the fuzzer uses them
 * too; re-exported here for the property tests that import this path.
 */
export * from '../../src/craft/arb-v6.js';
