import { describe, expect, it } from 'vitest';
import { fillBuckets } from '../../src/campaigns/signatures.js';
import { readCampaignChange } from '../../src/campaigns/validation.js';
import { CONSOLE_WORDING, consoleTime, fieldOfError } from '../../src/console/campaign-form.js';
import { progressOf } from '../../src/console/imports.js';
import { type CampaignShown, closeView } from '../../src/console/views/campaign.js';
import { chartSvg } from '../../src/console/views/chart.js';
import { AppError } from '../../src/errors.js';
import { html } from '../../src/html.js';

describe('html', () => {
  it('escapes every interpolation, nested ones included, and keeps html fragments as they are', () => {
    const name = '<script>alert("x")</script> & \'co\'';
    const out = html`<p title="${name}">${[html`<b>${name}</b>`, null, false, 3]}</p>`.text;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</b>3</p>',
    );
  });
});

describe('the signatures chart', () => {
  const hour = 3600_000;
  const at = (h: number) => new Date(Date.UTC(2026, 0, 1, h));

  it('fills quiet hours with empty bars up to now', () => {
    const buckets = fillBuckets(
      [
        { start: at(1), count: 3 },
        { start: at(4), count: 1 },
      ],
      hour,
      new Date(at(5).getTime() + 60_000),
      1,
      48,
    );
    expect(buckets.map((b) => b.count)).toEqual([3, 0, 0, 1, 0]);
  });

  it('shows at least `min` bars, so that a first hour is not one wall of colour', () => {
    expect(fillBuckets([{ start: at(5), count: 2 }], hour, at(5), 3, 48).map((b) => b.count)).toEqual([
      0, 0, 2,
    ]);
  });

  it('keeps only the latest buckets when there are more than it can show', () => {
    const buckets = fillBuckets([{ start: at(0), count: 1 }], hour, at(10), 1, 4);
    expect(buckets.map((b) => b.start)).toEqual([at(7), at(8), at(9), at(10)]);
  });

  it('draws one bar per bucket, the tallest full height, and says the numbers in words', () => {
    const svg = chartSvg({
      unit: 'hour',
      buckets: [
        { start: at(1), count: 2 },
        { start: at(2), count: 4 },
      ],
    }).text;
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain(
      'aria-label="Signatures per hour (UTC time): 6 in the period shown, at most 4 in one hour"',
    );
  });

  it('labels hours on the organisation’s clock', () => {
    const summer = { start: new Date('2026-07-01T09:00:00Z'), count: 1 };
    const london = chartSvg({ unit: 'hour', buckets: [summer] }, 'Europe/London').text;
    expect(london).toContain('>10h</text>');
    expect(london).toContain('Signatures per hour (Europe/London time)');
    expect(chartSvg({ unit: 'hour', buckets: [summer] }, 'UTC').text).toContain('>09h</text>');
  });
});

describe('form problems', () => {
  it('are shown next to the field they are about', () => {
    expect(fieldOfError(new AppError(400, 'reserved_keyword', 'STOP is reserved', 'keyword'))).toBe(
      'keyword',
    );
    expect(
      fieldOfError(
        new AppError(400, 'invalid_fax_number', 'targets[1].faxNumbers[0]: bad', 'targets[1].faxNumbers[0]'),
      ),
    ).toBe('target-1-faxNumbers');
    expect(fieldOfError(new AppError(400, 'invalid_fax_number', 'x', 'targets[2]'))).toBe('target-2');
    expect(fieldOfError(new AppError(400, 'no_targets', 'No target', 'targets'))).toBe('target-0');
    expect(
      fieldOfError(new AppError(400, 'validation_failed', 'letter.body must not be blank.', 'letter.body')),
    ).toBe('body');
    expect(fieldOfError(new AppError(409, 'something_else', 'Other'))).toBe('form');
  });
});

describe('the campaign form’s words', () => {
  it('name fields by the form’s labels and moments on the organisation’s clock', () => {
    const now = new Date('2026-12-06T03:56:05Z');
    expect(consoleTime(now, 'Europe/London')).toBe('6 Dec 2026, 03:56 Europe/London time');
    expect(consoleTime(now, 'Europe/Moscow')).toBe('6 Dec 2026, 06:56 Europe/Moscow time');
    const { problems } = readCampaignChange(
      {
        closesAt: '2026-12-01T00:00:00Z',
        letter: { body: ' ' },
        targets: [{ name: 'Judge', salutation: '', faxNumbers: ['+7499 265 90'] }],
      },
      {
        now,
        joinKeywords: [],
        wording: { ...CONSOLE_WORDING, time: (at) => consoleTime(at, 'Europe/London') },
      },
    );
    expect(problems.map((problem) => problem.message)).toEqual([
      'Letter must not be blank.',
      'Salutation (target 1) must not be blank.',
      'Fax numbers (target 1): "+7499 265 90" is not a valid phone number; give it with + and the country code, e.g. +7 495 987 58 41.',
      'Deadline must be in the future (it is now 6 Dec 2026, 03:56 Europe/London time).',
    ]);
  });
});

describe("a members import's progress", () => {
  const startedAt = new Date('2026-01-01T10:00:00Z');
  const job = {
    id: 1,
    status: 'running' as const,
    dryRun: false,
    rows: 1_500_000,
    uploading: false,
    processed: 500_000,
    imported: 0,
    skipped: 0,
    held: 0,
    refusedCount: 0,
    refused: [],
    error: null,
    createdAt: startedAt,
    startedAt,
    updatedAt: startedAt,
    finishedAt: null,
  };

  it('says the rate so far and the time left at that rate while it checks rows', () => {
    expect(progressOf(job, new Date('2026-01-01T10:00:20Z'))).toEqual({
      state: 'Checking the rows',
      checked: '500,000',
      rows: '1,500,000',
      processed: 500_000,
      rate: '25,000 rows a second',
      left: 'about 1 min left',
    });
  });

  it('says nothing of rate or time before a worker has checked a row, nor time left once all are checked', () => {
    expect(progressOf({ ...job, status: 'queued', processed: 0, startedAt: null }, startedAt)).toMatchObject({
      state: 'Waiting for a worker to take it up',
      rate: '',
      left: '',
    });
    expect(progressOf({ ...job, processed: job.rows }, new Date('2026-01-01T10:01:00Z'))).toMatchObject({
      state: 'Adding the members to the network, all at once',
      rate: '25,000 rows a second',
      left: '',
    });
  });

  it('says the file is still arriving, with the rate of its rows checked so far but no time left', () => {
    expect(progressOf({ ...job, uploading: true }, new Date('2026-01-01T10:00:20Z'))).toMatchObject({
      state: 'Receiving the file: its rows are checked as they arrive',
      rows: '1,500,000',
      rate: '25,000 rows a second',
      left: '',
    });
  });
});

describe('the close confirmation (a view: data in, HTML out)', () => {
  const target = {
    name: 'Prosecutor General',
    title: null,
    organisation: null,
    address: null,
    salutation: 'Dear Prosecutor General',
    faxNumbers: ['+74956924081'],
    emails: [],
    channel: 'fax-then-email',
    language: 'ru',
    timezone: 'Europe/Moscow',
  } as const;
  const campaign: CampaignShown = {
    id: 7,
    keyword: 'MAGAMED',
    title: 'Protect <Magamed> & his lawyer',
    status: 'open',
    reference: null,
    shortTitle: null,
    closesAt: null,
    public: true,
    letter: { subject: null, body: 'Please act.', translation: null },
    contact: null,
    targets: [target, { ...target, name: 'Ombudsman' }, { ...target, name: 'Head of the Republic' }],
    signatureCount: 1300,
    heldCount: 2,
    pendingFaxCount: 1204,
    lateCount: 0,
    hiddenCount: 0,
  };
  const context = { staff: { email: 'c@example.org', role: 'campaigner' as const }, csrf: 'tok"en' };

  it('says what closing sends, escapes what staff typed, and carries the CSRF token', () => {
    const page = closeView(context, campaign).text;
    expect(page).toContain('Protect &lt;Magamed&gt; &amp; his lawyer');
    expect(page.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')).toContain(
      'sends the last batch at once: 1,204 names waiting go to 3 targets',
    );
    expect(page).toContain('action="/console/campaigns/7/close"');
    expect(page).toContain('value="tok&quot;en"');
  });

  it('sends no fax when no name waits, and offers nothing to a campaign that is not open', () => {
    expect(closeView(context, { ...campaign, pendingFaxCount: 0 }).text).toContain('sends no last fax');
    const closed = closeView(context, { ...campaign, status: 'closed' }).text;
    expect(closed).toContain('only an open campaign can be closed');
    expect(closed).not.toContain('<form');
  });
});
