import { type CampaignInput, createCampaignsService } from '../../src/campaigns/service.js';
import type { Database } from '../../src/db/client.js';

/** Creates a campaign and opens it, as staff would before supporters can sign it. */
export async function openCampaign(database: Database, input: CampaignInput) {
  const campaigns = createCampaignsService({ db: database.db, clock: () => new Date() });
  const campaign = await campaigns.create(input);
  await campaigns.setStatus(campaign.id, 'open');
  return campaign;
}
