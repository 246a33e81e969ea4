/** `npm run bench [webhook|fax|broadcast|import|scale]`: measures and prints a table per part of the product. */
import { benchBroadcast } from './broadcast.js';
import { benchFaxDocument } from './fax-document.js';
import { benchImport } from './import.js';
import { benchScale } from './scale.js';
import { benchWebhook } from './webhook.js';

type Section = [name: string, title: string, bench: () => Promise<Array<Record<string, string | number>>>];

const sections: Section[] = [
  ['webhook', 'Inbound webhook: two floods against a bare route', benchWebhook],
  [
    'fax',
    'Fax document: names per page, margins, parts, time on the line and rendering cost',
    benchFaxDocument,
  ],
  [
    'broadcast',
    'Broadcast: send rate against SMS_MAX_PER_SECOND, duplicates and texts to opted-out members',
    benchBroadcast,
  ],
  [
    'import',
    'Member import: 200,000 rows through the API, time and peak RSS; a second import meanwhile',
    benchImport,
  ],
  [
    'scale',
    'Scale: each figure with 60,000 and 1,000,000 members, the network imported by the import job',
    benchScale,
  ],
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !sections.some(([known]) => known === name));
if (unknown.length > 0) {
  console.error(
    `unknown section ${unknown.join(', ')}; sections: ${sections.map(([name]) => name).join(', ')}`,
  );
  process.exit(2);
}
for (const [name, title, bench] of sections) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n## ${title}`);
  console.table(await bench());
}
process.exit(0);
