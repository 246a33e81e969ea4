import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as campaignsRepository from '../campaigns/repository.js';
import type { FaxBatchesOfCampaigns } from '../campaigns/service.js';
import * as signaturesRepository from '../campaigns/signatures.repository.js';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import { decodeCursor, toPage } from '../db/pagination.js';
import type { CampaignRow, TargetRow } from '../db/rows.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';
import { wallClock, zonedInstant } from '../time.js';
import * as batchesRepository from './batches.repository.js';
import * as deliveriesRepository from './deliveries.repository.js';
import { emailMessageId } from './email-sender.js';
import { estimate, type FaxPart, faxInput, planFax, SignatoryPageStarts, type SomeNames } from './layout.js';
import { reachesRealMachines } from './providers/types.js';
import { renderFaxPart, writePdf } from './render.js';

export type BatchReason = 'manual' | 'schedule' | 'threshold' | 'close';

export interface BatchesDeps {
  db: Db;
  clock: () => Date;
  config: Config;
}

/**
 * What the campaigns service reads of a campaign's batches (its dashboard, and the lock on targets once
 * one is made), handed to it by src/services.ts: campaigns stands below fax and cannot import it.
 */
export const faxBatchesOfCampaigns: FaxBatchesOfCampaigns = {
  latestOfEach: batchesRepository.latestBatchOfEach,
  anyFor: batchesRepository.campaignHasBatch,
};

/** Names read from the database at a time when a batch is planned or rendered. */
export const NAMES_PER_READ = 10_000;

/** Stands in for a name erased after its batch was made, so that the names after it keep their numbers. */
const ERASED_NAME = '—';

/** Today's "HH:MM" in timeZone (today as seen there at `now`), as an instant; null when time is not HH:MM. */
export function dailySlot(now: Date, timeZone: string, time: string): Date | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) return null;
  const { year, month, day } = wallClock(now, timeZone);
  return zonedInstant(year, month, day, Number(match[1]) * 60 + Number(match[2]), timeZone);
}

/**
 * The channels a batch starts on for a target: e-mail after fax begins only once the fax fails
 * (channels.ts); none when the target lacks the number or address its channel needs.
 */
export function channelsOf(target: TargetRow): Array<'fax' | 'email'> {
  const fax = target.faxNumbers.length > 0;
  const email = target.emails.length > 0;
  switch (target.channel) {
    case 'fax-then-email':
      return fax ? ['fax'] : [];
    case 'email':
      return email ? ['email'] : [];
    case 'both':
      return [...(fax ? (['fax'] as const) : []), ...(email ? (['email'] as const) : [])];
  }
}

/** What the estimates count: pages on a fax line; e-mail costs nothing and takes no line. */
const faxPages = (deliveries: ReadonlyArray<{ channel: 'fax' | 'email'; pages: number }>) =>
  deliveries.reduce((sum, delivery) => sum + (delivery.channel === 'fax' ? delivery.pages : 0), 0);

export function createBatchesService({ db, clock, config }: BatchesDeps) {
  const outboxDir = resolve(config.fax.outboxDir);

  async function lockCampaign(tx: Tx, campaignId: number): Promise<CampaignRow> {
    // Batches one at a time, without making inbound signing (a key-share lock) wait.
    const campaign = await campaignsRepository.lockCampaignById(tx, campaignId, 'no key update');
    if (!campaign) throw notFound('Campaign');
    return campaign;
  }

  async function targetsOf(tx: Tx, campaignId: number): Promise<TargetRow[]> {
    const rows = await campaignsRepository.targetsOfCampaign(tx, campaignId);
    if (rows.length === 0) throw new AppError(409, 'no_targets', 'The campaign has no target to fax.');
    return rows;
  }

  /**
   * The signatory page starts of a batch's names for each language of its targets, reading the names a
   * chunk at a time through a cursor (in the claiming transaction) rather than all at once.
   */
  async function pageStartsOf(tx: Tx, batchId: number, campaignTargets: TargetRow[]) {
    const paging = new Map(
      campaignTargets.map((target) => [target.language, new SignatoryPageStarts(target.language)]),
    );
    await signaturesRepository.eachChunkOfBatchNames(tx, batchId, NAMES_PER_READ, (chunk) => {
      const names = chunk.map((name) => name ?? ERASED_NAME);
      for (const each of paging.values()) each.add(names);
    });
    return paging;
  }

  /**
   * Claims every waiting signature of a locked campaign into a new batch, plans each target's parts and
   * queues the rendering. Throws 409 when nothing waits.
   */
  async function claim(tx: Tx, campaign: CampaignRow, reason: BatchReason, staffId: number | null) {
    const campaignTargets = await targetsOf(tx, campaign.id);
    const unreachable = campaignTargets.find((target) => channelsOf(target).length === 0);
    if (unreachable) {
      throw new AppError(
        409,
        'no_fax_number',
        `The target ${unreachable.name} has no fax number or e-mail address for its channel.`,
      );
    }
    const createdAt = clock();
    const batch = await batchesRepository.insertBatch(tx, {
      campaignId: campaign.id,
      reason,
      signatureCount: 0,
      createdBy: staffId,
      createdAt,
    });
    const claimed = await signaturesRepository.claimWaitingSignatures(tx, campaign.id, batch.id);
    if (claimed === 0) {
      throw new AppError(
        409,
        'nothing_to_send',
        'No valid signature is waiting for a fax: every one is already in a batch.',
      );
    }
    const paging = await pageStartsOf(tx, batch.id, campaignTargets);
    // The parts are planned from the page starts; the letter reads only how many names there are.
    const names: SomeNames = { names: [], from: 0, count: claimed };

    const deliveries = campaignTargets.flatMap((target) =>
      planFax(
        faxInput(config, campaign, target, names, createdAt),
        (paging.get(target.language) as SignatoryPageStarts).starts,
      ).flatMap((part) =>
        channelsOf(target).map((channel) => ({
          batchId: batch.id,
          targetId: target.id,
          part: part.part,
          parts: part.parts,
          firstName: part.firstName,
          nameCount: part.nameCount,
          pages: part.pages,
          channel,
          faxNumber: channel === 'fax' ? (target.faxNumbers[0] as string) : null,
          emailAddress: channel === 'email' ? (target.emails[0] as string) : null,
          callbackToken: randomBytes(32).toString('base64url'),
        })),
      ),
    );
    await deliveriesRepository.insertDeliveries(tx, deliveries);
    await batchesRepository.updateBatch(tx, batch.id, { signatureCount: claimed });
    await enqueue(tx, 'fax-render', 'render-batch', { batchId: batch.id });
    if (staffId !== null) {
      await recordAudit(tx, {
        staffId,
        action: 'fax_batch.create',
        entityType: 'fax_batch',
        entityId: batch.id,
        after: { campaignId: campaign.id, reason, signatureCount: claimed },
      });
    }
    const pages = faxPages(deliveries);
    return {
      id: batch.id,
      campaignId: campaign.id,
      status: batch.status,
      reason,
      signatureCount: claimed,
      pages,
      ...estimate(pages, config.fax),
    };
  }

  /**
   * The id of the signature that starts each part and of the one after its end (by their 0-based places
   * in the batch), in one pass.
   */
  async function boundIdsOf(batchId: number, parts: ReadonlyArray<{ firstName: number; nameCount: number }>) {
    const places = new Set(parts.flatMap((part) => [part.firstName, part.firstName + part.nameCount]));
    return signaturesRepository.signatureIdsAtPlaces(db, batchId, [...places]);
  }

  /**
   * The names of one part of a batch of `total`: only that part's names are in memory at a time (an
   * array as long as the batch for each part made a million-name batch hold hundreds of megabytes).
   */
  async function partNames(
    batchId: number,
    total: number,
    part: { firstName: number; nameCount: number },
    boundIds: Map<number, number>,
  ): Promise<SomeNames> {
    const names: string[] = [];
    const firstId = boundIds.get(part.firstName);
    // No signature after the part's end: the part ends the batch.
    const endId = boundIds.get(part.firstName + part.nameCount) ?? null;
    let after = firstId === undefined ? null : firstId - 1;
    while (after !== null && names.length < part.nameCount) {
      const rows = await signaturesRepository.batchNamesBetween(
        db,
        batchId,
        after,
        endId,
        Math.min(NAMES_PER_READ, part.nameCount - names.length),
      );
      if (rows.length === 0) break;
      for (const row of rows) names.push(row.name ?? ERASED_NAME);
      after = (rows[rows.length - 1] as { id: number }).id;
    }
    return { names, from: part.firstName, count: total };
  }

  /** The PDF of one delivery, relative to FAX_OUTBOX_DIR. */
  const documentPathOf = (batchId: number, deliveryId: number) => `batches/${batchId}/${deliveryId}.pdf`;

  return {
    /** A batch of every signature waiting; two requests at once are serialised and claim disjoint names. */
    createBatch(campaignId: number, { reason, staffId }: { reason: BatchReason; staffId: number | null }) {
      return db.transaction(async (tx) => claim(tx, await lockCampaign(tx, campaignId), reason, staffId));
    },

    /** The last batch of a closed campaign; null when nothing waits. */
    closeBatch(campaignId: number) {
      return db.transaction(async (tx) => {
        const campaign = await lockCampaign(tx, campaignId);
        if ((await signaturesRepository.countWaitingSignatures(tx, campaignId)) === 0) return null;
        return claim(tx, campaign, 'close', null);
      });
    },

    /**
     * Batches of open campaigns past their threshold of waiting names, or past their daily time (at most
     * one scheduled batch a day). Safe to run at any moment and more than once.
     */
    async runScheduled() {
      const now = clock();
      const due = await campaignsRepository.campaignsBatchingByThemselves(db);
      const created: Array<{ campaignId: number; batchId: number; reason: BatchReason }> = [];
      const refused: Array<{ campaignId: number; code: string }> = [];
      for (const id of due) {
        try {
          const batch = await db.transaction(async (tx) => {
            const campaign = await lockCampaign(tx, id);
            if (campaign.status !== 'open') return null;
            const names = await signaturesRepository.countWaitingSignatures(tx, id);
            if (names === 0) return null;
            if (campaign.batchThreshold !== null && names >= campaign.batchThreshold) {
              return claim(tx, campaign, 'threshold', null);
            }
            if (campaign.batchDailyAt === null) return null;
            const [first] = await targetsOf(tx, id);
            const slot = dailySlot(now, (first as TargetRow).timezone, campaign.batchDailyAt);
            if (slot === null || now < slot) return null;
            const today = await batchesRepository.hasScheduledBatchSince(tx, id, slot);
            return today ? null : claim(tx, campaign, 'schedule', null);
          });
          if (batch) created.push({ campaignId: id, batchId: batch.id, reason: batch.reason });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          refused.push({ campaignId: id, code: error.code });
        }
      }
      return { created, refused };
    },

    async get(batchId: number) {
      const batch = await batchesRepository.batchById(db, batchId);
      if (!batch) throw notFound('Fax batch');
      const rows = await deliveriesRepository.deliveriesOfBatch(db, batchId);
      const deliveries = rows.map(({ delivery, target }) => ({
        id: delivery.id,
        targetId: delivery.targetId,
        targetName: target.name,
        part: delivery.part,
        parts: delivery.parts,
        pages: delivery.pages,
        channel: delivery.channel,
        address: (delivery.faxNumber ?? delivery.emailAddress) as string,
        status: delivery.status,
        attempts: delivery.attempts,
        faxNumber: delivery.faxNumber,
        emailAddress: delivery.emailAddress,
        messageId: delivery.channel === 'email' ? emailMessageId(config, delivery) : null,
        serverReply: delivery.smtpReply,
        lastError: delivery.lastError,
        estimatedSeconds: estimate(delivery.pages, config.fax).estimatedSeconds,
        completedAt: delivery.completedAt,
        providerCompletedAt: delivery.providerCompletedAt,
        pagesSent: delivery.pagesSent,
        durationSeconds: delivery.durationSeconds,
        remoteId: delivery.remoteId,
      }));
      const pages = faxPages(deliveries);
      return {
        id: batch.id,
        campaignId: batch.campaignId,
        status: batch.status,
        reason: batch.reason,
        signatureCount: batch.signatureCount,
        createdAt: batch.createdAt,
        completedAt: batch.completedAt,
        pages,
        ...estimate(pages, config.fax),
        deliveries,
      };
    },

    /** The campaign's batches, newest first. */
    async list(campaignId: number, cursor: string | undefined, limit: number) {
      if (!(await campaignsRepository.campaignExists(db, campaignId))) throw notFound('Campaign');
      const before = decodeCursor(cursor);
      const rows = await batchesRepository.batchesOfCampaign(db, campaignId, before, limit + 1);
      return toPage(rows, limit);
    },

    /** The kept PDF of one part sent to one target. */
    async documentFile(batchId: number, targetId: number, part: number) {
      const delivery = await deliveriesRepository.deliveryOfPart(db, { batchId, targetId, part });
      if (!delivery) throw notFound('Fax document');
      if (delivery.documentPath === null) {
        throw new AppError(404, 'not_rendered', 'This part of the batch has not been rendered yet.');
      }
      const file = resolve(outboxDir, delivery.documentPath);
      await access(file).catch(() => {
        throw new AppError(404, 'document_missing', 'The document of this part is no longer kept.');
      });
      return { file, filename: `batch-${batchId}-target-${targetId}-part-${part}.pdf` };
    },

    /**
     * What a batch made now would send to one target (default the first): the waiting names, laid out in
     * parts; `pages` counts every target, for the estimate, and `targets` gives each target's parts.
     * Where the pages break depends on every name's width, so every waiting name is read, but a chunk at
     * a time; only the names of the first part, the one a preview draws, are kept.
     */
    async preview(campaignId: number, targetId: number | null) {
      const campaign = await campaignsRepository.campaignById(db, campaignId);
      if (!campaign) throw notFound('Campaign');
      const campaignTargets = await targetsOf(db, campaignId);
      const target =
        targetId === null
          ? campaignTargets[0]
          : campaignTargets.find((candidate) => candidate.id === targetId);
      if (!target) throw notFound('Target');
      const paging = new Map(
        campaignTargets.map((each) => [each.language, new SignatoryPageStarts(each.language)]),
      );
      const chosenPaging = paging.get(target.language) as SignatoryPageStarts;
      // Part 1's names fill fewer than maxPages pages (its letter takes one): keep names until that many
      // pages have started.
      const firstNames: string[] = [];
      let count = 0;
      await db.transaction((tx) =>
        signaturesRepository.eachChunkOfWaitingNames(tx, campaignId, NAMES_PER_READ, (chunk) => {
          const names = chunk.map((name) => name ?? ERASED_NAME);
          const keep = chosenPaging.starts.length < config.fax.maxPages;
          for (const each of paging.values()) each.add(names);
          if (keep) for (const name of names) firstNames.push(name);
          count += names.length;
        }),
      );
      const now = clock();
      const countOnly: SomeNames = { names: [], from: 0, count };
      const plans = campaignTargets.map((each) => ({
        target: each,
        parts: planFax(
          faxInput(config, campaign, each, countOnly, now),
          (paging.get(each.language) as SignatoryPageStarts).starts,
        ),
      }));
      const pagesOf = (parts: FaxPart[]) => parts.reduce((sum, part) => sum + part.pages, 0);
      const chosen = plans.find((plan) => plan.target.id === target.id) as (typeof plans)[number];
      const part = chosen.parts[0] as FaxPart;
      const pages = plans.reduce(
        (sum, plan) => sum + (channelsOf(plan.target).includes('fax') ? pagesOf(plan.parts) : 0),
        0,
      );
      return {
        input: faxInput(
          config,
          campaign,
          target,
          { names: firstNames.slice(0, part.firstName + part.nameCount), from: 0, count },
          now,
        ),
        part,
        parts: chosen.parts.length,
        targetPages: pagesOf(chosen.parts),
        signatureCount: count,
        pages,
        targets: plans.map((plan) => ({
          targetId: plan.target.id,
          parts: plan.parts.length,
          pages: pagesOf(plan.parts),
        })),
        ...estimate(pages, config.fax),
      };
    },

    /** Queues a test fax of the current document to a staff machine; no batch, no signature claimed. */
    requestTestFax(
      campaignId: number,
      { faxNumber, targetId, staffId }: { faxNumber: string; targetId: number | null; staffId: number },
    ) {
      return db.transaction(async (tx) => {
        const campaign = await campaignsRepository.campaignById(tx, campaignId);
        if (!campaign) throw notFound('Campaign');
        const campaignTargets = await targetsOf(tx, campaignId);
        const target =
          targetId === null
            ? campaignTargets[0]
            : campaignTargets.find((candidate) => candidate.id === targetId);
        if (!target) throw notFound('Target');
        if (campaign.isDemo && reachesRealMachines(config.fax.provider)) {
          throw new AppError(
            409,
            'demo_campaign',
            `A demo campaign is never sent through the ${config.fax.provider} fax provider.`,
          );
        }
        await enqueue(tx, 'fax-deliver', 'test-fax', { campaignId, targetId: target.id, faxNumber });
        await recordAudit(tx, {
          staffId,
          action: 'campaign.test_fax',
          entityType: 'campaign',
          entityId: campaignId,
          after: { targetId: target.id, faxNumber },
        });
        return { campaignId, targetId: target.id, faxNumber, status: 'queued' as const };
      });
    },

    /**
     * Renders every part of the batch not rendered yet to FAX_OUTBOX_DIR and queues its sending; running
     * this twice queues nothing twice.
     */
    async renderBatch(batchId: number) {
      const batch = await batchesRepository.batchById(db, batchId);
      if (!batch) throw notFound('Fax batch');
      const pending = await deliveriesRepository.pendingDeliveriesOfBatch(db, batchId);
      if (pending.length === 0) return 0;
      const campaign = await campaignsRepository.campaignById(db, batch.campaignId);
      if (!campaign) throw notFound('Campaign');
      const byId = new Map((await targetsOf(db, campaign.id)).map((target) => [target.id, target]));
      const boundIds = await boundIdsOf(batchId, pending);

      let rendered = 0;
      for (const delivery of pending) {
        const target = byId.get(delivery.targetId);
        if (!target) throw notFound('Target');
        const names = await partNames(batchId, batch.signatureCount, delivery, boundIds);
        const input = faxInput(config, campaign, target, names, batch.createdAt, delivery.resent);
        const documentPath = documentPathOf(batchId, delivery.id);
        const documentSha256 = await writePdf(resolve(outboxDir, documentPath), (output) =>
          renderFaxPart(input, delivery, output),
        );
        await db.transaction(async (tx) => {
          const ready = await deliveriesRepository.markRendered(tx, delivery.id, {
            documentPath,
            documentSha256,
            now: clock(),
          });
          if (!ready) return;
          rendered++;
          await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId: delivery.id });
          await batchesRepository.markBatchSending(tx, batchId);
        });
      }
      return rendered;
    },
  };
}

export type BatchesService = ReturnType<typeof createBatchesService>;
/** A batch as staff see it, with its deliveries. */
export type FaxBatchDetails = Awaited<ReturnType<BatchesService['get']>>;
