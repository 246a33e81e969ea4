import { resolve } from 'node:path';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { campaigns, faxBatches, faxDeliveries, signatures, targets } from '../db/schema.js';
import { notFound } from '../errors.js';
import type { Tx } from '../staff/audit.js';
import { faxInput, writePdf } from './batches.js';
import { type FaxPart, planFax, renderFaxPart } from './document.js';
import { type FaxOutcome, type FaxProvider, reachesRealMachines } from './providers/index.js';

export interface DeliveryDeps {
  db: Db;
  clock: () => Date;
  config: Config;
  provider: FaxProvider;
}

const FINAL = ['delivered', 'failed'] as const;

/**
 * Sending a delivery: waiting → sending (attempt counted) → delivered or failed. The move to sending is
 * committed before the provider is called, so a job run twice finds the delivery sending and submits
 * nothing again.
 */
export function createDeliveryService({ db, clock, config, provider }: DeliveryDeps) {
  const outboxDir = resolve(config.fax.outboxDir);

  /** Once each of its deliveries is delivered or failed, a batch is delivered, failed or partly failed. */
  async function settleBatch(tx: Tx, batchId: number): Promise<void> {
    // Deliveries of one batch finishing at once take turns here; each then reads the others' commits.
    await tx
      .select({ id: faxBatches.id })
      .from(faxBatches)
      .where(eq(faxBatches.id, batchId))
      .for('no key update');
    const rows = await tx
      .select({ status: faxDeliveries.status })
      .from(faxDeliveries)
      .where(eq(faxDeliveries.batchId, batchId));
    if (!rows.every((row) => (FINAL as readonly string[]).includes(row.status))) return;
    const delivered = rows.filter((row) => row.status === 'delivered').length;
    const status = delivered === rows.length ? 'delivered' : delivered === 0 ? 'failed' : 'partly_failed';
    await tx
      .update(faxBatches)
      .set({ status, completedAt: clock() })
      .where(and(eq(faxBatches.id, batchId), isNull(faxBatches.completedAt)));
  }

  async function finish(deliveryId: number, batchId: number, outcome: FaxOutcome, providerFaxId?: string) {
    await db.transaction(async (tx) => {
      const now = clock();
      await tx
        .update(faxDeliveries)
        .set({
          ...(providerFaxId === undefined ? {} : { providerFaxId }),
          status: outcome.state,
          lastError: outcome.state === 'failed' ? outcome.error : null,
          completedAt: now,
          updatedAt: now,
        })
        .where(eq(faxDeliveries.id, deliveryId));
      await settleBatch(tx, batchId);
    });
  }

  return {
    /**
     * Submits one rendered part. `finalAttempt` says whether the queue will retry if this throws: if
     * not, the delivery fails with the error instead of waiting for another try.
     */
    async send(deliveryId: number, { finalAttempt }: { finalAttempt: boolean }) {
      const claimed = await db.transaction(async (tx) => {
        const [row] = await tx
          .select({
            delivery: faxDeliveries,
            keyword: campaigns.keyword,
            isDemo: campaigns.isDemo,
            targetName: targets.name,
          })
          .from(faxDeliveries)
          .innerJoin(faxBatches, eq(faxBatches.id, faxDeliveries.batchId))
          .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
          .innerJoin(targets, eq(targets.id, faxDeliveries.targetId))
          .where(eq(faxDeliveries.id, deliveryId))
          .for('update', { of: faxDeliveries });
        if (!row) throw notFound('Fax delivery');
        const { delivery } = row;
        if (delivery.status !== 'waiting' || delivery.documentPath === null) return null;
        if (row.isDemo && reachesRealMachines(provider.name)) {
          const now = clock();
          await tx
            .update(faxDeliveries)
            .set({
              status: 'failed',
              lastError: `Refused: this is a demo campaign with fictional fax numbers, never sent through the ${provider.name} provider.`,
              completedAt: now,
              updatedAt: now,
            })
            .where(eq(faxDeliveries.id, deliveryId));
          await settleBatch(tx, delivery.batchId);
          return null;
        }
        await tx
          .update(faxDeliveries)
          .set({
            status: 'sending',
            attempts: sql`${faxDeliveries.attempts} + 1`,
            provider: provider.name,
            submittedAt: clock(),
            updatedAt: clock(),
          })
          .where(eq(faxDeliveries.id, deliveryId));
        return { ...row, documentPath: delivery.documentPath };
      });
      if (!claimed) return;
      const { delivery } = claimed;

      let submission: Awaited<ReturnType<FaxProvider['submit']>>;
      try {
        submission = await provider.submit({
          deliveryId,
          batchId: delivery.batchId,
          campaignKeyword: claimed.keyword,
          targetName: claimed.targetName,
          faxNumber: delivery.faxNumber,
          pages: delivery.pages,
          file: resolve(outboxDir, claimed.documentPath),
          callbackUrl: `${config.publicBaseUrl}/webhooks/fax/${provider.name}?token=${delivery.callbackToken}`,
          test: false,
        });
      } catch (error) {
        const message = `Submitting to ${provider.name} failed: ${(error as Error).message}`;
        if (finalAttempt) {
          await finish(deliveryId, delivery.batchId, { state: 'failed', error: message });
        } else {
          await db
            .update(faxDeliveries)
            .set({ status: 'waiting', lastError: message, updatedAt: clock() })
            .where(and(eq(faxDeliveries.id, deliveryId), eq(faxDeliveries.status, 'sending')));
        }
        throw error;
      }
      if (submission.outcome) {
        await finish(deliveryId, delivery.batchId, submission.outcome, submission.providerFaxId);
      } else {
        await db
          .update(faxDeliveries)
          .set({ providerFaxId: submission.providerFaxId, updatedAt: clock() })
          .where(eq(faxDeliveries.id, deliveryId));
      }
    },

    /**
     * Renders part 1 of the current document for a target (the names waiting, or every valid name when
     * none waits) and sends it to a staff machine. `testId` names the kept PDF.
     */
    async sendTest(
      { campaignId, targetId, faxNumber }: { campaignId: number; targetId: number; faxNumber: string },
      testId: string,
    ) {
      const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
      const [target] = await db
        .select()
        .from(targets)
        .where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)));
      if (!campaign || !target) throw notFound('Campaign target');
      if (campaign.isDemo && reachesRealMachines(provider.name)) return { sent: false as const };
      const names = async (onlyWaiting: boolean) =>
        (
          await db
            .select({ name: signatures.name })
            .from(signatures)
            .where(
              and(
                eq(signatures.campaignId, campaignId),
                eq(signatures.status, 'valid'),
                onlyWaiting ? isNull(signatures.batchId) : undefined,
              ),
            )
            .orderBy(asc(signatures.id))
        ).flatMap((row) => (row.name === null ? [] : [row.name]));
      let list = await names(true);
      if (list.length === 0) list = await names(false);
      const input = faxInput(config, campaign, target, list, clock());
      const part = planFax(input)[0] as FaxPart;
      const file = resolve(outboxDir, 'tests', `${testId}.pdf`);
      await writePdf(file, (output) => renderFaxPart(input, part, output));
      const submission = await provider.submit({
        deliveryId: null,
        batchId: null,
        campaignKeyword: campaign.keyword,
        targetName: target.name,
        faxNumber,
        pages: part.pages,
        file,
        callbackUrl: null,
        test: true,
      });
      return { sent: true as const, pages: part.pages, providerFaxId: submission.providerFaxId };
    },
  };
}
