import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { parseAudience } from '../broadcasts/audience.js';
import { composeBroadcast, MAX_BROADCAST_LENGTH, MAX_BROADCAST_SEGMENTS } from '../broadcasts/compose.js';
import { type BroadcastInput, RECEIPT_PLACEHOLDER } from '../broadcasts/service.js';
import { AppError } from '../errors.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import {
  type ConsoleTools,
  explainable,
  FormSwitch,
  FormText,
  field,
  formBody,
  idOf,
  PageParams,
} from './forms.js';
import { updateProgressPages } from './update-progress.js';
import { canDo, type PageContext, page } from './views/layout.js';
import {
  type ConfirmProblems,
  composeView,
  confirmView,
  type Draft,
  replacedText,
  type SegmentFields,
  unicodeText,
} from './views/updates.js';

/** What staff typed as a number of people: digits, with commas, dots or spaces between thousands. */
export function typedNumber(text: string): number | undefined {
  const digits = text.trim().replace(/[\s,.\u00A0]/g, '');
  return /^\d{1,9}$/.test(digits) ? Number(digits) : undefined;
}

const DraftFields = { body: FormText, audience: FormText, smartEncoding: FormSwitch };
const DraftBody = formBody(DraftFields);
const SendBody = formBody({
  ...DraftFields,
  confirm: FormText,
  confirmRepeat: FormText,
  ignoreQuietHours: FormText,
});

function draftOf(form: unknown): Draft {
  return {
    body: field(form, 'body'),
    audience: field(form, 'audience'),
    // The form sends "off" from a hidden field and "on" from the checkbox after it when ticked.
    smartEncoding: field(form, 'smartEncoding') !== 'off',
  };
}

/**
 * The body as the preview will send it: `{receipt}` filled in with the chosen batch's sentence (else
 * the latest received batch's, which the form offers), so that the counter and the preview agree.
 */
export function expandForCounter(
  body: string,
  audience: string,
  batches: ReadonlyArray<{ batchId: number; sentence: string }>,
): string {
  if (!body.includes(RECEIPT_PLACEHOLDER)) return body;
  const chosen = batches.find((b) => `batch:${b.batchId}` === audience) ?? batches[0];
  return chosen ? body.replaceAll(RECEIPT_PLACEHOLDER, chosen.sentence) : body;
}

/** The checks the form does before the service: an audience chosen, a text not too long. */
function checkDraft(draft: Draft) {
  if (parseAudience(draft.audience) === null) {
    throw new AppError(400, 'invalid_audience', 'Choose who to send it to.');
  }
  if (draft.body.length > MAX_BROADCAST_LENGTH) {
    throw new AppError(400, 'body_too_long', `The text may have at most ${MAX_BROADCAST_LENGTH} characters.`);
  }
}

const inputOf = (draft: Draft): BroadcastInput => ({
  body: draft.body,
  audience: draft.audience,
  smartEncoding: draft.smartEncoding,
});

/** A campaign's updates: compose, confirm and send, then each update's progress. */
export function updatePages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { broadcasts: service, campaigns, config } = app.services;
  const viewer = { onRequest: requireRole('viewer') };
  const campaigner = { onRequest: requireRole('campaigner') };

  function segmentFields(body: string, smartEncoding: boolean): SegmentFields {
    const composed = composeBroadcast(body, config.optOutHint, { smartEncoding });
    return {
      segments: composed.segments,
      segmentsWord: composed.segments === 1 ? 'segment' : 'segments',
      encoding: composed.encoding,
      characters: [...composed.text].length,
      replaced: replacedText(composed),
      unicode: unicodeText(composed),
      tooLong:
        composed.segments > MAX_BROADCAST_SEGMENTS
          ? `Too long: at most ${MAX_BROADCAST_SEGMENTS} segments are sent.`
          : '',
    };
  }

  async function composePage(context: PageContext, campaignId: number, draft: Draft, problem: string | null) {
    const campaign = await campaigns.get(campaignId);
    const batches = await service.receivedBatches(campaignId);
    const body = composeView({
      context,
      campaign,
      canWrite: canDo(context, 'campaigner'),
      draft,
      problem,
      counter: segmentFields(expandForCounter(draft.body, draft.audience, batches), draft.smartEncoding),
      sizes: await service.audienceSizes(campaignId),
      batches,
      sent: await service.listForCampaign(campaignId, 50),
      optOutHint: config.optOutHint,
    });
    return page(context, `Updates · ${campaign.title}`, body);
  }

  async function confirmPage(
    context: PageContext,
    campaignId: number,
    draft: Draft,
    problems: ConfirmProblems = {},
    typed = '',
  ) {
    const campaign = await campaigns.get(campaignId);
    const quote = await service.preview(campaignId, inputOf(draft));
    const body = confirmView({
      context,
      campaign,
      draft,
      quote,
      problems,
      typed,
      currency: config.currency,
      pricePerSegment: config.sms.pricePerSegment,
      confirmAbove: config.sms.confirmAbove,
    });
    return page(context, `Confirm the update · ${campaign.title}`, body);
  }

  app.get('/campaigns/:id/updates', { ...viewer, schema: { params: PageParams } }, async (request, reply) =>
    tools.send(
      reply,
      await composePage(
        tools.context(request, reply),
        idOf(request),
        { body: '', audience: 'signers', smartEncoding: true },
        null,
      ),
    ),
  );

  app.get(
    '/campaigns/:id/segments.json',
    { ...viewer, schema: { params: PageParams, querystring: Type.Object(DraftFields) } },
    async (request) => {
      const query = request.query;
      const body = String(query.body ?? '').slice(0, 5_000);
      // The batches are read only when the text has {receipt} to fill in.
      const batches = body.includes(RECEIPT_PLACEHOLDER) ? await service.receivedBatches(idOf(request)) : [];
      const text = expandForCounter(body, field(query, 'audience'), batches);
      return { fields: segmentFields(text, field(query, 'smartEncoding') !== 'off') };
    },
  );

  // Back to the form with the text as typed (the confirm page's "Change the text").
  app.post(
    '/campaigns/:id/updates/edit',
    { ...campaigner, schema: { params: PageParams, body: DraftBody } },
    async (request, reply) =>
      tools.send(
        reply,
        await composePage(tools.context(request, reply), idOf(request), draftOf(request.body), null),
      ),
  );

  app.post(
    '/campaigns/:id/updates/preview',
    { ...campaigner, schema: { params: PageParams, body: DraftBody } },
    async (request, reply) => {
      const id = idOf(request);
      const draft = draftOf(request.body);
      try {
        checkDraft(draft);
        return tools.send(reply, await confirmPage(tools.context(request, reply), id, draft));
      } catch (error) {
        if (!explainable(error)) throw error;
        return tools.send(
          reply,
          await composePage(tools.context(request, reply), id, draft, error.message),
          error.statusCode,
        );
      }
    },
  );

  app.post(
    '/campaigns/:id/updates',
    { ...campaigner, schema: { params: PageParams, body: SendBody } },
    async (request, reply) => {
      const id = idOf(request);
      const draft = draftOf(request.body);
      const typed = field(request.body, 'confirm');
      try {
        checkDraft(draft);
        const confirm = typedNumber(typed);
        if (confirm === undefined) {
          const problems = { confirm: 'Type the number of people, in digits.' };
          const context = tools.context(request, reply);
          return tools.send(reply, await confirmPage(context, id, draft, problems, typed), 400);
        }
        const created = await service.create(
          id,
          {
            ...inputOf(draft),
            confirm,
            confirmRepeat: request.body.confirmRepeat === 'yes',
            ignoreQuietHours: request.body.ignoreQuietHours === 'yes',
          },
          staffOf(request).id,
        );
        return reply.redirect(`/console/broadcasts/${created.id}`, 303);
      } catch (error) {
        if (!explainable(error)) throw error;
        const context = tools.context(request, reply);
        if (error.code === 'confirmation_required' || error.code === 'repeat_confirmation_required') {
          const problems =
            error.code === 'confirmation_required'
              ? { confirm: error.message.replace(/ by sending their number as "confirm"/, '') }
              : { repeat: 'Tick the box to send the same text again.' };
          return tools.send(reply, await confirmPage(context, id, draft, problems, typed), 409);
        }
        return tools.send(reply, await composePage(context, id, draft, error.message), error.statusCode);
      }
    },
  );

  // Each update's own page: its progress, and sending, rescheduling or cancelling it.
  updateProgressPages(plain, tools);
}
