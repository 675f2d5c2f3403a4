import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parsePcapStream } from 'pcap-parser';
import type { ParseResult } from '../core/result.js';
import {
  decodePcap,
  PCAP_FILE_HEADER_LEN,
  PCAP_RECORD_HEADER_LEN,
  type PcapCapture,
  type PcapPacket,
} from './pcap-format.js';

/**
 * Reading captures back (replay tests, the CLI, comparing runs).
 *
 * Files are read with the `pcap-parser` npm package: the dependency this
 * project chose for reading captures, so that what we write is checked by a
 * parser we did not write. It only knows classic microsecond files (either
 * byte order); for nanosecond files, which it refuses as "unknown magic
 * number", we fall back to our own decoder ({@link decodePcap}), which also
 * serves captures already in memory.
 */

const READ_CHUNK = 1 << 20;

/** Decodes a capture held in memory (never throws; see {@link decodePcap}). */
export function readPcapBytes(bytes: Uint8Array): ParseResult<PcapCapture> {
  return decodePcap(bytes);
}

/**
 * Reads a capture from a file path (through pcap-parser) or from bytes
 * (through our decoder). Rejects with an Error naming the file and the
 * reason when the capture cannot be read. Packet data are copies.
 */
export function readPcap(source: string | Uint8Array): Promise<PcapCapture> {
  if (typeof source !== 'string') {
    const r = decodePcap(source);
    return r.ok ? Promise.resolve(r.value) : Promise.reject(new Error(`pcap: ${r.reason}`));
  }
  return readPcapFile(source);
}

/** Reads a capture file with pcap-parser. See {@link readPcap}. */
export function readPcapFile(path: string): Promise<PcapCapture> {
  return new Promise<PcapCapture>((resolve, reject) => {
    const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
    const parser = parsePcapStream(stream);
    const packets: PcapPacket[] = [];
    let linkType = -1;
    let snaplen = 0;
    let consumed = 0;
    let settled = false;

    parser.on('globalHeader', (h) => {
      linkType = h.linkLayerType & 0xffff;
      snaplen = h.snapshotLength;
      consumed = PCAP_FILE_HEADER_LEN;
    });
    parser.on('packet', (p) => {
      packets.push({
        timeUs: p.header.timestampSeconds * 1_000_000 + p.header.timestampMicroseconds,
        data: new Uint8Array(p.data),
        originalLength: p.header.originalLength,
      });
      consumed += PCAP_RECORD_HEADER_LEN + p.header.capturedLength;
    });
    parser.on('error', (err) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      if (err.message.startsWith('unknown magic number')) {
        // Nanosecond captures (and anything else pcap-parser cannot identify)
        // go through our decoder, which names the reason if it refuses too.
        readFile(path).then(
          (bytes) => {
            const r = decodePcap(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
            if (!r.ok) reject(new Error(`pcap: ${path}: ${r.reason}`));
            else resolve({ ...r.value, packets: r.value.packets.map(copyPacket) });
          },
          (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
        );
        return;
      }
      reject(new Error(`pcap: ${path}: ${err.message}`));
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      if (linkType < 0) {
        reject(new Error(`pcap: ${path}: pcap-truncated-header`));
        return;
      }
      resolve({
        linkType,
        snaplen,
        byteOrder: parser.endianness === 'BE' ? 'big' : 'little',
        precision: 'us',
        packets,
        truncated: stream.bytesRead > consumed,
      });
    });
  });
}

function copyPacket(p: PcapPacket): PcapPacket {
  return { timeUs: p.timeUs, data: p.data.slice(), originalLength: p.originalLength };
}
