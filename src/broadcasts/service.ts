import { and, desc, eq, sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import { broadcasts, campaigns, outboundMessages } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import type { ReceiptsService } from '../fax/receipts.js';
import { enqueue } from '../queue/outbox.js';
import { recordAudit } from '../staff/audit.js';
import {
  AUDIENCES,
  type Audience,
  audienceCondition,
  audienceName,
  parseAudience,
  type StoredAudience,
} from './audience.js';
import { composeBroadcast, MAX_BROADCAST_SEGMENTS } from './compose.js';
import { quietHoursWait } from './quiet-hours.js';

export interface BroadcastInput {
  body: string;
  /** One of AUDIENCES, or `batch:<id>`. */
  audience: string;
}

/** In a body to a `batch:<id>` audience: who received the batch and when, the same for everyone. */
export const RECEIPT_PLACEHOLDER = '{receipt}';

type ProgressRow = {
  id: string;
  campaign_id: string;
  audience: StoredAudience;
  batch_id: string | null;
  status: string;
  total: number;
  segments: number;
  encoding: string;
  created_at: Date;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  skipped_opted_out: number;
  cancelled: number;
};

async function progress(tx: Tx, id: number) {
  const { rows } = await tx.execute<ProgressRow>(sql`
    SELECT b.id, b.campaign_id, b.audience, b.batch_id, b.status, b.total, b.segments, b.encoding, b.created_at,
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
  if (!row) throw notFound('Broadcast');
  return {
    id: row.id,
    campaignId: row.campaign_id,
    audience: audienceName(row.audience, row.batch_id),
    status: row.status,
    total: row.total,
    queued: row.queued,
    sent: row.sent,
    delivered: row.delivered,
    failed: row.failed,
    skippedOptedOut: row.skipped_opted_out,
    cancelled: row.cancelled,
    segments: row.segments,
    encoding: row.encoding,
    createdAt: new Date(row.created_at),
  };
}

export type BroadcastProgress = Awaited<ReturnType<typeof progress>>;

/** How many members an audience reaches now. */
async function countAudience(
  q: Tx,
  audience: StoredAudience,
  campaignId: number,
  batchId: number | null = null,
): Promise<number> {
  const { rows } = await q.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM supporters s WHERE ${audienceCondition(audience, campaignId, batchId)}`,
  );
  return rows[0]?.n ?? 0;
}

export function createBroadcastsService({
  db,
  clock,
  config,
  receipts,
}: {
  db: Db;
  clock: () => Date;
  config: Config;
  receipts: Pick<ReceiptsService, 'receiptSentence'>;
}) {
  /** The body with `{receipt}` filled in for a `batch:` audience (409 unless the batch is the campaign's and received). */
  async function expandReceipt(campaignId: number, body: string, batchId: number | null): Promise<string> {
    if (batchId === null) {
      if (body.includes(RECEIPT_PLACEHOLDER)) {
        throw new AppError(
          400,
          'receipt_needs_batch',
          '{receipt} can only be sent to a batch:<id> audience.',
        );
      }
      return body;
    }
    const found = await receipts.receiptSentence(campaignId, batchId);
    if (!found.ok) {
      throw found.reason === 'not_in_campaign'
        ? new AppError(409, 'batch_not_in_campaign', `Fax batch ${batchId} is not a batch of this campaign.`)
        : new AppError(
            409,
            'batch_not_received',
            `Not every target has received fax batch ${batchId} yet: its signers can be told once all have.`,
          );
    }
    return body.replaceAll(RECEIPT_PLACEHOLDER, found.sentence);
  }

  return {
    /** Counts the audience and queues the fan-out; during quiet hours the broadcast starts out waiting. */
    async create(campaignId: number, input: BroadcastInput, actorId: number | null) {
      if (input.body.trim() === '') throw new AppError(400, 'empty_body', 'A broadcast needs a text.');
      const choice = parseAudience(input.audience);
      if (!choice) throw new AppError(400, 'invalid_audience', 'Choose who to send it to.');
      const body = await expandReceipt(campaignId, input.body, choice.batchId);
      const composed = composeBroadcast(body, config.optOutHint);
      if (composed.segments > MAX_BROADCAST_SEGMENTS) {
        throw new AppError(
          400,
          'body_too_long',
          `With the opt-out hint this text takes ${composed.segments} segments; at most ${MAX_BROADCAST_SEGMENTS} are sent.`,
        );
      }
      return db.transaction(async (tx) => {
        const [campaign] = await tx
          .select({ status: campaigns.status })
          .from(campaigns)
          .where(eq(campaigns.id, campaignId));
        if (!campaign) throw notFound('Campaign');
        // Alerts and reminders ask people to sign, which only an open campaign takes.
        if (choice.audience !== 'signers' && choice.audience !== 'batch' && campaign.status !== 'open') {
          throw new AppError(
            409,
            'campaign_not_open',
            `Only an open campaign can be sent to ${input.audience}.`,
          );
        }
        const audienceSize = await countAudience(tx, choice.audience, campaignId, choice.batchId);
        const waiting = quietHoursWait(clock(), config.sms.quietHours) > 0;
        const [row] = await tx
          .insert(broadcasts)
          .values({
            campaignId,
            audience: choice.audience,
            batchId: choice.batchId,
            body: composed.text,
            segments: composed.segments,
            encoding: composed.encoding,
            status: waiting ? 'waiting' : 'queued',
            total: audienceSize,
            createdBy: actorId,
          })
          .returning({ id: broadcasts.id, status: broadcasts.status });
        if (!row) throw new Error('insert returned no broadcast');
        await enqueue(tx, 'broadcasts', 'fan-out', { broadcastId: row.id });
        const estimatedCost =
          Math.round(audienceSize * composed.segments * config.sms.pricePerSegment * 100) / 100;
        await recordAudit(tx, {
          staffId: actorId,
          action: 'broadcast.create',
          entityType: 'broadcast',
          entityId: row.id,
          after: {
            campaignId,
            audience: input.audience,
            audienceSize,
            segments: composed.segments,
            encoding: composed.encoding,
          },
        });
        return {
          id: row.id,
          status: row.status,
          audienceSize,
          segments: composed.segments,
          encoding: composed.encoding,
          estimatedCost,
        };
      });
    },

    progress: (id: number) => progress(db, id),

    /** Who each audience would reach now, counted as a broadcast to it counts them. */
    async audienceSizes(campaignId: number): Promise<Record<Audience, number>> {
      const sizes = {} as Record<Audience, number>;
      for (const audience of AUDIENCES) sizes[audience] = await countAudience(db, audience, campaignId);
      return sizes;
    },

    /** A campaign's broadcasts, newest first. */
    listForCampaign(campaignId: number, limit: number) {
      return db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.campaignId, campaignId))
        .orderBy(desc(broadcasts.id))
        .limit(limit);
    },

    /** Stops the broadcast: messages not yet handed to Twilio are cancelled and their jobs skip them. */
    async cancel(id: number, actorId: number | null) {
      return db.transaction(async (tx) => {
        // The lock orders this after a fan-out batch in progress, which then sees the cancellation.
        const [before] = await tx
          .select({ status: broadcasts.status })
          .from(broadcasts)
          .where(eq(broadcasts.id, id))
          .for('update');
        if (!before) throw notFound('Broadcast');
        if (before.status === 'done')
          throw new AppError(409, 'broadcast_finished', 'This broadcast has been sent.');
        if (before.status !== 'cancelled') {
          await tx
            .update(broadcasts)
            .set({ status: 'cancelled', cancelledAt: clock() })
            .where(eq(broadcasts.id, id));
          await tx
            .update(outboundMessages)
            .set({ status: 'cancelled', updatedAt: clock() })
            .where(and(eq(outboundMessages.broadcastId, id), eq(outboundMessages.status, 'queued')));
          await recordAudit(tx, {
            staffId: actorId,
            action: 'broadcast.cancel',
            entityType: 'broadcast',
            entityId: id,
            before: { status: before.status },
            after: { status: 'cancelled' },
          });
        }
        return progress(tx, id);
      });
    },
  };
}
