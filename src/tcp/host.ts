import type { StackContext } from '../core/context.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import type { IpAddress, IpLayer } from '../ip/types.js';
import type { TcpConfig } from './config.js';
import type { TcpConnection } from './connection.js';
import type { TcpControlBlock } from './tcb.js';
import type { OptionPlan, TcpOptions } from './options.js';
import type { CongestionControl } from './congestion/types.js';

/**
 * What the connection, input and output code need from the TCP layer that
 * owns them. Implemented by `TcpLayer`; kept as an interface so the state
 * machine files do not import the layer (no import cycles, easy fakes).
 */
export interface TcpHost {
  readonly ctx: StackContext;
  readonly ip: IpLayer;
  readonly config: TcpConfig;
  /** Shared scratch for building options (single-threaded, never held across calls). */
  readonly plan: OptionPlan;
  /** Queues change notifications for `target` (bits from {@link Notify}); delivered when the stack unwinds. */
  notify(target: { pendingNotify: number; deliverNotifications(bits: number): void }, bits: number): void;
  /** Removes `conn` from the demux tables (it reached CLOSED). */
  unhash(conn: TcpConnection): void;
  /** Called on every state change (counters, trace, listener bookkeeping). */
  stateChanged(conn: TcpControlBlock, from: number, to: number): void;
  /** RFC 5961 §7: true if one more challenge ACK may be sent now (global rate limit). */
  challengeAckAllowed(): boolean;
  /** Sends a RST in reply to a segment that matches no connection state (RFC 9293 §3.10.7.1). */
  sendResetFor(
    family: 4 | 6, src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number,
    seq: number, ack: number, withAck: boolean,
  ): void;
  /** A connection finished its handshake passively; hand it to its listener. False if the accept queue is full. */
  passiveEstablished(conn: TcpConnection): boolean;
  /** A buffer for one outbound segment of `size` bytes (header + payload), with headroom for IP and link. */
  allocPacket(size: number): PacketBuffer;
  /** Options record of the segment being processed. */
  readonly rxOptions: TcpOptions;
  /** A congestion controller for a connection whose MSS is now known (the configured algorithm, IW10). */
  newCongestionControl(mss: number): CongestionControl;
  /** Marks entry into the stack (input, timer, API call); notifications wait until the outermost {@link leave}. */
  enter(): void;
  /** Leaves the stack; at the outermost level, delivers queued notifications. */
  leave(): void;
}

/** Notification bits (see TcpConnectionHandler). */
export const Notify = {
  CONNECTED: 1,
  READABLE: 2,
  WRITABLE: 4,
  PEER_FIN: 8,
  CLOSED: 16,
  /** A lingering close finished (delivered even without a handler: see TcpConnection.closeLingering). */
  LINGER: 32,
} as const;
