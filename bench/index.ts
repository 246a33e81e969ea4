/** `npm run bench`: measures and prints a table per part of the product. */
import { benchFaxDocument } from './fax-document.js';
import { benchWebhook } from './webhook.js';

const sections: Array<[string, () => Promise<Array<Record<string, string | number>>>]> = [
  ['Inbound webhook: signing path against a bare baseline', benchWebhook],
  ['Fax document: names per page, parts, time on the line and rendering cost', benchFaxDocument],
];

for (const [title, bench] of sections) {
  console.log(`\n## ${title}`);
  console.table(await bench());
}
process.exit(0);
