import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';
import * as batchesRepository from './batches.repository.js';
import * as deliveriesRepository from './deliveries.repository.js';
import { countByKind, type FaxStuckItem, type FaxStuckKind, findStuck, stuckItem } from './stuck.js';
import { type DeliveryTiming, deliveryTiming } from './timing.js';

export interface DeliveriesDeps {
  db: Db;
  clock: () => Date;
  config: Config;
  /** The same waits as the sender's, so that both agree on what is stuck. */
  timing?: Partial<DeliveryTiming>;
}

/**
 * What staff and providers' webhooks do to a delivery; the sending itself is the workers' (sender.ts).
 * Both only change rows and queue jobs, so they never wait on a provider.
 */
export function createDeliveriesService({ db, clock, config, timing }: DeliveriesDeps) {
  const resolved = deliveryTiming(config, timing);
  return {
    /**
     * Fax work stuck longer than its state allows, oldest first, and how many of each kind (every kind
     * present, zero or not). Read only: the sender's `driveStuck` moves them on.
     */
    async stuck(): Promise<{ items: FaxStuckItem[]; counts: Record<FaxStuckKind, number> }> {
      const items = (await findStuck(db, clock(), resolved)).map(stuckItem);
      return { items, counts: countByKind(items) };
    },

    /**
     * Staff's retry of a failed delivery: from the first number (or address) of its channel again,
     * audited. A blocked one (its account, sender or document now fixed) goes now, from where it was,
     * rather than at its next hourly try. 409 unless it failed or is blocked.
     */
    retry(deliveryId: number, staffId: number) {
      return db.transaction(async (tx) => {
        const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'wait');
        if (!row) throw notFound('Fax delivery');
        const { delivery, target } = row;
        const now = clock();
        if (delivery.status === 'blocked') {
          await deliveriesRepository.updateDelivery(tx, deliveryId, { nextAttemptAt: null, updatedAt: now });
          await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId });
          await recordAudit(tx, {
            staffId,
            action: 'fax_delivery.retry',
            entityType: 'fax_delivery',
            entityId: deliveryId,
            before: { status: 'blocked', lastError: delivery.lastError },
            after: { status: 'blocked', nextAttemptAt: null },
          });
          return {
            id: deliveryId,
            status: 'blocked' as const,
            channel: delivery.channel,
            address: (delivery.faxNumber ?? delivery.emailAddress) as string,
            faxNumber: delivery.faxNumber,
            attempts: delivery.attempts,
          };
        }
        if (delivery.status !== 'failed') {
          throw new AppError(
            409,
            'not_failed',
            `Only a failed or blocked delivery can be retried; this one is ${delivery.status}.`,
          );
        }
        const status = delivery.documentPath === null ? 'pending' : 'waiting';
        const email = delivery.channel === 'email';
        const first = {
          faxNumber: email ? null : (target.faxNumbers[0] ?? delivery.faxNumber),
          emailAddress: email ? (target.emails[0] ?? delivery.emailAddress) : null,
        };
        await deliveriesRepository.updateDelivery(tx, deliveryId, {
          status,
          numberIndex: 0,
          numberAttempts: 0,
          ...first,
          staffNotifiedAt: null,
          providerFaxId: null,
          submittedAt: null,
          polledAt: null,
          nextAttemptAt: null,
          completedAt: null,
          updatedAt: now,
        });
        await batchesRepository.updateBatch(tx, delivery.batchId, { status: 'sending', completedAt: null });
        if (status === 'pending') {
          await enqueue(tx, 'fax-render', 'render-batch', { batchId: delivery.batchId });
        } else {
          await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId });
        }
        await recordAudit(tx, {
          staffId,
          action: 'fax_delivery.retry',
          entityType: 'fax_delivery',
          entityId: deliveryId,
          before: { status: delivery.status },
          after: { status },
        });
        return {
          id: deliveryId,
          status,
          channel: delivery.channel,
          address: (first.faxNumber ?? first.emailAddress) as string,
          faxNumber: first.faxNumber,
          attempts: delivery.attempts,
        };
      });
    },

    /**
     * Staff's resend of an uncertain e-mail, checked with the recipient first: the same part to the same
     * address with the same Message-ID, audited. 409 unless it is uncertain.
     */
    resend(deliveryId: number, staffId: number) {
      return db.transaction(async (tx) => {
        const delivery = (await deliveriesRepository.deliveryInContext(tx, deliveryId, 'wait'))?.delivery;
        if (!delivery) throw notFound('Fax delivery');
        if (delivery.status !== 'uncertain') {
          throw new AppError(
            409,
            'not_uncertain',
            `Only an e-mail whose send is uncertain can be resent; this one is ${delivery.status}.`,
          );
        }
        await deliveriesRepository.updateDelivery(tx, deliveryId, {
          status: 'waiting',
          nextAttemptAt: null,
          updatedAt: clock(),
        });
        await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId });
        await recordAudit(tx, {
          staffId,
          action: 'fax_delivery.resend',
          entityType: 'fax_delivery',
          entityId: deliveryId,
          before: { status: 'uncertain', lastError: delivery.lastError },
          after: { status: 'waiting' },
        });
        return {
          id: deliveryId,
          status: 'waiting' as const,
          channel: delivery.channel,
          address: delivery.emailAddress as string,
          faxNumber: null,
          attempts: delivery.attempts,
        };
      });
    },

    /**
     * A provider's callback, which carries no signature: its token names the delivery, and a check job
     * reads the fax back from the provider before anything changes. False when the token names no
     * delivery of this provider.
     */
    acceptCallback(provider: string, token: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const delivery = await deliveriesRepository.deliveryByCallbackToken(tx, token);
        if (!delivery || delivery.provider !== provider) return false;
        if (delivery.status === 'sending') {
          await enqueue(tx, 'fax-deliver', 'check-delivery', { deliveryId: delivery.id });
        }
        return true;
      });
    },
  };
}

export type DeliveriesService = ReturnType<typeof createDeliveriesService>;
