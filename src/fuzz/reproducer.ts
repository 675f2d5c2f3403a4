import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseEthernet, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../link/ethernet.js';
import { encodePcap, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_RAW } from '../link/pcap-format.js';
import { readPcap } from '../link/pcap-reader.js';
import type { Failure } from './failure.js';
import type { RecordedPacket } from './recorder.js';

/**
 * Reproducers on disk: the failing packet sequence as a pcap of raw IP
 * packets (LINKTYPE_RAW, timestamps = the target's clock when each was
 * sent), and beside it `FILE.json` with the seeds and what failed, so that
 * `tsip fuzz --replay FILE` can rebuild the same target and try again.
 */
export interface ReproducerMeta {
  readonly tool: 'tsip fuzz';
  readonly version: 1;
  /** The target kind ('self', 'tun', ...). */
  readonly target: string;
  readonly seed: number;
  readonly targetSeed: number;
  readonly proto: string;
  readonly mode: string;
  readonly failure: Pick<Failure, 'kind' | 'message' | 'packetIndex' | 'atUs'>;
  /** Packets in the reproducer, and recorded before shrinking. */
  readonly packets: number;
  readonly recorded: number;
}

/** The sidecar's path for a reproducer pcap. */
export function metaPath(pcapPath: string): string {
  return `${pcapPath}.json`;
}

/** Writes the pcap and its JSON sidecar. */
export async function writeReproducer(path: string, packets: readonly RecordedPacket[], meta: ReproducerMeta): Promise<void> {
  await writeFile(path, encodePcap(LINKTYPE_RAW, packets.map((p) => ({ timeUs: p.timeUs, data: p.data }))));
  await writeFile(metaPath(path), `${JSON.stringify(meta, null, 2)}\n`);
}

/** A reproducer read back: its packets, and the sidecar when there is one. */
export interface LoadedReproducer {
  packets: RecordedPacket[];
  meta: ReproducerMeta | null;
}

/**
 * The IP packets of a capture: raw-IP captures as they are; Ethernet
 * captures with IPv4/IPv6 frames unwrapped (other frames skipped). Used
 * for reproducers and for `--seeds`.
 */
export async function readIpPackets(path: string): Promise<RecordedPacket[]> {
  const cap = await readPcap(path);
  const out: RecordedPacket[] = [];
  cap.packets.forEach((p, index) => {
    if (cap.linkType === LINKTYPE_RAW || cap.linkType === LINKTYPE_IPV4 || cap.linkType === LINKTYPE_IPV6) {
      out.push({ index, timeUs: p.timeUs, data: p.data });
    } else if (cap.linkType === LINKTYPE_ETHERNET) {
      const f = parseEthernet(p.data);
      if (f.ok && (f.value.ethertype === ETHERTYPE_IPV4 || f.value.ethertype === ETHERTYPE_IPV6)) {
        out.push({ index, timeUs: p.timeUs, data: f.value.payload.slice() });
      }
    }
  });
  if (out.length === 0 && cap.packets.length > 0) {
    throw new Error(`${path}: no IP packets (pcap link type ${cap.linkType})`);
  }
  return out;
}

/** Reads a reproducer pcap and, if present, its sidecar. */
export async function readReproducer(path: string): Promise<LoadedReproducer> {
  const packets = await readIpPackets(path);
  const mp = metaPath(path);
  let meta: ReproducerMeta | null = null;
  if (existsSync(mp)) {
    const parsed: unknown = JSON.parse(await readFile(mp, 'utf8'));
    if (isMeta(parsed)) meta = parsed;
  }
  return { packets, meta };
}

function isMeta(v: unknown): v is ReproducerMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return m.tool === 'tsip fuzz' && typeof m.target === 'string' && typeof m.targetSeed === 'number' && typeof m.failure === 'object';
}
