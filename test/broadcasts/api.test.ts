import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCampaign } from '../helpers/campaigns.js';
import { listenForTexts, replyText } from '../helpers/phone.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  type Member,
  progressOf,
  recipientsOf,
  routeCallbacks,
  startBroadcastWorld,
  statusCallback,
  waitFor,
  waitUntilDone,
} from './harness.js';

let world: BroadcastWorld;
let campaignId: number;
let otherCampaignId: number;
const HINT = 'Text STOP AMNESTY to opt out';

async function sign(campaign: number, member: Member, status: 'valid' | 'held' | 'late' | 'hidden') {
  await world.database.pool.query(
    'INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, $3, $4)',
    [campaign, member.id, status === 'late' ? null : 'A Supporter', status],
  );
}

async function messageRows(broadcastId: string) {
  const { rows } = await world.database.pool.query(
    'SELECT * FROM outbound_messages WHERE broadcast_id = $1 ORDER BY supporter_id',
    [broadcastId],
  );
  return rows;
}

beforeAll(async () => {
  world = await startBroadcastWorld();
  const target = {
    name: 'Igor Krasnov',
    salutation: 'Dear Prosecutor General',
    faxNumbers: ['+442079460111'],
  };
  campaignId = (
    await openCampaign(world.database, {
      keyword: 'PROTEST7',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [target],
    })
  ).id;
  otherCampaignId = (
    await openCampaign(world.database, {
      keyword: 'FREEDOM',
      title: 'Journalist jailed',
      letter: { body: 'Please free her.' },
      targets: [target],
    })
  ).id;
});
afterAll(() => world.close());

describe('creating a broadcast', () => {
  it('refuses an empty text, an overlong one, viewers and unknown campaigns', async () => {
    const post = (body: unknown, url = `/api/v1/campaigns/${campaignId}/broadcasts`) =>
      world.api({ method: 'POST', url, payload: body as object });
    expect((await post({ body: '   ', audience: 'network' })).json().error.code).toBe('empty_body');
    const long = await post({ body: 'a'.repeat(1_700), audience: 'network' });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('body_too_long');
    expect((await post({ body: 'Hi', audience: 'everyone' })).statusCode).toBe(400);
    expect(
      (await post({ body: 'Hi', audience: 'network' }, '/api/v1/campaigns/999999/broadcasts')).statusCode,
    ).toBe(404);
    const viewer = await import('../helpers/api.js').then(async ({ apiAs, staffToken }) =>
      apiAs(world.server.app, (await staffToken(world.database, 'viewer')).token),
    );
    const refused = await viewer({
      method: 'POST',
      url: `/api/v1/campaigns/${campaignId}/broadcasts`,
      payload: { body: 'Hi', audience: 'network' },
    });
    expect(refused.statusCode).toBe(403);
    expect(world.fake.messages).toHaveLength(0);
  });
});

describe('audiences', () => {
  it('reaches exactly the members each audience names, once each, with the opt-out hint', async () => {
    const [valid, held, late, hidden, none, elsewhere] = (await addMembers(world, 6)) as Member[] &
      [Member, Member, Member, Member, Member, Member];
    const [optedOut] = await addMembers(world, 1, { optedIn: false });
    const [erased] = await addMembers(world, 1);
    await world.database.pool.query(
      'UPDATE supporters SET erased_at = now(), phone_ciphertext = NULL, phone_index = NULL WHERE id = $1',
      [erased?.id],
    );
    await sign(campaignId, valid, 'valid');
    await sign(campaignId, held, 'held');
    await sign(campaignId, late, 'late');
    await sign(campaignId, hidden, 'hidden');
    await sign(otherCampaignId, elsewhere, 'valid');
    await sign(campaignId, optedOut as Member, 'valid');

    const network = await createBroadcast(world, campaignId, 'Alert: text PROTEST7 and your name', 'network');
    const signers = await createBroadcast(world, campaignId, 'Update: the lawyer is safe', 'signers');
    const reminder = await createBroadcast(
      world,
      campaignId,
      'Reminder: text PROTEST7 and your name',
      'non-signers',
    );
    expect(network).toMatchObject({ audienceSize: 6, segments: 1, encoding: 'GSM-7', estimatedCost: 0.24 });
    expect(signers.audienceSize).toBe(3);
    expect(reminder.audienceSize).toBe(2);

    const done = await waitUntilDone(world, network.id);
    await waitUntilDone(world, signers.id);
    await waitUntilDone(world, reminder.id);
    expect(done).toMatchObject({ status: 'done', total: 6, sent: 6, failed: 0, skippedOptedOut: 0 });

    const phones = (members: Member[]) => members.map((m) => m.phone).sort();
    expect(recipientsOf(world, 'Alert:').sort()).toEqual(
      phones([valid, held, late, hidden, none, elsewhere]),
    );
    expect(recipientsOf(world, 'Update:').sort()).toEqual(phones([valid, held, late]));
    expect(recipientsOf(world, 'Reminder:').sort()).toEqual(phones([none, elsewhere]));
    expect(world.fake.messages.find((m) => m.body.startsWith('Alert:'))?.body).toBe(
      `Alert: text PROTEST7 and your name\n${HINT}`,
    );
  });

  it('records the creation in the audit log, and never a number in a response or a log', async () => {
    const { rows } = await world.database.pool.query(
      "SELECT action, after FROM audit_log WHERE action = 'broadcast.create' ORDER BY id",
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows[0].after).toMatchObject({ audience: 'network', audienceSize: 6 });
    const logs = world.server.logs.text() + world.workers.logs.text();
    for (const message of world.fake.messages) expect(logs).not.toContain(message.to.slice(3));
  });
});

describe('sending', () => {
  it('texts each member once when the fan-out and the send jobs run twice', async () => {
    const members = await addMembers(world, 4);
    const broadcast = await createBroadcast(
      world,
      otherCampaignId,
      'Twice: please sign FREEDOM',
      'non-signers',
    );
    await waitUntilDone(world, broadcast.id);
    const sent = recipientsOf(world, 'Twice:');
    // As if a worker crashed after the fan-out and every job came round again.
    await world.database.pool.query(
      "UPDATE broadcasts SET fanned_out_to = 0, fanned_out_at = NULL, status = 'sending' WHERE id = $1",
      [broadcast.id],
    );
    await world.database.pool.query(
      `INSERT INTO outbox (queue, job_name, payload)
       SELECT 'broadcasts', 'fan-out', jsonb_build_object('broadcastId', $1::bigint)
       UNION ALL SELECT 'sms-send', 'send', jsonb_build_object('messageId', id)
       FROM outbound_messages WHERE broadcast_id = $1`,
      [broadcast.id],
    );
    await waitFor(async () => {
      const { rows } = await world.database.pool.query(
        'SELECT count(*)::int AS n FROM outbox WHERE enqueued_at IS NULL',
      );
      return rows[0].n === 0;
    }, 'the outbox to drain');
    const done = await waitUntilDone(world, broadcast.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recipientsOf(world, 'Twice:').sort()).toEqual(sent.sort());
    expect(new Set(sent).size).toBe(sent.length);
    for (const member of members) expect(sent).toContain(member.phone);
    expect(done.total).toBe(sent.length);
  });

  it('retries throttling and server errors with backoff, and texts each member once', async () => {
    const campaign = await openCampaign(world.database, {
      keyword: 'RETRY',
      title: 'Retry',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    });
    const members = await addMembers(world, 2);
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
      [campaign.id, members.map((m) => m.id)],
    );
    world.fake.failNext(2, 429);
    world.fake.failNext(1, 500);
    const broadcast = await createBroadcast(world, campaign.id, 'Retried: thank you', 'signers');
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 2, failed: 0 });
    expect(recipientsOf(world, 'Retried:').sort()).toEqual(members.map((m) => m.phone).sort());
    const refused = world.fake.requests.filter(
      (r) => members.some((m) => m.phone === r.to) && r.status !== 201,
    );
    expect(refused.map((r) => r.status).sort()).toEqual([429, 429, 500]);
    const attempts = (await messageRows(broadcast.id)).reduce((sum, row) => sum + row.attempts, 0);
    expect(attempts).toBe(5);
  });

  it('does not retry a permanent refusal', async () => {
    const campaign = await openCampaign(world.database, {
      keyword: 'REFUSED',
      title: 'Refused',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    });
    const [member] = (await addMembers(world, 1)) as [Member];
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, 'A B', 'valid')",
      [campaign.id, member.id],
    );
    world.fake.failNext(1, 400);
    const broadcast = await createBroadcast(world, campaign.id, 'Refused: thank you', 'signers');
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 0, failed: 1 });
    expect(done.failures).toEqual([{ errorCode: 21211, count: 1, meaning: 'Not a valid phone number' }]);
    const [row] = await messageRows(broadcast.id);
    expect(row).toMatchObject({ status: 'failed', error_code: 21211, attempts: 1 });
    expect(world.fake.requests.filter((r) => r.to === member.phone)).toEqual([
      { to: member.phone, status: 400 },
    ]);
  });

  it('opts out a member on Twilio error 21610', async () => {
    const campaign = await openCampaign(world.database, {
      keyword: 'STOPPED',
      title: 'Stopped',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    });
    const [member] = (await addMembers(world, 1)) as [Member];
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, 'A B', 'valid')",
      [campaign.id, member.id],
    );
    world.fake.unsubscribed.add(member.phone);
    const broadcast = await createBroadcast(world, campaign.id, 'Unsubscribed: thank you', 'signers');
    const done = await waitUntilDone(world, broadcast.id);
    expect(done).toMatchObject({ sent: 0, skippedOptedOut: 1 });
    const [row] = await messageRows(broadcast.id);
    expect(row).toMatchObject({ status: 'skipped_opted_out', error_code: 21610 });
    const { rows } = await world.database.pool.query(
      'SELECT opted_in, opted_out_at FROM supporters WHERE id = $1',
      [member.id],
    );
    expect(rows[0].opted_in).toBe(false);
    expect(rows[0].opted_out_at).not.toBeNull();
    const again = await createBroadcast(world, campaign.id, 'Again: thank you', 'signers');
    expect(again.audienceSize).toBe(0);
  });
});

describe('status callbacks', () => {
  it('records delivery reports signed by Twilio and refuses forged ones', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const broadcast = await createBroadcast(
      world,
      otherCampaignId,
      'Callback: please sign FREEDOM',
      'non-signers',
    );
    await waitUntilDone(world, broadcast.id);
    const message = world.fake.messages.find((m) => m.body.startsWith('Callback:') && m.to === member.phone);
    if (!message) throw new Error('no message sent');
    const { authToken } = world.server.config.twilio;
    const report = (status: string, extra: Record<string, string> = {}, signWith?: string) =>
      statusCallback(
        world.server.app,
        authToken,
        { MessageSid: message.sid, MessageStatus: status, AccountSid: 'AC', ...extra },
        signWith,
      );
    const statusOf = async () =>
      (
        await world.database.pool.query(
          'SELECT status, error_code FROM outbound_messages WHERE twilio_sid = $1',
          [message.sid],
        )
      ).rows[0];

    const forged = await report('failed', { ErrorCode: '30005' }, 'not-the-token');
    expect(forged.statusCode).toBe(403);
    expect(await statusOf()).toMatchObject({ status: 'sent', error_code: null });
    const unsigned = await world.server.app.inject({
      method: 'POST',
      url: '/webhooks/twilio/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `MessageSid=${message.sid}&MessageStatus=failed`,
    });
    expect(unsigned.statusCode).toBe(403);

    expect((await report('sent')).statusCode).toBe(204);
    expect((await report('delivered')).statusCode).toBe(204);
    expect(await statusOf()).toMatchObject({ status: 'delivered' });
    // A late "sent" does not undo the delivery.
    await report('sent');
    expect(await statusOf()).toMatchObject({ status: 'delivered' });
    const progress = await progressOf(world, broadcast.id);
    expect(progress.delivered).toBe(1);
  });

  it('keeps a delivery report that comes before its send is recorded, and applies it when the send commits', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const early = async () =>
      (await world.database.pool.query('SELECT count(*)::int AS n FROM early_delivery_reports')).rows[0].n;
    // Signed but forged (another token): refused, and nothing is kept for it.
    const forged = await statusCallback(
      world.server.app,
      world.server.config.twilio.authToken,
      { MessageSid: `SM${'f'.repeat(32)}`, MessageStatus: 'delivered' },
      'not-the-token',
    );
    expect(forged.statusCode).toBe(403);
    expect(await early()).toBe(0);

    routeCallbacks(world);
    world.fake.deliver = true;
    // Twilio sends the text and calls back `sent` and `delivered` before it answers the create.
    world.fake.callbackBeforeAnswer = true;
    try {
      const broadcast = await createBroadcast(
        world,
        otherCampaignId,
        'Early: please sign FREEDOM',
        'non-signers',
      );
      await waitUntilDone(world, broadcast.id);
    } finally {
      world.fake.callbackBeforeAnswer = false;
      world.fake.deliver = false;
      world.fake.callbacks = null;
    }
    const message = world.fake.messages.find((m) => m.body.startsWith('Early:') && m.to === member.phone);
    const { rows } = await world.database.pool.query(
      'SELECT status, twilio_sid FROM outbound_messages WHERE supporter_id = $1 ORDER BY id DESC LIMIT 1',
      [member.id],
    );
    expect(rows[0]).toEqual({ status: 'delivered', twilio_sid: message?.sid });
    expect(await early()).toBe(0);
  });

  it('records a failure with its error code', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const broadcast = await createBroadcast(
      world,
      otherCampaignId,
      'Undelivered: please sign',
      'non-signers',
    );
    await waitUntilDone(world, broadcast.id);
    const message = world.fake.messages.find(
      (m) => m.body.startsWith('Undelivered:') && m.to === member.phone,
    );
    if (!message) throw new Error('no message sent');
    const response = await statusCallback(world.server.app, world.server.config.twilio.authToken, {
      MessageSid: message.sid,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    });
    expect(response.statusCode).toBe(204);
    const { rows } = await world.database.pool.query(
      'SELECT status, error_code FROM outbound_messages WHERE twilio_sid = $1',
      [message.sid],
    );
    expect(rows[0]).toMatchObject({ status: 'undelivered', error_code: 30003 });
    expect((await progressOf(world, broadcast.id)).failed).toBe(1);
  });
});

describe('an action alert', () => {
  it('signs the members who answer it with the keyword and their name', async () => {
    const campaign = await openCampaign(world.database, {
      keyword: 'JUSTICE',
      title: 'Justice',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    });
    const members = await addMembers(world, 3);
    const alert = await createBroadcast(
      world,
      campaign.id,
      'URGENT: text JUSTICE and your full name',
      'network',
    );
    await waitUntilDone(world, alert.id);
    for (const member of members) expect(recipientsOf(world, 'URGENT:')).toContain(member.phone);

    const text = await listenForTexts(world.server);
    const [first, second] = members as [Member, Member];
    expect(replyText(await text(first.phone, 'JUSTICE Jane Smith'))).not.toBe('');
    expect(replyText(await text(second.phone, 'justice Ahmed Khan'))).not.toBe('');
    const { rows } = await world.database.pool.query(
      'SELECT supporter_id, name, status FROM signatures WHERE campaign_id = $1 ORDER BY supporter_id',
      [campaign.id],
    );
    expect(rows.map((r) => [Number(r.supporter_id), r.name, r.status])).toEqual([
      [first.id, 'Jane Smith', 'valid'],
      [second.id, 'Ahmed Khan', 'valid'],
    ]);
    const reminder = await createBroadcast(world, campaign.id, 'Last chance: text JUSTICE', 'non-signers');
    const { rows: others } = await world.database.pool.query(
      'SELECT count(*)::int AS n FROM supporters WHERE opted_in AND erased_at IS NULL',
    );
    expect(reminder.audienceSize).toBe(others[0].n - 2);
  });
});
