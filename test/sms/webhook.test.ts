import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { signedSmsRequest } from '../../src/sms/simulator.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase, UNREACHABLE_REDIS_URL } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, replyText, type TextFn } from '../helpers/phone.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
const ids: Record<string, number> = {};

const target = {
  name: 'Prosecutor General of the Russian Federation',
  salutation: 'Dear Prosecutor General',
  faxNumbers: ['+442079460111'],
};
const DAY = 86_400_000;

/** Every number a test texts from; none may ever be found in clear in a log or a column. */
const used = new Set<string>();
let nextNumber = 100;
function phone(): string {
  const number = `+447700900${nextNumber++}`;
  used.add(number);
  return number;
}

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await database.pool.query(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    params,
  );
  return rows[0].n;
}

async function supporterOf(number: string) {
  const index = createPhoneCrypto(server.config.phone).blindIndex(number);
  const { rows } = await database.pool.query('SELECT * FROM supporters WHERE phone_index = $1', [index]);
  return rows[0];
}

async function signaturesOf(number: string) {
  const supporter = await supporterOf(number);
  if (!supporter) return [];
  const { rows } = await database.pool.query(
    'SELECT s.*, c.keyword FROM signatures s JOIN campaigns c ON c.id = s.campaign_id WHERE supporter_id = $1 ORDER BY s.id',
    [supporter.id],
  );
  return rows;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const campaigns = createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  const make = async (keyword: string, status: 'draft' | 'open' | 'closed', closesAt: Date | null = null) => {
    const campaign = await campaigns.create({
      keyword,
      title: `${keyword} action`,
      letter: { body: 'Please act.' },
      targets: [target],
      closesAt,
    });
    if (status !== 'draft') await campaigns.setStatus(campaign.id, status);
    ids[keyword] = campaign.id;
  };
  await make('MAGAMED', 'open', new Date(Date.now() + 14 * DAY));
  await make('ALAMOV', 'closed');
  await make('KALYAPIN', 'open', new Date(Date.now() - DAY));
  await make('SECRET', 'draft');
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL, SMS_REPLIES_PER_HOUR: '5' } });
  text = await listenForTexts(server);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('Twilio signature', () => {
  it('refuses a forged signature with 403 and stores nothing', async () => {
    const before = await Promise.all(['supporters', 'inbound_messages', 'signatures'].map((t) => count(t)));
    const request = signedSmsRequest({
      serverUrl: server.app.listeningOrigin,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: 'not-the-real-token',
      accountSid: server.config.twilio.accountSid,
      from: phone(),
      body: 'MAGAMED Mallory Forger',
    });
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: 'bad_signature', message: 'The X-Twilio-Signature is missing or wrong.' },
    });
    const after = await Promise.all(['supporters', 'inbound_messages', 'signatures'].map((t) => count(t)));
    expect(after).toEqual(before);
  });

  it('refuses a request signed for another host, whatever its Host header says', async () => {
    const request = signedSmsRequest({
      serverUrl: server.app.listeningOrigin,
      publicBaseUrl: server.app.listeningOrigin,
      authToken: server.config.twilio.authToken,
      accountSid: server.config.twilio.accountSid,
      from: phone(),
      body: 'MAGAMED Host Spoofer',
    });
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBe(403);
  });
});

describe('signing by keyword', () => {
  it('signs a new supporter with the name given, thanks them by name and records consent', async () => {
    const from = phone();
    const reply = await text(from, 'MAGAMED Jane Smith', {
      messageSid: 'SMfirstcontact00000000000000000001',
    });
    expect(reply.status).toBe(200);
    expect(replyText(reply)).toContain('Jane Smith');
    expect(replyText(reply)).toContain('STOP AMNESTY');

    const [signature] = await signaturesOf(from);
    expect(signature).toMatchObject({ keyword: 'MAGAMED', name: 'Jane Smith', status: 'valid' });
    const supporter = await supporterOf(from);
    expect(supporter).toMatchObject({
      name: 'Jane Smith',
      opted_in: true,
      consent_message_sid: 'SMfirstcontact00000000000000000001',
      consent_terms: 'sms-terms-2026-11',
    });
    expect(supporter.consent_at).toBeInstanceOf(Date);
    const { rows } = await database.pool.query(
      'SELECT to_number FROM inbound_messages WHERE message_sid = $1',
      ['SMfirstcontact00000000000000000001'],
    );
    expect(rows[0].to_number).toBe('70505');
  });

  it('accepts any case and one typo in a keyword of 5+ letters', async () => {
    const a = phone();
    const b = phone();
    expect(replyText(await text(a, 'magamd Ivan Petrov'))).toContain('Ivan Petrov');
    expect(replyText(await text(b, 'Magamde Olga Sokolova'))).toContain('Olga Sokolova');
    expect((await signaturesOf(a))[0]).toMatchObject({ keyword: 'MAGAMED', name: 'Ivan Petrov' });
    expect((await signaturesOf(b))[0]).toMatchObject({ keyword: 'MAGAMED', name: 'Olga Sokolova' });
  });

  it('normalises the name: title case from capitals, Cyrillic and apostrophes kept', async () => {
    const a = phone();
    const b = phone();
    await text(a, 'MAGAMED  SIOBHÁN   O’NEIL ');
    await text(b, 'MAGAMED жанна смирнова');
    expect((await signaturesOf(a))[0].name).toBe('Siobhán O’Neil');
    expect((await signaturesOf(b))[0].name).toBe('Жанна Смирнова');
  });

  it('says so when already signed, and adds no second signature', async () => {
    const from = phone();
    await text(from, 'MAGAMED Maria Lopez');
    const again = await text(from, 'MAGAMED Maria Lopez');
    expect(replyText(again)).toContain('already signed');
    expect(await signaturesOf(from)).toHaveLength(1);
  });

  it('asks for a name when none is known, then signs with the reply', async () => {
    const from = phone();
    expect(replyText(await text(from, 'MAGAMED'))).toMatch(/reply with your full name/);
    expect(await signaturesOf(from)).toHaveLength(0);
    expect(replyText(await text(from, 'Tomasz Kowalski'))).toContain('Tomasz Kowalski');
    expect((await signaturesOf(from))[0]).toMatchObject({ name: 'Tomasz Kowalski', status: 'valid' });
    expect((await supporterOf(from)).pending_campaign_id).toBeNull();
  });

  it('asks again once, saying what is wanted, then gives up kindly', async () => {
    const from = phone();
    await text(from, 'MAGAMED');
    const second = await text(from, '12345');
    expect(replyText(second)).toMatch(/letters only, without numbers/);
    const third = await text(from, 'x');
    expect(replyText(third)).toMatch(/could not read a name.*MAGAMED/);
    expect(await signaturesOf(from)).toHaveLength(0);
    expect(replyText(await text(from, 'Anna Nowak'))).toMatch(/did not understand/);
  });

  it('signs with the name on file when the keyword comes alone', async () => {
    const from = phone();
    await text(from, 'JOIN Peter Brown');
    const reply = await text(from, 'magamed');
    expect(replyText(reply)).toContain('Peter Brown');
    expect((await signaturesOf(from))[0]).toMatchObject({ name: 'Peter Brown', status: 'valid' });
  });

  it('holds a name the profanity filter flags, without echoing it back', async () => {
    const from = phone();
    const reply = await text(from, 'MAGAMED Fuck Face');
    expect(replyText(reply)).not.toMatch(/fuck/i);
    expect(replyText(reply)).toContain('check your name');
    expect((await signaturesOf(from))[0]).toMatchObject({ status: 'held', hold_reason: 'profanity' });
  });

  it('holds a name the fax font cannot draw or that is written right to left', async () => {
    const from = phone();
    await text(from, 'MAGAMED محمد علي');
    expect((await signaturesOf(from))[0]).toMatchObject({
      status: 'held',
      hold_reason: 'unsupported-script',
    });
  });

  it('tells a name the fax cannot draw so, and puts the Latin spelling it sends on the fax instead', async () => {
    const from = phone();
    const asked = replyText(await text(from, 'MAGAMED 王小明'));
    expect(asked).toContain('Our fax cannot print those letters');
    expect(asked).toContain('Latin or Cyrillic letters');
    expect(asked).not.toContain('will be on the MAGAMED fax');
    expect(replyText(await text(from, 'RECEIPT'))).toMatch(/held: our team will check it/);
    // Still not drawable: asked once more, the name stays held.
    expect(replyText(await text(from, '王小明'))).toContain('Latin or Cyrillic');
    expect(replyText(await text(from, 'Wang Xiaoming'))).toContain('Thank you, Wang Xiaoming!');
    const [signature] = await signaturesOf(from);
    expect(signature).toMatchObject({ name: 'Wang Xiaoming', status: 'valid', hold_reason: null });
    expect(await signaturesOf(from)).toHaveLength(1);
    expect(replyText(await text(from, 'MAGAMED RECEIPT'))).toMatch(/waiting for the next MAGAMED fax/);
  });

  it('tells a held name it will be checked before it goes on the fax, and RECEIPT says it is held', async () => {
    const from = phone();
    const reply = replyText(await text(from, 'MAGAMED Fuck Face'));
    expect(reply).toContain('check your name before it goes on the MAGAMED fax');
    expect(reply).not.toContain('will be on the MAGAMED fax');
    expect(replyText(await text(from, 'receipt'))).toMatch(/Your name for MAGAMED is held/);
  });

  it('says why a hidden name was not put on the fax, in the words of the reason it was held for', async () => {
    const from = phone();
    expect(replyText(await text(from, 'MAGAMED Mickey Mouse'))).toContain('check your name');
    const staff = await staffToken(database, 'campaigner');
    const [signature] = await signaturesOf(from);
    const hidden = await server.app.inject({
      method: 'POST',
      url: `/api/v1/signatures/${signature.id}/hide`,
      headers: { authorization: `Bearer ${staff.token}` },
    });
    expect(hidden.statusCode).toBe(200);
    expect(replyText(await text(from, 'RECEIPT'))).toBe(
      "Your name for MAGAMED was not put on the fax: it looked like a character's name, not a real one. Amnesty International UK",
    );

    // A name hidden with the reason the moderator chose says that one.
    const other = phone();
    await text(other, 'MAGAMED Pat Doe');
    const [valid] = await signaturesOf(other);
    const chosen = await server.app.inject({
      method: 'POST',
      url: `/api/v1/signatures/${valid.id}/hide?reason=placeholder-name`,
      headers: { authorization: `Bearer ${staff.token}` },
    });
    expect(chosen.statusCode).toBe(200);
    expect(replyText(await text(other, 'RECEIPT'))).toContain(
      'not put on the fax: it looked like a test name.',
    );
    const refused = await server.app.inject({
      method: 'POST',
      url: `/api/v1/signatures/${valid.id}/hide?reason=whatever`,
      headers: { authorization: `Bearer ${staff.token}` },
    });
    expect(refused.statusCode).toBe(400);
  });

  it('promises news only to those who get our texts', async () => {
    const from = phone();
    expect(replyText(await text(from, 'MAGAMED Rosa Diaz'))).toContain(
      'Thank you, Rosa Diaz! Your name will be on the MAGAMED fax.',
    );
    expect(replyText(await text(from, 'MAGAMED'))).toContain('We will tell you what happens.');
    await text(from, 'STOP');
    expect(replyText(await text(from, 'MAGAMED'))).not.toContain('We will tell you');
    expect(replyText(await text(from, 'RECEIPT'))).toBe(
      'Your name is waiting for the next MAGAMED fax. Amnesty International UK',
    );
  });

  it('answers RECEIPT from a number that never signed', async () => {
    expect(replyText(await text(phone(), 'RECEIPT'))).toMatch(/no signature from this number/);
  });

  it('keeps a reply to a closed campaign as a late signature and says it has closed', async () => {
    const from = phone();
    const reply = await text(from, 'ALAMOV Nina Volkova');
    expect(replyText(reply)).toMatch(/ALAMOV action has closed/);
    expect((await signaturesOf(from))[0]).toMatchObject({
      keyword: 'ALAMOV',
      status: 'late',
      name: 'Nina Volkova',
    });
  });

  it('treats a campaign past its closing time as closed before the closing job runs', async () => {
    const from = phone();
    expect(replyText(await text(from, 'KALYAPIN'))).toMatch(/KALYAPIN action has closed/);
    expect((await signaturesOf(from))[0]).toMatchObject({ keyword: 'KALYAPIN', status: 'late', name: null });
  });

  it('does not reveal a draft campaign: its keyword is an unknown word', async () => {
    const from = phone();
    const reply = await text(from, 'SECRET Jane Doe');
    expect(replyText(reply)).toMatch(/did not understand/);
    expect(replyText(reply)).not.toContain('SECRET');
    expect(await signaturesOf(from)).toHaveLength(0);
  });

  it('answers anything else with how to sign and how to stop', async () => {
    const reply = replyText(await text(phone(), 'what is this?'));
    expect(reply).toContain('MAGAMED');
    expect(reply).toContain('STOP AMNESTY');
    expect(reply).not.toContain('KALYAPIN');
  });
});

describe('opting out and in', () => {
  it.each([
    'STOP AMNESTY',
    'stop all',
    'Stop',
    'UNSUBSCRIBE',
    'cancel please',
    'END',
    'quit',
    'STOPALL',
    'revoke',
    'OPTOUT',
  ])('%j opts the supporter out at once and confirms', async (body) => {
    const from = phone();
    await text(from, 'JOIN');
    const reply = await text(from, body);
    expect(replyText(reply)).toMatch(/unsubscribed/);
    const supporter = await supporterOf(from);
    expect(supporter.opted_in).toBe(false);
    expect(supporter.opted_out_at).toBeInstanceOf(Date);
  });

  it('ends a pending name dialogue', async () => {
    const from = phone();
    await text(from, 'MAGAMED');
    await text(from, 'STOP AMNESTY');
    expect((await supporterOf(from)).pending_campaign_id).toBeNull();
    expect(replyText(await text(from, 'Karen Miller'))).toMatch(/did not understand/);
    expect(await signaturesOf(from)).toHaveLength(0);
  });

  it('still signs an opted-out supporter who texts a keyword, keeps them opted out and says how to rejoin', async () => {
    const from = phone();
    await text(from, 'STOP');
    const reply = await text(from, 'MAGAMED Hugo Weber');
    expect(replyText(reply)).toContain('START');
    expect((await signaturesOf(from))[0]).toMatchObject({ name: 'Hugo Weber', status: 'valid' });
    expect((await supporterOf(from)).opted_in).toBe(false);
  });

  it('START opts a member back in and records consent again', async () => {
    const from = phone();
    await text(from, 'MAGAMED Hugo Weber');
    await text(from, 'STOP AMNESTY');
    const reply = await text(from, 'START', { messageSid: 'SMrejoin000000000000000000000000001' });
    expect(replyText(reply)).toMatch(/Welcome back/);
    const supporter = await supporterOf(from);
    expect(supporter.opted_in).toBe(true);
    expect(supporter.opted_out_at).toBeNull();
    expect(supporter.consent_message_sid).toBe('SMrejoin000000000000000000000000001');
  });

  it('YES opts an opted-out supporter back in, as Twilio does', async () => {
    const from = phone();
    await text(from, 'JOIN');
    await text(from, 'STOP');
    expect(replyText(await text(from, 'Yes'))).toMatch(/Welcome back/);
    expect((await supporterOf(from)).opted_in).toBe(true);
  });

  it('YES from a member who is opted in is an ordinary text, and from a pending signer their answer', async () => {
    const member = phone();
    await text(member, 'JOIN');
    expect(replyText(await text(member, 'YES'))).not.toMatch(/Welcome back/);
    expect((await supporterOf(member)).opted_in).toBe(true);
    const signer = phone();
    await text(signer, 'MAGAMED');
    await text(signer, 'Yes Tanaka');
    expect((await signaturesOf(signer))[0]).toMatchObject({ name: 'Yes Tanaka' });
  });

  it('does not answer twice when Twilio Advanced Opt-Out already answered', async () => {
    const managed = await startTestApp(database, {
      env: { PUBLIC_BASE_URL, TWILIO_MANAGES_OPT_OUT: 'true' },
    });
    const managedText = await listenForTexts(managed);
    const from = phone();
    const stop = await managedText(from, 'STOP', { extra: { OptOutType: 'STOP' } });
    expect(stop.twiml).toContain('<Response/>');
    expect((await supporterOf(from)).opted_in).toBe(false);
    // "STOP AMNESTY" is not one of Twilio's exact keywords: Twilio did not answer it, so we do.
    const other = phone();
    expect(replyText(await managedText(other, 'STOP AMNESTY'))).toMatch(/unsubscribed/);
    await managed.close();
  });
});

describe('help, join and preferences', () => {
  it('HELP explains how to sign the open actions and how to stop', async () => {
    const reply = replyText(await text(phone(), 'help'));
    expect(reply).toContain('Amnesty International UK');
    expect(reply).toContain('MAGAMED');
    expect(reply).toContain('STOP AMNESTY');
  });

  it('a join keyword with a source code makes a member, records the source and signs nothing', async () => {
    const from = phone();
    const reply = await text(from, 'PROTEST15 Jane Smith');
    expect(replyText(reply)).toMatch(/Welcome, Jane Smith!/);
    const supporter = await supporterOf(from);
    expect(supporter).toMatchObject({ name: 'Jane Smith', opted_in: true, source: 'join:15' });
    expect(await signaturesOf(from)).toHaveLength(0);
  });

  it('NOCALL records that the supporter wants no phone calls', async () => {
    const from = phone();
    expect(replyText(await text(from, 'NOCALL'))).toMatch(/not phone you/);
    expect((await supporterOf(from)).no_call).toBe(true);
  });
});

describe('duplicates and floods', () => {
  it('one MessageSid delivered three times at once gives one signature and three identical replies', async () => {
    const from = phone();
    const messageSid = 'SMduplicate0000000000000000000000001';
    const replies = await Promise.all(
      [1, 2, 3].map(() => text(from, 'MAGAMED Lena Fischer', { messageSid })),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(replies.map((r) => r.twiml)).size).toBe(1);
    expect(replyText(replies[0] ?? { status: 0, twiml: '', messages: [] })).toContain('Lena Fischer');
    expect(await signaturesOf(from)).toHaveLength(1);
    expect(await count('inbound_messages', 'message_sid = $1', [messageSid])).toBe(1);
  });

  it('a flood of first contacts and known supporters at once: each is answered and signed as their own text says', async () => {
    const known = Array.from({ length: 10 }, () => phone());
    for (const from of known) await text(from, 'JOIN');
    const names = Array.from(
      { length: 60 },
      (_, i) => `Flood ${String.fromCharCode(65 + (i % 26))}${'abc'[Math.floor(i / 26)]}`,
    );
    const newcomers = names.map((name) => ({ from: phone(), name }));
    const replies = await Promise.all([
      ...newcomers.map(({ from, name }) => text(from, `MAGAMED ${name}`)),
      ...known.map((from) => text(from, 'HELP')),
    ]);
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    newcomers.forEach(({ name }, i) => {
      expect(replyText(replies[i] ?? { status: 0, twiml: '', messages: [] })).toContain(
        `Thank you, ${name}!`,
      );
    });
    for (const reply of replies.slice(newcomers.length)) expect(replyText(reply)).toContain('To sign, text');
    for (const { from, name } of newcomers) {
      expect((await signaturesOf(from)).map((s) => s.name)).toEqual([name]);
    }
    for (const from of known) expect(await signaturesOf(from)).toEqual([]);
  });

  it('a retried MessageSid gets exactly the stored reply and changes nothing', async () => {
    const from = phone();
    const messageSid = 'SMretry000000000000000000000000001';
    const first = await text(from, 'MAGAMED Sam Taylor', { messageSid });
    await text(from, 'STOP');
    const retried = await text(from, 'MAGAMED Sam Taylor', { messageSid });
    expect(retried.twiml).toBe(first.twiml);
    expect((await supporterOf(from)).opted_in).toBe(false);
  });

  it('past SMS_REPLIES_PER_HOUR texts are recorded and acted on but answered with empty TwiML; STOP still confirmed', async () => {
    const from = phone();
    for (let i = 0; i < 5; i++) expect((await text(from, 'hello')).messages).toHaveLength(1);
    const flooded = await text(from, 'MAGAMED Flo Guard');
    expect(flooded.status).toBe(200);
    expect(flooded.twiml).toContain('<Response/>');
    expect((await signaturesOf(from))[0]).toMatchObject({ name: 'Flo Guard', status: 'valid' });
    expect(replyText(await text(from, 'STOP AMNESTY'))).toMatch(/unsubscribed/);
    expect(
      await count('inbound_messages m JOIN supporters s ON s.id = m.supporter_id', 's.phone_index = $1', [
        createPhoneCrypto(server.config.phone).blindIndex(from),
      ]),
    ).toBe(7);
  });
});

describe('resilience and privacy', () => {
  it('signs and answers with Redis unreachable', async () => {
    const noRedis = await startTestApp(database, {
      env: { PUBLIC_BASE_URL, REDIS_URL: UNREACHABLE_REDIS_URL },
    });
    const noRedisText = await listenForTexts(noRedis);
    const from = phone();
    const reply = await noRedisText(from, 'MAGAMED Rosa Klein');
    expect(replyText(reply)).toContain('Rosa Klein');
    expect((await signaturesOf(from))[0]).toMatchObject({ name: 'Rosa Klein', status: 'valid' });
    await noRedis.close();
  });

  it('counts texts by outcome, signatures and webhook latency in /metrics', async () => {
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toMatch(/pp_sms_inbound_total\{outcome="signed"\} [1-9]/);
    expect(metrics).toMatch(/pp_signatures_total\{campaign="\d+",status="valid"\} [1-9]/);
    expect(metrics).toMatch(/pp_sms_webhook_duration_seconds_count [1-9]/);
  });

  it('never has a test number in clear in a log line or in any text column', async () => {
    expect(used.size).toBeGreaterThan(20);
    const forms = [...used].flatMap((n) => [n, n.slice(1), `0${n.slice(3)}`, n.slice(3)]);
    const logs = server.logs.text();
    expect(server.logs.lines.length).toBeGreaterThan(0);
    for (const form of forms) expect(logs).not.toContain(form);

    const { rows: columns } = await database.pool.query(`
      SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'ARRAY')`);
    expect(columns.length).toBeGreaterThan(10);
    for (const { table_name, column_name } of columns) {
      const { rows } = await database.pool.query(
        `SELECT "${column_name}"::text AS value FROM "${table_name}" WHERE "${column_name}" IS NOT NULL`,
      );
      const values = rows.map((row) => row.value as string).join('\n');
      for (const form of forms) expect(values, `${table_name}.${column_name}`).not.toContain(form);
    }
    // Names are personal data too: never logged.
    expect(logs).not.toContain('Jane Smith');
  });
});
