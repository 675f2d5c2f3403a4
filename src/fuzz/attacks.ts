import { writeU16, writeU32 } from '../core/bytes.js';
import { seq, seqAdd, seqGt, type Seq } from '../core/seq.js';
import { fragmentIpv4 } from '../craft/fragments.js';
import { writeIcmpv4HeaderAt } from '../icmp/icmpv4-header.js';
import { finishChecksum, sumBytes } from '../ip/checksum.js';
import { writeIpv4HeaderAt } from '../ip/ipv4-header.js';
import { writeIpv6Headers } from '../ip/ipv6-header.js';
import { ACK, FIN, PSH, RST, SYN, URG } from '../tcp/header.js';
import type { GenContext } from './gen-context.js';
import type { TcpSession } from './tcp-session.js';

/**
 * Connection attacks: what a hostile or broken peer does to an established
 * connection, each step built relative to the session's tracked state so
 * that it lands where it hurts — in the window, just outside it, on the
 * exact RST sequence number or next to it (RFC 5961), over data already
 * sent (overlaps, RFC 9293 §3.10.7.4), with lying options and ICMP errors
 * that quote the connection (RFC 5927).
 */
export type AttackStep = (s: TcpSession, g: GenContext) => void;

/** `n` random payload bytes, read-only (see `Dice.bytes`): segment() copies them into the packet. */
function data(g: GenContext, n: number): Uint8Array {
  return g.dice.bytes(n);
}

/** Sequence number `n` bytes after `s` (n may be negative). */
const at = (s: Seq, n: number): number => seqAdd(s, n);

/**
 * An ICMP error about the connection (RFC 5927), quoting a segment the
 * target could have sent us: its IP header and first 8 TCP bytes (ports
 * and sequence number), as RFC 792 asks of the reporter.
 */
function icmpAbout(s: TcpSession, g: GenContext, type4: number, code: number, mtu: number): void {
  const d = g.dice;
  const quotedSeq = d.chance(70) ? s.rcvNxt : d.u32();
  if (s.ep.family === 4) {
    const p = new Uint8Array(20 + 8 + 28);
    const q = 28;
    writeIpv4HeaderAt(p, q, { src: s.ep.dst, dst: s.ep.src, protocol: 6, df: true, totalLength: 20 + 20 + 8 }, 8);
    writeU16(p, q + 20, s.remotePort);
    writeU16(p, q + 22, s.localPort);
    writeU32(p, q + 24, quotedSeq >>> 0);
    writeIcmpv4HeaderAt(p, 20, { type: type4, code, rest: mtu & 0xffff }, 28);
    writeIpv4HeaderAt(p, 0, { src: s.ep.src, dst: s.ep.dst, protocol: 1 }, 36);
    s.outbox.push(p);
    return;
  }
  // IPv6: the quoted packet's fixed header and TCP ports and sequence number, then RFC 4443 §3.1/§3.2.
  const p = new Uint8Array(40 + 8 + 48);
  const q = 48;
  writeIpv6Headers(p, q, { src: s.ep.dst, dst: s.ep.src, protocol: 6, payloadLength: 20 }, 8);
  writeU16(p, q + 40, s.remotePort);
  writeU16(p, q + 42, s.localPort);
  writeU32(p, q + 44, quotedSeq >>> 0);
  const tooBig = type4 === 3 && code === 4;
  p[40] = tooBig ? 2 : 1;
  p[41] = tooBig ? 0 : code & 7;
  writeU32(p, 44, tooBig ? mtu >>> 0 : 0);
  writeIpv6Headers(p, 0, { src: s.ep.src, dst: s.ep.dst, protocol: 58 }, 56);
  const sum = sumBytes(p, 8, 40) + 56 + 58;
  writeU16(p, 42, finishChecksum(sumBytes(p, 40, 96, sum)));
  s.outbox.push(p);
}

function randomOptions(g: GenContext): Uint8Array {
  const n = g.dice.range(1, 40);
  // Written to below: a fresh array, not a read-only view.
  const o = new Uint8Array(n);
  g.dice.fill(o, 0, n);
  // Mostly known kinds, so the lie is in the length rather than the kind.
  for (let i = 0; i < n; i += 4) if (g.dice.chance(60)) o[i] = g.dice.pick([1, 2, 3, 4, 5, 8, 0]);
  return o;
}

export const ATTACKS: ReadonlyArray<readonly [string, AttackStep]> = [
  ['data', (s, g) => s.send(data(g, g.dice.range(1, 300)))],
  ['data-full', (s, g) => s.send(data(g, g.dice.range(500, 1400)))],
  ['data-future', (s, g) => void s.segment({ flags: PSH | ACK, seq: at(s.sndNxt, g.dice.range(1, 4000)), payload: data(g, g.dice.range(1, 200)) })],
  ['data-overlap', (s, g) => {
    const back = g.dice.range(1, 120);
    const len = back + g.dice.range(0, 120);
    s.segment({ flags: PSH | ACK, seq: at(s.sndNxt, -back), payload: data(g, len) });
    const end = seq(at(s.sndNxt, len - back));
    if (seqGt(end, s.sndNxt)) s.sndNxt = end;
  }],
  ['data-old', (s, g) => void s.segment({ flags: ACK, seq: at(s.sndNxt, -g.dice.range(1, 3000)), payload: data(g, g.dice.range(1, 64)) })],
  ['data-far', (s, g) => void s.segment({ flags: PSH | ACK, seq: g.dice.u32(), payload: data(g, g.dice.range(1, 100)) })],
  ['rst-in-window', (s, g) => void s.segment({ flags: RST | (g.dice.chance(50) ? ACK : 0), seq: at(s.peerAck, g.dice.range(1, 2000)), noTimestamp: true })],
  ['rst-far', (s, g) => void s.segment({ flags: RST, seq: g.dice.u32(), noTimestamp: true })],
  ['syn-in-window', (s, g) => void s.segment({ flags: SYN | (g.dice.chance(50) ? ACK : 0), seq: at(s.peerAck, g.dice.range(0, 2000)) })],
  ['syn-ack-stray', (s, g) => void s.segment({ flags: SYN | ACK, seq: g.dice.u32(), ack: g.dice.u32() })],
  ['ack-future', (s, g) => void s.segment({ flags: ACK, ack: at(s.peerSndMax, g.dice.range(1, 200_000)) })],
  ['ack-old', (s, g) => void s.segment({ flags: ACK, ack: at(s.rcvNxt, -g.dice.range(70_000, 0x3fffffff)) })],
  ['dupacks', (s, g) => {
    for (let n = g.dice.range(3, 6); n > 0; n--) s.segment({ flags: ACK, ack: s.rcvNxt });
  }],
  ['sack-lies', (s, g) => {
    const blocks = g.dice.range(1, s.tsOn ? 3 : 4);
    const o = new Uint8Array(2 + 2 + 8 * blocks);
    o.set([1, 1, 5, 2 + 8 * blocks]);
    const view = new DataView(o.buffer);
    for (let k = 0; k < blocks; k++) {
      const start = g.dice.chance(60) ? at(s.rcvNxt, g.dice.range(-3000, 3000)) : g.dice.u32();
      const end = g.dice.chance(80) ? at(seq(start), g.dice.range(-100, 3000)) : g.dice.u32();
      view.setUint32(4 + 8 * k, start >>> 0);
      view.setUint32(8 + 8 * k, end >>> 0);
    }
    s.segment({ flags: ACK, options: o });
  }],
  ['window-zero', (s) => void s.segment({ flags: ACK, window: 0 })],
  ['window-random', (s, g) => void s.segment({ flags: ACK, window: g.dice.below(0x10000) })],
  ['paws-old-ts', (s, g) => {
    const ts = s.timestampOption(g.dice.chance(50) ? 0 : g.dice.u32(), g.dice.u32());
    s.segment({ flags: PSH | ACK, options: ts, payload: data(g, g.dice.range(1, 50)) });
  }],
  ['options-garbage', (s, g) => void s.segment({ flags: PSH | ACK, options: randomOptions(g), payload: data(g, g.dice.range(0, 50)) })],
  ['urgent', (s, g) => {
    const payload = data(g, g.dice.range(1, 100));
    s.segment({ flags: URG | PSH | ACK, urgent: g.dice.chance(50) ? g.dice.range(0, payload.length + 1) : g.dice.below(0x10000), payload });
    s.sndNxt = seqAdd(s.sndNxt, payload.length);
  }],
  ['fin', (s) => {
    s.segment({ flags: FIN | ACK });
    s.sndNxt = seqAdd(s.sndNxt, 1);
  }],
  ['flags-random', (s, g) => void s.segment({ flags: g.dice.below(0x200), payload: g.dice.chance(50) ? data(g, g.dice.range(1, 40)) : undefined })],
  ['bad-checksum', (s, g) => void s.segment({ flags: PSH | ACK, payload: data(g, 20), checksum: g.dice.below(0x10000) })],
  ['bad-data-offset', (s, g) => void s.segment({ flags: PSH | ACK, payload: data(g, g.dice.range(0, 60)), dataOffset: g.dice.below(16) })],
  ['icmp-frag-needed', (s, g) => icmpAbout(s, g, 3, 4, g.dice.chance(70) ? g.dice.pick([0, 68, 296, 552, 576, 1000, 1280, 1400, 65535]) : g.dice.below(0x10000))],
  ['icmp-unreachable', (s, g) => icmpAbout(s, g, g.dice.chance(80) ? 3 : g.dice.pick([4, 11, 12]), g.dice.below(16), 0)],
  ['fragmented-data', (s, g) => {
    if (s.ep.family !== 4) {
      s.send(data(g, g.dice.range(1, 100)));
      return;
    }
    const payload = data(g, g.dice.range(24, 600));
    const whole = s.segment({ flags: PSH | ACK, payload });
    s.outbox.pop();
    s.sndNxt = seqAdd(s.sndNxt, payload.length);
    whole[6] = whole[6]! & ~0x40; // clear DF: this one is meant to be fragmented
    const body = whole.length - 20;
    const cut = Math.max(8, (g.dice.range(8, body - 1) & ~7));
    const overlap = g.dice.chance(30) ? 8 : 0;
    for (const f of fragmentIpv4(whole, [{ offset: 0, length: cut }, { offset: cut - overlap, length: body - cut + overlap }])) s.outbox.push(f);
  }],
];
