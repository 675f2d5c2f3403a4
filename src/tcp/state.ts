/** The eleven connection states of RFC 9293 §3.3.2, numbered for fast comparison. */
export enum TcpState {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RECEIVED = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10,
}

/** State names as RFC 9293 writes them (also used in traces). */
export type TcpStateName =
  | 'CLOSED' | 'LISTEN' | 'SYN-SENT' | 'SYN-RECEIVED' | 'ESTABLISHED' | 'FIN-WAIT-1' | 'FIN-WAIT-2'
  | 'CLOSE-WAIT' | 'CLOSING' | 'LAST-ACK' | 'TIME-WAIT';

export const STATE_NAMES: readonly TcpStateName[] = [
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2',
  'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
];

/** The names `ss` prints. */
export const SS_STATE_NAMES: readonly string[] = [
  'CLOSE', 'LISTEN', 'SYN-SENT', 'SYN-RECV', 'ESTAB', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT',
  'CLOSING', 'LAST-ACK', 'TIME-WAIT',
];

/** RFC 9293 "synchronized" states: after the handshake, before CLOSED. */
export function isSynchronized(s: TcpState): boolean {
  return s >= TcpState.ESTABLISHED;
}

/** States in which we may still send data (our FIN not yet queued by the protocol). */
export function canSendData(s: TcpState): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT;
}

/** States in which data from the peer is still accepted (RFC 9293 §3.10.7.4 seventh). */
export function canReceiveData(s: TcpState): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2;
}
