// Sending one e-mail, over SMTP (nodemailer) or into the outbox as an .eml file. Nothing here knows what
// the mail carries: the fax room composes it and keeps its state. What comes back is the server's reply
// and, when there was none, how far the send got, since that decides whether it may be sent again.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Config } from '../config.js';

export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  /** Where an answer goes: the campaign's contact or the organisation. */
  replyTo: string | null;
  subject: string;
  text: string;
  /** `<…@…>`: the same for every send of one message, so that a resent copy is known for what it is. */
  messageId: string;
  attachments: Array<{ filename: string; path: string }>;
  headers?: Record<string, string>;
}

/**
 * How a send ended. `accepted`: the server took it (its reply, queue id and all); `written`: the file
 * transport's dry run; `deferred`: a 4xx reply, or the connection failed or timed out before the message's
 * data began (send again later); `refused`: a 5xx reply to the recipient (not to this address);
 * `blocked`: the server refused our login or our sender (MAIL FROM), our configuration's fault and no
 * word on the recipient, so the same address is tried again once fixed; `uncertain`: cut off after the data
 * began with no reply seen, so the server may have it and the send must not be repeated blindly.
 */
export type MailOutcome =
  | { status: 'accepted'; reply: string }
  | { status: 'written'; file: string }
  | { status: 'deferred' | 'refused' | 'blocked' | 'uncertain'; reply: string };

export type MailTransportName = Config['mail']['transport'];

export interface MailTransport {
  readonly name: MailTransportName;
  send(mail: OutgoingMail): Promise<MailOutcome>;
}

/**
 * Whether a transport's mail reaches real mailboxes: demo campaigns, whose addresses are fictional, never use
 * one.
 */
export const reachesRealMailboxes = (transport: MailTransportName) => transport !== 'file';

/** The domain of our own Message-IDs: MAIL_FROM's. */
export const messageIdDomain = (from: string) => from.slice(from.lastIndexOf('@') + 1);

function compose(mail: OutgoingMail): Promise<Buffer> {
  return new MailComposer({
    from: mail.from,
    to: mail.to,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    attachments: mail.attachments.map((attachment) => ({ ...attachment, contentType: 'application/pdf' })),
    ...(mail.headers ? { headers: mail.headers } : {}),
  })
    .compile()
    .build();
}

interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
  /** The command nodemailer was at: `AUTH PLAIN`, `MAIL FROM`, `RCPT TO`, `DATA`, `CONN` … */
  command?: string;
}

/**
 * A reply decides; without one, only a send whose data had begun may have reached the server. A login or
 * a MAIL FROM refused for good (5xx) is about us (credentials, the sender address), not the recipient.
 */
function outcomeOf(error: SmtpError, dataBegan: boolean): MailOutcome {
  const code = error.responseCode;
  const ours = error.command?.startsWith('AUTH') || error.command === 'MAIL FROM';
  if (ours && code !== undefined && code >= 500) {
    return { status: 'blocked', reply: error.response ?? String(code) };
  }
  if (code !== undefined && code >= 400) {
    return { status: code >= 500 ? 'refused' : 'deferred', reply: error.response ?? String(code) };
  }
  return { status: dataBegan ? 'uncertain' : 'deferred', reply: error.message };
}

/** nodemailer's waits for a connection, the greeting and any reply; a server that stalls is given up. */
export interface SmtpTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectionTimeout: 30_000,
  greetingTimeout: 30_000,
  socketTimeout: 60_000,
};

/** One connection per message, so that each send's outcome is its own. */
export function createSmtpTransport(
  smtpUrl: string,
  timeouts: SmtpTimeouts = DEFAULT_SMTP_TIMEOUTS,
): MailTransport {
  const server = new URL(smtpUrl);
  const secure = server.protocol === 'smtps:';
  const auth = server.username
    ? { user: decodeURIComponent(server.username), pass: decodeURIComponent(server.password) }
    : null;
  return {
    name: 'smtp',
    async send(mail) {
      const raw = await compose(mail);
      const connection = new SMTPConnection({
        host: server.hostname,
        port: Number(server.port) || (secure ? 465 : 587),
        secure,
        ...timeouts,
      });
      return new Promise<MailOutcome>((resolve) => {
        let dataBegan = false;
        let settled = false;
        const finish = (outcome: MailOutcome) => {
          if (settled) return;
          settled = true;
          if (outcome.status === 'accepted') connection.quit();
          else connection.close();
          resolve(outcome);
        };
        connection.on('error', (error: SmtpError) => finish(outcomeOf(error, dataBegan)));
        const transmit = () => {
          // Read only once the server has said 354: from then on the message may be on its way.
          const message = new Readable({
            read() {
              dataBegan = true;
              this.push(raw);
              this.push(null);
            },
          });
          connection.send({ from: mail.from.address, to: [mail.to] }, message, (error, info) => {
            if (error) finish(outcomeOf(error as SmtpError, dataBegan));
            else finish({ status: 'accepted', reply: info.response });
          });
        };
        connection.connect((error) => {
          if (error) return finish(outcomeOf(error, false));
          if (!auth) return transmit();
          connection.login(auth, (loginError) => {
            if (loginError) finish(outcomeOf(loginError, false));
            else transmit();
          });
        });
      });
    },
  };
}

/**
 * No network: each message is written as `<outbox>/mail/<Message-ID>.eml`, exactly as it would be sent.
 * The same message written again replaces its file.
 */
export function createFileMailTransport(outboxDir: string): MailTransport {
  return {
    name: 'file',
    async send(mail) {
      const file = join(outboxDir, 'mail', `${mail.messageId.replace(/[^\w.@-]/gu, '')}.eml`);
      await mkdir(dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, await compose(mail));
      await rename(partial, file);
      return { status: 'written', file: relative(outboxDir, file) };
    },
  };
}

export function createMailTransport(config: Config): MailTransport {
  const { transport, smtpUrl } = config.mail;
  if (transport === 'smtp' && smtpUrl) return createSmtpTransport(smtpUrl);
  return createFileMailTransport(config.fax.outboxDir);
}
