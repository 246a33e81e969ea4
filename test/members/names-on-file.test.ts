import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLD_RULES } from '../../src/supporters/names.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Names on file stored before they were stamped with the hold rules they pass (a database from before
 * the stamp, or a change of the rules) are checked again by the workers, so that their members' texts
 * are written in one statement again.
 */

let database: TestDatabase;
let workers: TestWorkers | undefined;

const NAMES = ['Olga Ivanova', 'Mickey Mouse', 'Jane Smith', '王小明'];

async function stamps(): Promise<Record<string, string | null>> {
  const { rows } = await database.pool.query('SELECT name, name_cleared_under FROM supporters ORDER BY id');
  return Object.fromEntries(rows.map((row) => [row.name, row.name_cleared_under]));
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool.query(
    `INSERT INTO supporters (phone_ciphertext, phone_index, name, name_cleared_under, source)
     SELECT 'c' || n, 'i' || n, name, CASE WHEN n = 3 THEN 'older rules' END, 'import:test'
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)`,
    [NAMES],
  );
});

afterAll(async () => {
  await workers?.close();
  await database.drop();
});

describe('names on file under older hold rules', () => {
  it('are checked again when a worker starts: those that pass are stamped, held ones are not', async () => {
    workers = await startTestWorkers(database, { env: {}, queuePrefix: uniqueQueuePrefix() });

    const expected = {
      'Olga Ivanova': HOLD_RULES,
      'Mickey Mouse': null,
      'Jane Smith': HOLD_RULES,
      王小明: null,
    };
    await waitFor(
      async () => JSON.stringify(await stamps()) === JSON.stringify(expected),
      'the names stamped',
    );
    expect(await stamps()).toEqual(expected);
    expect(workers.logs.lines.join('\n')).not.toMatch(/Olga|Mickey|Jane/);
  });
});
