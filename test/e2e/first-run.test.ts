import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

/**
 * What a new user does after cloning, on a port other than 3000 and with no PUBLIC_BASE_URL: start
 * the product as `npm start` does, read its banner, then run the README's walkthrough — the shell
 * blocks marked `<!-- walkthrough -->`, as they are written.
 */
const databaseUrl = uniqueDatabaseUrl();
const REPLIES_PER_HOUR = 2;
let server: ChildProcess;
let banner = '';
let env: NodeJS.ProcessEnv;
let base: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, maxBuffer: 10_000_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const cli = (...args: string[]) => run('node_modules/.bin/tsx', ['src/cli.ts', ...args]);

/** The README's walkthroughs: each ```sh block right after a `<!-- walkthrough -->` line, in order. */
function walkthroughs(readme: string): string[] {
  return [...readme.matchAll(/<!-- walkthrough -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

function walkthrough(readme: string): string {
  return walkthroughs(readme).join('\n');
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  env = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    FAX_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'pp-outbox-')),
    SMS_REPLIES_PER_HOUR: String(REPLIES_PER_HOUR),
  };
  delete env.PUBLIC_BASE_URL;
  // `npm start`, without npm in between (so that SIGTERM reaches the server itself).
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts
    .start;
  const [command, ...args] = start.split(' ');
  server = spawn(`node_modules/.bin/${command}`, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr?.on('data', (chunk: Buffer) => {
    banner += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (banner.includes('Try it from another terminal')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server printed no banner: ${banner}`);
}, 70_000);

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await dropDatabase(databaseUrl);
});

describe('first run, on another port', () => {
  it('npm start says where the console, the API docs and the health check are, and that it is a dry run', async () => {
    for (const line of [
      `Console        ${env.PUBLIC_BASE_URL ?? base.replace('localhost', '127.0.0.1')}/console`,
    ]) {
      expect(banner).toContain(line);
    }
    expect(banner).toContain('/docs');
    expect(banner).toContain('/readyz');
    expect(banner).toContain('npm run -s cli -- sms --from +447700900123 "MAGAMED Jane Smith"');
    expect(banner).toContain('texts are logged, not sent (SMS_PROVIDER=log)');
    expect(banner).toContain(
      'Warning: the letterhead is incomplete: ORG_ADDRESS, ORG_EMAIL and ORG_PHONE are not set',
    );
    expect(banner).toContain(`Public URL     ${base} (PUBLIC_BASE_URL)`);
    const root = await fetch(`${base.replace('localhost', '127.0.0.1')}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
  });

  it('sms, before any campaign, says how to load the demo', async () => {
    const { code, stdout } = await cli('sms', '--from', '+447700900999', 'HELLO');
    expect(code).toBe(0);
    expect(stdout).toContain('No action is open right now');
    // Named as this test started it (tsx, not npm run): the hint works where it is read.
    expect(stdout).toContain('`npx tsx src/cli.ts demo` loads the');
  });

  it("runs the README's walkthrough as written: demo, a text, the staff API, a fax written", async () => {
    const script = walkthrough(readFileSync('README.md', 'utf8'));
    expect(script).toMatch(/^BASE=http:\/\/localhost:\$\{PORT:-3000\}/m);
    expect(script).not.toContain('localhost:3000');
    const { code, stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', script]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/MAGAMED\s+open\s+loaded/);
    expect(stdout).toContain('Thank you Jane Smith, your name will be on our fax');
    expect(stdout).toContain('{"status":"ready","checks":{"db":"up","redis":"up","spool":"idle"}}');
    expect(stdout).toContain('Thank you, Jane Smith! Your name will be on the IGOR fax.');
    expect(stdout).toMatch(/"items":\[\{"id":"\d+","name":"Jane Smith","status":"valid"/);
    // `ls` of the batch's folder in the outbox: the fax the file provider wrote.
    expect(stdout).toMatch(/1\.pdf$/m);
  }, 120_000);

  it('each walkthrough stands alone; run again as pasted, the staff one stops at its first step, saying why', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const [, api] = walkthroughs(readme);
    // Without -e or pipefail, as a terminal runs what is pasted into it.
    const { code, stdout, stderr } = await run('bash', ['-c', api as string]);
    expect(code).toBe(1);
    expect(stderr).toContain('Walkthrough stopped: staff create made no token');
    expect(`${stdout}${stderr}`).not.toContain('undefined');
    expect(stdout).not.toContain('"items"');
    // Its staff member is made nowhere else in the README, so the order they are done in does not matter.
    const emails = [...readme.matchAll(/staff create --email (\S+)/g)].map((m) => m[1]);
    const own = /staff create --email (\S+)/.exec(api as string)?.[1];
    expect(emails.filter((email) => email === own)).toHaveLength(1);
  }, 60_000);

  it('sms, past the flood guard, explains the empty reply', async () => {
    // The walkthrough texted twice from this number; the server answers it SMS_REPLIES_PER_HOUR times.
    const { code, stdout } = await cli('sms', '--from', '+447700900123', 'MAGAMED');
    expect(code).toBe(0);
    expect(stdout).toContain('(no reply) The server answered with no text.');
    expect(stdout).toContain(`SMS_REPLIES_PER_HOUR (${REPLIES_PER_HOUR}) replies in the past hour`);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
