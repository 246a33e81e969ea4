import PDFDocument from 'pdfkit';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { FaxDeliveryRow, TargetRow } from '../db/rows.js';
import { notFound } from '../errors.js';
import {
  channelWord,
  type DeliveryFact,
  describeReceipts,
  RECEIVED_STATUSES,
  type TargetReceipt,
  targetReceipts,
} from '../receipt.js';
import { formatUtc } from '../time.js';
import { batchById, batchWithCampaign } from './batches.repository.js';
import { deliveriesOfBatch } from './deliveries.repository.js';
import { FACES } from './fonts.js';

/** A delivery and its target, as read from their tables, as a receipt counts it. */
export function deliveryFact(delivery: FaxDeliveryRow, target: TargetRow): DeliveryFact {
  return {
    targetId: target.id,
    targetName: target.name,
    targetTitle: target.title,
    targetPosition: target.position,
    part: delivery.part,
    parts: delivery.parts,
    channel: delivery.channel,
    status: delivery.status,
    receivedAt: RECEIVED_STATUSES.includes(delivery.status)
      ? (delivery.providerCompletedAt ?? delivery.completedAt)
      : null,
    pages: delivery.pages,
  };
}

/**
 * Delivery receipts: for every part sent to every target by every channel, what the provider reported
 * and the SHA-256 of the PDF sent. Staff-only (the fax numbers dialled are the authorities', public, but
 * the receipt is staff's to forward); the names signed are never in it.
 */
export function createReceiptsService({ db, config }: { db: Db; config: Config }) {
  async function batchReceipt(batchId: number) {
    const row = await batchWithCampaign(db, batchId);
    if (!row) throw notFound('Fax batch');
    const rows = await deliveriesOfBatch(db, batchId);
    const facts = rows.map(({ delivery, target }) => deliveryFact(delivery, target));
    const perTarget = targetReceipts(facts).map((target) => ({
      targetId: target.targetId,
      name: target.label.name,
      received: target.receipt !== null,
      channel: target.receipt?.channel ?? null,
      receivedAt: target.receipt?.at ?? null,
      dryRun: target.receipt?.dryRun ?? false,
      pages: target.pages,
    }));
    const receipts = targetReceipts(facts)
      .map((target) => target.receipt)
      .filter((receipt): receipt is TargetReceipt => receipt !== null);
    const allReceived = perTarget.length > 0 && perTarget.every((target) => target.received);
    return {
      batchId: row.batch.id,
      campaign: { id: row.campaign.id, keyword: row.campaign.keyword, title: row.campaign.title },
      status: row.batch.status,
      signatureCount: row.batch.signatureCount,
      createdAt: row.batch.createdAt,
      completedAt: row.batch.completedAt,
      allReceived,
      dryRun: perTarget.some((target) => target.dryRun),
      /** The `{receipt}` sentence, once every target has received every part; else null. */
      sentence: allReceived ? describeReceipts(receipts, config.orgTimezone) : null,
      targets: perTarget,
      deliveries: rows.map(({ delivery, target }) => ({
        id: delivery.id,
        targetId: target.id,
        targetName: target.name,
        part: delivery.part,
        parts: delivery.parts,
        channel: delivery.channel,
        status: delivery.status,
        provider: delivery.provider,
        providerFaxId: delivery.providerFaxId,
        /** The fax number dialled or the address mailed (an authority's, public; never a supporter's). */
        address: (delivery.faxNumber ?? delivery.emailAddress) as string,
        startedAt: delivery.submittedAt,
        endedAt: delivery.providerCompletedAt ?? delivery.completedAt,
        pages: delivery.pages,
        pagesSent: delivery.pagesSent,
        durationSeconds: delivery.durationSeconds,
        remoteId: delivery.remoteId,
        serverReply: delivery.smtpReply,
        documentSha256: delivery.documentSha256,
        attempts: delivery.attempts,
      })),
    };
  }

  return {
    batchReceipt,

    /** The `{receipt}` sentence of a campaign's batch, or why there is none (for the `batch:` audience). */
    async receiptSentence(campaignId: number, batchId: number) {
      const batch = await batchById(db, batchId);
      if (!batch || batch.campaignId !== campaignId) return { ok: false as const, reason: 'not_in_campaign' };
      const receipt = await batchReceipt(batchId);
      return receipt.sentence === null
        ? { ok: false as const, reason: 'not_received' }
        : { ok: true as const, sentence: receipt.sentence };
    },

    /** The receipt as a PDF staff can forward, in the fax's fonts. */
    async receiptPdf(batchId: number): Promise<Buffer> {
      const receipt = await batchReceipt(batchId);
      const doc = new PDFDocument({
        size: 'A4',
        margin: 50,
        info: { Title: `Delivery receipt, batch ${batchId}` },
      });
      for (const [name, face] of Object.entries(FACES)) doc.registerFont(name, face.font as never);
      const chunks: Buffer[] = [];
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
      const when = (at: Date | null) => (at ? formatUtc(at) : '—');
      doc.font('bold').fontSize(16).text(`Delivery receipt — fax batch ${receipt.batchId}`);
      doc.moveDown(0.3).font('regular').fontSize(10);
      doc.text(`${config.orgName} · ${receipt.campaign.keyword}: ${receipt.campaign.title}`);
      doc.text(
        `${receipt.signatureCount} names · made ${when(receipt.createdAt)} · status ${receipt.status}` +
          (receipt.dryRun ? ' (dry run: written to an outbox, no machine reached)' : ''),
      );
      if (receipt.sentence) doc.moveDown(0.5).font('bold').text(`Received by ${receipt.sentence}.`);
      for (const d of receipt.deliveries) {
        doc.moveDown(0.8).font('bold').fontSize(11);
        doc.text(`${d.targetName} — part ${d.part} of ${d.parts}, ${channelWord(d.channel)}`);
        doc.font('regular').fontSize(9);
        const lines: Array<[string, string | number | null]> = [
          ['Status', d.status === 'written' ? 'written (dry run)' : d.status],
          ['Provider', d.provider],
          ['Provider’s id', d.providerFaxId],
          [d.channel === 'fax' ? 'Number dialled' : 'Address', d.address],
          ['Started', when(d.startedAt)],
          ['Ended', when(d.endedAt)],
          ['Pages', d.pagesSent === null ? `${d.pages}` : `${d.pagesSent} of ${d.pages} sent`],
          ['Call duration', d.durationSeconds === null ? 'not reported' : `${d.durationSeconds} s`],
          ['Remote machine', d.remoteId ?? 'not reported'],
          ['Mail server reply', d.serverReply],
          ['SHA-256 of the PDF', d.documentSha256],
        ];
        for (const [label, value] of lines) {
          if (value === null) continue;
          doc.font('bold').text(`${label}: `, { continued: true }).font('regular').text(String(value));
        }
      }
      doc
        .moveDown(1)
        .fontSize(8)
        .font('regular')
        .text(`Times in UTC. Printed ${formatUtc(new Date())}.`);
      doc.end();
      return done;
    },
  };
}

export type ReceiptsService = ReturnType<typeof createReceiptsService>;
export type BatchReceipt = Awaited<ReturnType<ReceiptsService['batchReceipt']>>;
