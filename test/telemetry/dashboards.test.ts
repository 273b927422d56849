/**
 * The dashboards against Grafana's own types (a JSON Schema generated from @grafana/grafana-foundation-sdk),
 * and the rules every Spillway dashboard keeps: a Prometheus datasource variable, namespace and scaler
 * variables, every per-scaler query filtered by them, metrics that exist, a layout without overlaps.
 */
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCALER_SELECTOR, buildDashboards, panelSummaries } from '../../src/telemetry/dashboards.ts';
import { createControllerMetrics } from '../../src/telemetry/metrics.ts';
import { errorsOf, grafanaValidators } from './grafana-schema.ts';
import type { GrafanaValidators } from './grafana-schema.ts';

/** The dashboards as their JSON files hold them (the SDK's objects also carry builder methods). */
const dashboards = buildDashboards().map(({ file, dashboard }) => ({
  file,
  dashboard: JSON.parse(JSON.stringify(dashboard)) as Dashboard,
}));

/** Metrics that describe a Spillway process, not a BurstScaler: no namespace/scaler labels. */
const PROCESS_METRICS = new Set([
  'spillway_leader',
  'spillway_cluster_synced',
  'spillway_work_queue_depth',
  'spillway_informers_up',
  'spillway_informer_restarts_total',
  'spillway_gc_sweeps_total',
  'spillway_gc_sweep_errors_total',
]);

const registered = new Set(
  createControllerMetrics()
    .registry.getMetricsAsArray()
    .map((m) => (m as unknown as { name: string }).name),
);

/** Metric names in a PromQL expression, histogram series mapped to their histogram. */
function metricsIn(expr: string): string[] {
  return [
    ...new Set(
      [...expr.matchAll(/\bspillway_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    ),
  ];
}

function leafPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') out.push(...(panel as RowPanel).panels);
    else out.push(panel);
  }
  return out;
}

let validators: GrafanaValidators;
beforeAll(() => {
  validators = grafanaValidators();
}, 60_000);

describe.each(dashboards.map((d) => ({ file: d.file, dashboard: d.dashboard })))('$file', ({ dashboard }) => {
  it('validates against Grafana’s Dashboard type', () => {
    const ok = validators.GrafanaDashboard(dashboard);
    expect(errorsOf(validators.GrafanaDashboard)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('uses the current schema version', () => {
    expect(dashboard.schemaVersion).toBe(defaultDashboard().schemaVersion);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(41);
  });

  it('validates each panel’s options, field config and queries against the plugin’s types', () => {
    const problems: string[] = [];
    const check = (name: keyof GrafanaValidators, value: unknown, where: string): void => {
      if (!validators[name](value)) problems.push(...errorsOf(validators[name]).map((e) => `${where} ${e}`));
    };
    for (const panel of leafPanels(dashboard)) {
      const where = `panel "${panel.title ?? ''}"`;
      if (panel.type === 'timeseries') {
        check('TimeseriesPanelOptions', panel.options, `${where} options`);
        check(
          'TimeseriesPanelFieldConfig',
          panel.fieldConfig?.defaults.custom,
          `${where} fieldConfig.custom`,
        );
      } else if (panel.type === 'stat') check('StatPanelOptions', panel.options, `${where} options`);
      else if (panel.type === 'table') check('TablePanelOptions', panel.options, `${where} options`);
      else problems.push(`${where}: unexpected panel type ${panel.type}`);
      for (const target of panel.targets ?? []) check('PrometheusQuery', target, `${where} target`);
    }
    expect(problems).toEqual([]);
  });

  it('has a Prometheus datasource variable and multi-select namespace and scaler variables', () => {
    const variables = dashboard.templating.list ?? [];
    expect(variables.map((v) => v.name)).toEqual(['datasource', 'namespace', 'scaler']);
    expect(variables[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of variables.slice(1))
      expect(v).toMatchObject({
        type: 'query',
        multi: true,
        includeAll: true,
        allValue: '.*',
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
    expect(variables[2]?.query).toContain('namespace=~"$namespace"');
  });

  it('queries the datasource variable, filters per-scaler metrics by namespace and scaler, names real metrics', () => {
    const problems: string[] = [];
    for (const panel of leafPanels(dashboard)) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    for (const panel of panelSummaries(dashboard)) {
      for (const query of panel.queries) {
        const metrics = metricsIn(query.expr);
        if (metrics.length === 0) problems.push(`${panel.title}: no spillway metric in ${query.expr}`);
        for (const metric of metrics) {
          if (!registered.has(metric)) problems.push(`${panel.title}: unknown metric ${metric}`);
          const perScaler = !PROCESS_METRICS.has(metric);
          const selectors = [
            ...query.expr.matchAll(new RegExp(`${metric}(?:_bucket|_sum|_count)?(\\{[^}]*\\})?`, 'g')),
          ];
          for (const selector of selectors)
            if (perScaler && !(selector[1] ?? '').includes(SCALER_SELECTOR))
              problems.push(`${panel.title}: ${selector[0]} is not filtered by ${SCALER_SELECTOR}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids and titles', () => {
    const panels = dashboard.panels ?? [];
    const boxes = panels.map((p) => ({ title: p.title ?? '', ...p.gridPos! }));
    for (const box of boxes) {
      expect(box.x + box.w, box.title).toBeLessThanOrEqual(24);
      expect(box.w, box.title).toBeGreaterThan(0);
      expect(box.h, box.title).toBeGreaterThan(0);
    }
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const titles = leafPanels(dashboard).map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
  });
});

describe('the dashboards together', () => {
  it('are the Overview, Burst provider and Controller health dashboards, with unique uids', () => {
    expect(dashboards.map((d) => d.dashboard.title)).toEqual([
      'Spillway / Overview',
      'Spillway / Burst provider',
      'Spillway / Controller health',
    ]);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(3);
    for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{8,40}$/);
  });

  it.each([
    ['Overview', 'Demand vs capacity', 'spillway_ready_replicas'],
    ['Overview', 'Replicas by tier (stacked)', 'spillway_ready_replicas'],
    ['Overview', 'Pending pods per scaler', 'spillway_pending_replicas'],
    ['Overview', 'Cost rate by tier (stacked)', 'spillway_cost_usd_per_hour'],
    ['Overview', 'ACI spend vs budget', 'spillway_budget_usd_per_hour'],
    ['Burst provider', 'Create to running', 'spillway_aci_create_to_running_seconds'],
    ['Burst provider', 'Failures by reason', 'spillway_aci_failures_total'],
    ['Burst provider', 'ACI groups by region', 'spillway_aci_groups'],
    ['Burst provider', 'Throttling', 'spillway_aci_throttled_total'],
    ['Controller health', 'Ticks and tick errors per second', 'spillway_tick_errors_total'],
    ['Controller health', 'Leader and cache sync per replica', 'spillway_leader'],
    ['Controller health', 'Informers', 'spillway_informer_restarts_total'],
  ])('%s answers "%s" from %s', (dashboardName, title, metric) => {
    const dashboard = dashboards.find((d) => d.dashboard.title === `Spillway / ${dashboardName}`)!.dashboard;
    const panel = panelSummaries(dashboard).find((p) => p.title === title);
    expect(panel, title).toBeDefined();
    expect(panel!.queries.some((q) => q.expr.includes(metric))).toBe(true);
  });
});

describe('the generated schema', () => {
  // A schema that accepted anything would make the tests above pass for any dashboard.
  it.each<{ name: string; change: (d: Record<string, unknown>) => void; error: RegExp }>([
    { name: 'schemaVersion as a string', change: (d) => (d.schemaVersion = '42'), error: /schemaVersion/ },
    { name: 'no templating', change: (d) => delete d.templating, error: /templating/ },
    {
      name: 'a panel without a type',
      change: (d) => delete (d.panels as Record<string, unknown>[])[1]!.type,
      error: /type/,
    },
    {
      name: 'a gridPos without a height',
      change: (d) =>
        delete ((d.panels as Record<string, unknown>[])[1]!.gridPos as Record<string, unknown>).h,
      error: /gridPos/,
    },
    { name: 'tags as a string', change: (d) => (d.tags = 'spillway'), error: /tags/ },
  ])('rejects $name', ({ change, error }) => {
    const broken = structuredClone(dashboards[0]!.dashboard) as unknown as Record<string, unknown>;
    change(broken);
    expect(validators.GrafanaDashboard(broken)).toBe(false);
    expect(errorsOf(validators.GrafanaDashboard).join('\n')).toMatch(error);
  });

  it('rejects a Prometheus query whose expr is not a string', () => {
    expect(validators.PrometheusQuery({ refId: 'A', expr: 42 })).toBe(false);
    expect(validators.PrometheusQuery({ refId: 'A', expr: 'up' })).toBe(true);
  });
});
