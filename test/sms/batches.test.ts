import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirstContactWriter, createTextWriter } from '../../src/sms/batches.js';
import type { InputRow } from '../../src/sms/inbound-sql.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let campaignId: number;
let campaignsText: string;
let next = 0;

/** A first contact signing the open campaign, as the inbound service would bet it. */
function signing(overrides: Partial<InputRow> = {}): InputRow {
  const n = next++;
  const name = `Writer ${String.fromCharCode(65 + (n % 26))}`;
  return {
    phone_ciphertext: `ciphertext-${n}`,
    phone_index: `index-${n}`,
    supporter_version: null,
    name,
    opted_in: true,
    no_call: false,
    pending_campaign_id: null,
    pending_attempts: 0,
    source: 'sms',
    renew_consent: false,
    consent_terms: 'terms',
    received_at: new Date().toISOString(),
    message_sid: `SMwriter${n}`,
    to_number: '70505',
    body: `MAGAMED ${name}`,
    outcome: 'signed',
    campaign_id: campaignId,
    reply: `Thank you, ${name}!`,
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
    `INSERT INTO supporters (phone_ciphertext, phone_index, name, consent_at, consent_terms, source)
     SELECT c, i, n, now(), 'import', 'import:test' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(c, i, n)
     RETURNING phone_index, xmin::text AS version`,
    [
      rows.map((row) => row.phone_ciphertext),
      rows.map((row) => row.phone_index),
      rows.map((row) => row.name),
    ],
  );
  const version = new Map(versions.map((row) => [row.phone_index, row.version]));
  return rows.map((row) => ({ ...row, supporter_version: version.get(row.phone_index) }));
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
  // A bet on no campaigns is always lost, and brings the campaigns back as context.
  const probe = await createFirstContactWriter(database).bet({ row: signing(), campaignsText: '' });
  campaignsText = probe.campaigns;
});

afterAll(async () => {
  await database.drop();
});

describe('first-contact writer', () => {
  it('writes texts that wait together, and a text Postgres refuses fails alone', async () => {
    const writer = createFirstContactWriter(database);
    const before = await signatureNames();
    // The first runs at once; the other three wait for it and go together.
    const rows = [signing(), signing(), signing({ signature_name: null }), signing()];
    const results = await Promise.allSettled(rows.map((row) => writer.bet({ row, campaignsText })));

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
    const writer = createFirstContactWriter(database);
    const first = signing();
    const sameNumber = signing({ phone_index: first.phone_index });
    const sameMessage = signing({ message_sid: first.message_sid });
    const [, written, afterNumber, afterMessage] = await Promise.all(
      [signing(), first, sameNumber, sameMessage].map((row) => writer.bet({ row, campaignsText })),
    );

    expect(written?.message_id).not.toBeNull();
    // Each saw the first one written: the supporter is known, the MessageSid answered.
    expect(afterNumber).toMatchObject({ message_id: null, supporter: { name: first.name } });
    expect(afterMessage).toMatchObject({ message_id: null, duplicate: { reply: first.reply } });
  });

  it('tells a lost bet from a won one when the campaigns changed since the bet', async () => {
    const writer = createFirstContactWriter(database);
    const result = await writer.bet({ row: signing(), campaignsText: '[]' });
    expect(result).toMatchObject({
      message_id: null,
      signature_id: null,
      supporter: null,
      campaigns: campaignsText,
    });
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
