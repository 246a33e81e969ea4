import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type CampaignReplies, campaigns, targets } from '../db/schema.js';
import { AppError } from '../errors.js';

export interface TargetInput {
  name: string;
  title?: string | null;
  organisation?: string | null;
  address?: string | null;
  salutation: string;
  faxNumbers: string[];
  timezone?: string;
}

export interface CampaignInput {
  keyword: string;
  title: string;
  reference?: string | null;
  summary?: string | null;
  letter: { subject?: string | null; body: string };
  targets: TargetInput[];
  closesAt?: Date | null;
  replies?: CampaignReplies;
  isDemo?: boolean;
}

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return (error as { code?: string }).code === UNIQUE_VIOLATION || cause?.code === UNIQUE_VIOLATION;
}

export function createCampaignsService({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    /** A new campaign starts as a draft: its keyword does nothing until it is opened. */
    async create(input: CampaignInput) {
      try {
        return await db.transaction(async (tx) => {
          const [campaign] = await tx
            .insert(campaigns)
            .values({
              keyword: input.keyword.toUpperCase(),
              title: input.title,
              reference: input.reference ?? null,
              summary: input.summary ?? null,
              letterSubject: input.letter.subject ?? null,
              letterBody: input.letter.body,
              replies: input.replies ?? {},
              closesAt: input.closesAt ?? null,
              isDemo: input.isDemo ?? false,
            })
            .returning();
          if (!campaign) throw new Error('insert returned no campaign');
          await tx.insert(targets).values(
            input.targets.map((target, position) => ({
              campaignId: campaign.id,
              position,
              name: target.name,
              title: target.title ?? null,
              organisation: target.organisation ?? null,
              address: target.address ?? null,
              salutation: target.salutation,
              faxNumbers: target.faxNumbers,
              timezone: target.timezone ?? 'Europe/Moscow',
            })),
          );
          return campaign;
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError(
            409,
            'keyword_taken',
            `The keyword ${input.keyword.toUpperCase()} is already in use.`,
          );
        }
        throw error;
      }
    },

    async setStatus(id: number, status: 'open' | 'closed') {
      const now = clock();
      const [campaign] = await db
        .update(campaigns)
        .set(
          status === 'open'
            ? { status, openedAt: sql`coalesce(${campaigns.openedAt}, ${now})`, updatedAt: now }
            : { status, closedAt: now, updatedAt: now },
        )
        .where(and(eq(campaigns.id, id), sql`${campaigns.status} <> 'closed'`))
        .returning();
      if (!campaign)
        throw new AppError(409, 'campaign_closed', 'A closed campaign cannot be opened or closed again.');
      return campaign;
    },
  };
}
