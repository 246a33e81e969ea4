import type { Logger } from 'pino';

/** One piece of work that has stopped moving, as staff see it: never a phone number or a name. */
export interface StuckItem {
  /** What kind of work: `outbox-unrelayed`, `sms-queued`, a fax kind… (the label of pp_stuck_items). */
  kind: string;
  /** Since when it has not moved. */
  since: Date;
  /** Why it counts as stuck, in words. */
  reason: string;
  campaignId?: number | null;
  batchId?: number | null;
  deliveryId?: number | null;
  broadcastId?: number | null;
}

/**
 * A room that can tell what of its work is stuck and drive it on. The outbox, the texts and the fax
 * deliveries are each one; the report below knows them only by this shape.
 */
export interface StuckSource {
  /** Drives the stuck work on; resolves to counts of what it did, for the log. */
  driveStuck(): Promise<unknown>;
  /** How many items are stuck, by kind; a kind that cannot be checked now is left out. */
  stuckCounts(): Promise<Record<string, number>>;
  stuckItems(): Promise<StuckItem[]>;
}

export interface StuckReport {
  /** Every source's counts, by kind; at most `cacheMs` old, so that scrapes and pages share one look. */
  counts(): Promise<Record<string, number>>;
  /** The items of every source, oldest first. */
  items(): Promise<StuckItem[]>;
  /** Drives each source on in turn (a failing one does not stop the others); what each did, by source. */
  driveAll(): Promise<Record<string, unknown>>;
}

/** One look at the counts serves the metrics scrape and every console page for this long. */
const CACHE_MS = 5_000;

/**
 * What is stuck across the sources, in order: the outbox first, so that the rooms after it see its
 * rows made pending again as work that waits. A source that cannot be asked is logged and left out.
 */
export function createStuckReport(
  sources: Record<string, StuckSource>,
  { logger, cacheMs = CACHE_MS }: { logger: Logger; cacheMs?: number },
): StuckReport {
  let cached: { at: number; counts: Promise<Record<string, number>> } | null = null;

  async function lookAll<T>(ask: (source: StuckSource) => Promise<T>, what: string) {
    return Promise.all(
      Object.entries(sources).map(async ([name, source]) => {
        try {
          return await ask(source);
        } catch (error) {
          logger.warn({ source: name, reason: (error as Error).message }, `could not read stuck ${what}`);
          return null;
        }
      }),
    );
  }

  async function freshCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const each of await lookAll((source) => source.stuckCounts(), 'counts')) {
      for (const [kind, n] of Object.entries(each ?? {})) counts[kind] = (counts[kind] ?? 0) + n;
    }
    return counts;
  }

  return {
    counts() {
      const now = Date.now();
      if (!cached || now - cached.at >= cacheMs) cached = { at: now, counts: freshCounts() };
      return cached.counts;
    },
    async items() {
      const lists = await lookAll((source) => source.stuckItems(), 'items');
      return lists.flatMap((list) => list ?? []).sort((a, b) => a.since.getTime() - b.since.getTime());
    },
    async driveAll() {
      const done: Record<string, unknown> = {};
      for (const [name, source] of Object.entries(sources)) {
        try {
          done[name] = await source.driveStuck();
        } catch (error) {
          logger.warn({ source: name, reason: (error as Error).message }, 'could not drive stuck work on');
          done[name] = 'failed';
        }
      }
      // What was driven on is no longer stuck: the next look must not show the one before.
      cached = null;
      return done;
    },
  };
}
