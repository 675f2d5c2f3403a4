/**
 * The outcome of parsing untrusted bytes: a value, or the reason it was
 * refused. Parsers never throw; the reason names the drop counter to bump.
 */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | ParseFailure;

/** A refused parse; `reason` is a short kebab-case tag such as `bad-checksum`. */
export interface ParseFailure {
  readonly ok: false;
  readonly reason: string;
}

const failures = new Map<string, ParseFailure>();

/**
 * A failure with `reason`. Interned per reason string, so failing costs no
 * allocation after the first time (the table is immutable data, shared
 * harmlessly between stacks).
 */
export function fail(reason: string): ParseFailure {
  let f = failures.get(reason);
  if (f === undefined) {
    f = Object.freeze({ ok: false as const, reason });
    failures.set(reason, f);
  }
  return f;
}

/** Wraps a parsed value. */
export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}
