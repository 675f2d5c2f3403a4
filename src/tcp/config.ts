/**
 * Per-stack TCP settings, defaulting to what Linux does (net.ipv4.tcp_*
 * sysctls and kernel constants). The receive/send buffer sizes and the
 * resulting window scale follow packetdrill's `defaults.sh` profile, which
 * the conformance scripts assume (advertised wscale 8).
 */
export interface TcpConfig {
  /** tcp_rmem: [min, default, max] receive buffer bytes. */
  rmem: [number, number, number];
  /** tcp_wmem: [min, default, max] send buffer bytes. */
  wmem: [number, number, number];
  /** tcp_window_scaling. */
  windowScaling: boolean;
  /** tcp_timestamps. */
  timestamps: boolean;
  /** tcp_sack. */
  sack: boolean;
  /** tcp_dsack. */
  dsack: boolean;
  /** tcp_syncookies: 0 off, 1 on SYN-queue overflow (default), 2 always. */
  syncookies: 0 | 1 | 2;
  /** tcp_syn_retries. */
  synRetries: number;
  /** tcp_synack_retries. */
  synackRetries: number;
  /** tcp_retries2: RTO retransmissions before giving up (expressed as time, as Linux does). */
  retries2: number;
  /** tcp_orphan_retries (0 means 8, as in Linux). */
  orphanRetries: number;
  /** Maximum segment lifetime, µs. TIME_WAIT lasts 2·MSL = 60 s (TCP_TIMEWAIT_LEN). */
  mslUs: number;
  /** tcp_fin_timeout: FIN_WAIT_2 lifetime of an orphaned connection, µs. */
  finTimeoutUs: number;
  /** tcp_keepalive_time, µs. */
  keepaliveTimeUs: number;
  /** tcp_keepalive_intvl, µs. */
  keepaliveIntvlUs: number;
  /** tcp_keepalive_probes. */
  keepaliveProbes: number;
  /** TCP_DELACK_MIN / TCP_ATO_MIN, µs. */
  delackMinUs: number;
  /** TCP_DELACK_MAX, µs. */
  delackMaxUs: number;
  /** TCP_MAX_QUICKACKS. */
  maxQuickAcks: number;
  /** tcp_pingpong_thresh: replies within `ato` of received data before ACKs wait to ride on replies (interactive mode). */
  pingpongThresh: number;
  /** TCP_RTO_MIN, µs. */
  rtoMinUs: number;
  /** TCP_RTO_MAX, µs. */
  rtoMaxUs: number;
  /** TCP_TIMEOUT_INIT, µs (RFC 6298 §2.1). */
  rtoInitUs: number;
  /** Initial congestion window in segments (RFC 6928). */
  initCwnd: number;
  /** Congestion control: 'cubic' (Linux default) or 'newreno'. */
  congestionControl: 'cubic' | 'newreno';
  /** tcp_reordering: duplicate-ACK threshold (RFC 5681 DupThresh). */
  reordering: number;
  /** tcp_recovery & 1: RACK loss detection (RFC 8985). */
  rack: boolean;
  /** Tail loss probes (tcp_early_retrans >= 3). */
  tlp: boolean;
  /**
   * tcp_slow_start_after_idle (RFC 5681 §4.1 restart window): Linux's
   * default is on; packetdrill's defaults.sh profile turns it off.
   */
  slowStartAfterIdle: boolean;
  /** tcp_challenge_ack_limit: challenge ACKs per second (RFC 5961 §7). */
  challengeAckLimit: number;
  /** tcp_invalid_ratelimit: min interval between dupACKs for out-of-window segments, µs. */
  invalidRatelimitUs: number;
  /** tcp_moderate_rcvbuf: receive-buffer auto-tuning. */
  moderateRcvbuf: boolean;
  /** somaxconn: the cap on a listen backlog. */
  somaxconn: number;
  /** Largest out-of-order queue, in separate ranges. */
  maxOooRanges: number;
  /** MSS used when the peer sends none (RFC 9293 §3.7.1). */
  defaultMss: number;
  /** TCP_MIN_MSS: floor for clamping (PMTU, TCP_MAXSEG). */
  minMss: number;
  /** ip_local_port_range for ephemeral ports. */
  localPortRange: [number, number];
  /** Timestamp clock tick, µs (Linux: 1 ms). */
  tsTickUs: number;
  /**
   * tcp_min_tso_segs: the fewest segments in one transmission burst (a
   * Linux TSO/GSO packet). Bursts only decide where PSH lands (tso-burst.ts).
   */
  minTsoSegs: number;
  /** Largest burst, bytes (Linux sk_gso_max_size of a TUN or loopback device: 64 KiB). */
  gsoMaxSize: number;
  /**
   * Where PSH goes on data segments. 'linux' (default): on the last
   * segment of each multi-segment burst and of a burst that carries the end
   * of a write (Linux 6.x). 'bsd': on the segment that empties the send
   * buffer (FreeBSD tcp_output), which scripts written for BSD expect.
   */
  pushPolicy: 'linux' | 'bsd';
}

/** Linux defaults (with the packetdrill defaults.sh buffer profile). */
export function defaultTcpConfig(): TcpConfig {
  return {
    rmem: [4096, 540000, 15 * 1024 * 1024],
    wmem: [4096, 262144, 4 * 1024 * 1024],
    windowScaling: true,
    timestamps: true,
    sack: true,
    dsack: true,
    syncookies: 1,
    synRetries: 6,
    synackRetries: 5,
    retries2: 15,
    orphanRetries: 0,
    mslUs: 30_000_000,
    finTimeoutUs: 60_000_000,
    keepaliveTimeUs: 7200_000_000,
    keepaliveIntvlUs: 75_000_000,
    keepaliveProbes: 9,
    delackMinUs: 40_000,
    delackMaxUs: 200_000,
    maxQuickAcks: 16,
    pingpongThresh: 1,
    rtoMinUs: 200_000,
    rtoMaxUs: 120_000_000,
    rtoInitUs: 1_000_000,
    initCwnd: 10,
    congestionControl: 'cubic',
    reordering: 3,
    rack: true,
    tlp: true,
    slowStartAfterIdle: true,
    challengeAckLimit: 1000,
    invalidRatelimitUs: 500_000,
    moderateRcvbuf: true,
    somaxconn: 4096,
    maxOooRanges: 64,
    defaultMss: 536,
    minMss: 88,
    localPortRange: [32768, 60999],
    tsTickUs: 1000,
    minTsoSegs: 2,
    gsoMaxSize: 65536,
    pushPolicy: 'linux',
  };
}

/** TIME_WAIT length (2·MSL). */
export function timeWaitUs(c: TcpConfig): number {
  return 2 * c.mslUs;
}

/**
 * The window scale we offer for a receive buffer of `maxSpace` bytes: the
 * smallest shift that lets the largest window fit in 16 bits (RFC 7323 §2.3,
 * Linux tcp_select_initial_window).
 */
export function windowScaleFor(maxSpace: number): number {
  let ws = 0;
  while (maxSpace > 0xffff && ws < 14) {
    maxSpace >>>= 1;
    ws++;
  }
  return ws;
}

/** Receive window space a buffer of `rcvbuf` bytes can offer (Linux tcp_win_from_space, adv_win_scale 1). */
export function winFromSpace(rcvbuf: number): number {
  return rcvbuf - (rcvbuf >>> 1);
}
