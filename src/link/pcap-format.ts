import { concatBytes } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';
import type { LinkType } from './link.js';

/**
 * The classic libpcap capture file format (draft-ietf-opsawg-pcap), as
 * tcpdump, tshark and Wireshark read it.
 *
 * File header (24 bytes), in the writer's byte order:
 * ```
 *  0                   1                   2                   3
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |         Magic Number          | Major Version | Minor Version |  0
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |      Reserved1 (thiszone)     |     Reserved2 (sigfigs)       |  8
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |            SnapLen            |   LinkType (lower 16 bits)    | 16
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * ```
 * Then, per packet, a 16-byte record header followed by the captured bytes:
 * ```
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |     Timestamp (seconds)       | Timestamp (µs, or ns)         |  0
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |   Captured Packet Length      |   Original Packet Length      |  8
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * ```
 * We write little-endian, microsecond files, version 2.4; we read either
 * byte order and either timestamp precision (magic 0xa1b2c3d4 for µs,
 * 0xa1b23c4d for ns, seen byte-swapped when the writer's order differs).
 */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
/** The first four bytes of a pcapng file (Section Header Block type), to say so when refusing one. */
const PCAPNG_MAGIC = 0x0a0d0d0a;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
/** Snap length we write: what libpcap/tcpdump use by default (MAXIMUM_SNAPLEN). */
export const PCAP_SNAPLEN = 262144;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames (a TAP link). */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW: raw IPv4 or IPv6, told apart by the version nibble (a TUN link). */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_IPV4 / LINKTYPE_IPV6: raw IP of one version only (read, never written). */
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
/** DLT_RAW as some BSDs number it in files (12, 14): also raw IP (read only). */
const DLT_RAW_BSD = 12;
const DLT_RAW_OPENBSD = 14;

const F_MAGIC = 0;
const F_VERSION_MAJOR = 4;
const F_VERSION_MINOR = 6;
const F_THISZONE = 8;
const F_SIGFIGS = 12;
const F_SNAPLEN = 16;
const F_LINKTYPE = 20;

const R_TS_SEC = 0;
const R_TS_FRAC = 4;
const R_CAPLEN = 8;
const R_ORIGLEN = 12;

/** The pcap LINKTYPE for frames of a link. */
export function pcapLinkTypeFor(linkType: LinkType): number {
  return linkType === 'ethernet' ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
}

/** What a pcap LINKTYPE carries in our terms, or undefined if we cannot replay it. */
export function linkTypeFromPcap(pcapLinkType: number): LinkType | undefined {
  switch (pcapLinkType) {
    case LINKTYPE_ETHERNET:
      return 'ethernet';
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
      return 'ip';
    default:
      return undefined;
  }
}

/** One captured packet. */
export interface PcapPacket {
  /** Capture time in µs since the epoch of the file (nanosecond files are truncated to µs). */
  readonly timeUs: number;
  /** The captured bytes (a view into the file's bytes when decoded, not a copy). */
  readonly data: Uint8Array;
  /** Length of the packet on the wire (≥ data.length when the capture was snapped). */
  readonly originalLength: number;
}

/** A decoded capture file. */
export interface PcapCapture {
  /** The LINKTYPE field (see {@link linkTypeFromPcap}). */
  readonly linkType: number;
  readonly snaplen: number;
  readonly byteOrder: 'little' | 'big';
  readonly precision: 'us' | 'ns';
  readonly packets: PcapPacket[];
  /** True when the file ends inside a record (that partial record is left out), as when a capture is cut short. */
  readonly truncated: boolean;
}

function writeU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function writeU16LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

/** The 24-byte file header (little-endian, µs timestamps, version 2.4). */
export function encodePcapFileHeader(pcapLinkType: number, snaplen: number = PCAP_SNAPLEN): Uint8Array {
  const b = new Uint8Array(PCAP_FILE_HEADER_LEN);
  writeU32LE(b, F_MAGIC, PCAP_MAGIC_MICROS);
  writeU16LE(b, F_VERSION_MAJOR, PCAP_VERSION_MAJOR);
  writeU16LE(b, F_VERSION_MINOR, PCAP_VERSION_MINOR);
  writeU32LE(b, F_THISZONE, 0); // always 0: timestamps are UTC
  writeU32LE(b, F_SIGFIGS, 0); // always 0 in practice
  writeU32LE(b, F_SNAPLEN, snaplen);
  writeU32LE(b, F_LINKTYPE, pcapLinkType);
  return b;
}

/**
 * Writes a 16-byte record header at `o` in `out`. `timeUs` is split into
 * whole seconds and microseconds (negative times are clamped to 0).
 */
export function writePcapRecordHeader(
  out: Uint8Array,
  o: number,
  timeUs: number,
  capturedLength: number,
  originalLength: number,
): void {
  const t = timeUs > 0 ? Math.floor(timeUs) : 0;
  const sec = Math.floor(t / 1_000_000);
  writeU32LE(out, o + R_TS_SEC, sec);
  writeU32LE(out, o + R_TS_FRAC, t - sec * 1_000_000);
  writeU32LE(out, o + R_CAPLEN, capturedLength);
  writeU32LE(out, o + R_ORIGLEN, originalLength);
}

/** A record (header + data), keeping at most `snaplen` bytes of `data`. */
export function encodePcapRecord(
  timeUs: number,
  data: Uint8Array,
  snaplen: number = PCAP_SNAPLEN,
  originalLength: number = data.length,
): Uint8Array {
  const cap = Math.min(data.length, snaplen);
  const b = new Uint8Array(PCAP_RECORD_HEADER_LEN + cap);
  writePcapRecordHeader(b, 0, timeUs, cap, originalLength);
  b.set(cap === data.length ? data : data.subarray(0, cap), PCAP_RECORD_HEADER_LEN);
  return b;
}

/** A whole capture file in memory. */
export function encodePcap(
  pcapLinkType: number,
  packets: readonly { timeUs: number; data: Uint8Array; originalLength?: number }[],
  snaplen: number = PCAP_SNAPLEN,
): Uint8Array {
  const parts = [encodePcapFileHeader(pcapLinkType, snaplen)];
  for (const p of packets) parts.push(encodePcapRecord(p.timeUs, p.data, snaplen, p.originalLength ?? p.data.length));
  return concatBytes(parts);
}

/**
 * Decodes a capture file held in memory. Never throws: garbage gives a
 * reason (`pcap-truncated-header`, `pcap-is-pcapng`, `pcap-bad-magic`,
 * `pcap-bad-version`, `pcap-bad-caplen`). A file that stops inside a record
 * decodes to the complete records with `truncated: true`, as tshark reads
 * a capture that was cut short. Packet data are views into `bytes`.
 */
export function decodePcap(bytes: Uint8Array): ParseResult<PcapCapture> {
  if (bytes.length < PCAP_FILE_HEADER_LEN) return fail('pcap-truncated-header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = view.getUint32(F_MAGIC, true);
  let little: boolean;
  let precision: 'us' | 'ns';
  if (magicLE === PCAP_MAGIC_MICROS || magicLE === PCAP_MAGIC_NANOS) {
    little = true;
    precision = magicLE === PCAP_MAGIC_NANOS ? 'ns' : 'us';
  } else {
    const magicBE = view.getUint32(F_MAGIC, false);
    if (magicBE === PCAP_MAGIC_MICROS || magicBE === PCAP_MAGIC_NANOS) {
      little = false;
      precision = magicBE === PCAP_MAGIC_NANOS ? 'ns' : 'us';
    } else {
      return fail(magicBE === PCAPNG_MAGIC ? 'pcap-is-pcapng' : 'pcap-bad-magic');
    }
  }
  if (view.getUint16(F_VERSION_MAJOR, little) !== PCAP_VERSION_MAJOR) return fail('pcap-bad-version');
  const snaplen = view.getUint32(F_SNAPLEN, little);
  // The upper bits may carry FCS information; the LINKTYPE is the lower 16.
  const linkType = view.getUint32(F_LINKTYPE, little) & 0xffff;
  // Like Wireshark, refuse records larger than any sane capture could hold
  // (they mean a corrupt file, and trusting them would misread the rest).
  const maxCaplen = Math.max(snaplen, PCAP_SNAPLEN);
  const fracPerUs = precision === 'ns' ? 1000 : 1;
  const packets: PcapPacket[] = [];
  let o = PCAP_FILE_HEADER_LEN;
  let truncated = false;
  while (o < bytes.length) {
    if (o + PCAP_RECORD_HEADER_LEN > bytes.length) {
      truncated = true;
      break;
    }
    const sec = view.getUint32(o + R_TS_SEC, little);
    const frac = view.getUint32(o + R_TS_FRAC, little);
    const caplen = view.getUint32(o + R_CAPLEN, little);
    const origlen = view.getUint32(o + R_ORIGLEN, little);
    if (caplen > maxCaplen) return fail('pcap-bad-caplen');
    const start = o + PCAP_RECORD_HEADER_LEN;
    if (start + caplen > bytes.length) {
      truncated = true;
      break;
    }
    packets.push({
      timeUs: sec * 1_000_000 + Math.floor(frac / fracPerUs),
      data: bytes.subarray(start, start + caplen),
      originalLength: origlen,
    });
    o = start + caplen;
  }
  return {
    ok: true,
    value: { linkType, snaplen, byteOrder: little ? 'little' : 'big', precision, packets, truncated },
  };
}
