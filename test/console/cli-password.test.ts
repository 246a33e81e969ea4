import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStaffPassword } from '../../src/staff/passwords.js';
import { createStaffService } from '../../src/staff/service.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await createStaffService({ db: database.db, clock: () => new Date() }).create({
    email: 'Ana@Example.org',
    role: 'campaigner',
  });
});
afterAll(() => database.drop());

/** The CLI with `input` piped to its stdin (so it does not prompt). */
function cli(input: string, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      'npx',
      ['tsx', 'src/cli.ts', ...args],
      { env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'test' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe('staff password', () => {
  it('stores an argon2id hash of the password read from stdin, and audits it without the hash', async () => {
    const result = await cli('a long enough password\n', 'staff', 'password', '--email', 'ana@example.org');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Set the console password of Ana@Example.org');
    const { rows } = await database.pool.query(`SELECT password_hash FROM staff`);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyStaffPassword(database.db, 'ana@example.org', 'a long enough password')).toMatchObject(
      {
        role: 'campaigner',
      },
    );
    const audit = await database.pool.query(
      `SELECT action, after FROM audit_log WHERE action = 'staff.password'`,
    );
    expect(audit.rows).toEqual([{ action: 'staff.password', after: { passwordSet: true } }]);
  });

  it('refuses a password shorter than 12 characters and an unknown e-mail', async () => {
    const short = await cli('too short\n', 'staff', 'password', '--email', 'ana@example.org');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 12 characters');
    const unknown = await cli(
      'a long enough password\n',
      'staff',
      'password',
      '--email',
      'nobody@example.org',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no staff member with e-mail nobody@example.org');
  });
});
