import diagnostics_channel from 'node:diagnostics_channel';

/**
 * Tracing through `node:diagnostics_channel`. Channel objects are process-wide
 * by design (that is how diagnostics_channel works), but they hold no stack
 * state: every message carries the id of the stack it came from. Publishing
 * is skipped entirely when nobody subscribes, so tracing costs one boolean
 * check on the hot path.
 */
export const CHANNELS = {
  linkRx: 'tsip:link:rx',
  linkTx: 'tsip:link:tx',
  drop: 'tsip:packet:drop',
  tcpState: 'tsip:tcp:state',
  tcpRetransmit: 'tsip:tcp:retransmit',
} as const;

/** Message on `tsip:link:rx` / `tsip:link:tx`. */
export interface LinkTraceMessage {
  stack: string;
  link: string;
  /** The frame; a view that is valid only during the callback. */
  frame: Uint8Array;
  /** Stack clock time in µs. */
  time: number;
}

/** Message on `tsip:packet:drop`. */
export interface DropTraceMessage {
  stack: string;
  /** Layer that dropped it: 'link' | 'ipv4' | 'ipv6' | 'icmp' | 'udp' | 'tcp' | … */
  layer: string;
  /** Short kebab-case reason, the same tag that is counted (e.g. 'bad-checksum'). */
  reason: string;
  /** The dropped bytes (a view, valid only during the callback). */
  packet: Uint8Array;
  time: number;
}

/** Message on `tsip:tcp:state`. */
export interface TcpStateTraceMessage {
  stack: string;
  /** `local-address:port-remote-address:port` */
  connection: string;
  from: string;
  to: string;
  time: number;
}

/** Message on `tsip:tcp:retransmit`. */
export interface TcpRetransmitTraceMessage {
  stack: string;
  connection: string;
  seq: number;
  length: number;
  /** What triggered it: 'rto' | 'fast' | 'sack' | 'tlp' | 'rack' | 'syn' | … */
  kind: string;
  time: number;
}

const linkRx = diagnostics_channel.channel(CHANNELS.linkRx);
const linkTx = diagnostics_channel.channel(CHANNELS.linkTx);
const drop = diagnostics_channel.channel(CHANNELS.drop);
const tcpState = diagnostics_channel.channel(CHANNELS.tcpState);
const tcpRetransmit = diagnostics_channel.channel(CHANNELS.tcpRetransmit);

/**
 * A stack's handle on the channels, plus its drop-reason tally (the reason
 * counters complement the SNMP counters, like Linux's skb drop reasons).
 */
export class Tracer {
  /** Drops per layer, then per reason: no string is built per dropped packet. */
  private readonly dropsByLayer = new Map<string, Map<string, number>>();
  /** Packets dropped in all, at every layer. */
  droppedTotal = 0;

  constructor(
    readonly stackId: string,
    private readonly now: () => number,
  ) {}

  /** Counts a dropped packet under its reason and publishes it if anyone listens. */
  dropped(layer: string, reason: string, packet: Uint8Array): void {
    let byReason = this.dropsByLayer.get(layer);
    if (byReason === undefined) {
      byReason = new Map();
      this.dropsByLayer.set(layer, byReason);
    }
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    this.droppedTotal++;
    if (drop.hasSubscribers) {
      const msg: DropTraceMessage = { stack: this.stackId, layer, reason, packet, time: this.now() };
      drop.publish(msg);
    }
  }

  /** Drops by `layer:reason`, e.g. `ipv4:bad-checksum` (a fresh copy, for reports). */
  get drops(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [layer, byReason] of this.dropsByLayer) for (const [reason, n] of byReason) out.set(`${layer}:${reason}`, n);
    return out;
  }

  /** Forgets the drop tally. */
  clearDrops(): void {
    this.dropsByLayer.clear();
    this.droppedTotal = 0;
  }

  linkRx(link: string, frame: Uint8Array): void {
    if (linkRx.hasSubscribers) {
      const msg: LinkTraceMessage = { stack: this.stackId, link, frame, time: this.now() };
      linkRx.publish(msg);
    }
  }

  linkTx(link: string, frame: Uint8Array): void {
    if (linkTx.hasSubscribers) {
      const msg: LinkTraceMessage = { stack: this.stackId, link, frame, time: this.now() };
      linkTx.publish(msg);
    }
  }

  tcpState(connection: string, from: string, to: string): void {
    if (tcpState.hasSubscribers) {
      const msg: TcpStateTraceMessage = { stack: this.stackId, connection, from, to, time: this.now() };
      tcpState.publish(msg);
    }
  }

  /** True when someone listens to state changes (lets callers skip building the connection name). */
  get tcpStateWanted(): boolean {
    return tcpState.hasSubscribers;
  }

  tcpRetransmit(connection: string, seq: number, length: number, kind: string): void {
    if (tcpRetransmit.hasSubscribers) {
      const msg: TcpRetransmitTraceMessage = { stack: this.stackId, connection, seq, length, kind, time: this.now() };
      tcpRetransmit.publish(msg);
    }
  }

  get tcpRetransmitWanted(): boolean {
    return tcpRetransmit.hasSubscribers;
  }
}
