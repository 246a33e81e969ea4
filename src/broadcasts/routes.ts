import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Id, IdParams, Nullable, Timestamp, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { MAX_BROADCAST_LENGTH } from './compose.js';

const Audience = Type.Union(
  [
    Type.Literal('network'),
    Type.Literal('signers'),
    Type.Literal('non-signers'),
    Type.String({ pattern: '^batch:[0-9]{1,18}$' }),
  ],
  {
    description:
      'network: every opted-in member; signers: those who signed this campaign; non-signers: the rest; ' +
      'batch:<id>: the signers whose names that fax batch of this campaign carried, once every target ' +
      'received it (409 before), when `{receipt}` in the body says who received it and when',
  },
);
const Encoding = Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]);
const BroadcastStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('waiting'),
  Type.Literal('sending'),
  Type.Literal('done'),
  Type.Literal('cancelled'),
]);
const Hold = Type.Object(
  {
    reason: Type.Union([Type.Literal('quiet-hours'), Type.Literal('scheduled')]),
    until: Timestamp,
    message: Type.String({
      description: 'e.g. "quiet hours until 08:00: goes out at 08:00 (Europe/London time)"',
    }),
  },
  { description: 'Why it waits and until when (SMS_QUIET_HOURS, or a time staff rescheduled it to)' },
);
const Progress = Type.Object({
  id: Id,
  campaignId: Id,
  audience: Audience,
  status: BroadcastStatus,
  waiting: Nullable(Hold),
  ignoresQuietHours: Type.Boolean({ description: 'Staff chose to send it now anyway, whatever the hour' }),
  sendAfter: Nullable(Type.String({ format: 'date-time', description: 'The time staff rescheduled it to' })),
  started: Type.Boolean({ description: 'Texts have been written: it can no longer be rescheduled' }),
  cancelledAt: Nullable(Timestamp),
  total: Type.Integer({ description: 'Recipients (the audience counted when created, until fanned out)' }),
  queued: Type.Integer(),
  sent: Type.Integer({ description: 'Accepted by Twilio' }),
  delivered: Type.Integer(),
  failed: Type.Integer({ description: 'Failed or undelivered' }),
  failures: Type.Array(
    Type.Object({
      errorCode: Type.Union([Type.Integer(), Type.Null()]),
      count: Type.Integer(),
      meaning: Type.String(),
    }),
    { description: 'Failed or undelivered texts by Twilio error code, the most common first' },
  ),
  skippedOptedOut: Type.Integer(),
  cancelled: Type.Integer({
    description: 'Not sent because staff cancelled: once cancelled, everyone not sent, failed or skipped',
  }),
  segments: Type.Integer(),
  encoding: Encoding,
  body: Type.Union([Type.String(), Type.Null()], {
    description: 'The text as it went out, opt-out hint included; null once retention has removed it',
  }),
  createdAt: Timestamp,
});

export async function broadcastRoutes(plain: FastifyInstance) {
  const { broadcasts: service } = plain.services;
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const tags = ['broadcasts'];

  app.post(
    '/campaigns/:id/broadcasts',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Text an audience: an action alert, an update or a reminder',
        params: IdParams,
        description:
          'Every broadcast is confirmed. Above BROADCAST_CONFIRM_ABOVE people, `confirm` must carry the ' +
          'audience size (within 10% of the audience counted at that moment); the same text to the same ' +
          'audience within an hour needs `confirmRepeat: true`. Otherwise 409 with the numbers to confirm. ' +
          'The audience is frozen when the broadcast is made: no one who joins or signs later is texted.',
        body: Type.Object({
          body: Type.String({ maxLength: MAX_BROADCAST_LENGTH }),
          audience: Audience,
          confirm: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 100_000_000,
              description: 'The audience size, as staff confirmed it; needed above BROADCAST_CONFIRM_ABOVE',
            }),
          ),
          confirmRepeat: Type.Optional(
            Type.Boolean({ description: 'Send the same text to the same audience again within the hour' }),
          ),
          smartEncoding: Type.Optional(
            Type.Boolean({
              default: true,
              description: 'Replace curly quotes, dashes, ellipses and odd spaces by GSM-7 characters',
            }),
          ),
          ignoreQuietHours: Type.Optional(
            Type.Boolean({
              description: 'Send now anyway during SMS_QUIET_HOURS (this broadcast only; audited)',
            }),
          ),
        }),
        response: {
          202: Type.Object({
            id: Id,
            status: BroadcastStatus,
            audienceSize: Type.Integer(),
            segments: Type.Integer({ description: 'Per message, opt-out hint included' }),
            encoding: Encoding,
            estimatedCost: Type.Number(),
            currency: Type.String({ description: 'CURRENCY, an ISO 4217 code' }),
            goesOutAt: Nullable(
              Type.String({
                format: 'date-time',
                description: 'When quiet hours end and it goes out (status waiting); null: now',
              }),
            ),
          }),
          409: Type.Object({
            error: Type.Object({
              code: Type.String({
                description:
                  'confirmation_required, repeat_confirmation_required, ' +
                  'or campaign_not_open (then without the numbers)',
              }),
              message: Type.String(),
              audienceSize: Type.Optional(Type.Integer()),
              segments: Type.Optional(Type.Integer()),
              encoding: Type.Optional(Encoding),
              cost: Type.Optional(Type.Number()),
              currency: Type.Optional(Type.String()),
              repeatOf: Type.Optional(Id),
              goesOutAt: Type.Optional(
                Nullable(
                  Type.String({
                    format: 'date-time',
                    description: 'In quiet hours: when it would go out if confirmed; null: now',
                  }),
                ),
              ),
              quietHours: Type.Optional(
                Type.String({
                  description: 'Set in quiet hours: "quiet hours until 08:00: goes out at 08:00 …"',
                }),
              ),
            }),
          }),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await service.create(Number(request.params.id), request.body, staffOf(request).id)),
  );

  app.get(
    '/broadcasts/:id',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, summary: 'Progress of a broadcast', params: IdParams, response: { 200: Progress } },
    },
    async (request) => service.progress(Number(request.params.id)),
  );

  app.post(
    '/broadcasts/:id/cancel',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Stop a broadcast: texts not yet handed to Twilio are not sent',
        params: IdParams,
        response: { 200: Progress },
      },
    },
    async (request) => service.cancel(Number(request.params.id), staffOf(request).id),
  );

  const Unfinished = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });

  app.post(
    '/broadcasts/:id/send-now',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Send a waiting broadcast now, ignoring quiet hours and any later time (audited)',
        description: 'For this broadcast only. 409 when it has finished or was cancelled.',
        params: IdParams,
        response: { 200: Progress, 409: Unfinished },
      },
    },
    async (request) => service.sendNow(Number(request.params.id), staffOf(request).id),
  );

  app.post(
    '/broadcasts/:id/reschedule',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Send a broadcast later: not before `sendAt` (quiet hours still apply then)',
        description:
          'Only before its texts are written (409 `broadcast_started` after: send it now or cancel it). ' +
          'A waiting broadcast looks at its time again within five minutes.',
        params: IdParams,
        body: Type.Object({ sendAt: Timestamp }),
        response: { 200: Progress, 409: Unfinished },
      },
    },
    async (request) =>
      service.reschedule(Number(request.params.id), new Date(request.body.sendAt), staffOf(request).id),
  );
}
