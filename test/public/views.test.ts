import { describe, expect, it } from 'vitest';
import { SafeHtml } from '../../src/html.js';
import { actionPage, noActionPage } from '../../src/public/views/action.js';
import { badgeSvg } from '../../src/public/views/badge.js';

const action = {
  keyword: 'FREE',
  title: `"Free" O'Neil & <b>co</b>`,
  summary: '<script>alert(1)</script>',
  status: 'open' as const,
  closesAt: null,
  signatureCount: 12345,
  howToSign: { shortcode: '70123' },
  authorities: [
    {
      name: 'Court <A>',
      deliveries: [{ channel: 'fax' as const, receivedAt: '2026-12-01T09:30:00Z', pages: 2, dryRun: false }],
    },
  ],
  updatedAt: '2026-12-03T09:30:00Z',
};
const options = {
  css: new SafeHtml('main { color: red; }'),
  orgName: 'Org & "Friends"',
  timeZone: 'Europe/London',
  pageUrl: 'https://example.org/act/FREE',
  now: new Date('2026-12-04T00:00:00Z'),
};

describe('the public views', () => {
  it('escape every text they are given, in content and in attributes, with the one html template', () => {
    const page = actionPage(action, options).text;
    expect(page).toContain(
      '<title>&quot;Free&quot; O&#39;Neil &amp; &lt;b&gt;co&lt;/b&gt; — Org &amp; &quot;Friends&quot;</title>',
    );
    expect(page).toContain('<meta name="description" content="&lt;script&gt;alert(1)&lt;/script&gt;">');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('<h3>Court &lt;A&gt;</h3>');
    expect(page).toContain('<style>main { color: red; }</style>');
    expect(page).toContain('>12,345</span> names signed');
    expect(page).toContain('Fax delivered, <time datetime="2026-12-01T09:30:00Z">');

    const none = noActionPage('<img src=x>', { ...options, shortcode: '70123' }).text;
    expect(none).toContain('<strong>&lt;img src=x&gt;</strong>');
    expect(none).toContain('<meta name="robots" content="noindex">');
  });

  it('draw the badge with the keyword and the count, escaped', () => {
    const badge = badgeSvg({ keyword: 'A<B', signatureCount: 1234 }).text;
    expect(badge).toContain('aria-label="A&lt;B signed: 1,234"');
    expect(badge).toContain('<title>A&lt;B signed: 1,234</title>');
  });
});
