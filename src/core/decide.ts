/**
 * The whole decision for one BurstScaler and one tick: recommend (HPA-compatible) → place (cost model and
 * forecast) → plan (actions as data) → status and events. Pure and deterministic: time is `now`, history
 * comes in `state` and goes out, updated, in the decision.
 */
import { burstReplicaHourUSD, duration, unitCosts, usd } from './cost-model.ts';
import type { UnitCosts } from './cost-model.ts';
import {
  forecastMemory,
  forecastRemainingBurst,
  levelAgeSeconds,
  recordDemand,
  trackBurst,
  trackLevels,
} from './forecast.ts';
import { burstCapacity, isLiveBurst, isResumable, observeVm, place, releasedSlotsHeld } from './placement.ts';
import type { Placement } from './placement.ts';
import { assessFailures, planBursts, podDeletionCosts } from './plan.ts';
import type { BurstPlan, FailureAssessment } from './plan.ts';
import { recommend } from './recommend.ts';
import { measuredAciStart, serviceLevelMetrics } from './service-level.ts';
import { condition, conditionEvents, rememberConditions, sortConditions } from './status.ts';
import type {
  Action,
  Condition,
  DecideFn,
  Decision,
  MetricInput,
  Policy,
  Recommendation,
  RecommendInput,
  ScalerState,
  ScalerStatus,
  Snapshot,
} from './types.ts';

/**
 * Below this share of the provider's create budget left (its tightest pacing window, summed over the
 * policy's regions), creates are scarce: drained ACI replicas are kept, resumable, for
 * {@link SCARCE_GRACE_FACTOR} grace periods instead of one.
 */
export const CREATE_BUDGET_SCARCE_SHARE = 0.25;
/** How many grace periods a drained replica is kept while creates are scarce. */
export const SCARCE_GRACE_FACTOR = 3;

/** Share of the create budget left over the policy's regions, when the provider reports it. */
export function createBudgetShare(
  snapshot: Snapshot,
  policy: Policy,
): { share: number; available: number; capacity: number; complete: boolean } | undefined {
  const regions = policy.burst.aci.regions;
  const budgets = (snapshot.createBudget ?? []).filter((b) => regions.includes(b.region));
  const capacity = budgets.reduce((sum, b) => sum + b.capacity, 0);
  if (budgets.length === 0 || !(capacity > 0)) return undefined;
  const available = budgets.reduce((sum, b) => sum + Math.max(0, b.available), 0);
  // Complete when every region of the policy reports a budget: only then is `available` all there is.
  const complete = regions.every((r) => budgets.some((b) => b.region === r));
  return { share: available / capacity, available, capacity, complete };
}

/** After the target has been missing this long, its ACI groups are drained so they stop billing. */
export const TARGET_MISSING_DRAIN_SECONDS = 300;

type Emit = Extract<Action, { kind: 'Emit' }>;

/**
 * Builds the HPA metrics from the triggers and this tick's readings: queue, stream and query triggers are
 * External metrics; cpu/memory are Resource metrics with per-pod usage (from the reading, else from the pods'
 * metrics.k8s.io usage) and the template's request. Cron triggers are floors, evaluated outside the core.
 */
export function metricInputs(
  snapshot: Snapshot,
  policy: Policy,
): { metrics: MetricInput[]; lines: string[] } {
  const metrics: MetricInput[] = [];
  const lines: string[] = [];
  for (const trigger of policy.triggers) {
    if (trigger.type === 'cron') continue;
    const reading = snapshot.signals.find((s) => s.trigger === trigger.name);
    if (trigger.type === 'cpu' || trigger.type === 'memory') {
      const resource = trigger.type;
      let perPod: Record<string, number> | undefined;
      if (reading?.ok) {
        perPod = reading.perPod;
        if (perPod === undefined) {
          const fromPods: Record<string, number> = {};
          for (const pod of snapshot.pods) {
            const usage = resource === 'cpu' ? pod.usage?.cpu : pod.usage?.memoryGiB;
            if (usage !== undefined) fromPods[pod.name] = usage;
          }
          perPod = fromPods;
        }
      }
      metrics.push({
        kind: 'Resource',
        name: trigger.name,
        resource,
        target: trigger.target,
        ...(perPod ? { perPod } : {}),
        request: resource === 'cpu' ? snapshot.requests.cpu : snapshot.requests.memoryGiB,
      });
      continue;
    }
    const target = trigger.target;
    if (target.type === 'Utilization') {
      lines.push(`${trigger.name}: a ${trigger.type} trigger cannot use a Utilization target; ignored.`);
      continue;
    }
    metrics.push({
      kind: 'External',
      name: trigger.name,
      target,
      ...(reading?.ok ? { value: reading.value } : {}),
    });
  }
  return { metrics, lines };
}

function describeTarget(policy: Policy): string {
  return `${policy.targetRef.kind} ${policy.key.namespace}/${policy.targetRef.name}`;
}

function unscheduledPods(snapshot: Snapshot): number {
  return snapshot.pods.filter(
    (p) => !p.deleting && p.nodeName === undefined && (p.phase === 'Pending' || p.phase === 'Unknown'),
  ).length;
}

/** USD/h now: VM pods at the full-node VM replica-hour, plus every billing ACI group at its own rate. */
function costPerHour(snapshot: Snapshot, vmPods: number, unit: UnitCosts | undefined): number {
  const vmCost = unit && Number.isFinite(unit.vmReplicaHourUSD) ? vmPods * unit.vmReplicaHourUSD : 0;
  const aci = snapshot.burst
    .filter((g) => g.state !== 'Failed' && g.state !== 'Stopped')
    .reduce((sum, g) => sum + burstReplicaHourUSD(g, snapshot.prices), 0);
  return Number((vmCost + aci).toFixed(6));
}

/** The decision when the target workload does not exist: status only, and after a while drain ACI. */
function targetMissing(snapshot: Snapshot, policy: Policy, state: ScalerState, now: number): Decision {
  const since = state.targetMissingSince ?? now;
  const missingFor = (now - since) / 1000;
  const actions: Action[] = [];
  const drainNow = missingFor >= TARGET_MISSING_DRAIN_SECONDS;
  for (const group of snapshot.burst) {
    const failed = group.state === 'Failed' || group.state === 'Stopped';
    if (group.drainingSince !== undefined || failed) {
      if (failed || (now - (group.drainingSince ?? now)) / 1000 >= policy.burst.drain.gracePeriodSeconds) {
        actions.push({
          kind: 'DeleteBurst',
          name: group.name,
          reason: `${describeTarget(policy)} not found and ${group.name} is ${failed ? 'failed' : 'drained'}`,
        });
      }
    } else if (drainNow) {
      actions.push({
        kind: 'DrainBurst',
        name: group.name,
        reason: `${describeTarget(policy)} has been missing for ${duration(missingFor)}: its ACI replicas stop billing`,
      });
    }
  }
  const live = snapshot.burst.filter(isLiveBurst).length;
  const message =
    `${describeTarget(policy)} not found: create it or fix spec.targetRef. Nothing is scaled` +
    (live > 0
      ? drainNow
        ? `; its ${live} ACI replica(s) are being drained.`
        : `; its ${live} ACI replica(s) are drained if it is still missing after ${duration(TARGET_MISSING_DRAIN_SECONDS)}.`
      : '.');
  const conditions = sortConditions([
    condition('Ready', 'False', 'TargetNotFound', message),
    condition('Active', 'False', 'TargetNotFound', 'No target workload to scale.'),
    condition('Bursting', 'False', 'TargetNotFound', 'No target workload to scale.'),
  ]);
  const events: Emit[] = conditionEvents(state.conditions, conditions);
  const drains = actions.filter((a) => a.kind === 'DrainBurst').length;
  if (drains > 0)
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'DrainingACI',
      message: `Draining ${drains} ACI replica(s): ${message}`,
    });
  const status: ScalerStatus = {
    observedGeneration: policy.generation,
    desiredReplicas: 0,
    vmReplicas: 0,
    aciReplicas: live,
    pendingReplicas: 0,
    mode: 'none',
    costUSDPerHour: costPerHour(snapshot, 0, undefined),
    lastDecision: {
      at: new Date(now).toISOString(),
      summary: 'target not found',
      reasons: [message],
      cost: [],
    },
    conditions,
  };
  return {
    desiredReplicas: 0,
    vmReplicas: 0,
    aciReplicas: 0,
    mode: 'none',
    actions: [...actions, ...events, { kind: 'PatchStatus', status, reason: 'target not found' }],
    reasons: [message],
    conditions,
    explanation: { recommendation: [message], placement: [], cost: [] },
    state: {
      ...state,
      mode: 'none',
      targetMissingSince: since,
      conditions: rememberConditions(conditions),
    },
  };
}

interface ConditionFacts {
  policy: Policy;
  snapshot: Snapshot;
  rec: Recommendation;
  placement: Placement;
  plan: BurstPlan;
  failures: FailureAssessment;
  unit: UnitCosts;
  spendUSDPerHour: number;
  liveBurst: number;
}

function buildConditions(f: ConditionFacts): Condition[] {
  const { policy, snapshot, rec, placement } = f;
  const D = placement.desired;
  const conditions: Condition[] = [];
  conditions.push(
    condition('Ready', 'True', 'TargetFound', `Scaling ${describeTarget(policy)}: ${D} replicas desired.`),
  );
  conditions.push(
    D > policy.minReplicas
      ? condition(
          'Active',
          'True',
          'AboveMinimum',
          `Demand needs ${D} replicas, above minReplicas ${policy.minReplicas}.`,
        )
      : condition(
          'Active',
          'False',
          'AtMinimum',
          `Demand needs no more than minReplicas (${policy.minReplicas}).`,
        ),
  );
  if (placement.aciTarget > 0) {
    conditions.push(
      condition(
        'Bursting',
        'True',
        placement.mode === 'bridge' ? 'Bridging' : 'Spilling',
        placement.mode === 'bridge'
          ? `${placement.aciTarget} replicas on ACI while VM capacity arrives (${placement.newNodes} new node(s) expected).`
          : `${placement.aciTarget} replicas on ACI; the Deployment is capped at ${placement.deploymentReplicas} on VM nodes.`,
      ),
    );
  } else if (f.liveBurst > 0) {
    conditions.push(
      condition(
        'Bursting',
        'True',
        'Draining',
        `${f.liveBurst} ACI replicas are being handed back to VM nodes.`,
      ),
    );
  } else {
    conditions.push(condition('Bursting', 'False', 'NoOverflow', 'All replicas run on VM nodes.'));
  }

  const degraded: { reason: string; message: string }[] = [];
  if (f.failures.blocked)
    degraded.push({ reason: f.failures.blocked.reason, message: f.failures.blocked.message });
  const quota = placement.limitedBy.find((l) => l.kind === 'quota');
  if (quota) {
    degraded.push({
      reason: 'QuotaExhausted',
      message:
        `${quota.message}; ${placement.aciWanted} ACI replicas wanted. Request a higher ACI core quota or add a ` +
        `region to spec.burst.aci.regions.`,
    });
  }
  const failedNow = snapshot.burst.filter(
    (g) => (g.state === 'Failed' || g.state === 'Stopped') && g.name !== f.failures.marker?.name,
  );
  if (failedNow.length > 0) {
    degraded.push({
      reason: 'ReplacingFailedReplicas',
      message: `${failedNow.length} ACI replica(s) failed (${failedNow.map((g) => `${g.name}: ${g.failureReason ?? g.state}`).join(', ')}); deleting and replacing them.`,
    });
  }
  const shortfall = placement.aciWanted - placement.aciTarget;
  const maxBurst = placement.limitedBy.find((l) => l.kind === 'maxBurstReplicas');
  if (maxBurst && shortfall > 0) {
    degraded.push({
      reason: 'MaxBurstReached',
      message: `${placement.aciWanted} ACI replicas wanted but ${maxBurst.message}; the rest stay Pending in the Deployment for new VMs. Raise spec.burst.maxBurstReplicas to burst further.`,
    });
  }
  const first = degraded[0];
  conditions.push(
    first
      ? condition('Degraded', 'True', first.reason, degraded.map((d) => d.message).join(' '))
      : condition('Degraded', 'False', 'Healthy', 'ACI replicas are healthy and within limits.'),
  );

  const max = policy.cost.budget.maxBurstUSDPerHour;
  const budget = placement.limitedBy.find((l) => l.kind === 'budget');
  if (max === undefined) {
    conditions.push(
      condition(
        'BudgetExhausted',
        'False',
        'NoBudget',
        'No ACI budget set (spec.cost.budget.maxBurstUSDPerHour).',
      ),
    );
  } else if (budget) {
    const wantedNew = Math.max(0, placement.aciWanted - f.liveBurst);
    const needed = f.spendUSDPerHour + wantedNew * f.unit.aciReplicaHourUSD;
    conditions.push(
      condition(
        'BudgetExhausted',
        'True',
        'BudgetExhausted',
        `${placement.aciWanted} ACI replicas wanted, ${f.liveBurst} running: ${budget.message}. ` +
          `Raise spec.cost.budget.maxBurstUSDPerHour to at least ${usd(needed, 2)}/h to serve them on ACI; ` +
          `until then they stay Pending in the Deployment for new VMs.`,
      ),
    );
  } else {
    conditions.push(
      condition(
        'BudgetExhausted',
        'False',
        'WithinBudget',
        `ACI spend ${usd(f.spendUSDPerHour, 2)}/h of ${usd(max, 2)}/h.`,
      ),
    );
  }

  conditions.push(
    snapshot.burstable.ok
      ? condition('Burstable', 'True', 'Burstable', 'The pod template can run on ACI.')
      : condition(
          'Burstable',
          'False',
          'NotBurstable',
          `The pod template cannot run on ACI (${snapshot.burstable.reasons.join('; ')}); replicas run on VM nodes only. ` +
            `Change those fields of the pod template to allow bursting.`,
        ),
  );

  if (rec.fallbackActive) {
    conditions.push(
      condition(
        'Fallback',
        'True',
        'FallbackActive',
        `Trigger(s) ${rec.invalidMetrics.join(', ')} failed ${policy.fallback?.failureThreshold ?? ''} reads in a row; ` +
          `holding at least ${policy.fallback?.replicas ?? 0} replicas (spec.fallback) and never scaling in on missing data.`,
      ),
    );
  } else if (rec.invalidMetrics.length > 0) {
    conditions.push(
      condition(
        'Fallback',
        'False',
        'MetricsFailing',
        `Trigger(s) ${rec.invalidMetrics.join(', ')} could not be read; scaling up on the others, never down.`,
      ),
    );
  } else {
    conditions.push(condition('Fallback', 'False', 'MetricsAvailable', 'All triggers were read.'));
  }
  return sortConditions(conditions);
}

/** Events for what this tick does: scale, spill/bridge, drain, failures, mode change. */
function actionEvents(
  policy: Policy,
  snapshot: Snapshot,
  placement: Placement,
  plan: BurstPlan,
  failures: FailureAssessment,
  scale: Extract<Action, { kind: 'ScaleDeployment' }> | undefined,
  previousMode: ScalerState['mode'],
): Emit[] {
  const events: Emit[] = [];
  if (scale && snapshot.target) {
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'ScaledDeployment',
      message: `Scaled ${describeTarget(policy)} from ${snapshot.target.replicas} to ${scale.replicas}: ${scale.reason}.`,
    });
  }
  if (plan.creates.length > 0) {
    const names = plan.creates.map((c) => c.name).join(', ');
    const reason = plan.rolling
      ? 'RollingACI'
      : placement.mode === 'bridge'
        ? 'BridgingOnACI'
        : 'SpillingToACI';
    const why = plan.rolling
      ? `pod template changed to ${snapshot.target?.templateHash ?? ''}`
      : placement.mode === 'bridge'
        ? `covering ${placement.aciTarget} replicas until VM capacity is Ready`
        : `${placement.spilledOnAci} replicas beyond VM capacity run on ACI`;
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason,
      message: `Creating ${plan.creates.length} ACI replica(s) (${names}): ${why}.`,
    });
  }
  if (plan.drains.length > 0) {
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'DrainingACI',
      message:
        `Draining ${plan.drains.length} ACI replica(s) (${plan.drains.map((d) => d.name).join(', ')}): ` +
        (plan.rolling ? 'replaced by the new pod template.' : `${placement.aciKeep} needed on ACI.`),
    });
  }
  if (plan.resumes.length > 0) {
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'ResumedACI',
      message:
        `Resuming ${plan.resumes.length} draining ACI replica(s) (${plan.resumes.map((r) => r.name).join(', ')}): ` +
        `${placement.aciTarget} needed on ACI again, and they still run.`,
    });
  }
  if (plan.drainedDeleted.length > 0) {
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'DeletedACI',
      message: `Deleting ${plan.drainedDeleted.length} drained ACI replica(s): ${plan.drainedDeleted.join(', ')}.`,
    });
  }
  for (const group of failures.newlyFailed) {
    const marker = failures.marker?.name === group.name;
    events.push({
      kind: 'Emit',
      type: 'Warning',
      reason: 'ACIReplicaFailed',
      message:
        `ACI replica ${group.name} in ${group.region} ${group.state === 'Stopped' ? 'stopped' : 'failed'}: ` +
        `${group.failureReason ?? group.state}; ` +
        (marker ? 'not replaced (the failure repeats for this template).' : 'deleting and replacing it.'),
    });
  }
  const before = previousMode ?? 'none';
  if (before !== placement.mode) {
    events.push({
      kind: 'Emit',
      type: 'Normal',
      reason: 'PlacementChanged',
      message:
        `Placement ${before} → ${placement.mode}: ` +
        (placement.mode === 'none'
          ? 'all replicas fit on VM nodes.'
          : placement.mode === 'bridge'
            ? `bridging ${placement.aciTarget} replicas on ACI while VM nodes are added.`
            : `spilling ${placement.spilledOnAci} replicas to ACI; a new VM would not pay back for this burst.`),
    });
  }
  return events;
}

/**
 * Decides one tick for one BurstScaler. See docs/adr/0001-placement-bridge-or-spill.md and
 * docs/cost-model.md for the rules; `explanation` shows the arithmetic.
 *
 * Action order is the order to execute in: pod deletion costs (before any scale-in), failed/drained group
 * deletes, resumed drains, creates, the Deployment scale, drains, events, and the status patch last.
 *
 * @throws RecommendInputError (from recommend) when the policy is malformed; nothing is changed then.
 */
export const decide: DecideFn = (snapshot, policy, state, now) => {
  const target = snapshot.target;
  if (!target) return targetMissing(snapshot, policy, state, now);

  // 1. Recommend the total.
  const { metrics, lines: metricLines } = metricInputs(snapshot, policy);
  const live = snapshot.burst.filter(isLiveBurst);
  const unscheduled = unscheduledPods(snapshot);
  const current = state.lastDesired ?? target.replicas + Math.max(0, live.length - unscheduled);
  const recInput: RecommendInput = {
    now,
    currentReplicas: current,
    pods: snapshot.pods,
    metrics,
    minReplicas: policy.minReplicas,
    maxReplicas: policy.maxReplicas,
    behavior: policy.behavior,
    floors: snapshot.floors,
    ...(policy.fallback ? { fallback: policy.fallback } : {}),
    state: {
      recommendations: state.recommendations,
      scaleEvents: state.scaleEvents,
      failures: state.failures,
    },
  };
  const rec = recommend(recInput);
  const D = Math.min(rec.replicas, policy.maxReplicas);
  // The ACI tier's own, shorter scale-down window (spec.burst.drain.scaleDownStabilizationSeconds): the same
  // recommendation with only that window changed; its state is not kept (the HPA's is).
  const downWindow = policy.behavior.scaleDown.stabilizationWindowSeconds;
  const aciWindow = Math.min(policy.burst.drain.scaleDownStabilizationSeconds, downWindow);
  // While creates are scarce (less than a quarter of the provider's pacing window left), drained replicas
  // stay resumable for longer: deleting them now would spend on re-creates what a surge will need.
  const creates = createBudgetShare(snapshot, policy);
  const createsScarce = creates !== undefined && creates.share < CREATE_BUDGET_SCARCE_SHARE;
  const graceSeconds = policy.burst.drain.gracePeriodSeconds * (createsScarce ? SCARCE_GRACE_FACTOR : 1);
  // Under spec.burst.serviceLevel the ACI tier is also sized by the wait a message may have (raised queue
  // targets), with its own recommendation history, since the HPA's holds proposals at the triggers' targets.
  // ACI runs the smaller of that and the ACI-window count, so the field never runs more than without it.
  const serviceLevel = serviceLevelMetrics(
    metrics,
    policy,
    snapshot.burst,
    now,
    state.aciStart,
    target.templateHash,
  );
  const aciBehavior = {
    ...policy.behavior,
    scaleDown: { ...policy.behavior.scaleDown, stabilizationWindowSeconds: aciWindow },
  };
  const windowRec =
    aciWindow < downWindow && rec.proposed < D
      ? recommend({ ...recInput, behavior: aciBehavior })
      : undefined;
  const levelRec = serviceLevel
    ? recommend({
        ...recInput,
        metrics: serviceLevel.metrics,
        behavior: aciBehavior,
        state: { ...recInput.state, recommendations: state.aciRecommendations ?? [] },
      })
    : undefined;
  const levelDesired = serviceLevel?.raised && levelRec ? levelRec.replicas : D;
  const windowDesired = windowRec ? windowRec.replicas : D;
  const aciDesired = Math.min(D, levelDesired, windowDesired);
  const aciDesiredBy = levelDesired < D && levelDesired <= windowDesired ? 'serviceLevel' : 'window';

  // 2. What VMs serve, what a replica costs, what has failed.
  const unit = unitCosts({
    requests: snapshot.requests,
    prices: snapshot.prices,
    vm: policy.cost.vm,
    priority: policy.burst.aci.priority,
    observedSlotsPerNode: snapshot.vm.slotsPerNode,
  });
  // Held slots make room for ACI replicas only; a template that cannot run on ACI uses every free slot.
  const held = snapshot.burstable.ok
    ? releasedSlotsHeld(state.vmReleased, Math.max(0, snapshot.vm.freeSlots), unit, policy, now)
    : 0;
  const vm = observeVm(snapshot, policy, now, held);
  const failures = assessFailures(snapshot.burst, target.templateHash, state.burstFailures ?? [], now);

  // 3. Burst tracking and the forecast of its remaining duration.
  const demand = recordDemand(state.demand, now, D);
  // Without a level history (first tick, or state from before it existed) every level dates from the burst.
  const demandLevels = trackLevels(
    state.demandLevels ?? [{ upTo: D, since: state.burstStartedAt ?? now }],
    D,
    now,
  );
  const tracking = trackBurst(
    {
      ...(state.burstStartedAt !== undefined ? { burstStartedAt: state.burstStartedAt } : {}),
      ...(state.burstBaseline !== undefined ? { burstBaseline: state.burstBaseline } : {}),
      burstHistory: state.burstHistory ?? [],
    },
    D,
    vm.capacityTotal,
    now,
    policy.cost.vm.minNodeLifetimeSeconds,
  );
  const forecast = forecastRemainingBurst({
    now,
    demand,
    ...(tracking.burstStartedAt !== undefined ? { burstStartedAt: tracking.burstStartedAt } : {}),
    current: D,
    capacity: vm.capacityTotal,
    history: tracking.burstHistory,
    floorSeconds: policy.cost.aci.startSeconds,
  });

  // 4. Place.
  const burstable = snapshot.burstable.ok;
  const capacity = burstCapacity(snapshot, policy, unit, now, failures.blocked, graceSeconds);
  const placement = place({
    desired: D,
    aciDesired,
    aciDesiredBy,
    vm,
    unit,
    forecast,
    policy,
    burstable,
    liveBurst: live.length,
    levelAgeSeconds: (level) => levelAgeSeconds(demandLevels, level, now),
    resumableBurst: failures.blocked
      ? 0
      : snapshot.burst.filter((g) => isResumable(g, target.templateHash)).length,
    capacity,
    ...(state.mode ? { previousMode: state.mode } : {}),
  });

  // 5. Plan.
  const plan = planBursts({
    key: policy.key,
    now,
    groups: snapshot.burst,
    templateHash: target.templateHash,
    target: placement.aciTarget,
    keep: placement.aciKeep,
    maxBurstReplicas: policy.burst.maxBurstReplicas,
    newAllowed: capacity.newAllowed,
    ...(creates?.complete ? { createsAvailable: Math.floor(creates.available) } : {}),
    allowCreate: burstable,
    failures,
    maxSurge: target.maxSurge,
    maxUnavailable: target.maxUnavailable,
    regions: policy.burst.aci.regions,
    priority: policy.burst.aci.priority,
    gracePeriodSeconds: graceSeconds,
    minBurstLifetimeSeconds: policy.burst.drain.minBurstLifetimeSeconds,
  });
  let scale: Extract<Action, { kind: 'ScaleDeployment' }> | undefined;
  const costs: Action[] = [];
  // Slots emptied by a scale-in: still held from earlier (and still free), plus any this tick empties.
  let vmReleased = held > 0 && state.vmReleased ? { slots: held, at: state.vmReleased.at } : undefined;
  if (target.replicas !== placement.deploymentReplicas) {
    const D2 = placement.deploymentReplicas;
    scale = {
      kind: 'ScaleDeployment',
      replicas: D2,
      reason:
        D2 === D
          ? `${D} replicas desired` +
            (placement.mode === 'bridge'
              ? `, ${placement.need} pending for VMs and covered on ACI meanwhile`
              : '')
          : `${D} replicas desired, ${D2} in the Deployment` +
            (placement.spilledOnAci > 0 ? `, ${placement.spilledOnAci} on ACI only (spill)` : '') +
            (placement.notRun > 0 ? `, ${placement.notRun} run nowhere (not needed on ACI, VM full)` : ''),
    };
    const runningRemoved = target.replicas - D2 - unscheduled;
    if (runningRemoved > 0) {
      costs.push(
        ...podDeletionCosts(snapshot.pods, `scaling ${describeTarget(policy)} in by ${target.replicas - D2}`),
      );
      if (unit.vmReplicaHourUSD > unit.aciReplicaHourUSD)
        vmReleased = { slots: (vmReleased?.slots ?? 0) + runningRemoved, at: now };
    }
  }

  // 6. Conditions, status, events.
  const conditions = buildConditions({
    policy,
    snapshot,
    rec,
    placement,
    plan,
    failures,
    unit,
    spendUSDPerHour: capacity.spendUSDPerHour,
    liveBurst: live.length,
  });
  const events = [
    ...actionEvents(policy, snapshot, placement, plan, failures, scale, state.mode),
    ...conditionEvents(state.conditions, conditions),
  ];
  const onVm = D - placement.aciTarget - placement.notRun;
  const summary =
    `desired ${D}: ${onVm} on VM, ${placement.aciTarget} on ACI (${placement.mode})` +
    (placement.deploymentReplicas !== D ? `, Deployment ${placement.deploymentReplicas}` : '') +
    (placement.notRun > 0
      ? aciDesiredBy === 'serviceLevel'
        ? `; ${placement.notRun} not run (VM full, and the service level needs fewer on ACI than the triggers' targets)`
        : `; ${placement.notRun} held only by the HPA's scale-down window not run (VM full, ACI's window shorter)`
      : '');
  const scarceLine =
    createsScarce && creates
      ? `ACI creates are scarce: ${creates.available} of ${creates.capacity} left in the provider's pacing ` +
        `window (ACI allows 100 per 5 min and 300 per hour per region); drained replicas are kept, resumable, ` +
        `for ${graceSeconds} s instead of ${policy.burst.drain.gracePeriodSeconds} s, so a surge still finds creates.`
      : '';
  const serviceLine = serviceLevel?.line ?? '';
  const reasons = [
    ...rec.reasons,
    ...metricLines,
    serviceLine,
    placement.summary,
    scarceLine,
    ...plan.lines,
  ].filter((r) => r !== '');
  const status: ScalerStatus = {
    observedGeneration: policy.generation,
    desiredReplicas: D,
    vmReplicas: vm.scheduled,
    aciReplicas: live.length,
    pendingReplicas: vm.unscheduled,
    mode: placement.mode,
    costUSDPerHour: costPerHour(snapshot, vm.scheduled, unit),
    lastDecision: {
      at: new Date(now).toISOString(),
      summary,
      reasons,
      cost: placement.costLines,
    },
    conditions,
  };
  const actions: Action[] = [
    ...costs,
    ...plan.deletes,
    ...plan.resumes,
    ...plan.creates,
    ...(scale ? [scale] : []),
    ...plan.drains,
    ...events,
    { kind: 'PatchStatus', status, reason: summary },
  ];

  // The measured ACI start, kept between bursts: this tick's median of Ready groups when there was one, else
  // the last (never the configured value or an estimate raised by groups still starting).
  const aciStart = (serviceLevel && measuredAciStart(serviceLevel.start)) ?? state.aciStart;
  const next: ScalerState = {
    recommendations: rec.state.recommendations,
    ...(levelRec ? { aciRecommendations: levelRec.state.recommendations } : {}),
    ...(aciStart ? { aciStart } : {}),
    scaleEvents: rec.state.scaleEvents,
    failures: rec.state.failures,
    demand,
    mode: placement.mode,
    lastDesired: D,
    burstHistory: tracking.burstHistory,
    demandLevels,
    burstFailures: failures.records,
    conditions: rememberConditions(conditions),
    ...(tracking.burstStartedAt !== undefined ? { burstStartedAt: tracking.burstStartedAt } : {}),
    ...(tracking.burstBaseline !== undefined ? { burstBaseline: tracking.burstBaseline } : {}),
    ...(vmReleased ? { vmReleased } : {}),
  };
  status.forecast = forecastMemory(next, now, status.lastDecision.at);
  return {
    desiredReplicas: D,
    vmReplicas: onVm,
    aciReplicas: placement.aciTarget,
    mode: placement.mode,
    actions,
    reasons: [summary, ...reasons],
    conditions,
    explanation: {
      recommendation: [...rec.reasons, ...metricLines, ...(serviceLine ? [serviceLine] : [])],
      placement: [...placement.placementLines, ...(scarceLine ? [scarceLine] : []), ...plan.lines],
      cost: placement.costLines,
    },
    state: next,
  };
};
