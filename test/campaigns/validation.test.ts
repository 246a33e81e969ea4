import { describe, expect, it } from 'vitest';
import {
  type CampaignRequest,
  checkCampaign,
  checkCampaignChange,
  readCampaignChange,
  readFaxNumbers,
} from '../../src/campaigns/validation.js';
import type { CampaignReplies } from '../../src/db/schema.js';
import type { AppError } from '../../src/errors.js';

const JOIN = ['JOIN', 'PROTEST'];
const now = new Date('2026-11-22T10:00:00Z');
const context = { now, joinKeywords: JOIN };

/** The error a check throws, as the API would answer it. */
function problem(check: () => unknown) {
  try {
    check();
  } catch (error) {
    const { statusCode, code, message } = error as { statusCode: number; code: string; message: string };
    return { statusCode, code, message };
  }
  throw new Error('expected the check to fail');
}

const request: CampaignRequest = {
  keyword: ' magamed ',
  title: '  Magamed Abubakarov  ',
  letter: { subject: '', body: 'Please investigate the threats.' },
  targets: [
    {
      name: 'Prosecutor General',
      salutation: 'Dear Prosecutor General',
      faxNumbers: ['+442079460111', '+74959876543'],
    },
  ],
};

// Each rule on its own, through the API's own entry points.
const checkKeyword = (keyword: string, joinKeywords: string[]) =>
  checkCampaignChange({ keyword }, { now, joinKeywords }).keyword;
const targetWith = (change: Partial<CampaignRequest['targets'][number]>) =>
  checkCampaign(
    { ...request, targets: [{ ...(request.targets[0] as CampaignRequest['targets'][number]), ...change }] },
    context,
  ).targets[0];
const checkFaxNumber = (number: string) => targetWith({ faxNumbers: [number] })?.faxNumbers[0];
const checkTimezone = (timezone: string) => targetWith({ timezone })?.timezone;
const checkClosesAt = (closesAt: string) => checkCampaignChange({ closesAt }, context).closesAt;
const checkReplies = (replies: CampaignReplies) => checkCampaignChange({ replies }, context).replies;
const checkBatchDailyAt = (batchDailyAt: string) =>
  checkCampaignChange({ batchDailyAt }, context).batchDailyAt;

describe('checkKeyword', () => {
  it.each([
    ['magamed', 'MAGAMED'],
    ['Alamov2', 'ALAMOV2'],
    ['UA57', 'UA57'],
    ['abcdefghijklmnopqrst', 'ABCDEFGHIJKLMNOPQRST'],
  ])('accepts %s as %s', (raw, keyword) => {
    expect(checkKeyword(raw, JOIN)).toBe(keyword);
  });

  it.each(['AB', 'ABCDEFGHIJKLMNOPQRSTU', '2MAGAMED', 'MAGA MED', 'MAGA-MED', 'МАГАМЕД', ''])(
    'refuses %j as not one word of 3-20 letters and digits',
    (raw) => {
      expect(problem(() => checkKeyword(raw, JOIN))).toMatchObject({
        statusCode: 400,
        code: 'invalid_keyword',
        message: expect.stringContaining('3 to 20 letters'),
      });
    },
  );

  it.each([
    'STOP',
    'stop',
    'Unsubscribe',
    'REVOKE',
    'OptOut',
    'START',
    'YES',
    'HELP',
    'INFO',
    'NOCALL',
    'JOIN',
    'PROTEST15',
    'join2',
  ])('refuses the reserved word %s', (raw) => {
    expect(problem(() => checkKeyword(raw, JOIN))).toMatchObject({
      statusCode: 400,
      code: 'reserved_keyword',
      message: expect.stringContaining('reserved word'),
    });
  });

  it('reserves the join keywords configured, not others', () => {
    expect(checkKeyword('PROTEST', ['JOIN'])).toBe('PROTEST');
    expect(problem(() => checkKeyword('ACT7', ['ACT'])).code).toBe('reserved_keyword');
  });
});

describe('checkFaxNumber', () => {
  it.each(['+442079460111', '+442079460999', '+74959876543', '+12025550123'])('accepts %s', (number) => {
    expect(checkFaxNumber(number)).toBe(number);
  });

  it.each([
    ['+7 495 987-65-43', '+74959876543'],
    ['+7499 265 90 77', '+74992659077'],
    ['+7 (495) 987.65.43', '+74959876543'],
    ['0074959876543', '+74959876543'],
    [' +44 20 7946 0111 ', '+442079460111'],
  ])('reads %j, printed with spaces, dots, dashes or brackets, as %s', (printed, e164) => {
    expect(checkFaxNumber(printed)).toBe(e164);
  });

  it.each(['+4420', '84959876543', 'fax me', '+999123456789', ''])('refuses %j', (number) => {
    expect(problem(() => checkFaxNumber(number))).toMatchObject({
      code: 'invalid_fax_number',
      message: expect.stringContaining('is not a valid phone number'),
    });
  });
});

describe('readFaxNumbers', () => {
  it('reads the numbers of the seeds’ urgent actions as they print them, two on a line', () => {
    expect(readFaxNumbers('+7499 265 90 77/ +7499 265 97 75')).toEqual([
      { text: '+7499 265 90 77', number: '+74992659077' },
      { text: '+7499 265 97 75', number: '+74992659775' },
    ]);
    expect(readFaxNumbers('+7495 987 58 41/ +7495 692 17 25').map((reading) => reading.number)).toEqual([
      '+74959875841',
      '+74956921725',
    ]);
  });

  it('splits on "/", ",", ";" and new lines, and keeps what it cannot read as written', () => {
    expect(readFaxNumbers('+74959875841, +74956921725;\r\n+7 499 265-90-77\n\n8 495 123 45 67')).toEqual([
      { text: '+74959875841', number: '+74959875841' },
      { text: '+74956921725', number: '+74956921725' },
      { text: '+7 499 265-90-77', number: '+74992659077' },
      { text: '8 495 123 45 67', number: null },
    ]);
  });
});

describe('every problem at once', () => {
  const target = request.targets[0] as CampaignRequest['targets'][number];

  it('stores the seeds’ numbers in E.164, each line split into its numbers', () => {
    const seeds = {
      ...target,
      faxNumbers: ['+7499 265 90 77/ +7499 265 97 75', '+7495 987 58 41/ +7495 692 17 25'],
    };
    expect(checkCampaign({ ...request, targets: [seeds] }, context).targets[0]?.faxNumbers).toEqual([
      '+74992659077',
      '+74992659775',
      '+74959875841',
      '+74956921725',
    ]);
  });

  it('reports every bad number of every target, each with its field, in details', () => {
    const first = { ...target, faxNumbers: ['+7499 265 90/ +7499 265 97 75', 'fax me'] };
    const second = { ...target, name: ' ', faxNumbers: ['84959876543; +7495 987 58 41'] };
    let refused: AppError | undefined;
    try {
      checkCampaign({ ...request, title: '', targets: [first, second] }, context);
    } catch (error) {
      refused = error as AppError;
    }
    expect(refused?.statusCode).toBe(400);
    expect(refused?.details?.details).toEqual([
      { field: 'title', message: 'title must not be blank.' },
      {
        field: 'targets[0].faxNumbers[0]',
        message: expect.stringMatching(
          /^targets\[0\]\.faxNumbers\[0\]: "\+7499 265 90" is not a valid phone number/,
        ),
      },
      { field: 'targets[0].faxNumbers[1]', message: expect.stringContaining('"fax me" is not a valid') },
      { field: 'targets[1].name', message: 'targets[1].name must not be blank.' },
      { field: 'targets[1].faxNumbers[0]', message: expect.stringContaining('"84959876543" is not a valid') },
    ]);
    expect(refused?.message).toBe('title must not be blank. (and 4 more: see details)');
  });

  it('refuses more than five numbers for one target, counted after splitting', () => {
    const many = {
      ...target,
      faxNumbers: ['+74959875841/+74956921725/+74992659077', '+74992659775/+74959876543/+74959876544'],
    };
    expect(problem(() => checkCampaign({ ...request, targets: [many] }, context)).message).toBe(
      'targets[0].faxNumbers lists 6 numbers; give at most 5, the ones to try first.',
    );
  });

  it('words each problem as its reader knows the field and the clock', () => {
    const wording = { name: (field: string) => `«${field}»`, time: () => 'teatime' };
    const { problems } = readCampaignChange(
      { closesAt: '2020-01-01T00:00:00Z', title: '' },
      { ...context, wording },
    );
    expect(problems).toEqual([
      { code: 'validation_failed', field: 'title', message: '«title» must not be blank.' },
      {
        code: 'invalid_closes_at',
        field: 'closesAt',
        message: '«closesAt» must be in the future (it is now teatime).',
      },
    ]);
    expect(readCampaignChange({ closesAt: '2020-01-01T00:00:00Z' }, context).problems[0]?.message).toBe(
      'closesAt must be in the future (it is now 2026-11-22T10:00:00.000Z).',
    );
  });
});

describe('checkTimezone', () => {
  it('returns the canonical spelling of an IANA zone', () => {
    expect(checkTimezone('Europe/Moscow')).toBe('Europe/Moscow');
    expect(checkTimezone('europe/london')).toBe('Europe/London');
    expect(checkTimezone('UTC')).toBe('UTC');
  });

  it.each(['Mars/Base', '+03:00', 'MSK+1', ''])('refuses %j', (zone) => {
    expect(problem(() => checkTimezone(zone))).toMatchObject({
      code: 'invalid_timezone',
      message: expect.stringMatching(/^targets\[0\]\.timezone: .* is not an IANA time zone/),
    });
  });
});

describe('checkClosesAt', () => {
  it('accepts a time in the future', () => {
    expect(checkClosesAt('2026-12-06T10:00:00Z')).toEqual(new Date('2026-12-06T10:00:00Z'));
  });

  it.each(['2026-11-22T10:00:00Z', '2026-11-01T00:00:00Z'])('refuses %s, not in the future', (raw) => {
    expect(problem(() => checkClosesAt(raw))).toMatchObject({
      code: 'invalid_closes_at',
      message: expect.stringContaining('must be in the future'),
    });
  });
});

describe('checkReplies', () => {
  it('allows {name} in the thanks and trims both replies', () => {
    expect(checkReplies({ thanks: ' Thank you {name}! ', alert: ' Urgent: text MAGAMED ' })).toEqual({
      thanks: 'Thank you {name}!',
      alert: 'Urgent: text MAGAMED',
    });
  });

  it('refuses any other placeholder, which would be texted as it is', () => {
    expect(problem(() => checkReplies({ thanks: 'Thank you {Name}' }))).toMatchObject({
      code: 'invalid_reply',
      message: expect.stringContaining('{Name}'),
    });
  });

  it('drops empty replies so that the default ones are used', () => {
    expect(checkReplies({ thanks: '  ', alert: '' })).toEqual({});
  });
});

describe('checkBatchDailyAt', () => {
  it.each(['00:00', '10:00', '23:59'])('accepts %s', (time) => {
    expect(checkBatchDailyAt(time)).toBe(time);
  });

  it.each(['24:00', '9:00', '10:60', '10h'])('refuses %s', (time) => {
    expect(problem(() => checkBatchDailyAt(time)).code).toBe('invalid_batch_time');
  });
});

describe('checkCampaign', () => {
  it('normalises a request into the service input', () => {
    expect(checkCampaign(request, context)).toEqual({
      keyword: 'MAGAMED',
      title: 'Magamed Abubakarov',
      letter: { subject: null, body: 'Please investigate the threats.' },
      targets: [
        {
          name: 'Prosecutor General',
          title: null,
          organisation: null,
          address: null,
          salutation: 'Dear Prosecutor General',
          faxNumbers: ['+442079460111', '+74959876543'],
          emails: [],
          channel: 'fax-then-email',
          language: 'en',
          timezone: 'Europe/Moscow',
        },
      ],
    });
  });

  it('needs at least one target', () => {
    expect(problem(() => checkCampaign({ ...request, targets: [] }, context))).toEqual({
      statusCode: 400,
      code: 'no_targets',
      message: 'A campaign needs at least one target: an authority the fax goes to.',
    });
  });

  it('needs at least one fax number per target, each once', () => {
    const target = request.targets[0] as CampaignRequest['targets'][number];
    expect(
      problem(() => checkCampaign({ ...request, targets: [{ ...target, faxNumbers: [] }] }, context)),
    ).toMatchObject({
      code: 'invalid_fax_number',
      message:
        'targets[0].faxNumbers must list at least one fax number, or targets[0].emails an address for the channel email.',
    });
    const twice = { ...target, faxNumbers: ['+442079460111', '+442079460111'] };
    expect(problem(() => checkCampaign({ ...request, targets: [target, twice] }, context)).message).toBe(
      'targets[1].faxNumbers lists +442079460111 twice.',
    );
  });

  it('takes e-mail addresses, in order, each once, and the channel each needs', () => {
    const target = request.targets[0] as CampaignRequest['targets'][number];
    const byEmail = {
      ...target,
      faxNumbers: [],
      emails: [' prosecutor@example.org '],
      language: 'ru' as const,
    };
    expect(checkCampaign({ ...request, targets: [byEmail] }, context).targets[0]).toMatchObject({
      faxNumbers: [],
      emails: ['prosecutor@example.org'],
      channel: 'email',
      language: 'ru',
    });
    expect(
      problem(() => checkCampaign({ ...request, targets: [{ ...byEmail, channel: 'both' }] }, context)),
    ).toMatchObject({
      code: 'invalid_fax_number',
      message: 'targets[0].faxNumbers must list at least one fax number, unless the channel is email.',
    });
    expect(
      problem(() => checkCampaign({ ...request, targets: [{ ...target, channel: 'email' }] }, context)),
    ).toMatchObject({
      code: 'invalid_email',
      message: 'targets[0].emails must list at least one e-mail address for the channel email.',
    });
    expect(
      problem(() =>
        checkCampaign({ ...request, targets: [{ ...target, emails: ['not an address'] }] }, context),
      ),
    ).toMatchObject({
      code: 'invalid_email',
      message: 'targets[0].emails[0]: "not an address" is not an e-mail address.',
    });
    expect(
      problem(() =>
        checkCampaign(
          { ...request, targets: [{ ...target, emails: ['a@example.org', 'a@example.org'] }] },
          context,
        ),
      ).message,
    ).toBe('targets[0].emails lists a@example.org twice.');
  });

  it('refuses blank required text', () => {
    expect(problem(() => checkCampaign({ ...request, title: '   ' }, context)).message).toBe(
      'title must not be blank.',
    );
    expect(problem(() => checkCampaign({ ...request, letter: { body: '\n' } }, context)).message).toBe(
      'letter.body must not be blank.',
    );
  });
});

describe('checkCampaignChange', () => {
  it('checks only the fields present, and null clears a deadline or a schedule', () => {
    expect(checkCampaignChange({ title: 'New title', closesAt: null, batchDailyAt: null }, context)).toEqual({
      title: 'New title',
      closesAt: null,
      batchDailyAt: null,
    });
    expect(checkCampaignChange({ batchDailyAt: '10:00', batchThreshold: 500 }, context)).toEqual({
      batchDailyAt: '10:00',
      batchThreshold: 500,
    });
  });

  it('applies the same rules as creation to what it changes', () => {
    expect(problem(() => checkCampaignChange({ keyword: 'HELP' }, context)).code).toBe('reserved_keyword');
    expect(problem(() => checkCampaignChange({ closesAt: '2020-01-01T00:00:00Z' }, context)).code).toBe(
      'invalid_closes_at',
    );
  });
});
