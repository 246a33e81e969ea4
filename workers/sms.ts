import { DelayedError, type Job } from 'bullmq';
import type { createBroadcastSending, JobOutcome } from '../src/broadcasts/sending.js';
import type { JobName, JobPayload } from '../src/queue/queues.js';
import type { RateLimiter } from '../src/queue/rate.js';

type Sending = ReturnType<typeof createBroadcastSending>;
type Processors<Q extends 'broadcasts' | 'sms-send'> = {
  [J in JobName<Q>]: (payload: JobPayload<Q, J>, job: Job) => Promise<void>;
};

/** Quiet hours: the job sleeps in BullMQ's delayed set until they end, without using an attempt. */
async function waitIfAsked(job: Job, outcome: JobOutcome): Promise<void> {
  if (!outcome) return;
  await job.moveToDelayed(Date.now() + outcome.waitMs, job.token);
  throw new DelayedError();
}

export function broadcastProcessors(sending: Sending): Processors<'broadcasts'> {
  return {
    async 'fan-out'({ broadcastId }, job) {
      await waitIfAsked(job, await sending.fanOut(broadcastId));
    },
  };
}

/**
 * A token of the global rate is taken only for a text that will reach Twilio: a skipped one (opted
 * out, cancelled, already settled) is settled at once and costs no time.
 */
export function smsSendProcessors(sending: Sending, rate: RateLimiter): Processors<'sms-send'> {
  return {
    async send({ messageId }, job) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (await sending.wouldSend(messageId)) await rate.take();
      await waitIfAsked(job, await sending.send(messageId, { lastAttempt }));
    },
  };
}
