import { readFileSync } from 'node:fs';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type MetricsServer, serveMetrics } from '../../src/ops/metrics-server.js';
import {
  type BroadcastWorld,
  createBroadcast,
  startBroadcastWorld,
  statusCallback,
  waitUntilDone,
} from '../broadcasts/harness.js';
import { removeDir, tempOutboxDir, waitFor } from '../fax/harness.js';
import { openCampaign } from '../helpers/campaigns.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';

/**
 * Every metric the alert rules and the dashboard query exists where they look for it, with the labels
 * they use: the app and a worker run, do a little of each kind of work (a text signed, a text spooled
 * and replayed, a broadcast sent and reported on, a fax batch written), and both /metrics are scraped.
 */

/** Labels Prometheus adds to every scraped sample, and the ones it makes itself. */
const TARGET_LABELS = new Set(['job', 'instance']);
const PROMETHEUS_MADE = new Set(['up']);

interface Query {
  where: string;
  expr: string;
}

function ruleQueries(): Query[] {
  const file = parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return file.groups.flatMap((group) => group.rules.map((rule) => ({ where: rule.alert, expr: rule.expr })));
}

function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(readFileSync('deploy/grafana/pocket-protest.json', 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string; legendFormat?: string }> }>;
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}"`,
      // A legend names labels too: {{queue}} must be a label of the result.
      expr: `${target.expr} ${target.legendFormat ?? ''}`,
    })),
  );
}

const FUNCTIONS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'increase',
  'changes',
  'histogram_quantile',
  'by',
  'on',
  'without',
  'ignoring',
  'and',
  'or',
  'unless',
  'vector',
  'group_left',
  'group_right',
  'offset',
]);

/** The series names a PromQL expression reads, and the labels it needs of them. */
function readsOf(expr: string): { metrics: string[]; labels: string[] } {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const metrics = [...withoutStrings.matchAll(/\b([a-z_][a-z0-9_]*)\b\s*(?=[{[)\s]|$)/g)]
    .map((match) => match[1] as string)
    .filter((name) => /^(pp_|up$)/.test(name) && !FUNCTIONS.has(name));
  const labels = new Set<string>();
  for (const [, inside] of withoutStrings.matchAll(/\{([^}]*)\}/g)) {
    for (const [, label] of (inside as string).matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g))
      labels.add(label as string);
  }
  for (const [, inside] of withoutStrings.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g)) {
    for (const label of (inside as string).split(',')) if (label.trim()) labels.add(label.trim());
  }
  for (const [, label] of expr.matchAll(/\{\{\s*\$?(?:labels\.)?([a-z_]+)\s*\}\}/g))
    labels.add(label as string);
  return { metrics: [...new Set(metrics)], labels: [...labels].filter((label) => !TARGET_LABELS.has(label)) };
}

/** Sample name → the label names seen on its samples, from Prometheus's text format. */
function samples(text: string): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? /.exec(line);
    if (!match) continue;
    const labels = seen.get(match[1] as string) ?? new Set<string>();
    for (const [, label] of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      labels.add(label as string);
    seen.set(match[1] as string, labels);
  }
  return seen;
}

let world: BroadcastWorld;
let workerMetrics: MetricsServer;
let outboxDir: string;
let web: Map<string, Set<string>>;
let worker: Map<string, Set<string>>;

function signedPost(path: string, params: Record<string, string>) {
  const { authToken } = world.server.config.twilio;
  return world.server.app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, `${PUBLIC_BASE_URL}${path}`, params),
    },
    payload: new URLSearchParams(params).toString(),
  });
}

function text(from: string, body: string, sid: string) {
  return {
    MessageSid: sid,
    AccountSid: world.server.config.twilio.accountSid,
    From: from,
    To: '70505',
    Body: body,
  };
}

beforeAll(async () => {
  outboxDir = tempOutboxDir();
  world = await startBroadcastWorld({ env: { FAX_OUTBOX_DIR: outboxDir } });
  workerMetrics = await serveMetrics(world.workers.services.metrics.registry, '127.0.0.1', 0);
  const campaign = await openCampaign(world.database, {
    keyword: 'SCRAPE',
    title: 'Metrics for the operators',
    letter: { body: 'Please protect them.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460123'] }],
    closesAt: new Date(Date.now() + 86_400_000),
  });

  // A supporter signs by text; another text arrives through the fallback URL and is spooled, then replayed.
  const signed = await signedPost(
    '/webhooks/twilio/sms',
    text('+447700900401', 'SCRAPE Jane Smith', 'SM'.padEnd(34, '1')),
  );
  expect(signed.statusCode).toBe(200);
  const spooled = await signedPost(
    '/webhooks/twilio/sms-fallback',
    text('+447700900402', 'SCRAPE Ann Jones', 'SM'.padEnd(34, '2')),
  );
  expect(spooled.statusCode).toBe(200);
  await waitFor(async () => {
    const { rows } = await world.database.pool.query('SELECT count(*)::int AS n FROM signatures');
    return rows[0].n === 2;
  }, 'the spooled text to be replayed');

  // An update to the signers, sent by the worker through the fake Twilio, and one delivery report.
  const broadcast = await createBroadcast(world, campaign.id, 'Thank you for signing', 'signers');
  await waitUntilDone(world, broadcast.id);
  const sid = world.fake.messages.find((message) => message.body.startsWith('Thank you for signing'))?.sid;
  const report = await statusCallback(world.server.app, world.server.config.twilio.authToken, {
    MessageSid: sid ?? '',
    MessageStatus: 'delivered',
  });
  expect(report.statusCode).toBe(204);

  // A fax batch, written to the outbox by the file provider.
  const batch = await world.api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
  expect(batch.statusCode).toBe(202);
  await waitFor(async () => {
    const response = await world.api({ method: 'GET', url: `/api/v1/fax-batches/${batch.json().id}` });
    return response.json().status === 'written';
  }, 'the fax batch to be written');

  web = samples((await world.server.app.inject('/metrics')).body);
  worker = samples(await (await fetch(`http://127.0.0.1:${workerMetrics.port}/metrics`)).text());
}, 90_000);

afterAll(async () => {
  await workerMetrics?.close();
  await world?.close();
  removeDir(outboxDir);
});

describe('the metrics the alerts and the dashboard read', () => {
  const queries = [...ruleQueries(), ...dashboardQueries()];

  it.each(queries.map((query) => [query.where, query.expr] as const))(
    '%s reads metrics that exist',
    (_where, expr) => {
      const { metrics, labels } = readsOf(expr);
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics.filter((name) => !PROMETHEUS_MADE.has(name))) {
        const seen = new Set([...(web.get(metric) ?? []), ...(worker.get(metric) ?? [])]);
        expect(web.has(metric) || worker.has(metric), `${metric} is scraped from web or worker`).toBe(true);
        // Only labels the query asks of this metric: another metric in the same query may carry them.
        const own = labels.filter((label) => label !== 'le' || metric.endsWith('_bucket'));
        const missing = own.filter((label) => !seen.has(label));
        if (metrics.length === 1) expect(missing, `labels of ${metric}`).toEqual([]);
      }
      if (metrics.length > 1) {
        // In a query of several metrics, each label it names is carried by at least one of them.
        const all = new Set(
          metrics.flatMap((name) => [...(web.get(name) ?? []), ...(worker.get(name) ?? [])]),
        );
        for (const label of labels)
          if (label !== 'le') expect(all.has(label), `label ${label} in ${expr}`).toBe(true);
      }
    },
  );

  it('finds the queue and send metrics on the worker, where the work happens', () => {
    for (const metric of [
      'pp_queue_waiting',
      'pp_queue_oldest_waiting_seconds',
      'pp_sms_outbound_total',
      'pp_sms_replayed_total',
    ]) {
      expect(worker.has(metric), metric).toBe(true);
    }
    expect(worker.get('pp_queue_oldest_waiting_seconds')).toContain('queue');
    expect(worker.get('pp_sms_outbound_total')).toEqual(new Set(['outcome', 'code']));
  });

  it('finds the web requests and inbound texts on the web process', () => {
    for (const metric of [
      'pp_http_requests_total',
      'pp_sms_inbound_total',
      'pp_sms_webhook_duration_seconds_bucket',
      'pp_sms_delivery_reports_total',
    ]) {
      expect(web.has(metric), metric).toBe(true);
    }
  });

  it('reads every series name in a query, and the labels it needs', () => {
    expect(
      readsOf(
        'max by (campaign, keyword) (pp_campaign_closes_in_seconds) < 43200 and on (campaign) pp_x{state="failed"}',
      ),
    ).toEqual({
      metrics: ['pp_campaign_closes_in_seconds', 'pp_x'],
      labels: ['state', 'campaign', 'keyword'],
    });
  });
});
