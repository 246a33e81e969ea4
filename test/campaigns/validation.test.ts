import { describe, expect, it } from 'vitest';
import {
  type CampaignRequest,
  checkBatchDailyAt,
  checkCampaign,
  checkCampaignChange,
  checkClosesAt,
  checkFaxNumber,
  checkKeyword,
  checkReplies,
  checkTimezone,
} from '../../src/campaigns/validation.js';

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

  it('tells how to write a valid number that is not in E.164 form', () => {
    expect(problem(() => checkFaxNumber('+7 495 987-65-43', 'targets[0].faxNumbers[0]'))).toEqual({
      statusCode: 400,
      code: 'invalid_fax_number',
      message: 'targets[0].faxNumbers[0]: "+7 495 987-65-43" is not in E.164 form; write it as +74959876543.',
    });
  });

  it.each(['+4420', '84959876543', 'fax me', '+999123456789', ''])('refuses %j', (number) => {
    expect(problem(() => checkFaxNumber(number))).toMatchObject({
      code: 'invalid_fax_number',
      message: expect.stringContaining('is not a valid phone number'),
    });
  });
});

describe('checkTimezone', () => {
  it('returns the canonical spelling of an IANA zone', () => {
    expect(checkTimezone('Europe/Moscow')).toBe('Europe/Moscow');
    expect(checkTimezone('europe/london')).toBe('Europe/London');
    expect(checkTimezone('UTC')).toBe('UTC');
  });

  it.each(['Mars/Base', '+03:00', 'MSK+1', ''])('refuses %j', (zone) => {
    expect(problem(() => checkTimezone(zone, 'targets[1].timezone'))).toMatchObject({
      code: 'invalid_timezone',
      message: expect.stringMatching(/^targets\[1\]\.timezone: .* is not an IANA time zone/),
    });
  });
});

describe('checkClosesAt', () => {
  it('accepts a time in the future', () => {
    expect(checkClosesAt('2026-12-06T10:00:00Z', now)).toEqual(new Date('2026-12-06T10:00:00Z'));
  });

  it.each(['2026-11-22T10:00:00Z', '2026-11-01T00:00:00Z'])('refuses %s, not in the future', (raw) => {
    expect(problem(() => checkClosesAt(raw, now))).toMatchObject({
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
        'targets[0].faxNumbers must list at least one fax number, or emails an address for the channel email.',
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
