import { Cubic, type CubicOptions } from './cubic.js';
import { NewReno } from './newreno.js';
import type { CongestionAlgorithm, CongestionControl, CongestionFactory } from './types.js';

export type { AckSample, CongestionAlgorithm, CongestionControl, CongestionEventKind, CongestionFactory, CongestionOptions } from './types.js';
export { initialWindow } from './types.js';
export { Cubic, type CubicOptions } from './cubic.js';
export { NewReno, NewRenoRecovery, type RecoveryAck } from './newreno.js';

/** The factories by name: 'cubic' is the default, as in Linux (net.ipv4.tcp_congestion_control). */
export const CONGESTION_FACTORIES: Readonly<Record<CongestionAlgorithm, CongestionFactory>> = {
  cubic: (options) => new Cubic(options),
  newreno: (options) => new NewReno(options),
};

/** A fresh controller of the named algorithm (default 'cubic'). Call `init(mss, now)` before use. */
export function createCongestionControl(name: CongestionAlgorithm = 'cubic', options: CubicOptions = {}): CongestionControl {
  return CONGESTION_FACTORIES[name](options);
}
