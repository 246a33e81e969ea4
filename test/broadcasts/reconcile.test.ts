import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/twilio.js';
import { addMembers, type BroadcastWorld, type Member, startBroadcastWorld } from './harness.js';

// A text whose send got no clear answer: the worker died before recording Twilio's answer, or Twilio
// answered late (after the client's timeout) or with a 5xx. Whether Twilio took it is only known to
// Twilio, which may still hold it unsent (`accepted`, `date_sent` null). These call the real sending
// service (the app's, through the real twilio package and the fake's Messages list) on rows left as
// such an attempt leaves them; no job exists for them, so the running workers never touch them.
let world: BroadcastWorld;
const TIMEOUT_MS = 400;

beforeAll(async () => {
  world = await startBroadcastWorld({ env: { TWILIO_TIMEOUT_MS: String(TIMEOUT_MS) } });
  // Twilio holds what it takes: nothing leaves its queue unless a test says so.
  world.fake.throughput = 0;
});
afterAll(() => world.close());

/** An outbound text claimed (`sending`) `ago` ms ago by an attempt that never came back. */
async function interruptedText(member: Member, body: string, ago = 60_000): Promise<number> {
  const { rows } = await world.database.pool.query(
    `INSERT INTO outbound_messages (supporter_id, body, segments, status, attempts, updated_at)
     VALUES ($1, $2, 1, 'sending', 1, now() - make_interval(secs => $3)) RETURNING id`,
    [member.id, body, ago / 1000],
  );
  return Number(rows[0].id);
}

async function queuedText(member: Member, body: string): Promise<number> {
  const { rows } = await world.database.pool.query(
    `INSERT INTO outbound_messages (supporter_id, body, segments) VALUES ($1, $2, 1) RETURNING id`,
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

/** A message Twilio took `ago` ms ago, still in its queue. */
function takenByTwilio(
  member: Member,
  body: string,
  ago: number,
  sid = `SM${'0'.repeat(24)}${String(Date.now() % 1e8).padStart(8, '0')}`,
): FakeMessage {
  const message: FakeMessage = {
    sid,
    to: member.phone,
    body,
    from: null,
    messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
    statusCallback: null,
    at: Date.now() - ago,
    status: 'accepted',
    sentAt: null,
  };
  world.fake.messages.push(message);
  return message;
}

const send = (id: number) => world.server.app.services.sending.send(id, { lastAttempt: false });

describe('a text claimed by an attempt that never recorded Twilio’s answer', () => {
  it('is recorded with Twilio’s sid when Twilio took it and still holds it unsent: not texted twice', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Good news: an investigation has been opened.';
    const id = await interruptedText(member, body);
    const held = takenByTwilio(member, body, 50_000);

    await send(id);

    expect(textsTo(member, body)).toHaveLength(1);
    expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: held.sid });
    // Looked up by the number alone: a DateSent filter never lists a text Twilio has not sent.
    const query = new URLSearchParams(world.fake.listRequests.at(-1));
    expect([...query.keys()].sort()).toEqual(['PageSize', 'To']);
    expect(query.get('PageSize')).toBe('50');
  });

  it('is found past the first page, newest first, when the number had many texts since', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Update: the court date is set.';
    const id = await interruptedText(member, body);
    const held = takenByTwilio(member, body, 55_000);
    for (let i = 0; i < 60; i++)
      takenByTwilio(
        member,
        `Other text ${i}`,
        50_000 - i * 100,
        `SM${'1'.repeat(30)}${String(i).padStart(2, '0')}`,
      );
    const lists = world.fake.listRequests.length;

    await send(id);

    expect(textsTo(member, body)).toHaveLength(1);
    expect((await rowOf(id)).twilio_sid).toBe(held.sid);
    expect(world.fake.listRequests.length - lists).toBe(2);
  });

  it('is sent once when Twilio never took it; the same text sent before the claim is not taken for it', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Reminder: the deadline is Friday.';
    // The same words, two minutes before the claim: another text.
    takenByTwilio(member, body, 180_000);
    const id = await interruptedText(member, body);

    await send(id);

    const sent = textsTo(member, body);
    expect(sent).toHaveLength(2);
    expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: sent[1]?.sid });
  });

  it('is not sent when Twilio never took it and the member has opted out since', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Update: the fax was delivered.';
    const id = await interruptedText(member, body);
    await world.database.pool.query('UPDATE supporters SET opted_in = false WHERE id = $1', [member.id]);

    await send(id);

    expect(textsTo(member, body)).toHaveLength(0);
    expect((await rowOf(id)).status).toBe('skipped_opted_out');
  });

  it('stays claimed, to be looked up again, while Twilio cannot be asked: never sent blind', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Update: still waiting for an answer.';
    const id = await interruptedText(member, body);
    world.fake.failNext(1, 503);

    await expect(send(id)).rejects.toThrow(/could not list messages/);
    expect((await rowOf(id)).status).toBe('sending');
    expect(textsTo(member, body)).toHaveLength(0);
  });
});

describe('a send Twilio answered unclearly', () => {
  it('answered after the client’s timeout: kept claimed, then found at Twilio, not sent again', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Thank you: 2,000 names went to the prosecutor.';
    const id = await queuedText(member, body);
    world.fake.lateAnswers = { every: 1, delayMs: TIMEOUT_MS * 3 };
    try {
      await expect(send(id)).rejects.toMatchObject({ httpStatus: null, unclear: true });
    } finally {
      world.fake.lateAnswers = null;
    }
    expect((await rowOf(id)).status).toBe('sending');

    await send(id);

    const sent = textsTo(member, body);
    expect(sent).toHaveLength(1);
    expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: sent[0]?.sid });
  });

  it('a 5xx after Twilio took it: found, not sent again; a 5xx before: sent once', async () => {
    const [taken, refused] = (await addMembers(world, 2)) as [Member, Member];
    const body = 'Action: call the embassy today.';
    for (const [member, afterTaking] of [
      [taken, true],
      [refused, false],
    ] as const) {
      const id = await queuedText(member, body);
      world.fake.failNext(1, 500, { afterTaking });
      await expect(send(id)).rejects.toMatchObject({ httpStatus: 500, unclear: true });
      await send(id);
      const sent = textsTo(member, body);
      expect(sent).toHaveLength(1);
      expect(await rowOf(id)).toEqual({ status: 'sent', twilio_sid: sent[0]?.sid });
    }
  });

  it('on the last attempt too: left claimed for the stuck-text watchdog, never reported failed', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Action: write to the governor.';
    const id = await queuedText(member, body);
    world.fake.failNext(1, 503, { afterTaking: true });
    await expect(world.server.app.services.sending.send(id, { lastAttempt: true })).rejects.toMatchObject({
      unclear: true,
    });
    expect((await rowOf(id)).status).toBe('sending');
    // The watchdog's job, later: found at Twilio.
    await send(id);
    expect(textsTo(member, body)).toHaveLength(1);
    expect((await rowOf(id)).twilio_sid).toBe(textsTo(member, body)[0]?.sid);
  });

  it('a 429 is clear: back in the queue and sent next time without a look-up', async () => {
    const [member] = (await addMembers(world, 1)) as [Member];
    const body = 'Action: sign the second letter.';
    const id = await queuedText(member, body);
    world.fake.failNext(1, 429);
    await expect(send(id)).rejects.toMatchObject({ httpStatus: 429, unclear: false });
    expect((await rowOf(id)).status).toBe('queued');
    const lists = world.fake.listRequests.length;
    await send(id);
    expect(world.fake.listRequests.length).toBe(lists);
    expect(textsTo(member, body)).toHaveLength(1);
  });
});

describe('the look-ups', () => {
  it('log no number, though each lists by it', async () => {
    const phones = world.fake.messages.map((m) => m.to.slice(1));
    expect(world.fake.listRequests.length).toBeGreaterThan(0);
    expect(world.server.logs.text()).toContain('found at the provider');
    for (const phone of new Set(phones)) expect(world.server.logs.text()).not.toContain(phone);
  });
});
