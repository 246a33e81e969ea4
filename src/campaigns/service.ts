import type { Db, Tx } from '../db/client.js';
import { decodeCursor, toPage } from '../db/pagination.js';
import type { CampaignRow, CampaignStatus, FaxBatchRow, TargetChannel, TargetRow } from '../db/rows.js';
import type { CampaignContact, CampaignReplies, LetterTranslation, TargetLanguage } from '../db/types.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';
import * as campaignsRepository from './repository.js';
import { type SignatureCounts, signatureCountsByCampaign } from './signatures.repository.js';

export type { CampaignStatus } from '../db/rows.js';
export type { SignatureCounts } from './signatures.repository.js';

export interface TargetInput {
  name: string;
  title?: string | null;
  organisation?: string | null;
  address?: string | null;
  salutation: string;
  faxNumbers: string[];
  emails?: string[];
  /** Default: fax then e-mail when the target has a fax number, else e-mail. */
  channel?: TargetChannel;
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

/** A campaign's newest fax batch, as the dashboard shows it. */
export type LatestFaxBatch = Pick<
  FaxBatchRow,
  'campaignId' | 'id' | 'status' | 'signatureCount' | 'createdAt' | 'completedAt'
>;

/**
 * What the campaigns room reads of the fax room's batches. Fax stands above campaigns, so
 * src/services.ts passes its repository's functions in.
 */
export interface FaxBatchesOfCampaigns {
  /** The newest batch of each of these campaigns that has one. */
  latestOfEach(db: Db, campaignIds: number[]): Promise<LatestFaxBatch[]>;
  /** Whether the campaign has any batch, on the caller's transaction. */
  anyFor(db: Tx, campaignId: number): Promise<boolean>;
}

/**
 * An open campaign as the dashboard shows it: its counts, names signed in the last hour, its latest fax
 * batch.
 */
export type OpenCampaignOverview = campaignsRepository.OpenCampaignRow & {
  lastBatch: Omit<LatestFaxBatch, 'campaignId'> | null;
};

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
  return present(row, await campaignsRepository.targetsOfCampaign(q, row.id));
}

async function detail(q: Tx, row: CampaignRow) {
  const counts = (await signatureCountsByCampaign(q, [row.id])).get(row.id) ?? NO_SIGNATURES;
  return { ...(await snapshot(q, row)), ...counts };
}

export type CampaignDetail = Awaited<ReturnType<typeof detail>>;

async function lockCampaign(q: Tx, id: number): Promise<CampaignRow> {
  const row = await campaignsRepository.lockCampaignById(q, id);
  if (!row) throw notFound('Campaign');
  return row;
}

async function insertTargets(q: Tx, campaignId: number, inputs: TargetInput[]) {
  await campaignsRepository.insertTargets(
    q,
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
export function createCampaignsService({
  db,
  clock,
  faxBatches,
}: {
  db: Db;
  clock: () => Date;
  faxBatches: FaxBatchesOfCampaigns;
}) {
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
      const after = await campaignsRepository.updateCampaign(
        tx,
        id,
        to === 'open'
          ? { status: to, openedAt: before.openedAt ?? now, updatedAt: now }
          : { status: to, closedAt: now, updatedAt: now },
      );
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
          const row = await campaignsRepository.insertCampaign(tx, {
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
          });
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
      const row = await campaignsRepository.campaignById(db, id);
      if (!row) throw notFound('Campaign');
      return detail(db, row);
    },

    /** Newest first, each with its counts. */
    async list(options: { cursor?: string; limit: number; status?: CampaignStatus }) {
      const before = decodeCursor(options.cursor);
      const rows = await campaignsRepository.campaignsNewestFirst(db, {
        beforeId: before,
        limit: options.limit + 1,
        status: options.status,
      });
      const page = toPage(rows, options.limit);
      const counts = await signatureCountsByCampaign(
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
    async openOverview(): Promise<OpenCampaignOverview[]> {
      const hourAgo = new Date(clock().getTime() - 3_600_000);
      const open = await campaignsRepository.openCampaignsWithCounts(db, hourAgo);
      const batches = await faxBatches.latestOfEach(
        db,
        open.map((campaign) => campaign.id),
      );
      const latest = new Map(batches.map(({ campaignId, ...batch }) => [campaignId, batch]));
      return open.map((campaign) => ({ ...campaign, lastBatch: latest.get(campaign.id) ?? null }));
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
            if (await faxBatches.anyFor(tx, id)) {
              throw new AppError(
                409,
                'targets_locked',
                'Targets cannot be replaced once a fax batch has been made for this campaign.',
                'targets',
              );
            }
            await campaignsRepository.deleteTargetsOfCampaign(tx, id);
            await insertTargets(tx, id, change.targets);
          }
          const after = await campaignsRepository.updateCampaign(tx, id, {
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
          });
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
        const closed = await campaignsRepository.closeCampaignsPastDeadline(tx, now);
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
