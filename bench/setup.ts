import pg from 'pg';
import { createCampaignsService } from '../src/campaigns/service.js';
import type { Db } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { faxBatchesOfCampaigns } from '../src/fax/batches.js';

/**
 * A benchmark's own database, dropped and migrated anew so every run starts from the same state; on the
 * machine's server unless `server` (a URL without a database) names another.
 */
export async function freshBenchDatabase(
  name: string,
  server = 'postgres://postgres@127.0.0.1:5432',
): Promise<string> {
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.end();
  const url = `${server}/${name}`;
  await migrateDatabase(url);
  return url;
}

/** An open MAGAMED campaign with one target, as the benchmarks text and broadcast about. */
export async function openBenchCampaign(db: Db): Promise<number> {
  const campaigns = createCampaignsService({
    db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  const campaign = await campaigns.create({
    keyword: 'MAGAMED',
    title: 'Magamed Abubakarov',
    letter: { body: 'Investigate the threats.' },
    targets: [
      { name: 'Prosecutor General', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] },
    ],
  });
  await campaigns.setStatus(campaign.id, 'open');
  return campaign.id;
}
