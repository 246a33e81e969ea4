import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { BroadcastRow, BroadcastStatus } from '../db/rows.js';
import { broadcasts } from '../db/schema.js';
import type { AudienceChoice, StoredAudience } from './audience.js';

/** A broadcast with how its texts stand: what the progress page and the API show. */
export type BroadcastProgressRow = Pick<
  BroadcastRow,
  | 'id'
  | 'campaignId'
  | 'audience'
  | 'batchId'
  | 'status'
  | 'total'
  | 'segments'
  | 'encoding'
  | 'body'
  | 'createdAt'
  | 'cancelledAt'
  | 'ignoresQuietHours'
  | 'sendAfter'
> & {
  /** Whether texts have been written yet. */
  started: boolean;
  queued: number;
  /** Handed to Twilio (a sid recorded), whatever happened next. */
  sent: number;
  delivered: number;
  /** Failed or undelivered. */
  failed: number;
  skippedOptedOut: number;
  cancelled: number;
};

/** The broadcast with its texts counted by status; undefined when there is none. */
export async function broadcastProgress(q: Tx, id: number): Promise<BroadcastProgressRow | undefined> {
  const { rows } = await q.execute<{
    id: string;
    campaign_id: string;
    audience: StoredAudience;
    batch_id: string | null;
    status: BroadcastStatus;
    total: number;
    segments: number;
    encoding: string;
    body: string | null;
    created_at: string;
    cancelled_at: string | null;
    ignores_quiet_hours: boolean;
    send_after: string | null;
    started: boolean;
    queued: number;
    sent: number;
    delivered: number;
    failed: number;
    skipped_opted_out: number;
    cancelled: number;
  }>(sql`
    SELECT b.id, b.campaign_id, b.audience, b.batch_id, b.status, b.total, b.segments, b.encoding, b.body,
      b.created_at, b.cancelled_at, b.ignores_quiet_hours, b.send_after,
      b.fanned_out_to > 0 OR b.fanned_out_at IS NOT NULL AS started,
      count(*) FILTER (WHERE m.status IN ('queued', 'sending'))::int AS queued,
      count(m.twilio_sid)::int AS sent,
      count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered,
      count(*) FILTER (WHERE m.status IN ('failed', 'undelivered'))::int AS failed,
      count(*) FILTER (WHERE m.status = 'skipped_opted_out')::int AS skipped_opted_out,
      count(*) FILTER (WHERE m.status = 'cancelled')::int AS cancelled
    FROM broadcasts b LEFT JOIN outbound_messages m ON m.broadcast_id = b.id
    WHERE b.id = ${id}
    GROUP BY b.id`);
  const row = rows[0];
  return (
    row && {
      id: Number(row.id),
      campaignId: Number(row.campaign_id),
      audience: row.audience,
      batchId: row.batch_id === null ? null : Number(row.batch_id),
      status: row.status,
      total: row.total,
      segments: row.segments,
      encoding: row.encoding,
      body: row.body,
      createdAt: new Date(row.created_at),
      cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at),
      ignoresQuietHours: row.ignores_quiet_hours,
      sendAfter: row.send_after === null ? null : new Date(row.send_after),
      started: row.started,
      queued: row.queued,
      sent: row.sent,
      delivered: row.delivered,
      failed: row.failed,
      skippedOptedOut: row.skipped_opted_out,
      cancelled: row.cancelled,
    }
  );
}

/** An unfinished broadcast with how many of its texts are handled (settled one way or another). */
export type UnfinishedBroadcastRow = Pick<
  BroadcastRow,
  'id' | 'campaignId' | 'audience' | 'batchId' | 'status' | 'total' | 'createdAt'
> & { handled: number };

/** Broadcasts queued, waiting or sending, oldest first. */
export async function unfinishedBroadcasts(q: Tx): Promise<UnfinishedBroadcastRow[]> {
  const { rows } = await q.execute<{
    id: string;
    campaign_id: string;
    audience: StoredAudience;
    batch_id: string | null;
    status: BroadcastStatus;
    total: number;
    handled: number;
    created_at: string;
  }>(sql`
    SELECT b.id, b.campaign_id, b.audience, b.batch_id, b.status, b.total, b.created_at,
      (SELECT count(*) FROM outbound_messages m
       WHERE m.broadcast_id = b.id AND m.status NOT IN ('queued', 'sending'))::int AS handled
    FROM broadcasts b WHERE b.status IN ('queued', 'waiting', 'sending')
    ORDER BY b.id`);
  return rows.map((row) => ({
    id: Number(row.id),
    campaignId: Number(row.campaign_id),
    audience: row.audience,
    batchId: row.batch_id === null ? null : Number(row.batch_id),
    status: row.status,
    total: row.total,
    handled: row.handled,
    createdAt: new Date(row.created_at),
  }));
}

/** A campaign's broadcasts, newest first. */
export async function broadcastsOfCampaign(
  q: Tx,
  campaignId: number,
  limit: number,
): Promise<BroadcastRow[]> {
  return q
    .select()
    .from(broadcasts)
    .where(eq(broadcasts.campaignId, campaignId))
    .orderBy(desc(broadcasts.id))
    .limit(limit);
}

/**
 * The latest broadcast of this very text to this audience of the campaign within the last
 * `windowSeconds`, read on the database's clock, which stamps `created_at`, that sent texts or still
 * will: one cancelled before any text went out does not count.
 */
export async function latestRepeat(
  q: Tx,
  campaignId: number,
  { audience, batchId }: AudienceChoice,
  text: string,
  windowSeconds: number,
): Promise<Pick<BroadcastRow, 'id' | 'createdAt' | 'status'> | undefined> {
  const [row] = await q
    .select({ id: broadcasts.id, createdAt: broadcasts.createdAt, status: broadcasts.status })
    .from(broadcasts)
    .where(
      and(
        eq(broadcasts.campaignId, campaignId),
        eq(broadcasts.audience, audience),
        batchId === null ? undefined : eq(broadcasts.batchId, batchId),
        eq(broadcasts.body, text),
        gt(broadcasts.createdAt, sql`now() - make_interval(secs => ${windowSeconds})`),
        sql`(${broadcasts.status} <> 'cancelled' OR EXISTS (
          SELECT 1 FROM outbound_messages m
          WHERE m.broadcast_id = ${broadcasts.id} AND m.twilio_sid IS NOT NULL))`,
      ),
    )
    .orderBy(desc(broadcasts.id))
    .limit(1);
  return row;
}

/** Broadcasts of one campaign are made one at a time (until the transaction ends). */
export async function lockBroadcastCreation(tx: Tx, campaignId: number): Promise<void> {
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(hashtextextended(${`broadcast-create:${campaignId}`}, 0))`,
  );
}

export async function insertBroadcast(
  tx: Tx,
  values: Pick<
    typeof broadcasts.$inferInsert,
    | 'campaignId'
    | 'audience'
    | 'batchId'
    | 'body'
    | 'segments'
    | 'encoding'
    | 'status'
    | 'total'
    | 'audienceUpTo'
    | 'ignoresQuietHours'
    | 'createdBy'
  >,
): Promise<Pick<BroadcastRow, 'id' | 'status'> | undefined> {
  const [row] = await tx
    .insert(broadcasts)
    .values(values)
    .returning({ id: broadcasts.id, status: broadcasts.status });
  return row;
}

/** The broadcast, locked until the transaction ends (a fan-out batch and staff's changes take turns). */
export async function lockBroadcast(tx: Tx, id: number): Promise<BroadcastRow | undefined> {
  const [row] = await tx.select().from(broadcasts).where(eq(broadcasts.id, id)).for('update');
  return row;
}

/** "Send now anyway": no quiet hours and no later time for this broadcast. */
export async function clearBroadcastHold(tx: Tx, id: number): Promise<void> {
  await tx.update(broadcasts).set({ ignoresQuietHours: true, sendAfter: null }).where(eq(broadcasts.id, id));
}

export async function rescheduleBroadcast(tx: Tx, id: number, sendAt: Date): Promise<void> {
  await tx.update(broadcasts).set({ sendAfter: sendAt, status: 'waiting' }).where(eq(broadcasts.id, id));
}

export async function cancelBroadcast(tx: Tx, id: number, at: Date): Promise<void> {
  await tx.update(broadcasts).set({ status: 'cancelled', cancelledAt: at }).where(eq(broadcasts.id, id));
}

/** A fan-out held by quiet hours or a later time. */
export async function markBroadcastWaiting(tx: Tx, id: number): Promise<void> {
  await tx.execute(sql`UPDATE broadcasts SET status = 'waiting' WHERE id = ${id}`);
}

/**
 * One fan-out batch written: the cursor moves to `fannedOutTo`, and once the audience is exhausted
 * (`fannedOutAt` given) the broadcast is fanned out then, with its total counted from its texts.
 */
export async function recordFanOutBatch(
  tx: Tx,
  id: number,
  { fannedOutTo, fannedOutAt }: { fannedOutTo: number; fannedOutAt: Date | null },
): Promise<void> {
  const complete = fannedOutAt !== null;
  await tx.execute(sql`
    UPDATE broadcasts SET
      status = 'sending',
      fanned_out_to = ${fannedOutTo},
      fanned_out_at = ${fannedOutAt?.toISOString() ?? null},
      total = CASE WHEN ${complete}
        THEN (SELECT count(*) FROM outbound_messages WHERE broadcast_id = ${id}) ELSE total END
    WHERE id = ${id}`);
}

/**
 * Marks a broadcast done once it is fanned out and none of its messages waits to be handed over. Run
 * after the caller's change has committed: the last message to commit then sees every other one.
 */
export async function finishBroadcastIfSent(q: Tx, id: number): Promise<void> {
  await q.execute(sql`
    UPDATE broadcasts b SET status = 'done', completed_at = now()
    WHERE b.id = ${id} AND b.status IN ('sending', 'waiting') AND b.fanned_out_at IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM outbound_messages m
        WHERE m.broadcast_id = b.id AND m.status IN ('queued', 'sending'))`);
}

/** The broadcast of this message, if it is sending, now waits (quiet hours). */
export async function markBroadcastOfMessageWaiting(q: Tx, messageId: number): Promise<void> {
  await q.execute(sql`
    UPDATE broadcasts SET status = 'waiting'
    WHERE status = 'sending' AND id = (SELECT broadcast_id FROM outbound_messages WHERE id = ${messageId})`);
}

/** A waiting broadcast whose text is being sent is sending again. */
export async function markBroadcastSendingAgain(q: Tx, id: number): Promise<void> {
  await q.execute(sql`UPDATE broadcasts SET status = 'sending' WHERE id = ${id} AND status = 'waiting'`);
}

/** Whether any broadcast waits (for quiet hours or a later time). */
export async function anyBroadcastWaiting(q: Tx): Promise<boolean> {
  const { rows } = await q.execute<{ any: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM broadcasts WHERE status = 'waiting') AS any`,
  );
  return rows[0]?.any ?? false;
}

/**
 * Texts by broadcast and status, for broadcasts sending or waiting, or finished in the last day
 * (pp_broadcast_messages).
 */
export async function recentBroadcastMessageCounts(
  q: Tx,
): Promise<Array<{ broadcastId: string; status: string; count: number }>> {
  const { rows } = await q.execute<{ broadcast: string; status: string; n: number }>(sql`
    SELECT m.broadcast_id::text AS broadcast, m.status::text AS status, count(*)::int AS n
    FROM broadcasts b JOIN outbound_messages m ON m.broadcast_id = b.id
    WHERE b.status IN ('queued', 'waiting', 'sending')
      OR coalesce(b.completed_at, b.cancelled_at) > now() - interval '1 day'
    GROUP BY 1, 2`);
  return rows.map((row) => ({ broadcastId: row.broadcast, status: row.status, count: row.n }));
}
