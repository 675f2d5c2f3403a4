import { writeIPv4, type IPv4Address } from '../core/address.js';
import { writeU16, writeU32 } from '../core/bytes.js';
import { finishChecksum, sumBytes } from '../ip/checksum.js';
import type { AddressPlan } from './addresses.js';
import type { Dice } from './dice.js';
import { PacketPool } from './packet-pool.js';

/**
 * What every packet writer of the generator shares: the dice, the address
 * plan, and the scratch buffer packets are written into (copied out once
 * finished). Also the small helpers for addresses and IP headers.
 */
export class GenContext {
  /** Scratch for one packet; longer than any MTU the fuzzer uses plus mutation growth. */
  readonly buf = new Uint8Array(4096);
  /** Where finished packets are copied to. */
  readonly pool = new PacketPool();
  private readonly v6Others: readonly Uint8Array[];

  constructor(
    readonly dice: Dice,
    readonly plan: AddressPlan,
  ) {
    const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
    const others = [
      hex('20010db8000000000000000000000003'),
      hex('20010db8000000000000000000000000'),
      hex('fe800000000000000000000000000002'),
      hex('ff020000000000000000000000000001'),
      hex('ff0200000000000000000001ff000001'), // solicited-node of ::1
    ];
    if (!plan.restricted) others.push(hex('00000000000000000000000000000000'), hex('00000000000000000000000000000001'));
    this.v6Others = Object.freeze(others);
  }

  /** A source: mostly the fuzzer's address, sometimes another one of the plan, rarely (unrestricted) any. */
  src4(): IPv4Address {
    const d = this.dice;
    if (d.chance(85)) return this.plan.fuzzer4;
    if (!this.plan.restricted && d.chance(30)) return d.u32();
    return d.pick(this.plan.others4);
  }

  /** A destination: mostly the target, else another address of the plan (broadcast, multicast...) or any. */
  dst4(): IPv4Address {
    const d = this.dice;
    if (d.chance(88)) return this.plan.target4;
    if (!this.plan.restricted && d.chance(30)) return d.u32();
    return d.pick(this.plan.others4);
  }

  /** Writes an IPv6 source (mostly the fuzzer's) at `b[o..o+16)`. */
  src6(b: Uint8Array, o: number): void {
    b.set(this.dice.chance(85) ? this.plan.fuzzer6 : this.dice.pick(this.v6Others), o);
  }

  /** Writes an IPv6 destination (mostly the target's) at `b[o..o+16)`. */
  dst6(b: Uint8Array, o: number): void {
    b.set(this.dice.chance(88) ? this.plan.target6 : this.dice.pick(this.v6Others), o);
  }

  /**
   * Writes a 20-byte IPv4 header at 0 for `l4Len` bytes of payload, with
   * plausible random fields (TOS, ID, DF, TTL).
   */
  ipv4Header(src: IPv4Address, dst: IPv4Address, protocol: number, l4Len: number): void {
    const d = this.dice;
    const b = this.buf;
    // Written field by field (RFC 791 §3.1): this runs for most generated packets.
    b[0] = 0x45;
    b[1] = d.chance(90) ? 0 : d.below(256);
    writeU16(b, 2, 20 + l4Len);
    writeU16(b, 4, d.below(0x10000));
    writeU16(b, 6, d.chance(50) ? 0x4000 : 0);
    b[8] = d.chance(80) ? 64 : d.below(256);
    b[9] = protocol;
    writeU16(b, 10, 0);
    writeIPv4(b, 12, src);
    writeIPv4(b, 16, dst);
    writeU16(b, 10, finishChecksum(sumBytes(b, 0, 20)));
  }

  /** Writes an IPv6 fixed header at 0 (addresses from the plan) for `payloadLen` bytes after it. */
  ipv6Header(nextHeader: number, payloadLen: number, hopLimit = 64): void {
    const b = this.buf;
    const d = this.dice;
    writeU32(b, 0, (0x60000000 | (d.chance(90) ? 0 : d.below(0x10000000))) >>> 0);
    writeU16(b, 4, payloadLen);
    b[6] = nextHeader;
    b[7] = hopLimit;
    this.src6(b, 8);
    this.dst6(b, 24);
  }

  /**
   * Fills the transport checksum at `b[co..co+2)` for the segment
   * `b[start..end)` under the IPv4 or IPv6 pseudo-header of the header at 0
   * (`pseudo` false for ICMPv4, which has none).
   */
  transportChecksum(start: number, end: number, co: number, protocol: number, pseudo: boolean): void {
    const b = this.buf;
    writeU16(b, co, 0);
    let sum = 0;
    const n = end - start;
    if (pseudo) {
      if (b[0]! >>> 4 === 6) sum = sumBytes(b, 8, 40) + (n >>> 16) + (n & 0xffff) + protocol;
      else sum = sumBytes(b, 12, 20) + protocol + n;
    }
    let c = finishChecksum(sumBytes(b, start, end, sum));
    if (protocol === 17 && c === 0) c = 0xffff;
    writeU16(b, co, c);
  }

  /** Writes an IPv4 address into the scratch buffer (for quoted headers). */
  writeV4(o: number, a: IPv4Address): void {
    writeIPv4(this.buf, o, a);
  }
}
