import { closeSync, openSync, writeSync } from 'node:fs';
import { concatBytes } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import type { LinkType } from './link.js';
import {
  encodePcapFileHeader,
  linkTypeFromPcap,
  PCAP_RECORD_HEADER_LEN,
  PCAP_SNAPLEN,
  pcapLinkTypeFor,
  writePcapRecordHeader,
} from './pcap-format.js';

/** Options for {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** Timestamps come from here (µs → seconds + microseconds). */
  clock: Clock;
  /** A link type, or a raw pcap LINKTYPE number. */
  linkType: LinkType | number;
  /** Write to this file (created or truncated). Without it the capture stays in memory, see {@link PcapWriter.toBytes}. */
  path?: string;
  /** Bytes kept per packet (default 262144). */
  snaplen?: number;
  /**
   * Added to every clock time before writing (default 0). Clocks count from
   * an arbitrary origin; to get wall-clock timestamps pass
   * `Date.now() * 1000 - clock.now()` (the caller reads the wall clock, the stack never does).
   */
  timeOffsetUs?: number;
  /** Buffer this many bytes before writing to the file (default 64 KiB; 0 writes every record at once). */
  bufferBytes?: number;
}

const DEFAULT_BUFFER = 64 * 1024;

/**
 * Writes a classic pcap capture, to a file or to memory.
 *
 * Records are copied into one reusable chunk, so the caller's frame may be
 * reused right after {@link write} returns. File output goes out with
 * synchronous writes when the chunk fills, on {@link flush} and on
 * {@link close}: call one of them before reading the file.
 */
export class PcapWriter {
  /** The LINKTYPE in the file header. */
  readonly pcapLinkType: number;
  readonly snaplen: number;
  private readonly clock: Clock;
  private readonly timeOffsetUs: number;
  private fd: number | null;
  private readonly inMemory: boolean;
  private readonly done: Uint8Array[] = [];
  private chunk: Uint8Array;
  private used = 0;
  private packets = 0;
  private closed = false;

  constructor(options: PcapWriterOptions) {
    this.clock = options.clock;
    this.pcapLinkType =
      typeof options.linkType === 'number' ? options.linkType : pcapLinkTypeFor(options.linkType);
    this.snaplen = options.snaplen ?? PCAP_SNAPLEN;
    this.timeOffsetUs = options.timeOffsetUs ?? 0;
    this.chunk = new Uint8Array(Math.max(options.bufferBytes ?? DEFAULT_BUFFER, 0));
    const header = encodePcapFileHeader(this.pcapLinkType, this.snaplen);
    if (options.path !== undefined) {
      this.inMemory = false;
      this.fd = openSync(options.path, 'w');
      writeSync(this.fd, header);
    } else {
      this.inMemory = true;
      this.fd = null;
      this.done.push(header);
    }
  }

  /** The link type written, when it is one of ours. */
  get linkType(): LinkType | undefined {
    return linkTypeFromPcap(this.pcapLinkType);
  }

  /** Records written so far. */
  get packetCount(): number {
    return this.packets;
  }

  /** Appends one packet stamped `timeUs` (default: the clock's now). Ignored after close. */
  write(frame: Uint8Array, timeUs: number = this.clock.now()): void {
    if (this.closed) return;
    const cap = frame.length < this.snaplen ? frame.length : this.snaplen;
    const need = PCAP_RECORD_HEADER_LEN + cap;
    if (this.used + need > this.chunk.length) {
      this.spill();
      if (need > this.chunk.length) {
        // Bigger than the whole buffer: emit it on its own.
        const rec = new Uint8Array(need);
        this.fill(rec, 0, frame, cap, timeUs);
        this.emit(rec);
        this.packets++;
        return;
      }
    }
    this.fill(this.chunk, this.used, frame, cap, timeUs);
    this.used += need;
    this.packets++;
  }

  /** Writes buffered records to the file (a no-op in memory). */
  flush(): void {
    if (!this.inMemory) this.spill();
  }

  /** Flushes and closes the file. The in-memory capture stays readable. */
  close(): void {
    if (this.closed) return;
    this.spill();
    this.closed = true;
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /** The whole capture (header included) of an in-memory writer. */
  toBytes(): Uint8Array {
    if (!this.inMemory) throw new Error('PcapWriter.toBytes: this writer writes to a file');
    this.spill();
    return concatBytes(this.done);
  }

  private fill(out: Uint8Array, o: number, frame: Uint8Array, cap: number, timeUs: number): void {
    writePcapRecordHeader(out, o, timeUs + this.timeOffsetUs, cap, frame.length);
    out.set(cap === frame.length ? frame : frame.subarray(0, cap), o + PCAP_RECORD_HEADER_LEN);
  }

  private spill(): void {
    if (this.used === 0) return;
    if (this.inMemory) {
      this.done.push(this.chunk.slice(0, this.used));
    } else {
      this.emit(this.chunk.subarray(0, this.used));
    }
    this.used = 0;
  }

  private emit(bytes: Uint8Array): void {
    if (this.inMemory) {
      this.done.push(bytes);
      return;
    }
    if (this.fd === null) return;
    let o = 0;
    while (o < bytes.length) o += writeSync(this.fd, bytes, o, bytes.length - o);
  }
}
