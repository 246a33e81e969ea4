import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCampaign } from '../helpers/campaigns.js';
import { listenForTexts } from '../helpers/phone.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  recipientsOf,
  startBroadcastWorld,
  waitFor,
  waitUntilDone,
} from './harness.js';

let world: BroadcastWorld;

beforeAll(async () => {
  // Fast enough that the broadcast is under way while the STOPs arrive, slow enough to last a second.
  world = await startBroadcastWorld({ env: { SMS_MAX_PER_SECOND: '300' } });
});
afterAll(() => world.close());

describe('STOP racing a broadcast', () => {
  it('no text reaches a member after their STOP was answered', async () => {
    const members = await addMembers(world, 300);
    const campaign = await openCampaign(world.database, {
      keyword: 'RACE',
      title: 'Race',
      letter: { body: 'Please.' },
      targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
    });
    await world.database.pool.query(
      "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
      [campaign.id, members.map((m) => m.id)],
    );
    // Twilio takes each text 30 ms before it answers: the text has left while the send waits.
    world.fake.latencyMs = 30;
    const text = await listenForTexts(world.server);
    const broadcast = await createBroadcast(world, campaign.id, 'Race update: thank you', 'signers');
    await waitFor(async () => recipientsOf(world, 'Race update:').length > 0, 'the first text');

    // Every member texts STOP at a moment of its own while the broadcast goes out (about a second).
    const answeredAt = new Map<string, number>();
    await Promise.all(
      members.map(async (member, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 1_000) / members.length));
        const reply = await text(member.phone, 'STOP AMNESTY');
        expect(reply.status).toBe(200);
        expect(reply.messages.join('')).toContain('no more messages');
        answeredAt.set(member.phone, Date.now());
      }),
    );
    const done = await waitUntilDone(world, broadcast.id);

    const late = world.fake.messages.filter(
      (m) => m.body.startsWith('Race update:') && m.at > (answeredAt.get(m.to) ?? Number.POSITIVE_INFINITY),
    );
    expect(late).toEqual([]);
    // A race indeed: some members were texted before their STOP, others were skipped after it.
    expect(done.total).toBe(300);
    expect(done.sent).toBeGreaterThan(0);
    expect(done.skippedOptedOut).toBeGreaterThan(0);
    expect(done.sent + done.skippedOptedOut).toBe(done.total);
  });
});
