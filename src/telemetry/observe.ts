/**
 * Pure readings of one tick for the metrics: what the decision did and why (as bounded reasons), what
 * each tier costs per hour, which replicas serve, and what the executor's outcomes say about ACI creates,
 * deletes, failures and throttling.
 *
 * Values in, values out: no registry, no clock. {@link createControllerMetrics} turns these into series.
 */
import { burstReplicaHourUSD, unitCosts } from '../core/cost-model.ts';
import { observeVm } from '../core/placement.ts';
import type { Action, BurstReplica, Condition, Decision, Policy, Snapshot } from '../core/types.ts';

/** Cost tiers: VM nodes and Azure Container Instances. */
export type Tier = 'vm' | 'aci';

const CAMEL = /^[A-Z][A-Za-z0-9]{0,63}$/;
const LEADING_WORD = /^[A-Za-z][A-Za-z0-9]{0,63}/;

/**
 * A label-safe machine reason: a CamelCase word as is; otherwise its leading word
 * (`ContainerExited(137)` → `ContainerExited`), so a reason never carries a number, a name or free text;
 * `Other` when there is no such word.
 */
export function boundedReason(reason: string | undefined): string {
  if (reason === undefined || reason === '') return 'Unknown';
  if (CAMEL.test(reason)) return reason;
  const word = LEADING_WORD.exec(reason)?.[0];
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : 'Other';
}

/** Why one action of a decision was taken, as a bounded kind and reason. */
export interface DecisionReason {
  kind: Action['kind'];
  reason: string;
}

const CREATE_EVENTS = ['RollingACI', 'BridgingOnACI', 'SpillingToACI'];

/**
 * The kind and machine reason of every action that changes the world or tells people something
 * (status patches are left out: every tick writes one):
 *
 * | kind | reasons |
 * |---|---|
 * | ScaleDeployment | ScaleUp, ScaleDown |
 * | CreateBurst | SpillingToACI, BridgingOnACI, RollingACI (the decision's own event reason) |
 * | DrainBurst | ScaleIn, RollingACI (old pod template), TargetNotFound |
 * | ResumeBurst | ScaleUp (a draining group serves again instead of a new one) |
 * | DeleteBurst | Drained, ReplicaFailed, ReplicaStopped, NotStarted, TargetNotFound |
 * | SetPodDeletionCost | ScaleIn |
 * | Emit | the event's reason (ScaledDeployment, ACIReplicaFailed, BudgetExhausted, …) |
 */
export function decisionReasons(decision: Decision, snapshot: Snapshot): DecisionReason[] {
  const groups = new Map(snapshot.burst.map((g) => [g.name, g]));
  const createEvent = decision.actions.find(
    (a): a is Extract<Action, { kind: 'Emit' }> => a.kind === 'Emit' && CREATE_EVENTS.includes(a.reason),
  )?.reason;
  const target = snapshot.target;
  const out: DecisionReason[] = [];
  for (const action of decision.actions) {
    switch (action.kind) {
      case 'ScaleDeployment':
        out.push({
          kind: action.kind,
          reason: action.replicas >= (target?.replicas ?? 0) ? 'ScaleUp' : 'ScaleDown',
        });
        break;
      case 'CreateBurst':
        out.push({
          kind: action.kind,
          reason: createEvent ?? (decision.mode === 'bridge' ? 'BridgingOnACI' : 'SpillingToACI'),
        });
        break;
      case 'DrainBurst': {
        const group = groups.get(action.name);
        const reason = !target
          ? 'TargetNotFound'
          : group && group.templateHash !== target.templateHash
            ? 'RollingACI'
            : 'ScaleIn';
        out.push({ kind: action.kind, reason });
        break;
      }
      case 'DeleteBurst': {
        const group = groups.get(action.name);
        const reason =
          group?.state === 'Failed'
            ? 'ReplicaFailed'
            : group?.state === 'Stopped'
              ? 'ReplicaStopped'
              : group?.drainingSince !== undefined
                ? 'Drained'
                : !target
                  ? 'TargetNotFound'
                  : group?.state === 'Pending'
                    ? 'NotStarted'
                    : 'ScaleIn';
        out.push({ kind: action.kind, reason });
        break;
      }
      case 'ResumeBurst':
        out.push({ kind: action.kind, reason: 'ScaleUp' });
        break;
      case 'SetPodDeletionCost':
        out.push({ kind: action.kind, reason: 'ScaleIn' });
        break;
      case 'Emit':
        out.push({ kind: action.kind, reason: boundedReason(action.reason) });
        break;
      case 'PatchStatus':
        break;
    }
  }
  return out;
}

/** Groups that bill: everything not failed or stopped (ACI bills from the image pull until the group stops). */
export function isBilling(group: BurstReplica): boolean {
  return group.state !== 'Failed' && group.state !== 'Stopped';
}

/** Estimated spend rate per tier, USD per hour. */
export interface CostRates {
  vm: number;
  aci: number;
  /** The VM replica-hour used for `vm` (node price after discount ÷ replicas per node). */
  vmReplicaHourUSD: number;
}

/**
 * What the scaler's replicas cost per hour, as the decision core prices them (src/core/cost-model.ts):
 * VM = target pods on nodes × (node price × (1 − discount) ÷ replicas that fit per node) — the share of
 * the nodes these replicas occupy, not what the node pool bills; ACI = the sum over billing groups of
 * their billed vCPU and GB at the per-second prices (× the Spot ratio on Spot), × 3600.
 */
export function costRates(
  snapshot: Snapshot,
  policy: Policy,
  burst: readonly BurstReplica[],
  now: number,
): CostRates {
  const unit = unitCosts({
    requests: snapshot.requests,
    prices: snapshot.prices,
    vm: policy.cost.vm,
    priority: policy.burst.aci.priority,
    observedSlotsPerNode: snapshot.vm.slotsPerNode,
  });
  const scheduled = observeVm(snapshot, policy, now).scheduled;
  const vmReplicaHourUSD = Number.isFinite(unit.vmReplicaHourUSD) ? unit.vmReplicaHourUSD : 0;
  const aci = burst.filter(isBilling).reduce((sum, g) => sum + burstReplicaHourUSD(g, snapshot.prices), 0);
  return { vm: scheduled * vmReplicaHourUSD, aci, vmReplicaHourUSD };
}

/** Replicas serving now: VM pods that are Ready on a node, ACI groups Running, Ready and not draining. */
export function readyReplicas(snapshot: Snapshot, burst: readonly BurstReplica[]): Record<Tier, number> {
  return {
    vm: snapshot.pods.filter((p) => p.ready && !p.deleting && p.nodeName !== undefined).length,
    aci: burst.filter((g) => g.ready && g.state === 'Running' && g.drainingSince === undefined).length,
  };
}

/** The lifecycle state of a group for `spillway_aci_groups`: its state, or Draining once a drain started. */
export function groupState(group: BurstReplica): string {
  return group.drainingSince !== undefined && isBilling(group) ? 'Draining' : group.state;
}

/** ACI groups per region and lifecycle state. */
export function groupsByRegionAndState(burst: readonly BurstReplica[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const group of burst) {
    const key = `${group.region || 'unknown'}\n${groupState(group)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** One executed action as the executor reports it (src/controller/executor.ts ActionOutcome). */
export interface OutcomeLike {
  action: Action;
  result: 'ok' | 'skipped' | 'failed';
  replica?: BurstReplica;
  reason?: string;
  error?: Error;
}

/** What ACI did in one tick, read from the executor's outcomes. */
export interface AciEvents {
  creates: { region: string; failover: boolean }[];
  deletes: { region: string; drainedSeconds?: number }[];
  failures: { kind: 'create' | 'delete' | 'drain'; region: string; reason: string }[];
  throttles: {
    kind: 'create' | 'delete' | 'drain';
    region: string;
    reason: 'AzureRetryAfter' | 'LocalPacing';
  }[];
}

const OPERATION: Partial<Record<Action['kind'], 'create' | 'delete' | 'drain'>> = {
  CreateBurst: 'create',
  DeleteBurst: 'delete',
  DrainBurst: 'drain',
};

interface ErrorFields {
  reason?: unknown;
  kind?: unknown;
  region?: unknown;
  source?: unknown;
  attempts?: unknown;
}

function fieldsOf(error: unknown): ErrorFields {
  return typeof error === 'object' && error !== null ? error : {};
}

function isThrottle(fields: ErrorFields, reason: string | undefined): boolean {
  return fields.kind === 'throttled' || fields.reason === 'Throttled' || reason === 'Throttled';
}

function throttleReason(fields: ErrorFields): 'AzureRetryAfter' | 'LocalPacing' {
  return fields.source === 'local' ? 'LocalPacing' : 'AzureRetryAfter';
}

/**
 * Creates (with the region they landed in, and whether that was a failover from the preferred one),
 * deletes (with how long the group drained), failures and throttling by region and reason. A create that
 * failed in every region counts one failure per region tried (the provider's `attempts`), so failures
 * by region show where quota or capacity ran out. Errors are read by shape (`reason`, `region`, `kind`,
 * `source`, `attempts`), as the burst provider's typed errors carry them, never by class.
 */
export function aciEvents(
  outcomes: readonly OutcomeLike[],
  before: readonly BurstReplica[],
  now: number,
): AciEvents {
  const groups = new Map(before.map((g) => [g.name, g]));
  const events: AciEvents = { creates: [], deletes: [], failures: [], throttles: [] };
  for (const outcome of outcomes) {
    const { action } = outcome;
    const kind = OPERATION[action.kind];
    if (kind === undefined) continue;
    const known = 'name' in action ? groups.get(action.name) : undefined;
    if (outcome.result === 'ok') {
      if (action.kind === 'CreateBurst' && outcome.replica) {
        const region = outcome.replica.region || 'unknown';
        events.creates.push({ region, failover: region !== (action.regions[0] ?? region) });
      } else if (action.kind === 'DeleteBurst' && known) {
        events.deletes.push({
          region: known.region || 'unknown',
          ...(known.drainingSince !== undefined
            ? { drainedSeconds: Math.max(0, (now - known.drainingSince) / 1000) }
            : {}),
        });
      }
      continue;
    }
    if (outcome.result !== 'failed') continue;
    const fields = fieldsOf(outcome.error);
    const fallbackRegion =
      (typeof fields.region === 'string' && fields.region) ||
      known?.region ||
      (action.kind === 'CreateBurst' ? action.regions[0] : undefined) ||
      'unknown';
    const attempts = Array.isArray(fields.attempts) ? (fields.attempts as unknown[]) : [];
    if (kind === 'create' && attempts.length > 0) {
      for (const attempt of attempts) {
        const { region, error } = (attempt ?? {}) as { region?: unknown; error?: unknown };
        const at = typeof region === 'string' && region ? region : fallbackRegion;
        const attemptFields = fieldsOf(error);
        const reason = boundedReason(
          typeof attemptFields.reason === 'string' ? attemptFields.reason : undefined,
        );
        events.failures.push({ kind, region: at, reason });
        if (isThrottle(attemptFields, reason))
          events.throttles.push({ kind, region: at, reason: throttleReason(attemptFields) });
      }
      continue;
    }
    const reason = boundedReason(outcome.reason);
    events.failures.push({ kind, region: fallbackRegion, reason });
    if (isThrottle(fields, outcome.reason))
      events.throttles.push({ kind, region: fallbackRegion, reason: throttleReason(fields) });
  }
  return events;
}

/** Conditions as status reports them: the decision's, with the executor's Degraded (failed actions) on top. */
export function effectiveConditions(decision: Decision, degraded: Condition | undefined): Condition[] {
  if (!degraded) return decision.conditions;
  return [...decision.conditions.filter((c) => c.type !== degraded.type), degraded];
}
