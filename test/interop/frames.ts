/**
 * Hand-built packets for the interop tests. Deliberately independent of the
 * stack's own codecs (only the checksum primitives are shared), so a bug in a
 * codec cannot hide a bug here and vice versa.
 */
import { readU16, writeU16 } from '../../src/core/bytes.js';
import { internetChecksum, pseudoSumV4, pseudoSumV6, sumBytes, finishChecksum } from '../../src/ip/checksum.js';

export const KERNEL_V4 = 0xc0000201; // 192.0.2.1
export const STACK_V4 = 0xc0000202; // 192.0.2.2

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;

/** IPv4 header fields we look at: version, protocol and addresses of a packet. */
export interface V4Summary {
  readonly ihl: number;
  readonly totalLength: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
}

/** A minimal look at an IPv4 packet, or null if it is not one. */
export function v4(packet: Uint8Array): V4Summary | null {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return null;
  const ihl = (packet[0]! & 0x0f) * 4;
  const totalLength = readU16(packet, 2);
  if (ihl < 20 || totalLength > packet.length || totalLength < ihl) return null;
  const src = ((packet[12]! << 24) | (packet[13]! << 16) | (packet[14]! << 8) | packet[15]!) >>> 0;
  const dst = ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0;
  return { ihl, totalLength, protocol: packet[9]!, src, dst };
}

/** Whether `packet` is an ICMP echo request (type 8) to `dst`. */
export function isEchoRequestTo(packet: Uint8Array, dst: number): boolean {
  const h = v4(packet);
  return h !== null && h.protocol === 1 && h.dst === dst && packet[h.ihl] === 8;
}

/**
 * The echo reply for an echo request (RFC 792): addresses swapped, type 0,
 * identifier/sequence/data echoed, both checksums recomputed.
 */
export function echoReplyFor(request: Uint8Array): Uint8Array {
  const h = v4(request);
  if (h === null) throw new Error('not IPv4');
  const out = Uint8Array.from(request.subarray(0, h.totalLength));
  out.set(request.subarray(16, 20), 12);
  out.set(request.subarray(12, 16), 16);
  out[8] = 64; // TTL
  writeU16(out, 10, 0);
  writeU16(out, 10, internetChecksum(out, 0, h.ihl));
  out[h.ihl] = 0; // echo reply
  out[h.ihl + 1] = 0;
  writeU16(out, h.ihl + 2, 0);
  writeU16(out, h.ihl + 2, internetChecksum(out, h.ihl, h.totalLength));
  return out;
}

/** 2001:db8::2, the address this process plays on IPv6. */
export const STACK_V6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

/** Whether `packet` is an IPv6 ICMPv6 echo request (RFC 4443 §4.1, type 128) to `dst`, with no extension headers. */
export function isEcho6RequestTo(packet: Uint8Array, dst: Uint8Array): boolean {
  if (packet.length < 48 || packet[0]! >> 4 !== 6 || packet[6] !== 58 || packet[40] !== 128) return false;
  for (let i = 0; i < 16; i++) if (packet[24 + i] !== dst[i]) return false;
  return true;
}

/** The ICMPv6 echo reply (type 129) for a request: addresses swapped, checksum over the RFC 8200 §8.1 pseudo-header. */
export function echo6ReplyFor(request: Uint8Array): Uint8Array {
  const payloadLength = readU16(request, 4);
  const out = Uint8Array.from(request.subarray(0, 40 + payloadLength));
  out.set(request.subarray(24, 40), 8);
  out.set(request.subarray(8, 24), 24);
  out[7] = 64; // hop limit
  out[40] = 129;
  out[41] = 0;
  writeU16(out, 42, 0);
  const sum = pseudoSumV6(out.subarray(8, 24), out.subarray(24, 40), 58, payloadLength);
  writeU16(out, 42, finishChecksum(sumBytes(out, 40, out.length, sum)));
  return out;
}

/** An IPv4/UDP datagram with correct checksums, DF set, TTL 64, the given IP ID. */
export function udpV4(src: number, dst: number, sport: number, dport: number, payload: Uint8Array, id = 0): Uint8Array {
  const udpLen = 8 + payload.length;
  const p = new Uint8Array(20 + udpLen);
  p[0] = 0x45;
  writeU16(p, 2, p.length);
  writeU16(p, 4, id);
  writeU16(p, 6, 0x4000);
  p[8] = 64;
  p[9] = 17;
  for (let i = 0; i < 4; i++) {
    p[12 + i] = (src >>> (24 - 8 * i)) & 0xff;
    p[16 + i] = (dst >>> (24 - 8 * i)) & 0xff;
  }
  writeU16(p, 10, internetChecksum(p, 0, 20));
  writeU16(p, 20, sport);
  writeU16(p, 22, dport);
  writeU16(p, 24, udpLen);
  p.set(payload, 28);
  // RFC 768: a computed checksum of 0 is sent as all ones.
  const c = finishChecksum(sumBytes(p, 20, p.length, pseudoSumV4(src, dst, 17, udpLen)));
  writeU16(p, 26, c === 0 ? 0xffff : c);
  return p;
}

/** Ethernet header + payload. */
export function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  writeU16(f, 12, type);
  f.set(payload, 14);
  return f;
}

/** Whether an Ethernet frame is an ARP request (RFC 826, oper 1) for `targetIp`. */
export function isArpRequestFor(frame: Uint8Array, targetIp: number): boolean {
  if (frame.length < 42 || readU16(frame, 12) !== ETH_P_ARP || readU16(frame, 20) !== 1) return false;
  const tpa = ((frame[38]! << 24) | (frame[39]! << 16) | (frame[40]! << 8) | frame[41]!) >>> 0;
  return tpa === targetIp;
}

/** The ARP reply (RFC 826) to a request, from `ourMac` owning the requested address. */
export function arpReplyFor(request: Uint8Array, ourMac: Uint8Array): Uint8Array {
  const requesterMac = request.subarray(22, 28);
  const requesterIp = request.subarray(28, 32);
  const targetIp = request.subarray(38, 42);
  const arp = new Uint8Array(28);
  writeU16(arp, 0, 1); // htype Ethernet
  writeU16(arp, 2, ETH_P_IP);
  arp[4] = 6;
  arp[5] = 4;
  writeU16(arp, 6, 2); // reply
  arp.set(ourMac, 8);
  arp.set(targetIp, 14);
  arp.set(requesterMac, 18);
  arp.set(requesterIp, 24);
  return ethernet(requesterMac, ourMac, ETH_P_ARP, arp);
}

/** Whether an Ethernet frame carries IPv4. */
export function isIPv4Frame(frame: Uint8Array): boolean {
  return frame.length >= 34 && readU16(frame, 12) === ETH_P_IP;
}

export { ETH_P_IP, ETH_P_ARP };

/**
 * Collects copies of received frames (the link's views are valid only during
 * the receiver call) and lets a test wait for one that matches.
 */
export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  private waiter: { match: (f: Uint8Array) => boolean; resolve: (f: Uint8Array) => void } | null = null;

  /** The receiver to install on a link. */
  readonly receive = (frame: Uint8Array): void => {
    const copy = Uint8Array.from(frame);
    if (this.waiter !== null && this.waiter.match(copy)) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(copy);
      return;
    }
    this.frames.push(copy);
  };

  /** Resolves with the first queued or future frame matching `match` (others are kept); rejects after `ms`. */
  next(match: (f: Uint8Array) => boolean, ms = 5000): Promise<Uint8Array> {
    const i = this.frames.findIndex(match);
    if (i !== -1) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error('timed out waiting for a frame'));
      }, ms);
      this.waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
    });
  }

  /** Removes and returns every queued frame matching `match`. */
  take(match: (f: Uint8Array) => boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.frames.length; ) {
      if (match(this.frames[i]!)) out.push(this.frames.splice(i, 1)[0]!);
      else i++;
    }
    return out;
  }
}
