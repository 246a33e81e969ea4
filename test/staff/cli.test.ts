import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function cli(...args: string[]) {
  return run('npx', ['tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'test' },
  });
}

describe('staff create', () => {
  it('prints the new token alone on its last line and stores only its hash', async () => {
    const { stdout } = await cli('staff', 'create', '--email', 'ana@example.org', '--role', 'campaigner');
    const token = stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(token).toMatch(/^pp_[A-Za-z0-9_-]{43}$/);

    const { rows } = await database.pool.query(
      `SELECT s.email, s.role, t.* FROM staff s JOIN api_tokens t ON t.staff_id = s.id`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: 'ana@example.org', role: 'campaigner' });
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('refuses an unknown role, naming the allowed ones', async () => {
    await expect(cli('staff', 'create', '--email', 'b@example.org', '--role', 'boss')).rejects.toMatchObject({
      stderr: expect.stringContaining('admin, campaigner, viewer'),
    });
  });
});
