/**
 * Types for `pcap-parser` 0.2 (an untyped CommonJS package): a stream parser
 * of classic libpcap files (version 2.4, either byte order, microsecond
 * timestamps only). Only what src/link/pcap-reader.ts uses is declared.
 */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  /** The file header, in the file's byte order. */
  export interface PcapGlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  /** A record header. */
  export interface PcapPacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  /** A record: its header and its captured bytes (a slice of the parser's buffer). */
  export interface PcapParserPacket {
    header: PcapPacketHeader;
    data: Buffer;
  }

  /** The parser: an EventEmitter over a readable stream, started on the next tick. */
  export interface PcapParser extends EventEmitter {
    /** Byte order detected from the magic number, once the file header is parsed. */
    endianness: 'BE' | 'LE' | null;
    on(event: 'globalHeader', listener: (header: PcapGlobalHeader) => void): this;
    on(event: 'packetHeader', listener: (header: PcapPacketHeader) => void): this;
    on(event: 'packetData', listener: (data: Buffer) => void): this;
    on(event: 'packet', listener: (packet: PcapParserPacket) => void): this;
    /** Emitted after the stream ends, and also right after an 'error' about the file format. */
    on(event: 'end', listener: () => void): this;
    /** Stream errors and format errors ("unknown magic number: …", "unsupported version …"). */
    on(event: 'error', listener: (err: Error) => void): this;
  }

  /** Parses a file (by path, through fs.createReadStream) or a readable stream. */
  export function parse(input: string | Readable): PcapParser;
}
