/**
 * What went wrong in a run: an exception escaped the target (only an
 * in-process target can throw), or the health oracle found the target
 * unwell.
 */
export interface Failure {
  readonly kind: 'exception' | 'unhealthy';
  /** One line: the exception's name and message, or what the oracle saw. */
  readonly message: string;
  /** The exception's stack, when there is one. */
  readonly stack?: string;
  /** Index of the packet after which it showed. */
  readonly packetIndex: number;
  /** The target's clock when it showed (µs): a replay runs at least this far. */
  readonly atUs: number;
}

/** A failure from a thrown value. */
export function exceptionFailure(e: unknown, packetIndex: number, atUs: number): Failure {
  if (e instanceof Error) {
    return { kind: 'exception', message: `${e.name}: ${e.message}`, ...(e.stack !== undefined ? { stack: e.stack } : {}), packetIndex, atUs };
  }
  return { kind: 'exception', message: `thrown: ${String(e)}`, packetIndex, atUs };
}

/**
 * What makes two failures "the same bug" while shrinking: the kind and the
 * message with every number blanked (counts and positions change as the
 * sequence shrinks; the bug does not).
 */
export function failureSignature(f: Failure): string {
  return `${f.kind}:${f.message.replace(/[0-9]+/g, '#')}`;
}
