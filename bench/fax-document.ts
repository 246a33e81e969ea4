/**
 * `npx tsx bench/fax-document.ts`: how dense the fax is (names per page, pages and time on the line per
 * target) and what rendering costs (time and peak memory, each size measured in a fresh child process).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { FAX_LAYOUT, type FaxDocumentInput, planFax, signatoryPageSizes } from '../src/fax/layout.js';
import { renderFaxPart } from '../src/fax/render.js';
import { realisticNames } from '../test/fax/realistic-names.js';

const { secondsPerPage: SECONDS_PER_PAGE, maxPages: MAX_PAGES } = loadConfig().fax;
const SIZES = [1_000, 10_000, 100_000];

const LETTER = [
  'We are writing to express our grave concern for the safety of the lawyer Magamed Abubakarov, who has',
  'received repeated death threats after defending clients in politically sensitive cases.',
].join(' ');

function faxInput(names: readonly string[]): FaxDocumentInput {
  return {
    orgName: 'Amnesty International UK',
    reference: 'UA 123/26',
    title: 'Russia: lawyer threatened',
    subject: 'Protect lawyer Magamed Abubakarov',
    // ~330 words: a typical urgent-action letter.
    letterBody: Array.from({ length: 6 }, () => `${LETTER} ${LETTER}`).join('\n\n'),
    date: new Date('2026-11-22T09:00:00Z'),
    timezone: 'Europe/Moscow',
    recipient: {
      name: 'Igor Krasnov',
      title: 'Prosecutor General',
      organisation: 'Prosecutor General’s Office of the Russian Federation',
      address: 'ul. Bolshaya Dmitrovka 15a\nMoscow 125993\nRussian Federation',
      salutation: 'Dear Prosecutor General',
      faxNumbers: ['+74951234567'],
      emails: [],
    },
    names,
    maxPages: MAX_PAGES,
  };
}

// Child side: plan and render every part of one batch to /dev/null, then report time and peak RSS.
async function renderInChild(count: number): Promise<void> {
  const input = faxInput(realisticNames(count));
  const started = performance.now();
  for (const part of planFax(input)) await renderFaxPart(input, part, createWriteStream('/dev/null'));
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

function measureRender(count: number): { ms: number; peakRssMb: number } {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--render', String(count)],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`render child failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
}

function fullPages(names: readonly string[]): { average: number; fewest: number } {
  const sizes = signatoryPageSizes(names).slice(0, -1);
  return { average: sizes.reduce((sum, size) => sum + size, 0) / sizes.length, fewest: Math.min(...sizes) };
}

const mm = (points: number) => ((points * 25.4) / 72).toFixed(1);

/**
 * The least distance from the paper's edges to anything drawn on a signatory page, in mm: the top is the
 * running header's, below the sending machine's own header line.
 */
const MARGINS = `top ${mm(FAX_LAYOUT.headerTop)}, sides ${mm(FAX_LAYOUT.sideMargin)}, bottom ${mm(FAX_LAYOUT.bottomMargin)}`;

export async function benchFaxDocument(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const count of SIZES) {
    const names = realisticNames(count);
    const parts = planFax(faxInput(names));
    const pages = parts.reduce((sum, part) => sum + part.pages, 0);
    const render = measureRender(count);
    const density = fullPages(names);
    rows.push({
      names: count.toLocaleString('en-GB'),
      'names/full page': Number(density.average.toFixed(1)),
      'fewest on a full page': density.fewest,
      'margins mm': MARGINS,
      parts: parts.length,
      pages,
      'on the line': `${((pages * SECONDS_PER_PAGE) / 60).toFixed(1)} min`,
      'render ms': Math.round(render.ms),
      'peak RSS MB': Math.round(render.peakRssMb),
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--render') {
  await renderInChild(Number(process.argv[3]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`${SECONDS_PER_PAGE} s per page, at most ${MAX_PAGES} pages per part, margins (mm) ${MARGINS}`);
  console.table(await benchFaxDocument());
}
