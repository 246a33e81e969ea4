import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirstContactWriter } from '../../src/sms/first-contacts.js';
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
    name,
    opted_in: true,
    no_call: false,
    received_at: new Date().toISOString(),
    message_sid: `SMwriter${n}`,
    consent_terms: 'terms',
    source: 'sms',
    pending_campaign_id: null,
    pending_attempts: 0,
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
