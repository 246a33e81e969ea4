import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSigners, openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

// The counters that campaigns' counts and charts read are kept by the statements that write
// signatures: after any mix of writes they say what counting the signatures says.
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

const campaign = (keyword: string) =>
  openCampaign(database, {
    keyword,
    title: keyword,
    letter: { body: 'Please act.' },
    targets: [{ name: 'Minister', salutation: 'Dear Minister', faxNumbers: ['+442079460111'] }],
  });

async function kept() {
  const { rows } = await database.pool.query(
    `SELECT campaign_id::int, status::text, faxed, hour, sum(n)::int AS n FROM signature_counts
      GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4`,
  );
  return rows;
}

async function counted() {
  const { rows } = await database.pool.query(
    `SELECT campaign_id::int, status::text, batch_id IS NOT NULL AS faxed, date_trunc('hour', signed_at, 'UTC') AS hour,
            count(*)::int AS n
       FROM signatures GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  return rows;
}

describe('signature counts', () => {
  it('follow inserts, moderation, batches, erasure and deletes, statement by statement', async () => {
    const first = await campaign('COUNTA');
    const second = await campaign('COUNTB');
    await insertSigners(database, first.id, 30);
    await insertSigners(database, first.id, 5, 'held');
    await insertSigners(database, second.id, 12);
    expect(await kept()).toEqual(await counted());

    await database.pool.query(
      `UPDATE signatures SET signed_at = signed_at - interval '3 hours' WHERE id % 3 = 0`,
    );
    await database.pool.query(
      `UPDATE signatures SET status = 'valid', hold_reason = NULL WHERE id % 2 = 0 AND status = 'held'`,
    );
    await database.pool.query(`UPDATE signatures SET status = 'hidden' WHERE id % 7 = 0`);
    const { rows } = await database.pool.query(
      `INSERT INTO fax_batches (campaign_id, reason, signature_count) VALUES ($1, 'manual', 0) RETURNING id`,
      [first.id],
    );
    await database.pool.query(
      `UPDATE signatures SET batch_id = $1 WHERE campaign_id = $2 AND status = 'valid' AND id % 2 = 1`,
      [rows[0].id, first.id],
    );
    // A statement that changes nothing counted changes no count.
    await database.pool.query(`UPDATE signatures SET name = name`);
    await database.pool.query(`DELETE FROM signatures WHERE id % 5 = 0`);
    expect(await kept()).toEqual(await counted());
    expect((await counted()).length).toBeGreaterThan(4);

    await database.pool.query('TRUNCATE signatures');
    expect(await kept()).toEqual([]);
  });
});
