import { resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import type { FaxDeliveryRow, TargetRow } from '../db/rows.js';
import { notFound } from '../errors.js';
import { decideEmail } from '../mail/state.js';
import {
  type MailOutcome,
  type MailTransport,
  messageIdDomain,
  type OutgoingMail,
  reachesRealMailboxes,
} from '../mail/transport.js';
import { enqueue } from '../queue/outbox.repository.js';
import { type Channels, readyToSend } from './channels.js';
import type { DeliveryInContext } from './deliveries.repository.js';
import * as deliveriesRepository from './deliveries.repository.js';
import { faxInput, letterPlainText } from './layout.js';
import { message } from './messages/index.js';
import type { DeliveryTiming } from './timing.js';

/**
 * The Message-ID of a delivery's e-mail to its current address: the same at every send to that address,
 * so that a copy resent after an uncertain send is known by the recipient's mail system for what it is.
 * The delivery's random token keeps it unique between installs.
 */
export function emailMessageId(config: Config, delivery: FaxDeliveryRow): string {
  const token = delivery.callbackToken.slice(0, 12);
  return `<pp-${delivery.id}.${delivery.numberIndex}.${token}@${messageIdDomain(config.mail.from)}>`;
}

/** The part as an e-mail: the letter in the body, in the target's language, and the PDF attached. */
function targetMail(config: Config, { delivery, campaign, target, batch }: DeliveryInContext): OutgoingMail {
  const language = target.language;
  // The letter's text reads only how many names the batch carries, not the names.
  const input = faxInput(
    config,
    campaign,
    target,
    { names: [], from: 0, count: batch.signatureCount },
    batch.createdAt,
    delivery.resent,
  );
  const translated = campaign.letterTranslation?.language === language ? campaign.letterTranslation : null;
  const subject = translated?.subject ?? campaign.letterSubject ?? campaign.title;
  const { part, parts, pages } = delivery;
  return {
    from: { name: config.orgName, address: config.mail.from },
    to: delivery.emailAddress as string,
    replyTo: campaign.contact?.email ?? config.letterhead.email,
    subject: parts > 1 ? message(language, 'emailSubjectPart', { subject, part, parts }) : subject,
    text: `${letterPlainText(input, delivery)}\n\n${message(language, 'emailAttached', { pages })}\n`,
    messageId: emailMessageId(config, delivery),
    attachments: [
      {
        filename: message(language, 'emailAttachment', { part, parts }),
        path: resolve(config.fax.outboxDir, delivery.documentPath as string),
      },
    ],
  };
}

/**
 * The e-mail channel's state machine: waiting → sending → delivered (written, in a dry run), failed,
 * uncertain, or waiting again (the same address later, or the next one). As for a fax, the send is
 * recorded before the SMTP session (sending, attempt counted) and after it (the server's reply), and
 * the session runs while this run holds the delivery's row lock. Unlike a fax provider, a mail server
 * cannot be asked afterwards whether it took a message: a delivery found sending by a run that could
 * lock it was interrupted, and becomes uncertain rather than being sent again.
 */
export function createEmailSenderService({
  db,
  clock,
  config,
  transport,
  channels,
  timing,
}: {
  db: Db;
  clock: () => Date;
  config: Config;
  transport: MailTransport;
  channels: Channels;
  timing: DeliveryTiming;
}) {
  const policy = {
    delaysMs: timing.retryDelaysMs,
    maxAttemptsPerAddress: timing.maxAttemptsPerNumber,
    blockedRetryMs: timing.blockedRetryMs,
  };

  /** Moves a waiting delivery to sending when it is due; returns the attempt this run makes, or null. */
  function claim(deliveryId: number): Promise<number | null> {
    return db.transaction(async (tx) => {
      const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'wait');
      if (!row) throw notFound('E-mail delivery');
      const { delivery } = row;
      const now = clock();
      if (delivery.status === 'sending') {
        // Nobody holds the lock, so the run that was sending it stopped without recording a reply.
        await deliveriesRepository.updateDelivery(tx, deliveryId, {
          status: 'uncertain',
          lastError:
            `${delivery.emailAddress}: the send was interrupted (its worker stopped) before a reply was ` +
            'recorded. The server may have it: check before resending; a resend keeps its Message-ID.',
          updatedAt: now,
        });
        return null;
      }
      if (!readyToSend(delivery)) return null;
      if (row.campaign.isDemo && reachesRealMailboxes(transport.name)) {
        await channels.finish(
          tx,
          delivery,
          {
            status: 'failed',
            lastError:
              `Refused: this is a demo campaign with fictional e-mail addresses, ` +
              `never sent through ${transport.name}.`,
          },
          now,
        );
        return null;
      }
      if (delivery.nextAttemptAt && delivery.nextAttemptAt > now) {
        await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId }, delivery.nextAttemptAt);
        return null;
      }
      await deliveriesRepository.markSending(tx, deliveryId, {
        provider: transport.name,
        now,
        newAttempt: true,
      });
      // The row is locked: the count just made is this one.
      return delivery.attempts + 1;
    });
  }

  async function record(tx: Tx, delivery: FaxDeliveryRow, target: TargetRow, outcome: MailOutcome) {
    const now = clock();
    const decision = decideEmail(
      { addresses: target.emails, index: delivery.numberIndex, addressAttempts: delivery.numberAttempts },
      outcome,
      now,
      policy,
    );
    switch (decision.status) {
      case 'delivered':
      case 'written':
        return channels.finish(
          tx,
          delivery,
          {
            status: decision.status,
            lastError: null,
            smtpReply: decision.status === 'delivered' ? decision.reply : null,
            providerCompletedAt: now,
            pagesSent: delivery.pages,
          },
          now,
        );
      case 'failed':
        return channels.finish(
          tx,
          delivery,
          { status: 'failed', lastError: decision.lastError, smtpReply: decision.reply },
          now,
        );
      case 'uncertain':
        await deliveriesRepository.updateDelivery(tx, delivery.id, {
          status: 'uncertain',
          lastError: decision.lastError,
          smtpReply: decision.reply,
          updatedAt: now,
        });
        return;
      case 'blocked':
        // Shown to staff (batch page, stuck page) until the sender is fixed; the job tries again.
        return channels.tryAgainAt(
          tx,
          delivery.id,
          {
            status: 'blocked',
            numberAttempts: decision.addressAttempts,
            nextAttemptAt: decision.retryAt,
            lastError: decision.lastError,
            smtpReply: decision.reply,
            submittedAt: null,
            updatedAt: now,
          },
          decision.retryAt,
        );
      case 'waiting':
        return channels.tryAgainAt(
          tx,
          delivery.id,
          {
            status: 'waiting',
            numberIndex: decision.index,
            emailAddress: decision.address,
            numberAttempts: decision.addressAttempts,
            nextAttemptAt: decision.retryAt,
            lastError: decision.lastError,
            smtpReply: decision.reply,
            submittedAt: null,
            updatedAt: now,
          },
          decision.retryAt,
        );
    }
  }

  return {
    /** Sends one rendered part by e-mail, once: a second run of the job finds it locked or moved on. */
    async send(deliveryId: number): Promise<void> {
      const attempt = await claim(deliveryId);
      if (attempt === null) return;
      await db.transaction(async (tx) => {
        const row = await deliveriesRepository.deliveryInContext(tx, deliveryId, 'skip');
        if (row?.delivery.status !== 'sending' || row.delivery.attempts !== attempt) return;
        let outcome: MailOutcome;
        try {
          outcome = await transport.send(targetMail(config, row));
        } catch (error) {
          // Failed before any server was reached (the document unreadable, say): nothing was sent.
          outcome = { status: 'deferred', reply: (error as Error).message };
        }
        await record(tx, row.delivery, row.target, outcome);
      });
    },

    /**
     * E-mails staff (the campaign's contact, else ORG_EMAIL) that a target did not receive a part by any
     * channel; once, and not when staff have retried it since. Throws when the mail is not taken, so
     * that the job is tried again.
     */
    async notifyFailure(deliveryId: number): Promise<{ sent: boolean }> {
      const row = await deliveriesRepository.deliveryInContext(db, deliveryId, 'none');
      if (!row || row.delivery.staffNotifiedAt !== null) return { sent: false };
      const { delivery, campaign, target } = row;
      const channelsOfPart = await deliveriesRepository.deliveriesOfPart(db, delivery);
      if (channelsOfPart.some((each) => each.status !== 'failed')) return { sent: false };
      const to = campaign.contact?.email ?? config.letterhead.email;
      if (!to) return { sent: false };
      const reasons = channelsOfPart.map(
        (each) =>
          `- ${each.channel === 'fax' ? `fax ${each.faxNumber}` : `e-mail ${each.emailAddress}`}: ` +
          `${each.lastError ?? 'no reason recorded'}`,
      );
      const outcome = await transport.send({
        from: { name: config.orgName, address: config.mail.from },
        to,
        replyTo: null,
        subject:
          `Not delivered: ${campaign.title} to ${target.name}, ` +
          `part ${delivery.part} of ${delivery.parts}`,
        text: [
          `Fax batch ${delivery.batchId} of "${campaign.title}": ${target.name} did not receive part ` +
            `${delivery.part} of ${delivery.parts} (${delivery.pages} pages) by any channel.`,
          '',
          ...reasons,
          '',
          `See it and retry: ${config.publicBaseUrl}/console/fax-batches/${delivery.batchId}`,
          '',
        ].join('\n'),
        messageId:
          `<pp-failed-${delivery.id}.${delivery.attempts}.${delivery.callbackToken.slice(0, 12)}` +
          `@${messageIdDomain(config.mail.from)}>`,
        attachments: [],
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      if (outcome.status !== 'accepted' && outcome.status !== 'written') {
        throw new Error(`the mail server did not take the notice to staff: ${outcome.reply}`);
      }
      await deliveriesRepository.updateDelivery(db, deliveryId, { staffNotifiedAt: clock() });
      return { sent: true };
    },
  };
}

export type EmailSenderService = ReturnType<typeof createEmailSenderService>;
