/**
 * A small deterministic decide for loop tests that must not depend on the cost model: replicas =
 * ceil(first trigger / target), VMs first, the rest on ACI; lowest free index first on scale-out,
 * highest index drained first on scale-in, drained groups deleted after the grace period, failed
 * groups deleted. A failed signal read keeps the last total (never scales in on missing data).
 */
import { burstGroupName } from '../../src/core/naming.ts';
import type { Action, DecideFn, Decision, ScalerStatus } from '../../src/core/types.ts';

export const simpleDecide: DecideFn = (snapshot, policy, state, now) => {
  const actions: Action[] = [];
  const target = snapshot.target;
  if (!target) throw new Error('simpleDecide needs a target');
  const reading = snapshot.signals[0];
  const trigger = policy.triggers[0];
  const perReplica = trigger?.target.type === 'AverageValue' ? trigger.target.averageValue : 1;
  const previous = state.lastDesired ?? target.replicas;
  let desired =
    reading?.ok === true ? Math.ceil(reading.value / perReplica) : Math.max(previous, target.replicas);
  for (const floor of snapshot.floors) desired = Math.max(desired, floor.replicas);
  desired = Math.min(policy.maxReplicas, Math.max(policy.minReplicas, desired));

  const vmCapacity = target.replicas + snapshot.vm.freeSlots;
  const vm = Math.min(desired, vmCapacity);
  const aci = snapshot.burstable.ok ? Math.min(desired - vm, policy.burst.maxBurstReplicas) : 0;
  if (vm !== target.replicas) actions.push({ kind: 'ScaleDeployment', replicas: vm, reason: `${vm} on VMs` });

  const graceMs = policy.burst.drain.gracePeriodSeconds * 1000;
  const failed = snapshot.burst.filter((g) => g.state === 'Failed');
  const draining = snapshot.burst.filter((g) => g.state !== 'Failed' && g.drainingSince !== undefined);
  const active = snapshot.burst
    .filter((g) => g.state !== 'Failed' && g.drainingSince === undefined)
    .sort((a, b) => a.index - b.index);
  for (const g of failed) actions.push({ kind: 'DeleteBurst', name: g.name, reason: 'failed' });
  for (const g of draining)
    if (now - g.drainingSince! >= graceMs)
      actions.push({ kind: 'DeleteBurst', name: g.name, reason: 'drained for the grace period' });
  if (active.length > aci) {
    for (const g of active.slice(aci).reverse())
      actions.push({ kind: 'DrainBurst', name: g.name, reason: `${aci} ACI replicas needed` });
  } else {
    const used = new Set(snapshot.burst.filter((g) => g.state !== 'Failed').map((g) => g.index));
    let index = 0;
    for (let n = active.length; n < aci; n++) {
      while (used.has(index)) index++;
      used.add(index);
      actions.push({
        kind: 'CreateBurst',
        name: burstGroupName(policy.key, index),
        index,
        regions: policy.burst.aci.regions,
        priority: policy.burst.aci.priority,
        templateHash: target.templateHash,
        reason: `${aci} ACI replicas needed`,
      });
    }
  }

  const summary = `desired ${desired}: ${vm} on VM, ${aci} on ACI`;
  const status: ScalerStatus = {
    observedGeneration: policy.generation,
    desiredReplicas: desired,
    vmReplicas: vm,
    aciReplicas: active.length,
    pendingReplicas: snapshot.pods.filter((p) => p.phase === 'Pending').length,
    mode: aci > 0 ? 'spill' : 'none',
    costUSDPerHour: 0,
    lastDecision: { at: new Date(now).toISOString(), summary, reasons: [summary], cost: [] },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Deciding', message: summary }],
  };
  actions.push({ kind: 'PatchStatus', status, reason: summary });
  const decision: Decision = {
    desiredReplicas: desired,
    vmReplicas: vm,
    aciReplicas: aci,
    mode: status.mode,
    actions,
    reasons: [summary],
    conditions: status.conditions,
    explanation: { recommendation: [], placement: [], cost: [] },
    state: { ...state, lastDesired: desired },
  };
  return decision;
};
