import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTextWriter, createTryWriter, type TextRows } from '../../src/sms/batches.js';
import { NAME_ON_FILE } from '../../src/sms/conversation.js';
import type { InputRow } from '../../src/sms/inbound.repository.js';
import { HOLD_RULES } from '../../src/supporters/names.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let campaignId: number;
let campaignsText: string;
let next = 0;

/** A first contact signing the open campaign, as the inbound service would decide it ahead. */
function signing(overrides: Partial<InputRow> = {}): InputRow {
  const n = next++;
  const name = `Writer ${String.fromCharCode(65 + (n % 26))}`;
  return {
    kind: 'new',
    phone_ciphertext: `ciphertext-${n}`,
    phone_index: `index-${n}`,
    supporter_version: null,
    name,
    name_cleared_under: HOLD_RULES,
    name_room: null,
    opted_in: true,
    no_call: false,
    pending_campaign_id: null,
    pending_attempts: 0,
    source: 'sms',
    consent: 'give',
    consent_terms: 'terms',
    received_at: new Date().toISOString(),
    message_sid: `SMwriter${n}`,
    to_number: '70505',
    body: `MAGAMED ${name}`,
    outcome: 'signed',
    campaign_id: campaignId,
    reply: `Thank you, ${name}!`,
    reply_limited: true,
    reply_suppressed: false,
    signature_campaign_id: campaignId,
    signature_name: name,
    signature_status: 'valid',
    hold_reason: null,
    ...overrides,
  };
}

/** Members on file (as an import leaves them), with the version of their row a text would read. */
async function members(count: number): Promise<InputRow[]> {
  const rows = Array.from({ length: count }, () => signing({ source: null }));
  const { rows: versions } = await database.pool.query(
    `INSERT INTO supporters (phone_ciphertext, phone_index, name, name_cleared_under, consent_at, consent_terms,
                             source)
     SELECT c, i, n, $4, now(), 'import', 'import:test' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(c, i, n)
     RETURNING phone_index, xmin::text AS version`,
    [
      rows.map((row) => row.phone_ciphertext),
      rows.map((row) => row.phone_index),
      rows.map((row) => row.name),
      HOLD_RULES,
    ],
  );
  const version = new Map(versions.map((row) => [row.phone_index, row.version]));
  return rows.map((row) => ({
    ...row,
    kind: 'any',
    name: null,
    supporter_version: version.get(row.phone_index),
  }));
}

async function supporter(row: InputRow) {
  const { rows } = await database.pool.query(
    'SELECT *, xmin::text AS version FROM supporters WHERE phone_index = $1',
    [row.phone_index],
  );
  return rows[0];
}

async function signatureNames(): Promise<string[]> {
  const { rows } = await database.pool.query('SELECT name FROM signatures ORDER BY id');
  return rows.map((row) => row.name);
}

beforeAll(async () => {
  database = await createTestDatabase();
  const campaign = await openCampaign(database, {
    keyword: 'MAGAMED',
    title: 'Magamed',
    letter: { body: 'Please act.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
  });
  campaignId = campaign.id;
  // A text decided on no campaigns is never written, and brings the campaigns back as context.
  const probe = await tries().tryWrite({ rows: [signing()], campaignsText: '' });
  campaignsText = probe.campaigns;
});

afterAll(async () => {
  await database.drop();
});

const tries = () =>
  createTryWriter(database, { repliesPerHour: 10, holdRules: HOLD_RULES, nameOnFile: NAME_ON_FILE });

describe('first contacts decided ahead', () => {
  it('writes texts that wait together, and a text Postgres refuses fails alone', async () => {
    const writer = tries();
    const before = await signatureNames();
    // The first runs at once; the other three wait for it and go together.
    const rows = [signing(), signing(), signing({ signature_name: null }), signing()];
    const results = await Promise.allSettled(
      rows.map((row) => writer.tryWrite({ rows: [row], campaignsText })),
    );

    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(results[2]).toMatchObject({ status: 'rejected', reason: { code: '23514' } });
    // Run again one by one, at once: in any order.
    expect((await signatureNames()).slice(before.length).sort()).toEqual(
      [rows[0], rows[1], rows[3]].map((row) => row?.signature_name).sort(),
    );
    const { rows: refused } = await database.pool.query('SELECT 1 FROM supporters WHERE phone_index = $1', [
      rows[2]?.phone_index,
    ]);
    expect(refused).toEqual([]);
  });

  it('writes a second text from one number, or a second delivery, only after the first', async () => {
    const writer = tries();
    const first = signing();
    const sameNumber = signing({ phone_index: first.phone_index });
    const sameMessage = signing({ message_sid: first.message_sid });
    const [, written, afterNumber, afterMessage] = await Promise.all(
      [signing(), first, sameNumber, sameMessage].map((row) =>
        writer.tryWrite({ rows: [row], campaignsText }),
      ),
    );

    expect(written?.message_id).not.toBeNull();
    // Each saw the first one written: the supporter is known, the MessageSid answered.
    expect(afterNumber).toMatchObject({ message_id: null, supporter: { name: first.name } });
    expect(afterMessage).toMatchObject({ message_id: null, duplicate: { reply: first.reply } });
  });

  it('writes nothing, and brings back the context, when the campaigns changed since the decision', async () => {
    const writer = tries();
    const result = await writer.tryWrite({ rows: [signing()], campaignsText: '[]' });
    expect(result).toMatchObject({
      message_id: null,
      signature_id: null,
      supporter: null,
      campaigns: campaignsText,
    });
  });
});

/**
 * A member's text keyword alone, as the inbound service decides it ahead: asked for a name if the number is
 * unknown, signed by the name on file if it is a member's.
 */
function keywordAlone(member: InputRow): TextRows {
  const common = { ...member, supporter_version: null, name: null, body: 'MAGAMED' };
  return [
    {
      ...common,
      kind: 'new',
      outcome: 'asked-name',
      reply: 'Please reply with your full name.',
      pending_campaign_id: campaignId,
      signature_campaign_id: null,
      signature_name: null,
      signature_status: null,
    },
    { ...common, kind: 'member', reply: `Thank you, ${NAME_ON_FILE}!`, signature_name: NAME_ON_FILE },
  ];
}

async function written(member: InputRow) {
  const { rows } = await database.pool.query(
    `SELECT (SELECT count(*)::int FROM inbound_messages m WHERE m.supporter_id = p.id) AS messages,
            (SELECT count(*)::int FROM signatures g WHERE g.supporter_id = p.id AND g.campaign_id = $2
                AND g.inbound_message_id IS NOT NULL) AS signatures
       FROM supporters p WHERE p.phone_index = $1`,
    [member.phone_index, campaignId],
  );
  return rows[0];
}

describe('members decided ahead', () => {
  it("writes a member's text in the statement that reads their row, by the name on file", async () => {
    const writer = tries();
    const before = await signatureNames();
    const team = await members(3);
    const names = await Promise.all(team.map(async (member) => (await supporter(member)).name));

    const results = await Promise.all(
      team.map((member) => writer.tryWrite({ rows: keywordAlone(member), campaignsText })),
    );

    expect(results.map((result) => [result.written_kind, result.written_reply])).toEqual(
      names.map((name) => ['member', `Thank you, ${name}!`]),
    );
    expect((await signatureNames()).slice(before.length).sort()).toEqual([...names].sort());
  });

  it("a member's text Postgres refuses fails alone, and writes nothing", async () => {
    const writer = tries();
    const [first, refused, third] = await members(3);
    if (!first || !refused || !third) throw new Error('three members');
    const unchanged = await supporter(refused);
    const [newRow, memberRow] = keywordAlone(refused) as [InputRow, InputRow];
    // A signature without a name: the table's check refuses it.
    const bad: TextRows = [newRow, { ...memberRow, signature_name: null }];

    const results = await Promise.allSettled([
      writer.tryWrite({ rows: keywordAlone(first), campaignsText }),
      writer.tryWrite({ rows: bad, campaignsText }),
      writer.tryWrite({ rows: keywordAlone(third), campaignsText }),
    ]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: '23514' } });
    expect(await written(first)).toEqual({ messages: 1, signatures: 1 });
    expect(await written(third)).toEqual({ messages: 1, signatures: 1 });
    expect(await written(refused)).toEqual({ messages: 0, signatures: 0 });
    expect(await supporter(refused)).toEqual(unchanged);
  });

  it('reads instead, writing nothing, for a member the decision does not stand for', async () => {
    const writer = tries();
    const cases: Record<string, string> = {
      'a name never checked': 'UPDATE supporters SET name_cleared_under = NULL WHERE id = $1',
      'a name checked under other rules': "UPDATE supporters SET name_cleared_under = 'older' WHERE id = $1",
      'no name': 'UPDATE supporters SET name = NULL WHERE id = $1',
      'opted out': 'UPDATE supporters SET opted_in = false, opted_out_at = now() WHERE id = $1',
      'a question pending': `UPDATE supporters SET pending_campaign_id = ${campaignId} WHERE id = $1`,
      'signed already': `INSERT INTO signatures (campaign_id, supporter_id, name, status)
                         SELECT ${campaignId}, id, name, 'valid' FROM supporters WHERE id = $1`,
      'past the flood guard': `INSERT INTO inbound_messages (message_sid, supporter_id, body, outcome, reply)
                               SELECT 'SMguard' || $1 || '-' || n, $1::bigint, 'HELP', 'help', 'Text MAGAMED'
                                 FROM generate_series(1, 10) AS n`,
    };
    const team = await members(Object.keys(cases).length);
    for (const [n, change] of Object.values(cases).entries()) {
      const { id } = await supporter(team[n] as InputRow);
      await database.pool.query(change, [id]);
    }
    const unchanged = await Promise.all(team.map((member) => supporter(member)));

    const results = await Promise.all(
      team.map((member) => writer.tryWrite({ rows: keywordAlone(member), campaignsText })),
    );

    expect(Object.fromEntries(Object.keys(cases).map((why, n) => [why, results[n]?.message_id]))).toEqual(
      Object.fromEntries(Object.keys(cases).map((why) => [why, null])),
    );
    // Each got what a decision needs instead: the member as read.
    for (const [n, result] of results.entries()) {
      expect(result.supporter_version).toBe(unchanged[n].version);
      expect(await supporter(team[n] as InputRow)).toEqual(unchanged[n]);
    }
    expect(results[6]?.replies_last_hour).toBe(10);
  });

  it('writes a row for both onto a plain member, keeping what it does not change', async () => {
    const writer = tries();
    const [member] = await members(1);
    if (!member) throw new Error('one member');
    const onFile = (await supporter(member)).name;
    const help = {
      ...member,
      kind: 'any',
      supporter_version: null,
      name: null,
      outcome: 'help',
      reply: 'Help!',
    };
    const noSignature = { signature_campaign_id: null, signature_name: null, signature_status: null };

    const result = await writer.tryWrite({
      rows: [{ ...help, ...noSignature, campaign_id: null }],
      campaignsText,
    });

    expect(result).toMatchObject({ written_kind: 'any', written_reply: 'Help!' });
    expect(await supporter(member)).toMatchObject({ name: onFile, source: 'import:test', opted_in: true });
  });

  it("writes nothing over a change made to the member's row while the statement waited for it", async () => {
    const writer = tries();
    const [member] = await members(1);
    if (!member) throw new Error('one member');
    const other = await database.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query("UPDATE supporters SET name = 'Staff Corrected' WHERE phone_index = $1", [
        member.phone_index,
      ]);
      const result = writer.tryWrite({ rows: keywordAlone(member), campaignsText });
      await until(async () => (await lockWaits()) === 1);
      await other.query('COMMIT');

      expect(await result).toMatchObject({ message_id: null, written_kind: null });
      expect(await written(member)).toEqual({ messages: 0, signatures: 0 });
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });
});

describe('text writer', () => {
  it("writes known members' texts that wait together, and a text Postgres refuses fails alone", async () => {
    const writer = createTextWriter(database);
    const before = await signatureNames();
    const [first, second, refused, fourth] = await members(4);
    if (!first || !second || !refused || !fourth) throw new Error('four members');
    const unchanged = await supporter(refused);
    // The first runs at once; the other three wait for it and go together.
    const rows = [first, second, { ...refused, signature_name: null }, fourth];
    const results = await Promise.allSettled(rows.map((row) => writer.write(row)));

    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(results[2]).toMatchObject({ status: 'rejected', reason: { code: '23514' } });
    expect((await signatureNames()).slice(before.length).sort()).toEqual(
      [first, second, fourth].map((row) => row.signature_name).sort(),
    );
    // Nothing of the refused text is written: neither its message nor its member's row.
    expect(await supporter(refused)).toEqual(unchanged);
    const { rows: messages } = await database.pool.query(
      'SELECT 1 FROM inbound_messages WHERE message_sid = $1',
      [refused.message_sid],
    );
    expect(messages).toEqual([]);
  });

  it('writes the texts of a batch one by one when it is the victim of a deadlock', async () => {
    const writer = createTextWriter(database);
    const [first, second, third] = await members(3);
    if (!first || !second || !third) throw new Error('three members');
    // Another transaction holds the third member's row, then asks for the second's, which the batch
    // of the second and third texts took first: a deadlock, and Postgres ends the batch.
    const other = await database.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM supporters WHERE phone_index = $1 FOR UPDATE', [third.phone_index]);
      const written = Promise.allSettled([first, second, third].map((row) => writer.write(row)));
      await until(async () => (await lockWaits()) === 1);
      await other.query('SELECT 1 FROM supporters WHERE phone_index = $1 FOR UPDATE', [second.phone_index]);
      await other.query('ROLLBACK');

      const results = await written;
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(results).toEqual(
        results.map(() => ({
          status: 'fulfilled',
          value: expect.objectContaining({ message_id: expect.any(String) }),
        })),
      );
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  it('writes nothing onto a member whose row changed since the text was read', async () => {
    const writer = createTextWriter(database);
    const [member] = await members(1);
    if (!member) throw new Error('one member');
    await database.pool.query("UPDATE supporters SET name = 'Staff Corrected' WHERE phone_index = $1", [
      member.phone_index,
    ]);

    expect(await writer.write(member)).toMatchObject({ message_id: null, signature_id: null });
    expect(await supporter(member)).toMatchObject({ name: 'Staff Corrected' });
    const { rows: signatures } = await database.pool.query(
      'SELECT 1 FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE p.phone_index = $1',
      [member.phone_index],
    );
    expect(signatures).toEqual([]);
  });
});

/** Statements of this test's database waiting for a lock. */
async function lockWaits(): Promise<number> {
  const { rows } = await database.pool.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
  );
  return rows[0].n;
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
