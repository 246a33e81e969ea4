import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWorkers } from '../fax/harness.js';
import { openCampaign } from '../helpers/campaigns.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  type Member,
  progressOf,
  recipientsOf,
  startBroadcastWorld,
  waitUntilDone,
} from './harness.js';

let world: BroadcastWorld;
/** The injected clock: 04:01 on a January night, UK time = UTC; quiet hours 21:00–08:00. */
const now = new Date('2026-01-15T04:01:00Z');
const MORNING = '2026-01-15T08:00:00.000Z';
const QUIET = 'quiet hours until 08:00: goes out at 08:00 (Europe/London time)';

async function campaignFor(keyword: string, members: Member[]) {
  const campaign = await openCampaign(world.database, {
    keyword,
    title: keyword,
    letter: { body: 'Please.' },
    targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
  });
  await world.database.pool.query(
    "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
    [campaign.id, members.map((m) => m.id)],
  );
  return campaign.id;
}

const post = (url: string, payload?: object) =>
  world.api({ method: 'POST', url, ...(payload ? { payload } : {}) });

async function auditOf(action: string, id: string) {
  const { rows } = await world.database.pool.query(
    'SELECT after FROM audit_log WHERE action = $1 AND entity_id = $2',
    [action, id],
  );
  return rows.map((row) => row.after);
}

beforeAll(async () => {
  world = await startBroadcastWorld({ env: { SMS_QUIET_HOURS: '21:00-08:00' }, clock: () => now });
});
afterAll(() => world.close());

describe('quiet hours, said before and after sending', () => {
  it('says when it will go out before sending, and sends now anyway when asked (audited)', async () => {
    const members = await addMembers(world, 2);
    const campaignId = await campaignFor('ANYWAY', members);
    const url = `/api/v1/campaigns/${campaignId}/broadcasts`;
    const asked = await post(url, { body: 'Anyway: sign now', audience: 'signers', confirm: 40 });
    expect(asked.statusCode).toBe(409);
    expect(asked.json().error).toMatchObject({
      code: 'confirmation_required',
      goesOutAt: MORNING,
      quietHours: QUIET,
    });
    expect(asked.json().error.message).toContain('"ignoreQuietHours": true');

    const sent = await post(url, { body: 'Anyway: sign now', audience: 'signers', ignoreQuietHours: true });
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toMatchObject({ status: 'queued', goesOutAt: null });
    expect(await waitUntilDone(world, sent.json().id)).toMatchObject({ sent: 2, ignoresQuietHours: true });
    expect(recipientsOf(world, 'Anyway:')).toHaveLength(2);
    expect(await auditOf('broadcast.create', sent.json().id)).toEqual([
      expect.objectContaining({ ignoresQuietHours: true }),
    ]);
  });

  it('a waiting broadcast says why and until when; staff reschedule it or send it now', async () => {
    const members = await addMembers(world, 2);
    const campaignId = await campaignFor('WAITING', members);
    const created = await createBroadcast(world, campaignId, 'Waiting: sign now', 'signers');
    expect(created).toMatchObject({ status: 'waiting', goesOutAt: MORNING });
    const id = created.id;
    expect(await progressOf(world, id)).toMatchObject({
      status: 'waiting',
      waiting: { reason: 'quiet-hours', until: MORNING, message: QUIET },
      started: false,
    });

    const past = await post(`/api/v1/broadcasts/${id}/reschedule`, { sendAt: '2026-01-15T03:00:00Z' });
    expect(past.statusCode).toBe(400);
    const later = await post(`/api/v1/broadcasts/${id}/reschedule`, { sendAt: '2026-01-15T09:30:00Z' });
    expect(later.statusCode).toBe(200);
    expect(later.json()).toMatchObject({
      status: 'waiting',
      sendAfter: '2026-01-15T09:30:00.000Z',
      waiting: { reason: 'scheduled', until: '2026-01-15T09:30:00.000Z' },
    });
    expect(recipientsOf(world, 'Waiting:')).toEqual([]);

    const sentNow = await post(`/api/v1/broadcasts/${id}/send-now`);
    expect(sentNow.statusCode).toBe(200);
    expect(sentNow.json()).toMatchObject({ ignoresQuietHours: true, sendAfter: null, waiting: null });
    expect(await waitUntilDone(world, id)).toMatchObject({ sent: 2 });
    expect(recipientsOf(world, 'Waiting:')).toHaveLength(2);
    expect(await auditOf('broadcast.send-now', id)).toEqual([{ ignoresQuietHours: true, sendAfter: null }]);
    expect(await auditOf('broadcast.reschedule', id)).toHaveLength(1);

    expect((await post(`/api/v1/broadcasts/${id}/send-now`)).statusCode).toBe(409);
    const viewer = await import('../helpers/api.js').then(async ({ apiAs, staffToken }) =>
      apiAs(world.server.app, (await staffToken(world.database, 'viewer')).token),
    );
    expect((await viewer({ method: 'POST', url: `/api/v1/broadcasts/${id}/send-now` })).statusCode).toBe(403);
  });

  it('a broadcast cancelled before any text went out is no repeat, and says what was not sent', async () => {
    const members = await addMembers(world, 3);
    const campaignId = await campaignFor('CANCELLED', members);
    const first = await createBroadcast(world, campaignId, 'Cancelled: sign now', 'signers');
    const cancelled = await post(`/api/v1/broadcasts/${first.id}/cancel`);
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      total: 3,
      sent: 0,
      cancelled: 3,
      waiting: null,
    });
    expect(cancelled.json().cancelledAt).not.toBeNull();

    // The same text again asks for no repeat confirmation: nothing went out.
    const again = await createBroadcast(world, campaignId, 'Cancelled: sign now', 'signers');
    expect(again.audienceSize).toBe(3);
    // Once that one is under way (it will send), a third is a repeat.
    const third = await post(`/api/v1/campaigns/${campaignId}/broadcasts`, {
      body: 'Cancelled: sign now',
      audience: 'signers',
    });
    expect(third.statusCode).toBe(409);
    expect(third.json().error.code).toBe('repeat_confirmation_required');
    await post(`/api/v1/broadcasts/${again.id}/cancel`);
  });
});

describe('quiet hours switched off', () => {
  it('releases a waiting broadcast when the workers start again without them', async () => {
    const members = await addMembers(world, 2);
    const campaignId = await campaignFor('RELEASED', members);
    const created = await createBroadcast(world, campaignId, 'Released: sign now', 'signers');
    expect(created.status).toBe('waiting');
    // The workers stop (their sleeping fan-out stays in Redis) and start again with quiet hours off.
    await world.workers.workers.close();
    const config = world.server.config;
    world.workers = await startTestWorkers(world.database, {
      env: {
        QUEUE_PREFIX: config.queuePrefix,
        SMS_PROVIDER: 'twilio',
        SMS_FROM: '70505',
        TWILIO_API_BASE_URL: world.fake.url,
        PUBLIC_BASE_URL,
        SMS_MAX_PER_SECOND: '100',
        SMS_QUIET_HOURS: 'off',
      },
      queuePrefix: config.queuePrefix,
      clock: () => now,
    });
    expect(await waitUntilDone(world, created.id)).toMatchObject({ sent: 2 });
  });
});
