import type { AddressPlan } from './addresses.js';

/** Receives one IP packet the target sent. The bytes may be a view valid only during the call. */
export type OutputHandler = (packet: Uint8Array) => void;

/**
 * Something the fuzzer drives: it takes IP packets and answers with IP
 * packets. `self` is a tsip stack in this process on a virtual clock, `tun`
 * the Linux kernel behind a TUN device in a namespace; tests add their own.
 */
export interface FuzzTarget {
  /** 'self', 'tun', or a test's own name. */
  readonly kind: string;
  readonly plan: AddressPlan;
  /**
   * True when time only moves through {@link advance} (a virtual clock):
   * runs are then deterministic, and `advance` should finish synchronously
   * (the runner awaits it only when it returns a promise).
   */
  readonly virtualTime: boolean;
  /**
   * Whether the health probes apply: the target answers ping and serves TCP
   * echo on `plan.echoPort` (default true; a test's stub target may not).
   */
  readonly probes?: boolean;
  /** Largest packet the target's link carries. */
  readonly mtu: number;
  /**
   * Hands one IP packet to the target, which takes ownership of the bytes.
   * An in-process target may throw: that is a finding, not an error of the fuzzer.
   */
  inject(packet: Uint8Array): void;
  /**
   * Lets `us` microseconds pass (virtual time: at once; real time: at least
   * a turn of the event loop). Packets the target sends meanwhile reach the
   * output handler. May throw like {@link inject}.
   */
  advance(us: number): void | Promise<void>;
  /** Microseconds since the target was opened (virtual or real). */
  now(): number;
  setOutput(handler: OutputHandler | null): void;
  /**
   * Invariants only an in-process target can check — counters consistent
   * with `injected`, connection table and reassembly memory bounded.
   * Returns null when they hold, else what is wrong.
   */
  checkInternals?(injected: number): string | null;
  /** A line for reports: what the target is and where it runs. */
  describe(): string;
  /** Frees everything the target holds (namespace, device, processes). Idempotent. */
  close(): Promise<void>;
}

/** Opens a fresh target; `seed` fixes whatever randomness the target has (self: the stack's). */
export type TargetFactory = (options: { seed: number }) => Promise<FuzzTarget>;
