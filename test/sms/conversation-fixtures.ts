import type { CampaignView } from '../../src/sms/conversation.js';
import { createReplies } from '../../src/sms/replies.js';

/** What the pure conversation's tests decide with: the organisation's replies, a moment, campaigns. */

export const replies = createReplies({
  orgName: 'Amnesty International UK',
  optOutHint: 'Text STOP AMNESTY to opt out',
});

export const now = new Date('2026-11-22T12:00:00Z');

/** A campaign as the conversation sees it: open, no closing time, default replies, not signed. */
export function campaignView(id: number, keyword: string, rest: Partial<CampaignView> = {}): CampaignView {
  return { id, keyword, status: 'open', closesAt: null, replies: {}, signed: false, ...rest };
}
