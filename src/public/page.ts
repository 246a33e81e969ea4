import { dateTimeWithYear } from '../receipt.js';
import type { PublicAction } from './service.js';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
:root { --ink: #1b1b1b; --muted: #555; --line: #d0d0d0; --accent: #0b57d0; --good: #146c2e; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 42rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f9a825; outline-offset: 2px; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .5rem 0 .75rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.count { font-size: 2.4rem; font-weight: 700; line-height: 1.1; display: block; }
.stats { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem; flex: 1 1 9rem; }
.sign { background: #fffbe6; border: 2px solid #e0b000; border-radius: 8px; padding: .8rem 1rem; }
.sign strong { font-size: 1.2rem; }
.button { display: inline-block; margin-top: .5rem; padding: .6rem 1rem; border-radius: 6px; background: var(--accent); color: #fff; text-decoration: none; font-weight: 600; }
ul.deliveries { list-style: none; padding: 0; margin: 0; }
ul.deliveries li { border-bottom: 1px solid var(--line); padding: .4rem 0; }
ul.deliveries ul.deliveries li { border: 0; padding: .2rem 0; }
h3 { font-size: 1.05rem; margin: .25rem 0; }
.muted { color: var(--muted); }
.closed { color: var(--muted); font-weight: 600; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
`;

function when(iso: string, timeZone: string): string {
  return dateTimeWithYear(new Date(iso), timeZone);
}

/** The public page of an action: accessible, usable on a phone, with an Open Graph card; no names, no numbers. */
export function renderActionPage(
  action: PublicAction,
  options: { orgName: string; timeZone: string; pageUrl: string; now: Date },
): string {
  const e = escapeHtml;
  const open =
    action.status === 'open' && (action.closesAt === null || new Date(action.closesAt) > options.now);
  const description =
    action.summary ?? `Text ${action.keyword} and your full name to ${action.howToSign.shortcode} to sign.`;
  const smsLink = `sms:${encodeURIComponent(action.howToSign.shortcode)}?&body=${encodeURIComponent(`${action.keyword} `)}`;
  const deadline = action.closesAt
    ? `${when(action.closesAt, options.timeZone)} (${options.timeZone.replace('_', ' ')} time)`
    : 'none set';
  const authorities = action.authorities.map(
    (authority) =>
      `<li><h3>${e(authority.name)}</h3>${
        authority.deliveries.length === 0
          ? '<p class="muted">Not delivered yet.</p>'
          : `<ul class="deliveries">${authority.deliveries
              .map(
                (d) =>
                  `<li>${d.channel === 'fax' ? 'Fax' : 'E-mail'} ${d.dryRun ? 'dry run (written to an outbox, not sent)' : 'delivered'}, ` +
                  `<time datetime="${e(d.receivedAt)}">${e(when(d.receivedAt, options.timeZone))}</time>, ` +
                  `${d.pages} page${d.pages === 1 ? '' : 's'}</li>`,
              )
              .join('')}</ul>`
      }</li>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(action.title)} — ${e(options.orgName)}</title>
<meta name="description" content="${e(description)}">
<meta property="og:type" content="website">
<meta property="og:title" content="${e(action.title)}">
<meta property="og:description" content="${e(description)}">
<meta property="og:url" content="${e(options.pageUrl)}">
<meta property="og:site_name" content="${e(options.orgName)}">
<meta name="twitter:card" content="summary">
<link rel="canonical" href="${e(options.pageUrl)}">
<link rel="alternate" type="application/json" href="${e(options.pageUrl)}.json">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${CSS}</style>
<script src="/act/live.js" defer></script>
</head>
<body>
<main>
<p class="muted">${e(options.orgName)} · urgent action ${e(action.keyword)}</p>
<h1>${e(action.title)}</h1>
${action.summary ? `<p>${e(action.summary)}</p>` : ''}
${
  open
    ? `<section class="sign" aria-labelledby="how"><h2 id="how">How to sign</h2>
<p>Text <strong>${e(action.keyword)}</strong> and your full name to <strong>${e(action.howToSign.shortcode)}</strong>.</p>
<p class="muted">For example: <kbd>${e(action.keyword)} Your Name</kbd>. Your name goes on our fax; your number never does.</p>
<a class="button" href="${e(smsLink)}">Text ${e(action.keyword)} to ${e(action.howToSign.shortcode)}</a></section>`
    : '<p class="closed">This action has closed. Thank you to everyone who signed.</p>'
}
<div class="stats">
<p class="stat"><span class="count" id="count" data-json="/act/${e(encodeURIComponent(action.keyword))}.json">${action.signatureCount.toLocaleString('en-GB')}</span> names signed</p>
<p class="stat"><strong>Deadline</strong><br>${e(deadline)}</p>
</div>
<section aria-labelledby="deliveries"><h2 id="deliveries">Where the names went</h2>
${authorities.length === 0 ? '<p class="muted">No fax has been sent yet.</p>' : `<ul class="deliveries">${authorities.join('')}</ul>`}
</section>
<footer><p>Times in ${e(options.timeZone.replace('_', ' '))} time. Updated ${e(when(action.updatedAt, options.timeZone))}.</p></footer>
</main>
</body>
</html>`;
}

/** The site's icon, for the public pages and the console alike: a text bubble. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#111"/><path d="M6 7h20v13H14l-6 5v-5H6z" fill="#f9a825"/></svg>`;

/** What a browser shows for a keyword that names no public action (a mistyped link, a closed draft). */
export function renderNoActionPage(keyword: string, options: { orgName: string; shortcode: string }): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>No such action — ${e(options.orgName)}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${CSS}</style>
</head>
<body>
<main>
<p class="muted">${e(options.orgName)}</p>
<h1>No such action</h1>
<p>There is no public action called <strong>${e(keyword.slice(0, 40))}</strong>. Check the link or the keyword: it may be misspelt, or the action may not be public.</p>
<p class="muted">To sign an action, text its keyword and your full name to ${e(options.shortcode)}.</p>
</main>
</body>
</html>`;
}

/**
 * The page's only script: the count follows the JSON every 15 seconds while the page is shown (the page
 * works without it). Quietly, without a live region: a count ticking up is not worth interrupting a
 * screen reader for.
 */
export const LIVE_COUNT_JS = `(() => {
  const count = document.getElementById('count');
  const url = count && count.dataset.json;
  if (!url) return;
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) return;
      const action = await response.json();
      count.textContent = Number(action.signatureCount).toLocaleString('en-GB');
    } catch {}
  }, 15000);
})();
`;

/** A badge of the count for other web pages: "MAGAMED signed | 1,234". */
export function renderBadge(action: PublicAction): string {
  const label = `${action.keyword} signed`;
  const value = action.signatureCount.toLocaleString('en-GB');
  // About 7 px a character at 11 px Verdana; exact widths do not matter for a badge.
  const left = 10 + label.length * 7;
  const right = 10 + value.length * 8;
  const e = escapeHtml;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + right}" height="20" role="img" aria-label="${e(label)}: ${e(value)}">
<title>${e(label)}: ${e(value)}</title>
<rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="#146c2e"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="${left / 2}" y="14">${e(label)}</text><text x="${left + right / 2}" y="14">${e(value)}</text></g>
</svg>`;
}
