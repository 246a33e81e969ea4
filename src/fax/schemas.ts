import { Type } from 'typebox';
import { Id, Nullable, Timestamp } from '../schemas.js';

/** The fax API's route schemas (OpenAPI at /docs is generated from them). */

const BatchStatus = Type.Union(
  ['pending', 'sending', 'delivered', 'written', 'partly_failed', 'failed'].map((status) =>
    Type.Literal(status),
  ),
  {
    description:
      'written: every part reached, and some only reached, the file provider’s outbox ' +
      '(a dry run, no fax machine)',
  },
);
const DeliveryStatus = Type.Union(
  ['pending', 'waiting', 'sending', 'delivered', 'written', 'failed', 'uncertain', 'blocked'].map((status) =>
    Type.Literal(status),
  ),
  {
    description:
      'written: put in the file provider’s or mail transport’s outbox (a dry run), final and counted as ' +
      'received; uncertain: an e-mail cut off after its data began with no reply, which staff may resend; ' +
      'blocked: the provider account, the mail sender or the document is at fault (lastError says why), ' +
      'not the recipient; tried again hourly until fixed',
  },
);
const Channel = Type.Union([Type.Literal('fax'), Type.Literal('email')]);
const Estimate = {
  pages: Type.Integer({ description: 'Fax pages of every part to every target (e-mail takes no line)' }),
  estimatedCost: Type.Number({ description: 'pages × FAX_PRICE_PER_PAGE' }),
  estimatedSeconds: Type.Integer({ description: 'Time on the line: pages × FAX_SECONDS_PER_PAGE' }),
};
export const BatchSummary = Type.Object({
  id: Id,
  campaignId: Id,
  status: BatchStatus,
  reason: Type.String({ description: 'manual | schedule | threshold | close' }),
  signatureCount: Type.Integer(),
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
});
const Delivery = Type.Object({
  id: Id,
  targetId: Id,
  targetName: Type.String(),
  part: Type.Integer(),
  parts: Type.Integer(),
  pages: Type.Integer(),
  channel: Channel,
  address: Type.String({ description: 'The fax number or e-mail address now tried' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  faxNumber: Nullable(Type.String()),
  emailAddress: Nullable(Type.String()),
  messageId: Nullable(Type.String({ description: 'The e-mail’s Message-ID, the same at every send' })),
  serverReply: Nullable(Type.String({ description: 'The mail server’s last reply, as it gave it' })),
  lastError: Nullable(Type.String()),
  estimatedSeconds: Type.Integer(),
  completedAt: Nullable(Timestamp),
  providerCompletedAt: Nullable(
    Type.String({
      format: 'date-time',
      description: 'When the provider says the fax ended (delivered or written)',
    }),
  ),
  pagesSent: Nullable(Type.Integer({ description: 'Pages the provider reports sent' })),
  durationSeconds: Nullable(
    Type.Integer({ description: 'The call’s length, where the provider reports it' }),
  ),
  remoteId: Nullable(
    Type.String({ description: 'The remote machine’s identifier (CSID), where the provider reports it' }),
  ),
});
export const Batch = Type.Object({
  ...BatchSummary.properties,
  ...Estimate,
  deliveries: Type.Array(Delivery),
});
export const Receipt = Type.Object({
  batchId: Id,
  campaign: Type.Object({ id: Id, keyword: Type.String(), title: Type.String() }),
  status: BatchStatus,
  signatureCount: Type.Integer(),
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
  allReceived: Type.Boolean({ description: 'Every target received every part (delivered or written)' }),
  dryRun: Type.Boolean({ description: 'Some part was only written to an outbox (a dry run)' }),
  sentence: Nullable(
    Type.String({ description: 'What `{receipt}` expands to in a batch:<id> broadcast, once all received' }),
  ),
  targets: Type.Array(
    Type.Object({
      targetId: Id,
      name: Type.String(),
      received: Type.Boolean(),
      channel: Nullable(Type.String({ description: 'fax or email: the channel of the last part received' })),
      receivedAt: Nullable(Timestamp),
      dryRun: Type.Boolean(),
      pages: Type.Integer({ description: 'Pages of the parts received' }),
    }),
  ),
  deliveries: Type.Array(
    Type.Object({
      id: Id,
      targetId: Id,
      targetName: Type.String(),
      part: Type.Integer(),
      parts: Type.Integer(),
      channel: Channel,
      status: DeliveryStatus,
      provider: Nullable(Type.String()),
      providerFaxId: Nullable(Type.String({ description: 'The fax id, or the e-mail’s queue id' })),
      address: Type.String({ description: 'The fax number dialled or the address mailed (the authority’s)' }),
      startedAt: Nullable(Timestamp),
      endedAt: Nullable(Timestamp),
      pages: Type.Integer(),
      pagesSent: Nullable(Type.Integer()),
      durationSeconds: Nullable(
        Type.Integer({ description: 'Where the provider reports it (Sinch does not)' }),
      ),
      remoteId: Nullable(
        Type.String({ description: 'Remote CSID, where the provider reports it (Sinch does not)' }),
      ),
      serverReply: Nullable(Type.String()),
      documentSha256: Nullable(Type.String({ description: 'SHA-256 (hex) of the PDF sent' })),
      attempts: Type.Integer(),
    }),
  ),
});
export const DeliveryRestarted = Type.Object({
  id: Id,
  status: DeliveryStatus,
  channel: Channel,
  address: Type.String(),
  faxNumber: Nullable(Type.String()),
  attempts: Type.Integer(),
});
export const CreatedBatch = Type.Object({
  id: Id,
  status: BatchStatus,
  signatureCount: Type.Integer(),
  ...Estimate,
});
const NumericId = Type.String({ pattern: '^[0-9]{1,18}$' });
const E164 = Type.String({
  pattern: '^\\+[1-9][0-9]{7,14}$',
  description: 'E.164, e.g. +442079460123',
});
export const Pdf = (description: string) => ({
  description,
  content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
});
export const DocumentQuery = Type.Object({
  targetId: NumericId,
  part: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
});
export const PreviewQuery = Type.Object({ targetId: Type.Optional(NumericId) });
export const TestFaxBody = Type.Object({ faxNumber: E164, targetId: Type.Optional(NumericId) });
export const TestFaxQueued = Type.Object({
  campaignId: Id,
  targetId: Id,
  faxNumber: Type.String(),
  status: Type.Literal('queued'),
});
