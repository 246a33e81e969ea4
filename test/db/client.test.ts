import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { isDatabaseUnreachable } from '../../src/db/unreachable.js';
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

  it('drops a connection that found the server read-only (a failover), so the next one reaches the primary', async () => {
    const database = createDatabase(`${POSTGRES_URL}/postgres`, { max: 1 });
    try {
      const pid = async () =>
        (await database.db.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`)).rows[0]?.pid;
      // The one pooled connection stands for one to a standby: every transaction on it is read-only.
      await database.db.execute(sql`SET SESSION default_transaction_read_only = on`);
      const before = await pid();
      const failure = await database.db
        .transaction(async (tx) => {
          await tx.execute(sql`CREATE TEMP TABLE failover_probe (x int)`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(
        (failure as { cause?: { code?: string } }).cause?.code ?? (failure as { code?: string }).code,
      ).toBe('25006');
      expect(isDatabaseUnreachable(failure)).toBe(true);
      expect(await pid()).not.toBe(before);
      const { rows } = await database.db.execute<{ read_only: string }>(
        sql`SELECT current_setting('default_transaction_read_only') AS read_only`,
      );
      expect(rows).toEqual([{ read_only: 'off' }]);
    } finally {
      await database.close();
    }
  }, 10_000);
});

describe('what counts as Postgres unreachable', () => {
  it.each([
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['ECONNRESET', 'read ECONNRESET'],
  ])('%s is an outage', (code, message) => {
    expect(isDatabaseUnreachable(Object.assign(new Error(message), { code }))).toBe(true);
    // As drizzle throws it: the driver's error as the cause of its own.
    expect(
      isDatabaseUnreachable(
        new Error('Failed query', { cause: Object.assign(new Error(message), { code }) }),
      ),
    ).toBe(true);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['22P02', 'invalid input syntax for type integer'],
  ])('%s is the data refused, not an outage', (code, message) => {
    expect(isDatabaseUnreachable(Object.assign(new Error(message), { code }))).toBe(false);
  });
});
