/**
 * The queries of campaigns and their targets. Each function runs on the executor it is given: the
 * database, or the transaction of the service that calls it.
 */
import { and, asc, desc, eq, lt, lte, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { CampaignRow, CampaignStatus, TargetRow } from '../db/rows.js';
import { campaigns, targets } from '../db/schema.js';

export type NewCampaign = typeof campaigns.$inferInsert;
export type NewTarget = typeof targets.$inferInsert;
/** The columns a change may set; the id and creation time never change. */
export type CampaignChanges = Partial<Omit<NewCampaign, 'id' | 'createdAt'>>;

export async function campaignById(db: Tx, id: number): Promise<CampaignRow | undefined> {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  return row;
}

/**
 * The campaign, locked until the transaction ends: its changes and their audit see one state. The fax
 * room locks it `no key update` to make its batches one at a time: inbound signing takes a key-share
 * lock on the row through its foreign key and must not wait for a batch.
 */
export async function lockCampaignById(
  tx: Tx,
  id: number,
  strength: 'update' | 'no key update' = 'update',
): Promise<CampaignRow | undefined> {
  const [row] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for(strength);
  return row;
}

export async function campaignExists(db: Tx, id: number): Promise<boolean> {
  const [row] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, id));
  return row !== undefined;
}

/** The campaign's status; undefined when there is none. */
export async function campaignStatusById(db: Tx, id: number): Promise<CampaignStatus | undefined> {
  const [row] = await db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, id));
  return row?.status;
}

export async function keywordOfCampaign(db: Tx, id: number): Promise<string | undefined> {
  const [row] = await db.select({ keyword: campaigns.keyword }).from(campaigns).where(eq(campaigns.id, id));
  return row?.keyword;
}

/** The demo campaign with this keyword (upper case), whatever its status. */
export async function demoCampaignByKeyword(
  db: Tx,
  keyword: string,
): Promise<{ id: number; status: CampaignStatus } | undefined> {
  const [row] = await db
    .select({ id: campaigns.id, status: campaigns.status })
    .from(campaigns)
    .where(and(eq(campaigns.isDemo, true), sql`upper(${campaigns.keyword}) = ${keyword}`))
    .limit(1);
  return row;
}

/**
 * The campaign a keyword (upper case) names for the public: the open one, else the most recently
 * closed one; never a draft. For the public page (src/public/service.ts), which checks `public` itself.
 */
export async function publicCampaignByKeyword(db: Tx, keyword: string): Promise<CampaignRow | undefined> {
  const [row] = await db
    .select()
    .from(campaigns)
    .where(and(sql`upper(${campaigns.keyword}) = ${keyword}`, ne(campaigns.status, 'draft')))
    .orderBy(
      sql`${campaigns.status} = 'open' DESC`,
      sql`${campaigns.closedAt} DESC NULLS LAST`,
      desc(campaigns.id),
    )
    .limit(1);
  return row;
}

/** Throws Postgres's unique violation (campaigns_live_keyword_key) when a live campaign has the keyword. */
export async function insertCampaign(tx: Tx, values: NewCampaign): Promise<CampaignRow> {
  const [row] = await tx.insert(campaigns).values(values).returning();
  if (!row) throw new Error('insert returned no campaign');
  return row;
}

export async function updateCampaign(
  tx: Tx,
  id: number,
  changes: CampaignChanges,
): Promise<CampaignRow | undefined> {
  const [row] = await tx.update(campaigns).set(changes).where(eq(campaigns.id, id)).returning();
  return row;
}

/** Closes every open campaign whose deadline is `now` or earlier; returns those it closed. */
export async function closeCampaignsPastDeadline(
  tx: Tx,
  now: Date,
): Promise<Array<{ id: number; closesAt: Date | null }>> {
  return tx
    .update(campaigns)
    .set({ status: 'closed', closedAt: now, updatedAt: now })
    .where(and(eq(campaigns.status, 'open'), lte(campaigns.closesAt, now)))
    .returning({ id: campaigns.id, closesAt: campaigns.closesAt });
}

export type CampaignListRow = Pick<
  CampaignRow,
  | 'id'
  | 'keyword'
  | 'title'
  | 'reference'
  | 'status'
  | 'closesAt'
  | 'openedAt'
  | 'closedAt'
  | 'isDemo'
  | 'createdAt'
  | 'updatedAt'
>;

/** Newest first, below `beforeId` when given; `limit` rows at most. */
export async function campaignsNewestFirst(
  db: Tx,
  options: { beforeId: number | null; limit: number; status?: CampaignStatus },
): Promise<CampaignListRow[]> {
  return db
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
        options.beforeId === null ? undefined : lt(campaigns.id, options.beforeId),
        options.status ? eq(campaigns.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(campaigns.id))
    .limit(options.limit);
}

/** An open campaign as the dashboard shows it, with its counts from the kept counters. */
export interface OpenCampaignRow {
  id: number;
  keyword: string;
  title: string;
  closesAt: Date | null;
  openedAt: Date | null;
  signatureCount: number;
  heldCount: number;
  pendingFaxCount: number;
  /** Valid and held names signed after `since`. */
  lastHour: number;
}

/** Every open campaign, the soonest deadline first, with its counts and the names signed since `since`. */
export async function openCampaignsWithCounts(db: Tx, since: Date): Promise<OpenCampaignRow[]> {
  // `execute` gives ids (bigint) and timestamps as strings: converted once, below.
  const { rows } = await db.execute<{
    id: string;
    keyword: string;
    title: string;
    closes_at: string | null;
    opened_at: string | null;
    signature_count: number;
    held_count: number;
    pending_fax_count: number;
    last_hour: number;
  }>(sql`
    SELECT c.id, c.keyword, c.title, c.closes_at, c.opened_at,
      coalesce(n.signature_count, 0)::int AS signature_count,
      coalesce(n.held_count, 0)::int AS held_count,
      coalesce(n.pending_fax_count, 0)::int AS pending_fax_count,
      coalesce(n.last_hour, 0)::int AS last_hour
    FROM campaigns c
    LEFT JOIN LATERAL (
      SELECT sum(k.n) FILTER (WHERE k.status IN ('valid', 'held')) AS signature_count,
        sum(k.n) FILTER (WHERE k.status = 'held') AS held_count,
        sum(k.n) FILTER (WHERE k.status = 'valid' AND NOT k.faxed) AS pending_fax_count,
        (SELECT count(*) FROM signatures g
          WHERE g.campaign_id = c.id AND g.signed_at > ${since.toISOString()}
            AND g.status IN ('valid', 'held')) AS last_hour
      FROM signature_counts k WHERE k.campaign_id = c.id
    ) n ON true
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
  }));
}

/** The ids of open campaigns that make batches by themselves (a threshold or a daily time), in id order. */
export async function campaignsBatchingByThemselves(db: Tx): Promise<number[]> {
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      and(
        eq(campaigns.status, 'open'),
        sql`(${campaigns.batchDailyAt} IS NOT NULL OR ${campaigns.batchThreshold} IS NOT NULL)`,
      ),
    )
    .orderBy(campaigns.id);
  return rows.map((row) => row.id);
}

/** In their order on the letter. */
export async function targetsOfCampaign(db: Tx, campaignId: number): Promise<TargetRow[]> {
  return db
    .select()
    .from(targets)
    .where(eq(targets.campaignId, campaignId))
    .orderBy(asc(targets.position), asc(targets.id));
}

export async function targetById(db: Tx, targetId: number): Promise<TargetRow | undefined> {
  const [target] = await db.select().from(targets).where(eq(targets.id, targetId));
  return target;
}

/** One target of a campaign; undefined when the target is another campaign's. */
export async function targetOfCampaign(
  db: Tx,
  campaignId: number,
  targetId: number,
): Promise<TargetRow | undefined> {
  const [target] = await db
    .select()
    .from(targets)
    .where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)));
  return target;
}

export async function insertTargets(tx: Tx, rows: NewTarget[]): Promise<void> {
  await tx.insert(targets).values(rows);
}

export async function deleteTargetsOfCampaign(tx: Tx, campaignId: number): Promise<void> {
  await tx.delete(targets).where(eq(targets.campaignId, campaignId));
}

export interface CampaignDeadlineRow {
  /** The campaign's id as text: a metric's label. */
  campaign: string;
  keyword: string;
  /** Seconds until it closes, by the database's clock (negative once past); null without a deadline. */
  closesIn: number | null;
  /** Valid names in no fax batch yet. */
  namesWaiting: number;
}

/** Every open campaign's deadline and waiting names, for the operators' gauges. */
export async function openCampaignDeadlines(db: Tx): Promise<CampaignDeadlineRow[]> {
  // float8 and int come back as numbers, text as strings: nothing to convert but the names.
  const { rows } = await db.execute<{
    campaign: string;
    keyword: string;
    closes_in: number | null;
    waiting: number;
  }>(sql`
    SELECT c.id::text AS campaign, c.keyword,
      extract(epoch FROM c.closes_at - now())::float8 AS closes_in,
      (SELECT count(*)::int FROM signatures s
        WHERE s.campaign_id = c.id AND s.status = 'valid' AND s.batch_id IS NULL) AS waiting
    FROM campaigns c WHERE c.status = 'open'`);
  return rows.map((row) => ({
    campaign: row.campaign,
    keyword: row.keyword,
    closesIn: row.closes_in,
    namesWaiting: row.waiting,
  }));
}
