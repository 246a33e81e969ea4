import { describe, expect, it } from 'vitest';
import { type ConversationInput, decide, type SupporterView } from '../../src/sms/conversation.js';
import { parseIntent } from '../../src/sms/intent.js';
import { campaignView, now, replies } from './conversation-fixtures.js';

const open = campaignView(1, 'MAGAMED');
const closed = campaignView(2, 'ALAMOV', { status: 'closed' });
const known: SupporterView = {
  name: 'Jane Smith',
  optedIn: true,
  pendingCampaignId: null,
  pendingAttempts: 0,
};

function run(body: string, supporter: SupporterView | null = null, campaigns = [open, closed]) {
  const intent = parseIntent(body, {
    campaignKeywords: campaigns.map((c) => c.keyword),
    joinKeywords: ['JOIN'],
  });
  const input: ConversationInput = { intent, supporter, campaigns, now, twilioAnswered: false };
  return decide(input, replies);
}

describe('the conversation', () => {
  it('uses the campaign’s own thank-you text with the name filled in', () => {
    const custom = { ...open, replies: { thanks: 'Spasibo {name}!' } };
    expect(run('MAGAMED Olga Ivanova', null, [custom]).reply).toBe(
      'Spasibo Olga Ivanova! Text STOP AMNESTY to opt out',
    );
  });

  it('a closed campaign with a bad name still keeps the reply as late, under the name on file', () => {
    const decision = run('ALAMOV 12345', known);
    expect(decision.outcome).toBe('late');
    expect(decision.signature).toEqual({
      campaignId: 2,
      name: 'Jane Smith',
      status: 'late',
      holdReason: null,
    });
  });

  it('a campaign whose closing time has passed is late even while its status is open', () => {
    const expired = { ...open, closesAt: new Date(now.getTime() - 1) };
    expect(run('MAGAMED Ann Lee', null, [expired]).signature?.status).toBe('late');
    expect(run('help', null, [expired]).reply).toContain('No action is open right now');
  });

  it('a profane name given when joining is not kept on file', () => {
    const decision = run('JOIN Fuck Face');
    expect(decision.outcome).toBe('joined');
    expect(decision.supporter.name).toBeUndefined();
    expect(decision.reply).not.toMatch(/fuck/i);
  });

  it('YES opts in a person who is opted out, as Twilio does', () => {
    const decision = run('Yes', { ...known, optedIn: false });
    expect(decision.outcome).toBe('opted-in');
    expect(decision.supporter).toMatchObject({ optedIn: true, consent: 'renew' });
  });

  it('YES from anyone else is an ordinary text: no opt-in, and an answer to a name question', () => {
    expect(run('YES', known).outcome).toBe('unknown');
    expect(run('YES', null).outcome).toBe('unknown');
    expect(run('YES', known).supporter.optedIn).toBeUndefined();
    const asked = run('Yes Smith', { ...known, name: null, pendingCampaignId: 1 });
    expect(asked.outcome).toBe('signed');
    expect(asked.signature?.name).toBe('Yes Smith');
  });

  it('REVOKE and OPTOUT opt out, as Twilio does', () => {
    expect(run('REVOKE', known).supporter.optedIn).toBe(false);
    expect(run('optout', known).supporter.optedIn).toBe(false);
  });

  it('an opt-out is always confirmed, even past the flood guard, unless Twilio already answered', () => {
    expect(run('STOP AMNESTY', known).alwaysReply).toBe(true);
    const intent = parseIntent('STOP', { campaignKeywords: [], joinKeywords: [] });
    const answered = decide({ intent, supporter: known, campaigns: [], now, twilioAnswered: true }, replies);
    expect(answered.reply).toBe('');
    expect(answered.supporter.optedIn).toBe(false);
  });

  it('holds a joke name with its reason and says it will be checked; an emoji name is not echoed back', () => {
    const joke = run('MAGAMED Mickey Mouse');
    expect(joke.signature).toMatchObject({ status: 'held', holdReason: 'fictional-character' });
    expect(joke.reply).toContain('will check your name');
    expect(joke.reply).not.toContain('Mickey Mouse');
    const emoji = run('MAGAMED \u{1F600} Happy Face');
    expect(emoji.signature).toMatchObject({ status: 'held', holdReason: 'symbols' });
    expect(emoji.reply).not.toContain('Happy Face');
    expect(emoji.reply).toContain('will check your name');
  });

  it('a keyword with an unreadable name asks again once, keeping the campaign pending', () => {
    const decision = run('MAGAMED http://spam.example.com');
    expect(decision.outcome).toBe('asked-name-again');
    expect(decision.supporter.pending).toEqual({ campaignId: 1, attempts: 1 });
    expect(decision.signature).toBeNull();
  });
});
