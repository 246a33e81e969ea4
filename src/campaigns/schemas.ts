import { Type } from 'typebox';
import { CursorQuery, Id, Nullable, Timestamp } from '../schemas.js';
import { HOLD_REASONS } from '../supporters/names.js';
import { BATCH_THRESHOLD, MAX_PER_TARGET, MAX_TARGETS } from './validation.js';

/** The campaigns API's route schemas (OpenAPI at /docs is generated from them). */

const Text = (maxLength: number) => Type.String({ maxLength });
const OptionalText = (maxLength: number) => Type.Optional(Nullable(Text(maxLength)));

const CampaignStatus = Type.Union([Type.Literal('draft'), Type.Literal('open'), Type.Literal('closed')]);
const SignatureStatus = Type.Union([
  Type.Literal('valid'),
  Type.Literal('held'),
  Type.Literal('hidden'),
  Type.Literal('late'),
]);

const Language = Type.Union([Type.Literal('en'), Type.Literal('ru')], {
  description: 'The language of the letter’s fixed parts; default en',
});
const TargetChannel = Type.Union(
  [Type.Literal('fax-then-email'), Type.Literal('email'), Type.Literal('both')],
  {
    description:
      'fax-then-email: e-mail once every fax number fails (or near closesAt); email: e-mail only; both: ' +
      'each part by both, received when either delivers it. ' +
      'Default: fax-then-email with a fax number, else email',
  },
);
const Translation = Type.Object(
  { language: Language, subject: OptionalText(200), body: Text(20_000) },
  {
    additionalProperties: false,
    description: 'The letter in a target’s language: printed first to targets reading it, then the original',
  },
);
const ContactBody = Type.Object(
  { name: Type.Optional(Text(200)), email: Type.Optional(Text(254)), phone: Type.Optional(Text(40)) },
  { additionalProperties: false, description: 'On the letter page; e-mailed when a delivery finally fails' },
);

const TargetBody = Type.Object(
  {
    name: Text(200),
    title: OptionalText(200),
    organisation: OptionalText(200),
    address: OptionalText(1000),
    salutation: Text(200),
    faxNumbers: Type.Array(Text(200), {
      maxItems: MAX_PER_TARGET,
      description:
        'Tried in order; may be empty when channel is email. ' +
        'International form as printed ("+7495 987 58 41"), ' +
        'an item may hold several numbers split by "/", ",", ";" or new lines; stored and returned in E.164',
    }),
    emails: Type.Optional(Type.Array(Text(254), { maxItems: MAX_PER_TARGET, description: 'Tried in order' })),
    channel: Type.Optional(TargetChannel),
    language: Type.Optional(Language),
    timezone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA; default Europe/Moscow' })),
  },
  { additionalProperties: false },
);

const RepliesBody = Type.Object(
  {
    thanks: Type.Optional(Type.String({ maxLength: 400, description: '{name} becomes the signer’s name' })),
    alert: Type.Optional(Text(1500)),
  },
  { additionalProperties: false },
);

export const CampaignBody = Type.Object(
  {
    keyword: Type.String({ maxLength: 40, description: '3–20 letters and digits, starting with a letter' }),
    title: Text(200),
    reference: OptionalText(100),
    shortTitle: Type.Optional(
      Nullable(
        Type.String({ maxLength: 60, description: 'The fax’s running header when there is no reference' }),
      ),
    ),
    summary: OptionalText(2000),
    letter: Type.Object(
      { subject: OptionalText(200), body: Text(20_000), translation: Type.Optional(Nullable(Translation)) },
      { additionalProperties: false },
    ),
    contact: Type.Optional(Nullable(ContactBody)),
    targets: Type.Array(TargetBody, { maxItems: MAX_TARGETS }),
    closesAt: Type.Optional(Nullable(Timestamp)),
    replies: Type.Optional(RepliesBody),
    batchDailyAt: Type.Optional(Nullable(Type.String({ maxLength: 5, description: 'HH:MM' }))),
    batchThreshold: Type.Optional(Nullable(Type.Integer(BATCH_THRESHOLD))),
    public: Type.Optional(
      Type.Boolean({
        description: 'Shown at /act/:keyword (no names, no numbers) once open or closed; default true',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CampaignChangeBody = Type.Partial(CampaignBody, {
  additionalProperties: false,
  minProperties: 1,
});

const Counts = {
  signatureCount: Type.Integer({ description: 'valid + held' }),
  heldCount: Type.Integer(),
  lateCount: Type.Integer(),
  hiddenCount: Type.Integer(),
  pendingFaxCount: Type.Integer({ description: 'valid names in no fax batch yet' }),
};

const Target = Type.Object({
  id: Id,
  position: Type.Integer(),
  name: Type.String(),
  title: Nullable(Type.String()),
  organisation: Nullable(Type.String()),
  address: Nullable(Type.String()),
  salutation: Type.String(),
  faxNumbers: Type.Array(Type.String()),
  emails: Type.Array(Type.String()),
  channel: TargetChannel,
  language: Language,
  timezone: Type.String(),
});

export const CampaignSummary = Type.Object({
  id: Id,
  keyword: Type.String(),
  title: Type.String(),
  reference: Nullable(Type.String()),
  status: CampaignStatus,
  closesAt: Nullable(Timestamp),
  openedAt: Nullable(Timestamp),
  closedAt: Nullable(Timestamp),
  isDemo: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  ...Counts,
});

export const Campaign = Type.Object({
  ...CampaignSummary.properties,
  summary: Nullable(Type.String()),
  shortTitle: Nullable(Type.String()),
  contact: Nullable(
    Type.Object({
      name: Type.Optional(Type.String()),
      email: Type.Optional(Type.String()),
      phone: Type.Optional(Type.String()),
    }),
  ),
  letter: Type.Object({
    subject: Nullable(Type.String()),
    body: Type.String(),
    translation: Nullable(
      Type.Object({ language: Language, subject: Type.Optional(Type.String()), body: Type.String() }),
    ),
  }),
  replies: Type.Object({ thanks: Type.Optional(Type.String()), alert: Type.Optional(Type.String()) }),
  batchDailyAt: Nullable(Type.String()),
  batchThreshold: Nullable(Type.Integer()),
  public: Type.Boolean({ description: 'Shown at /act/:keyword once open or closed' }),
  targets: Type.Array(Target),
});

export const SignatureItem = Type.Object({
  id: Id,
  name: Type.String({ description: 'Empty when erased or never given' }),
  status: SignatureStatus,
  holdReason: Nullable(Type.String()),
  signedAt: Timestamp,
  batchId: Nullable(Id),
});

export const ModeratedSignature = Type.Object({
  ...SignatureItem.properties,
  campaignId: Id,
  moderatedAt: Nullable(Timestamp),
  moderatedBy: Nullable(Id),
});

export const CampaignListQuery = Type.Object({
  ...CursorQuery.properties,
  status: Type.Optional(CampaignStatus),
});
export const SignatureListQuery = Type.Object({
  ...CursorQuery.properties,
  status: Type.Optional(SignatureStatus),
});
export const SignatureCsvQuery = Type.Object({ status: Type.Optional(SignatureStatus) });
export const HideQuery = Type.Object({
  reason: Type.Optional(
    Type.Union(
      (Object.keys(HOLD_REASONS) as Array<keyof typeof HOLD_REASONS>).map((key) => Type.Literal(key)),
      {
        description:
          'Why the name is not used, as the signer is told on RECEIPT; default: the reason it was held for',
      },
    ),
  ),
});
