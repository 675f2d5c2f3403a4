import fc from 'fast-check';
import { fixChecksums, fixLength } from '../craft/mutate.js';

/** Limits on shrinking: candidate replays and wall time. */
export interface ShrinkBudget {
  maxTests: number;
  maxMs: number;
}

/** Decides whether a candidate still fails (the same way). */
export type StillFails<T> = (candidate: T[]) => Promise<boolean>;

/** Counts replays against the budget. */
class Tester<T> {
  tests = 0;
  private readonly deadline: number;
  constructor(
    private readonly fails: StillFails<T>,
    private readonly budget: ShrinkBudget,
  ) {
    this.deadline = performance.now() + budget.maxMs;
  }

  get exhausted(): boolean {
    return this.tests >= this.budget.maxTests || performance.now() > this.deadline;
  }

  async run(candidate: T[]): Promise<boolean> {
    this.tests++;
    return this.fails(candidate);
  }
}

/**
 * The shortest failing suffix among 1, 2, 4, ... packets: most failures
 * depend on the last few packets, and replaying a suffix is cheap. Returns
 * the whole sequence if no shorter suffix fails.
 */
async function shortestSuffix<T>(items: T[], t: Tester<T>): Promise<T[]> {
  for (let k = 1; k < items.length && !t.exhausted; k *= 2) {
    const suffix = items.slice(items.length - k);
    if (await t.run(suffix)) return suffix;
  }
  return items;
}

/**
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", 2002): tries chunks and their complements at
 * growing granularity until no single chunk can be removed. The result is
 * 1-minimal when the budget allows.
 */
async function ddmin<T>(items: T[], t: Tester<T>): Promise<T[]> {
  let cur = items;
  let n = 2;
  while (cur.length >= 2 && !t.exhausted) {
    const size = Math.ceil(cur.length / n);
    const chunks: T[][] = [];
    for (let i = 0; i < cur.length; i += size) chunks.push(cur.slice(i, i + size));
    let reduced = false;
    for (const c of chunks) {
      if (t.exhausted) break;
      if (await t.run(c)) {
        cur = c;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && chunks.length > 2) {
      for (let i = 0; i < chunks.length && !t.exhausted; i++) {
        const complement = chunks.filter((_, j) => j !== i).flat();
        if (await t.run(complement)) {
          cur = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}

/** What shrinking achieved. */
export interface ShrinkResult<T> {
  items: T[];
  /** Replays run. */
  tests: number;
}

/**
 * Shrinks a failing sequence: the shortest failing suffix, then delta
 * debugging over it. `fails` must hold for `items` itself.
 */
export async function shrinkSequence<T>(items: T[], fails: StillFails<T>, budget: ShrinkBudget): Promise<ShrinkResult<T>> {
  const t = new Tester(fails, budget);
  const suffix = await shortestSuffix(items, t);
  const minimal = await ddmin(suffix, t);
  return { items: minimal, tests: t.tests };
}

/**
 * Shrinks the bytes of one packet: first its length — the shortest prefix
 * that still fails, tried both with the IP length field and checksums made
 * to agree with the cut and as a plain cut — then, with fast-check's own
 * shrinker for byte arrays, the byte values (towards zero), greedily: the
 * first smaller candidate that still fails is taken and shrunk further.
 */
export async function shrinkBytes(
  bytes: Uint8Array,
  fails: (candidate: Uint8Array) => Promise<boolean>,
  budget: ShrinkBudget,
): Promise<ShrinkResult<Uint8Array>> {
  const t = new Tester<Uint8Array>(async ([c]) => fails(c!), budget);
  let best = Uint8Array.from(bytes);
  // Length: halve the tail while a shorter prefix still fails.
  for (let step = best.length >>> 1; step >= 1 && !t.exhausted; ) {
    const n = best.length - step;
    const cut = best.slice(0, n);
    const consistent = cut.slice();
    fixLength(consistent, n);
    fixChecksums(consistent, n);
    if (n > 0 && (await t.run([consistent]))) best = consistent;
    else if (n > 0 && !t.exhausted && (await t.run([cut]))) best = cut;
    else step >>>= 1;
    if (step > best.length >>> 1) step = best.length >>> 1;
  }
  // Values: fast-check's shrinker, which walks each byte towards 0.
  const arb = fc.uint8Array({ minLength: best.length, maxLength: best.length });
  let context: unknown = undefined;
  let improved = true;
  while (improved && !t.exhausted) {
    improved = false;
    for (const candidate of arb.shrink(best, context)) {
      if (t.exhausted) break;
      if (await t.run([candidate.value])) {
        best = candidate.value;
        context = candidate.context;
        improved = true;
        break;
      }
    }
  }
  return { items: [best], tests: t.tests };
}
