/**
 * The letter page and a signatory page of the MAGAMED demo's fax to the Prosecutor General (a Russian
 * target, with its letter in Russian first), for the README: `npx tsx scripts/letter-pages.ts` renders
 * the part and rasterises its first two pages with pdftoppm (poppler-utils) into docs/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CAMPAIGNS, DEMO_OPEN_KEYWORD } from '../src/campaigns/demo-campaigns.js';
import { loadConfig } from '../src/config.js';
import { type FaxDocumentInput, type FaxPart, planFax } from '../src/fax/layout.js';
import { renderFaxPartToBuffer } from '../src/fax/render.js';
import { realisticNames } from '../test/fax/realistic-names.js';

const OUT = 'docs/screenshots';
const demo = DEMO_CAMPAIGNS.find((campaign) => campaign.keyword === DEMO_OPEN_KEYWORD);
const target = demo?.targets[1];
if (!demo || !target) throw new Error('the demo campaign has changed');

const config = loadConfig({
  ORG_ADDRESS: 'Human Rights Action Centre\\n17-25 New Inn Yard\\nLondon EC2A 3EA, United Kingdom',
  ORG_PHONE: '+44 20 7946 0500',
  ORG_EMAIL: 'urgent-actions@example.org',
});
const input: FaxDocumentInput = {
  orgName: config.orgName,
  letterhead: config.letterhead,
  contact: null,
  language: target.language,
  reference: demo.reference,
  title: demo.title,
  shortTitle: demo.shortTitle,
  subject: demo.letter.subject,
  letterBody: demo.letter.body,
  translation: demo.letter.translation ?? null,
  date: new Date('2026-11-23T09:00:00Z'),
  timezone: target.timezone,
  recipient: { ...target },
  names: realisticNames(3985),
  maxPages: config.fax.maxPages,
};
const dir = mkdtempSync(join(tmpdir(), 'letter-pages-'));
try {
  const pdf = join(dir, 'part.pdf');
  writeFileSync(pdf, await renderFaxPartToBuffer(input, planFax(input)[0] as FaxPart));
  // Fax fine mode is about 200 dpi; 100 dpi keeps the README light and still legible.
  for (const [page, name] of [
    [1, 'fax-letter-ru'],
    [3, 'fax-signatories-ru'],
  ] as const) {
    const prefix = join(dir, name);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '100',
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      pdf,
      prefix,
    ]);
    execFileSync('cp', [`${prefix}.png`, join(OUT, `${name}.png`)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
