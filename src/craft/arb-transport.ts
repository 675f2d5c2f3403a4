/**
 * fast-check arbitraries for TCP and UDP crafts: well-formed option lists
 * and segments, and options whose length octet lies.
 */
import fc from 'fast-check';
import { MAX_WSCALE, OPT_MSS, OPT_SACK, OPT_SACK_PERMITTED, OPT_TIMESTAMP, OPT_WSCALE, type TcpOption } from '../tcp/options.js';
import type { TcpCraft, TcpOptionCraft, UdpCraft } from './transport.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Kinds the codec gives a meaning to (unknown-kind options use other numbers). */
const KNOWN_KINDS = [0, 1, OPT_MSS, OPT_WSCALE, OPT_SACK_PERMITTED, OPT_SACK, OPT_TIMESTAMP];

/** One well-formed TCP option (RFC 9293 §3.2, RFC 7323, RFC 2018), or an unknown kind with a true length. */
export const arbTcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16.map((value): TcpOption => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: MAX_WSCALE }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.record({ val: u32, ecr: u32 }).map(({ val, ecr }): TcpOption => ({ kind: 'ts', val, ecr })),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  fc
    .record({ type: u8.filter((t) => !KNOWN_KINDS.includes(t)), data: fc.uint8Array({ maxLength: 6 }) })
    .map(({ type, data }): TcpOption => ({ kind: 'raw', type, data })),
);

function optionSize(o: TcpOptionCraft): number {
  switch (o.kind) {
    case 'eol':
    case 'nop': return 1;
    case 'mss': return 4;
    case 'wscale': return 3;
    case 'sackOK': return 2;
    case 'ts': return 10;
    case 'sack': return 2 + 8 * o.blocks.length;
    case 'raw': return 2 + o.data.length;
    case 'lie': return 2 + (o.data?.length ?? 0);
  }
}

/** Keeps the longest prefix of `list` that fits the 40 option bytes a TCP header has room for. */
export function fitTcpOptions<T extends TcpOptionCraft>(list: readonly T[]): T[] {
  const out: T[] = [];
  let n = 0;
  for (const o of list) {
    const s = optionSize(o);
    if (n + s > 40) break;
    out.push(o);
    n += s;
  }
  return out;
}

/** A well-formed option list of at most 40 bytes. */
export const arbTcpOptions: fc.Arbitrary<TcpOption[]> = fc.array(arbTcpOption, { maxLength: 6 }).map(fitTcpOptions);

/**
 * An option whose length octet is wrong for the bytes that follow: 0 or 1
 * (would loop a naive parser forever), past the end of the header, or the
 * right kind with the wrong size (MSS of length 3, SACK of length 11...).
 */
export const arbLyingTcpOption: fc.Arbitrary<TcpOptionCraft> = fc
  .record({
    type: fc.oneof(fc.constantFrom(OPT_MSS, OPT_WSCALE, OPT_SACK_PERMITTED, OPT_SACK, OPT_TIMESTAMP), u8.filter((t) => t > 1)),
    data: fc.uint8Array({ maxLength: 10 }),
    length: fc.oneof(fc.constantFrom(0, 1, 2, 3, 11, 40, 41, 255), u8),
  })
  .filter(({ data, length }) => length !== 2 + data.length)
  .map(({ type, data, length }): TcpOptionCraft => ({ kind: 'lie', type, length, data }));

/** Every TCP flag combination, AE included (9 bits). */
export const arbTcpFlags: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0x1ff });

/** A TCP craft with every field in range and well-formed options (ports and addresses left to the caller). */
export function arbTcpCraft(ports: { srcPort?: fc.Arbitrary<number>; dstPort?: fc.Arbitrary<number> } = {}): fc.Arbitrary<TcpCraft> {
  return fc.record({
    srcPort: ports.srcPort ?? u16,
    dstPort: ports.dstPort ?? u16,
    seq: u32,
    ack: u32,
    flags: arbTcpFlags,
    window: u16,
    urgent: u16,
    options: arbTcpOptions,
  });
}

/** A UDP craft (payload supplied separately). */
export function arbUdpCraft(ports: { srcPort?: fc.Arbitrary<number>; dstPort?: fc.Arbitrary<number> } = {}): fc.Arbitrary<UdpCraft> {
  return fc.record({ srcPort: ports.srcPort ?? u16, dstPort: ports.dstPort ?? u16 });
}
