import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TARGETS } from '../../src/campaigns/validation.js';
import { ASSETS_DIR } from '../../src/console/assets.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let testApp: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  testApp = await startTestApp(database);
}, 30_000);

afterAll(async () => {
  await testApp.close();
  await database.drop();
});

const ASSETS = [
  ['/console/assets/console.css', /^text\/css/],
  ['/console/assets/console.js', /javascript/],
] as const;

describe('the console’s stylesheet and script', () => {
  it('are served as files with an ETag and a cache lifetime, and a conditional request gets a 304', async () => {
    for (const [url, type] of ASSETS) {
      const first = await testApp.app.inject(url);
      expect(first.statusCode, url).toBe(200);
      expect(first.headers['content-type'], url).toMatch(type);
      expect(first.headers['cache-control'], url).toBe('public, max-age=300');
      const etag = first.headers.etag;
      expect(etag, url).toEqual(expect.any(String));
      const file = url.replace('/console/assets/', '');
      expect(first.body, url).toBe(await readFile(`${ASSETS_DIR}${file}`, 'utf8'));

      const again = await testApp.app.inject({ url, headers: { 'if-none-match': String(etag) } });
      expect(again.statusCode, url).toBe(304);
      expect(again.body, url).toBe('');
    }
  });

  it('are allowed by the pages’ content security policy, served from the same origin', async () => {
    const login = await testApp.app.inject('/console/login');
    const policy = String(login.headers['content-security-policy']);
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).toMatch(/style-src 'self'/);
    expect(login.body).toContain('<link rel="stylesheet" href="/console/assets/console.css">');
    expect(login.body).toContain('<script src="/console/assets/console.js" defer></script>');
  });

  it('leave nothing else under the assets folder to be found', async () => {
    // A directory is refused (403), never listed.
    expect([403, 404]).toContain((await testApp.app.inject('/console/assets/')).statusCode);
    expect((await testApp.app.inject('/console/assets/../plugin.ts')).statusCode).toBe(404);
  });

  it('cap the campaign form’s targets where the server does', async () => {
    const script = await readFile(`${ASSETS_DIR}console.js`, 'utf8');
    expect(script).toContain(`var MAX_TARGETS = ${MAX_TARGETS};`);
  });
});
