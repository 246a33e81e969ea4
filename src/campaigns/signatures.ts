import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { Db, Pool } from '../db/client.js';
import { decodeCursor, toPage } from '../db/pagination.js';
import type { SignatureStatus } from '../db/rows.js';
import { AppError, notFound } from '../errors.js';
import { recordAudit } from '../staff/audit.repository.js';
import type { HoldReason } from '../supporters/names.js';
import { keywordOfCampaign } from './repository.js';
import * as signaturesRepository from './signatures.repository.js';

export type { SignatureStatus } from '../db/rows.js';
export const SIGNATURE_STATUSES: readonly SignatureStatus[] = ['valid', 'held', 'hidden', 'late'];

/** What the console's list of signatures is narrowed to: a part of a name, a status. */
export interface SignatureFilter {
  q?: string;
  status?: SignatureStatus | '';
}

/** The longest search text taken (longer than any name). */
export const MAX_SEARCH = 100;

export type Moderation = 'hold' | 'release' | 'hide';

/** Which statuses each moderation applies to; a late signature never becomes valid. */
const MODERATIONS: Record<
  Moderation,
  { from: readonly SignatureStatus[]; to: SignatureStatus; done: string }
> = {
  hold: { from: ['valid'], to: 'held', done: 'held' },
  release: { from: ['held', 'hidden'], to: 'valid', done: 'released' },
  hide: { from: ['valid', 'held'], to: 'hidden', done: 'hidden' },
};

/** A byte-order mark: spreadsheet programs then read Cyrillic names as UTF-8. */
const BOM = '\uFEFF';

// A name erased or never given (late) is shown empty.
const withName = <T extends { name: string | null }>(row: T) => ({ ...row, name: row.name ?? '' });

export interface Bucket {
  start: Date;
  count: number;
}

/** Signatures counted per hour or per day, in UTC, for the console's chart. */
export interface SignaturesOverTime {
  unit: 'hour' | 'day';
  buckets: Bucket[];
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

/** Signatures of campaigns: review lists, the CSV export and moderation. */
export function createSignaturesService({
  db,
  pool,
  clock,
}: {
  db: Db;
  /** The CSV export holds a connection of its own for its COPY. */
  pool: Pool;
  clock: () => Date;
}) {
  async function campaignKeyword(campaignId: number): Promise<string> {
    const keyword = await keywordOfCampaign(db, campaignId);
    if (keyword === undefined) throw notFound('Campaign');
    return keyword;
  }

  /** `reason`: why a name is hidden, as the moderator chose it (RECEIPT words it); else its hold reason. */
  async function moderate(id: number, action: Moderation, actorId: number, reason?: HoldReason | 'staff') {
    const { from, to, done } = MODERATIONS[action];
    return db.transaction(async (tx) => {
      const before = await signaturesRepository.lockSignatureById(tx, id);
      if (!before) throw notFound('Signature');
      if (before.status === to) return withName(before);
      if (before.batchId !== null) {
        throw new AppError(
          409,
          'already_faxed',
          'This signature has gone out in a fax batch; it cannot change.',
        );
      }
      if (before.status === 'late') {
        throw new AppError(
          409,
          'invalid_transition',
          'A late signature came after the action closed; it never goes on a fax and cannot be moderated.',
        );
      }
      if (!from.includes(before.status)) {
        throw new AppError(
          409,
          'invalid_transition',
          `Only a ${from.join(' or ')} signature can be ${done}; this one is ${before.status}.`,
        );
      }
      if (to === 'valid' && before.name === null) {
        throw new AppError(
          409,
          'name_erased',
          'This signature has no name any more (erased), so it cannot go on a fax.',
        );
      }
      const after = await signaturesRepository.moderateSignature(tx, id, {
        status: to,
        holdReason: action === 'hold' ? 'staff' : action === 'release' ? null : (reason ?? before.holdReason),
        moderatedAt: clock(),
        moderatedBy: actorId,
      });
      if (!after) throw notFound('Signature');
      // By id, status and reason only: names are personal data and stay out of the audit log.
      await recordAudit(tx, {
        staffId: actorId,
        action: `signature.${action}`,
        entityType: 'signature',
        entityId: id,
        before: { status: before.status },
        after: { status: after.status, ...(reason ? { reason } : {}) },
      });
      return withName(after);
    });
  }

  /** The signatures `filter` shows: its text trimmed and cut to MAX_SEARCH. */
  function matching(campaignId: number, filter: SignatureFilter): signaturesRepository.SignatureMatch {
    return {
      campaignId,
      status: filter.status || undefined,
      nameContains: filter.q?.trim().slice(0, MAX_SEARCH) || undefined,
    };
  }

  return {
    /**
     * One page of a campaign's signatures, newest last (signing order), narrowed by `filter`, with the
     * number matching: the console's list, whose pages are numbered so a link keeps its place.
     */
    async search(campaignId: number, filter: SignatureFilter, page: number, perPage: number) {
      await campaignKeyword(campaignId);
      const match = matching(campaignId, filter);
      // Unsearched, the number is read from the kept counters: a list of a million costs no count.
      const total =
        (filter.q?.trim() ?? '') === ''
          ? await signaturesRepository.countKeptSignatures(db, campaignId, match.status && [match.status])
          : await signaturesRepository.countMatchingSignatures(db, match);
      const rows = await signaturesRepository.matchingSignatures(db, match, {
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return { items: rows.map(withName), total };
    },

    /**
     * Releases or hides, in one statement, every signature the filter shows that the action applies to
     * (not yet faxed; a release needs a name). Returns how many changed; one audit entry says so.
     */
    async bulk(campaignId: number, action: 'release' | 'hide', filter: SignatureFilter, actorId: number) {
      await campaignKeyword(campaignId);
      const { from, to } = MODERATIONS[action];
      return db.transaction(async (tx) => {
        const changed = await signaturesRepository.moderateMatchingSignatures(
          tx,
          matching(campaignId, filter),
          { from, namedOnly: action === 'release' },
          {
            status: to,
            ...(action === 'release' ? { holdReason: null } : {}),
            moderatedAt: clock(),
            moderatedBy: actorId,
          },
        );
        if (changed > 0) {
          // The filter's text is not kept: it may be a name.
          await recordAudit(tx, {
            staffId: actorId,
            action: `signature.bulk-${action}`,
            entityType: 'campaign',
            entityId: campaignId,
            before: { status: filter.status ?? 'any', searched: Boolean(filter.q?.trim()) },
            after: { status: to, count: changed },
          });
        }
        return changed;
      });
    },

    /** In signing order; `status: 'held'` is the review queue. */
    async list(campaignId: number, options: { cursor?: string; limit: number; status?: SignatureStatus }) {
      await campaignKeyword(campaignId);
      const after = decodeCursor(options.cursor);
      const rows = await signaturesRepository.signaturesAfterId(
        db,
        { campaignId, status: options.status },
        { afterId: after, limit: options.limit + 1 },
      );
      const page = toPage(rows, options.limit);
      return { items: page.items.map(withName), nextCursor: page.nextCursor };
    },

    /**
     * The names as CSV (`row,name,status,signed_at`; row is the ordinal in the export: "number" is what
     * the members import calls a phone number), written by Postgres and streamed, so a campaign of a
     * million names is not held in memory; formulas are made harmless (see signaturesCsv). A
     * byte-order mark comes first.
     */
    async exportCsv(
      campaignId: number,
      status?: SignatureStatus,
    ): Promise<{ filename: string; stream: Readable }> {
      const keyword = await campaignKeyword(campaignId);
      const csv = await signaturesRepository.signaturesCsv(pool, { campaignId, status });
      const stream = new PassThrough();
      stream.write(BOM);
      // Errors destroy the response stream, which Fastify reports; a response destroyed (the client
      // gone) destroys the COPY's stream, which gives its connection back.
      pipeline(csv, stream, () => {});
      const suffix = status ? `-${status}` : '';
      const name = keyword.toLowerCase().replace(/[^a-z0-9]/g, '');
      return { filename: `${name}-signatures${suffix}.csv`, stream };
    },

    /** Counting signatures (valid and held, as the campaign's count does) per hour or per day, up to now. */
    async overTime(campaignId: number): Promise<SignaturesOverTime> {
      const now = clock();
      // From the kept counters, by UTC hour; days are added up here.
      const hours = await signaturesRepository.signedPerHour(db, campaignId);
      const first = hours[0]?.start ?? null;
      if (!first || now.getTime() - first.getTime() <= HOURLY_SPAN) {
        return { unit: 'hour' as const, buckets: fillBuckets(hours, HOUR, now, 24, 48) };
      }
      const days = new Map<number, number>();
      for (const { start, count: n } of hours) {
        const day = start.getTime() - (start.getTime() % DAY);
        days.set(day, (days.get(day) ?? 0) + n);
      }
      const counts = [...days].map(([start, n]) => ({ start: new Date(start), count: n }));
      return { unit: 'day' as const, buckets: fillBuckets(counts, DAY, now, 7, MAX_DAYS) };
    },

    /** The campaign a signature belongs to. */
    async campaignOf(id: number): Promise<number> {
      const campaignId = await signaturesRepository.campaignIdOfSignature(db, id);
      if (campaignId === undefined) throw notFound('Signature');
      return campaignId;
    },

    hold: (id: number, actorId: number) => moderate(id, 'hold', actorId),
    release: (id: number, actorId: number) => moderate(id, 'release', actorId),
    hide: (id: number, actorId: number, reason?: HoldReason | 'staff') =>
      moderate(id, 'hide', actorId, reason),
  };
}

export type SignaturesService = ReturnType<typeof createSignaturesService>;
