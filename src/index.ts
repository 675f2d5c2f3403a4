/**
 * tsip's public API. Everything the CLI does is reachable from here.
 */
export { Stack, type StackOptions, type AddInterfaceOptions, type AddRouteOptions } from './stack.js';
export { RealClock, VirtualClock, type Clock } from './core/clock.js';
export { SeededRandom, CryptoRandom, type RandomSource } from './core/random.js';
export { SocketError, ERRNO, type ErrnoCode } from './core/errno.js';
export { COUNTER_NAMES, type Counters } from './core/counters.js';
export { CHANNELS } from './core/trace.js';
export { parseIPv4, formatIPv4, parseIPv6, formatIPv6, parseCidr } from './core/address.js';
export type { Link, LinkType } from './link/link.js';
export { createMemoryPair, type MemoryPairOptions } from './link/memory-link.js';
export { LoopbackLink } from './link/loopback.js';
export { TunLink } from './link/tun-link.js';
export { Netns } from './link/netns.js';
export { PcapWriter } from './link/pcap-writer.js';
export { PcapTap } from './link/pcap-tap.js';
export { readPcap, readPcapFile } from './link/pcap-reader.js';
export { ReplayLink, destinedTo } from './link/replay-link.js';
export { FaultInjector, type FaultConfig } from './link/fault-injector.js';
export { TcpGraphRecorder, TcpGraphTap, type TcpGraphRecorderOptions } from './cli/graph/recorder.js';
export { analyzeCapture, analyzePackets, type ConnectionGraph, type GraphSelection } from './cli/graph/analysis.js';
export { renderSvg } from './cli/graph/svg.js';
export { renderHtml } from './cli/graph/html.js';
export { packetFilter, formatFilterError, type PacketFilter } from './cli/filter/filter.js';
export * as craft from './craft/index.js';
export * as fuzz from './fuzz/index.js';
