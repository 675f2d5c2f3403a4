import type { ConnectionGraph, GraphSack, GraphSegment, GraphStep } from './analysis.js';
import { coord, formatBytes, formatSeconds, groupDigits, linearScale, niceStep, ticks, type LinearScale } from './scale.js';

/**
 * Draws time-sequence graphs as SVG text: one panel per connection, stacked
 * vertically, each with its title (the 4-tuple and the data direction), a
 * line of counts, axes in seconds and relative sequence numbers, and a
 * legend. Each kind of mark is one `<path>` (one element per series, not per
 * segment), which keeps files of big captures small and fast to draw.
 */

/** Options of {@link renderSvg}. */
export interface SvgOptions {
  /** Width of the picture in px (default 1200). */
  width?: number;
  /** Height of one connection's panel in px (default 720). */
  panelHeight?: number;
  /** Text of the document's `<title>` (default: the first panel's title). */
  title?: string;
  /**
   * Only this time span, in seconds since each connection's first segment
   * (a zoomed, static view; the sequence axis fits what is inside it).
   */
  timeRange?: readonly [number, number];
}

/** Colours and names of the series, in legend order. */
export const SERIES = {
  data: { color: '#1f4e9c', label: 'data segment' },
  retransmit: { color: '#d62728', label: 'retransmission' },
  zwp: { color: '#e07b00', label: 'zero-window probe' },
  ack: { color: '#2ca02c', label: 'cumulative ACK' },
  window: { color: '#b8860b', label: 'receive window' },
  sack: { color: '#8e44ad', label: 'SACK block' },
  dsack: { color: '#17a2b8', label: 'D-SACK block' },
} as const;

const FONT = 'DejaVu Sans, Verdana, Helvetica, Arial, sans-serif';
const MARGIN = { left: 92, right: 28, top: 78 };
/** Below the plot: tick labels, the axis title, then the legend rows. */
const AXIS_BELOW = 64;
const LEGEND_ROW = 22;

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/** The panel title: the two ends, the data direction first. */
export function graphTitle(g: ConnectionGraph): string {
  return `${g.sender} \u2192 ${g.receiver}`;
}

/** One line of counts for a panel's subtitle. */
export function graphSummary(g: ConnectionGraph): string {
  const s = g.stats;
  const parts = [
    `${groupDigits(s.bytes)} bytes in ${groupDigits(s.dataSegments)} segment${s.dataSegments === 1 ? '' : 's'}`,
    `${groupDigits(s.retransmissions)} retransmission${s.retransmissions === 1 ? '' : 's'}`,
    `${groupDigits(s.zeroWindowProbes)} zero-window probe${s.zeroWindowProbes === 1 ? '' : 's'}`,
    `${groupDigits(s.sackBlocks)} SACK block${s.sackBlocks === 1 ? '' : 's'}`,
    !g.windowScaleKnown ? 'wscale unknown (no SYNs)' : g.windowScaling ? `wscale ${g.windowScale}` : 'no window scaling',
  ];
  if (g.mss >= 0) parts.push(`MSS ${g.mss}`);
  parts.push(`${(s.durationUs / 1e6).toFixed(3)} s`);
  return parts.join(' \u00b7 ');
}

interface Frame {
  x: LinearScale;
  y: LinearScale;
  /** Plot area in px. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The extent to show: [t0, t1, yMin, yMax], over the marks inside `timeRange` when one is given. */
function extent(g: ConnectionGraph, timeRange: readonly [number, number] | undefined): [number, number, number, number] {
  const t0 = timeRange !== undefined ? timeRange[0] : 0;
  const t1 = timeRange !== undefined ? timeRange[1] : g.stats.durationUs / 1e6;
  let yMin = Infinity;
  let yMax = -Infinity;
  const see = (t: number, v: number): void => {
    if (t < t0 || t > t1) return;
    if (v < yMin) yMin = v;
    if (v > yMax) yMax = v;
  };
  for (const s of g.segments) {
    see(s.t, s.start);
    see(s.t, s.end);
  }
  for (const s of g.sacks) {
    see(s.t, s.start);
    see(s.t, s.end);
  }
  // Step lines hold their value until the next step: include the value in force at t0.
  for (const line of [g.acks, g.window]) {
    let before: number | undefined;
    for (const p of line) {
      if (p.t < t0) before = p.value;
      else see(p.t, p.value);
    }
    if (before !== undefined) see(t0, before);
  }
  if (!(yMax >= yMin)) {
    yMin = 0;
    yMax = 1;
  }
  return [t0, t1 > t0 ? t1 : t0 + 1, yMin, yMax];
}

/** Renders the graphs of `graphs` into one SVG document. */
export function renderSvg(graphs: readonly ConnectionGraph[], options: SvgOptions = {}): string {
  const width = options.width ?? 1200;
  const panelHeight = options.panelHeight ?? 720;
  const height = panelHeight * Math.max(graphs.length, 1);
  const docTitle = options.title ?? (graphs.length > 0 ? `TCP time-sequence graph: ${graphTitle(graphs[0]!)}` : 'TCP time-sequence graph');
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<title>${xmlEscape(docTitle)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  graphs.forEach((g, i) => renderPanel(out, g, i, i * panelHeight, width, panelHeight, options.timeRange));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function renderPanel(
  out: string[],
  g: ConnectionGraph,
  index: number,
  y0: number,
  width: number,
  height: number,
  timeRange: readonly [number, number] | undefined,
): void {
  const x0 = 0;
  const [t0, t1, yMinData, yMaxData] = extent(g, timeRange);
  // A little room around the marks so that none sits on the frame.
  const tPad = timeRange !== undefined ? 0 : (t1 - t0) * 0.015;
  const tLo = t0 - tPad;
  const tHi = t1 + tPad;
  // About one time label per 100 px, one sequence label per 60 px.
  const tStep = niceStep(tHi - tLo, Math.max(4, Math.floor((width - MARGIN.left - MARGIN.right) / 100)));
  const pad = (yMaxData - yMinData) * 0.03 || 1;
  const yLo = yMinData - pad;
  const yHi = yMaxData + pad;
  const yStep = niceStep(yHi - yLo, Math.max(3, Math.floor((height - MARGIN.top - AXIS_BELOW - LEGEND_ROW) / 60)));
  const left = x0 + MARGIN.left;
  const right = x0 + width - MARGIN.right;
  const top = y0 + MARGIN.top;
  const legend = legendRows(g.sacks.some((x) => x.dsack), right - left);
  const bottom = y0 + height - AXIS_BELOW - LEGEND_ROW * legend.rows.length;
  const f: Frame = {
    left,
    right,
    top,
    bottom,
    x: linearScale(tLo, tHi, left, right),
    y: linearScale(yLo, yHi, bottom, top),
  };
  const clip = `plot-${index}`;
  const cx = (x0 + width / 2).toString();

  out.push(`<g class="panel" id="panel-${index}">`);
  if (index > 0) out.push(`<path d="M16 ${y0 + 0.5}H${width - 16}" stroke="#d0d0d0" stroke-width="1"/>`);
  out.push(`<text x="${cx}" y="${y0 + 30}" text-anchor="middle" font-size="19" font-weight="bold" fill="#222">${xmlEscape(graphTitle(g))}</text>`);
  out.push(`<text x="${cx}" y="${y0 + 54}" text-anchor="middle" font-size="13" fill="#555">${xmlEscape(graphSummary(g))}</text>`);
  out.push(`<clipPath id="${clip}"><rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}"/></clipPath>`);
  out.push(`<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="#fcfcfc" stroke="none"/>`);

  // Grid and tick labels.
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of ticks(tLo, tHi, tStep)) {
    const x = coord(f.x(t));
    grid.push(`M${x} ${f.top}V${f.bottom}`);
    labels.push(`<text x="${x}" y="${f.bottom + 18}" text-anchor="middle">${formatSeconds(t, tStep)}</text>`);
  }
  const maxAbs = Math.max(Math.abs(yLo), Math.abs(yHi));
  for (const v of ticks(yLo, yHi, yStep)) {
    const y = coord(f.y(v));
    grid.push(`M${f.left} ${y}H${f.right}`);
    labels.push(`<text x="${f.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatBytes(v, yStep, maxAbs)}</text>`);
  }
  out.push(`<path d="${grid.join('')}" stroke="#e4e4e4" stroke-width="1" fill="none"/>`);
  out.push(`<g font-size="12" fill="#333">${labels.join('')}</g>`);
  out.push(`<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="none" stroke="#888" stroke-width="1"/>`);
  out.push(
    `<text x="${coord((f.left + f.right) / 2)}" y="${f.bottom + 42}" text-anchor="middle" font-size="13" fill="#333">time (s) since the connection's first segment</text>`,
  );
  const my = coord((f.top + f.bottom) / 2);
  const isnNote = g.isnFromSyn ? `ISN ${g.isn}` : `first seq ${g.isn}`;
  out.push(
    `<text x="${x0 + 20}" y="${my}" text-anchor="middle" font-size="13" fill="#333" transform="rotate(-90 ${x0 + 20} ${my})">sequence number (bytes, relative to ${isnNote})</text>`,
  );

  // Series, back to front.
  out.push(`<g clip-path="url(#${clip})" fill="none" stroke-linejoin="round">`);
  out.push(stepPath(g.window, f, SERIES.window.color, 1.4));
  out.push(stepPath(g.acks, f, SERIES.ack.color, 1.6));
  const plain = g.sacks.filter((s) => !s.dsack);
  const dup = g.sacks.filter((s) => s.dsack);
  out.push(barPath(plain, f, SERIES.sack.color, 1.2, 2, 0.75));
  out.push(barPath(dup, f, SERIES.dsack.color, 1.4, 3, 0.75));
  out.push(barPath(g.segments.filter((s) => s.kind === 'data'), f, SERIES.data.color, 1.4, 2));
  out.push(barPath(g.segments.filter((s) => s.kind === 'retransmit'), f, SERIES.retransmit.color, 2.2, 5));
  out.push(diamondPath(g.segments.filter((s) => s.kind === 'zero-window-probe'), f, SERIES.zwp.color));
  out.push('</g>');

  renderLegend(out, f, legend, bottom + AXIS_BELOW);
  out.push('</g>');
}

/** A step line through the points, carried on to the right edge of the plot. */
function stepPath(points: readonly GraphStep[], f: Frame, color: string, width: number): string {
  if (points.length === 0) return '';
  let d = `M${coord(f.x(points[0]!.t))} ${coord(f.y(points[0]!.value))}`;
  for (let i = 1; i < points.length; i++) {
    d += `H${coord(f.x(points[i]!.t))}V${coord(f.y(points[i]!.value))}`;
  }
  d += `H${coord(f.right)}`;
  return `<path d="${d}" stroke="${color}" stroke-width="${width}" vector-effect="non-scaling-stroke"/>`;
}

/** Vertical bars from start to end at time t, with short caps (tcptrace's "I-beams"). */
function barPath(items: readonly (GraphSegment | GraphSack)[], f: Frame, color: string, width: number, cap: number, opacity = 1): string {
  if (items.length === 0) return '';
  const parts: string[] = [];
  const c2 = coord(2 * cap);
  for (const s of items) {
    const x = f.x(s.t);
    const y1 = f.y(s.start);
    const y2 = f.y(s.end);
    const xs = coord(x);
    const xl = coord(x - cap);
    parts.push(`M${xs} ${coord(y1)}V${coord(y2)}M${xl} ${coord(y1)}h${c2}M${xl} ${coord(y2)}h${c2}`);
  }
  const op = opacity < 1 ? ` stroke-opacity="${opacity}"` : '';
  return `<path d="${parts.join('')}" stroke="${color}" stroke-width="${width}"${op} stroke-linecap="butt" vector-effect="non-scaling-stroke"/>`;
}

/** Filled diamonds at each segment's start. */
function diamondPath(items: readonly GraphSegment[], f: Frame, color: string): string {
  if (items.length === 0) return '';
  const r = 5;
  const parts: string[] = [];
  for (const s of items) {
    const x = f.x(s.t);
    const y = f.y(s.start);
    parts.push(`M${coord(x)} ${coord(y - r)}L${coord(x + r)} ${coord(y)}L${coord(x)} ${coord(y + r)}L${coord(x - r)} ${coord(y)}Z`);
  }
  return `<path d="${parts.join('')}" fill="${color}" stroke="#7a4300" stroke-width="0.8" vector-effect="non-scaling-stroke"/>`;
}

type LegendEntry = { color: string; label: string; shape: 'bar' | 'line' | 'diamond' };

/** The legend's entries, laid out in as few rows as fit `width`: [entries, x offset from the row's start][] per row. */
function legendRows(withDsack: boolean, width: number): { rows: [LegendEntry, number][][]; rowWidths: number[] } {
  const entries: LegendEntry[] = [
    { ...SERIES.data, shape: 'bar' },
    { ...SERIES.retransmit, shape: 'bar' },
    { ...SERIES.zwp, shape: 'diamond' },
    { ...SERIES.ack, shape: 'line' },
    { ...SERIES.window, shape: 'line' },
    { ...SERIES.sack, shape: 'bar' },
  ];
  if (withDsack) entries.push({ ...SERIES.dsack, shape: 'bar' });
  // Rough text width at 13 px: 7.2 px per character, plus the swatch and a gap.
  const rows: [LegendEntry, number][][] = [[]];
  const rowWidths = [0];
  for (const e of entries) {
    const w = 30 + e.label.length * 7.2 + 22;
    let r = rows.length - 1;
    if (rowWidths[r]! + w > width && rows[r]!.length > 0) {
      rows.push([]);
      rowWidths.push(0);
      r++;
    }
    rows[r]!.push([e, rowWidths[r]!]);
    rowWidths[r]! += w;
  }
  return { rows, rowWidths };
}

/** The legend centred under the plot, its first row's baseline at `y`. */
function renderLegend(out: string[], f: Frame, layout: ReturnType<typeof legendRows>, y0: number): void {
  const parts: string[] = [];
  layout.rows.forEach((row, r) => {
    const y = y0 + r * LEGEND_ROW;
    const start = (f.left + f.right) / 2 - layout.rowWidths[r]! / 2;
    for (const [e, dx] of row) {
      const x = start + dx;
      if (e.shape === 'bar') {
        parts.push(`<path d="M${coord(x + 10)} ${y - 9}V${y + 5}M${coord(x + 6)} ${y - 9}h8M${coord(x + 6)} ${y + 5}h8" stroke="${e.color}" stroke-width="2" fill="none"/>`);
      } else if (e.shape === 'line') {
        parts.push(`<path d="M${coord(x)} ${y + 3}H${coord(x + 10)}V${y - 6}H${coord(x + 22)}" stroke="${e.color}" stroke-width="2" fill="none"/>`);
      } else {
        parts.push(`<path d="M${coord(x + 10)} ${y - 8}l6 6l-6 6l-6 -6Z" fill="${e.color}" stroke="#7a4300" stroke-width="0.8"/>`);
      }
      parts.push(`<text x="${coord(x + 30)}" y="${y + 3}" font-size="13" fill="#222">${xmlEscape(e.label)}</text>`);
    }
  });
  out.push(`<g class="legend">${parts.join('')}</g>`);
}
