/**
 * Packet crafting: typed, composable builders over the codecs (scapy's idea,
 * typed), byte/field mutators, and fast-check arbitraries for valid and
 * "almost valid" packets. See layer.ts for the model.
 */
export * from './layer.js';
export * from './flags.js';
export * from './link.js';
export * from './ip.js';
export * from './icmp.js';
export * from './transport.js';
export * from './fragments.js';
export * from './dissect.js';
export * from './fields.js';
export * from './mutate.js';
export * from './arb-l2-l3.js';
export * from './arb-v6.js';
export * from './arb-transport.js';
export * from './arb-packets.js';
export * from './arb-mutations.js';
