import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { BatchesService } from '../src/fax/batches.js';
import type { FaxSenderService } from '../src/fax/sender.js';
import type { JobName, JobPayload, QueueName } from '../src/queue/queues.js';

/** The processor of each job of a queue. */
export type Processors<Q extends QueueName> = {
  [J in JobName<Q>]: (payload: JobPayload<Q, J>, job: Job) => Promise<void>;
};

interface FaxWorkerDeps {
  batches: BatchesService;
  faxSender: FaxSenderService;
  logger: Logger;
}

/** Whether BullMQ gives up on the job if this attempt throws. */
const isFinalAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

export function faxRenderProcessors({ batches, logger }: FaxWorkerDeps): Processors<'fax-render'> {
  return {
    async 'close-batch'({ campaignId }) {
      const batch = await batches.closeBatch(campaignId);
      if (batch)
        logger.info(
          { campaignId, batchId: batch.id, signatures: batch.signatureCount },
          'closing batch made',
        );
    },
    async 'render-batch'({ batchId }) {
      const rendered = await batches.renderBatch(batchId);
      logger.info({ batchId, rendered }, 'fax batch rendered');
    },
  };
}

export function faxDeliverProcessors({ faxSender, logger }: FaxWorkerDeps): Processors<'fax-deliver'> {
  return {
    async 'send-delivery'({ deliveryId }, job) {
      await faxSender.send(deliveryId, { finalAttempt: isFinalAttempt(job) });
    },
    async 'poll-delivery'({ deliveryId }) {
      await faxSender.poll(deliveryId, { again: true });
    },
    async 'check-delivery'({ deliveryId }) {
      await faxSender.poll(deliveryId, { again: false });
    },
    async 'notify-failure'({ deliveryId }) {
      const { sent } = await faxSender.notifyFailure(deliveryId);
      if (!sent) logger.info({ deliveryId }, 'no failure notice sent: retried since, or no staff address');
    },
    async 'test-fax'(payload, job) {
      const result = await faxSender.sendTest(payload, String(job.id));
      if (result.sent) {
        logger.info({ campaignId: payload.campaignId, pages: result.pages }, 'test fax sent');
      } else {
        logger.warn({ campaignId: payload.campaignId }, 'test fax of a demo campaign refused');
      }
    },
  };
}
