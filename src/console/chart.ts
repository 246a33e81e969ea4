import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { html, type SafeHtml } from './html.js';

export interface Bucket {
  start: Date;
  count: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Hourly bars while the campaign's signatures span at most two days; daily bars after that. */
const HOURLY_SPAN = 48 * HOUR;
const MAX_DAYS = 60;

/**
 * Empty buckets filled in, so that quiet hours show as gaps rather than vanish: at least `min` bars (a
 * new campaign's first hour is not one wall of colour), at most `max`, ending now.
 */
export function fillBuckets(counts: Bucket[], unit: number, end: Date, min: number, max: number): Bucket[] {
  const last = Math.floor(end.getTime() / unit) * unit;
  const earliest = Math.min(last - (min - 1) * unit, ...counts.map((b) => b.start.getTime()));
  const first = Math.max(earliest, last - (max - 1) * unit);
  const byStart = new Map(counts.map((b) => [b.start.getTime(), b.count]));
  const buckets: Bucket[] = [];
  for (let at = first; at <= last; at += unit)
    buckets.push({ start: new Date(at), count: byStart.get(at) ?? 0 });
  return buckets;
}

/** Counting signatures (valid and held, as the campaign's count does) per hour or per day, in UTC. */
export async function signaturesOverTime(
  db: Db,
  campaignId: number,
  now: Date,
): Promise<{ unit: 'hour' | 'day'; buckets: Bucket[] }> {
  const { rows: span } = await db.execute<{ first: Date | null }>(
    sql`SELECT min(signed_at) AS first FROM signatures WHERE campaign_id = ${campaignId} AND status IN ('valid', 'held')`,
  );
  const first = span[0]?.first ? new Date(span[0].first) : null;
  const unit = first && now.getTime() - first.getTime() > HOURLY_SPAN ? 'day' : 'hour';
  const { rows } = await db.execute<{ start: Date; n: number }>(sql`
    SELECT date_trunc(${unit}, signed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start, count(*)::int AS n
    FROM signatures WHERE campaign_id = ${campaignId} AND status IN ('valid', 'held')
    GROUP BY 1 ORDER BY 1`);
  const counts = rows.map((row) => ({ start: new Date(row.start), count: row.n }));
  return unit === 'hour'
    ? { unit, buckets: fillBuckets(counts, HOUR, now, 24, 48) }
    : { unit, buckets: fillBuckets(counts, DAY, now, 7, MAX_DAYS) };
}

const WIDTH = 600;
const HEIGHT = 160;
const BASE = HEIGHT - 20;

/** Inline SVG bars, drawn on the server; the table beside it carries the same numbers for screen readers. */
export function chartSvg({ unit, buckets }: { unit: 'hour' | 'day'; buckets: Bucket[] }): SafeHtml {
  const top = Math.max(1, ...buckets.map((b) => b.count));
  const slot = WIDTH / Math.max(buckets.length, 1);
  const labelEvery = Math.ceil(buckets.length / 8);
  const label = (start: Date) =>
    unit === 'hour' ? `${start.toISOString().slice(11, 13)}h` : start.toISOString().slice(5, 10);
  const bars = buckets.map((bucket, i) => {
    const height = Math.round((bucket.count / top) * (BASE - 10));
    const x = (i * slot + 1).toFixed(1);
    return html`<rect x="${x}" y="${BASE - height}" width="${Math.max(slot - 2, 1).toFixed(1)}" height="${height}"><title>${label(bucket.start)}: ${bucket.count}</title></rect>${
      i % labelEvery === 0 && html`<text x="${x}" y="${HEIGHT - 5}">${label(bucket.start)}</text>`
    }`;
  });
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Signatures per ${unit} (UTC): ${total} in the period shown, at most ${top} in one ${unit}">${bars}<text x="2" y="10">max ${top} per ${unit}</text></svg>`;
}
