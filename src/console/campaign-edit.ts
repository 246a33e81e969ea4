import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { readFaxNumbers } from '../campaigns/validation.js';
import { AppError } from '../errors.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import {
  checkCampaignEdit,
  checkNewCampaign,
  formData,
  refusalProblems,
  reshaped,
  TARGET_FIELD_NAME,
  valuesFromForm,
  valuesOf,
} from './campaign-form.js';
import { type ConsoleTools, FormSwitch, FormText, formBody, idOf, PageParams } from './forms.js';
import { type CampaignValues, campaignFormPage, type Problems } from './views/campaign-form.js';
import { page } from './views/layout.js';

/** The campaign form's fields; the targets' are numbered (`target-0-name`), as many as were drawn. */
const CampaignForm = formBody(
  {
    keyword: FormText,
    title: FormText,
    reference: FormText,
    shortTitle: FormText,
    summary: FormText,
    subject: FormText,
    body: FormText,
    translationLanguage: FormText,
    translationSubject: FormText,
    translationBody: FormText,
    contactName: FormText,
    contactEmail: FormText,
    contactPhone: FormText,
    closesAt: FormText,
    thanks: FormText,
    batchDailyAt: FormText,
    batchThreshold: FormText,
    public: FormSwitch,
    targetCount: FormText,
    addTarget: FormText,
    removeTarget: FormText,
  },
  { patternProperties: { [TARGET_FIELD_NAME]: Type.String() } },
);

/** Creating and editing a campaign: the form, and the form again with every problem beside its field. */
export function campaignEditPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { campaigns, clock, config } = app.services;
  const campaigner = { onRequest: requireRole('campaigner') };
  const validation = () => ({ now: clock(), joinKeywords: config.joinKeywords });

  function formPage(
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    action: string,
    values: CampaignValues,
    problems: Problems = new Map(),
    status = 200,
  ) {
    const context = tools.context(request, reply);
    const body = campaignFormPage(title, formData(context.csrf, action, values, problems));
    return tools.send(reply, page(context, title, body), status);
  }

  /**
   * The service's refusal (a keyword taken, a rule of the campaign's state), to show beside its field;
   * anything else goes to the console's error page.
   */
  function refused(error: unknown): AppError {
    if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
    return error;
  }

  // The fax numbers the form's field would be read as, while staff type them.
  app.get(
    '/fax-numbers.json',
    { ...campaigner, schema: { querystring: Type.Object({ text: FormText }) } },
    async (request) => {
      const readings = readFaxNumbers((request.query.text ?? '').slice(0, 1_000));
      return {
        understood: readings.flatMap((reading) => (reading.number ? [reading.number] : [])),
        unreadable: readings.flatMap((reading) => (reading.number ? [] : [reading.text])),
      };
    },
  );

  app.get('/campaigns/new', campaigner, async (request, reply) =>
    formPage(request, reply, 'New campaign', '/console/campaigns', valuesOf(null)),
  );

  app.post('/campaigns', { ...campaigner, schema: { body: CampaignForm } }, async (request, reply) => {
    const action = '/console/campaigns';
    const values = valuesFromForm(request.body);
    const again = reshaped(request.body, values);
    if (again) return formPage(request, reply, 'New campaign', action, again);
    const checked = checkNewCampaign(values, validation());
    if (!checked.ok) return formPage(request, reply, 'New campaign', action, values, checked.problems, 400);
    try {
      const created = await campaigns.create(checked.value, staffOf(request).id);
      return reply.redirect(`/console/campaigns/${created.id}`, 303);
    } catch (error) {
      const refusal = refused(error);
      const problems = refusalProblems(refusal);
      return formPage(request, reply, 'New campaign', action, values, problems, refusal.statusCode);
    }
  });

  app.get(
    '/campaigns/:id/edit',
    { ...campaigner, schema: { params: PageParams } },
    async (request, reply) => {
      const campaign = await campaigns.get(idOf(request));
      const action = `/console/campaigns/${campaign.id}`;
      return formPage(request, reply, `Edit ${campaign.title}`, action, valuesOf(campaign));
    },
  );

  app.post(
    '/campaigns/:id',
    { ...campaigner, schema: { params: PageParams, body: CampaignForm } },
    async (request, reply) => {
      const id = idOf(request);
      const before = await campaigns.get(id);
      const title = `Edit ${before.title}`;
      const action = `/console/campaigns/${id}`;
      const values = valuesFromForm(request.body);
      const again = reshaped(request.body, values);
      if (again) return formPage(request, reply, title, action, again);
      const checked = checkCampaignEdit(before, values, validation());
      if (!checked.ok) return formPage(request, reply, title, action, values, checked.problems, 400);
      try {
        await campaigns.update(id, checked.value, staffOf(request).id);
        return reply.redirect(`/console/campaigns/${id}`, 303);
      } catch (error) {
        const refusal = refused(error);
        return formPage(request, reply, title, action, values, refusalProblems(refusal), refusal.statusCode);
      }
    },
  );
}
