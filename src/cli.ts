import { parseArgs } from 'node:util';
import { loadDemoCampaigns } from './campaigns/demo.js';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js';
import { createDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { AppError } from './errors.js';
import { createLogger } from './logger.js';
import { createRedis } from './queue/connection.js';
import { createServices, type Services } from './services.js';
import { DEFAULT_SHORTCODE, sendSimulatedText } from './sms/simulator.js';
import { MIN_PASSWORD_LENGTH, setStaffPassword } from './staff/passwords.js';
import { STAFF_ROLES, type StaffRole } from './staff/service.js';

const USAGE = `Usage: npm run -s cli -- <command>

  staff create --email E --role admin|campaigner|viewer   create a staff member; prints the API token last
  staff password --email E                                set their console password, read from stdin
  demo                                                    load the demo urgent actions (MAGAMED opens)
  sms --from +447700900123 [--to 70505] "MAGAMED Jane Smith"
                                                          text the running server as Twilio would; prints the reply
  db migrate                                              create the database if needed and migrate it
`;

class UsageError extends Error {}

async function withServices<T>(config: Config, run: (services: Services) => Promise<T>): Promise<T> {
  await migrateDatabase(config.databaseUrl);
  const database = createDatabase(config.databaseUrl, { max: 2 });
  // Commands enqueue through the outbox, so this connection is never opened; logs go to stderr so
  // that what a command prints (a token) stays alone on stdout.
  const redis = createRedis(config.redisUrl, { lazy: true });
  try {
    return await run(
      createServices({ config, database, redis, logger: createLogger('warn', process.stderr) }),
    );
  } finally {
    redis.disconnect();
    await database.close();
  }
}

async function staffCreate(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, role: { type: 'string' } } });
  if (!values.email || !values.role) throw new UsageError('staff create needs --email and --role');
  if (!STAFF_ROLES.includes(values.role as StaffRole)) {
    throw new UsageError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
  }
  const { staff, token } = await withServices(config, ({ staff }) =>
    staff.create({
      email: values.email as string,
      role: values.role as StaffRole,
    }),
  );
  console.log(
    `Created ${staff.role} ${staff.email} (id ${staff.id}). Their API token, shown only this once:`,
  );
  console.log(token);
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
          return reject(new UsageError('cancelled'));
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

async function staffPassword(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' } } });
  if (!values.email) throw new UsageError('staff password needs --email');
  const email = values.email;
  const password = await readPassword();
  const member = await withServices(config, ({ database }) =>
    setStaffPassword(database.db, { email, password }, null),
  );
  console.log(`Set the console password of ${member.email} (id ${member.id}).`);
}

async function demo(config: Config): Promise<void> {
  const results = await withServices(config, ({ database, clock, campaigns }) =>
    loadDemoCampaigns({ db: database.db, clock, campaigns }),
  );
  for (const result of results) {
    const state = result.loaded ? 'loaded' : 'already there';
    console.log(
      `${result.keyword.padEnd(10)} ${result.status.padEnd(7)} ${state.padEnd(14)} ${result.title}`,
    );
  }
}

async function sms(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, server: { type: 'string' } },
  });
  if (!values.from || positionals.length === 0) throw new UsageError('sms needs --from and the text to send');
  // The signature always covers PUBLIC_BASE_URL; --server reaches a process behind a proxy or tunnel.
  const server = values.server ?? config.publicBaseUrl;
  const result = await sendSimulatedText({
    serverUrl: server,
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilio.authToken,
    accountSid: config.twilio.accountSid,
    from: values.from,
    to: values.to ?? DEFAULT_SHORTCODE,
    body: positionals.join(' '),
  }).catch((error: unknown) => {
    throw new Error(`Could not reach ${server} (is npm start running?): ${(error as Error).message}`);
  });
  if (result.status !== 200) throw new Error(`The server answered ${result.status}: ${result.twiml}`);
  console.log(result.messages.length > 0 ? result.messages.join('\n') : '(no reply: empty TwiML)');
}

async function run(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  loadDotEnv();
  const config = loadConfig();
  if (command === 'staff' && sub === 'create') return staffCreate(config, rest);
  if (command === 'staff' && sub === 'password') return staffPassword(config, rest);
  if (command === 'demo') return demo(config);
  if (command === 'sms') return sms(config, [sub ?? '', ...rest].filter(Boolean));
  if (command === 'db' && sub === 'migrate') {
    await migrateDatabase(config.databaseUrl);
    console.log('Database is up to date.');
    return;
  }
  throw new UsageError(command ? `Unknown command: ${argv.join(' ')}` : 'No command given');
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof AppError) {
    console.error(error.message);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
