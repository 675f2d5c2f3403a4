import type { Readable, Writable } from 'node:stream';
import type { IpAddress } from '../../ip/types.js';
import type { UdpDestination, UdpEndpoint } from '../../udp/udp-endpoint.js';

/** Largest UDP payload over IPv4 (65535 − 20 − 8): longer input chunks are split. */
export const MAX_UDP_PAYLOAD = 65507;

/** Options for {@link pipeUdp}. */
export interface UdpPipeOptions {
  /**
   * Where input goes: a fixed peer (client mode, the endpoint is connected
   * to it) or null to reply to whoever sent the last datagram (listen mode;
   * input waits until a first datagram arrives).
   */
  peer: UdpDestination | null;
  /**
   * After input ends, quit once this long has passed without a datagram
   * arriving (ms); negative: never quit on our own (only a signal ends it).
   */
  quitAfterEofMs: number;
  /** A datagram arrived from a new sender (listen mode, for -v). */
  onSender?(from: UdpDestination): void;
}

/** How a {@link pipeUdp} session ended. */
export interface UdpPipeResult {
  readonly error: string | null;
  readonly datagramsIn: number;
  readonly datagramsOut: number;
}

/**
 * netcat -u over a tsip UDP endpoint: each input chunk is sent as one
 * datagram (split at {@link MAX_UDP_PAYLOAD}); each received datagram's
 * payload is written to `output`. While `output` pushes back, datagrams stay
 * in the endpoint's receive queue (and beyond its SO_RCVBUF the stack drops
 * them, as UDP may). A pending ICMP error on a connected endpoint
 * (ECONNREFUSED: nobody listens there) ends the session with that error.
 * `stop` resolves the session early (signals).
 */
export function pipeUdp(
  ep: UdpEndpoint,
  input: Readable,
  output: Writable,
  o: UdpPipeOptions,
): { done: Promise<UdpPipeResult>; stop(): void } {
  let stopFn: () => void = () => undefined;
  const done = new Promise<UdpPipeResult>((resolve) => {
    let target: UdpDestination | null = o.peer;
    let inputEnded = false;
    let outputBlocked = false;
    let drainScheduled = false;
    let finished = false;
    let quitTimer: NodeJS.Timeout | null = null;
    let datagramsIn = 0;
    let datagramsOut = 0;

    const finish = (error: string | null): void => {
      if (finished) return;
      finished = true;
      if (quitTimer !== null) clearTimeout(quitTimer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      output.off('drain', onDrain);
      input.pause();
      ep.listener = null;
      resolve({ error, datagramsIn, datagramsOut });
    };
    stopFn = () => finish(null);

    const armQuit = (): void => {
      if (!inputEnded || o.quitAfterEofMs < 0 || finished) return;
      if (quitTimer !== null) clearTimeout(quitTimer);
      quitTimer = setTimeout(() => finish(null), o.quitAfterEofMs);
    };

    const sendChunk = (chunk: Uint8Array): void => {
      if (target === null) return;
      for (let off = 0; off < chunk.length; off += MAX_UDP_PAYLOAD) {
        const part = chunk.subarray(off, off + MAX_UDP_PAYLOAD);
        const r = o.peer !== null ? ep.send(part) : ep.send(part, target);
        if (r !== 'ok') {
          if (r === 'ECONNREFUSED' && o.peer !== null) finish(r);
          else process.emitWarning(`tsip nc: send: ${r}`);
          return;
        }
        datagramsOut++;
      }
    };

    /** Reads queued datagrams (outside packet processing: the endpoint listener must not re-enter the stack). */
    const drain = (): void => {
      drainScheduled = false;
      while (!finished && !outputBlocked) {
        const d = ep.recv();
        if (d === null) break;
        if (typeof d === 'string') {
          if (o.peer !== null && d === 'ECONNREFUSED') {
            finish(d);
            return;
          }
          continue;
        }
        datagramsIn++;
        if (o.peer === null) {
          const from = { address: d.srcAddress as IpAddress, port: d.srcPort };
          const isNew = target === null || target.port !== from.port || target.address !== from.address;
          target = from;
          if (isNew) {
            o.onSender?.(from);
            if (!inputEnded) input.resume();
          }
        }
        if (!output.write(d.data)) outputBlocked = true;
        armQuit();
      }
    };
    const scheduleDrain = (): void => {
      if (drainScheduled) return;
      drainScheduled = true;
      queueMicrotask(drain);
    };

    const onData = (chunk: Buffer | string): void => sendChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onEnd = (): void => {
      inputEnded = true;
      armQuit();
    };
    const onDrain = (): void => {
      outputBlocked = false;
      scheduleDrain();
    };

    ep.listener = { readable: scheduleDrain, error: scheduleDrain };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    output.on('drain', onDrain);
    // Listen mode: nobody to send to until someone writes to us.
    if (target === null) input.pause();
    scheduleDrain();
  });
  return { done, stop: () => stopFn() };
}
