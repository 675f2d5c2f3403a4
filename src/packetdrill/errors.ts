/** The script failed at a line (packetdrill would exit with this error). */
export class ScriptFailure extends Error {
  constructor(
    readonly line: number,
    message: string,
    /** The expected and actual packets as `tsip dump` prints them, for packet mismatches. */
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
    this.name = 'ScriptFailure';
  }
}

/** The script uses something this runner cannot reproduce on tsip: it is skipped, not failed. */
export class ScriptSkip extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptSkip';
  }
}
