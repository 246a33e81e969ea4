import type { Db } from '../db/client.js';
import { DEMO_CAMPAIGNS, DEMO_OPEN_KEYWORD } from './demo-campaigns.js';
import { demoCampaignByKeyword } from './repository.js';
import type { CampaignsService } from './service.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEMO_OPEN_DAYS = 14;

export interface DemoResult {
  keyword: string;
  title: string;
  status: 'open' | 'closed';
  loaded: boolean;
}

/**
 * Loads the demo urgent actions. Loading again leaves campaigns already loaded as they are, so the
 * signatures a developer collected are kept.
 */
export async function loadDemoCampaigns({
  db,
  clock,
  campaigns: service,
}: {
  db: Db;
  clock: () => Date;
  campaigns: CampaignsService;
}): Promise<DemoResult[]> {
  const results: DemoResult[] = [];
  for (const demo of DEMO_CAMPAIGNS) {
    if (await demoCampaignByKeyword(db, demo.keyword)) {
      results.push({ keyword: demo.keyword, title: demo.title, status: demo.status, loaded: false });
      continue;
    }
    const isOpen = demo.keyword === DEMO_OPEN_KEYWORD;
    const campaign = await service.create({
      keyword: demo.keyword,
      title: demo.title,
      reference: demo.reference,
      shortTitle: demo.shortTitle,
      summary: demo.summary,
      letter: demo.letter,
      targets: demo.targets,
      replies: demo.replies,
      closesAt: isOpen ? new Date(clock().getTime() + DEMO_OPEN_DAYS * DAY_MS) : null,
      isDemo: true,
    });
    await service.setStatus(campaign.id, demo.status);
    results.push({ keyword: demo.keyword, title: demo.title, status: demo.status, loaded: true });
  }
  return results;
}
