import type { Readable, Writable } from 'node:stream';
import { SocketError } from '../../core/errno.js';
import type { TcpConnection } from '../../tcp/connection.js';

/** Largest read from the connection per stdout write. */
const READ_CHUNK = 65536;

/** Options for {@link pipeTcp}. */
export interface PipeOptions {
  /** Runs when an active open completes. */
  onConnected?: () => void;
  /** Aborts the session (the connection is reset). */
  signal?: AbortSignal;
}

/** How a {@link pipeTcp} session ended. */
export interface PipeResult {
  /** null: both directions finished cleanly; else the errno name (ECONNRESET...) or a message. */
  readonly error: string | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * Joins a TCP connection to a pair of streams, as netcat does: `input` is
 * written to the connection and its end becomes our FIN (half-close); what
 * the connection delivers is written to `output`. Resolves when both
 * directions are done — input ended and our FIN sent, the peer's FIN read
 * and its bytes flushed to `output`, and the connection closed (TIME-WAIT or
 * CLOSED) — or when the connection fails.
 *
 * Backpressure both ways, so memory stays bounded whatever the speeds:
 * - input is paused while the connection's send buffer is full (write()
 *   accepted less than offered) and resumed by onWritable;
 * - the connection is not read while `output` reports a full buffer
 *   (write() returned false) until 'drain'; the unread bytes stay in TCP's
 *   receive buffer, whose shrinking window slows the peer.
 *
 * For an active open still in SYN-SENT, input is only read once the
 * handshake completes (then `onConnected` runs). `signal` ends the session
 * at once, aborting the connection (RST), with error 'aborted'.
 */
export function pipeTcp(c: TcpConnection, input: Readable, output: Writable, o: PipeOptions = {}): Promise<PipeResult> {
  const { onConnected, signal } = o;
  return new Promise((resolve) => {
    /** Input chunks not yet accepted by the connection (at most one or two: input pauses). */
    const queue: Uint8Array[] = [];
    let inputEnded = false;
    let finSent = false;
    let readDone = false;
    let closed = false;
    let outputBlocked = false;
    let finished = false;
    let bytesIn = 0;
    let bytesOut = 0;
    let isConnected = c.stateName !== 'SYN-SENT';

    const finish = (error: string | null): void => {
      if (finished) return;
      finished = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onInputError);
      output.off('drain', onDrain);
      output.off('error', onOutputError);
      input.pause();
      signal?.removeEventListener('abort', onAbort);
      c.setHandler(null);
      if (error !== null && !closed) c.abort();
      resolve({ error, bytesIn, bytesOut });
    };

    const checkDone = (): void => {
      if (readDone && finSent && closed) finish(c.error);
    };

    /** Hands queued input to TCP; pauses input when TCP takes less than offered. */
    const flushInput = (): void => {
      if (!isConnected || finished) return;
      try {
        while (queue.length > 0) {
          const head = queue[0]!;
          const n = c.write(head);
          bytesOut += n;
          if (n < head.length) {
            queue[0] = head.subarray(n);
            input.pause();
            return; // onWritable brings us back
          }
          queue.shift();
        }
        if (inputEnded) {
          if (!finSent) {
            finSent = true;
            c.shutdown('write');
          }
          checkDone();
        } else input.resume();
      } catch (e) {
        finish(e instanceof SocketError ? e.code : String(e));
      }
    };

    /** Copies received bytes to output until it pushes back or TCP has no more. */
    const drainConnection = (): void => {
      if (finished) return;
      while (!outputBlocked) {
        const d = c.read(READ_CHUNK);
        if (d.length === 0) break;
        bytesIn += d.length;
        // RecvBuffer hands out views of blocks it never reuses, so no copy is needed here.
        if (!output.write(d)) outputBlocked = true;
      }
      if (!outputBlocked && !readDone && c.readEnded) {
        readDone = true;
        checkDone();
      }
    };

    const onData = (chunk: Buffer | string): void => {
      queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      flushInput();
    };
    const onEnd = (): void => {
      inputEnded = true;
      flushInput();
    };
    const onInputError = (e: Error): void => {
      // Treat a broken input like its end: what was read goes out, then FIN.
      process.emitWarning(`tsip nc: input: ${e.message}`);
      onEnd();
    };
    const onDrain = (): void => {
      outputBlocked = false;
      drainConnection();
    };
    const onOutputError = (e: Error): void => finish(`output: ${e.message}`);
    const onAbort = (): void => finish('aborted');

    c.setHandler({
      onConnected: () => {
        isConnected = true;
        onConnected?.();
        flushInput();
      },
      onWritable: flushInput,
      onReadable: drainConnection,
      onPeerFin: drainConnection,
      onClosed: (_c, err) => {
        closed = true;
        if (err !== null) {
          finish(err);
          return;
        }
        drainConnection();
        checkDone();
      },
    });
    if (signal?.aborted === true) {
      finish('aborted');
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onInputError);
    output.on('drain', onDrain);
    output.on('error', onOutputError);
    if (!isConnected) input.pause();
    if (c.stateName === 'CLOSED') {
      // Closed before we got here (an accepted connection the peer already reset, or a failed connect).
      closed = true;
      if (c.error !== null) {
        finish(c.error);
        return;
      }
    }
    drainConnection();
    flushInput();
  });
}
