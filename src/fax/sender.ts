import { resolve } from 'node:path';
import * as campaignsRepository from '../campaigns/repository.js';
import * as signaturesRepository from '../campaigns/signatures.repository.js';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import type { FaxDeliveryRow } from '../db/rows.js';
import { notFound } from '../errors.js';
import { createMailTransport, type MailTransport } from '../mail/transport.js';
import { enqueue } from '../queue/outbox.repository.js';
import { NAMES_PER_READ } from './batches.js';
import * as batchesRepository from './batches.repository.js';
import { nextBusinessInstant } from './business-hours.js';
import { createChannels, readyToSend } from './channels.js';
import type { DeliveryInContext } from './deliveries.repository.js';
import * as deliveriesRepository from './deliveries.repository.js';
import { createEmailSenderService } from './email-sender.js';
import { type FaxPart, faxInput, planFax, SignatoryPageStarts, type SomeNames } from './layout.js';
import {
  FaxBlocked,
  type FaxOutcome,
  type FaxProvider,
  FaxRejected,
  type FaxReport,
  NO_FACTS,
  reachesRealMachines,
} from './providers/types.js';
import { renderFaxPart, writePdf } from './render.js';
import { type DeliveryState, decide } from './state.js';
import { type FaxStuckItem, type FoundStuck, findStuck, stuckDelivery, stuckItem } from './stuck.js';
import { type DeliveryTiming, deliveryTiming } from './timing.js';

export interface FaxSenderDeps {
  db: Db;
  clock: () => Date;
  config: Config;
  provider: FaxProvider;
  /** Where the e-mail channel's parts go; MAIL_TRANSPORT's when not given. */
  mail?: MailTransport;
  timing?: Partial<DeliveryTiming>;
}

/** The number a fax delivery dials: set for every fax delivery (the table's check). */
const numberOf = (delivery: FaxDeliveryRow) => delivery.faxNumber as string;

/** What a fax's submission leaves behind once it is over, for the next attempt to start afresh. */
const NO_SUBMISSION = { providerFaxId: null, submittedAt: null, polledAt: null } as const;

/**
 * Sending a delivery, one state machine for every provider: waiting → sending → delivered, failed, or
 * waiting again (same number later, or the next number). The submission is recorded before the provider
 * is called (sending, attempt counted, submittedAt) and after (providerFaxId), and the provider is only
 * called while holding the delivery's row lock: a worker killed in between leaves a delivery sending
 * with no providerFaxId, which the next run reconciles with the provider before sending anything again.
 * Only the workers send; what staff and providers' callbacks do to a delivery is in deliveries.ts.
 * E-mail deliveries have a machine of their own (email-sender.ts); how either channel's end follows on
 * (e-mail after a failing fax, staff told, the batch settled) is channels.ts.
 */
export function createFaxSenderService({ db, clock, config, provider, mail, timing }: FaxSenderDeps) {
  const outboxDir = resolve(config.fax.outboxDir);
  const resolved = deliveryTiming(config, timing);
  const channels = createChannels({ config });
  const transport = mail ?? createMailTransport(config);
  const email = createEmailSenderService({ db, clock, config, transport, channels, timing: resolved });
  const {
    retryDelaysMs,
    maxAttemptsPerNumber,
    pollEveryMs,
    inProgressLimitMs,
    stuckAfterMs,
    blockedRetryMs,
  } = resolved;
  const later = (ms: number) => new Date(clock().getTime() + ms);

  async function finish(tx: Tx, delivery: FaxDeliveryRow, outcome: FaxOutcome, providerFaxId?: string) {
    const facts = outcome.state === 'failed' ? NO_FACTS : outcome.facts;
    await channels.finish(
      tx,
      delivery,
      {
        ...(providerFaxId === undefined ? {} : { providerFaxId }),
        status: outcome.state,
        lastError: outcome.state === 'failed' ? outcome.error : null,
        providerCompletedAt: facts.completedAt,
        pagesSent: facts.pagesSent,
        durationSeconds: facts.durationSeconds,
        remoteId: facts.remoteId,
      },
      clock(),
    );
  }

  /**
   * Feeds one report on the delivery's current fax to the state machine; a stale or repeated one changes
   * nothing.
   */
  async function apply(
    tx: Tx,
    row: DeliveryInContext,
    report: FaxReport,
    { pollAgain }: { pollAgain: boolean },
  ) {
    const { delivery } = row;
    if (delivery.status !== 'sending' || delivery.providerFaxId !== report.providerFaxId) return;
    const state: DeliveryState = {
      numbers: row.target.faxNumbers,
      numberIndex: delivery.numberIndex,
      numberAttempts: delivery.numberAttempts,
      submittedAt: delivery.submittedAt,
    };
    const now = clock();
    const decision = decide(state, report.event, now, {
      delaysMs: retryDelaysMs,
      maxAttemptsPerNumber,
      businessHours: config.fax.businessHours,
      timeZone: row.target.timezone,
      inProgressLimitMs,
      blockedRetryMs,
    });
    switch (decision.status) {
      case 'sending': {
        if (!pollAgain) return;
        // A second chain of polls (one driven on while the first was only late) ends where it meets the
        // first.
        const polledJustNow =
          delivery.polledAt !== null && now.getTime() - delivery.polledAt.getTime() < pollEveryMs / 2;
        if (polledJustNow) return;
        await deliveriesRepository.updateDelivery(tx, delivery.id, { polledAt: now });
        await enqueue(tx, 'fax-deliver', 'poll-delivery', { deliveryId: delivery.id }, later(pollEveryMs));
        return;
      }
      case 'delivered':
        return finish(tx, delivery, { state: 'delivered', facts: report.facts });
      case 'failed':
        return finish(tx, delivery, { state: 'failed', error: decision.lastError });
      case 'blocked':
        // Same number, same document: only what blocks it must change, which staff see on the batch and
        // the stuck page; the job (or the watchdog, should it be lost) tries again.
        return channels.tryAgainAt(
          tx,
          delivery.id,
          {
            status: 'blocked',
            numberAttempts: decision.numberAttempts,
            lastError: decision.lastError,
            nextAttemptAt: decision.retryAt,
            ...NO_SUBMISSION,
            updatedAt: now,
          },
          decision.retryAt,
        );
      case 'waiting': {
        const fields = {
          numberIndex: decision.numberIndex,
          faxNumber: decision.faxNumber,
          numberAttempts: decision.numberAttempts,
          lastError: decision.lastError,
          nextAttemptAt: decision.retryAt,
          ...NO_SUBMISSION,
          updatedAt: now,
        };
        if (decision.resend) {
          // Pages reached the recipient: the part is rendered again, saying "resent", and sent whole.
          // Rendering queues the send, which waits for nextAttemptAt by itself.
          await deliveriesRepository.updateDelivery(tx, delivery.id, {
            status: 'pending',
            resent: true,
            ...fields,
          });
          await enqueue(tx, 'fax-render', 'render-batch', { batchId: delivery.batchId });
        } else {
          await channels.tryAgainAt(tx, delivery.id, { status: 'waiting', ...fields }, decision.retryAt);
        }
        await channels.faxFailing(tx, delivery, now);
        return;
      }
    }
  }

  /**
   * Moves a waiting delivery to sending when it may go now. Returns whether the provider must first be
   * asked whether it already has this submission (an earlier one was interrupted).
   */
  async function claim(deliveryId: number): Promise<{ reconcile: boolean } | null> {
    return db.transaction(async (tx) => {
      const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'wait');
      if (!row) throw notFound('Fax delivery');
      const { delivery } = row;
      if (delivery.status === 'sending') return delivery.providerFaxId === null ? { reconcile: true } : null;
      if (!readyToSend(delivery)) return null;
      const now = clock();
      if (row.campaign.isDemo && reachesRealMachines(provider.name)) {
        await finish(tx, delivery, {
          state: 'failed',
          error:
            `Refused: this is a demo campaign with fictional fax numbers, ` +
            `never sent through the ${provider.name} provider.`,
        });
        return null;
      }
      const allowed = nextBusinessInstant(
        delivery.nextAttemptAt && delivery.nextAttemptAt > now ? delivery.nextAttemptAt : now,
        config.fax.businessHours,
        row.target.timezone,
      );
      if (allowed > now) {
        await deliveriesRepository.updateDelivery(tx, deliveryId, { nextAttemptAt: allowed, updatedAt: now });
        await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId }, allowed);
        return null;
      }
      // A submission that threw may still have reached the provider: same attempt, asked about first.
      const uncertain =
        delivery.submittedAt !== null && delivery.providerFaxId === null && !!provider.findByDelivery;
      await deliveriesRepository.markSending(tx, deliveryId, {
        provider: provider.name,
        now,
        newAttempt: !uncertain,
      });
      return { reconcile: uncertain };
    });
  }

  /**
   * Queues again the job that moves a stuck item on, if it is still stuck as found and nobody holds it;
   * `rendering` holds the batches whose rendering this round already queued. True when it queued.
   */
  async function nudge(tx: Tx, found: FoundStuck, now: Date, rendering: Set<number>): Promise<boolean> {
    const { batchId, deliveryId } = found;
    const render = async () => {
      if (!rendering.has(batchId)) await enqueue(tx, 'fax-render', 'render-batch', { batchId });
      rendering.add(batchId);
    };
    if (deliveryId === undefined) {
      const status = await batchesRepository.lockBatch(tx, batchId, { skipLocked: true });
      if (status !== 'pending') return false;
      await batchesRepository.updateBatch(tx, batchId, { nudgedAt: now });
      await render();
      return true;
    }
    // Only staff may send an uncertain e-mail again.
    if (found.kind === 'email-uncertain') return false;
    const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'skip');
    const stuck = row && stuckDelivery(row.delivery, now, resolved);
    if (!stuck || stuck.kind !== found.kind) return false;
    // A blocked delivery stays on the stuck page from the start; it is only tried again when due (hourly).
    const blocked = stuck.kind === 'fax-blocked' || stuck.kind === 'email-blocked';
    if (blocked && (row.delivery.nextAttemptAt ?? now) > now) return false;
    await deliveriesRepository.updateDelivery(tx, deliveryId, { nudgedAt: now });
    switch (stuck.kind) {
      case 'fax-part-unrendered':
        await render();
        return true;
      // Sending an interrupted submission asks the provider about it first (claim and send below); an
      // interrupted e-mail is only marked uncertain.
      case 'fax-send-overdue':
      case 'fax-blocked':
      case 'email-blocked':
      case 'fax-submission-interrupted':
      case 'email-send-overdue':
      case 'email-send-interrupted':
        await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId });
        return true;
      // A poll also fails a fax in progress past the limit.
      case 'fax-poll-overdue':
        await enqueue(tx, 'fax-deliver', 'poll-delivery', { deliveryId });
        return true;
    }
  }

  return {
    /**
     * Submits one rendered part. `finalAttempt` says whether the queue will retry if this throws: if
     * not, the delivery fails with the error instead of waiting for another try.
     */
    async send(deliveryId: number, { finalAttempt }: { finalAttempt: boolean }) {
      if ((await deliveriesRepository.deliveryChannel(db, deliveryId)) === 'email')
        return email.send(deliveryId);
      const claimed = await claim(deliveryId);
      if (!claimed) return;
      const failure = await db.transaction(async (tx) => {
        // Whoever holds the lock is submitting; a second run of the job leaves it alone.
        const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'skip');
        if (!row) return null;
        const { delivery } = row;
        if (delivery.status !== 'sending' || delivery.providerFaxId !== null) return null;
        const submittedAt = delivery.submittedAt ?? clock();
        if (claimed.reconcile && provider.findByDelivery) {
          const found = await provider.findByDelivery({
            to: numberOf(delivery),
            // Clocks differ a little between us and the provider.
            since: new Date(submittedAt.getTime() - 10 * 60_000),
            deliveryId,
            attempt: delivery.attempts,
          });
          if (found) {
            await deliveriesRepository.updateDelivery(tx, deliveryId, {
              providerFaxId: found.providerFaxId,
              updatedAt: clock(),
            });
            await apply(
              tx,
              { ...row, delivery: { ...delivery, providerFaxId: found.providerFaxId } },
              found,
              {
                pollAgain: true,
              },
            );
            return null;
          }
        }
        try {
          const submission = await provider.submit({
            deliveryId,
            batchId: delivery.batchId,
            attempt: delivery.attempts,
            campaignKeyword: row.campaign.keyword,
            targetName: row.target.name,
            faxNumber: numberOf(delivery),
            pages: delivery.pages,
            file: resolve(outboxDir, delivery.documentPath as string),
            callbackUrl:
              `${config.publicBaseUrl}/webhooks/fax/${provider.name}` + `?token=${delivery.callbackToken}`,
            test: false,
          });
          if (submission.outcome) {
            await finish(tx, delivery, submission.outcome, submission.providerFaxId);
          } else {
            await deliveriesRepository.updateDelivery(tx, deliveryId, {
              providerFaxId: submission.providerFaxId,
              updatedAt: clock(),
            });
            await enqueue(tx, 'fax-deliver', 'poll-delivery', { deliveryId }, later(pollEveryMs));
          }
          return null;
        } catch (error) {
          const message = `Submitting to ${provider.name} failed: ${(error as Error).message}`;
          if (error instanceof FaxBlocked) {
            const refused = { ...row, delivery: { ...delivery, providerFaxId: 'blocked' } };
            await apply(
              tx,
              refused,
              {
                providerFaxId: 'blocked',
                event: { type: 'failed', kind: 'blocked', message: (error as Error).message, pagesSent: 0 },
                facts: NO_FACTS,
              },
              { pollAgain: false },
            );
            return null;
          }
          if (error instanceof FaxRejected) {
            // The provider refused this number for good: the state machine moves on to the next one.
            const refused = { ...row, delivery: { ...delivery, providerFaxId: 'refused' } };
            await apply(
              tx,
              refused,
              {
                providerFaxId: 'refused',
                event: { type: 'failed', kind: 'invalid-number', message, pagesSent: 0 },
                facts: NO_FACTS,
              },
              { pollAgain: false },
            );
            return null;
          }
          if (finalAttempt) {
            await finish(tx, delivery, { state: 'failed', error: message });
          } else {
            await deliveriesRepository.updateDelivery(tx, deliveryId, {
              status: 'waiting',
              lastError: message,
              updatedAt: clock(),
            });
          }
          return error as Error;
        }
      });
      if (failure) throw failure;
    },

    /** E-mails staff that a target did not receive a part by any channel. */
    notifyFailure: (deliveryId: number) => email.notifyFailure(deliveryId),

    /**
     * Asks the provider how the delivery's current fax is going. A poll asks again later while the fax is
     * under way; a check (after a callback) does not, the polling already running does.
     */
    async poll(deliveryId: number, { again }: { again: boolean }) {
      const getFax = provider.get?.bind(provider);
      if (!getFax) return;
      const current = await deliveriesRepository.deliveryById(db, deliveryId);
      if (current?.status !== 'sending' || current.providerFaxId === null) return;
      const report = await getFax(current.providerFaxId);
      await db.transaction(async (tx) => {
        const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'wait');
        if (row) await apply(tx, row, report, { pollAgain: again });
      });
    },

    /**
     * Finds every batch and delivery stuck longer than its state allows and drives each on through its own
     * job, never sending anything the provider may already have: a batch or part not rendered is rendered;
     * a part overdue, or whose submission was interrupted, is sent (an interrupted one is first looked up
     * at the provider); a fax whose polling stopped is polled (which fails it once in progress past the
     * limit). Each item is driven on at most once every `stuckAfterMs`. Returns the items driven on.
     */
    async driveStuck(): Promise<FaxStuckItem[]> {
      const now = clock();
      const driven: FaxStuckItem[] = [];
      const rendering = new Set<number>();
      for (const found of await findStuck(db, now, resolved)) {
        if (found.nudgedAt && now.getTime() - found.nudgedAt.getTime() < stuckAfterMs) continue;
        if (await db.transaction((tx) => nudge(tx, found, now, rendering))) driven.push(stuckItem(found));
      }
      return driven;
    },

    /**
     * Renders part 1 of the current document for a target (the names waiting, or every valid name when
     * none waits) and sends it to a staff machine. `testId` names the kept PDF.
     */
    async sendTest(
      { campaignId, targetId, faxNumber }: { campaignId: number; targetId: number; faxNumber: string },
      testId: string,
    ) {
      const campaign = await campaignsRepository.campaignById(db, campaignId);
      const target = await campaignsRepository.targetOfCampaign(db, campaignId, targetId);
      if (!campaign || !target) throw notFound('Campaign target');
      if (campaign.isDemo && reachesRealMachines(provider.name)) return { sent: false as const };
      // Part 1 only, read a chunk at a time (a campaign may have a million names): where its pages end
      // depends on every name before, so names are kept until as many pages as a part holds have begun.
      const firstNames = async (onlyWaiting: boolean) => {
        const paging = new SignatoryPageStarts(target.language);
        const kept: string[] = [];
        let count = 0;
        await db.transaction((tx) =>
          signaturesRepository.eachChunkOfNames(tx, campaignId, { onlyWaiting }, NAMES_PER_READ, (chunk) => {
            const names = chunk.filter((name): name is string => name !== null);
            if (paging.starts.length < config.fax.maxPages) kept.push(...names);
            paging.add(names);
            count += names.length;
          }),
        );
        return { kept, count, starts: paging.starts };
      };
      let names = await firstNames(true);
      if (names.count === 0) names = await firstNames(false);
      const now = clock();
      const countOnly: SomeNames = { names: [], from: 0, count: names.count };
      const part = planFax(faxInput(config, campaign, target, countOnly, now), names.starts)[0] as FaxPart;
      const someNames = {
        names: names.kept.slice(0, part.firstName + part.nameCount),
        from: 0,
        count: names.count,
      };
      const input = faxInput(config, campaign, target, someNames, now);
      const file = resolve(outboxDir, 'tests', `${testId}.pdf`);
      await writePdf(file, (output) => renderFaxPart(input, part, output));
      const submission = await provider.submit({
        deliveryId: null,
        batchId: null,
        attempt: 1,
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

export type FaxSenderService = ReturnType<typeof createFaxSenderService>;
