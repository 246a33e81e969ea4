import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_OPEN_DAYS, loadDemoCampaigns } from '../../src/campaigns/demo.js';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const now = new Date('2026-11-22T10:00:00Z');

describe('demo campaigns', () => {
  it('loads the urgent actions with MAGAMED open for 14 days and only fictional fax numbers and addresses', async () => {
    const results = await loadDemoCampaigns({
      db: database.db,
      clock: () => now,
      campaigns: createCampaignsService({
        db: database.db,
        clock: () => now,
        faxBatches: faxBatchesOfCampaigns,
      }),
    });
    expect(results.every((result) => result.loaded)).toBe(true);

    const { rows } = await database.pool.query(
      'SELECT keyword, status, closes_at, is_demo, letter_body FROM campaigns ORDER BY id',
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((row) => row.is_demo)).toBe(true);
    const magamed = rows.find((row) => row.keyword === 'MAGAMED');
    expect(magamed?.status).toBe('open');
    expect(magamed?.closes_at).toEqual(new Date(now.getTime() + DEMO_OPEN_DAYS * 86_400_000));
    expect(magamed?.letter_body).toContain('Magamed Abubakarov');

    const targets = await database.pool.query('SELECT fax_numbers, emails, language FROM targets');
    const numbers = targets.rows.flatMap((row) => row.fax_numbers as string[]);
    expect(numbers.length).toBeGreaterThan(0);
    for (const number of numbers) expect(number).toMatch(/^\+442079460\d{3}$/);
    // E-mail too reaches no real authority: example.org is reserved for examples.
    const emails = targets.rows.flatMap((row) => row.emails as string[]);
    expect(emails.length).toBeGreaterThan(0);
    for (const email of emails) expect(email).toMatch(/@example\.org$/);
    // The Russian authorities read the fixed parts of the letter in Russian.
    expect(targets.rows.every((row) => row.language === 'ru')).toBe(true);
  });

  it('loading again keeps what is there', async () => {
    const results = await loadDemoCampaigns({
      db: database.db,
      clock: () => now,
      campaigns: createCampaignsService({
        db: database.db,
        clock: () => now,
        faxBatches: faxBatchesOfCampaigns,
      }),
    });
    expect(results.every((result) => !result.loaded)).toBe(true);
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM campaigns');
    expect(rows[0].n).toBe(results.length);
  });
});
