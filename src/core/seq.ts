/**
 * TCP sequence numbers live in a 32-bit space and wrap (RFC 9293 §3.4). A
 * branded type means plain arithmetic on them does not type-check: every
 * comparison and offset goes through these wrap-safe helpers, as gVisor's
 * seqnum package does.
 */
export type Seq = number & { readonly __brand: 'Seq' };

/** Wraps any integer into the sequence space. */
export function seq(n: number): Seq {
  return (n >>> 0) as Seq;
}

/** `a + n` modulo 2^32 (n may be negative). */
export function seqAdd(a: Seq, n: number): Seq {
  return ((a + n) >>> 0) as Seq;
}

/** Signed distance `a - b`, valid while |a - b| < 2^31. */
export function seqDiff(a: Seq, b: Seq): number {
  return (a - b) | 0;
}

/** a < b in sequence space. */
export function seqLt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b in sequence space. */
export function seqLe(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b in sequence space. */
export function seqGt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b in sequence space. */
export function seqGe(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) >= 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: Seq, b: Seq): Seq {
  return seqGe(a, b) ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: Seq, b: Seq): Seq {
  return seqLe(a, b) ? a : b;
}

/** start <= x < start + size (an empty window contains nothing). */
export function seqInWindow(x: Seq, start: Seq, size: number): boolean {
  const d = (x - start) >>> 0;
  return d < size;
}

/** start <= x <= end, both ends inclusive, in sequence space. */
export function seqBetween(x: Seq, start: Seq, end: Seq): boolean {
  return ((x - start) >>> 0) <= ((end - start) >>> 0);
}
