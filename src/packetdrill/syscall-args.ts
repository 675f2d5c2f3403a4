import { ERRNO, strerror, type ErrnoCode } from '../core/errno.js';
import type { Expr } from './ast.js';
import { errnoNumber, symbolValue } from './symbols.js';

/**
 * Evaluation of syscall argument and result expressions (packetdrill
 * run_system_call.c `s32_arg`, `get_s32`, `ellipsis_arg`...). An
 * {@link ArgError} is a script error (the line fails); an
 * {@link Unsupported} is a form this runner cannot reproduce (the script
 * is skipped).
 */

/** A script error in an argument. */
export class ArgError extends Error {}

/** An argument form the runner cannot reproduce on tsip (the script is skipped). */
export class Unsupported extends Error {}

/** Evaluates an integer expression: a number, a symbol, `A|B`, `htons(x)`. Throws ArgError. */
export function intValue(e: Expr, what: string): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'symbol': {
      const v = symbolValue(e.name) ?? errnoNumber(e.name);
      if (v === undefined) throw new ArgError(`unknown symbol ${e.name} for ${what}`);
      return v;
    }
    case 'bitor': {
      let v = 0;
      for (const t of e.terms) v |= intValue(t, what);
      return v;
    }
    case 'htons':
      return intValue(e.value, what) & 0xffff;
    default:
      throw new ArgError(`expected an integer for ${what} but got ${describe(e)}`);
  }
}

/** Whether an expression is `...`. */
export function isEllipsis(e: Expr | undefined): boolean {
  return e !== undefined && e.kind === 'ellipsis';
}

/** `[N]`: an int passed by pointer. Throws ArgError. */
export function intPointer(e: Expr, what: string): number {
  if (e.kind !== 'array' || e.elements.length !== 1) throw new ArgError(`expected [int] for ${what} but got ${describe(e)}`);
  return intValue(e.elements[0]!, what);
}

/** The buffer argument of read/write: `...` (a NULL buffer cannot be passed to tsip). */
export function bufferArg(e: Expr | undefined, call: string): void {
  if (e === undefined) throw new ArgError(`${call}: missing buffer argument`);
  if (e.kind === 'ellipsis') return;
  if (e.kind === 'int' && e.value === 0) throw new Unsupported(`${call} with a NULL buffer (EFAULT) cannot be reproduced`);
  throw new ArgError(`${call}: expected ... or NULL for buffer`);
}

/** The total length of an iovec array `[{..., 10}, {..., 20}]`. Throws ArgError. */
export function iovecLengths(e: Expr, call: string): number[] {
  if (e.kind !== 'array') throw new ArgError(`${call}: expected an iovec array`);
  return e.elements.map((x) => {
    if (x.kind !== 'iovec') throw new ArgError(`${call}: expected {..., len} in the iovec array`);
    if (!isEllipsis(x.base)) throw new Unsupported(`${call} with a NULL iovec base`);
    return intValue(x.len, 'iov_len');
  });
}

/** A short text for an expression in messages. */
export function describe(e: Expr): string {
  switch (e.kind) {
    case 'int':
      return String(e.value);
    case 'symbol':
      return e.name;
    case 'ellipsis':
      return '...';
    case 'string':
      return JSON.stringify(e.value);
    default:
      return e.kind;
  }
}

const ERRNO_BY_NUMBER = new Map<number, ErrnoCode>();
for (const [name, n] of Object.entries(ERRNO) as Array<[ErrnoCode, number]>) if (!ERRNO_BY_NUMBER.has(n)) ERRNO_BY_NUMBER.set(n, name);

/** `errno N (NAME: text)` for messages; 0 is "Success". */
export function errnoText(n: number): string {
  if (n === 0) return 'errno 0 (Success)';
  const name = ERRNO_BY_NUMBER.get(n);
  return name === undefined ? `errno ${n}` : `errno ${n} (${name}: ${strerror(name)})`;
}

/** How a syscall's result is checked (run_system_call.c `end_syscall`). */
export type ResultCheck = 'exact' | 'fd';

/**
 * Compares a call's outcome with the script. `actual` is the facade's
 * result: non-negative, or a negative errno (which C sees as -1 plus errno).
 * With `fd`, any non-negative result passes when the script expects a
 * non-negative one (the script's descriptor is then mapped to the live one).
 * Returns an error message, or null.
 */
export function checkResult(
  expectedExpr: Expr,
  expectedErrno: string | null,
  mode: ResultCheck,
  actual: number,
): string | null {
  const expected = intValue(expectedExpr, 'the expected result');
  const cResult = actual < 0 ? -1 : actual;
  const actualErrno = actual < 0 ? -actual : 0;
  if (mode === 'fd' && expected >= 0) {
    if (cResult < 0) return `Expected non-negative result but got ${cResult} with ${errnoText(actualErrno)}`;
  } else if (cResult !== expected) {
    return `Expected result ${expected} but got ${cResult}${cResult < 0 ? ` with ${errnoText(actualErrno)}` : ''}`;
  }
  if (expectedErrno !== null) {
    const want = errnoNumber(expectedErrno);
    if (want === undefined) throw new ArgError(`unknown errno name ${expectedErrno}`);
    if (want !== actualErrno) return `Expected ${errnoText(want)} but got ${errnoText(actualErrno)}`;
  }
  return null;
}
