import type { ConnectionGraph } from './analysis.js';
import { renderSvg, xmlEscape, type SvgOptions } from './svg.js';

/**
 * The graphs as a self-contained HTML page: the SVG inline and a few lines
 * of script for pan (drag) and zoom (wheel, around the pointer) by moving
 * the SVG's viewBox; double-click goes back to the whole picture. No
 * external assets, so the file can be mailed or attached to a bug.
 */

const SCRIPT = `(() => {
  const svg = document.querySelector('svg');
  const home = svg.getAttribute('viewBox').split(' ').map(Number);
  let vb = home.slice();
  let drag = null;
  const show = () => svg.setAttribute('viewBox', vb.join(' '));
  const at = (e) => {
    const r = svg.getBoundingClientRect();
    return [vb[0] + ((e.clientX - r.left) / r.width) * vb[2], vb[1] + ((e.clientY - r.top) / r.height) * vb[3]];
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const [px, py] = at(e);
    const k = Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.002)));
    vb = [px - (px - vb[0]) * k, py - (py - vb[1]) * k, vb[2] * k, vb[3] * k];
    show();
  }, { passive: false });
  svg.addEventListener('pointerdown', (e) => {
    drag = [e.clientX, e.clientY, vb[0], vb[1]];
    svg.setPointerCapture(e.pointerId);
    svg.style.cursor = 'grabbing';
  });
  svg.addEventListener('pointermove', (e) => {
    if (drag === null) return;
    const r = svg.getBoundingClientRect();
    vb[0] = drag[2] - ((e.clientX - drag[0]) / r.width) * vb[2];
    vb[1] = drag[3] - ((e.clientY - drag[1]) / r.height) * vb[3];
    show();
  });
  const stop = () => { drag = null; svg.style.cursor = 'grab'; };
  svg.addEventListener('pointerup', stop);
  svg.addEventListener('pointercancel', stop);
  svg.addEventListener('dblclick', () => { vb = home.slice(); show(); });
})();`;

/** An HTML page showing {@link renderSvg}'s picture with pan and zoom. */
export function renderHtml(graphs: readonly ConnectionGraph[], options: SvgOptions = {}): string {
  const svg = renderSvg(graphs, options).replace(/^<\?xml[^>]*>\n/, '');
  const title = /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? 'TCP time-sequence graph';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${title}</title>`,
    '<style>',
    'body { margin: 0; background: #eceff1; font-family: DejaVu Sans, Verdana, sans-serif; }',
    'p.hint { margin: 8px 12px; color: #555; font-size: 13px; }',
    'svg { display: block; margin: 0 auto 16px; max-width: 100%; height: auto; background: #fff; cursor: grab; touch-action: none; box-shadow: 0 1px 4px rgba(0,0,0,.2); }',
    '</style>',
    '</head>',
    '<body>',
    `<p class="hint">${xmlEscape('Wheel: zoom around the pointer · drag: pan · double-click: whole graph')}</p>`,
    svg.trimEnd(),
    `<script>\n${SCRIPT}\n</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
