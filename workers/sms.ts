import { DelayedError, type Job } from 'bullmq';
import type { createBroadcastSending, JobOutcome } from '../src/broadcasts/sending.js';
import type { JobName, JobPayload } from '../src/queue/queues.js';

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

export function smsSendProcessors(sending: Sending): Processors<'sms-send'> {
  return {
    async send({ messageId }, job) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await waitIfAsked(job, await sending.send(messageId, { lastAttempt }));
    },
  };
}
