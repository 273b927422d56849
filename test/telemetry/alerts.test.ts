/**
 * The alert rules: each has a runbook, reads metrics Spillway registers, passes `promtool check rules`, and
 * fires — or stays quiet — as `promtool test rules` shows on synthetic series (Debian package prometheus).
 *
 * The unit tests strip the annotations: promtool compares expanded annotations too, and those are
 * checked for template syntax by `promtool check rules` and expanded by the real Prometheus in
 * prometheus.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_RULES, ruleGroups, runbookAnchor } from '../../src/telemetry/alerts.ts';
import { createControllerMetrics } from '../../src/telemetry/metrics.ts';

const root = join(import.meta.dirname, '..', '..');
const runbooks = readFileSync(join(root, 'docs/runbooks.md'), 'utf8');
const registered = new Set(
  createControllerMetrics()
    .registry.getMetricsAsArray()
    .map((m) => (m as unknown as { name: string }).name),
);

const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool) {
  const message =
    'SKIPPED: promtool tests of the alert rules: promtool is not installed (apt-get install -y prometheus)';
  if (process.env.CI) throw new Error(`${message} (CI must install it: see .ci/run)`);
  console.warn(`\n*** ${message} ***\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'spillway-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runPromtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.each(ALERT_RULES.map((rule) => ({ alert: rule.alert, rule })))('$alert', ({ alert, rule }) => {
  it('has a runbook section with meaning, impact, diagnosis and fix', () => {
    const start = runbooks.indexOf(`\n## ${alert}\n`);
    expect(start, `docs/runbooks.md has no "## ${alert}"`).toBeGreaterThan(0);
    const next = runbooks.indexOf('\n## ', start + 1);
    const section = runbooks.slice(start, next < 0 ? undefined : next);
    for (const part of ['**Meaning.**', '**Impact.**', '**Diagnosis', '**Fix'])
      expect(section).toContain(part);
    expect(runbooks).toContain(`(#${runbookAnchor(alert)})`);
  });

  it('probes part of its own expression, over metrics Spillway registers', () => {
    expect(rule.expr).toContain(rule.probe);
    const metrics = [...rule.expr.matchAll(/\bspillway_[a-z_]+/g)].map((m) => m[0]);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) expect(registered, metric).toContain(metric);
  });
});

interface Scenario {
  name: string;
  series: Record<string, string>;
  /** alert → minute of evaluation → expected label sets (besides severity). */
  expect: { alert: string; at: string; alerts: Record<string, string>[] }[];
}

const S = 'namespace="shop",scaler="orders"';
const SCENARIOS: Scenario[] = [
  {
    name: 'budget 95 % spent for 15 minutes; another scaler at 25 %',
    series: {
      [`spillway_budget_usd_per_hour{${S}}`]: '2x30',
      [`spillway_budget_remaining_usd_per_hour{${S}}`]: '0.1x30',
      'spillway_budget_usd_per_hour{namespace="shop",scaler="billing"}': '2x30',
      'spillway_budget_remaining_usd_per_hour{namespace="shop",scaler="billing"}': '1.5x30',
    },
    expect: [
      { alert: 'SpillwayBudgetNearlyExhausted', at: '5m', alerts: [] },
      {
        alert: 'SpillwayBudgetNearlyExhausted',
        at: '15m',
        alerts: [{ namespace: 'shop', scaler: 'orders' }],
      },
    ],
  },
  {
    name: 'BudgetExhausted True for 10 minutes',
    series: {
      [`spillway_condition{${S},kind="BudgetExhausted",reason="BudgetExhausted"}`]: '1x10',
      'spillway_condition{namespace="shop",scaler="billing",kind="BudgetExhausted",reason="WithinBudget"}':
        '0x10',
    },
    expect: [
      { alert: 'SpillwayBudgetExhausted', at: '3m', alerts: [] },
      {
        alert: 'SpillwayBudgetExhausted',
        at: '8m',
        alerts: [{ namespace: 'shop', scaler: 'orders', kind: 'BudgetExhausted', reason: 'BudgetExhausted' }],
      },
    ],
  },
  {
    name: 'quota failures in eastus every minute; one capacity failure in eastus2',
    series: {
      [`spillway_aci_failures_total{${S},region="eastus",kind="create",reason="QuotaExceeded"}`]: '0+1x20',
      [`spillway_aci_failures_total{${S},region="eastus2",kind="create",reason="CapacityUnavailable"}`]:
        '0 1x20',
    },
    expect: [
      { alert: 'SpillwayACIFailures', at: '1m', alerts: [] },
      {
        alert: 'SpillwayACIFailures',
        at: '10m',
        alerts: [{ namespace: 'shop', scaler: 'orders', region: 'eastus', reason: 'QuotaExceeded' }],
      },
    ],
  },
  {
    name: 'ARM 429s every minute; local pacing alone does not fire',
    series: {
      [`spillway_aci_throttled_total{${S},region="eastus",reason="AzureRetryAfter"}`]: '0+1x20',
      'spillway_aci_throttled_total{namespace="shop",scaler="billing",region="eastus",reason="LocalPacing"}':
        '0+5x20',
    },
    expect: [
      { alert: 'SpillwayARMThrottling', at: '3m', alerts: [] },
      {
        alert: 'SpillwayARMThrottling',
        at: '10m',
        alerts: [{ namespace: 'shop', scaler: 'orders', region: 'eastus' }],
      },
    ],
  },
  {
    name: 'Degraded for 20 minutes, its reason changing halfway',
    series: {
      [`spillway_condition{${S},kind="Degraded",reason="QuotaExhausted"}`]: '1x9 _x11',
      [`spillway_condition{${S},kind="Degraded",reason="MaxBurstReached"}`]: '_x9 1x11',
      'spillway_condition{namespace="shop",scaler="billing",kind="Degraded",reason="Healthy"}': '0x20',
    },
    expect: [
      { alert: 'SpillwayScalerDegraded', at: '10m', alerts: [] },
      {
        alert: 'SpillwayScalerDegraded',
        at: '17m',
        alerts: [{ namespace: 'shop', scaler: 'orders', kind: 'Degraded' }],
      },
    ],
  },
  {
    name: 'a trigger failing every read; another failing once',
    series: {
      [`spillway_signal_consecutive_failures{${S},trigger="orders-queue"}`]: '0 3 10 20 30 40 50 60 70 80 90',
      'spillway_signal_consecutive_failures{namespace="shop",scaler="billing",trigger="prom"}':
        '0 1 0 0 0 0 0 0 0 0 0',
    },
    expect: [
      { alert: 'SpillwaySignalFailing', at: '4m', alerts: [] },
      {
        alert: 'SpillwaySignalFailing',
        at: '7m',
        alerts: [{ namespace: 'shop', scaler: 'orders', trigger: 'orders-queue' }],
      },
    ],
  },
  {
    name: 'Fallback True for 15 minutes',
    series: { [`spillway_condition{${S},kind="Fallback",reason="FallbackActive"}`]: '1x15' },
    expect: [
      { alert: 'SpillwayFallbackActive', at: '5m', alerts: [] },
      {
        alert: 'SpillwayFallbackActive',
        at: '12m',
        alerts: [{ namespace: 'shop', scaler: 'orders', kind: 'Fallback', reason: 'FallbackActive' }],
      },
    ],
  },
  {
    name: 'two ticks in three failing; another scaler healthy',
    series: {
      [`spillway_ticks_total{${S}}`]: '0+30x30',
      [`spillway_tick_errors_total{${S}}`]: '0+20x30',
      'spillway_ticks_total{namespace="shop",scaler="billing"}': '0+30x30',
      'spillway_tick_errors_total{namespace="shop",scaler="billing"}': '0x30',
    },
    expect: [
      { alert: 'SpillwayTickErrors', at: '8m', alerts: [] },
      { alert: 'SpillwayTickErrors', at: '20m', alerts: [{ namespace: 'shop', scaler: 'orders' }] },
    ],
  },
  {
    name: 'two replicas, neither leading',
    series: {
      'spillway_leader{job="spillway",instance="a"}': '1 0x10',
      'spillway_leader{job="spillway",instance="b"}': '0 0x10',
    },
    expect: [
      { alert: 'SpillwayNoLeader', at: '2m', alerts: [] },
      { alert: 'SpillwayNoLeader', at: '5m', alerts: [{ job: 'spillway' }] },
      { alert: 'SpillwayMultipleLeaders', at: '5m', alerts: [] },
    ],
  },
  {
    name: 'two replicas, both leading',
    series: {
      'spillway_leader{job="spillway",instance="a"}': '1x10',
      'spillway_leader{job="spillway",instance="b"}': '0 1x10',
    },
    expect: [
      { alert: 'SpillwayMultipleLeaders', at: '5m', alerts: [{ job: 'spillway' }] },
      { alert: 'SpillwayNoLeader', at: '5m', alerts: [] },
    ],
  },
  {
    name: 'a healthy pair: one leader, caches synced',
    series: {
      'spillway_leader{job="spillway",instance="a"}': '1x20',
      'spillway_leader{job="spillway",instance="b"}': '0x20',
      'spillway_cluster_synced{job="spillway",instance="a"}': '1x20',
      'spillway_cluster_synced{job="spillway",instance="b"}': '1x20',
    },
    expect: ['SpillwayNoLeader', 'SpillwayMultipleLeaders', 'SpillwayAbsent', 'SpillwayCacheNotSynced'].map(
      (alert) => ({ alert, at: '15m', alerts: [] }),
    ),
  },
  {
    name: 'no Spillway metrics at all',
    series: { 'up{job="other"}': '1x10' },
    expect: [
      { alert: 'SpillwayAbsent', at: '3m', alerts: [] },
      { alert: 'SpillwayAbsent', at: '8m', alerts: [{}] },
    ],
  },
  {
    name: 'one replica out of sync for 10 minutes',
    series: {
      'spillway_cluster_synced{job="spillway",instance="a"}': '1x10',
      'spillway_cluster_synced{job="spillway",instance="b"}': '0x10',
    },
    expect: [
      { alert: 'SpillwayCacheNotSynced', at: '3m', alerts: [] },
      { alert: 'SpillwayCacheNotSynced', at: '7m', alerts: [{ job: 'spillway', instance: 'b' }] },
    ],
  },
];

describe.skipIf(!promtool)('promtool', () => {
  it('checks the PrometheusRule’s rules (syntax, templates)', () => {
    writeFileSync(join(dir, 'rules.yml'), stringify(ruleGroups()));
    const { status, output } = runPromtool(['check', 'rules', 'rules.yml']);
    expect(output).toContain(`SUCCESS: ${ALERT_RULES.length} rules found`);
    expect(status).toBe(0);
  });

  it('every alert has a scenario where it fires', () => {
    const firing = new Set(
      SCENARIOS.flatMap((s) => s.expect.filter((e) => e.alerts.length > 0).map((e) => e.alert)),
    );
    expect([...firing].sort()).toEqual(ALERT_RULES.map((r) => r.alert).sort());
  });

  it.each(SCENARIOS)('$name', (scenario) => {
    const groups = ruleGroups();
    for (const group of groups.groups) {
      for (const rule of group.rules as Record<string, unknown>[]) delete rule.annotations;
    }
    const file = `${scenario.name.replace(/[^a-z0-9]+/gi, '-')}`;
    writeFileSync(join(dir, `${file}.rules.yml`), stringify(groups));
    const severity = (alert: string) => ALERT_RULES.find((r) => r.alert === alert)!.severity;
    const test = {
      rule_files: [`${file}.rules.yml`],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: Object.entries(scenario.series).map(([series, values]) => ({ series, values })),
          alert_rule_test: scenario.expect.map((e) => ({
            eval_time: e.at,
            alertname: e.alert,
            exp_alerts: e.alerts.map((labels) => ({
              exp_labels: { severity: severity(e.alert), ...labels },
            })),
          })),
        },
      ],
    };
    writeFileSync(join(dir, `${file}.test.yml`), stringify(test));
    const { status, output } = runPromtool(['test', 'rules', `${file}.test.yml`]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});
