import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { POSTGRES_URL } from '../helpers/database.js';

describe('the database client in an outage', () => {
  it('gives back the connection of a transaction whose BEGIN failed (a connection Postgres dropped)', async () => {
    // One connection: a leaked one would leave none for the next statement.
    const database = createDatabase(`${POSTGRES_URL}/postgres`, { max: 1 });
    try {
      await database.db.execute(sql`SELECT 1`);
      // The pooled connection dies as it is handed out, before BEGIN is sent.
      database.pool.once('acquire', (client) => {
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      });
      await expect(database.db.transaction(async () => {})).rejects.toThrow();
      const { rows } = await database.db.execute<{ one: number }>(sql`SELECT 1 AS one`);
      expect(rows).toEqual([{ one: 1 }]);
      expect(database.pool.totalCount).toBe(database.pool.idleCount);
    } finally {
      await database.close();
    }
  }, 10_000);
});
