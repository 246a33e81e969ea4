import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCampaign } from '../helpers/campaigns.js';
import {
  addMembers,
  type BroadcastWorld,
  createBroadcast,
  routeCallbacks,
  startBroadcastWorld,
  textsPerNumber,
  waitUntilDone,
} from './harness.js';

// Twilio as it behaves: a Messaging Service's texts wait `accepted` with no date_sent in a queue that
// drains slower than we send, every 25th create is answered only after the client gave up (Twilio
// took it all the same), and status callbacks come as texts leave, some before the create's answer is
// recorded. A broadcast through it texts every member exactly once.
const MEMBERS = 600;
const TIMEOUT_MS = 500;
const BODY = 'Alert: Ayten is on trial tomorrow. Text AYTEN to sign.';
let world: BroadcastWorld;

beforeAll(async () => {
  world = await startBroadcastWorld({
    env: {
      TWILIO_MESSAGING_SERVICE_SID: 'MG0123456789abcdef0123456789abcdef',
      TWILIO_TIMEOUT_MS: String(TIMEOUT_MS),
      SMS_MAX_PER_SECOND: '300',
    },
  });
  routeCallbacks(world);
  world.fake.deliver = true;
  world.fake.throughput = 150;
  world.fake.lateAnswers = { every: 25, delayMs: TIMEOUT_MS * 3 };
});
afterAll(() => world.close());

describe('a broadcast through a Twilio that queues, answers late and calls back early', () => {
  it('texts each of 600 members exactly once, and every text ends delivered with Twilio’s sid', async () => {
    const campaign = await openCampaign(world.database, {
      keyword: 'AYTEN',
      title: 'Ayten on trial',
      letter: { body: 'Drop the charges.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+902123456789'] }],
    });
    const members = await addMembers(world, MEMBERS);
    const broadcast = await createBroadcast(world, campaign.id, BODY, 'network');
    const done = await waitUntilDone(world, broadcast.id, 60_000);

    // Twilio held texts it had taken and not sent while we went on sending.
    expect(world.fake.problems).toEqual([]);
    const counts = textsPerNumber(world, BODY);
    expect([...counts.keys()].sort()).toEqual(members.map((m) => m.phone).sort());
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    // 24 creates (every 25th) were answered after the timeout and settled by looking them up.
    expect(world.fake.listRequests.length).toBeGreaterThanOrEqual(Math.floor(MEMBERS / 25));
    expect(done).toMatchObject({ total: MEMBERS, sent: MEMBERS, failed: 0, queued: 0 });

    const { rows } = await world.database.pool.query(
      'SELECT twilio_sid, status FROM outbound_messages WHERE broadcast_id = $1',
      [broadcast.id],
    );
    const taken = world.fake.messages.filter((m) => m.body.startsWith(BODY));
    expect(rows.map((row) => row.twilio_sid).sort()).toEqual(taken.map((m) => m.sid).sort());
    // Every callback was applied, those that came before their send was recorded too.
    await expect
      .poll(
        async () => {
          const { rows: left } = await world.database.pool.query(
            `SELECT count(*) FILTER (WHERE m.status <> 'delivered')::int AS undelivered,
                  (SELECT count(*)::int FROM early_delivery_reports) AS early
             FROM outbound_messages m WHERE m.broadcast_id = $1`,
            [broadcast.id],
          );
          return left[0];
        },
        { timeout: 20_000 },
      )
      .toEqual({ undelivered: 0, early: 0 });
  }, 90_000);
});
