// The preview of a campaign's next fax reads the waiting names a chunk at a time and keeps only the first
// part's: it must give the same answer as laying out every waiting name held in memory at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as campaignsRepository from '../../src/campaigns/repository.js';
import type { Config } from '../../src/config.js';
import { channelsOf, createBatchesService } from '../../src/fax/batches.js';
import { estimate, type FaxPart, faxInput, planFax } from '../../src/fax/layout.js';
import { renderFaxPartToBuffer } from '../../src/fax/render.js';
import { testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { removeDir, tempOutboxDir } from './harness.js';
import { realisticNames } from './realistic-names.js';

let database: TestDatabase;
let outboxDir: string;
let config: Config;
const now = new Date('2026-03-02T10:00:00Z');
const clock = () => now;

/** Signers with these names, in this order, in one statement. */
async function sign(campaignId: number, names: readonly string[]) {
  await database.pool.query(
    `WITH s AS (
       INSERT INTO supporters (phone_index, name, source)
       SELECT 'preview-' || $1::bigint || '-' || n || '-' || g, n, 'test'
       FROM unnest($2::text[]) WITH ORDINALITY AS u(n, g) RETURNING id, name)
     INSERT INTO signatures (campaign_id, supporter_id, name, status)
     SELECT $1, id, name, 'valid' FROM s ORDER BY id`,
    [campaignId, names],
  );
}

/** The preview as it was made before: every waiting name read at once and laid out in memory. */
async function previewReadingEveryName(campaignId: number, targetId: number) {
  const campaign = await campaignsRepository.campaignById(database.db, campaignId);
  const targets = await campaignsRepository.targetsOfCampaign(database.db, campaignId);
  const { rows } = await database.pool.query<{ name: string }>(
    `SELECT name FROM signatures WHERE campaign_id = $1 AND status = 'valid' AND batch_id IS NULL ORDER BY id`,
    [campaignId],
  );
  const names = rows.map((row) => row.name);
  const plans = targets.map((target) => {
    // biome-ignore lint/style/noNonNullAssertion: the campaign was just made
    const input = faxInput(config, campaign!, target, names, now);
    return { target, input, parts: planFax(input) };
  });
  const pagesOf = (parts: FaxPart[]) => parts.reduce((sum, part) => sum + part.pages, 0);
  const chosen = plans.find((plan) => plan.target.id === targetId) as (typeof plans)[number];
  const pages = plans.reduce(
    (sum, plan) => sum + (channelsOf(plan.target).includes('fax') ? pagesOf(plan.parts) : 0),
    0,
  );
  return {
    input: chosen.input,
    part: chosen.parts[0] as FaxPart,
    parts: chosen.parts.length,
    targetPages: pagesOf(chosen.parts),
    signatureCount: names.length,
    pages,
    perTarget: plans.map((plan) => ({
      targetId: plan.target.id,
      parts: plan.parts.length,
      pages: pagesOf(plan.parts),
    })),
    ...estimate(pages, config.fax),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempOutboxDir();
  // Few pages a part, so that a few thousand names make several parts.
  config = testConfig(database.url, { FAX_OUTBOX_DIR: outboxDir, FAX_MAX_PAGES: '4' });
});

afterAll(async () => {
  await database?.drop();
  removeDir(outboxDir);
});

describe('the preview of the next fax', () => {
  it('gives the same parts, pages, counts and document as laying out every waiting name at once', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'PREVIEW',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [
        { name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] },
        {
          name: 'Ramzan Kadyrov',
          salutation: 'Уважаемый',
          faxNumbers: ['+442079460222'],
          language: 'ru',
        },
        {
          name: 'Press office',
          salutation: 'Dear editor',
          faxNumbers: [],
          emails: ['press@example.org'],
          channel: 'email',
        },
      ],
    });
    const batches = createBatchesService({ db: database.db, clock, config });
    const names = realisticNames(26_000);
    // Names already in a batch are not previewed.
    await sign(campaign.id, names.slice(0, 500));
    await batches.createBatch(campaign.id, { reason: 'manual', staffId: null });
    // More than one read of names (10,000 a read), with names long enough to wrap.
    await sign(campaign.id, [
      ...names.slice(500, 12_000),
      `${'Maximiliana '.repeat(6)}Long`,
      ...names.slice(12_000),
    ]);

    const targets = await campaignsRepository.targetsOfCampaign(database.db, campaign.id);
    for (const target of targets) {
      const before = await previewReadingEveryName(campaign.id, target.id);
      const { input, targets: perTarget, ...now } = await batches.preview(campaign.id, target.id);
      const { input: beforeInput, perTarget: beforePerTarget, ...then } = before;
      expect(now).toEqual(then);
      expect(perTarget).toEqual(beforePerTarget);
      expect(now.signatureCount).toBe(25_501);
      expect(now.parts).toBeGreaterThan(1);
      // Only the first part's names are held, and its document is the same, byte for byte.
      expect(input.names.length).toBe(now.part.nameCount);
      expect(await renderFaxPartToBuffer(input, now.part)).toEqual(
        await renderFaxPartToBuffer(beforeInput, before.part),
      );
    }
    const whole = await batches.preview(campaign.id, null);
    expect(whole.part).toEqual((await previewReadingEveryName(campaign.id, targets[0]?.id as number)).part);
  });

  it('previews a campaign with nothing waiting as the letter alone', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'NOBODY',
      title: 'Nobody yet',
      letter: { body: 'Please.' },
      targets: [
        { name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] },
      ],
    });
    const batches = createBatchesService({ db: database.db, clock, config });
    const targetId = (await campaignsRepository.targetsOfCampaign(database.db, campaign.id))[0]?.id as number;
    const { input, targets, ...now } = await batches.preview(campaign.id, null);
    const { input: beforeInput, perTarget, ...then } = await previewReadingEveryName(campaign.id, targetId);
    expect(now).toEqual(then);
    expect(targets).toEqual(perTarget);
    expect(await renderFaxPartToBuffer(input, now.part)).toEqual(
      await renderFaxPartToBuffer(beforeInput, now.part),
    );
  });
});
