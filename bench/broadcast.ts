/**
 * `npx tsx bench/broadcast.ts`: an action alert to a 20,000-member network through the real workers,
 * the real twilio package and a fake Twilio at SMS_MAX_PER_SECOND=200. Reports the send rate against
 * the configured one, duplicates, and texts to members who opted out before or during the broadcast
 * (both must be 0).
 */
import { randomBytes } from 'node:crypto';
import { createBroadcastsService } from '../src/broadcasts/service.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { createReceiptsService } from '../src/fax/receipts.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/queue/connection.js';
import { createServices } from '../src/services.js';
import { createPhoneCrypto } from '../src/supporters/phone.js';
import { startFakeTwilio } from '../test/fakes/twilio.js';
import { startWorkers } from '../workers/index.js';
import { freshBenchDatabase, openBenchCampaign } from './setup.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/pp_bench_broadcast';
const MEMBERS = Number(process.env.BENCH_BROADCAST_MEMBERS ?? 20_000);
const RATE = 200;
const OPTED_OUT_BEFORE = Math.floor(MEMBERS / 40);
const OPTED_OUT_DURING = Math.floor(MEMBERS / 40);
const INSERT_CHUNK = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchBroadcast(): Promise<Array<Record<string, string | number>>> {
  await freshBenchDatabase('pp_bench_broadcast');
  // An account SID of the form Twilio's definition gives one: the fake answers with it.
  const probe = loadConfig({ NODE_ENV: 'test', TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef' });
  const fake = await startFakeTwilio(probe.twilio.accountSid, probe.twilio.authToken);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL,
    LOG_LEVEL: 'warn',
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_ACCOUNT_SID: probe.twilio.accountSid,
    TWILIO_API_BASE_URL: fake.url,
    SMS_MAX_PER_SECOND: String(RATE),
    SMS_QUIET_HOURS: 'off',
  });
  const database = createDatabase(DATABASE_URL, { max: 30 });
  const crypto = createPhoneCrypto(config.phone);

  // Members straight into the table, as years of texting JOIN would have left them.
  const phones: string[] = [];
  for (let start = 0; start < MEMBERS; start += INSERT_CHUNK) {
    const chunk = Array.from({ length: Math.min(INSERT_CHUNK, MEMBERS - start) }, (_, i) => {
      const phone = `+4477${String(10_000_000 + start + i).slice(-8)}`;
      phones.push(phone);
      return phone;
    });
    await database.pool.query(
      `INSERT INTO supporters (phone_ciphertext, phone_index, consent_at, source)
       SELECT c, i, now(), 'sms' FROM unnest($1::text[], $2::text[]) AS t(c, i)`,
      [chunk.map((p) => crypto.encrypt(p)), chunk.map((p) => crypto.blindIndex(p))],
    );
  }
  const optedOut = new Set<string>();
  const { rows: before } = await database.pool.query(
    `UPDATE supporters SET opted_in = false, opted_out_at = now() WHERE id % $1 = 0 RETURNING phone_ciphertext`,
    [Math.floor(MEMBERS / OPTED_OUT_BEFORE)],
  );
  for (const row of before) optedOut.add(crypto.decrypt(row.phone_ciphertext));

  const campaignId = await openBenchCampaign(database.db);

  const redis = createRedis(config.redis);
  const workers = await startWorkers({
    services: createServices({
      config,
      database,
      redis,
      logger: createLogger('warn'),
    }),
    queuePrefix: `pp_bench_${randomBytes(4).toString('hex')}`,
  });
  const broadcasts = createBroadcastsService({
    db: database.db,
    clock: () => new Date(),
    config,
    receipts: createReceiptsService({ db: database.db, config }),
  });
  const alert = {
    body: 'URGENT: lawyer Magamed Abubakarov threatened. Text MAGAMED and your name to sign.',
    audience: 'network',
  };
  // Confirmed as staff would: with the audience size the preview states.
  const { audienceSize } = await broadcasts.preview(campaignId, alert);
  const created = await broadcasts.create(campaignId, { ...alert, confirm: audienceSize }, null);

  // A few seconds in, the members texted last (by id) text STOP.
  while (fake.messages.length < RATE * 3) await sleep(50);
  const { rows: during } = await database.pool.query(
    `UPDATE supporters SET opted_in = false, opted_out_at = now()
     WHERE id IN (SELECT supporter_id FROM outbound_messages WHERE broadcast_id = $1 AND status = 'queued'
                  ORDER BY supporter_id DESC LIMIT $2)
     RETURNING phone_ciphertext`,
    [created.id, OPTED_OUT_DURING],
  );
  for (const row of during) optedOut.add(crypto.decrypt(row.phone_ciphertext));

  let progress = await broadcasts.progress(created.id);
  while (progress.status !== 'done') {
    await sleep(250);
    progress = await broadcasts.progress(created.id);
  }

  const messages = fake.messages.filter((m) => m.body.startsWith('URGENT:'));
  const first = messages[0]?.at ?? 0;
  const last = messages.at(-1)?.at ?? 0;
  const measured = messages.length > 1 ? ((messages.length - 1) * 1000) / (last - first) : 0;
  const duplicates = messages.length - new Set(messages.map((m) => m.to)).size;
  const toOptedOut = messages.filter((m) => optedOut.has(m.to)).length;

  await Promise.all(Object.values(workers.queues).map((queue) => queue.obliterate({ force: true })));
  await workers.close();
  redis.disconnect();
  await fake.close();
  await database.close();

  return [
    {
      members: MEMBERS.toLocaleString('en-GB'),
      'opted out before / during': `${before.length} / ${during.length}`,
      audience: created.audienceSize,
      sent: messages.length,
      'skipped at send': progress.skippedOptedOut,
      'configured /s': RATE,
      'measured /s': Number(measured.toFixed(1)),
      'of configured': `${((measured / RATE) * 100).toFixed(1)}%`,
      duplicates,
      'texts to opted-out': toOptedOut,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchBroadcast());
  process.exit(0);
}
