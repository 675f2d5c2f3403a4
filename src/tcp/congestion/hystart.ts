import { seqGe, type Seq } from '../../core/seq.js';

/** RFC 9406 §4.3 constants. */
export const HYSTART_MIN_RTT_THRESH_US = 4_000;
export const HYSTART_MAX_RTT_THRESH_US = 16_000;
export const HYSTART_MIN_RTT_DIVISOR = 8;
export const HYSTART_N_RTT_SAMPLE = 8;
export const HYSTART_CSS_GROWTH_DIVISOR = 4;
export const HYSTART_CSS_ROUNDS = 5;

/**
 * Where HyStart++ has the connection: standard slow start, Conservative Slow
 * Start, or done (congestion avoidance, or HyStart++ no longer applies).
 */
export type HyStartPhase = 'slow-start' | 'css' | 'done';

/**
 * HyStart++ (RFC 9406): leave the initial slow start when the RTT starts to
 * climb, before the queue overflows. Rounds are delimited by sequence
 * numbers (§4.2: a round ends when the ACK passes `windowEnd`, the SND.NXT
 * at the round's start). After a round whose minimum RTT exceeds the
 * previous round's by RttThresh, the sender enters Conservative Slow Start
 * (growth divided by CSS_GROWTH_DIVISOR); if the RTT falls back below the
 * baseline it resumes slow start (the exit was spurious), and after
 * CSS_ROUNDS rounds it enters congestion avoidance.
 *
 * This object only tracks rounds and phases; the congestion controller
 * applies the growth ({@link growthDivisor}) and sets ssthresh = cwnd when
 * the phase becomes `'done'` (§4.2). Linux's CUBIC uses the older HyStart
 * (ACK train + delay); RFC 9406 is what we implement.
 */
export class HyStartPlusPlus {
  phase: HyStartPhase = 'slow-start';
  /** Minimum RTT of the previous round (µs; Infinity if none). */
  lastRoundMinRttUs = Infinity;
  /** Minimum RTT of the current round so far (µs; Infinity if none). */
  currentRoundMinRttUs = Infinity;
  /** RTT samples taken in the current round. */
  rttSampleCount = 0;
  /** The current round's minimum RTT when CSS was entered (µs; Infinity outside CSS). */
  cssBaselineMinRttUs = Infinity;
  /** Rounds completed in CSS. */
  cssRounds = 0;
  private windowEnd = 0 as Seq;
  private roundStarted = false;

  /** Back to the start of the initial slow start. */
  reset(): void {
    this.phase = 'slow-start';
    this.lastRoundMinRttUs = Infinity;
    this.currentRoundMinRttUs = Infinity;
    this.rttSampleCount = 0;
    this.cssBaselineMinRttUs = Infinity;
    this.cssRounds = 0;
    this.roundStarted = false;
  }

  /**
   * HyStart++ no longer applies: a congestion event or timeout happened, or
   * cwnd reached ssthresh (RFC 9406 §4.2: use it only for the initial slow
   * start; later slow starts stop at the ssthresh found).
   */
  stop(): void {
    this.phase = 'done';
  }

  /** cwnd growth in slow start is divided by this: 1, or CSS_GROWTH_DIVISOR in CSS. */
  get growthDivisor(): number {
    return this.phase === 'css' ? HYSTART_CSS_GROWTH_DIVISOR : 1;
  }

  /**
   * Processes an ACK received in slow start or CSS. `sndUna`/`sndNxt` are
   * the connection's after the ACK; `rttUs` is its RTT sample or -1.
   * Returns the phase afterwards; `'done'` means "enter congestion
   * avoidance now, with ssthresh = cwnd".
   */
  onAck(sndUna: Seq, sndNxt: Seq, rttUs: number): HyStartPhase {
    if (this.phase === 'done') return 'done';
    if (!this.roundStarted || seqGe(sndUna, this.windowEnd)) {
      if (this.roundStarted && this.phase === 'css' && ++this.cssRounds >= HYSTART_CSS_ROUNDS) {
        // RFC 9406 §4.2: CSS lasted CSS_ROUNDS rounds: congestion avoidance.
        this.phase = 'done';
        return 'done';
      }
      this.startRound(sndNxt);
    }
    if (rttUs < 0) return this.phase;
    if (rttUs < this.currentRoundMinRttUs) this.currentRoundMinRttUs = rttUs;
    this.rttSampleCount++;
    if (this.rttSampleCount < HYSTART_N_RTT_SAMPLE) return this.phase;
    if (this.phase === 'slow-start') {
      if (this.currentRoundMinRttUs === Infinity || this.lastRoundMinRttUs === Infinity) return this.phase;
      const thresh = Math.max(
        HYSTART_MIN_RTT_THRESH_US,
        Math.min(this.lastRoundMinRttUs / HYSTART_MIN_RTT_DIVISOR, HYSTART_MAX_RTT_THRESH_US),
      );
      if (this.currentRoundMinRttUs >= this.lastRoundMinRttUs + thresh) {
        this.cssBaselineMinRttUs = this.currentRoundMinRttUs;
        this.cssRounds = 0;
        this.phase = 'css';
      }
    } else if (this.currentRoundMinRttUs < this.cssBaselineMinRttUs) {
      // The RTT came back down: the slow start exit was spurious (§4.2).
      this.cssBaselineMinRttUs = Infinity;
      this.phase = 'slow-start';
    }
    return this.phase;
  }

  private startRound(sndNxt: Seq): void {
    this.roundStarted = true;
    this.windowEnd = sndNxt;
    this.lastRoundMinRttUs = this.currentRoundMinRttUs;
    this.currentRoundMinRttUs = Infinity;
    this.rttSampleCount = 0;
  }
}
