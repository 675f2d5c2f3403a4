/**
 * Axis arithmetic for the graphs: linear scales, "nice" tick steps (1, 2 or
 * 5 times a power of ten) and compact tick labels.
 */

/** A linear map from data values to pixels. */
export type LinearScale = (value: number) => number;

/** A scale from the domain [d0, d1] (widened when empty) onto [p0, p1]. */
export function linearScale(d0: number, d1: number, p0: number, p1: number): LinearScale {
  const span = d1 > d0 ? d1 - d0 : 1;
  const k = (p1 - p0) / span;
  return (v) => p0 + (v - d0) * k;
}

/** The nice step for about `target` intervals over `span`. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  // The multiplier nearest the raw step (in ratio), so the count stays close to `target`.
  const m = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
  return m * mag;
}

/** Tick values: the multiples of `step` within [min, max]. */
export function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last && out.length < 1000; i++) out.push(i * step);
  return out;
}

/** Decimals needed to tell multiples of `step` apart (0 for whole steps). */
export function decimalsFor(step: number): number {
  if (!(step > 0)) return 0;
  const d = -Math.floor(Math.log10(step) + 1e-9);
  return Math.min(Math.max(d, 0), 9);
}

/** A time tick label: seconds with as many decimals as the step needs. */
export function formatSeconds(value: number, step: number): string {
  return fixed(value, decimalsFor(step));
}

/**
 * A byte-count tick label: `0`, `500`, `200k`, `1.2M`, `3G`, with one unit
 * for the whole axis (the one that suits `maxAbs`) and the decimals the step needs.
 */
export function formatBytes(value: number, step: number, maxAbs: number): string {
  const [unit, suffix] = maxAbs >= 1e9 ? [1e9, 'G'] : maxAbs >= 1e6 ? [1e6, 'M'] : maxAbs >= 1e4 ? [1e3, 'k'] : [1, ''];
  if (value === 0) return '0';
  return fixed(value / unit, decimalsFor(step / unit)) + suffix;
}

function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  // No "-0" labels.
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** A number with thin groups of three digits, locale-independent: 1048576 → "1,048,576". */
export function groupDigits(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? `-${out}` : out;
}

/** A coordinate for SVG text: at most two decimals, no exponent. */
export function coord(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}
