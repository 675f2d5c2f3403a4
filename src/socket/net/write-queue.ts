import type { TcpConnection } from '../../tcp/connection.js';
import { nodeError } from './errors.js';

/** A Writable's write callback. */
export type WriteCallback = (error?: Error | null) => void;

/** A write handed to TCP in pieces as send-buffer room frees up. */
interface PendingWrite {
  parts: Uint8Array[];
  /** False when the bytes belong to the caller: those are copied before TCP keeps them. */
  owned: boolean[];
  index: number;
  offset: number;
  /** Bytes of this write TCP has taken so far. */
  accepted: number;
  cb: WriteCallback;
}

/**
 * The one write a stream has in progress (`_write`/`_writev`), fed to a
 * TCP connection as far as its send buffer has room; the stream's callback
 * runs once TCP has taken every byte, which is what makes `write()` return
 * false and `'drain'` wait while the send buffer is full.
 *
 * TCP keeps what it takes by reference until acknowledged (for
 * retransmission), but Node lets a caller reuse a Buffer as soon as its
 * write callback ran: caller-owned bytes are therefore copied as TCP takes
 * them, while strings, encoded here into fresh Buffers, are handed over as
 * they are.
 */
export class TcpWriteQueue {
  #out: PendingWrite | null = null;
  /** Bytes TCP has taken over the connection's life. */
  dispatched = 0;

  /** True while a write waits for TCP to take (the rest of) it. */
  get pending(): boolean {
    return this.#out !== null;
  }

  /** Bytes of the pending write TCP already took (they are in {@link dispatched} too). */
  get acceptedOfPending(): number {
    return this.#out?.accepted ?? 0;
  }

  /** Starts a write of `chunks`; false (after failing `cb`) when a chunk has a type no stream accepts. */
  start(chunks: ReadonlyArray<{ chunk: unknown; encoding: BufferEncoding }>, cb: WriteCallback): boolean {
    const parts: Uint8Array[] = [];
    const owned: boolean[] = [];
    for (const { chunk, encoding } of chunks) {
      if (typeof chunk === 'string') {
        parts.push(Buffer.from(chunk, encoding));
        owned.push(true);
      } else if (chunk instanceof Uint8Array) {
        parts.push(chunk);
        owned.push(false);
      } else {
        cb(nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array'));
        return false;
      }
    }
    this.#out = { parts, owned, index: 0, offset: 0, accepted: 0, cb };
    return true;
  }

  /**
   * Hands the pending write to `c` as far as its send buffer has room.
   * Completes the write (its callback) once all is taken, or fails it with
   * the connection's error (EPIPE, ECONNRESET…). Returns the bytes taken now.
   */
  flush(c: TcpConnection): number {
    const w = this.#out;
    if (w === null) return 0;
    let moved = 0;
    try {
      while (w.index < w.parts.length) {
        const part = w.parts[w.index]!;
        const rest = part.length - w.offset;
        if (rest === 0) {
          w.index++;
          w.offset = 0;
          continue;
        }
        const room = c.writableLength;
        if (room === 0) {
          // Takes nothing, but arms onWritable (and throws if the connection is gone).
          c.write(part.subarray(w.offset));
          return moved;
        }
        const n = Math.min(room, rest);
        const slice = part.subarray(w.offset, w.offset + n);
        const k = c.write(w.owned[w.index] ? slice : new Uint8Array(slice));
        w.offset += k;
        w.accepted += k;
        this.dispatched += k;
        moved += k;
        if (k < n) return moved;
      }
    } catch (e) {
      this.#out = null;
      w.cb(e instanceof Error ? e : new Error(String(e)));
      return moved;
    }
    this.#out = null;
    w.cb();
    return moved;
  }

  /** Forgets the pending write and returns its callback (the caller decides how it fails), or null. */
  take(): WriteCallback | null {
    const w = this.#out;
    this.#out = null;
    return w === null ? null : w.cb;
  }
}
