import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendBuffer } from '../../../src/tcp/send-buffer.js';

describe('SendBuffer push marks', () => {
  it('marks write ends, moves a mark with data appended to the unsent tail, and forgets acknowledged marks', () => {
    const b = new SendBuffer();
    b.append(new Uint8Array(100));
    b.markPush();
    expect(b.pushMarkIn(0, 100)).toBe(true);
    expect(b.pushMarkIn(0, 99)).toBe(false);
    b.append(new Uint8Array(50), true); // joins the marked tail skb: the mark follows
    expect(b.pushMarkIn(0, 100)).toBe(false);
    expect(b.pushMarkIn(100, 150)).toBe(true);
    b.append(new Uint8Array(10)); // a new skb: the mark stays at 150
    expect(b.pushMarkIn(150, 160)).toBe(false);
    b.consume(150);
    expect(b.pushMarkIn(0, 10)).toBe(false);
    b.markPush();
    expect(b.pushMarkIn(0, 10)).toBe(true);
  });

  it('answers like a plain scan for any writes, marks and forward-moving queries (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 1, max: 50 }), tail: fc.boolean(), push: fc.boolean() }),
      fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('ack' as const), n: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const b = new SendBuffer();
      let una = 0; // stream positions
      let nxt = 0;
      let end = 0;
      let marks: number[] = [];
      for (const o of ops) {
        if (o.kind === 'write') {
          const tail = o.tail && nxt < end;
          if (tail && marks.length > 0 && marks[marks.length - 1] === end) marks[marks.length - 1] = end + o.n;
          b.append(new Uint8Array(o.n), tail);
          end += o.n;
          if (o.push) {
            if (marks[marks.length - 1] !== end) marks.push(end);
            b.markPush();
          }
        } else if (o.kind === 'send') {
          const n = Math.min(o.n, end - nxt);
          const want = marks.some((m) => m > nxt && m <= nxt + n);
          expect(b.pushMarkIn(nxt - una, nxt - una + n)).toBe(want);
          nxt += n;
        } else {
          const n = Math.min(o.n, nxt - una);
          b.consume(n);
          una += n;
          marks = marks.filter((m) => m > una);
        }
      }
    }), { numRuns: 1000, seed: 7 });
  });
});
