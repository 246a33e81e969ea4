import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxJobId } from '../../src/queue/relay.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  type Member,
  progressOf,
  startBroadcastWorld,
  waitFor,
  waitUntilDone,
} from '../broadcasts/harness.js';
import { ConsoleClient, consoleStaff, PASSWORD } from '../console/session.js';
import { openCampaign } from '../helpers/campaigns.js';

// The app and its workers against the fake Twilio; the faults are the test's own: jobs removed from
// Redis by hand, rows made older than the watchdog's settling time, a send left claimed.
let world: BroadcastWorld;
let members: Member[];
let campaignId: number;
let staffConsole: ConsoleClient;

beforeAll(async () => {
  world = await startBroadcastWorld();
  members = await addMembers(world, 3);
  campaignId = (
    await openCampaign(world.database, {
      keyword: 'WATCH',
      title: 'Watched action',
      letter: { body: 'Release him.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
    })
  ).id;
  const { email } = await consoleStaff(world.database, 'viewer');
  staffConsole = new ConsoleClient(world.server.app);
  await staffConsole.signIn(email, PASSWORD);
  // The test runs the watchdog itself, when its fault is in place, not when the minute comes round.
  await queues().maintenance.removeJobScheduler('watchdog');
});
afterAll(() => world.close());

const queues = () => world.workers.workers.queues;

type OutboxRow = { id: string; job_key: string; enqueued_at: Date | null };

async function outboxRow(queue: string, field: string, id: number | string): Promise<OutboxRow[]> {
  const { rows } = await world.database.pool.query(
    `SELECT id, job_key, enqueued_at FROM outbox WHERE queue = $1 AND payload ->> $2 = $3 ORDER BY id`,
    [queue, field, String(id)],
  );
  return rows;
}

/** The watchdog's settling time passed: as if the rows had been relayed three minutes ago. */
async function age(queue: string) {
  await world.database.pool.query(
    `UPDATE outbox SET enqueued_at = now() - interval '3 minutes' WHERE queue = $1 AND enqueued_at IS NOT NULL`,
    [queue],
  );
}

/** Runs the watchdog as its schedule does, and waits for the run to finish. */
async function runWatchdog() {
  const job = await queues().maintenance.add('watchdog', {});
  await waitFor(async () => (await job.getState()) === 'completed', 'the watchdog to run');
}

async function stuckGauge(): Promise<Record<string, number>> {
  const text = (await world.server.app.inject({ method: 'GET', url: '/metrics' })).body;
  const counts: Record<string, number> = {};
  for (const [, kind, n] of text.matchAll(/^pp_stuck_items\{kind="([^"]+)"\} (\d+)$/gm)) {
    counts[kind as string] = Number(n);
  }
  return counts;
}

const textsTo = (member: Member, body: string) =>
  world.fake.messages.filter((m) => m.to === member.phone && m.body.startsWith(body));

describe('a relayed job removed from Redis by hand', () => {
  const body = 'The hearing is on Monday.';
  let broadcastId: string;

  it('shows in the gauge and on every console page, linked to its broadcast', async () => {
    await queues().broadcasts.pause();
    broadcastId = (await createBroadcast(world, campaignId, body, 'network')).id;
    const [row] = await waitFor(async () => {
      const rows = await outboxRow('broadcasts', 'broadcastId', broadcastId);
      return rows[0]?.enqueued_at ? rows : null;
    }, 'the fan-out relayed');
    await queues().broadcasts.remove(outboxJobId((row as OutboxRow).job_key));
    await age('broadcasts');
    await queues().broadcasts.resume();

    await waitFor(async () => (await stuckGauge())['outbox-job-missing'] === 1, 'the gauge to count it');
    const campaigns = await staffConsole.get('/console/campaigns');
    expect(campaigns.body).toContain('1 piece of work is stuck');
    const list = await staffConsole.get('/console/stuck');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('broadcasts job fan-out relayed, then gone from Redis');
    expect(list.body).toContain(`href="/console/broadcasts/${broadcastId}"`);
  });

  it('is relayed again by the watchdog and its work done: the banner and the gauge go', async () => {
    await runWatchdog();
    const progress = await waitUntilDone(world, broadcastId);
    expect(progress).toMatchObject({ total: 3, sent: 3, failed: 0 });
    for (const member of members) expect(textsTo(member, body)).toHaveLength(1);
    expect(await outboxRow('broadcasts', 'broadcastId', broadcastId)).toHaveLength(1);

    await waitFor(async () => (await stuckGauge())['outbox-job-missing'] === 0, 'the gauge to clear');
    await waitFor(
      async () => !(await staffConsole.get('/console/campaigns')).body.includes('stuck. <a'),
      'the banner to go',
    );
    expect((await staffConsole.get('/console/stuck')).body).toContain('Nothing is stuck');
    const logs = world.workers.logs.text();
    expect(logs).toContain('stuck work driven on');
    for (const member of members) expect(logs).not.toContain(member.phone.slice(1));
  });

  it('does its work once when the work was already done: a finished job removed is run again for nothing', async () => {
    const { rows } = await world.database.pool.query(
      `SELECT id FROM outbound_messages WHERE broadcast_id = $1 ORDER BY id LIMIT 1`,
      [broadcastId],
    );
    const messageId = rows[0].id;
    const [before] = await outboxRow('sms-send', 'messageId', messageId);
    const jobId = outboxJobId((before as OutboxRow).job_key);
    expect(await queues()['sms-send'].getJobState(jobId)).toBe('completed');
    await queues()['sms-send'].remove(jobId);
    await age('sms-send');

    await runWatchdog();
    const [after] = await waitFor(async () => {
      const again = await outboxRow('sms-send', 'messageId', messageId);
      const key = again[0]?.job_key;
      return key && key !== before?.job_key && again[0]?.enqueued_at ? again : null;
    }, 'the row relayed again');
    const rerun = outboxJobId((after as OutboxRow).job_key);
    await waitFor(async () => (await queues()['sms-send'].getJobState(rerun)) === 'completed', 'the rerun');
    for (const member of members) expect(textsTo(member, body)).toHaveLength(1);
    expect(await progressOf(world, broadcastId)).toMatchObject({ total: 3, sent: 3 });
  });
});

describe('texts that no job will send', () => {
  it('are sent again only where no job is live, and a claimed one is looked up at Twilio first', async () => {
    const first = 'The hearing is on Monday.';
    const second = 'The verdict is due on Friday.';
    // The first broadcast's text to member 0, left claimed by a send whose job then failed for good
    // (a worker killed twice in one send): Twilio took it, the row never heard.
    await world.database.pool.query(
      `UPDATE outbound_messages SET status = 'sending', twilio_sid = NULL,
         updated_at = now() - interval '10 minutes'
       WHERE supporter_id = $1 AND broadcast_id IS NOT NULL`,
      [members[0]?.id],
    );
    // A second broadcast whose texts wait long in a paused queue: their jobs are live, not lost.
    await queues()['sms-send'].pause();
    const { id } = await createBroadcast(world, campaignId, second, 'network');
    await waitFor(
      async () => (await queues()['sms-send'].getJobCountByTypes('waiting')) === 3,
      'three jobs waiting',
    );
    await world.database.pool.query(
      `UPDATE outbound_messages SET updated_at = now() - interval '10 minutes' WHERE broadcast_id = $1`,
      [id],
    );

    await waitFor(
      async () => (await world.server.app.services.stuck.counts())['sms-sending'] === 1,
      'the claimed text counted',
    );
    expect((await world.server.app.services.stuck.counts())['sms-queued']).toBe(0);
    await runWatchdog();
    await queues()['sms-send'].resume();

    await waitUntilDone(world, id);
    const settled = await waitFor(async () => {
      const { rows } = await world.database.pool.query(
        `SELECT status, twilio_sid FROM outbound_messages WHERE supporter_id = $1 AND broadcast_id <> $2`,
        [members[0]?.id, id],
      );
      return rows[0]?.status === 'sending' ? null : rows[0];
    }, 'the claimed text settled');
    expect(settled).toEqual({ status: 'sent', twilio_sid: textsTo(members[0] as Member, first)[0]?.sid });
    for (const member of members) {
      expect(textsTo(member, first)).toHaveLength(1);
      expect(textsTo(member, second)).toHaveLength(1);
    }
    const { rows: jobs } = await world.database.pool.query(
      `SELECT count(*)::int AS n FROM outbox o JOIN outbound_messages m ON o.payload ->> 'messageId' = m.id::text
       WHERE m.broadcast_id = $1`,
      [id],
    );
    expect(jobs[0].n).toBe(3);
  });
});
