import type { Db, Tx } from '../db/client.js';
import type { StuckItem, StuckSource } from '../ops/stuck.js';
import { enqueueMany } from '../queue/outbox.repository.js';
import { QueuesUnavailable } from '../queue/relay.js';
import type { OutboxWatchdog } from '../queue/watchdog.js';
import { lockStuckTextsCheck, type UnchangedMessage, unchangedMessages } from './messages.repository.js';

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

const TEXT_STUCK_KINDS = ['sms-queued', 'sms-sending'] as const;

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
export function createStuckTextsService({
  db,
  outbox,
}: {
  db: Db;
  outbox: Pick<OutboxWatchdog, 'withLiveJob'>;
}) {
  async function stuck(tx: Tx): Promise<UnchangedMessage[]> {
    const rows = await unchangedMessages(tx, STUCK_AFTER_SECONDS, CHECKED_PER_RUN);
    const live = await outbox.withLiveJob(
      tx,
      'sms-send',
      'send',
      'messageId',
      rows.map((row) => row.id),
    );
    return rows.filter((row) => !live.has(row.id));
  }

  const source = {
    /**
     * A new job for each stuck text. Only where none is live: two jobs for one text could both find it
     * claimed and not yet at Twilio, and text the member twice. A claimed text is looked up at Twilio
     * by the new job before anything is sent.
     */
    async driveStuck(): Promise<{ requeued: number }> {
      return db.transaction(async (tx) => {
        await lockStuckTextsCheck(tx);
        const lost = await stuck(tx);
        await enqueueMany(
          tx,
          'sms-send',
          'send',
          lost.map((row) => ({ messageId: row.id })),
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
        since: row.updatedAt,
        reason:
          row.status === 'queued'
            ? 'text waiting to be sent, with no job to send it'
            : 'text claimed by a send that never finished, with no job to settle it',
        broadcastId: row.broadcastId,
        campaignId: row.campaignId,
      }));
    },
  } satisfies StuckSource;
  return source;
}

export type StuckTextsService = ReturnType<typeof createStuckTextsService>;
