import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { FaxProvider } from './types.js';

/** The sent log of the file provider: one JSON line per fax, no supporter data. */
export const SENT_LOG = 'sent.jsonl';

/**
 * No network: the PDF stays where it was rendered under FAX_OUTBOX_DIR and each send appends a line to
 * sent.jsonl. The part is `written` at once (not delivered: no machine got it), so demo campaigns and
 * local runs go end to end and say they were dry runs.
 */
export function createFileProvider({
  outboxDir,
  clock,
}: {
  outboxDir: string;
  clock: () => Date;
}): FaxProvider {
  return {
    name: 'file',
    async submit(fax) {
      const providerFaxId = `file-${randomUUID()}`;
      const at = clock();
      const line = {
        at: at.toISOString(),
        providerFaxId,
        deliveryId: fax.deliveryId === null ? null : String(fax.deliveryId),
        batchId: fax.batchId === null ? null : String(fax.batchId),
        campaign: fax.campaignKeyword,
        target: fax.targetName,
        faxNumber: fax.faxNumber,
        pages: fax.pages,
        file: relative(outboxDir, fax.file),
        ...(fax.test ? { test: true } : {}),
      };
      await mkdir(outboxDir, { recursive: true });
      await appendFile(join(outboxDir, SENT_LOG), `${JSON.stringify(line)}\n`);
      return {
        providerFaxId,
        outcome: {
          state: 'written',
          facts: { completedAt: at, pagesSent: fax.pages, durationSeconds: null, remoteId: null },
        },
      };
    },
  };
}
