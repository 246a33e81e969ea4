import { type CampaignInput, createCampaignsService } from '../../src/campaigns/service.js';
import type { Database } from '../../src/db/client.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';

/** Creates a campaign and opens it, as staff would before supporters can sign it. */
export async function openCampaign(database: Database, input: CampaignInput) {
  const campaigns = createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  const campaign = await campaigns.create(input);
  await campaigns.setStatus(campaign.id, 'open');
  return campaign;
}

/** `count` signers of a campaign in one statement; the n-th is "Signer <n in letters>". */
export async function insertSigners(
  database: Database,
  campaign: number,
  count: number,
  status: 'valid' | 'held' = 'valid',
) {
  await database.pool.query(
    `WITH s AS (
       INSERT INTO supporters (phone_index, name, source)
       SELECT 'desk-' || $2::bigint || '-' || $3::text || '-' || g, 'Signer ' || translate(g::text, '0123456789', 'abcdefghij'), 'test'
       FROM generate_series(1, $1::int) g RETURNING id, name)
     INSERT INTO signatures (campaign_id, supporter_id, name, status, hold_reason)
     SELECT $2, id, name, $3::signature_status, CASE WHEN $3 = 'held' THEN 'placeholder-name' END FROM s`,
    [count, campaign, status],
  );
}
