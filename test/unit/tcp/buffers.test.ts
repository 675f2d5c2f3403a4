import { describe, expect, it } from 'vitest';
import { seq, type Seq } from '../../../src/core/seq.js';
import { OooQueue } from '../../../src/tcp/ooo-queue.js';
import { RecvBuffer } from '../../../src/tcp/recv-buffer.js';
import { SendBuffer } from '../../../src/tcp/send-buffer.js';

const bytes = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('SendBuffer', () => {
  it('keeps writes by reference and copies any range out once', () => {
    const sb = new SendBuffer();
    const a = bytes(0, 10);
    const b = bytes(10, 5);
    const c = bytes(15, 20);
    sb.append(a); sb.append(b); sb.append(new Uint8Array(0)); sb.append(c);
    expect(sb.length).toBe(35);
    const dst = new Uint8Array(40);
    sb.copyOut(8, 10, dst, 3);
    expect(Array.from(dst.subarray(3, 13))).toEqual(Array.from(bytes(8, 10)));
    sb.copyOut(0, 35, dst, 0);
    expect(Array.from(dst.subarray(0, 35))).toEqual(Array.from(bytes(0, 35)));
    sb.consume(12);
    expect(sb.length).toBe(23);
    sb.copyOut(0, 23, dst, 0);
    expect(Array.from(dst.subarray(0, 23))).toEqual(Array.from(bytes(12, 23)));
    expect(() => sb.copyOut(20, 4, dst, 0)).toThrow(RangeError);
    sb.consume(23);
    expect(sb.length).toBe(0);
  });

  it('stays consistent over many sequential reads and partial acks', () => {
    const sb = new SendBuffer();
    let written = 0;
    let acked = 0;
    let sent = 0;
    const dst = new Uint8Array(100);
    for (let i = 0; i < 500; i++) {
      const n = (i * 7) % 23 + 1;
      sb.append(bytes(written, n));
      written += n;
      const k = Math.min(17, written - sent);
      sb.copyOut(sent - acked, k, dst, 0);
      expect(Array.from(dst.subarray(0, k))).toEqual(Array.from(bytes(sent, k)));
      sent += k;
      const ackN = Math.min((i * 5) % 13, sent - acked);
      sb.consume(ackN);
      acked += ackN;
      expect(sb.length).toBe(written - acked);
    }
  });
});

describe('RecvBuffer', () => {
  it('returns bytes in order, as views when they sit in one block', () => {
    const rb = new RecvBuffer();
    const src = bytes(0, 100);
    rb.append(src.subarray(0, 30));
    rb.append(src.subarray(30, 100));
    expect(rb.length).toBe(100);
    src.fill(0); // the link may reuse its buffer: we must have copied
    expect(Array.from(rb.peek(5))).toEqual([0, 1, 2, 3, 4]);
    const r = rb.read(60);
    expect(Array.from(r)).toEqual(Array.from(bytes(0, 60)));
    expect(rb.read().length).toBe(40);
    expect(rb.read().length).toBe(0);
  });

  it('spans blocks and discards', () => {
    const rb = new RecvBuffer();
    let w = 0;
    for (let i = 0; i < 50; i++) {
      rb.append(bytes(w, 1460));
      w += 1460;
    }
    let r = 0;
    expect(rb.discard(1000)).toBe(1000);
    r += 1000;
    while (rb.length > 0) {
      const got = rb.read(3000);
      expect(Array.from(got)).toEqual(Array.from(bytes(r, got.length)));
      r += got.length;
    }
    expect(r).toBe(w);
  });
});

describe('OooQueue', () => {
  const s = (n: number): Seq => seq(n);

  it('queues, drains in order when the hole fills, and trims overlaps', () => {
    const q = new OooQueue(1 << 20);
    expect(q.insert(s(200), bytes(200, 100))).toBe('queued');
    expect(q.insert(s(400), bytes(400, 100))).toBe('queued');
    expect(q.insert(s(250), bytes(250, 200))).toBe('duplicate'); // fills 300..400, overlaps both
    expect(q.dsack).toEqual([250, 300]);
    expect(q.ranges()).toEqual([[200, 500]]);
    const out: number[] = [];
    const next = q.drain(s(100), (d) => out.push(...d));
    expect(next).toBe(100); // hole 100..200 still open
    const nx = q.drain(s(220), (d) => out.push(...d));
    expect(nx).toBe(500);
    expect(out).toEqual(Array.from(bytes(220, 280)));
    expect(q.empty).toBe(true);
  });

  it('orders SACK blocks most recent first (RFC 2018 §4) and puts D-SACK first', () => {
    const q = new OooQueue(1 << 20);
    q.insert(s(1000), bytes(0, 100));
    q.insert(s(3000), bytes(0, 100));
    q.insert(s(2000), bytes(0, 100));
    const out: number[] = [];
    expect(q.sackBlocks(out, 4, s(0))).toBe(3);
    expect(out.slice(0, 6)).toEqual([2000, 2100, 3000, 3100, 1000, 1100]);
    q.insert(s(3100), bytes(0, 50)); // grows the 3000 block, which becomes first
    expect(q.sackBlocks(out, 4, s(0))).toBe(3);
    expect(out.slice(0, 6)).toEqual([3000, 3150, 2000, 2100, 1000, 1100]);
    q.insert(s(1050), bytes(0, 10)); // duplicate inside 1000..1100
    expect(q.sackBlocks(out, 3, s(0))).toBe(3);
    expect(out.slice(0, 6)).toEqual([1050, 1060, 1000, 1100, 3000, 3150]);
  });

  it('is bounded in bytes and in ranges', () => {
    const q = new OooQueue(250, 2);
    expect(q.insert(s(100), bytes(0, 100))).toBe('queued');
    expect(q.insert(s(300), bytes(0, 100))).toBe('queued');
    expect(q.insert(s(500), bytes(0, 10))).toBe('full'); // a third range
    expect(q.insert(s(200), bytes(0, 100))).toBe('full'); // 300 bytes > 250
    expect(q.insert(s(200), bytes(0, 50))).toBe('queued');
    expect(q.size).toBe(250);
  });

  it('works across the 2^32 wrap', () => {
    const q = new OooQueue(1 << 20);
    q.insert(s(0xffffff00), bytes(0, 0x80));
    q.insert(s(0x10), bytes(0, 0x10));
    expect(q.ranges()).toEqual([[0xffffff00, 0xffffff80], [0x10, 0x20]]);
    let total = 0;
    const nx = q.drain(s(0xffffff00), (d) => (total += d.length));
    expect(nx).toBe(0xffffff80);
    expect(total).toBe(0x80);
  });
});
