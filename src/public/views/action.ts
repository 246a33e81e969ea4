import { html, type SafeHtml } from '../../html.js';
import { dateTimeWithYear } from '../../receipt.js';

/** An action as the public sees it (the public service's `PublicAction`): no names, no numbers. */
export interface ActionView {
  keyword: string;
  title: string;
  summary: string | null;
  status: 'open' | 'closed';
  closesAt: string | null;
  signatureCount: number;
  howToSign: { shortcode: string };
  authorities: ReadonlyArray<{
    name: string;
    deliveries: ReadonlyArray<{
      channel: 'fax' | 'email';
      receivedAt: string;
      pages: number;
      dryRun: boolean;
    }>;
  }>;
  updatedAt: string;
}

/** The public pages' stylesheet, from our own file (public/assets/action.css), inlined in each page. */
export interface PageStyle {
  css: SafeHtml;
}

function when(iso: string, timeZone: string): string {
  return dateTimeWithYear(new Date(iso), timeZone);
}

function authorityItem(authority: ActionView['authorities'][number], timeZone: string): SafeHtml {
  return html`<li><h3>${authority.name}</h3>${
    authority.deliveries.length === 0
      ? html`<p class="muted">Not delivered yet.</p>`
      : html`<ul class="deliveries">${authority.deliveries.map(
          (d) =>
            html`<li>${d.channel === 'fax' ? 'Fax' : 'E-mail'} ${
              d.dryRun ? 'dry run (written to an outbox, not sent)' : 'delivered'
            }, <time datetime="${d.receivedAt}">${when(d.receivedAt, timeZone)}</time>, ${d.pages} page${
              d.pages === 1 ? '' : 's'
            }</li>`,
        )}</ul>`
  }</li>`;
}

/**
 * The public page of an action: accessible, usable on a phone, with an Open Graph card; no names, no
 * numbers.
 */
export function actionPage(
  action: ActionView,
  options: PageStyle & { orgName: string; timeZone: string; pageUrl: string; now: Date },
): SafeHtml {
  const open =
    action.status === 'open' && (action.closesAt === null || new Date(action.closesAt) > options.now);
  const description =
    action.summary ?? `Text ${action.keyword} and your full name to ${action.howToSign.shortcode} to sign.`;
  const smsLink =
    `sms:${encodeURIComponent(action.howToSign.shortcode)}` +
    `?&body=${encodeURIComponent(`${action.keyword} `)}`;
  const deadline = action.closesAt
    ? `${when(action.closesAt, options.timeZone)} (${options.timeZone.replace('_', ' ')} time)`
    : 'none set';
  const authorities = action.authorities.map((authority) => authorityItem(authority, options.timeZone));
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${action.title} — ${options.orgName}</title>
<meta name="description" content="${description}">
<meta property="og:type" content="website">
<meta property="og:title" content="${action.title}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${options.pageUrl}">
<meta property="og:site_name" content="${options.orgName}">
<meta name="twitter:card" content="summary">
<link rel="canonical" href="${options.pageUrl}">
<link rel="alternate" type="application/json" href="${options.pageUrl}.json">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${options.css}</style>
<script src="/act/live.js" defer></script>
</head>
<body>
<main>
<p class="muted">${options.orgName} · urgent action ${action.keyword}</p>
<h1>${action.title}</h1>
${action.summary ? html`<p>${action.summary}</p>` : ''}
${
  open
    ? html`<section class="sign" aria-labelledby="how"><h2 id="how">How to sign</h2>
<p>Text <strong>${action.keyword}</strong> and your full name to <strong>${
        action.howToSign.shortcode
      }</strong>.</p>
<p class="muted">For example: <kbd>${action.keyword} Your Name</kbd>. Your name goes on our fax;
  your number never does.</p>
<a class="button" href="${smsLink}">Text ${action.keyword} to ${action.howToSign.shortcode}</a></section>`
    : html`<p class="closed">This action has closed. Thank you to everyone who signed.</p>`
}
<div class="stats">
<p class="stat"><span class="count" id="count"
  data-json="/act/${encodeURIComponent(action.keyword)}.json">${action.signatureCount.toLocaleString(
    'en-GB',
  )}</span> names signed</p>
<p class="stat"><strong>Deadline</strong><br>${deadline}</p>
</div>
<section aria-labelledby="deliveries"><h2 id="deliveries">Where the names went</h2>
${
  authorities.length === 0
    ? html`<p class="muted">No fax has been sent yet.</p>`
    : html`<ul class="deliveries">${authorities}</ul>`
}
</section>
<footer><p>Times in ${options.timeZone.replace('_', ' ')} time.
  Updated ${when(action.updatedAt, options.timeZone)}.</p></footer>
</main>
</body>
</html>`;
}

/** What a browser shows for a keyword that names no public action (a mistyped link, a closed draft). */
export function noActionPage(
  keyword: string,
  options: PageStyle & { orgName: string; shortcode: string },
): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>No such action — ${options.orgName}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${options.css}</style>
</head>
<body>
<main>
<p class="muted">${options.orgName}</p>
<h1>No such action</h1>
<p>There is no public action called <strong>${keyword.slice(0, 40)}</strong>. Check the link or the keyword:
  it may be misspelt, or the action may not be public.</p>
<p class="muted">To sign an action, text its keyword and your full name to ${options.shortcode}.</p>
</main>
</body>
</html>`;
}
