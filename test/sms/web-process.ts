/**
 * A web process of the spool test: the real app, configured from the environment the test gives it,
 * listening on PORT, so that the test can SIGKILL it at any instant and start it again.
 */
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/queue/connection.js';
import { createServices } from '../../src/services.js';

const config = loadConfig(process.env);
const app = await buildApp({
  services: createServices({
    config,
    database: createDatabase(config.databaseUrl),
    redis: createRedis(config.redis),
    logger: createLogger('warn'),
  }),
});
await app.listen({ port: config.port, host: '127.0.0.1' });
process.send?.('started');
