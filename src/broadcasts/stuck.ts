import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { StuckItem, StuckSource } from '../ops/stuck.js';
import { enqueueMany } from '../queue/outbox.repository.js';
import { QueuesUnavailable } from '../queue/relay.js';
import type { OutboxWatchdog } from '../queue/watchdog.js';

/**
 * A text still queued, or claimed, this long after its last change may have lost its job. Longer than
 * a send takes (Twilio's client gives up after 15 s), so a text in flight is never taken for one.
 */
const STUCK_AFTER_SECONDS = 5 * 60;
/**
 * The oldest texts looked at per run. Jobs run in the order their texts were written, so a text whose
 * job is lost ends up among the oldest waiting, however large the broadcast.
 */
const CHECKED_PER_RUN = 1_000;
/** Held while texts are checked and enqueued again, so that two watchdogs never give one text two jobs. */
const LOCK_KEY = 'pp:stuck-texts';

const TEXT_STUCK_KINDS = ['sms-queued', 'sms-sending'] as const;

type TextRow = {
  id: string;
  status: 'queued' | 'sending';
  broadcast_id: string | null;
  campaign_id: string | null;
  updated_at: Date;
};

/** Without Redis, whether a text's job is live cannot be told: its kinds are left out, not guessed. */
async function lookWithoutRedis<T>(look: () => Promise<T>): Promise<T | null> {
  try {
    return await look();
  } catch (error) {
    if (error instanceof QueuesUnavailable) return null;
    throw error;
  }
}

/**
 * Texts waiting to be sent that no job will send: their job failed for good (a worker killed twice
 * in one send, an outage longer than its retries) or was lost with Redis after the outbox's window.
 */
export function createStuckTexts({ db, outbox }: { db: Db; outbox: Pick<OutboxWatchdog, 'withLiveJob'> }) {
  async function stuck(tx: Tx): Promise<TextRow[]> {
    const { rows } = await tx.execute<TextRow>(sql`
      SELECT m.id, m.status, m.broadcast_id, b.campaign_id, m.updated_at
      FROM outbound_messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id
      WHERE m.status IN ('queued', 'sending')
        AND m.updated_at <= now() - make_interval(secs => ${STUCK_AFTER_SECONDS})
      ORDER BY m.id LIMIT ${CHECKED_PER_RUN}`);
    const live = await outbox.withLiveJob(
      tx,
      'sms-send',
      'send',
      'messageId',
      rows.map((row) => Number(row.id)),
    );
    return rows.filter((row) => !live.has(Number(row.id)));
  }

  const source = {
    /**
     * A new job for each stuck text. Only where none is live: two jobs for one text could both find it
     * claimed and not yet at Twilio, and text the member twice. A claimed text is looked up at Twilio
     * by the new job before anything is sent.
     */
    async driveStuck(): Promise<{ requeued: number }> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${LOCK_KEY}))`);
        const lost = await stuck(tx);
        await enqueueMany(
          tx,
          'sms-send',
          'send',
          lost.map((row) => ({ messageId: Number(row.id) })),
        );
        return { requeued: lost.length };
      });
    },

    async stuckCounts() {
      const rows = await lookWithoutRedis(() => stuck(db));
      if (!rows) return {};
      return Object.fromEntries(
        TEXT_STUCK_KINDS.map((kind) => [kind, rows.filter((row) => `sms-${row.status}` === kind).length]),
      );
    },

    async stuckItems(): Promise<StuckItem[]> {
      return ((await lookWithoutRedis(() => stuck(db))) ?? []).map((row) => ({
        kind: `sms-${row.status}`,
        since: new Date(row.updated_at),
        reason:
          row.status === 'queued'
            ? 'text waiting to be sent, with no job to send it'
            : 'text claimed by a send that never finished, with no job to settle it',
        broadcastId: row.broadcast_id === null ? null : Number(row.broadcast_id),
        campaignId: row.campaign_id === null ? null : Number(row.campaign_id),
      }));
    },
  } satisfies StuckSource;
  return source;
}
