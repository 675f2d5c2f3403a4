/**
 * Per-stack counters with the names Linux gives them in `nstat` /
 * `netstat -s` (/proc/net/snmp, /proc/net/netstat, /proc/net/snmp6), so that
 * someone who knows Linux knows what each one means.
 */
export const COUNTER_NAMES = [
  // Ip: (RFC 4293 ipSystemStats via /proc/net/snmp)
  'IpInReceives', 'IpInHdrErrors', 'IpInAddrErrors', 'IpForwDatagrams', 'IpInUnknownProtos',
  'IpInDiscards', 'IpInDelivers', 'IpOutRequests', 'IpOutDiscards', 'IpOutNoRoutes',
  'IpReasmTimeout', 'IpReasmReqds', 'IpReasmOKs', 'IpReasmFails', 'IpFragOKs', 'IpFragFails',
  'IpFragCreates',
  // IpExt:
  'IpExtInNoRoutes', 'IpExtInTruncatedPkts', 'IpExtInMcastPkts', 'IpExtOutMcastPkts',
  'IpExtInBcastPkts', 'IpExtOutBcastPkts', 'IpExtInOctets', 'IpExtOutOctets', 'IpExtInCsumErrors',
  // Icmp:
  'IcmpInMsgs', 'IcmpInErrors', 'IcmpInCsumErrors', 'IcmpInDestUnreachs', 'IcmpInTimeExcds',
  'IcmpInParmProbs', 'IcmpInSrcQuenchs', 'IcmpInRedirects', 'IcmpInEchos', 'IcmpInEchoReps',
  'IcmpInTimestamps', 'IcmpInTimestampReps', 'IcmpOutMsgs', 'IcmpOutErrors', 'IcmpOutRateLimitGlobal',
  'IcmpOutRateLimitHost', 'IcmpOutDestUnreachs', 'IcmpOutTimeExcds', 'IcmpOutParmProbs',
  'IcmpOutEchos', 'IcmpOutEchoReps',
  // Tcp:
  'TcpActiveOpens', 'TcpPassiveOpens', 'TcpAttemptFails', 'TcpEstabResets', 'TcpCurrEstab',
  'TcpInSegs', 'TcpOutSegs', 'TcpRetransSegs', 'TcpInErrs', 'TcpOutRsts', 'TcpInCsumErrors',
  // Udp:
  'UdpInDatagrams', 'UdpNoPorts', 'UdpInErrors', 'UdpOutDatagrams', 'UdpRcvbufErrors',
  'UdpSndbufErrors', 'UdpInCsumErrors', 'UdpIgnoredMulti',
  // TcpExt:
  'TcpExtSyncookiesSent', 'TcpExtSyncookiesRecv', 'TcpExtSyncookiesFailed', 'TcpExtEmbryonicRsts',
  'TcpExtPruneCalled', 'TcpExtOfoPruned', 'TcpExtTW', 'TcpExtTWRecycled', 'TcpExtTWKilled',
  'TcpExtPAWSActive', 'TcpExtPAWSEstab', 'TcpExtDelayedACKs', 'TcpExtDelayedACKLost',
  'TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPHPHits', 'TcpExtTCPPureAcks',
  'TcpExtTCPHPAcks', 'TcpExtTCPRenoRecovery', 'TcpExtTCPSackRecovery', 'TcpExtTCPSACKReneging',
  'TcpExtTCPSACKReorder', 'TcpExtTCPRenoReorder', 'TcpExtTCPTSReorder', 'TcpExtTCPFullUndo',
  'TcpExtTCPPartialUndo', 'TcpExtTCPLossUndo', 'TcpExtTCPLostRetransmit', 'TcpExtTCPRenoFailures',
  'TcpExtTCPSackFailures', 'TcpExtTCPLossFailures', 'TcpExtTCPFastRetrans', 'TcpExtTCPSlowStartRetrans',
  'TcpExtTCPTimeouts', 'TcpExtTCPLossProbes', 'TcpExtTCPLossProbeRecovery', 'TcpExtTCPRenoRecoveryFail',
  'TcpExtTCPSackRecoveryFail', 'TcpExtTCPRcvCollapsed', 'TcpExtTCPDSACKOldSent', 'TcpExtTCPDSACKOfoSent',
  'TcpExtTCPDSACKRecv', 'TcpExtTCPDSACKOfoRecv', 'TcpExtTCPAbortOnData', 'TcpExtTCPAbortOnClose',
  'TcpExtTCPAbortOnMemory', 'TcpExtTCPAbortOnTimeout', 'TcpExtTCPAbortOnLinger', 'TcpExtTCPAbortFailed',
  'TcpExtTCPMemoryPressures', 'TcpExtTCPSACKDiscard', 'TcpExtTCPDSACKIgnoredOld',
  'TcpExtTCPDSACKIgnoredNoUndo', 'TcpExtTCPSpuriousRTOs', 'TcpExtTCPSackShifted', 'TcpExtTCPSackMerged',
  'TcpExtTCPBacklogDrop', 'TcpExtTCPMinTTLDrop', 'TcpExtTCPDeferAcceptDrop', 'TcpExtTCPTimeWaitOverflow',
  'TcpExtTCPReqQFullDoCookies', 'TcpExtTCPReqQFullDrop', 'TcpExtTCPRetransFail', 'TcpExtTCPRcvCoalesce',
  'TcpExtTCPOFOQueue', 'TcpExtTCPOFODrop', 'TcpExtTCPOFOMerge', 'TcpExtTCPChallengeACK',
  'TcpExtTCPSYNChallenge', 'TcpExtTCPSpuriousRtxHostQueues', 'TcpExtTCPAutoCorking',
  'TcpExtTCPFromZeroWindowAdv', 'TcpExtTCPToZeroWindowAdv', 'TcpExtTCPWantZeroWindowAdv',
  'TcpExtTCPSynRetrans', 'TcpExtTCPOrigDataSent', 'TcpExtTCPHystartTrainDetect',
  'TcpExtTCPHystartDelayDetect', 'TcpExtTCPACKSkippedSynRecv', 'TcpExtTCPACKSkippedPAWS',
  'TcpExtTCPACKSkippedSeq', 'TcpExtTCPACKSkippedFinWait2', 'TcpExtTCPACKSkippedTimeWait',
  'TcpExtTCPACKSkippedChallenge', 'TcpExtTCPWinProbe', 'TcpExtTCPKeepAlive', 'TcpExtTCPDelivered',
  'TcpExtTCPAckCompressed', 'TcpExtTCPWqueueTooBig', 'TcpExtTCPMTUPFail', 'TcpExtTCPMTUPSuccess',
  'TcpExtTCPRcvQDrop', 'TcpExtTCPDSACKUndo', 'TcpExtOutOfWindowIcmps',
  // Ip6:
  'Ip6InReceives', 'Ip6InHdrErrors', 'Ip6InTooBigErrors', 'Ip6InNoRoutes', 'Ip6InAddrErrors',
  'Ip6InUnknownProtos', 'Ip6InTruncatedPkts', 'Ip6InDiscards', 'Ip6InDelivers', 'Ip6OutForwDatagrams',
  'Ip6OutRequests', 'Ip6OutDiscards', 'Ip6OutNoRoutes', 'Ip6ReasmTimeout', 'Ip6ReasmReqds',
  'Ip6ReasmOKs', 'Ip6ReasmFails', 'Ip6FragOKs', 'Ip6FragFails', 'Ip6FragCreates', 'Ip6InMcastPkts',
  'Ip6OutMcastPkts', 'Ip6InOctets', 'Ip6OutOctets',
  // Icmp6:
  'Icmp6InMsgs', 'Icmp6InErrors', 'Icmp6OutMsgs', 'Icmp6OutErrors', 'Icmp6InCsumErrors',
  'Icmp6InDestUnreachs', 'Icmp6InPktTooBigs', 'Icmp6InTimeExcds', 'Icmp6InParmProblems',
  'Icmp6InEchos', 'Icmp6InEchoReplies', 'Icmp6InRouterSolicits', 'Icmp6InRouterAdvertisements',
  'Icmp6InNeighborSolicits', 'Icmp6InNeighborAdvertisements', 'Icmp6InRedirects', 'Icmp6InMLDv2Reports',
  'Icmp6OutDestUnreachs', 'Icmp6OutPktTooBigs', 'Icmp6OutTimeExcds', 'Icmp6OutParmProblems',
  'Icmp6OutEchos', 'Icmp6OutEchoReplies', 'Icmp6OutRouterSolicits', 'Icmp6OutNeighborSolicits',
  'Icmp6OutNeighborAdvertisements', 'Icmp6OutMLDv2Reports', 'Icmp6OutRateLimitHost',
  // Udp6:
  'Udp6InDatagrams', 'Udp6NoPorts', 'Udp6InErrors', 'Udp6OutDatagrams', 'Udp6RcvbufErrors',
  'Udp6SndbufErrors', 'Udp6InCsumErrors', 'Udp6IgnoredMulti',
  // Link layer (tsip's own, in the same spirit: /proc/net/dev and ARP)
  'LinkInFrames', 'LinkOutFrames', 'LinkInOctets', 'LinkOutOctets', 'LinkInErrors', 'LinkInDrops',
  'LinkOutDrops', 'ArpInRequests', 'ArpInReplies', 'ArpOutRequests', 'ArpOutReplies',
  'ArpResolveFailed', 'ArpQueueDrops',
] as const;

/** One counter's name. */
export type CounterName = (typeof COUNTER_NAMES)[number];

/** A full set of counters; every field starts at 0. */
export type Counters = Record<CounterName, number>;

/** Makes a zeroed counter set. Each stack owns exactly one. */
export function createCounters(): Counters {
  const c = {} as Counters;
  for (const name of COUNTER_NAMES) c[name] = 0;
  return c;
}

/**
 * The non-zero counters, as `nstat` prints them by default. A fresh object so
 * callers may keep it.
 */
export function nonZeroCounters(c: Counters): Partial<Counters> {
  const out: Partial<Counters> = {};
  for (const name of COUNTER_NAMES) if (c[name] !== 0) out[name] = c[name];
  return out;
}
