import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLD_STEP_MS } from '../../src/broadcasts/sending.js';
import { enqueueMany } from '../../src/queue/outbox.repository.js';
import { openCampaign } from '../helpers/campaigns.js';
import { listenForTexts } from '../helpers/phone.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  type Member,
  progressOf,
  recipientsOf,
  startBroadcastWorld,
  waitFor,
  waitUntilDone,
} from './harness.js';

let world: BroadcastWorld;
/** The injected clock, in UTC; January, so UK time is UTC. */
let now = new Date('2026-01-15T12:00:00Z');
const target = { name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] };

async function campaignFor(keyword: string, members: Member[]) {
  const campaign = await openCampaign(world.database, {
    keyword,
    title: keyword,
    letter: { body: 'Please.' },
    targets: [target],
  });
  // Signers of their own campaign, so that each test reaches only its own members.
  await world.database.pool.query(
    "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
    [campaign.id, members.map((m) => m.id)],
  );
  return campaign.id;
}

async function statusesOf(broadcastId: string) {
  const { rows } = await world.database.pool.query(
    'SELECT supporter_id, status FROM outbound_messages WHERE broadcast_id = $1 ORDER BY supporter_id',
    [broadcastId],
  );
  return new Map(rows.map((row) => [Number(row.supporter_id), row.status as string]));
}

beforeAll(async () => {
  // Two texts a second, so that a test can act while a broadcast is under way.
  world = await startBroadcastWorld({
    env: { SMS_MAX_PER_SECOND: '2', SMS_QUIET_HOURS: '21:00-08:00' },
    clock: () => now,
  });
});
afterAll(() => world.close());

describe('a broadcast under way', () => {
  it('stops texting a member whose STOP arrives during it', async () => {
    const members = await addMembers(world, 6);
    const campaignId = await campaignFor('STOPTEST', members);
    const broadcast = await createBroadcast(world, campaignId, 'Update one: thank you', 'signers');
    await waitFor(async () => recipientsOf(world, 'Update one:').length > 0, 'the first text');
    const statuses = await statusesOf(broadcast.id);
    const waiting = members.filter((m) => statuses.get(m.id) === 'queued');
    const stopping = waiting.at(-1);
    if (!stopping) throw new Error('every text went before the STOP could be sent');

    const text = await listenForTexts(world.server);
    expect((await text(stopping.phone, 'STOP')).status).toBe(200);
    const done = await waitUntilDone(world, broadcast.id);

    expect(recipientsOf(world, 'Update one:')).not.toContain(stopping.phone);
    expect((await statusesOf(broadcast.id)).get(stopping.id)).toBe('skipped_opted_out');
    expect(done).toMatchObject({ total: 6, sent: 5, skippedOptedOut: 1 });
    const later = await createBroadcast(world, campaignId, 'Update two: thank you', 'signers');
    expect(later.audienceSize).toBe(5);
  });

  it('can be cancelled: texts not yet sent are not sent', async () => {
    const members = await addMembers(world, 8);
    const campaignId = await campaignFor('CANCELTEST', members);
    const broadcast = await createBroadcast(world, campaignId, 'Cancelled: thank you', 'signers');
    await waitFor(async () => recipientsOf(world, 'Cancelled:').length > 0, 'the first text');

    const cancelled = await world.api({ method: 'POST', url: `/api/v1/broadcasts/${broadcast.id}/cancel` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const progress = await progressOf(world, broadcast.id);
    const sent = recipientsOf(world, 'Cancelled:').length;
    expect(sent).toBeLessThan(8);
    expect(progress).toMatchObject({ status: 'cancelled', sent, queued: 0, cancelled: 8 - sent });

    const again = await world.api({ method: 'POST', url: `/api/v1/broadcasts/${broadcast.id}/cancel` });
    expect(again.json().status).toBe('cancelled');
    const { rows } = await world.database.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'broadcast.cancel' AND entity_id = $1",
      [broadcast.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('refuses to cancel a broadcast that has been sent', async () => {
    const members = await addMembers(world, 1);
    const campaignId = await campaignFor('DONETEST', members);
    const broadcast = await createBroadcast(world, campaignId, 'Finished: thank you', 'signers');
    await waitUntilDone(world, broadcast.id);
    const response = await world.api({ method: 'POST', url: `/api/v1/broadcasts/${broadcast.id}/cancel` });
    expect(response.statusCode).toBe(409);
    expect((await world.api({ method: 'GET', url: '/api/v1/broadcasts/999999' })).statusCode).toBe(404);
  });
});

describe('quiet hours', () => {
  it('waits until the morning (UK time) and then sends', async () => {
    const members = await addMembers(world, 2);
    const campaignId = await campaignFor('NIGHTTEST', members);
    now = new Date('2026-01-15T22:30:00Z');
    const broadcast = await createBroadcast(world, campaignId, 'Night: thank you', 'signers');
    expect((await progressOf(world, broadcast.id)).status).toBe('waiting');

    const { broadcasts } = world.workers.workers.queues;
    const delayed = await waitFor(async () => {
      const jobs = await broadcasts.getDelayed();
      return jobs.length > 0 ? jobs : null;
    }, 'the fan-out to wait');
    // Until 08:00 UK time, 9 h 30 min from the injected clock, in steps that look again.
    expect(Math.abs((delayed[0]?.delay ?? 0) - HOLD_STEP_MS)).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recipientsOf(world, 'Night:')).toEqual([]);
    expect((await progressOf(world, broadcast.id)).status).toBe('waiting');

    now = new Date('2026-01-16T08:01:00Z');
    for (const waiting of delayed) await waiting.promote();
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 2 });
    expect(recipientsOf(world, 'Night:').sort()).toEqual(members.map((m) => m.phone).sort());
  });

  it('stops at the start of quiet hours and goes on in the morning', async () => {
    const members = await addMembers(world, 6);
    const campaignId = await campaignFor('EVENINGTEST', members);
    now = new Date('2026-01-16T20:59:00Z');
    const broadcast = await createBroadcast(world, campaignId, 'Evening: thank you', 'signers');
    await waitFor(async () => recipientsOf(world, 'Evening:').length > 0, 'the first text');
    now = new Date('2026-01-16T21:00:30Z');

    const { 'sms-send': sends } = world.workers.workers.queues;
    await waitFor(
      async () => (await progressOf(world, broadcast.id)).status === 'waiting',
      'the broadcast to wait',
    );
    const sentBeforeNight = recipientsOf(world, 'Evening:').length;
    expect(sentBeforeNight).toBeLessThan(6);
    const delayed = await waitFor(async () => {
      const jobs = await sends.getDelayed();
      return jobs.length === 6 - sentBeforeNight ? jobs : null;
    }, 'the remaining texts to wait');
    expect(recipientsOf(world, 'Evening:')).toHaveLength(sentBeforeNight);

    now = new Date('2026-01-17T08:00:00Z');
    for (const job of delayed) await job.promote();
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 6, status: 'done' });
    expect(recipientsOf(world, 'Evening:').sort()).toEqual(members.map((m) => m.phone).sort());
  });

  it('texts in the morning only the audience counted and confirmed at night', async () => {
    const members = await addMembers(world, 2);
    const campaignId = await campaignFor('FROZENTEST', members);
    now = new Date('2026-01-17T23:00:00Z');
    const broadcast = await createBroadcast(world, campaignId, 'Frozen: thank you', 'signers');
    expect(broadcast.audienceSize).toBe(2);
    const { broadcasts } = world.workers.workers.queues;
    const delayed = await waitFor(async () => {
      const jobs = await broadcasts.getDelayed();
      return jobs.length > 0 ? jobs : null;
    }, 'the fan-out to wait');

    // Overnight a new member joins and signs, and an old member signs too.
    const [newcomer] = (await addMembers(world, 1)) as [Member];
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, 'New Comer', 'valid')",
      [campaignId, newcomer.id],
    );
    const [earlier] = (await addMembers(world, 1)) as [Member];
    await world.database.pool.query('UPDATE broadcasts SET audience_up_to = $1 WHERE id = $2', [
      earlier.id,
      broadcast.id,
    ]);
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status, signed_at) VALUES ($1, $2, 'Late Signer', 'valid', now() + interval '1 minute')",
      [campaignId, earlier.id],
    );

    now = new Date('2026-01-18T08:00:00Z');
    for (const job of delayed) await job.promote();
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ total: 2, sent: 2 });
    expect(recipientsOf(world, 'Frozen:').sort()).toEqual(members.map((m) => m.phone).sort());
  });

  it('goes on at once when staff send it now, its texts asleep until the morning woken', async () => {
    const members = await addMembers(world, 6);
    const campaignId = await campaignFor('NOWTEST', members);
    now = new Date('2026-01-19T20:59:00Z');
    const broadcast = await createBroadcast(world, campaignId, 'Sent now: thank you', 'signers');
    await waitFor(async () => recipientsOf(world, 'Sent now:').length > 0, 'the first text');
    now = new Date('2026-01-19T21:00:30Z');
    await waitFor(
      async () => (await progressOf(world, broadcast.id)).status === 'waiting',
      'the broadcast to wait',
    );
    const waiting = await progressOf(world, broadcast.id);
    expect(waiting).toMatchObject({ started: true, waiting: { reason: 'quiet-hours' } });
    expect(recipientsOf(world, 'Sent now:').length).toBeLessThan(6);

    const sent = await world.api({ method: 'POST', url: `/api/v1/broadcasts/${broadcast.id}/send-now` });
    expect(sent.statusCode).toBe(200);
    // Still night on the clock: only "send now" lets the sleeping texts go.
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 6, status: 'done' });
    expect(recipientsOf(world, 'Sent now:').sort()).toEqual(members.map((m) => m.phone).sort());
  });
});

/** Texts of no broadcast written straight into the table, each with its send job (via the outbox). */
async function queueTexts(rows: Array<{ member: Member; body: string; inReplyTo?: string }>) {
  const { rows: ids } = await world.database.pool.query<{ id: string }>(
    `INSERT INTO outbound_messages (supporter_id, body, segments, in_reply_to)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[]) ORDER BY 1 RETURNING id`,
    [
      rows.map((r) => r.member.id),
      rows.map((r) => r.body),
      rows.map(() => 1),
      rows.map((r) => r.inReplyTo ?? null),
    ],
  );
  await enqueueMany(
    world.database.db,
    'sms-send',
    'send',
    ids.map((row) => ({ messageId: Number(row.id) })),
  );
}

describe('texts that are not sent', () => {
  it('take none of the rate: thirty skipped texts do not hold back the two after them', async () => {
    now = new Date('2026-01-17T12:00:00Z');
    const optedOut = await addMembers(world, 30, { optedIn: false });
    const optedIn = await addMembers(world, 2);
    const started = Date.now();
    await queueTexts([...optedOut, ...optedIn].map((member) => ({ member, body: 'Skiptest: hello' })));
    await waitFor(async () => recipientsOf(world, 'Skiptest:').length === 2, 'the two texts', 10_000);
    // At two texts a second, thirty skipped texts taking a token each would hold these for 15 s.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(recipientsOf(world, 'Skiptest:').sort()).toEqual(optedIn.map((m) => m.phone).sort());
    const { rows } = await world.database.pool.query(
      "SELECT count(*)::int AS n FROM outbound_messages WHERE body LIKE 'Skiptest:%' AND status = 'skipped_opted_out'",
    );
    expect(rows[0].n).toBe(30);
  });

  it('a reply to a spooled text goes out in quiet hours, and to a member who has just opted out', async () => {
    now = new Date('2026-01-17T22:30:00Z');
    const [member] = await addMembers(world, 1, { optedIn: false });
    if (!member) throw new Error('no member');
    await queueTexts([{ member, body: 'Replytest: you are unsubscribed', inReplyTo: 'SMreplytest0001' }]);
    await waitFor(async () => recipientsOf(world, 'Replytest:').length === 1, 'the reply');
    expect(recipientsOf(world, 'Replytest:')).toEqual([member.phone]);
  });
});
