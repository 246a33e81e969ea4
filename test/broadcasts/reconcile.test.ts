import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMembers, type BroadcastWorld, type Member, startBroadcastWorld } from './harness.js';

// A text claimed by a worker that died before recording Twilio's answer: whether Twilio took it is
// only known to Twilio. These call the real sending service (the app's, through the real twilio
// package and the fake's Messages list) on rows left as such a crash leaves them; no job exists for
// them, so the running workers never touch them.
let world: BroadcastWorld;

beforeAll(async () => {
  world = await startBroadcastWorld();
});
afterAll(() => world.close());

/** An outbound text claimed (`sending`) a minute ago by an attempt that never came back. */
async function interruptedText(member: Member, body: string): Promise<number> {
  const { rows } = await world.database.pool.query(
    `INSERT INTO outbound_messages (supporter_id, body, segments, status, attempts, updated_at)
     VALUES ($1, $2, 1, 'sending', 1, now() - interval '1 minute') RETURNING id`,
    [member.id, body],
  );
  return Number(rows[0].id);
}

async function rowOf(id: number) {
  const { rows } = await world.database.pool.query(
    'SELECT status, twilio_sid FROM outbound_messages WHERE id = $1',
    [id],
  );
  return rows[0] as { status: string; twilio_sid: string | null };
}

const textsTo = (member: Member, body: string) =>
  world.fake.messages.filter((m) => m.to === member.phone && m.body === body);

describe('a text interrupted between claiming it and recording Twilio’s answer', () => {
  it('is recorded as sent, with Twilio’s sid, when Twilio took it: the member is not texted twice', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Good news: an investigation has been opened.';
    const id = await interruptedText(member, body);
    // What the dead worker's call did reach Twilio with.
    world.fake.messages.push({
      sid: 'SM0123456789abcdef0123456789abcdef',
      to: member.phone,
      body,
      from: '70505',
      messagingServiceSid: null,
      statusCallback: null,
      at: Date.now() - 50_000,
    });

    await world.server.app.services.sending.send(id, { lastAttempt: false });

    expect(textsTo(member, body)).toHaveLength(1);
    expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: 'SM0123456789abcdef0123456789abcdef' });
    expect(world.fake.listRequests.at(-1)).toContain('DateSent');
  });

  it('is sent once when Twilio never took it, instead of being reported failed', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Reminder: the deadline is Friday.';
    const id = await interruptedText(member, body);

    await world.server.app.services.sending.send(id, { lastAttempt: false });

    const sent = textsTo(member, body);
    expect(sent).toHaveLength(1);
    expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: sent[0]?.sid });
  });

  it('is not sent when Twilio never took it and the member has opted out since', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Update: the fax was delivered.';
    const id = await interruptedText(member, body);
    await world.database.pool.query('UPDATE supporters SET opted_in = false WHERE id = $1', [member.id]);

    await world.server.app.services.sending.send(id, { lastAttempt: false });

    expect(textsTo(member, body)).toHaveLength(0);
    expect((await rowOf(id)).status).toBe('skipped_opted_out');
  });

  it('stays claimed, to be looked up again, while Twilio cannot be asked', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Update: still waiting for an answer.';
    const id = await interruptedText(member, body);
    world.fake.failNext(1, 503);

    await expect(world.server.app.services.sending.send(id, { lastAttempt: false })).rejects.toThrow(
      /could not list messages/,
    );
    expect((await rowOf(id)).status).toBe('sending');
    expect(textsTo(member, body)).toHaveLength(0);
  });
});
