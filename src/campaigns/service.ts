import { and, desc, eq, inArray, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { decodeCursor, toPage } from '../db/pagination.js';
import {
  type CampaignContact,
  type CampaignReplies,
  campaigns,
  faxBatches,
  type LetterTranslation,
  signatureCounts,
  type TargetLanguage,
  targets,
} from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';

export interface TargetInput {
  name: string;
  title?: string | null;
  organisation?: string | null;
  address?: string | null;
  salutation: string;
  faxNumbers: string[];
  emails?: string[];
  /** Default: fax then e-mail when the target has a fax number, else e-mail. */
  channel?: (typeof targets.$inferSelect)['channel'];
  language?: TargetLanguage;
  timezone?: string;
}

export interface CampaignInput {
  keyword: string;
  title: string;
  reference?: string | null;
  shortTitle?: string | null;
  summary?: string | null;
  letter: { subject?: string | null; body: string; translation?: LetterTranslation | null };
  contact?: CampaignContact | null;
  targets: TargetInput[];
  closesAt?: Date | null;
  replies?: CampaignReplies;
  isDemo?: boolean;
  /** Shown at /act/:keyword once open (default true). */
  public?: boolean;
  batchDailyAt?: string | null;
  batchThreshold?: number | null;
}

export type CampaignChange = Partial<Omit<CampaignInput, 'isDemo'>>;

export type CampaignStatus = (typeof campaigns.$inferSelect)['status'];
type CampaignRow = typeof campaigns.$inferSelect;
type TargetRow = typeof targets.$inferSelect;

export interface SignatureCounts {
  /** Names that count: valid and held. */
  signatureCount: number;
  heldCount: number;
  lateCount: number;
  hiddenCount: number;
  /** Valid names in no fax batch yet. */
  pendingFaxCount: number;
}

const NO_SIGNATURES: SignatureCounts = {
  signatureCount: 0,
  heldCount: 0,
  lateCount: 0,
  hiddenCount: 0,
  pendingFaxCount: 0,
};

const UNIQUE_VIOLATION = '23505';

function isKeywordTaken(error: unknown): boolean {
  const { code, constraint, cause } = error as {
    code?: string;
    constraint?: string;
    cause?: { code?: string; constraint?: string };
  };
  const pgError = code ? { code, constraint } : cause;
  return pgError?.code === UNIQUE_VIOLATION && pgError.constraint === 'campaigns_live_keyword_key';
}

function keywordTaken(keyword: string) {
  return new AppError(
    409,
    'keyword_taken',
    `The keyword ${keyword.toUpperCase()} is already used by a campaign that is not closed.`,
    'keyword',
  );
}

/** A sum of the kept counters (signature_counts) that match `condition`. */
const summed = (condition: SQL) =>
  sql<number>`coalesce(sum(${signatureCounts.n}) filter (where ${condition}), 0)`.mapWith(Number);

/** The signature counts of several campaigns in one grouped query, from the counters kept on writing. */
async function countSignatures(q: Tx, campaignIds: number[]): Promise<Map<number, SignatureCounts>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await q
    .select({
      campaignId: signatureCounts.campaignId,
      signatureCount: summed(inArray(signatureCounts.status, ['valid', 'held'])),
      heldCount: summed(eq(signatureCounts.status, 'held')),
      lateCount: summed(eq(signatureCounts.status, 'late')),
      hiddenCount: summed(eq(signatureCounts.status, 'hidden')),
      pendingFaxCount: summed(sql`${signatureCounts.status} = 'valid' AND NOT ${signatureCounts.faxed}`),
    })
    .from(signatureCounts)
    .where(inArray(signatureCounts.campaignId, campaignIds))
    .groupBy(signatureCounts.campaignId);
  return new Map(rows.map(({ campaignId, ...counts }) => [campaignId, counts]));
}

function present(row: CampaignRow, targetRows: TargetRow[]) {
  const { letterSubject, letterBody, letterTranslation, ...rest } = row;
  return {
    ...rest,
    letter: { subject: letterSubject, body: letterBody, translation: letterTranslation },
    targets: targetRows.map(({ campaignId: _, ...target }) => target),
  };
}

/** A campaign with its targets, as audited (no counts: they are not staff's doing). */
async function snapshot(q: Tx, row: CampaignRow) {
  const targetRows = await q
    .select()
    .from(targets)
    .where(eq(targets.campaignId, row.id))
    .orderBy(targets.position);
  return present(row, targetRows);
}

async function detail(q: Tx, row: CampaignRow) {
  const counts = (await countSignatures(q, [row.id])).get(row.id) ?? NO_SIGNATURES;
  return { ...(await snapshot(q, row)), ...counts };
}

export type CampaignDetail = Awaited<ReturnType<typeof detail>>;

async function lockCampaign(q: Tx, id: number): Promise<CampaignRow> {
  const [row] = await q.select().from(campaigns).where(eq(campaigns.id, id)).for('update');
  if (!row) throw notFound('Campaign');
  return row;
}

async function insertTargets(q: Tx, campaignId: number, inputs: TargetInput[]) {
  await q.insert(targets).values(
    inputs.map((target, position) => ({
      campaignId,
      position,
      name: target.name,
      title: target.title ?? null,
      organisation: target.organisation ?? null,
      address: target.address ?? null,
      salutation: target.salutation,
      faxNumbers: target.faxNumbers,
      emails: target.emails ?? [],
      channel: target.channel ?? (target.faxNumbers.length > 0 ? 'fax-then-email' : 'email'),
      language: target.language ?? 'en',
      timezone: target.timezone ?? 'Europe/Moscow',
    })),
  );
}

/**
 * Campaigns: creation, changes, the draft → open → closed life cycle and signature counts.
 * `actorId` is the staff member doing it (null: the CLI, the demo loader or a scheduled job).
 */
export function createCampaignsService({ db, clock }: { db: Db; clock: () => Date }) {
  /**
   * Moves a campaign on. Closing an open campaign queues one last batch so that the names still
   * waiting are faxed; a closed campaign stays closed, since its keyword may already name another.
   */
  async function transition(
    id: number,
    to: 'open' | 'closed',
    actorId: number | null,
    { refusePastDeadline }: { refusePastDeadline: boolean },
  ) {
    return db.transaction(async (tx) => {
      const before = await lockCampaign(tx, id);
      if (before.status === 'closed') {
        throw new AppError(
          409,
          'campaign_closed',
          to === 'open'
            ? 'A closed campaign cannot be reopened: its keyword may now belong to another campaign.'
            : 'This campaign is already closed.',
        );
      }
      if (before.status === to) return detail(tx, before);
      const now = clock();
      if (to === 'open' && refusePastDeadline && before.closesAt && before.closesAt <= now) {
        throw new AppError(
          409,
          'closes_at_passed',
          'Its closesAt has passed, so it would close at once; set a later closesAt first.',
        );
      }
      const [after] = await tx
        .update(campaigns)
        .set(
          to === 'open'
            ? { status: to, openedAt: before.openedAt ?? now, updatedAt: now }
            : { status: to, closedAt: now, updatedAt: now },
        )
        .where(eq(campaigns.id, id))
        .returning();
      if (!after) throw notFound('Campaign');
      if (before.status === 'open') await enqueue(tx, 'fax-render', 'close-batch', { campaignId: id });
      await recordAudit(tx, {
        staffId: actorId,
        action: to === 'open' ? 'campaign.open' : 'campaign.close',
        entityType: 'campaign',
        entityId: id,
        before: { status: before.status },
        after: { status: after.status, openedAt: after.openedAt, closedAt: after.closedAt },
      });
      return detail(tx, after);
    });
  }

  return {
    /** A new campaign starts as a draft: its keyword does nothing until it is opened. */
    async create(input: CampaignInput, actorId: number | null = null): Promise<CampaignDetail> {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(campaigns)
            .values({
              keyword: input.keyword.toUpperCase(),
              title: input.title,
              reference: input.reference ?? null,
              shortTitle: input.shortTitle ?? null,
              summary: input.summary ?? null,
              letterSubject: input.letter.subject ?? null,
              letterBody: input.letter.body,
              letterTranslation: input.letter.translation ?? null,
              contact: input.contact ?? null,
              replies: input.replies ?? {},
              closesAt: input.closesAt ?? null,
              isDemo: input.isDemo ?? false,
              public: input.public ?? true,
              batchDailyAt: input.batchDailyAt ?? null,
              batchThreshold: input.batchThreshold ?? null,
            })
            .returning();
          if (!row) throw new Error('insert returned no campaign');
          await insertTargets(tx, row.id, input.targets);
          await recordAudit(tx, {
            staffId: actorId,
            action: 'campaign.create',
            entityType: 'campaign',
            entityId: row.id,
            after: await snapshot(tx, row),
          });
          return detail(tx, row);
        });
      } catch (error) {
        if (isKeywordTaken(error)) throw keywordTaken(input.keyword);
        throw error;
      }
    },

    async get(id: number): Promise<CampaignDetail> {
      const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
      if (!row) throw notFound('Campaign');
      return detail(db, row);
    },

    /** Newest first, each with its counts. */
    async list(options: { cursor?: string; limit: number; status?: CampaignStatus }) {
      const before = decodeCursor(options.cursor);
      const rows = await db
        .select({
          id: campaigns.id,
          keyword: campaigns.keyword,
          title: campaigns.title,
          reference: campaigns.reference,
          status: campaigns.status,
          closesAt: campaigns.closesAt,
          openedAt: campaigns.openedAt,
          closedAt: campaigns.closedAt,
          isDemo: campaigns.isDemo,
          createdAt: campaigns.createdAt,
          updatedAt: campaigns.updatedAt,
        })
        .from(campaigns)
        .where(
          and(
            before === null ? undefined : lt(campaigns.id, before),
            options.status ? eq(campaigns.status, options.status) : undefined,
          ),
        )
        .orderBy(desc(campaigns.id))
        .limit(options.limit + 1);
      const page = toPage(rows, options.limit);
      const counts = await countSignatures(
        db,
        page.items.map((row) => row.id),
      );
      return {
        items: page.items.map((row) => ({ ...row, ...(counts.get(row.id) ?? NO_SIGNATURES) })),
        nextCursor: page.nextCursor,
      };
    },

    /**
     * Every open campaign as the dashboard shows it, the soonest deadline first: its counts, names
     * signed in the last hour, names waiting for the fax, and its latest fax batch.
     */
    async openOverview() {
      const hourAgo = new Date(clock().getTime() - 3_600_000).toISOString();
      const { rows } = await db.execute<{
        id: string;
        keyword: string;
        title: string;
        closes_at: Date | null;
        opened_at: Date | null;
        signature_count: number;
        held_count: number;
        pending_fax_count: number;
        last_hour: number;
        batch_id: string | null;
        batch_status: string | null;
        batch_signature_count: number | null;
        batch_created_at: Date | null;
        batch_completed_at: Date | null;
      }>(sql`
        SELECT c.id, c.keyword, c.title, c.closes_at, c.opened_at,
          coalesce(n.signature_count, 0)::int AS signature_count,
          coalesce(n.held_count, 0)::int AS held_count,
          coalesce(n.pending_fax_count, 0)::int AS pending_fax_count,
          coalesce(n.last_hour, 0)::int AS last_hour,
          b.id AS batch_id, b.status AS batch_status, b.signature_count AS batch_signature_count,
          b.created_at AS batch_created_at, b.completed_at AS batch_completed_at
        FROM campaigns c
        LEFT JOIN LATERAL (
          SELECT sum(k.n) FILTER (WHERE k.status IN ('valid', 'held')) AS signature_count,
            sum(k.n) FILTER (WHERE k.status = 'held') AS held_count,
            sum(k.n) FILTER (WHERE k.status = 'valid' AND NOT k.faxed) AS pending_fax_count,
            (SELECT count(*) FROM signatures g
              WHERE g.campaign_id = c.id AND g.signed_at > ${hourAgo} AND g.status IN ('valid', 'held')) AS last_hour
          FROM signature_counts k WHERE k.campaign_id = c.id
        ) n ON true
        LEFT JOIN LATERAL (
          SELECT * FROM fax_batches fb WHERE fb.campaign_id = c.id ORDER BY fb.id DESC LIMIT 1
        ) b ON true
        WHERE c.status = 'open'
        ORDER BY c.closes_at ASC NULLS LAST, c.id`);
      return rows.map((row) => ({
        id: Number(row.id),
        keyword: row.keyword,
        title: row.title,
        closesAt: row.closes_at === null ? null : new Date(row.closes_at),
        openedAt: row.opened_at === null ? null : new Date(row.opened_at),
        signatureCount: row.signature_count,
        heldCount: row.held_count,
        pendingFaxCount: row.pending_fax_count,
        lastHour: row.last_hour,
        lastBatch:
          row.batch_id === null
            ? null
            : {
                id: Number(row.batch_id),
                status: row.batch_status as string,
                signatureCount: row.batch_signature_count ?? 0,
                createdAt: new Date(row.batch_created_at as Date),
                completedAt: row.batch_completed_at === null ? null : new Date(row.batch_completed_at),
              },
      }));
    },

    /**
     * Changes any of the fields given. The keyword is fixed once the campaign is opened (supporters
     * know it); targets are replaced as a whole, and only until a fax batch has gone to them.
     */
    async update(id: number, change: CampaignChange, actorId: number | null): Promise<CampaignDetail> {
      try {
        return await db.transaction(async (tx) => {
          const row = await lockCampaign(tx, id);
          if (row.status === 'closed') {
            throw new AppError(409, 'campaign_closed', 'A closed campaign cannot be changed.');
          }
          const keyword = change.keyword?.toUpperCase();
          if (keyword !== undefined && keyword !== row.keyword && row.status !== 'draft') {
            throw new AppError(
              409,
              'keyword_locked',
              'The keyword can only change while the campaign is a draft: supporters already know it.',
              'keyword',
            );
          }
          const before = await snapshot(tx, row);
          if (change.targets) {
            const [batch] = await tx
              .select({ id: faxBatches.id })
              .from(faxBatches)
              .where(eq(faxBatches.campaignId, id))
              .limit(1);
            if (batch) {
              throw new AppError(
                409,
                'targets_locked',
                'Targets cannot be replaced once a fax batch has been made for this campaign.',
                'targets',
              );
            }
            await tx.delete(targets).where(eq(targets.campaignId, id));
            await insertTargets(tx, id, change.targets);
          }
          const [after] = await tx
            .update(campaigns)
            .set({
              ...(keyword === undefined ? {} : { keyword }),
              ...(change.title === undefined ? {} : { title: change.title }),
              ...(change.reference === undefined ? {} : { reference: change.reference }),
              ...(change.shortTitle === undefined ? {} : { shortTitle: change.shortTitle }),
              ...(change.summary === undefined ? {} : { summary: change.summary }),
              ...(change.letter === undefined
                ? {}
                : {
                    letterSubject: change.letter.subject ?? null,
                    letterBody: change.letter.body,
                    // A letter sent without its translation keeps the one it had; null removes it.
                    ...(change.letter.translation === undefined
                      ? {}
                      : { letterTranslation: change.letter.translation }),
                  }),
              ...(change.contact === undefined ? {} : { contact: change.contact }),
              ...(change.closesAt === undefined ? {} : { closesAt: change.closesAt }),
              ...(change.replies === undefined ? {} : { replies: change.replies }),
              ...(change.batchDailyAt === undefined ? {} : { batchDailyAt: change.batchDailyAt }),
              ...(change.batchThreshold === undefined ? {} : { batchThreshold: change.batchThreshold }),
              ...(change.public === undefined ? {} : { public: change.public }),
              updatedAt: clock(),
            })
            .where(eq(campaigns.id, id))
            .returning();
          if (!after) throw notFound('Campaign');
          await recordAudit(tx, {
            staffId: actorId,
            action: 'campaign.update',
            entityType: 'campaign',
            entityId: id,
            before,
            after: await snapshot(tx, after),
          });
          return detail(tx, after);
        });
      } catch (error) {
        if (isKeywordTaken(error)) throw keywordTaken(change.keyword ?? '');
        throw error;
      }
    },

    /** Draft → open: its keyword starts signing. Refused when its closesAt has already passed. */
    open(id: number, actorId: number | null) {
      return transition(id, 'open', actorId, { refusePastDeadline: true });
    },

    /** → closed, with one last fax batch of the names still waiting. */
    close(id: number, actorId: number | null) {
      return transition(id, 'closed', actorId, { refusePastDeadline: false });
    },

    /** For loaders and tests that set a campaign up in a state, whatever its closesAt. */
    setStatus(id: number, status: 'open' | 'closed', actorId: number | null = null) {
      return transition(id, status, actorId, { refusePastDeadline: false });
    },

    /**
     * Closes every open campaign whose closesAt has passed, each with its last batch queued; returns
     * how many. Run by the maintenance job.
     */
    async closeExpired(): Promise<number> {
      const now = clock();
      return db.transaction(async (tx) => {
        const closed = await tx
          .update(campaigns)
          .set({ status: 'closed', closedAt: now, updatedAt: now })
          .where(and(eq(campaigns.status, 'open'), lte(campaigns.closesAt, now)))
          .returning({ id: campaigns.id, closesAt: campaigns.closesAt });
        for (const campaign of closed) {
          await enqueue(tx, 'fax-render', 'close-batch', { campaignId: campaign.id });
          await recordAudit(tx, {
            staffId: null,
            action: 'campaign.auto-close',
            entityType: 'campaign',
            entityId: campaign.id,
            before: { status: 'open', closesAt: campaign.closesAt },
            after: { status: 'closed', closedAt: now },
          });
        }
        return closed.length;
      });
    },
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
