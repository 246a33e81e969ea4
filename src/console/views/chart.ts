import { html, type SafeHtml } from '../../html.js';
import { displayTimeZone } from './layout.js';

/** Signatures counted per hour or per day (the campaigns service's `overTime`). */
export interface SignaturesOverTime {
  unit: 'hour' | 'day';
  buckets: ReadonlyArray<{ start: Date; count: number }>;
}

const WIDTH = 600;
const HEIGHT = 160;
const BASE = HEIGHT - 20;

/**
 * Inline SVG bars, drawn on the server; the table beside it carries the same numbers for screen readers.
 * Hours are labelled on the organisation's clock (buckets are whole UTC hours, so whole local hours in
 * every zone with a whole-hour offset); days are UTC days, and say so.
 */
export function chartSvg({ unit, buckets }: SignaturesOverTime, timeZone = displayTimeZone()): SafeHtml {
  const hourOf = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
  const top = Math.max(1, ...buckets.map((b) => b.count));
  const slot = WIDTH / Math.max(buckets.length, 1);
  const labelEvery = Math.ceil(buckets.length / 8);
  const label = (start: Date) =>
    unit === 'hour' ? `${hourOf.format(start)}h` : start.toISOString().slice(5, 10);
  const bars = buckets.map((bucket, i) => {
    const height = Math.round((bucket.count / top) * (BASE - 10));
    const x = (i * slot + 1).toFixed(1);
    return html`<rect x="${x}" y="${BASE - height}" width="${Math.max(slot - 2, 1).toFixed(1)}"
      height="${height}"><title>${label(bucket.start)}: ${bucket.count}</title></rect>${
        i % labelEvery === 0 && html`<text x="${x}" y="${HEIGHT - 5}">${label(bucket.start)}</text>`
      }`;
  });
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const description =
    `Signatures per ${unit} (${unit === 'hour' ? `${timeZone} time` : 'UTC days'}): ` +
    `${total} in the period shown, at most ${top} in one ${unit}`;
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${description}">${bars}<text
    x="2" y="10">max ${top} per ${unit}</text></svg>`;
}
