import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { createRetentionService } from '../../src/members/retention.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, type TextFn } from '../helpers/phone.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
const ids: Record<string, number> = {};

const DAY = 86_400_000;
const NOW = Date.now();
let nextNumber = 300;

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await database.pool.query(sql, params)).rows as T[];
}

/** What retention may delete, per campaign: message bodies and replies kept, dialogues waiting. */
async function stateOf(keyword: string) {
  const id = ids[keyword];
  const [messages] = await query<{ total: number; withBody: number; withReply: number }>(
    `SELECT count(*)::int AS total, count(body)::int AS "withBody", count(*) FILTER (WHERE reply <> '')::int AS "withReply"
       FROM inbound_messages WHERE campaign_id = $1`,
    [id],
  );
  const [dialogues] = await query<{ n: number }>(
    'SELECT count(*)::int AS n FROM supporters WHERE pending_campaign_id = $1',
    [id],
  );
  const [signatures] = await query<{ n: number }>(
    'SELECT count(*)::int AS n FROM signatures WHERE campaign_id = $1',
    [id],
  );
  // Replies to spooled texts, which went out as outbound texts, still holding their text.
  const [replies] = await query<{ n: number }>(
    `SELECT count(o.body)::int AS n FROM outbound_messages o
       JOIN inbound_messages m ON m.message_sid = o.in_reply_to WHERE m.campaign_id = $1`,
    [id],
  );
  return { ...messages, dialogues: dialogues?.n, signatures: signatures?.n, replies: replies?.n };
}

/** Puts every valid signature waiting in one fax batch, as sending the fax does. */
async function fax(keyword: string) {
  const [batch] = await query<{ id: string }>(
    `INSERT INTO fax_batches (campaign_id, reason, signature_count, status)
     VALUES ($1, 'close', 0, 'delivered') RETURNING id`,
    [ids[keyword]],
  );
  await query(
    "UPDATE signatures SET batch_id = $1 WHERE campaign_id = $2 AND batch_id IS NULL AND status = 'valid'",
    [batch?.id, ids[keyword]],
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
  const plan = [
    ['OLDFAXED', 200],
    ['OLDWAITING', 200],
    ['RECENT', 10],
    ['STILLOPEN', null],
  ] as const;
  for (const [keyword] of plan) {
    const campaign = await openCampaign(database, {
      keyword,
      title: `${keyword} action`,
      letter: { body: 'Please act.' },
      targets: [{ name: 'Prosecutor General', salutation: 'Dear Sir', faxNumbers: ['+442079460111'] }],
    });
    ids[keyword] = campaign.id;
    // Two signers, a held name and someone who has not given their name yet.
    await text(`+447700900${nextNumber++}`, `${keyword} Jane Smith`);
    await text(`+447700900${nextNumber++}`, `${keyword} Ivan Petrov`);
    await text(`+447700900${nextNumber++}`, `${keyword} Fuck Face`);
    await text(`+447700900${nextNumber++}`, keyword);
    // One of them was spooled while Postgres was away: its reply went out as an outbound text.
    await database.pool.query(
      `INSERT INTO outbound_messages (supporter_id, body, segments, in_reply_to, status)
       SELECT supporter_id, reply, 1, message_sid, 'sent' FROM inbound_messages
        WHERE campaign_id = $1 AND reply <> '' ORDER BY id LIMIT 1`,
      [campaign.id],
    );
  }
  for (const [keyword, closedDaysAgo] of plan) {
    if (closedDaysAgo === null) continue;
    const closing = createCampaignsService({
      db: database.db,
      clock: () => new Date(NOW - closedDaysAgo * DAY),
      faxBatches: faxBatchesOfCampaigns,
    });
    await closing.setStatus(ids[keyword] as number, 'closed');
    if (keyword !== 'OLDWAITING') await fax(keyword);
  }
  // A late reply is kept with the campaign too.
  await text(`+447700900${nextNumber++}`, 'OLDFAXED Late Comer');
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('createRetentionService', () => {
  it('deletes bodies, replies and waiting dialogues only of campaigns closed and faxed long enough ago', async () => {
    const untouched = { total: 4, withBody: 4, withReply: 4, dialogues: 1, signatures: 3, replies: 1 };
    expect(await stateOf('OLDFAXED')).toEqual({
      ...untouched,
      total: 5,
      withBody: 5,
      withReply: 5,
      signatures: 4,
    });
    const otherMessages = await query(
      'SELECT count(*)::int AS n FROM inbound_messages WHERE campaign_id IS NULL',
    );

    const retention = createRetentionService({
      db: database.db,
      clock: () => new Date(NOW),
      retentionDays: 180,
    });
    expect(await retention.run()).toEqual({ campaigns: 1, messages: 5, dialogues: 1 });

    // The rows stay, so the counts do.
    expect(await stateOf('OLDFAXED')).toEqual({
      total: 5,
      withBody: 0,
      withReply: 0,
      dialogues: 0,
      signatures: 4,
      replies: 0,
    });
    // Names still waiting for a fax, a recent close, an open campaign: nothing deleted.
    for (const keyword of ['OLDWAITING', 'RECENT', 'STILLOPEN'])
      expect(await stateOf(keyword)).toEqual(untouched);
    expect(await query('SELECT count(*)::int AS n FROM inbound_messages WHERE campaign_id IS NULL')).toEqual(
      otherMessages,
    );
  });

  it('changes nothing when run again', async () => {
    const retention = createRetentionService({
      db: database.db,
      clock: () => new Date(NOW),
      retentionDays: 180,
    });
    expect(await retention.run()).toEqual({ campaigns: 0, messages: 0, dialogues: 0 });
  });

  it('reaches a campaign once its retention period has passed', async () => {
    const later = createRetentionService({
      db: database.db,
      clock: () => new Date(NOW + 175 * DAY),
      retentionDays: 180,
    });
    expect(await later.run()).toEqual({ campaigns: 1, messages: 4, dialogues: 1 });
    expect(await stateOf('RECENT')).toMatchObject({ total: 4, withBody: 0, dialogues: 0, signatures: 3 });
    expect(await stateOf('OLDWAITING')).toMatchObject({ withBody: 4, dialogues: 1 });
  });
});
