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

/**
 * A failure with `reason`. A small fresh object: no module-level cache, so
 * nothing is shared between stacks, and V8 makes short-lived objects cheap.
 */
export function fail(reason: string): ParseFailure {
  return { ok: false, reason };
}

/** Wraps a parsed value. */
export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}
