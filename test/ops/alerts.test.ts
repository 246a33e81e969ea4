import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

/**
 * The alert rules as Prometheus reads them: promtool checks their syntax and runs their unit tests
 * (deploy/prometheus/alerts.test.yml), and each alert is held to what an operator on call needs.
 * promtool comes with Debian's `prometheus` package (`.ci/run` installs it when missing).
 */
interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
}

const RULES = 'deploy/prometheus/alerts.yml';
const TESTS = 'deploy/prometheus/alerts.test.yml';
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups
  .flatMap((group) => group.rules)
  .filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const tests = (parse(readFileSync(TESTS, 'utf8')) as { tests: AlertTest[] }).tests.flatMap(
  (test) => test.alert_rule_test ?? [],
);

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is needed (apt-get install prometheus): ${run.error.message}`);
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
      (match[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const run = promtool('check', 'rules', RULES);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(run.code).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const run = promtool('test', 'rules', TESTS);
    expect(run.output).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it('each have a test where they fire and one where they must not', () => {
    for (const { alert } of rules) {
      const own = tests.filter((test) => test.alertname === alert);
      expect(
        own.some((test) => (test.exp_alerts ?? []).length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        own.some((test) => (test.exp_alerts ?? []).length === 0),
        `${alert} stays quiet somewhere`,
      ).toBe(true);
    }
  });

  it('each carry a severity, a summary and a runbook section that exists', () => {
    const runbook = anchors(readFileSync('docs/runbook.md', 'utf8'));
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook_url).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(runbook.has(rule.alert.toLowerCase()), `docs/runbook.md has ## ${rule.alert}`).toBe(true);
    }
  });
});

describe('the dashboard', () => {
  it("has queries Prometheus parses (each checked by promtool as a recording rule's expression)", () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana/pocket-protest.json', 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const dir = mkdtempSync(join(tmpdir(), 'pp-dashboard-'));
    try {
      const file = join(dir, 'queries.yml');
      const rules = exprs.map((expr, i) => ({ record: `pp_dashboard:query${i}`, expr }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const run = promtool('check', 'rules', file);
      expect(run.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
