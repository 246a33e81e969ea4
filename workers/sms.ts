import { DelayedError, type Job } from 'bullmq';
import type { BroadcastSendingService, JobOutcome } from '../src/broadcasts/sending.js';
import type { JobName, JobPayload, Queues } from '../src/queue/queues.js';
import type { RateLimiter } from '../src/queue/rate.js';

type Processors<Q extends 'broadcasts' | 'sms-send'> = {
  [J in JobName<Q>]: (payload: JobPayload<Q, J>, job: Job) => Promise<void>;
};

/** Quiet hours: the job sleeps in BullMQ's delayed set until they end, without using an attempt. */
async function waitIfAsked(job: Job, outcome: JobOutcome): Promise<void> {
  if (!outcome) return;
  await job.moveToDelayed(Date.now() + outcome.waitMs, job.token);
  throw new DelayedError();
}

/**
 * Texts asleep in the delayed set wake at once and look again: those still held go back to sleep. For a
 * broadcast sent now, and at start when one is waiting (quiet hours may have been switched off). Jobs
 * waiting to retry are tried a little early too: every processor is idempotent.
 */
export async function wakeSleepingTexts(queues: Pick<Queues, 'broadcasts' | 'sms-send'>): Promise<void> {
  await queues.broadcasts.promoteJobs();
  await queues['sms-send'].promoteJobs();
}

export function broadcastProcessors(
  sending: BroadcastSendingService,
  queues: Queues,
): Processors<'broadcasts'> {
  return {
    async 'fan-out'({ broadcastId }, job) {
      await waitIfAsked(job, await sending.fanOut(broadcastId));
    },
    async release() {
      await wakeSleepingTexts(queues);
    },
  };
}

/**
 * A token of the global rate is taken only for a text that will reach Twilio: a skipped one (opted
 * out, cancelled, already settled) is settled at once and costs no time.
 */
export function smsSendProcessors(
  sending: BroadcastSendingService,
  rate: RateLimiter,
): Processors<'sms-send'> {
  return {
    async send({ messageId }, job) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (await sending.wouldSend(messageId)) await rate.take();
      await waitIfAsked(job, await sending.send(messageId, { lastAttempt }));
    },
  };
}
