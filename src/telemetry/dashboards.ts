/**
 * Spillway's Grafana dashboards, built with Grafana's own builders (@grafana/grafana-foundation-sdk) and
 * written to `dashboards/*.json` by `node src/telemetry/generate.ts --write` (a test keeps the files equal
 * to what this module builds).
 *
 * The model is Grafana's classic dashboard JSON (`schemaVersion` 42, Grafana 12), the one file
 * provisioning and the kube-prometheus-stack sidecar load. Every dashboard has a `datasource` variable
 * (any Prometheus) and `namespace`/`scaler` variables filled from `spillway_desired_replicas`; every
 * query selects `{namespace=~"$namespace", scaler=~"$scaler"}` unless the metric is per process.
 *
 * - *Overview*: demand vs capacity, replicas by tier, pending pods, signals, cost by tier, budget,
 *   decisions and conditions.
 * - *Burst provider*: ACI groups by state and region, create-to-running and drain latencies, creates,
 *   deletes, failovers, failures by reason and region, throttling, ACI spend.
 * - *Controller health*: leadership, cache sync, work queue, ticks, tick errors and duration, actions,
 *   signal read errors, informers, garbage collection.
 *
 * This module is for the generator and the tests; the controller never imports it.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** The selector every per-scaler query uses. */
export const SCALER_SELECTOR = 'namespace=~"$namespace", scaler=~"$scaler"';
const S = SCALER_SELECTOR;
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const TAGS = ['spillway', 'autoscaling', 'aci'];

/** One query of a panel: PromQL and how its series are named. */
interface Query {
  expr: string;
  legend?: string;
  /** Instant query (tables). */
  instant?: boolean;
}

interface PanelCommon {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  width?: number;
  height?: number;
}

function targets(queries: Query[]): cog.Builder<cog.Dataquery>[] {
  return queries.map((q, i) => {
    const builder = new DataqueryBuilder()
      .expr(q.expr)
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE);
    if (q.legend !== undefined) builder.legendFormat(q.legend);
    if (q.instant) builder.instant().format(PromQueryFormat.Table);
    else builder.range();
    return builder;
  });
}

function timeseries(
  spec: PanelCommon & { stacked?: boolean; bars?: boolean; min?: number },
): TimeseriesPanel {
  const panel = new TimeseriesPanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit ?? 'short')
    .height(spec.height ?? 8)
    .span(spec.width ?? 12)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .fillOpacity(spec.stacked || spec.bars ? 60 : 10)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.bars) panel.drawStyle(common.GraphDrawStyle.Bars);
  for (const target of targets(spec.queries)) panel.withTarget(target);
  return panel;
}

function stat(
  spec: PanelCommon & { decimals?: number; thresholds?: { color: string; value: number | null }[] },
): StatPanel {
  const panel = new StatPanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit ?? 'short')
    .height(spec.height ?? 4)
    .span(spec.width ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.Auto)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  if (spec.thresholds)
    panel.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(spec.thresholds));
  for (const target of targets(spec.queries)) panel.withTarget(target);
  return panel;
}

function table(spec: PanelCommon): TablePanel {
  const panel = new TablePanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .height(spec.height ?? 8)
    .span(spec.width ?? 12)
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } });
  for (const target of targets(spec.queries)) panel.withTarget(target);
  return panel;
}

function base(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(TAGS)
    .editable()
    .tooltip(1)
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .annotation(
      new AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .builtIn(1)
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard'),
    )
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('namespace')
        .label('Namespace')
        .description('Namespaces with BurstScalers')
        .datasource(DATASOURCE)
        .query('label_values(spillway_desired_replicas, namespace)')
        .definition('label_values(spillway_desired_replicas, namespace)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ selected: true, text: 'All', value: '$__all' }),
    )
    .withVariable(
      new QueryVariableBuilder('scaler')
        .label('BurstScaler')
        .description('BurstScalers in the selected namespaces')
        .datasource(DATASOURCE)
        .query('label_values(spillway_desired_replicas{namespace=~"$namespace"}, scaler)')
        .definition('label_values(spillway_desired_replicas{namespace=~"$namespace"}, scaler)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ selected: true, text: 'All', value: '$__all' }),
    )
    .link(
      new DashboardLinkBuilder('Spillway')
        .type(DashboardLinkType.Dashboards)
        .tags(['spillway'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link')
        .tooltip('')
        .url(''),
    );
}

const ZERO_GREEN = [
  { color: 'green', value: null },
  { color: 'red', value: 0 },
];

function overview(): Dashboard {
  return base(
    'spillway-overview',
    'Spillway / Overview',
    'Demand against capacity, where replicas run (VM or ACI), pending pods, what it costs per tier and how much ACI budget is left.',
  )
    .withRow(new RowBuilder('Now'))
    .withPanel(
      stat({
        title: 'Desired replicas',
        description:
          'Replicas the last decisions want in total (VM + ACI), summed over the selected scalers.',
        queries: [{ expr: `sum(spillway_desired_replicas{${S}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'On VM',
        description: 'Replicas the last decisions place on VM nodes.',
        queries: [{ expr: `sum(spillway_vm_replicas{${S}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'On ACI',
        description: 'Replicas the last decisions place on Azure Container Instances.',
        queries: [{ expr: `sum(spillway_aci_replicas{${S}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Pending pods',
        description: 'Target pods Pending (not scheduled or not started): demand the VMs do not serve yet.',
        queries: [{ expr: `sum(spillway_pending_replicas{${S}})` }],
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 1 },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Cost rate (USD/h)',
        description: 'Estimated spend per hour, VM share plus ACI, as the cost model prices it.',
        unit: 'currencyUSD',
        decimals: 3,
        queries: [{ expr: `sum(spillway_cost_usd_per_hour{${S}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'ACI budget left (USD/h)',
        description:
          'spec.cost.budget.maxBurstUSDPerHour minus the current ACI spend, summed over scalers with a budget. Red when spent.',
        unit: 'currencyUSD',
        decimals: 3,
        queries: [{ expr: `sum(spillway_budget_remaining_usd_per_hour{${S}})` }],
        thresholds: [
          { color: 'red', value: null },
          { color: 'green', value: 0.000001 },
        ],
      }),
    )
    .withRow(new RowBuilder('Demand and capacity'))
    .withPanel(
      timeseries({
        title: 'Demand vs capacity',
        description:
          'Desired replicas (the demand the triggers ask for) against replicas serving (VM pods Ready on a node plus ACI groups Running and Ready).',
        queries: [
          {
            expr: `sum by (namespace, scaler) (spillway_desired_replicas{${S}})`,
            legend: '{{namespace}}/{{scaler}} desired',
          },
          {
            expr: `sum by (namespace, scaler) (spillway_ready_replicas{${S}})`,
            legend: '{{namespace}}/{{scaler}} serving',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Replicas by tier (stacked)',
        description: 'Replicas serving on VM nodes and on ACI, with pending pods on top.',
        queries: [
          { expr: `sum by (tier) (spillway_ready_replicas{${S}})`, legend: '{{tier}} serving' },
          { expr: `sum(spillway_pending_replicas{${S}})`, legend: 'pending' },
        ],
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Placement decided',
        description: 'Where the last decisions place the desired replicas: VM nodes or ACI (stacked).',
        queries: [
          { expr: `sum(spillway_vm_replicas{${S}})`, legend: 'VM' },
          { expr: `sum(spillway_aci_replicas{${S}})`, legend: 'ACI' },
        ],
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Pending pods per scaler',
        description:
          'Target pods Pending per scaler: the cluster autoscaler adds VMs for them while ACI bridges.',
        queries: [
          {
            expr: `sum by (namespace, scaler) (spillway_pending_replicas{${S}})`,
            legend: '{{namespace}}/{{scaler}}',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Signals',
        description: 'The last value read for each trigger (queue length, query result, …).',
        queries: [{ expr: `spillway_signal_value{${S}}`, legend: '{{namespace}}/{{scaler}} {{trigger}}' }],
        width: 24,
      }),
    )
    .withRow(new RowBuilder('Cost and budget'))
    .withPanel(
      timeseries({
        title: 'Cost rate by tier (stacked)',
        description:
          'Estimated USD per hour: VM = pods on nodes × the VM replica-hour (node price after discount ÷ replicas per node); ACI = billed vCPU and GB of groups that bill.',
        unit: 'currencyUSD',
        queries: [{ expr: `sum by (tier) (spillway_cost_usd_per_hour{${S}})`, legend: '{{tier}}' }],
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'ACI spend vs budget',
        description:
          'ACI spend per hour against spec.cost.budget.maxBurstUSDPerHour, per scaler with a budget.',
        unit: 'currencyUSD',
        queries: [
          {
            expr: `sum by (namespace, scaler) (spillway_cost_usd_per_hour{${S}, tier="aci"})`,
            legend: '{{namespace}}/{{scaler}} ACI spend',
          },
          {
            expr: `sum by (namespace, scaler) (spillway_budget_usd_per_hour{${S}})`,
            legend: '{{namespace}}/{{scaler}} budget',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      stat({
        title: 'Cost in the time range',
        description: 'Estimated spend accumulated over the dashboard’s time range, by tier.',
        unit: 'currencyUSD',
        decimals: 2,
        width: 12,
        queries: [
          { expr: `sum by (tier) (increase(spillway_cost_usd_total{${S}}[$__range]))`, legend: '{{tier}}' },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Budget used',
        description:
          'Share of the ACI budget spent right now, per scaler with a budget (over 90 % fires SpillwayBudgetNearlyExhausted).',
        unit: 'percentunit',
        decimals: 0,
        width: 12,
        queries: [
          {
            expr: `1 - spillway_budget_remaining_usd_per_hour{${S}} / spillway_budget_usd_per_hour{${S}}`,
            legend: '{{namespace}}/{{scaler}}',
          },
        ],
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 0.75 },
          { color: 'red', value: 0.9 },
        ],
      }),
    )
    .withRow(new RowBuilder('Decisions'))
    .withPanel(
      timeseries({
        title: 'Decisions by kind and reason',
        description:
          'Actions decided per interval: scale up/down, ACI creates (spill, bridge, rollout), drains, deletes (drained, failed, …), pod deletion costs.',
        queries: [
          {
            expr: `sum by (kind, reason) (increase(spillway_decisions_total{${S}, kind!="Emit"}[$__rate_interval]))`,
            legend: '{{kind}} {{reason}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Events by reason',
        description:
          'Kubernetes events the decisions emitted (SpillingToACI, ACIReplicaFailed, BudgetExhausted, …).',
        queries: [
          {
            expr: `sum by (reason) (increase(spillway_decisions_total{${S}, kind="Emit"}[$__rate_interval]))`,
            legend: '{{reason}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      table({
        title: 'Conditions',
        description: 'Each scaler’s conditions now: 1 when True, 0 when False, with the current reason.',
        width: 24,
        queries: [
          {
            expr: `max by (namespace, scaler, kind, reason) (spillway_condition{${S}})`,
            legend: '{{namespace}}/{{scaler}} {{kind}}',
            instant: true,
          },
        ],
      }),
    )
    .build();
}

function histogramQuantiles(
  metric: string,
  by: string,
  quantiles: number[],
  legend: (q: number) => string,
): Query[] {
  return quantiles.map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}) (rate(${metric}_bucket{${S}}[$__rate_interval])))`,
    legend: legend(q),
  }));
}

function burstProvider(): Dashboard {
  return base(
    'spillway-burst-provider',
    'Spillway / Burst provider',
    'Azure Container Instances as Spillway uses them: groups by state and region, how long they take to run and to drain, creates and deletes, failures by reason and region, ARM throttling.',
  )
    .withRow(new RowBuilder('Container groups'))
    .withPanel(
      timeseries({
        title: 'ACI groups by state (stacked)',
        description:
          'Container groups owned by the selected scalers: Pending, Running, Draining, Failed, Stopped.',
        queries: [{ expr: `sum by (kind) (spillway_aci_groups{${S}})`, legend: '{{kind}}' }],
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'ACI groups by region',
        description:
          'Live container groups (Pending, Running, Draining) per region: failover shows as groups outside the first region.',
        queries: [
          {
            expr: `sum by (region) (spillway_aci_groups{${S}, kind=~"Pending|Running|Draining"})`,
            legend: '{{region}}',
          },
        ],
        stacked: true,
        min: 0,
      }),
    )
    .withRow(new RowBuilder('Lifecycle latencies'))
    .withPanel(
      timeseries({
        title: 'Create to running',
        description:
          'From a group’s create to Running and Ready (scheduling, image pull, start, readiness delay).',
        unit: 's',
        queries: histogramQuantiles(
          'spillway_aci_create_to_running_seconds',
          'le',
          [0.5, 0.95, 0.99],
          (q) => `p${q * 100}`,
        ),
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Create to running p95 by region',
        description: 'The 95th percentile of create-to-running per region: a slow region shows here first.',
        unit: 's',
        queries: histogramQuantiles(
          'spillway_aci_create_to_running_seconds',
          'le, region',
          [0.95],
          () => '{{region}}',
        ),
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Drain to delete',
        description:
          'From the start of a drain (out of the endpoints) to the group’s delete: the grace period plus pacing.',
        unit: 's',
        queries: histogramQuantiles('spillway_aci_drain_seconds', 'le', [0.5, 0.95], (q) => `p${q * 100}`),
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Creates, deletes and failovers per minute',
        description:
          'Container groups created (by the region they landed in), deleted, and created outside the preferred region.',
        queries: [
          {
            expr: `sum by (region) (rate(spillway_aci_creates_total{${S}}[$__rate_interval])) * 60`,
            legend: '{{region}} creates',
          },
          {
            expr: `sum by (region) (rate(spillway_aci_deletes_total{${S}}[$__rate_interval])) * 60`,
            legend: '{{region}} deletes',
          },
          {
            expr: `sum by (region) (rate(spillway_aci_failovers_total{${S}}[$__rate_interval])) * 60`,
            legend: '{{region}} failovers',
          },
        ],
        min: 0,
      }),
    )
    .withRow(new RowBuilder('Failures and throttling'))
    .withPanel(
      timeseries({
        title: 'Failures by reason',
        description:
          'ACI failures per interval by kind (create refused, delete, drain, replica failed after acceptance) and reason (QuotaExceeded, CapacityUnavailable, InaccessibleImage, …).',
        queries: [
          {
            expr: `sum by (kind, reason) (increase(spillway_aci_failures_total{${S}}[$__rate_interval]))`,
            legend: '{{kind}} {{reason}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failures by region',
        description: 'ACI failures per interval by region: where quota or capacity runs out.',
        queries: [
          {
            expr: `sum by (region) (increase(spillway_aci_failures_total{${S}}[$__rate_interval]))`,
            legend: '{{region}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Throttling',
        description:
          'Writes held back per interval: AzureRetryAfter (ARM answered 429, every write waits for Retry-After) or LocalPacing (Spillway’s own ACI write limits per region).',
        queries: [
          {
            expr: `sum by (region, reason) (increase(spillway_aci_throttled_total{${S}}[$__rate_interval]))`,
            legend: '{{region}} {{reason}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'ACI spend per scaler',
        description: 'What the ACI groups of each scaler cost per hour (billed vCPU and GB).',
        unit: 'currencyUSD',
        queries: [
          {
            expr: `sum by (namespace, scaler) (spillway_cost_usd_per_hour{${S}, tier="aci"})`,
            legend: '{{namespace}}/{{scaler}}',
          },
        ],
        stacked: true,
        min: 0,
      }),
    )
    .build();
}

function controllerHealth(): Dashboard {
  return base(
    'spillway-controller-health',
    'Spillway / Controller health',
    'Is Spillway deciding? Leadership, cache sync, the work queue, ticks and their errors and duration, failed actions and signal reads, informers and garbage collection.',
  )
    .withRow(new RowBuilder('Now'))
    .withPanel(
      stat({
        title: 'Leaders',
        description: 'Replicas holding the leader lease: exactly 1 when healthy (0 fires SpillwayNoLeader).',
        queries: [{ expr: 'sum(spillway_leader)' }],
        thresholds: [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
          { color: 'red', value: 2 },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Caches synced',
        description:
          '1 when every informer cache of the leader has listed and is watching; no actions while 0.',
        queries: [{ expr: 'min(spillway_cluster_synced)' }],
        thresholds: [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Work queue',
        description: 'BurstScalers waiting for a worker (should stay near 0).',
        queries: [{ expr: 'max(spillway_work_queue_depth)' }],
      }),
    )
    .withPanel(
      stat({
        title: 'Ticks per second',
        description: 'Decisions made per second over the selected scalers.',
        unit: 'ops',
        decimals: 2,
        queries: [{ expr: `sum(rate(spillway_ticks_total{${S}}[$__rate_interval]))` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Tick errors per second',
        description:
          'Ticks that failed to observe (provider or API server unreachable) and were retried with backoff.',
        unit: 'ops',
        decimals: 2,
        queries: [{ expr: `sum(rate(spillway_tick_errors_total{${S}}[$__rate_interval]))` }],
        thresholds: ZERO_GREEN,
      }),
    )
    .withPanel(
      stat({
        title: 'Scalers degraded',
        description:
          'Scalers whose Degraded condition is True (actions failing, quota, max burst, failed replicas).',
        queries: [{ expr: `count(spillway_condition{${S}, kind="Degraded"} == 1) or vector(0)` }],
        thresholds: [
          { color: 'green', value: null },
          { color: 'red', value: 1 },
        ],
      }),
    )
    .withRow(new RowBuilder('Ticks'))
    .withPanel(
      timeseries({
        title: 'Ticks and tick errors per second',
        description: 'Ticks per scaler, and those that failed before deciding.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (namespace, scaler) (rate(spillway_ticks_total{${S}}[$__rate_interval]))`,
            legend: '{{namespace}}/{{scaler}} ticks',
          },
          {
            expr: `sum by (namespace, scaler) (rate(spillway_tick_errors_total{${S}}[$__rate_interval]))`,
            legend: '{{namespace}}/{{scaler}} errors',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Tick duration',
        description: 'From the start of a tick to the end of its last action (observe, decide, execute).',
        unit: 's',
        queries: histogramQuantiles(
          'spillway_tick_duration_seconds',
          'le',
          [0.5, 0.95, 0.99],
          (q) => `p${q * 100}`,
        ),
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Actions per minute by kind',
        description: 'Actions executed successfully.',
        queries: [
          {
            expr: `sum by (kind) (rate(spillway_actions_total{${S}}[$__rate_interval])) * 60`,
            legend: '{{kind}}',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Action failures by kind',
        description:
          'Actions that failed per interval; the errors are in the scalers’ events and Degraded condition.',
        queries: [
          {
            expr: `sum by (kind) (increase(spillway_action_failures_total{${S}}[$__rate_interval]))`,
            legend: '{{kind}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withRow(new RowBuilder('Signals'))
    .withPanel(
      timeseries({
        title: 'Signal read errors by reason',
        description:
          'Failed trigger reads per interval, by trigger and reason (unreachable, timeout, auth, not-found, bad-response, config).',
        queries: [
          {
            expr: `sum by (namespace, scaler, trigger, reason) (increase(spillway_signal_read_errors_total{${S}}[$__rate_interval]))`,
            legend: '{{namespace}}/{{scaler}} {{trigger}} {{reason}}',
          },
        ],
        bars: true,
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failed reads in a row',
        description:
          'Consecutive failed reads per trigger; at fallback.failureThreshold the spec’s fallback replicas apply.',
        queries: [
          {
            expr: `spillway_signal_consecutive_failures{${S}}`,
            legend: '{{namespace}}/{{scaler}} {{trigger}}',
          },
        ],
        min: 0,
      }),
    )
    .withRow(new RowBuilder('Process'))
    .withPanel(
      timeseries({
        title: 'Leader and cache sync per replica',
        description: 'Each Spillway replica: whether it leads, and whether its caches are in sync.',
        queries: [
          { expr: 'spillway_leader', legend: '{{instance}} leader' },
          { expr: 'spillway_cluster_synced', legend: '{{instance}} synced' },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Work queue depth',
        description: 'BurstScalers waiting for a worker, per replica.',
        queries: [{ expr: 'spillway_work_queue_depth', legend: '{{instance}}' }],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Informers',
        description:
          'Kubernetes informers per kind: up (listed and watching) and restarts per interval after a failed list or watch.',
        queries: [
          { expr: 'min by (kind) (spillway_informers_up)', legend: '{{kind}} up' },
          {
            expr: 'sum by (kind) (increase(spillway_informer_restarts_total[$__rate_interval]))',
            legend: '{{kind}} restarts',
          },
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Garbage collection',
        description:
          'Sweeps over every owned container group (orphans, stale templates), and sweeps that could not list.',
        queries: [
          { expr: 'sum(increase(spillway_gc_sweeps_total[$__rate_interval]))', legend: 'sweeps' },
          { expr: 'sum(increase(spillway_gc_sweep_errors_total[$__rate_interval]))', legend: 'errors' },
        ],
        bars: true,
        min: 0,
      }),
    )
    .build();
}

/** A dashboard and the file it is written to under `dashboards/`. */
export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

/** Every dashboard Spillway ships, in the order the docs list them. */
export function buildDashboards(): DashboardFile[] {
  return [
    { file: 'spillway-overview.json', dashboard: numberPanels(overview()) },
    { file: 'spillway-burst-provider.json', dashboard: numberPanels(burstProvider()) },
    { file: 'spillway-controller-health.json', dashboard: numberPanels(controllerHealth()) },
  ];
}

/** Gives every panel and row a unique id (1, 2, …) in layout order, as Grafana does when it saves one. */
function numberPanels(dashboard: Dashboard): Dashboard {
  let id = 0;
  const visit = (panel: Panel | RowPanel): void => {
    panel.id = ++id;
    if (panel.type === 'row') for (const inner of (panel as RowPanel).panels) visit(inner);
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return dashboard;
}

/** One query of a panel, as the docs and the tests read it. */
export interface PanelQuery {
  refId: string;
  expr: string;
  legend?: string;
  instant: boolean;
}

/** A panel (not a row) with its queries. */
export interface PanelSummary {
  title: string;
  type: string;
  description: string;
  row?: string;
  queries: PanelQuery[];
}

/** The panels of a dashboard in order, each with the row above it and its PromQL queries. */
export function panelSummaries(dashboard: Dashboard): PanelSummary[] {
  const out: PanelSummary[] = [];
  let row: string | undefined;
  const visit = (panel: Panel | RowPanel): void => {
    if (panel.type === 'row') {
      const rowPanel = panel as RowPanel;
      row = rowPanel.title;
      for (const inner of rowPanel.panels) visit(inner);
      return;
    }
    const p = panel as Panel;
    out.push({
      title: p.title ?? '',
      type: p.type,
      description: p.description ?? '',
      ...(row !== undefined ? { row } : {}),
      queries: (p.targets ?? []).map((target) => {
        const t = target as unknown as {
          refId?: string;
          expr?: string;
          legendFormat?: string;
          instant?: boolean;
        };
        return {
          refId: t.refId ?? '',
          expr: t.expr ?? '',
          ...(t.legendFormat !== undefined ? { legend: t.legendFormat } : {}),
          instant: t.instant === true,
        };
      }),
    });
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return out;
}
