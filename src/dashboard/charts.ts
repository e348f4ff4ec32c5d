/**
 * Inline SVG charts: a bar against a cap, and a line over hourly points. Sizes are fixed (the page
 * has no script); every label is escaped; figures are in <title> elements for screen readers and
 * hover.
 */
import { esc, usd } from './format';

/** Spent (solid) and held (light) against a cap (a red marker); the scale leaves room for an overrun. */
export function capBar(spent: bigint, held: bigint, cap: bigint | null, scaleMax: bigint): string {
  const W = 320;
  const H = 18;
  const max = scaleMax > 0n ? scaleMax : 1n;
  const x = (v: bigint) => Math.min(W, Number((v * BigInt(W * 100)) / max) / 100);
  const spentW = x(spent);
  const heldW = Math.min(W - spentW, x(held));
  const marker = cap === null ? '' :
    `<line class="cap" x1="${x(cap)}" x2="${x(cap)}" y1="0" y2="${H}" stroke="#c00" stroke-width="2"><title>cap ${esc(usd(cap))}</title></line>`;
  return `<svg class="bar" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`spent ${usd(spent)}, held ${usd(held)}${cap === null ? ', no cap' : `, cap ${usd(cap)}`}`)}">` +
    `<rect width="${W}" height="${H}" fill="#eee"/>` +
    `<rect class="spent" width="${spentW}" height="${H}" fill="#2b6cb0"><title>spent ${esc(usd(spent))}</title></rect>` +
    `<rect class="held" x="${spentW}" width="${heldW}" height="${H}" fill="#90cdf4"><title>held ${esc(usd(held))}</title></rect>` +
    `${marker}</svg>`;
}

export interface Point { at: Date; value: bigint }

/** A line over hourly points (missing hours must be filled by the caller), y from 0 to the maximum. */
export function lineChart(points: Point[]): string {
  const W = 720;
  const H = 180;
  const PAD = { l: 70, r: 34, t: 10, b: 30 };
  const maxV = points.reduce((m, p) => (p.value > m ? p.value : m), 0n);
  const top = maxV > 0n ? maxV : 1n;
  const step = points.length > 1 ? (W - PAD.l - PAD.r) / (points.length - 1) : 0;
  const px = (i: number) => PAD.l + i * step;
  const py = (v: bigint) => PAD.t + (H - PAD.t - PAD.b) * (1 - Number((v * 10000n) / top) / 10000);
  const line = points.map((p, i) => `${px(i).toFixed(1)},${py(p.value).toFixed(1)}`).join(' ');
  const dots = points.map((p, i) =>
    `<circle cx="${px(i).toFixed(1)}" cy="${py(p.value).toFixed(1)}" r="2.5" fill="#2b6cb0"><title>${esc(`${p.at.toISOString().slice(0, 13)}:00Z ${usd(p.value)}`)}</title></circle>`).join('');
  const ticks = points.map((p, i) => (i % 6 === 0 || i === points.length - 1
    ? `<text x="${px(i).toFixed(1)}" y="${H - 8}" font-size="10" text-anchor="middle">${esc(`${p.at.toISOString().slice(5, 13).replace('T', ' ')}h`)}</text>` : '')).join('');
  return `<svg class="line" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="spend per hour, last ${points.length} hours">` +
    `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" stroke="#999"/>` +
    `<text x="${PAD.l - 6}" y="${PAD.t + 8}" font-size="10" text-anchor="end">${esc(usd(maxV))}</text>` +
    `<text x="${PAD.l - 6}" y="${H - PAD.b}" font-size="10" text-anchor="end">$0</text>` +
    `<polyline fill="none" stroke="#2b6cb0" stroke-width="2" points="${line}"/>${dots}${ticks}</svg>`;
}
