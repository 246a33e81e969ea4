/**
 * One step of the scale benchmark in a process of its own, so that its time and peak memory are its
 * own: `fanout DATABASE_URL BROADCAST_ID` writes a broadcast's messages as the broadcasts worker does;
 * `fax DATABASE_URL CAMPAIGN_ID` makes a batch of every waiting signature and renders every part, as
 * the fax-render worker does. Prints `{ seconds, peakMb }` as JSON.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/queue/connection.js';
import { createServices } from '../src/services.js';

const [kind, databaseUrl, id] = process.argv.slice(2);
if (!databaseUrl || !id) throw new Error('usage: scale-child.ts fanout|fax DATABASE_URL ID');
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
const database = createDatabase(databaseUrl, { max: 4 });
const redis = createRedis(config.redis);
const services = createServices({ config, database, redis, logger: createLogger('warn') });

const started = performance.now();
if (kind === 'fanout') {
  await services.sending.fanOut(Number(id));
} else if (kind === 'fax') {
  const batch = await services.batches.createBatch(Number(id), { reason: 'manual', staffId: null });
  await services.batches.renderBatch(batch.id);
} else {
  throw new Error(`unknown step ${kind}`);
}
const seconds = (performance.now() - started) / 1_000;
const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
console.log(JSON.stringify({ seconds, peakMb: Math.round(peakKb / 1024) }));
redis.disconnect();
await database.close();
process.exit(0);
