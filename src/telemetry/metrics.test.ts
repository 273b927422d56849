import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decide } from '../core/decide.ts';
import {
  MINUTE,
  SECOND,
  T0,
  applyActions,
  pendingPods,
  startGroups,
  testPolicy,
  testSnapshot,
  vmPods,
} from '../core/testing.ts';
import type { Action, BurstReplica, Decision, Snapshot } from '../core/types.ts';
import { emptyState } from '../core/types.ts';
import { SIGNAL_FAILURE_REASONS, createControllerMetrics } from './metrics.ts';
import type { ControllerMetrics, DecisionRecord } from './metrics.ts';
import type { OutcomeLike } from './observe.ts';

/** The value of one series, or undefined when it does not exist. */
async function sample(
  metrics: ControllerMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value;
}

/** A histogram value's series name (`…_bucket`, `…_sum`, `…_count`). */
const seriesName = (value: object): string => (value as { metricName?: string }).metricName ?? '';

const SCALER = { namespace: 'shop', scaler: 'orders-worker' };
const KEY = { namespace: 'shop', name: 'orders-worker' };

/** Outcomes as the executor reports them when every action succeeds (creates land where asked). */
function succeeded(decision: Decision, after: Snapshot): OutcomeLike[] {
  return decision.actions.map((action): OutcomeLike => {
    const replica =
      action.kind === 'CreateBurst' ? after.burst.find((g) => g.name === action.name) : undefined;
    return { action, result: 'ok', ...(replica ? { replica } : {}) };
  });
}

describe('controller metrics', () => {
  it('follow Prometheus naming: spillway_ prefix, _total counters, _seconds histograms, bounded labels', async () => {
    const { registry } = createControllerMetrics();
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(30);
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^spillway_[a-z_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
      if (String(metric.type) === 'gauge') expect(metric.name).not.toMatch(/_total$/);
      expect(metric.help.length).toBeGreaterThan(10);
    }
    const labels = new Set(
      registry.getMetricsAsArray().flatMap((m) => (m as unknown as { labelNames: string[] }).labelNames),
    );
    expect([...labels].sort()).toEqual([
      'kind',
      'namespace',
      'reason',
      'region',
      'scaler',
      'tier',
      'trigger',
    ]);
  });

  it('removeScaler drops only that scaler’s series', async () => {
    const m = createControllerMetrics();
    for (const scaler of ['orders', 'billing']) {
      const labels = { namespace: 'shop', scaler };
      m.ticks.inc(labels);
      m.tickDuration.observe(labels, 0.01);
      m.actions.inc({ ...labels, kind: 'CreateBurst' });
      m.signalValue.set({ ...labels, trigger: 'queue-0' }, 5);
      m.desiredReplicas.set(labels, 3);
    }
    await m.removeScaler('shop', 'orders');
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/scaler="orders"/);
    expect(text).toMatch(/spillway_ticks_total\{namespace="shop",scaler="billing"\} 1/);
    expect(text).toMatch(/spillway_tick_duration_seconds_count\{namespace="shop",scaler="billing"\} 1/);
  });

  it('resetScalers drops every per-scaler series but keeps process-wide ones', async () => {
    const m = createControllerMetrics();
    m.ticks.inc(SCALER);
    m.desiredReplicas.set(SCALER, 4);
    m.costRate.set({ ...SCALER, tier: 'aci' }, 1.5);
    m.leader.set(1);
    m.workQueueDepth.set(2);
    m.resetScalers();
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/scaler="orders-worker"/);
    expect(text).toMatch(/^spillway_leader 1$/m);
    expect(text).toMatch(/^spillway_work_queue_depth 2$/m);
  });

  it('can add Node.js process metrics under the same prefix', async () => {
    const { registry } = createControllerMetrics({ processMetrics: true });
    expect(await registry.metrics()).toMatch(/^spillway_process_cpu_seconds_total /m);
  });
});

describe('recordDecision over a burst and its end', () => {
  const policy = testPolicy({ budget: { maxBurstUSDPerHour: 2 } });
  const aciHour = 0.00001125 * 3600 + 4 * 0.000001236 * 3600; // 1 vCPU + 4 GiB billed as 4 GB (memoryInGB = the GiB value)

  /** Decides on `snapshot`, applies the actions as the executor would and records the tick. */
  function tick(
    metrics: ControllerMetrics,
    snapshot: Snapshot,
    state: ReturnType<typeof emptyState>,
    now: number,
    extra: Partial<DecisionRecord> = {},
  ): { decision: Decision; after: Snapshot } {
    const decision = decide(snapshot, policy, state, now);
    const after = applyActions(snapshot, decision.actions, now);
    metrics.recordDecision({
      key: KEY,
      policy,
      snapshot,
      decision,
      outcomes: succeeded(decision, after),
      burst: after.burst,
      now,
      ...extra,
    });
    return { decision, after };
  }

  it('counts the burst’s creates, groups, costs, budget and create-to-running', async () => {
    const m = createControllerMetrics();
    const pods = [...vmPods(3, T0), ...pendingPods(5, T0 - MINUTE)];
    const first = tick(m, testSnapshot({ now: T0, queue: 80, pods }), emptyState(), T0);
    const creates = first.decision.actions.filter((a) => a.kind === 'CreateBurst');
    expect(creates.length).toBeGreaterThan(0);
    const n = creates.length;

    const createReason = (await m.registry.getSingleMetric('spillway_decisions_total')!.get()).values.find(
      (v) => v.labels.kind === 'CreateBurst',
    );
    expect(createReason?.value).toBe(n);
    expect(createReason?.labels.reason).toMatch(/^(SpillingToACI|BridgingOnACI)$/);
    expect(await sample(m, 'spillway_aci_creates_total', { ...SCALER, region: 'eastus' })).toBe(n);
    expect(await sample(m, 'spillway_aci_creates_total', { ...SCALER, region: 'eastus2' })).toBe(0);
    expect(await sample(m, 'spillway_aci_groups', { ...SCALER, region: 'eastus', kind: 'Pending' })).toBe(n);
    expect(await sample(m, 'spillway_ready_replicas', { ...SCALER, tier: 'vm' })).toBe(3);
    expect(await sample(m, 'spillway_ready_replicas', { ...SCALER, tier: 'aci' })).toBe(0);
    expect(await sample(m, 'spillway_cost_usd_per_hour', { ...SCALER, tier: 'vm' })).toBeCloseTo(
      3 * 0.064,
      9,
    );
    expect(await sample(m, 'spillway_cost_usd_per_hour', { ...SCALER, tier: 'aci' })).toBeCloseTo(
      n * aciHour,
      9,
    );
    expect(await sample(m, 'spillway_budget_usd_per_hour', SCALER)).toBe(2);
    expect(await sample(m, 'spillway_budget_remaining_usd_per_hour', SCALER)).toBeCloseTo(2 - n * aciHour, 9);
    expect(await sample(m, 'spillway_cost_usd_total', { ...SCALER, tier: 'aci' })).toBe(0);

    // 30 s later the groups run (Ready 25 s after their create).
    const now = T0 + 30 * SECOND;
    const started = startGroups(first.after, T0 + 25 * SECOND);
    tick(m, { ...started, pods }, first.decision.state, now);
    const histogram = await m.registry.getSingleMetric('spillway_aci_create_to_running_seconds')!.get();
    const count = histogram.values.find((v) => seriesName(v).endsWith('_count'));
    const sum = histogram.values.find((v) => seriesName(v).endsWith('_sum'));
    expect(count?.value).toBe(n);
    expect(sum?.value).toBeCloseTo(25 * n, 9);
    expect(await sample(m, 'spillway_aci_groups', { ...SCALER, region: 'eastus', kind: 'Running' })).toBe(n);
    expect(await sample(m, 'spillway_aci_groups', { ...SCALER, region: 'eastus', kind: 'Pending' })).toBe(0);
    expect(await sample(m, 'spillway_ready_replicas', { ...SCALER, tier: 'aci' })).toBe(n);
    // The first tick's rates, charged for the 30 s to this one.
    expect(await sample(m, 'spillway_cost_usd_total', { ...SCALER, tier: 'aci' })).toBeCloseTo(
      (n * aciHour * 30) / 3600,
      12,
    );
    expect(await sample(m, 'spillway_cost_usd_total', { ...SCALER, tier: 'vm' })).toBeCloseTo(
      (3 * 0.064 * 30) / 3600,
      12,
    );
  });

  it('does not charge a gap longer than five minutes, nor count a start it did not watch', async () => {
    const m = createControllerMetrics();
    const pods = vmPods(3, T0);
    const running: BurstReplica = {
      name: 'g-0',
      index: 0,
      region: 'eastus',
      priority: 'Regular',
      state: 'Running',
      ready: true,
      createdAt: T0 - 10 * MINUTE,
      readyAt: T0 - 9 * MINUTE,
      templateHash: 'tpl-1',
      cpu: 1,
      memoryGiB: 4,
    };
    const snap = testSnapshot({ now: T0, queue: 40, pods, burst: [running] });
    const { decision } = tick(m, snap, emptyState(), T0);
    tick(m, snap, decision.state, T0 + 6 * MINUTE);
    expect(await sample(m, 'spillway_cost_usd_total', { ...SCALER, tier: 'aci' })).toBe(0);
    const histogram = await m.registry.getSingleMetric('spillway_aci_create_to_running_seconds')!.get();
    expect(histogram.values.filter((v) => v.value > 0)).toEqual([]);
  });

  it('counts a group that failed once, by its bounded reason and region', async () => {
    const m = createControllerMetrics();
    const failed: BurstReplica = {
      name: 'g-0',
      index: 0,
      region: 'eastus2',
      priority: 'Regular',
      state: 'Failed',
      ready: false,
      createdAt: T0 - MINUTE,
      templateHash: 'tpl-1',
      failureReason: 'ContainerExited(1)',
      cpu: 1,
      memoryGiB: 4,
    };
    const snap = testSnapshot({ now: T0, queue: 40, pods: vmPods(3, T0), burst: [failed] });
    const labels = { ...SCALER, region: 'eastus2', kind: 'replica', reason: 'ContainerExited' };
    // The decision deletes the failed group; report the delete as failed so it is listed again next tick.
    const record = (now: number) => {
      const decision = decide(snap, policy, emptyState(), now);
      m.recordDecision({
        key: KEY,
        policy,
        snapshot: snap,
        decision,
        outcomes: decision.actions.map((action) => ({ action, result: 'skipped' as const })),
        now,
      });
    };
    record(T0);
    record(T0 + 2 * SECOND);
    expect(await sample(m, 'spillway_aci_failures_total', labels)).toBe(1);
  });

  it('records failed actions, throttling and the executor’s Degraded condition', async () => {
    const m = createControllerMetrics();
    const snap = testSnapshot({
      now: T0,
      queue: 80,
      pods: [...vmPods(3, T0), ...pendingPods(5, T0 - MINUTE)],
    });
    const decision = decide(snap, policy, emptyState(), T0);
    const throttled = Object.assign(new Error('creating container group x: Retry-After'), {
      reason: 'Throttled',
      kind: 'throttled',
      source: 'azure',
      region: 'eastus',
    });
    const outcomes = decision.actions.map((action): OutcomeLike =>
      action.kind === 'CreateBurst'
        ? { action, result: 'failed', reason: 'Throttled', error: throttled }
        : { action, result: 'ok' },
    );
    const n = outcomes.filter((o) => o.result === 'failed').length;
    m.recordDecision({
      key: KEY,
      policy,
      snapshot: snap,
      decision,
      outcomes,
      degraded: { type: 'Degraded', status: 'True', reason: 'Throttled', message: 'm' },
      now: T0,
    });
    const create = { ...SCALER, region: 'eastus', kind: 'create' };
    expect(await sample(m, 'spillway_aci_failures_total', { ...create, reason: 'Throttled' })).toBe(n);
    const region = { ...SCALER, region: 'eastus' };
    expect(await sample(m, 'spillway_aci_throttled_total', { ...region, reason: 'AzureRetryAfter' })).toBe(n);
    expect(await sample(m, 'spillway_aci_throttled_total', { ...region, reason: 'LocalPacing' })).toBe(0);
    expect(await sample(m, 'spillway_aci_creates_total', { ...SCALER, region: 'eastus' })).toBe(0);
    expect(await sample(m, 'spillway_condition', { ...SCALER, kind: 'Degraded', reason: 'Throttled' })).toBe(
      1,
    );
  });

  it('follows a condition’s reason with one series per type, and drops the budget when the spec does', async () => {
    const m = createControllerMetrics();
    const decision = decide(
      testSnapshot({ now: T0, queue: 10, pods: vmPods(3, T0) }),
      policy,
      emptyState(),
      T0,
    );
    const base: DecisionRecord = {
      key: KEY,
      policy,
      snapshot: testSnapshot({ now: T0, queue: 10, pods: vmPods(3, T0) }),
      decision,
      outcomes: [],
      now: T0,
    };
    m.recordDecision(base);
    const degraded = async () =>
      (await m.registry.getSingleMetric('spillway_condition')!.get()).values
        .filter((v) => v.labels.kind === 'Degraded')
        .map((v) => `${v.labels.reason}=${v.value}`);
    expect(await degraded()).toEqual(['Healthy=0']);
    m.recordDecision({
      ...base,
      degraded: { type: 'Degraded', status: 'True', reason: 'QuotaExceeded', message: 'm' },
      now: T0 + SECOND,
    });
    expect(await degraded()).toEqual(['QuotaExceeded=1']);

    const noBudget = testPolicy();
    m.recordDecision({ ...base, policy: noBudget, now: T0 + 2 * SECOND });
    expect(await sample(m, 'spillway_budget_usd_per_hour', SCALER)).toBeUndefined();
    expect(await sample(m, 'spillway_budget_remaining_usd_per_hour', SCALER)).toBeUndefined();
  });

  it('starts counters with known labels at zero and tracks failed reads in a row', async () => {
    const m = createControllerMetrics();
    const fallbackPolicy = testPolicy({ fallback: { failureThreshold: 3, replicas: 10 } });
    let state = emptyState();
    for (let i = 0; i < 2; i++) {
      const now = T0 + i * 15 * SECOND;
      const snap = testSnapshot({ now, queue: 10, pods: vmPods(3, now), queueReadFails: true });
      const decision = decide(snap, fallbackPolicy, state, now);
      m.recordDecision({ key: KEY, policy: fallbackPolicy, snapshot: snap, decision, outcomes: [], now });
      state = decision.state;
    }
    const trigger = { ...SCALER, trigger: 'orders-queue' };
    expect(await sample(m, 'spillway_signal_consecutive_failures', trigger)).toBe(2);
    for (const reason of SIGNAL_FAILURE_REASONS)
      expect(await sample(m, 'spillway_signal_read_errors_total', { ...trigger, reason })).toBe(0);
    expect(await sample(m, 'spillway_tick_errors_total', SCALER)).toBe(0);
    for (const kind of ['CreateBurst', 'ScaleDeployment'] satisfies Action['kind'][])
      expect(await sample(m, 'spillway_action_failures_total', { ...SCALER, kind })).toBe(0);
    for (const reason of ['AzureRetryAfter', 'LocalPacing'])
      expect(await sample(m, 'spillway_aci_throttled_total', { ...SCALER, region: 'eastus2', reason })).toBe(
        0,
      );
  });

  it('removeScaler forgets the scaler: its series and what was remembered between ticks', async () => {
    const m = createControllerMetrics();
    const pods = [...vmPods(3, T0), ...pendingPods(5, T0 - MINUTE)];
    const first = tick(m, testSnapshot({ now: T0, queue: 80, pods }), emptyState(), T0);
    await m.removeScaler('shop', 'orders-worker');
    expect(await m.registry.metrics()).not.toMatch(/scaler="orders-worker"/);
    // Groups started meanwhile were not watched by this (new) memory: no create-to-running sample.
    tick(m, { ...startGroups(first.after, T0 + 25 * SECOND), pods }, first.decision.state, T0 + 30 * SECOND);
    const histogram = await m.registry.getSingleMetric('spillway_aci_create_to_running_seconds')!.get();
    expect(histogram.values.filter((v) => v.value > 0)).toEqual([]);
  });
});

describe('recordInformers', () => {
  it.each([
    {
      name: 'every informer of a kind up',
      rounds: [
        [
          { name: 'pods', listed: true, watching: true, restarts: 0 },
          { name: 'burstscalers/shop', listed: true, watching: true, restarts: 1 },
          { name: 'burstscalers/billing', listed: true, watching: true, restarts: 2 },
        ],
      ],
      up: { pods: 1, burstscalers: 1 },
      restarts: { pods: 0, burstscalers: 3 },
    },
    {
      name: 'one informer of a kind down takes the kind down',
      rounds: [
        [
          { name: 'deployments/shop', listed: true, watching: false, restarts: 4 },
          { name: 'deployments/billing', listed: true, watching: true, restarts: 0 },
          { name: 'nodes', listed: false, watching: false, restarts: 0 },
        ],
      ],
      up: { deployments: 0, nodes: 0 },
      restarts: { deployments: 4, nodes: 0 },
    },
    {
      name: 'cumulative totals become increments',
      rounds: [
        [{ name: 'pods', listed: true, watching: true, restarts: 2 }],
        [{ name: 'pods', listed: true, watching: true, restarts: 2 }],
        [{ name: 'pods', listed: true, watching: true, restarts: 5 }],
      ],
      up: { pods: 1 },
      restarts: { pods: 5 },
    },
    {
      name: 'rebuilt informers (lower total) count what they report',
      rounds: [
        [{ name: 'pods', listed: true, watching: true, restarts: 5 }],
        [{ name: 'pods', listed: true, watching: true, restarts: 1 }],
      ],
      up: { pods: 1 },
      restarts: { pods: 6 },
    },
  ])('$name', async ({ rounds, up, restarts }) => {
    const m = createControllerMetrics();
    for (const round of rounds) m.recordInformers(round);
    for (const [kind, value] of Object.entries(up))
      expect(await sample(m, 'spillway_informers_up', { kind })).toBe(value);
    for (const [kind, value] of Object.entries(restarts))
      expect(await sample(m, 'spillway_informer_restarts_total', { kind })).toBe(value);
  });
});

describe('exposition', () => {
  // promtool (Debian package prometheus) lints the text format: names, units, help, counter suffixes.
  const promtool = spawnSync('promtool', ['--version']).status === 0;
  if (!promtool) {
    const message =
      'SKIPPED: promtool check metrics: promtool is not installed (apt-get install -y prometheus)';
    if (process.env.CI) throw new Error(`${message} (CI must install it: see .ci/run)`);
    console.warn(`\n*** ${message} ***\n`);
  }

  it.skipIf(!promtool)('passes promtool check metrics after a burst', async () => {
    const m = createControllerMetrics();
    const policy = testPolicy({ budget: { maxBurstUSDPerHour: 2 } });
    const snap = testSnapshot({
      now: T0,
      queue: 80,
      pods: [...vmPods(3, T0), ...pendingPods(5, T0 - MINUTE)],
    });
    const decision = decide(snap, policy, emptyState(), T0);
    const after = applyActions(snap, decision.actions, T0);
    m.recordDecision({
      key: KEY,
      policy,
      snapshot: snap,
      decision,
      outcomes: succeeded(decision, after),
      now: T0,
    });
    m.recordInformers([{ name: 'pods', listed: true, watching: true, restarts: 0 }]);
    m.ticks.inc(SCALER);
    m.tickDuration.observe(SCALER, 0.02);
    const text = await m.registry.metrics();
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});
