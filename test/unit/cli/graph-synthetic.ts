/**
 * Hand-built TCP exchanges for the graph analysis tests: frames built with
 * the stack's codecs, so each expected point of the graph can be worked out
 * by hand from the segments below.
 */
import { capturePackets } from '../../../src/cli/graph/analysis.js';
import type { TcpPacketInfo } from '../../../src/cli/graph/segments.js';
import { encodePcap, LINKTYPE_RAW, type PcapCapture } from '../../../src/link/pcap-format.js';
import { readPcapBytes } from '../../../src/link/pcap-reader.js';
import { ACK, FIN, PSH, SYN, type TcpSpec } from '../../../src/tcp/header.js';
import { encodeTcpOptionList, type TcpOption } from '../../../src/tcp/options.js';
import { A, B, tcp4 } from './samples.js';

/** A frame A → B (`up`) or B → A at `ms` milliseconds. */
export interface Step {
  ms: number;
  up: boolean;
  spec: TcpSpec;
}

function options(list: TcpOption[]): Uint8Array {
  return encodeTcpOptionList(list);
}

function sack(blocks: Array<[number, number]>): Uint8Array {
  return options([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: blocks.map(([s, e]) => [s >>> 0, e >>> 0] as [number, number]) }]);
}

/** The TCP segments of the steps, as the graph analysis reads them. */
export function packetsOf(steps: Step[]): TcpPacketInfo[] {
  return capturePackets(captureOf(steps));
}

/** A capture of the steps (raw IP, µs times). */
export function captureOf(steps: Step[]): PcapCapture {
  const bytes = encodePcap(
    LINKTYPE_RAW,
    steps.map((s) => ({
      timeUs: 1_700_000_000_000_000 + s.ms * 1000,
      data: tcp4({ ...s.spec, seq: (s.spec.seq ?? 0) >>> 0, ack: (s.spec.ack ?? 0) >>> 0 }, s.up ? {} : { src: B, dst: A }),
    })),
  );
  const r = readPcapBytes(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** Client ISN close to 2^32, so the data wraps the sequence space. */
export const I = 0xffffff00;
export const J = 0x10000;

const c = (p: Partial<TcpSpec>): TcpSpec => ({ srcPort: 40000, dstPort: 80, ...p });
const s = (p: Partial<TcpSpec>): TcpSpec => ({ srcPort: 80, dstPort: 40000, ...p });
const payload = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

export const synthetic = {
  /**
   * A → B:80 with window scaling (A shifts 7, B shifts 2) and SACK: three
   * segments across the 2^32 wrap, one lost and resent, a zero window
   * probed both ways (Linux's bare ACK below SND.UNA, then a classic byte),
   * a D-SACK, the window reopening, the FIN.
   */
  exchange(): Step[] {
    return [
      { ms: 0, up: true, spec: c({ seq: I, flags: SYN, window: 64240, options: options([{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }]) }) },
      { ms: 10, up: false, spec: s({ seq: J, ack: I + 1, flags: SYN | ACK, window: 1000, options: options([{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'wscale', shift: 2 }]) }) },
      { ms: 11, up: true, spec: c({ seq: I + 1, ack: J + 1, flags: ACK, window: 500 }) },
      { ms: 20, up: true, spec: c({ seq: I + 1, ack: J + 1, flags: ACK, window: 500, payload: payload(100) }) },
      { ms: 21, up: true, spec: c({ seq: I + 101, ack: J + 1, flags: ACK, window: 500, payload: payload(100) }) },
      { ms: 22, up: true, spec: c({ seq: I + 201, ack: J + 1, flags: PSH | ACK, window: 500, payload: payload(100) }) },
      { ms: 30, up: false, spec: s({ seq: J + 1, ack: I + 101, flags: ACK, window: 250, options: sack([[I + 201, I + 301]]) }) },
      { ms: 31, up: true, spec: c({ seq: I + 101, ack: J + 1, flags: ACK, window: 500, payload: payload(100) }) },
      { ms: 40, up: false, spec: s({ seq: J + 1, ack: I + 301, flags: ACK, window: 0 }) },
      { ms: 50, up: true, spec: c({ seq: I + 300, ack: J + 1, flags: ACK, window: 500 }) },
      { ms: 60, up: true, spec: c({ seq: I + 301, ack: J + 1, flags: ACK, window: 500, payload: payload(1) }) },
      { ms: 70, up: false, spec: s({ seq: J + 1, ack: I + 301, flags: ACK, window: 0, options: sack([[I + 101, I + 201]]) }) },
      { ms: 80, up: false, spec: s({ seq: J + 1, ack: I + 301, flags: ACK, window: 100 }) },
      { ms: 81, up: true, spec: c({ seq: I + 301, ack: J + 1, flags: PSH | ACK, window: 500, payload: payload(100) }) },
      { ms: 90, up: false, spec: s({ seq: J + 1, ack: I + 401, flags: ACK, window: 100 }) },
      { ms: 95, up: true, spec: c({ seq: I + 401, ack: J + 1, flags: FIN | ACK, window: 500 }) },
      { ms: 100, up: false, spec: s({ seq: J + 1, ack: I + 402, flags: ACK, window: 100 }) },
    ];
  },

  /**
   * Three connections: A:40000 → B:80 where B sends more, the same 4-tuple
   * opened again with another ISN where A sends more, and A:40001 with a
   * handshake only.
   */
  reuse(): Step[] {
    return [
      { ms: 0, up: true, spec: c({ seq: 100, flags: SYN, window: 1000 }) },
      { ms: 1, up: false, spec: s({ seq: 900, ack: 101, flags: SYN | ACK, window: 1000 }) },
      { ms: 2, up: true, spec: c({ seq: 101, ack: 901, flags: PSH | ACK, window: 1000, payload: payload(200) }) },
      { ms: 3, up: false, spec: s({ seq: 901, ack: 301, flags: PSH | ACK, window: 1000, payload: payload(3000) }) },
      { ms: 4, up: true, spec: c({ seq: 301, ack: 3901, flags: FIN | ACK, window: 1000 }) },
      { ms: 5, up: false, spec: s({ seq: 3901, ack: 302, flags: FIN | ACK, window: 1000 }) },
      { ms: 6, up: true, spec: c({ seq: 302, ack: 3902, flags: ACK, window: 1000 }) },
      { ms: 7, up: true, spec: { srcPort: 40001, dstPort: 80, seq: 7, flags: SYN, window: 1000 } },
      { ms: 8, up: false, spec: { srcPort: 80, dstPort: 40001, seq: 70, ack: 8, flags: SYN | ACK, window: 1000 } },
      { ms: 9, up: true, spec: c({ seq: 5000, flags: SYN, window: 1000 }) },
      { ms: 10, up: false, spec: s({ seq: 6000, ack: 5001, flags: SYN | ACK, window: 1000 }) },
      { ms: 11, up: true, spec: c({ seq: 5001, ack: 6001, flags: PSH | ACK, window: 1000, payload: payload(500) }) },
    ];
  },

  /** Data A → B without the handshake (the capture started late): no ISN, no window scale. */
  midstream(): Step[] {
    return [
      { ms: 0, up: false, spec: s({ seq: 50, ack: 7000, flags: ACK, window: 300 }) },
      { ms: 1, up: true, spec: c({ seq: 7000, ack: 50, flags: ACK, window: 300, payload: payload(10) }) },
      { ms: 2, up: false, spec: s({ seq: 50, ack: 7010, flags: ACK, window: 300 }) },
    ];
  },
};
