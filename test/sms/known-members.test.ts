import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSegments } from '../../src/sms/segments.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, replyText, type TextFn } from '../helpers/phone.js';

/** Members of the network, imported by staff, texting the keyword alone after an action alert. */

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
let nextNumber = 300;

/** Imports members through the staff API, as the network is brought in; returns their numbers. */
async function importMembers(names: readonly string[]): Promise<string[]> {
  const numbers = names.map(() => `+447700900${nextNumber++}`);
  const { token } = await staffToken(database, 'campaigner');
  const rows = names.map((name, i) => `${numbers[i]},${name},2024-03-01,street stall`);
  const response = await apiAs(
    server.app,
    token,
  )({
    method: 'POST',
    url: '/api/v1/members/import',
    headers: { 'content-type': 'text/csv' },
    payload: ['number,name,consent_date,consent_source', ...rows].join('\n'),
  });
  expect(response.json()).toMatchObject({ imported: names.length });
  return numbers;
}

const indexOf = (number: string) => createPhoneCrypto(server.config.phone).blindIndex(number);

async function supporterOf(number: string) {
  const { rows } = await database.pool.query('SELECT * FROM supporters WHERE phone_index = $1', [
    indexOf(number),
  ]);
  return rows[0];
}

async function signatureNames(number: string): Promise<string[]> {
  const { rows } = await database.pool.query(
    'SELECT s.name FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE p.phone_index = $1',
    [indexOf(number)],
  );
  return rows.map((row) => row.name);
}

/** Texts decided before their number was read, by whether the statement that read it wrote them. */
async function decidedAhead(result: 'won' | 'lost'): Promise<number> {
  const metrics = (await server.app.inject('/metrics')).body;
  const line = metrics.match(
    new RegExp(`^pp_sms_inbound_decided_ahead_total\\{result="${result}"\\} (\\d+)$`, 'm'),
  );
  return Number(line?.[1] ?? 0);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await openCampaign(database, {
    keyword: 'MAGAMED',
    title: 'Magamed Abubakarov',
    letter: { body: 'Please act.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
  });
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('known members texting the keyword alone', () => {
  it('a name on file that would make the thanks UCS-2 or too long signs, thanked in one segment', async () => {
    const long = 'Bartholomew Alexander Montgomery-Fitzwilliam Oconnor Smythes';
    const [russian, irish, lengthy, plain] = await importMembers([
      'Анна Сергеевна Петрова',
      'Siobhán O’Brien',
      long,
      'Jane Smith',
    ]);
    const replies: string[] = [];
    for (const number of [russian, irish, lengthy, plain] as string[]) {
      const reply = replyText(await text(number, 'MAGAMED'));
      expect(countSegments(reply)).toMatchObject({ segments: 1, encoding: 'GSM-7' });
      expect(reply).toContain('Your name will be on the MAGAMED fax.');
      replies.push(reply);
    }
    expect(replies.map((reply) => reply.split('!')[0])).toEqual([
      'Thank you',
      'Thank you',
      'Thank you, Bartholomew',
      'Thank you, Jane Smith',
    ]);
    expect(await signatureNames(russian as string)).toEqual(['Анна Сергеевна Петрова']);
    expect(await signatureNames(lengthy as string)).toEqual([long]);
  });

  it('several at once: each is thanked by the name on file and signed once', async () => {
    const names = Array.from(
      { length: 40 },
      (_, i) => `Member ${String.fromCharCode(65 + (i % 26))}${'ab'[Math.floor(i / 26)]}`,
    );
    const numbers = await importMembers(names);
    // A process learns the campaigns from its first text; it decides ahead on them from then on.
    await text('+447700900999', 'HELP');
    const wonBefore = await decidedAhead('won');

    const replies = await Promise.all(numbers.map((from) => text(from, 'MAGAMED')));

    replies.forEach((reply, i) => {
      expect(reply.status).toBe(200);
      expect(replyText(reply)).toContain(`Thank you, ${names[i]}!`);
    });
    for (const [i, from] of numbers.entries()) expect(await signatureNames(from)).toEqual([names[i]]);
    // Each was written by the statement that read the member: one round trip.
    expect((await decidedAhead('won')) - wonBefore).toBe(names.length);
  });

  it('names on file from before they were checked sign on a read, and in one statement once rechecked', async () => {
    const [early = '', later = '', joke = ''] = await importMembers([
      'Lena Early',
      'Omar Later',
      'Mickey Mouse',
    ]);
    // As a database upgraded from before the check was stored, or after the hold rules changed.
    await database.pool.query(
      "UPDATE supporters SET name_cleared_under = 'older rules' WHERE phone_index = ANY($1)",
      [[early, later, joke].map(indexOf)],
    );
    const lostBefore = await decidedAhead('lost');

    expect(replyText(await text(early, 'MAGAMED'))).toContain('Thank you, Lena Early!');
    expect((await decidedAhead('lost')) - lostBefore).toBe(1);

    expect(await server.app.services.namesOnFile.recheck()).toEqual({ checked: 3, cleared: 2 });
    const wonBefore = await decidedAhead('won');
    expect(replyText(await text(later, 'MAGAMED'))).toContain('Thank you, Omar Later!');
    expect((await decidedAhead('won')) - wonBefore).toBe(1);
    // A name the rules hold is not stamped: it is checked, and held, when it signs.
    expect(replyText(await text(joke, 'MAGAMED'))).toContain('Our team will check your name');
    expect(await signatureNames(later)).toEqual(['Omar Later']);
  });

  it("one member's two texts at once: one signature, then 'already signed'", async () => {
    const [from = ''] = await importMembers(['Dora Twice']);

    const replies = await Promise.all([text(from, 'MAGAMED'), text(from, 'magamed')]);

    expect(replies.map((reply) => replyText(reply)).sort()).toEqual([
      expect.stringContaining('Thank you, Dora Twice!'),
      expect.stringContaining('You have already signed'),
    ]);
    expect(await signatureNames(from)).toEqual(['Dora Twice']);
  });

  it('one text delivered three times at once: one signature and three identical replies', async () => {
    const [from = ''] = await importMembers(['Eli Thrice']);
    const messageSid = 'SMknownduplicate000000000000000001';

    const replies = await Promise.all([1, 2, 3].map(() => text(from, 'MAGAMED', { messageSid })));

    expect(new Set(replies.map((reply) => reply.twiml)).size).toBe(1);
    expect(replyText(replies[0] ?? { status: 0, twiml: '', messages: [] })).toContain(
      'Thank you, Eli Thrice!',
    );
    expect(await signatureNames(from)).toEqual(['Eli Thrice']);
  });

  it.each([
    ['two texts', undefined, ['Thank you, Kim Race!', 'You have already signed']],
    [
      'two deliveries of one text',
      'SMknownrace00000000000000000000001',
      ['Thank you, Kim Race!', 'Thank you, Kim Race!'],
    ],
  ])(
    '%s from one member, both read before either is written by two web processes: one signature',
    async (_, messageSid, expected) => {
      const [from = ''] = await importMembers(['Kim Race']);
      const other = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
      const otherText = await listenForTexts(other);
      // Both texts are read, then wait for the member's row: each process decides on what it read.
      const blocker = await database.pool.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM supporters WHERE phone_index = $1 FOR UPDATE', [indexOf(from)]);
        const options = messageSid ? { messageSid } : {};
        const replies = Promise.all([text(from, 'MAGAMED', options), otherText(from, 'MAGAMED', options)]);
        await until(async () => (await lockWaits()) === 2);
        await blocker.query('ROLLBACK');

        expect((await replies).map((reply) => replyText(reply)).sort()).toEqual(
          expected.map((reply) => expect.stringContaining(reply)),
        );
        expect(await signatureNames(from)).toEqual(['Kim Race']);
      } finally {
        await blocker.query('ROLLBACK');
        blocker.release();
        await other.close();
      }
    },
  );

  it('a member with no name on file is asked for it, and signs with the reply', async () => {
    const [from = ''] = await importMembers(['']);

    expect(replyText(await text(from, 'MAGAMED'))).toMatch(/reply with your full name/);
    expect(await signatureNames(from)).toEqual([]);
    expect(replyText(await text(from, 'Farid Nameless'))).toContain('Thank you, Farid Nameless!');
    expect(await signatureNames(from)).toEqual(['Farid Nameless']);
  });

  it('a member who opted out still signs, stays opted out and is told how to rejoin', async () => {
    const [from = ''] = await importMembers(['Gita Away']);
    await text(from, 'STOP AMNESTY');

    const reply = replyText(await text(from, 'MAGAMED'));

    expect(reply).toContain('Thank you, Gita Away!');
    expect(reply).toContain('Text START to get our texts again.');
    expect(await signatureNames(from)).toEqual(['Gita Away']);
    expect(await supporterOf(from)).toMatchObject({ opted_in: false, opted_out_at: expect.any(Date) });
  });

  it("a STOP is answered and recorded while other members' texts wait for a statement held up", async () => {
    const [stuck = '', waiting = '', stopping = ''] = await importMembers([
      'Hana Stuck',
      'Ivo Waiting',
      'Jon Stop',
    ]);
    // Another transaction holds the first member's row, so the statement writing their text waits.
    const blocker = await database.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM supporters WHERE phone_index = $1 FOR UPDATE', [indexOf(stuck)]);
      const answered: string[] = [];
      const held = [stuck, waiting].map((from) =>
        text(from, 'MAGAMED').then((reply) => {
          answered.push(from);
          return replyText(reply);
        }),
      );
      await until(async () => (await lockWaits()) > 0);

      expect(replyText(await within(5_000, text(stopping, 'STOP')))).toMatch(/unsubscribed/);
      expect(await supporterOf(stopping)).toMatchObject({ opted_in: false });
      expect(answered).toEqual([]);

      await blocker.query('ROLLBACK');
      expect(await Promise.all(held)).toEqual([
        expect.stringContaining('Thank you, Hana Stuck!'),
        expect.stringContaining('Thank you, Ivo Waiting!'),
      ]);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
  });
});

/** Statements of this test's database waiting for a lock. */
async function lockWaits(): Promise<number> {
  const { rows } = await database.pool.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
  );
  return rows[0].n;
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
