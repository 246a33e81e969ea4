/**
 * The layout's rules (docs/architecture.md): arrows only point down. `npm run lint` runs this, so a
 * forbidden import fails the build.
 *
 * Layers, high to low; a folder may import only the layers below it:
 *   entry points (app, server, cli, services, workers/)
 *   console/, public/ → broadcasts/ → fax/ → mail/ → campaigns/ → sms/ → members/
 *   → supporters/, staff/, queue/ → db/, config, ops/ and the pure helpers
 *
 * mail/ stands one layer below fax/: it only sends a message (SMTP or an .eml file) and says how the
 * server answered. The delivery of a part to a target, by fax or by e-mail, is one state machine per
 * channel in fax/, which decides when e-mail follows a failing fax; it calls the mail transport below it.
 */
const LAYERS = [
  ['console', 'public'],
  ['broadcasts'],
  ['fax'],
  ['mail'],
  ['campaigns'],
  ['sms'],
  ['members'],
  ['supporters', 'staff', 'queue'],
  ['db', 'ops'],
];
const BOTTOM_FILES = 'src/(config|config-variables|errors|html|logger|receipt|schemas|text|time)[.]ts$';

/** For each folder: every other folder on its layer or above it is out of bounds. */
const layerRules = LAYERS.flatMap((layer, level) =>
  layer.map((folder) => {
    const forbidden = LAYERS.slice(0, level + 1)
      .flat()
      .filter((other) => other !== folder);
    return {
      name: `layer-${folder}`,
      comment: `src/${folder}/ may import only the layers below it: not ${forbidden.join(', ')}.`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(${forbidden.join('|')})/` },
    };
  }),
);

/** Pure logic: no database, queue, network or file system, so it is unit-tested without any. */
const PURE = [
  'src/supporters/names[.]ts$',
  'src/supporters/profanity[.]ts$',
  'src/supporters/moderation[.]ts$',
  'src/console/audit-diff[.]ts$',
  'src/supporters/phone[.]ts$',
  'src/sms/intent[.]ts$',
  'src/sms/conversation[.]ts$',
  'src/sms/replies[.]ts$',
  'src/sms/segments[.]ts$',
  'src/fax/layout[.]ts$',
  'src/fax/state[.]ts$',
  'src/fax/messages/',
  'src/mail/state[.]ts$',
  'src/fax/business-hours[.]ts$',
  'src/broadcasts/compose[.]ts$',
  'src/broadcasts/quiet-hours[.]ts$',
  'src/time[.]ts$',
  'src/html[.]ts$',
  'src/config-variables[.]ts$',
  'src/receipt[.]ts$',
  'src/fax/providers/sinch-failures[.]ts$',
];
const IO =
  '^(src/db/client|src/queue/|node_modules/(pg|pg-[^/]+|drizzle-orm|ioredis|bullmq|twilio|undici|nodemailer|@sinch|pdfkit|fastify)/)|^(node:)?(fs|fs/promises|net|http|https|dgram|child_process|dns|tls)$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle ties rooms together: one of them belongs on a lower layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'features-not-entry-points',
      comment: 'Entry points compose the features; a feature never reaches back up to them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app|server|cli|services|doctor)[.]ts$' },
      to: { path: '^(src/(app|server|cli|services)[.]ts$|workers/)' },
    },
    {
      name: 'web-not-workers',
      comment: 'The web process never loads the workers: they are started by server.ts alone.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/server[.]ts$' },
      to: { path: '^workers/' },
    },
    {
      name: 'db-imports-no-feature',
      comment: 'The database room is the layer everything stands on: it imports no room of its own.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: `^src/db/|${BOTTOM_FILES}` },
    },
    {
      name: 'bottom-files-import-no-feature',
      comment: 'Config and the pure helpers sit on the bottom layer.',
      severity: 'error',
      from: { path: BOTTOM_FILES },
      to: { path: '^src/', pathNot: BOTTOM_FILES },
    },
    {
      name: 'pure-modules-do-no-io',
      comment: 'Pure logic (names, phone crypto, intent, conversation, fax layout and state) does no I/O.',
      severity: 'error',
      from: { path: PURE.join('|') },
      to: { path: IO, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sql-only-in-repositories',
      comment:
        "SQL lives in a room's repository (repository.ts, *.repository.ts) or in src/db/: elsewhere neither drizzle-orm, pg nor the schema's tables are imported (types are fine).",
      severity: 'error',
      from: { path: '^(src|workers)/', pathNot: '^src/db/|repository[.]ts$' },
      to: {
        path: '^node_modules/(drizzle-orm|pg|pg-copy-streams)/|^src/db/schema[.]ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'views-import-no-service',
      comment:
        'A view is a pure function, data in and HTML out: it imports other views, the html template and pure helpers, never a service or a repository.',
      severity: 'error',
      from: { path: '^src/(console|public)/views/' },
      to: {
        path: '^src/',
        pathNot: `^src/(console|public)/views/|${BOTTOM_FILES}|${PURE.join('|')}`,
        dependencyTypesNot: ['type-only'],
      },
    },
    ...layerRules,
  ],
  options: {
    // TypeScript 7 has no JavaScript API to parse with; swc reads the sources instead.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(migrations|var)/' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
