import type { Script, ScriptError } from './ast.js';
import { parseScript, type ParseOptions } from './parser.js';
import { planTiming, type TimingConfig, type TimingPlan } from './timing.js';

/**
 * The packetdrill interpreter: the front end (lexer, parser, timing
 * pre-pass, Linux symbol table; {@link prepareScript}) and the runner that
 * plays a script against a fresh tsip stack in virtual time
 * ({@link runScript}).
 */
export type * from './ast.js';
export { lex, parseDefine, KEYWORDS, type Token, type TokenKind, type LexOptions, type LexResult, type Diagnostic } from './lexer.js';
export { parseScript, secondsToMicros, type ParseOptions, type ParseOutcome } from './parser.js';
export * from './timing.js';
export * from './symbols.js';
export { runScript, type RunOptions, type ScriptResult } from './runner.js';
export { collectScripts, profileForPath } from './files.js';
export { endpointsFor, IPV4_ENDPOINTS, IPV6_ENDPOINTS, type ProfileName, type RunEndpoints } from './config.js';

/** Options for {@link prepareScript}. */
export interface PrepareOptions extends ParseOptions {
  /** Tolerance defaults before the script's own `--tolerance_*` options (packetdrill's when omitted). */
  readonly timing?: TimingConfig;
}

/** A parsed and timing-checked script, ready to run. */
export type PreparedScript =
  | { readonly ok: true; readonly script: Script; readonly plan: TimingPlan }
  | { readonly ok: false; readonly errors: readonly ScriptError[] };

/** Parses `source` and runs the timing pre-pass; every error carries its line. Never throws. */
export function prepareScript(source: string, options: PrepareOptions = {}): PreparedScript {
  const parsed = parseScript(source, options);
  if (!parsed.ok) return parsed;
  const timing = planTiming(parsed.script, options.timing);
  if (!timing.ok) return timing;
  return { ok: true, script: parsed.script, plan: timing.plan };
}
