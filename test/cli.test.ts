import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandName } from '../src/cli-name.js';
import { POSTGRES_URL } from './helpers/database.js';

/** The command line as a person meets it: help, mistakes, and a server or database that is not there. */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.PUBLIC_BASE_URL;
  return new Promise((resolve) => {
    execFile(
      'node_modules/.bin/tsx',
      ['src/cli.ts', ...args],
      { env: { ...base, NODE_ENV: 'development', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const STACK_FRAME = /^\s+at /m;
let port: number;
let runs: Record<string, Run>;

beforeAll(async () => {
  port = await closedPort();
  // Nothing listens on `port`: the server the sms command looks for from HOST and PORT is down.
  const noServer = { PORT: String(port), HOST: '127.0.0.1' };
  const noDatabase = { DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/pocketprotest' };
  const cases: Record<string, [string[], Record<string, string>?]> = {
    help: [['--help']],
    h: [['-h']],
    helpCommand: [['help']],
    helpSms: [['help', 'sms']],
    nothing: [[]],
    helpByNpm: [['--help'], { npm_lifecycle_event: 'cli' }],
    typo: [['smss']],
    missingRole: [['staff', 'create', '--email', 'ana@example.org']],
    badPhone: [['sms', '--from', '12', 'MAGAMED Jane Smith']],
    noServer: [['sms', '--from', '+447700900123', 'MAGAMED Jane Smith'], noServer],
    noServerVerbose: [['sms', '--verbose', '--from', '+447700900123', 'MAGAMED Jane Smith'], noServer],
    noDatabase: [['db', 'migrate'], { ...noDatabase, REDIS_URL: 'redis://127.0.0.1:1' }],
  };
  const entries = await Promise.all(
    Object.entries(cases).map(async ([name, [args, env]]) => [name, await cli(args, env)] as const),
  );
  runs = Object.fromEntries(entries);
}, 120_000);

describe('npm run cli', () => {
  it('--help, -h and help print the same help, with every command and the exit codes, and exit 0', () => {
    const help = runs.help as Run;
    expect(help.code).toBe(0);
    for (const command of ['staff', 'demo', 'sms', 'db', 'help [command]', '--verbose']) {
      expect(help.stdout).toContain(command);
    }
    expect(help.stdout).toContain('Exit codes: 0 done; 1 the command failed');
    expect(runs.h).toEqual(help);
    expect(runs.helpCommand).toEqual(help);
  });

  it('names itself as it was started, in its usage line and its examples', () => {
    expect(runs.help?.stdout).toContain('Usage: npx tsx src/cli.ts [options] [command]');
    expect(runs.help?.stdout).toContain(
      '  npx tsx src/cli.ts staff create --email ana@example.org --role admin',
    );
    expect(runs.helpByNpm?.stdout).toContain('Usage: npm run -s cli -- [options] [command]');
    expect(runs.helpByNpm?.stdout).toContain('  npm run -s cli -- demo');
    expect(commandName('/app/dist/src/cli.js', null, '/app')).toBe('node dist/src/cli.js');
    expect(commandName('dist/src/cli.js', null, '/app')).toBe('node dist/src/cli.js');
    expect(commandName('/usr/local/bin/pocket-protest', null, '/srv')).toBe('pocket-protest');
    expect(commandName('/app/dist/src/cli.js', 'cli', '/app')).toBe('npm run -s cli --');
  });

  it('help sms explains each of its options', () => {
    expect(runs.helpSms?.code).toBe(0);
    expect(runs.helpSms?.stdout).toMatch(/--from <number>\s+the supporter's phone number/);
    expect(runs.helpSms?.stdout).toMatch(/--to <number>\s+the number texted \(default: "70505"\)/);
    expect(runs.helpSms?.stdout).toMatch(
      /--server <url>\s+where the server is \(default: PUBLIC_BASE_URL when set/,
    );
  });

  it('answers a mistake with one line, a pointer to the help and exit code 2', () => {
    expect(runs.nothing?.code).toBe(2);
    expect(runs.nothing?.stderr).toContain('Usage: npx tsx src/cli.ts [options] [command]');
    expect(runs.typo).toMatchObject({ code: 2, stdout: '' });
    expect(runs.typo?.stderr).toBe(
      "error: unknown command 'smss'\n(Did you mean sms?)\n(add --help for usage)\n",
    );
    expect(runs.missingRole?.code).toBe(2);
    expect(runs.missingRole?.stderr).toContain("error: required option '--role <role>' not specified");
    expect(runs.badPhone?.code).toBe(2);
    expect(runs.badPhone?.stderr).toContain('Give a phone number such as +447700900123.');
  });

  it('sms names the address it tried, from HOST and PORT, in one line without a stack trace', () => {
    expect(runs.noServer?.code).toBe(1);
    expect(runs.noServer?.stderr).toBe(
      `error: Cannot reach the server at http://127.0.0.1:${port} (from HOST and PORT): connect ECONNREFUSED 127.0.0.1:${port}. Is \`npm start\` running?\n`,
    );
    expect(runs.noServerVerbose?.code).toBe(1);
    expect(runs.noServerVerbose?.stderr).toMatch(STACK_FRAME);
  });

  it('a database that is not there is named by its variable and address, without its password', () => {
    expect(runs.noDatabase?.code).toBe(1);
    expect(runs.noDatabase?.stderr).toContain(
      'error: Cannot reach Postgres at postgres://postgres:***@127.0.0.1:1/pocketprotest (DATABASE_URL)',
    );
    expect(runs.noDatabase?.stderr).not.toContain('s3cret');
    expect(runs.noDatabase?.stderr).not.toMatch(STACK_FRAME);
    expect(runs.noDatabase?.stderr.trim().split('\n')).toHaveLength(1);
    expect(POSTGRES_URL).toBeTruthy();
  });
});
