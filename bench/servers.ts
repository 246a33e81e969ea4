/**
 * The two servers the webhook benchmark compares, each in a process of its own so that the load
 * generator does not share their event loop: `app` is the real product (web only), `bare` a bare
 * Fastify route doing one INSERT into the same Postgres. `worker` is the product's workers alone (the
 * scale benchmark's imports); it listens on nothing.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/queue/connection.js';
import { createServices } from '../src/services.js';
import { startWorkers, WORKER_POOL_SIZE } from '../workers/index.js';

const [kind, databaseUrl, port] = process.argv.slice(2);
if (!databaseUrl || !port) throw new Error('usage: servers.ts app|bare DATABASE_URL PORT');

if (kind === 'worker') {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  await startWorkers({
    services: createServices({
      config,
      database: createDatabase(databaseUrl, { max: WORKER_POOL_SIZE }),
      redis: createRedis(config.redis),
      logger: createLogger('warn'),
    }),
  });
  // Said like the servers' 'listening': the workers have started.
} else if (kind === 'bare') {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body text NOT NULL)');
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/bare', async (request) => {
    await pool.query('INSERT INTO bench_bare (body) VALUES ($1)', [request.body]);
    return 'ok';
  });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
} else {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  const services = createServices({
    config,
    database: createDatabase(databaseUrl),
    redis: createRedis(config.redis),
    logger: createLogger('warn'),
  });
  const app = await buildApp({ services });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
}
process.on('SIGTERM', () => process.exit(0));
console.log('listening');
