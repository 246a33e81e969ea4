/** `npm run bench`: measures and prints a table per part of the product. */
import { benchBroadcast } from './broadcast.js';
import { benchFaxDocument } from './fax-document.js';
import { benchWebhook } from './webhook.js';

const sections: Array<[string, () => Promise<Array<Record<string, string | number>>>]> = [
  ['Inbound webhook: signing path against a bare baseline', benchWebhook],
  ['Fax document: names per page, parts, time on the line and rendering cost', benchFaxDocument],
  [
    'Broadcast: send rate against SMS_MAX_PER_SECOND, duplicates and texts to opted-out members',
    benchBroadcast,
  ],
];

for (const [title, bench] of sections) {
  console.log(`\n## ${title}`);
  console.table(await bench());
}
process.exit(0);
