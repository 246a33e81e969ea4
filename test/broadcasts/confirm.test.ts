import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCampaign } from '../helpers/campaigns.js';
import {
  addMembers,
  type BroadcastWorld,
  type Member,
  startBroadcastWorld,
  waitUntilDone,
} from './harness.js';

let world: BroadcastWorld;
let campaignId: number;
let signers: Member[];

const post = (payload: Record<string, unknown>) =>
  world.api({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/broadcasts`, payload });

async function broadcastCount(): Promise<number> {
  const { rows } = await world.database.pool.query('SELECT count(*)::int AS n FROM broadcasts');
  return rows[0].n;
}

beforeAll(async () => {
  // Above 10 people, staff type the audience size; costs in euros.
  world = await startBroadcastWorld({
    env: { BROADCAST_CONFIRM_ABOVE: '10', CURRENCY: 'EUR', SMS_PRICE_PER_SEGMENT: '0.05' },
  });
  campaignId = (
    await openCampaign(world.database, {
      keyword: 'CONFIRM',
      title: 'Confirm before sending',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    })
  ).id;
  const members = await addMembers(world, 20);
  signers = members.slice(0, 2);
  await world.database.pool.query(
    "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
    [campaignId, signers.map((m) => m.id)],
  );
}, 60_000);
afterAll(() => world?.close());

describe('confirming a large broadcast', () => {
  it('refuses one without `confirm`, stating what it would send and cost', async () => {
    const before = await broadcastCount();
    // A curly apostrophe: smart encoding keeps the text GSM-7, one segment.
    const response = await post({ body: 'We’re at the court today', audience: 'network' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      error: {
        code: 'confirmation_required',
        message: expect.stringContaining('20 people'),
        audienceSize: 20,
        segments: 1,
        encoding: 'GSM-7',
        cost: 1,
        currency: 'EUR',
      },
    });
    const unicode = await post({
      body: 'We’re at the court today',
      audience: 'network',
      smartEncoding: false,
    });
    expect(unicode.json().error).toMatchObject({ audienceSize: 20, segments: 1, encoding: 'UCS-2' });
    expect(await broadcastCount()).toBe(before);
    expect(world.fake.messages).toHaveLength(0);
  });

  it('takes a `confirm` within 10% of the audience counted now, and no other', async () => {
    const far = await post({ body: 'Court today', audience: 'network', confirm: 17 });
    expect(far.statusCode).toBe(409);
    expect(far.json().error).toMatchObject({ code: 'confirmation_required', audienceSize: 20, cost: 1 });
    expect(far.json().error.message).toContain('You confirmed 17 people, but the audience is now 20');
    expect((await post({ body: 'Court today', audience: 'network', confirm: 23 })).statusCode).toBe(409);

    const sent = await post({ body: 'Court today', audience: 'network', confirm: 18 });
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toMatchObject({ audienceSize: 20, estimatedCost: 1, currency: 'EUR' });
    const done = await waitUntilDone(world, sent.json().id);
    expect(done).toMatchObject({ sent: 20, failures: [] });
    expect(done.body).toBe('Court today\nText STOP AMNESTY to opt out');
  });

  it('needs no typed size at or under the threshold, but checks one that is given', async () => {
    const small = await post({ body: 'Thank you for signing', audience: 'signers' });
    expect(small.statusCode).toBe(202);
    expect(small.json().audienceSize).toBe(2);
    const wrong = await post({ body: 'Thank you again', audience: 'signers', confirm: 20 });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error).toMatchObject({ code: 'confirmation_required', audienceSize: 2 });
  });
});

describe('the same text to the same audience within an hour', () => {
  it('asks for a second confirmation, then sends with `confirmRepeat`', async () => {
    const first = await post({ body: 'Hearing moved - to Friday', audience: 'signers' });
    expect(first.statusCode).toBe(202);
    // The same text as it arrives: smart encoding makes the dash of the first one's.
    const again = await post({ body: 'Hearing moved \u2013 to Friday', audience: 'signers' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: {
        code: 'repeat_confirmation_required',
        message: expect.stringContaining(`broadcast ${first.json().id}`),
        audienceSize: 2,
        segments: 1,
        encoding: 'GSM-7',
        cost: 0.1,
        currency: 'EUR',
        repeatOf: first.json().id,
      },
    });
    // Another audience, or another text, is not a repeat.
    expect(
      (await post({ body: 'Hearing moved - to Friday', audience: 'non-signers', confirm: 18 })).statusCode,
    ).toBe(202);
    expect((await post({ body: 'Hearing moved to Saturday', audience: 'signers' })).statusCode).toBe(202);

    const repeated = await post({
      body: 'Hearing moved - to Friday',
      audience: 'signers',
      confirmRepeat: true,
    });
    expect(repeated.statusCode).toBe(202);
    const { rows } = await world.database.pool.query(
      "SELECT after FROM audit_log WHERE action = 'broadcast.create' AND entity_id = $1",
      [repeated.json().id],
    );
    expect(rows[0].after).toMatchObject({ repeatOf: Number(first.json().id), currency: 'EUR' });
  });

  it('meets a double click as a repeat: of two sends at once, one goes', async () => {
    const both = await Promise.all([
      post({ body: 'Bail hearing at 10:00', audience: 'signers' }),
      post({ body: 'Bail hearing at 10:00', audience: 'signers' }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    expect(both.find((r) => r.statusCode === 409)?.json().error.code).toBe('repeat_confirmation_required');
  });

  it('sends it again without asking once the hour has passed', async () => {
    const first = await post({ body: 'Verdict on Monday', audience: 'signers' });
    expect(first.statusCode).toBe(202);
    await world.database.pool.query(
      "UPDATE broadcasts SET created_at = now() - interval '61 minutes' WHERE id = $1",
      [first.json().id],
    );
    expect((await post({ body: 'Verdict on Monday', audience: 'signers' })).statusCode).toBe(202);
  });
});
