import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The console's stylesheet and script, files beside this module: `src/console/assets/` when run from
 * the sources, `dist/src/console/assets/` in the built product (`npm run build` copies them there).
 */
export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/**
 * Serves the assets under `/assets/` of the console with an ETag and `public, max-age=300`. Their names
 * stay plain (console.css, console.js), not content-hashed: a page's links need no build manifest, and a
 * browser asks again after five minutes, when the ETag makes the answer a 304 until a release changes
 * the file.
 */
export async function consoleAssets(app: FastifyInstance) {
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/assets/',
    // The app has no other static files; the console's replies keep their own `send`.
    decorateReply: false,
    index: false,
    etag: true,
    lastModified: true,
    cacheControl: true,
    maxAge: 300_000,
  });
}
