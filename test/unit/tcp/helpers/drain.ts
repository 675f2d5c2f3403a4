import type { Testbed } from './testbed.js';

/** Takes every segment sent since the last check: [relative seq, payload length, flags]. */
export function drain(t: Testbed): [number, number, number][] {
  const got: [number, number, number][] = [];
  for (const s of t.pending()) {
    got.push([(s.seq - t.localIsn!) | 0, s.payload.length, s.flags]);
    t.next();
  }
  return got;
}
