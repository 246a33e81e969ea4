import { describe, expect, it } from 'vitest';
import { type DeliveryFact, describeReceipts, type TargetReceipt, targetReceipts } from '../src/receipt.js';
import { type CampaignView, decide, type SupporterView } from '../src/sms/conversation.js';
import { parseIntent } from '../src/sms/intent.js';
import { createReplies } from '../src/sms/replies.js';

const fact = (overrides: Partial<DeliveryFact>): DeliveryFact => ({
  targetId: 1,
  targetName: 'Prosecutor General of the Russian Federation',
  targetTitle: null,
  targetPosition: 0,
  part: 1,
  parts: 1,
  channel: 'fax',
  status: 'delivered',
  receivedAt: new Date('2026-12-12T07:42:00Z'),
  pages: 3,
  ...overrides,
});

describe('delivery receipts (pure)', () => {
  it('says who received a batch, by which channel and when, in the organisation’s time zone', () => {
    const facts = [
      fact({}),
      fact({
        targetId: 2,
        targetPosition: 1,
        targetName: 'Aleksandr Bastrykin',
        targetTitle: 'Investigation Committee',
        channel: 'email',
        receivedAt: new Date('2026-12-12T08:05:00Z'),
      }),
    ];
    const receipts = targetReceipts(facts).map((target) => target.receipt);
    expect(describeReceipts(receipts as never, 'Europe/Moscow')).toBe(
      'the Prosecutor General of the Russian Federation (fax, 12 Dec 10:42) and the Investigation Committee (e-mail, 12 Dec 11:05)',
    );
  });

  it('counts a target as received only when every part reached it by some channel, at the last part’s time', () => {
    const facts = [
      fact({ part: 1, parts: 2, channel: 'fax', status: 'failed', receivedAt: null }),
      fact({ part: 1, parts: 2, channel: 'email', receivedAt: new Date('2026-12-12T09:00:00Z') }),
      fact({ part: 2, parts: 2, channel: 'fax', receivedAt: new Date('2026-12-12T08:00:00Z') }),
    ];
    const [target] = targetReceipts(facts);
    expect(target?.receipt).toMatchObject({ channel: 'email', at: new Date('2026-12-12T09:00:00Z') });
    expect(target?.pages).toBe(6);
    const [missing] = targetReceipts(facts.slice(0, 2));
    expect(missing?.receipt).toBeNull();
  });

  it('labels a dry run as one and names a person without "the"', () => {
    const [target] = targetReceipts([fact({ targetName: 'Igor Krasnov', status: 'written' })]);
    expect(describeReceipts([target?.receipt as never], 'UTC')).toBe(
      'Igor Krasnov (fax dry run, 12 Dec 07:42)',
    );
  });
});

describe('RECEIPT and the spelling asked for (conversation)', () => {
  const replies = createReplies({ orgName: 'Amnesty', optOutHint: 'Text STOP AMNESTY to opt out' });

  it('says a dry run’s fax was written, not sent, and never that it reached anyone', () => {
    const [target] = targetReceipts([fact({ targetName: 'Igor Krasnov', status: 'written' })]);
    const received = [target?.receipt as TargetReceipt];
    const dry = replies.receipt({ kind: 'delivered', keyword: 'MAGAMED', received, waiting: [] }, 'UTC');
    expect(dry).toBe(
      'The MAGAMED fax with your name was written for Igor Krasnov on 12 Dec 07:42, not sent (a dry run). Amnesty',
    );
    const real = replies.receipt(
      {
        kind: 'delivered',
        keyword: 'MAGAMED',
        received: [{ ...(target?.receipt as TargetReceipt), dryRun: false }],
        waiting: [],
      },
      'UTC',
    );
    expect(real).toBe(
      'Your name on the MAGAMED fax reached Igor Krasnov (fax, 12 Dec 07:42). Thank you! Amnesty',
    );
  });

  const open: CampaignView = {
    id: 1,
    keyword: 'MAGAMED',
    status: 'open',
    closesAt: null,
    replies: {},
    signed: false,
  };
  const known: SupporterView = { name: null, optedIn: true, pendingCampaignId: null, pendingAttempts: 0 };
  const run = (body: string, supporter: SupporterView | null, campaigns = [open]) =>
    decide(
      {
        intent: parseIntent(body, { campaignKeywords: ['MAGAMED'], joinKeywords: ['JOIN'] }),
        supporter,
        campaigns,
        now: new Date(),
        twilioAnswered: false,
      },
      replies,
    );

  it('reads RECEIPT alone, after the keyword and before it', () => {
    const options = { campaignKeywords: ['MAGAMED'], joinKeywords: ['JOIN'] };
    expect(parseIntent('receipt', options)).toEqual({ kind: 'receipt', keyword: null });
    expect(parseIntent('Magamed Receipt', options)).toEqual({ kind: 'receipt', keyword: 'MAGAMED' });
    expect(parseIntent('RECEIPT magamed', options)).toEqual({ kind: 'receipt', keyword: 'MAGAMED' });
    expect(parseIntent('MAGAMED Receipt Jones', options)).toMatchObject({
      kind: 'keyword',
      name: 'Receipt Jones',
    });
  });

  it('asks a known supporter’s state to be read, and tells an unknown number it has no signature', () => {
    expect(run('MAGAMED RECEIPT', known)).toMatchObject({
      outcome: 'receipt',
      receiptFor: { campaignId: 1, keyword: 'MAGAMED' },
    });
    expect(run('RECEIPT', null).reply).toMatch(
      /^We have no signature from this number\. To sign, text MAGAMED/,
    );
  });

  it('holds a name the fax cannot draw, asks for Latin or Cyrillic letters, and signs with the answer', () => {
    const asked = run('MAGAMED 王小明', null);
    expect(asked).toMatchObject({
      outcome: 'asked-spelling',
      signature: { status: 'held', holdReason: 'unsupported-script', name: '王小明' },
      supporter: { pending: { campaignId: 1, attempts: 0 } },
    });
    const pending = { ...known, name: '王小明', pendingCampaignId: 1 };
    const signed = { ...open, signed: true };
    expect(run('Wang Xiaoming', pending, [signed])).toMatchObject({
      outcome: 'respelled',
      signature: { status: 'valid', name: 'Wang Xiaoming', holdReason: null },
      supporter: { name: 'Wang Xiaoming', pending: { campaignId: null } },
    });
    expect(run('MAGAMED Wang Xiaoming', pending, [signed]).outcome).toBe('respelled');
    expect(run('王小明', pending, [signed])).toMatchObject({ outcome: 'asked-name-again', signature: null });
    expect(run('王小明', { ...pending, pendingAttempts: 1 }, [signed])).toMatchObject({
      outcome: 'gave-up-name',
      signature: null,
    });
    // Without a spelling asked for, the keyword again is still "already signed".
    expect(run('MAGAMED Wang Xiaoming', { ...pending, pendingCampaignId: null }, [signed]).outcome).toBe(
      'already-signed',
    );
  });
});
