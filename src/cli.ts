import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { commandName } from './cli-name.js';
import { type Config, ConfigError, loadConfig, loadDotEnv, npmScript } from './config.js';
import { AppError } from './errors.js';
import { localServerUrl, reason, safeUrl } from './ops/addresses.js';
import type { Services } from './services.js';
import type { StaffRole } from './staff/service.js';

/** Also in src/sms/simulator.ts and src/staff/passwords.ts; repeated so that help loads neither. */
const DEFAULT_SHORTCODE = '70505';
const MIN_PASSWORD_LENGTH = 12;
/** src/staff/service.ts's STAFF_ROLES; the type below fails to compile if a role is left out. */
const ROLES = ['admin', 'campaigner', 'viewer'] as const satisfies readonly StaffRole[];
const everyRole: Exclude<StaffRole, (typeof ROLES)[number]> extends never ? true : never = true;

/**
 * The command line (`npm run -s cli -- …`, `node dist/src/cli.js …` in the image), on commander: help for
 * every command and option (`--help`, `-h`, `help [command]`). Exit codes: 0 done; 1 the command failed
 * (a setting, the database, the server), said in one line, with the stack trace only under `--verbose`;
 * 2 a mistake in the command line itself, said with a pointer to the help.
 */

/** A failure fully said by its message. */
class CliError extends Error {}

function configuration(): Config {
  loadDotEnv();
  return loadConfig();
}

// What a command needs is loaded when it runs, so that help and mistakes answer at once.

async function migrate(config: Config): Promise<void> {
  const { migrateDatabase } = await import('./db/migrate.js');
  // On stderr, so that what a command prints stays alone on stdout.
  await migrateDatabase(config.databaseUrl, (message) => console.error(`migration: ${message}`)).catch(
    (error: unknown) => {
      throw new CliError(
        `Cannot reach Postgres at ${safeUrl(config.databaseUrl)} (DATABASE_URL): ${reason(error)}. ` +
          `Start Postgres or fix DATABASE_URL.`,
      );
    },
  );
}

async function withServices<T>(config: Config, run: (services: Services) => Promise<T>): Promise<T> {
  await migrate(config);
  const [{ createDatabase }, { createRedis }, { createServices }, { createLogger }] = await Promise.all([
    import('./db/client.js'),
    import('./queue/connection.js'),
    import('./services.js'),
    import('./logger.js'),
  ]);
  const database = createDatabase(config.databaseUrl, { max: 2 });
  // Commands enqueue through the outbox, so this connection is never opened; logs go to stderr so
  // that what a command prints (a token) stays alone on stdout.
  const redis = createRedis(config.redis, { lazy: true });
  try {
    return await run(
      createServices({ config, database, redis, logger: createLogger('warn', process.stderr) }),
    );
  } finally {
    redis.disconnect();
    await database.close();
  }
}

/** The whole of stdin when it is piped; otherwise a prompt whose input is not echoed. */
async function readPassword(): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  stderr.write(`Password (at least ${MIN_PASSWORD_LENGTH} characters, not shown): `);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          stderr.write('\n');
          return resolve(typed);
        }
        if (char === '\u0003') {
          finish();
          return reject(new CliError('cancelled'));
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

/** Where `sms` sends its request, and which setting said so (for the error when nobody answers). */
function serverAddress(config: Config, option: string | undefined): { url: string; from: string } {
  if (option) return { url: option.replace(/\/+$/, ''), from: '--server' };
  if (config.publicBaseUrlSet) return { url: config.publicBaseUrl, from: 'PUBLIC_BASE_URL' };
  return { url: localServerUrl(config.host, config.port), from: 'HOST and PORT' };
}

/** Why a reply may be empty, and what the "no campaign" answer means: what a new user needs to know. */
async function explainReply(config: Config, messages: string[], name: string): Promise<string[]> {
  if (messages.length === 0) {
    return [
      '(no reply) The server answered with no text. It stays silent for a number that has had',
      `SMS_REPLIES_PER_HOUR (${config.sms.repliesPerHour}) replies in the past hour: ` +
        `the flood guard (a STOP is`,
      'still confirmed). Text from another --from number, or wait an hour.',
      ...(config.twilio.managesOptOut
        ? ['With TWILIO_MANAGES_OPT_OUT=true it also leaves STOP, START and HELP to Twilio to answer.']
        : []),
    ];
  }
  const { createReplies } = await import('./sms/replies.js');
  const replies = createReplies(config);
  const noCampaign = messages.some((m) => m === replies.unknown([]) || m === replies.help([]));
  return noCampaign
    ? [
        '',
        `(No campaign is open, so the server could only say so. \`${name} demo\` loads the`,
        'demo urgent actions and opens MAGAMED.)',
      ]
    : [];
}

async function sms(
  config: Config,
  words: string[],
  options: { from: string; to?: string; server?: string },
  name: string,
): Promise<void> {
  // The signature always covers PUBLIC_BASE_URL; --server reaches a process behind a proxy or tunnel.
  const server = serverAddress(config, options.server);
  const { sendSimulatedText } = await import('./sms/simulator.js');
  const result = await sendSimulatedText({
    serverUrl: server.url,
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilio.authToken,
    accountSid: config.twilio.accountSid,
    from: options.from,
    to: options.to ?? DEFAULT_SHORTCODE,
    body: words.join(' '),
  }).catch((error: unknown) => {
    throw new CliError(
      `Cannot reach the server at ${server.url} (from ${server.from}): ` +
        `${reason((error as Error).cause ?? error)}. Is \`npm start\` running?`,
    );
  });
  if (result.status === 403) {
    throw new CliError(
      `The server at ${server.url} refused the signature (403): ` +
        `it has another TWILIO_AUTH_TOKEN or PUBLIC_BASE_URL (${config.publicBaseUrl}) than this terminal.`,
    );
  }
  if (result.status !== 200) {
    throw new CliError(
      `The server at ${server.url} answered ${result.status}: ${result.twiml.slice(0, 300)}`,
    );
  }
  for (const line of [...result.messages, ...(await explainReply(config, result.messages, name))])
    console.log(line);
}

/** Shaped like E.164 or a national number; the server reads it as Twilio would pass it. */
function phoneNumber(value: string): string {
  if (!/^\+?[0-9][0-9 ()-]{5,19}$/.test(value)) {
    throw new InvalidArgumentError('Give a phone number such as +447700900123.');
  }
  return value;
}

export function buildProgram(name: string): Command {
  const program = new Command()
    .name(name)
    .description(
      'Pocket Protest from the command line: staff accounts, the demo actions, texting the running server.',
    )
    .option('--verbose', 'when a command fails, print the whole error with its stack trace')
    .helpOption('-h, --help', 'show help (also: help [command])')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Settings come from .env and the environment (see .env.example).
Exit codes: 0 done; 1 the command failed (setting, database, server); 2 a mistake in the command line.

Examples:
  ${name} demo
  ${name} sms --from +447700900123 "MAGAMED Jane Smith"
  ${name} staff create --email ana@example.org --role admin
  ${name} help sms`,
    );

  const staff = program.command('staff').description('staff accounts: create one, set a console password');
  staff
    .command('create')
    .description('create a staff member; prints their API token, alone, on the last line')
    .requiredOption('--email <address>', 'their e-mail address (their sign-in name)')
    .addOption(
      new Option(
        '--role <role>',
        'what they may do: viewer reads, campaigner runs actions, admin also manages staff',
      )
        .choices(everyRole ? ROLES : [])
        .makeOptionMandatory(),
    )
    .action(async (options: { email: string; role: StaffRole }) => {
      const config = configuration();
      const { staff: member, token } = await withServices(config, ({ staff }) =>
        staff.create({ email: options.email, role: options.role }),
      );
      console.log(
        `Created ${member.role} ${member.email} (id ${member.id}). Their API token, shown only this once:`,
      );
      console.log(token);
    });
  staff
    .command('password')
    .description(
      `set a console password (at least ${MIN_PASSWORD_LENGTH} characters), read from stdin or prompted`,
    )
    .requiredOption('--email <address>', 'the staff member')
    .action(async (options: { email: string }) => {
      const config = configuration();
      const password = await readPassword();
      const { setStaffPassword } = await import('./staff/passwords.js');
      const member = await withServices(config, ({ database }) =>
        setStaffPassword(database.db, { email: options.email, password }, null),
      );
      console.log(`Set the console password of ${member.email} (id ${member.id}).`);
    });

  program
    .command('demo')
    .description('load the demo urgent actions (fictional fax numbers; MAGAMED opens for 14 days)')
    .action(async () => {
      const config = configuration();
      const { loadDemoCampaigns } = await import('./campaigns/demo.js');
      const results = await withServices(config, ({ database, clock, campaigns }) =>
        loadDemoCampaigns({ db: database.db, clock, campaigns }),
      );
      for (const result of results) {
        const state = result.loaded ? 'loaded' : 'already there';
        console.log(
          `${result.keyword.padEnd(10)} ${result.status.padEnd(7)} ${state.padEnd(14)} ${result.title}`,
        );
      }
    });

  program
    .command('sms')
    .description('text the running server as Twilio would (a signed webhook) and print its reply')
    .argument('<text...>', 'what the supporter texts, e.g. "MAGAMED Jane Smith"')
    .requiredOption('--from <number>', "the supporter's phone number, e.g. +447700900123", phoneNumber)
    .option('--to <number>', 'the number texted', DEFAULT_SHORTCODE)
    .option(
      '--server <url>',
      'where the server is (default: PUBLIC_BASE_URL when set, else http://HOST:PORT)',
    )
    .action(async (words: string[], options: { from: string; to?: string; server?: string }) => {
      await sms(configuration(), words, options, name);
    });

  const settings = program
    .command('config')
    .description('the settings (every variable: src/config-variables.ts)');
  settings
    .command('example')
    .description('print .env.example as the settings define it: every variable, its default and what it does')
    .action(async () => {
      const { envExample } = await import('./config-variables.js');
      process.stdout.write(envExample());
    });

  const db = program.command('db').description('the database');
  db.command('migrate')
    .description('create the database if needed and apply every migration')
    .action(async () => {
      await migrate(configuration());
      console.log('Database is up to date.');
    });

  // Every command answers a mistake with one line and exit code 2, and its help with 0.
  for (const command of [
    program,
    ...program.commands,
    ...staff.commands,
    ...settings.commands,
    ...db.commands,
  ]) {
    command.exitOverride();
    command.showHelpAfterError('(add --help for usage)');
  }
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram(commandName(process.argv[1] ?? 'cli.js', npmScript(), process.cwd()));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for exits 0; help shown for a missing command, and every other mistake, exit 2.
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = program.opts().verbose === true || argv.includes('--verbose');
    if (verbose) console.error(error);
    else if (error instanceof CliError || error instanceof ConfigError || error instanceof AppError) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(`error: ${reason(error)} (run again with --verbose for the details)`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
