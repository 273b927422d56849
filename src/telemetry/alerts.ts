/**
 * Spillway's Prometheus alerting rules, one source for `deploy/monitoring/prometheus-rule.yaml` (a
 * PrometheusRule for the Prometheus Operator / kube-prometheus-stack) and for the tests.
 *
 * Each rule names its `probe`: the expression inside the comparison (or inside `absent`) that returns a
 * series for every scaler (or every replica) while Spillway runs. An alert that does not fire returns
 * nothing, so the tests evaluate the probe against a Prometheus scraping the demo to prove the rule reads
 * metrics that exist with the labels it uses, and `promtool test rules` to prove when it fires.
 *
 * Every alert links its runbook: docs/runbooks.md, one section per alert (meaning, impact, diagnosis,
 * fix), anchored by the alert's name in lower case.
 */

export interface AlertRule {
  alert: string;
  /** The full PromQL expression; the alert fires for each series it returns. */
  expr: string;
  /** The part of `expr` that must return series while Spillway runs (a substring of `expr`). */
  probe: string;
  /** How long `expr` must hold before the alert fires. */
  for: string;
  severity: 'warning' | 'critical';
  /** One line, with label templates. */
  summary: string;
  /** What is happening and what it means, with label and value templates. */
  description: string;
}

/**
 * Where the runbooks live, relative to the repository root; each alert's `runbook_url` is this plus
 * `#<alert in lower case>`. Installs that publish the docs elsewhere patch the annotation (kustomize) to
 * an absolute URL.
 */
export const RUNBOOK_PATH = 'docs/runbooks.md';

/** The runbook anchor of an alert (GitHub's heading anchor of `## AlertName`). */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

const scaler = '{{ $labels.namespace }}/{{ $labels.scaler }}';

const budgetUsed = '1 - spillway_budget_remaining_usd_per_hour / spillway_budget_usd_per_hour';
const acifailures = 'sum by (namespace, scaler, region, reason) (increase(spillway_aci_failures_total[15m]))';
const armThrottled =
  'sum by (namespace, scaler, region) (increase(spillway_aci_throttled_total{reason="AzureRetryAfter"}[15m]))';
const tickErrorRatio =
  'sum by (namespace, scaler) (rate(spillway_tick_errors_total[5m])) / sum by (namespace, scaler) (rate(spillway_ticks_total[5m]))';

/** The rules, in the order docs/runbooks.md describes them. */
export const ALERT_RULES: AlertRule[] = [
  {
    alert: 'SpillwayBudgetNearlyExhausted',
    expr: `(${budgetUsed}) > 0.9`,
    probe: budgetUsed,
    for: '10m',
    severity: 'warning',
    summary: `BurstScaler ${scaler} has spent over 90 % of its ACI budget`,
    description: `ACI spend is at {{ $value | humanizePercentage }} of spec.cost.budget.maxBurstUSDPerHour for ${scaler}. Once it is spent, further overflow waits Pending for new VMs instead of bursting to ACI.`,
  },
  {
    alert: 'SpillwayBudgetExhausted',
    expr: 'spillway_condition{kind="BudgetExhausted"} == 1',
    probe: 'spillway_condition{kind="BudgetExhausted"}',
    for: '5m',
    severity: 'warning',
    summary: `BurstScaler ${scaler} wants ACI replicas its budget does not allow`,
    description: `The BudgetExhausted condition of ${scaler} has been True (reason {{ $labels.reason }}) for 5 minutes: replicas that should run on ACI wait Pending for VM capacity.`,
  },
  {
    alert: 'SpillwayACIFailures',
    expr: `${acifailures} >= 3`,
    probe: acifailures,
    for: '0m',
    severity: 'warning',
    summary: `ACI failures for ${scaler} in {{ $labels.region }}: {{ $labels.reason }}`,
    description: `{{ $value | humanize }} ACI failures with reason {{ $labels.reason }} in {{ $labels.region }} for ${scaler} in the last 15 minutes. Spillway retries with backoff and fails over to the next region; demand may go unserved meanwhile.`,
  },
  {
    alert: 'SpillwayARMThrottling',
    expr: `${armThrottled} > 0`,
    probe: armThrottled,
    for: '5m',
    severity: 'warning',
    summary: `Azure Resource Manager is throttling Spillway's ACI writes (${scaler}, {{ $labels.region }})`,
    description: `ARM answered 429 to ACI writes for ${scaler} {{ $value | humanize }} times in 15 minutes; every create, drain and delete waits for Retry-After, so bursts start late.`,
  },
  {
    alert: 'SpillwayScalerDegraded',
    expr: 'max without (reason) (spillway_condition{kind="Degraded"}) == 1',
    probe: 'spillway_condition{kind="Degraded"}',
    for: '15m',
    severity: 'warning',
    summary: `BurstScaler ${scaler} has been Degraded for 15 minutes`,
    description: `The Degraded condition of ${scaler} has stayed True for 15 minutes (actions failing, ACI quota, maxBurstReplicas or failing replicas). \`kubectl describe burstscaler\` shows the reason and message.`,
  },
  {
    alert: 'SpillwaySignalFailing',
    expr: 'spillway_signal_consecutive_failures >= 3',
    probe: 'spillway_signal_consecutive_failures',
    for: '5m',
    severity: 'warning',
    summary: `Trigger {{ $labels.trigger }} of ${scaler} cannot be read`,
    description: `Trigger {{ $labels.trigger }} of ${scaler} has failed {{ $value }} reads in a row for 5 minutes. Spillway never scales in on missing data; after fallback.failureThreshold failures it holds fallback.replicas.`,
  },
  {
    alert: 'SpillwayFallbackActive',
    expr: 'spillway_condition{kind="Fallback"} == 1',
    probe: 'spillway_condition{kind="Fallback"}',
    for: '10m',
    severity: 'warning',
    summary: `BurstScaler ${scaler} runs on its fallback replica count`,
    description: `Triggers of ${scaler} have failed past fallback.failureThreshold for 10 minutes: replicas are held at spec.fallback.replicas instead of following demand.`,
  },
  {
    alert: 'SpillwayTickErrors',
    expr: `(${tickErrorRatio}) > 0.5`,
    probe: tickErrorRatio,
    for: '10m',
    severity: 'warning',
    summary: `Most ticks of ${scaler} fail before deciding`,
    description: `{{ $value | humanizePercentage }} of the ticks of ${scaler} failed to observe (ACI or the API server unreachable) for 10 minutes; nothing is decided for it meanwhile.`,
  },
  {
    alert: 'SpillwayNoLeader',
    expr: 'sum by (job) (spillway_leader) < 1',
    probe: 'sum by (job) (spillway_leader)',
    for: '2m',
    severity: 'critical',
    summary: 'No Spillway replica is the leader',
    description:
      'Spillway replicas of job {{ $labels.job }} are running but none has held the leader lease for 2 minutes: no BurstScaler is scaled, and ACI replicas are neither created nor drained.',
  },
  {
    alert: 'SpillwayMultipleLeaders',
    expr: 'sum by (job) (spillway_leader) > 1',
    probe: 'sum by (job) (spillway_leader)',
    for: '2m',
    severity: 'critical',
    summary: 'More than one Spillway replica acts as the leader',
    description:
      '{{ $value }} replicas of job {{ $labels.job }} report holding the leader lease: they may take conflicting actions.',
  },
  {
    alert: 'SpillwayAbsent',
    expr: 'absent(spillway_leader)',
    probe: 'spillway_leader',
    for: '5m',
    severity: 'critical',
    summary: 'Prometheus has no Spillway metrics',
    description:
      'No Spillway replica has been scraped for 5 minutes: Spillway is down, or Prometheus cannot reach its /metrics (ServiceMonitor, network policy).',
  },
  {
    alert: 'SpillwayCacheNotSynced',
    expr: 'spillway_cluster_synced == 0',
    probe: 'spillway_cluster_synced',
    for: '5m',
    severity: 'critical',
    summary: 'Spillway replica {{ $labels.instance }} has no synced view of the cluster',
    description:
      'The informer caches of {{ $labels.instance }} have not been in sync for 5 minutes (API server unreachable, RBAC): the leader makes no decisions and no actions while out of sync.',
  },
];

/** The PrometheusRule object (monitoring.coreos.com/v1) holding {@link ALERT_RULES}. */
export function prometheusRule(): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'spillway',
      namespace: 'spillway-system',
      labels: {
        'app.kubernetes.io/name': 'spillway',
        'app.kubernetes.io/component': 'monitoring',
        // kube-prometheus-stack's default ruleSelector matches its Helm release name.
        release: 'kube-prometheus-stack',
      },
    },
    spec: ruleGroups(),
  };
}

/** The rule groups as a Prometheus rule file reads them (`promtool check rules`, `rule_files`). */
export function ruleGroups(): { groups: Record<string, unknown>[] } {
  return {
    groups: [
      {
        name: 'spillway',
        rules: ALERT_RULES.map((rule) => ({
          alert: rule.alert,
          expr: rule.expr,
          for: rule.for,
          labels: { severity: rule.severity },
          annotations: {
            summary: rule.summary,
            description: rule.description,
            runbook_url: `${RUNBOOK_PATH}#${runbookAnchor(rule.alert)}`,
          },
        })),
      },
    ],
  };
}
