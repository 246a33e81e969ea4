import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CampaignView,
  decide,
  MEMBER_ON_FILE,
  NAME_ON_FILE,
  type SupporterView,
} from '../../src/sms/conversation.js';
import type { InputRow } from '../../src/sms/inbound.repository.js';
import { parseIntent } from '../../src/sms/intent.js';
import { decidedAheadRows, inputRow } from '../../src/sms/rows.js';
import { nonGsmCharacters } from '../../src/sms/segments.js';
import { checkName } from '../../src/supporters/names.js';
import { campaignView, now, replies } from './conversation-fixtures.js';

/**
 * A text is decided before its number is read, for an unknown number and for MEMBER_ON_FILE, and the
 * statement that reads the number writes a row only for a member it stands for: opted in, no question
 * pending, the row's campaign not signed, and for a member's own row a name on file that passed the
 * hold rules, put where NAME_ON_FILE stands (inbound.repository.ts TRY_TEXTS). These properties check that
 * every such member, decided on their own row as a read would, gets exactly that row.
 */

const CAMPAIGNS: CampaignView[] = [
  campaignView(1, 'MAGAMED'),
  campaignView(2, 'ALAMOV', { status: 'closed' }),
  campaignView(3, 'KARIMOV', { replies: { thanks: 'Spasibo, {name}! {name}, you are on the fax.' } }),
  campaignView(4, 'OLDACT', { closesAt: new Date('2026-11-01T00:00:00Z') }),
];
const KEYWORDS = CAMPAIGNS.map((c) => c.keyword);

const NAMES = ['Olga Ivanova', 'Jane Smith', "Seán O'Neil", 'Mickey Mouse', 'Fuck Face', '王小明', 'אבי כהן'];
const BODIES = [
  ...KEYWORDS.flatMap((k) => [k, k.toLowerCase(), `${k} Ann Lee`, `${k} 12345`, `${k} Mickey Mouse`]),
  ...KEYWORDS.map((k) => `${k} 王小明`),
  ...['JOIN', 'JOIN Ann Lee', 'PROTEST15', 'HELP', 'STOP', 'STOP AMNESTY', 'START', 'NOCALL'],
  ...['RECEIPT', 'MAGAMED RECEIPT', 'RECEIPT ALAMOV', 'hello', 'Jane Smith', '', '   '],
];

const body = fc.oneof(
  fc.constantFrom(...BODIES),
  fc.string({ maxLength: 30 }),
  fc.tuple(fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 20 })).map(([k, rest]) => `${k} ${rest}`),
);

function decideOn(
  text: string,
  supporter: SupporterView | null,
  campaigns: CampaignView[],
  answered: boolean,
) {
  const intent = parseIntent(text, { campaignKeywords: KEYWORDS, joinKeywords: ['JOIN', 'PROTEST'] });
  return decide({ intent, supporter, campaigns, now, twilioAnswered: answered }, replies);
}

const text = (body: string) => ({ messageSid: 'SM00000000000000000000000000000001', to: '70505', body });
const sender = { phone_ciphertext: 'ciphertext', phone_index: 'index' };

/** The columns a written row takes from the statement rather than the text's row. */
const comparable = ({ kind, supporter_version, name_room, ...row }: InputRow) => row;

/** A member the statement would take a row for, with the given name on file and campaigns signed. */
const member = fc.record({
  name: fc.option(fc.constantFrom(...NAMES), { nil: null }),
  signed: fc.subarray(CAMPAIGNS.map((c) => c.id)),
  answered: fc.boolean(),
});

/** The row of a member decided on what a read finds: their row and the campaigns with their signatures. */
function rowOnRead(body: string, name: string | null, signed: number[], answered: boolean) {
  const checked = name === null ? null : checkName(name);
  const supporter: SupporterView = {
    name,
    // Stamped as the statement requires for a member's own row: when the name passes the rules.
    nameCleared: checked?.ok === true && checked.hold === null,
    optedIn: true,
    pendingCampaignId: null,
    pendingAttempts: 0,
  };
  const campaigns = CAMPAIGNS.map((c) => ({ ...c, signed: signed.includes(c.id) }));
  const decision = decideOn(body, supporter, campaigns, answered);
  return {
    supporter,
    decision,
    row: inputRow(text(body), sender, { supporter, supporter_version: '7' }, decision, false, now, 'any'),
  };
}

describe('a text decided before its number is read', () => {
  it('a row for both is what any member it may be written for would get on a read', () => {
    fc.assert(
      fc.property(body, member, (body, { name, signed, answered }) => {
        const asNew = decideOn(body, null, CAMPAIGNS, answered);
        const asMember = decideOn(body, MEMBER_ON_FILE, CAMPAIGNS, answered);
        const rows = decidedAheadRows(text(body), sender, asNew, asMember, now);
        const [row] = rows;
        fc.pre(rows.length === 1 && row?.kind === 'any');
        // The statement skips a member who signed the row's campaign.
        fc.pre(row?.campaign_id === null || !signed.includes(Number(row?.campaign_id)));
        const onRead = rowOnRead(body, name, signed, answered);
        expect(comparable(onRead.row)).toEqual(comparable(row as InputRow));
      }),
      { numRuns: 3_000 },
    );
  });

  it("a member's own row, their name on file put in, is what they would get on a read", () => {
    fc.assert(
      fc.property(body, member, (body, { name, signed, answered }) => {
        const asNew = decideOn(body, null, CAMPAIGNS, answered);
        const asMember = decideOn(body, MEMBER_ON_FILE, CAMPAIGNS, answered);
        const memberRow = decidedAheadRows(text(body), sender, asNew, asMember, now).find(
          (r) => r.kind === 'member',
        );
        fc.pre(memberRow !== undefined);
        // A decision needing a read (RECEIPT) is never written before one.
        expect(asMember.receiptFor).toBeUndefined();
        const row = memberRow as InputRow;
        fc.pre(row.campaign_id === null || !signed.includes(Number(row.campaign_id)));
        const onRead = rowOnRead(body, name, signed, answered);
        // The statement takes it only for a name on file that passed the hold rules.
        fc.pre(onRead.supporter.nameCleared === true && name !== null);
        // ...and only when the name fits the reply's room without changing its encoding.
        fc.pre(
          row.name_room === null ||
            ([...(name as string)].length <= Number(row.name_room) &&
              nonGsmCharacters(name as string).length === 0),
        );
        const put = (value: InputRow[keyof InputRow]) =>
          typeof value === 'string' ? value.replaceAll(NAME_ON_FILE, name as string) : value;
        expect(comparable(onRead.row)).toEqual(
          comparable({ ...row, reply: put(row.reply), signature_name: put(row.signature_name) }),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('no row, reply or signature ever carries NAME_ON_FILE but a member’s own', () => {
    fc.assert(
      fc.property(body, fc.boolean(), (body, answered) => {
        const asNew = decideOn(body, null, CAMPAIGNS, answered);
        const asMember = decideOn(body, MEMBER_ON_FILE, CAMPAIGNS, answered);
        for (const row of decidedAheadRows(text(body), sender, asNew, asMember, now)) {
          if (row.kind === 'member') continue;
          expect(JSON.stringify(row)).not.toContain(NAME_ON_FILE);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('a member with a name on file texting the keyword alone gets a row of their own, thanked by name', () => {
    const asNew = decideOn('MAGAMED', null, CAMPAIGNS, false);
    const asMember = decideOn('MAGAMED', MEMBER_ON_FILE, CAMPAIGNS, false);
    const rows = decidedAheadRows(text('MAGAMED'), sender, asNew, asMember, now);
    expect(rows.map((row) => [row.kind, row.outcome])).toEqual([
      ['new', 'asked-name'],
      ['member', 'signed'],
    ]);
    expect(rows[1]).toMatchObject({
      signature_name: NAME_ON_FILE,
      signature_status: 'valid',
      reply: expect.stringContaining(`Thank you, ${NAME_ON_FILE}!`),
    });
  });
});
