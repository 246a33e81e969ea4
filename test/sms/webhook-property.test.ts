import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, type TextFn } from '../helpers/phone.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;

beforeAll(async () => {
  database = await createTestDatabase();
  const campaigns = createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  for (const [keyword, status] of [
    ['MAGAMED', 'open'],
    ['ALAMOV', 'closed'],
  ] as const) {
    const campaign = await campaigns.create({
      keyword,
      title: keyword,
      letter: { body: 'Please act.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
    });
    await campaigns.setStatus(campaign.id, status);
  }
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL, SMS_REPLIES_PER_HOUR: '1000' } });
  text = await listenForTexts(server);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

/** Characters XML 1.0 forbids, and lone surrogates, which no well-formed document carries. */
const XML_FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TWIML =
  /^<\?xml version="1\.0" encoding="UTF-8"\?><Response>(?:<Message>([^<]*)<\/Message>)?<\/Response>$|^<\?xml version="1\.0" encoding="UTF-8"\?><Response\/>$/;

function assertWellFormedTwiml(twiml: string) {
  const match = TWIML.exec(twiml);
  expect(match, twiml).not.toBeNull();
  const content = match?.[1] ?? '';
  expect(content).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
  expect(content).not.toMatch(XML_FORBIDDEN);
}

const words = [
  'MAGAMED',
  'magamd',
  'ALAMOV',
  'STOP',
  'stop amnesty',
  'START',
  'HELP',
  'PROTEST15',
  'JOIN',
  'NOCALL',
];
const bodies = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 1600 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc
    .tuple(fc.constantFrom(...words), fc.string({ unit: 'binary', maxLength: 80 }))
    .map(([word, name]) => `${word} ${name}`),
  fc
    .tuple(fc.constantFrom(...words), fc.constantFrom('Jane Smith', 'ЖАННА', 'José', 'x', '=cmd()', '@you'))
    .map(([word, name]) => `${word} ${name}`),
);

describe('any text at all', () => {
  it('always gets a 200 with well-formed TwiML', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(bodies, fc.integer({ min: 0, max: 39 }), async (body, who) => {
        run++;
        const reply = await text(`+447700900${String(500 + who)}`, body);
        expect(reply.status).toBe(200);
        assertWellFormedTwiml(reply.twiml);
      }),
      { numRuns: 2000 },
    );
    expect(run).toBeGreaterThanOrEqual(2000);
  });
});
