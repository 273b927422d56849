/**
 * Placement: of the desired replicas, how many run on VM nodes and how many on ACI, and whether the
 * overflow is *bridged* (left in the Deployment so pods pend and the cluster autoscaler adds VMs, with ACI
 * covering them until the VM pods are Ready) or *spilled* (the Deployment capped at VM capacity, the
 * overflow on ACI alone). See docs/adr/0001-placement-bridge-or-spill.md.
 *
 * Pure: counts in, counts and readable lines out. Which groups to create or drain is plan.ts's job.
 */
import { burstReplicaHourUSD, chooseOverflow, duration, usd } from './cost-model.ts';
import type { OverflowChoice, OverflowTimes, UnitCosts } from './cost-model.ts';
import type { Forecast } from './forecast.ts';
import type { BurstReplica, PlacementMode, Policy, Snapshot } from './types.ts';

/** What the VM side can serve, from the snapshot. */
export interface VmView {
  /** Target pods bound to a node (not deleting, not finished). */
  scheduled: number;
  /** Of those, Ready. */
  ready: number;
  /** Target pods not bound to a node yet. */
  unscheduled: number;
  /** freeSlots as observed. */
  freeSlots: number;
  /** Free slots believed usable: 0 while target pods have been unschedulable longer than the grace. */
  usableFree: number;
  /** Pods Pending and unschedulable for longer than pendingPods.graceSeconds. */
  stuck: number;
  /** Slots of incoming nodes Ready before an ACI replica would be. */
  soon: number;
  /** Slots of incoming nodes Ready after an ACI replica would be. */
  later: number;
  /** scheduled + usableFree + soon: served on VMs before ACI could help. */
  capacityNow: number;
  /** capacityNow + later. */
  capacityTotal: number;
  lines: string[];
}

/** The cluster autoscaler's scan interval and node deletion, added to the unneeded time for a released node to go. */
export const NODE_REMOVAL_MARGIN_SECONDS = 120;

/**
 * Free VM slots held back from new replicas this tick. A free slot is free only if its node stays anyway:
 * when a VM replica costs more than an ACI one (a full new node's share above the ACI replica-hour), the
 * slots this scaler emptied by scaling in are left empty for the autoscaler's unneeded time
 * (`cost.vm.minNodeLifetimeSeconds`) plus {@link NODE_REMOVAL_MARGIN_SECONDS}, so an emptied node can be
 * removed instead of being refilled with replicas ACI serves for less. Slots still free after that are on
 * nodes that stay (the pool's minimum, other pods) and count as free again. Never more than are free.
 */
export function releasedSlotsHeld(
  released: { slots: number; at: number } | undefined,
  freeSlots: number,
  unit: UnitCosts,
  policy: Policy,
  now: number,
): number {
  if (!released || !(unit.vmReplicaHourUSD > unit.aciReplicaHourUSD)) return 0;
  const holdMs = (policy.cost.vm.minNodeLifetimeSeconds + NODE_REMOVAL_MARGIN_SECONDS) * 1000;
  if (now - released.at >= holdMs) return 0;
  return Math.max(0, Math.min(released.slots, freeSlots));
}

/**
 * Reads the VM side of a snapshot: pods, free slots and arriving nodes, measured against an ACI start.
 * `heldSlots` free slots (from {@link releasedSlotsHeld}) are not offered to new replicas.
 */
export function observeVm(snapshot: Snapshot, policy: Policy, now: number, heldSlots = 0): VmView {
  const live = snapshot.pods.filter(
    (p) => !p.deleting && (p.phase === 'Pending' || p.phase === 'Running' || p.phase === 'Unknown'),
  );
  const bound = live.filter((p) => p.nodeName !== undefined);
  const ready = bound.filter((p) => p.ready).length;
  const unbound = live.filter((p) => p.nodeName === undefined);
  const graceMs = policy.pendingPods.graceSeconds * 1000;
  const stuck = policy.pendingPods.enabled
    ? unbound.filter((p) => p.unschedulable !== undefined && now - p.unschedulable.since >= graceMs).length
    : 0;
  const freeSlots = Math.max(0, snapshot.vm.freeSlots);
  const held = Math.min(Math.max(0, heldSlots), freeSlots);
  const usableFree = stuck > 0 ? 0 : freeSlots - held;
  const aciReadyAt = now + policy.cost.aci.startSeconds * 1000;
  let soon = 0;
  let later = 0;
  for (const node of snapshot.vm.incoming) {
    if (node.readyAt <= aciReadyAt) soon += Math.max(0, node.slots);
    else later += Math.max(0, node.slots);
  }
  const capacityNow = bound.length + usableFree + soon;
  const lines = [
    `VM: ${bound.length} target pods on nodes (${ready} Ready), ${unbound.length} not yet scheduled, ` +
      `${freeSlots} free slots on Ready nodes` +
      (stuck > 0
        ? `; ${stuck} pods unschedulable for over ${policy.pendingPods.graceSeconds} s, so the free slots do not fit ` +
          `this template and count as 0 (pendingPods)`
        : held > 0
          ? `; ${held} of them emptied by a recent scale-in are left empty so the cluster autoscaler can remove ` +
            `their node (a VM replica costs more than an ACI one)`
          : '') +
      `.`,
  ];
  if (soon + later > 0) {
    lines.push(
      `Incoming nodes: ${soon} slots Ready within an ACI start (${policy.cost.aci.startSeconds} s), ${later} slots later.`,
    );
  }
  lines.push(`VM capacity now ${capacityNow} replicas, ${capacityNow + later} with arriving nodes.`);
  return {
    scheduled: bound.length,
    ready,
    unscheduled: unbound.length,
    freeSlots,
    usableFree,
    stuck,
    soon,
    later,
    capacityNow,
    capacityTotal: capacityNow + later,
    lines,
  };
}

/** Groups that serve or will serve: not failed, not stopped, not draining. */
export function isLiveBurst(group: BurstReplica): boolean {
  return group.drainingSince === undefined && group.state !== 'Failed' && group.state !== 'Stopped';
}

/** A draining group of the current template that still runs: it can serve again instead of a new group. */
export function isResumable(group: BurstReplica, templateHash: string): boolean {
  return (
    group.drainingSince !== undefined && group.state === 'Running' && group.templateHash === templateHash
  );
}

/** Why new ACI replicas are limited this tick. */
export interface BurstLimit {
  kind: 'maxBurstReplicas' | 'budget' | 'quota' | 'notBurstable' | 'blocked';
  /** How many more replicas this limit allows (0 = none). */
  allowsNew: number;
  message: string;
}

export interface BurstCapacity {
  /** New ACI replicas allowed by budget, quota and a stopped rollout (Infinity when unlimited). */
  newAllowed: number;
  limits: BurstLimit[];
  /** Current burst spend used for the budget, USD/h. */
  spendUSDPerHour: number;
}

/**
 * How many new ACI replicas the budget and the regional core quota allow. Spend is this scaler's own
 * billing groups (each BurstScaler has its own budget), less the drained groups deleted this tick. Quota is
 * summed over the policy's regions (creates fail over); a region without a known quota means no quota limit.
 */
export function burstCapacity(
  snapshot: Snapshot,
  policy: Policy,
  unit: UnitCosts,
  now: number,
  blocked?: { message: string },
  /** The grace period in force this tick. @default spec.burst.drain.gracePeriodSeconds */
  graceSeconds = policy.burst.drain.gracePeriodSeconds,
): BurstCapacity {
  const limits: BurstLimit[] = [];
  const billing = snapshot.burst.filter((g) => g.state !== 'Failed' && g.state !== 'Stopped');
  const ownSpend = billing.reduce((sum, g) => sum + burstReplicaHourUSD(g, snapshot.prices), 0);
  // Groups drained for their grace period are deleted this tick (before any create): they stop billing now.
  // A running one of the current template may be resumed instead, so it is not counted as leaving.
  const graceMs = graceSeconds * 1000;
  const templateHash = snapshot.target?.templateHash;
  const leaving = billing
    .filter(
      (g) =>
        g.drainingSince !== undefined &&
        now - g.drainingSince >= graceMs &&
        (templateHash === undefined || !isResumable(g, templateHash)),
    )
    .reduce((sum, g) => sum + burstReplicaHourUSD(g, snapshot.prices), 0);
  const spend = Math.max(0, ownSpend - leaving);
  let newAllowed = Infinity;
  const max = policy.cost.budget.maxBurstUSDPerHour;
  if (max !== undefined) {
    const allows = Math.max(0, Math.floor((max - spend) / unit.aciReplicaHourUSD + 1e-9));
    newAllowed = Math.min(newAllowed, allows);
    limits.push({
      kind: 'budget',
      allowsNew: allows,
      message:
        `ACI spend ${usd(spend, 2)}/h of a ${usd(max, 2)}/h budget (spec.cost.budget.maxBurstUSDPerHour) leaves room for ` +
        `${allows} more replica(s) at ${usd(unit.aciReplicaHourUSD)}/h each`,
    });
  }
  const regions = policy.burst.aci.regions;
  const quotas = regions.map((r) => snapshot.quota?.find((q) => q.region === r));
  if (regions.length > 0 && quotas.every((q) => q !== undefined)) {
    const free = quotas.reduce((sum, q) => sum + Math.max(0, q.limitCores - q.usedCores), 0);
    const allows = Math.floor(free / unit.billed.cpu + 1e-9);
    newAllowed = Math.min(newAllowed, allows);
    limits.push({
      kind: 'quota',
      allowsNew: allows,
      message:
        `ACI core quota: ${quotas.map((q) => `${q.region} ${q.usedCores}/${q.limitCores} used`).join(', ')} leaves ` +
        `${free} cores, room for ${allows} more replica(s) of ${unit.billed.cpu} vCPU`,
    });
  }
  if (blocked) {
    newAllowed = 0;
    limits.push({ kind: 'blocked', allowsNew: 0, message: blocked.message });
  }
  return { newAllowed, limits, spendUSDPerHour: spend };
}

export interface PlacementInput {
  desired: number;
  /**
   * Desired replicas under the ACI tier's shorter scale-down window (≤ desired): replicas that only the
   * behavior's window still holds are not kept on ACI. @default desired
   */
  aciDesired?: number;
  /** What made `aciDesired` smaller, for the explanation. @default 'window' (the ACI tier's own window) */
  aciDesiredBy?: 'window' | 'serviceLevel';
  vm: VmView;
  unit: UnitCosts;
  forecast: Forecast;
  policy: Policy;
  burstable: boolean;
  /** Live ACI groups (any template). */
  liveBurst: number;
  /** Draining groups of the current template still running: they can serve again without a create. */
  resumableBurst?: number;
  /**
   * Seconds demand level `level` (a replica count) has been needed without a break, when tracked: each block
   * of the overflow gets its own forecast from it (see chooseLayered). @default the burst's forecast for all
   */
  levelAgeSeconds?: (level: number) => number | undefined;
  capacity: BurstCapacity;
  previousMode?: PlacementMode;
}

export interface Placement {
  mode: PlacementMode;
  desired: number;
  /** spec.replicas for the Deployment. */
  deploymentReplicas: number;
  /**
   * Desired replicas run nowhere this tick: held only by spec.behavior's scale-down window (ACI's own window
   * is shorter) or asked for only by the triggers' targets (spec.burst.serviceLevel needs fewer on ACI), let
   * go from ACI and not in the Deployment either (VM capacity is full).
   */
  notRun: number;
  /** Replicas needing more than the VM capacity available before an ACI start (D − capacityNow). */
  need: number;
  /** Of `need`, served by arriving nodes once Ready. */
  coveredByIncoming: number;
  /**
   * Of `need`, needing new capacity (k). The cost model weighs the part ACI would run: the top held only by
   * the window or the triggers' targets (the cut) buys no node.
   */
  overflow: number;
  newNodes: number;
  bridged: number;
  /** Overflow not bridged: run on ACI only, or nowhere when only the window or the triggers' targets ask for it. */
  spilled: number;
  /** Of `spilled`, run on ACI this tick (after that cut and ACI's limits). */
  spilledOnAci: number;
  /** ACI replicas wanted before limits. */
  aciWanted: number;
  /** ACI replicas to run after limits (maxBurstReplicas, budget, quota). */
  aciTarget: number;
  /** Existing ACI replicas to keep: aciTarget, or more while VM pods taking over are not Ready yet. */
  aciKeep: number;
  /** Limits that cut aciWanted this tick. */
  limitedBy: BurstLimit[];
  choice?: OverflowChoice;
  /** One line: where the desired replicas go. */
  summary: string;
  placementLines: string[];
  costLines: string[];
}

/** Timing inputs of the cost model from the policy. */
export function overflowTimes(policy: Policy): OverflowTimes {
  return {
    provisionSeconds: policy.cost.vm.provisionSeconds,
    minNodeLifetimeSeconds: policy.cost.vm.minNodeLifetimeSeconds,
    aciStartSeconds: policy.cost.aci.startSeconds,
    drainGraceSeconds: policy.burst.drain.gracePeriodSeconds,
  };
}

/**
 * Bridge or spill for an overflow of `k` replicas above `base`, by blocks of one node from the bottom. The
 * lower levels of demand have been needed longer than the higher ones (a level is needed while demand is at
 * least that high), so each block of `slots` levels gets its own expected remaining time: as long again as
 * its top level has been needed (Lindy, per level), capped by the burst's own forecast (which carries the
 * trend and the burst history), never below an ACI start. A block
 * is bridged when a node for it beats ACI over that time; the first block that does not, and every block
 * above it, stays on ACI. So the steady base of a burst goes to new VMs while its fluctuating top, which
 * would leave a new node mostly empty between peaks, spills. When every level has the same age (no level
 * history, or a step of demand) this is exactly the burst-wide choice.
 */
export function chooseLayered(
  k: number,
  base: number,
  input: Pick<PlacementInput, 'unit' | 'forecast' | 'levelAgeSeconds'>,
  times: OverflowTimes,
  previous: 'bridge' | 'spill' | undefined,
): OverflowChoice {
  const { unit } = input;
  const F = input.forecast.remainingSeconds;
  const burstAge = input.forecast.ageSeconds;
  // A level is expected for as long again as it has been needed, within the burst's forecast.
  const expected = (level: number): number => {
    const age = input.levelAgeSeconds?.(level);
    if (age === undefined || !(burstAge > 0)) return F;
    return Math.min(F, Math.max(times.aciStartSeconds, age));
  };
  const slots = unit.slotsPerNode;
  const choose = (overflow: number, remainingSeconds: number) =>
    chooseOverflow({ overflow, remainingSeconds, unit, times, ...(previous ? { previous } : {}) });
  if (slots <= 0 || expected(base + 1) === expected(base + k)) return choose(k, expected(base + k));

  let newNodes = 0;
  let bridged = 0;
  let aciUSD = 0;
  let vmUSD = 0;
  const lines: string[] = [];
  let stop: OverflowChoice | undefined;
  let stopSeconds = 0;
  let rest: OverflowChoice | undefined;
  for (let from = 0; from < k; from += slots) {
    const size = Math.min(slots, k - from);
    const T = expected(base + from + size);
    const block = choose(size, T);
    if (block.chosen.newNodes === 0) {
      // Everything from this block up spills: its cost is the rest's spill option; the explanation is the
      // rest's choice, unless more levels together would buy a node (then the block's own, which did not).
      rest = choose(k - from, T);
      stop = rest.chosen.newNodes > 0 ? block : rest;
      stopSeconds = T;
      break;
    }
    newNodes += block.chosen.newNodes;
    bridged += block.chosen.bridged;
    aciUSD += block.chosen.aciUSD;
    vmUSD += block.chosen.vmUSD;
    lines.push(
      `Replicas ${base + from + 1}–${base + from + size}: expected for ${duration(T)} more → ` +
        `a new node (${usd(block.chosen.costUSD)} against ${usd(block.options[0]?.costUSD ?? 0)} on ACI).`,
    );
  }
  const spilled = k - bridged;
  if (stop) {
    lines.push(
      `Replicas ${base + bridged + 1}–${base + k}: expected for ${duration(stopSeconds)} at most, too short for a new node:`,
      ...stop.lines.map((l) => `  ${l}`),
    );
    const spill = rest?.options[0];
    aciUSD += spill?.aciUSD ?? 0;
    vmUSD += spill?.vmUSD ?? 0;
  }
  const chosen = { newNodes, bridged, spilled, aciUSD, vmUSD, costUSD: aciUSD + vmUSD };
  lines.push(
    `Chosen: ${newNodes === 0 ? `spill only (${k} on ACI)` : `bridge ${bridged} on ${newNodes} new node(s)` + (spilled > 0 ? ` and keep ${spilled} on ACI` : '')} (by blocks of ${slots}, lowest levels first).`,
  );
  return { chosen, options: [chosen], breakEvenSeconds: stop?.breakEvenSeconds ?? Infinity, lines };
}

/**
 * Places `desired` replicas:
 * - need = max(0, D − capacityNow); arriving nodes cover min(need, later) once Ready (ACI bridges them);
 * - the rest, k, needs new capacity; the cut (D − aciDesired: replicas only the behavior's window or the
 *   triggers' targets ask for) comes off its top and buys nothing, and the cost model weighs k − cut:
 *   m new nodes for b replicas (bridge), the other s = k − b spilled;
 * - ACI wanted = covered-by-incoming + b (when provisioning outlasts an ACI start) + s, less the cut (spilled
 *   replicas first), then cut by maxBurstReplicas, budget and quota;
 * - Deployment replicas = D − cut spilled replicas − spilled replicas ACI actually serves: whatever ACI
 *   cannot take stays in the Deployment, so pods pend and the cluster autoscaler adds VMs;
 * - existing ACI replicas are kept while D exceeds Ready VM pods (make before break).
 */
export function place(input: PlacementInput): Placement {
  const { desired: D, vm, unit, policy, capacity } = input;
  const placementLines: string[] = [...vm.lines];
  const costLines: string[] = [...unit.lines];
  const maxBurst = policy.burst.maxBurstReplicas;
  const need = Math.max(0, D - vm.capacityNow);
  const coveredByIncoming = Math.min(need, vm.later);
  const k = need - coveredByIncoming;
  const times = overflowTimes(policy);

  // Replicas only the behavior's scale-down window (or, with spec.burst.serviceLevel, only the triggers'
  // targets) still ask for: ACI bills per second, so they are not run there (see the cut below).
  const aciDesired = Math.min(D, input.aciDesired ?? D);
  const cut = D - aciDesired;

  let newNodes = 0;
  let bridged = 0;
  let spilled = 0;
  let choice: OverflowChoice | undefined;
  if (k > 0 && input.burstable) {
    const previous =
      input.previousMode === 'bridge' || input.previousMode === 'spill' ? input.previousMode : undefined;
    // The top `cut` replicas of the overflow would run nowhere if spilled, so they buy no node either: the
    // cost model weighs new nodes against ACI for the overflow ACI would actually serve.
    const served = Math.max(0, k - cut);
    if (served > 0) {
      choice = chooseLayered(served, D - k, input, times, previous);
      costLines.push(...input.forecast.lines, ...choice.lines);
      ({ newNodes, bridged } = choice.chosen);
    }
    spilled = k - bridged;
    if (served < k) {
      costLines.push(
        `Of the ${k} replicas needing new capacity, the top ${k - served} are held only by ` +
          (input.aciDesiredBy === 'serviceLevel'
            ? `the triggers' targets (spec.burst.serviceLevel needs ${aciDesired} in all)`
            : `spec.behavior's scale-down window (ACI's own window asks for ${aciDesired})`) +
          (served > 0
            ? `: no node is bought for them; the cost model weighs the other ${served}.`
            : ': no new capacity is bought.'),
      );
    }
  } else if (k > 0) {
    bridged = k;
    newNodes = unit.slotsPerNode > 0 ? Math.ceil(k / unit.slotsPerNode) : 0;
  }

  const coverWhileBooting = times.provisionSeconds > times.aciStartSeconds;
  const wantedBeforeCut = input.burstable
    ? coveredByIncoming + (coverWhileBooting ? bridged : 0) + spilled
    : 0;
  // The cut comes off what ACI is wanted for, spilled replicas first (they leave the Deployment and run
  // nowhere), before ACI's limits apply: under a cap of 20, 21 needed still means 20 run, and only the 1 left
  // over pends in the Deployment for VMs.
  const letGo = Math.min(wantedBeforeCut, cut);
  const cutSpilled = Math.min(spilled, cut);
  // Spilled replicas still wanted on ACI after the cut.
  const spilledKept = spilled - cutSpilled;
  const aciWanted = wantedBeforeCut - letGo;
  let aciTarget = aciWanted;
  const limitedBy: BurstLimit[] = [];
  if (aciTarget > maxBurst) {
    aciTarget = maxBurst;
    limitedBy.push({
      kind: 'maxBurstReplicas',
      allowsNew: Math.max(0, maxBurst - input.liveBurst),
      message: `spec.burst.maxBurstReplicas is ${maxBurst}`,
    });
  }
  const byCapacity = input.liveBurst + (input.resumableBurst ?? 0) + capacity.newAllowed;
  if (aciTarget > byCapacity) {
    aciTarget = Math.max(0, byCapacity);
    for (const limit of capacity.limits) {
      if (input.liveBurst + (input.resumableBurst ?? 0) + limit.allowsNew < aciWanted) limitedBy.push(limit);
    }
  }
  if (!input.burstable && need > 0) {
    limitedBy.push({ kind: 'notBurstable', allowsNew: 0, message: 'the pod template cannot run on ACI' });
  }
  const spilledOnAci = Math.min(spilledKept, aciTarget);
  const deploymentReplicas = D - cutSpilled - spilledOnAci;
  // Cut spilled replicas: neither in the Deployment nor on ACI (replicas ACI covers while they pend are in both).
  const notRun = cutSpilled;
  const aciKeep = Math.min(input.liveBurst, maxBurst, Math.max(aciTarget, aciDesired - vm.ready));

  // Mode: spill when the overflow stays on ACI with no new node; bridge while ACI covers replicas that VM
  // capacity will take (arriving or new nodes, or VM pods not Ready yet); none when ACI serves nothing.
  let mode: PlacementMode = 'none';
  if (input.burstable && need > 0 && (aciTarget > 0 || aciKeep > 0)) {
    // Spill only when replicas stay on ACI with no node bought for them; an overflow the cut took whole
    // leaves ACI covering arriving nodes or VM pods not Ready yet, which is bridging.
    mode = newNodes > 0 || spilledKept === 0 ? 'bridge' : 'spill';
  } else if (input.burstable && aciKeep > 0) {
    mode = 'bridge';
  }

  const summary =
    need === 0
      ? `Desired ${D} replicas fit on VM capacity (${vm.capacityNow}): no ACI needed.`
      : `Desired ${D} replicas: ${D - need} on VM now, ${need} more needed` +
        (coveredByIncoming > 0 ? `, ${coveredByIncoming} of them on arriving nodes` : '') +
        (k > 0 ? `, ${k} need new capacity` : '') +
        '.';
  placementLines.push(summary);
  if (k > 0 && !input.burstable) {
    placementLines.push(
      `Not burstable: ${k} replicas stay Pending in the Deployment for the cluster autoscaler (about ${newNodes} node(s)).`,
    );
  } else if (k > 0) {
    placementLines.push(
      newNodes > 0
        ? `Bridge: ${bridged} replicas stay in the Deployment so the cluster autoscaler adds ~${newNodes} node(s) ` +
            `(~${duration(times.provisionSeconds)})` +
            (coverWhileBooting ? '; ACI covers them until their VM pods are Ready' : '') +
            (spilledKept > 0
              ? `; ${spilledKept} more run on ACI only (cheaper than a mostly empty node)`
              : '') +
            '.'
        : `Spill: the Deployment is capped at VM capacity and ${spilledKept} replicas run on ACI only.`,
    );
  }
  for (const limit of limitedBy) {
    if (limit.kind !== 'notBurstable') placementLines.push(`ACI limited: ${limit.message}.`);
  }
  if (aciWanted !== aciTarget || aciTarget > 0 || aciKeep > 0) {
    placementLines.push(
      `ACI: ${aciWanted} wanted, ${aciTarget} after limits; ${input.liveBurst} running or starting` +
        (aciKeep > aciTarget
          ? `, ${aciKeep} kept until VM pods taking over are Ready (${vm.ready} Ready of ${D})`
          : '') +
        '.',
    );
  }
  if (letGo > 0) {
    placementLines.push(
      input.aciDesiredBy !== 'serviceLevel'
        ? `ACI scale-down: the metrics asked for ${aciDesired} replicas within spec.burst.drain.scaleDownStabilizationSeconds; ` +
            `${letGo} ACI replica(s) held only by spec.behavior's longer scale-down window are let go (a drained replica ` +
            `that still runs is resumed if demand returns).`
        : `ACI sized by spec.burst.serviceLevel: ${aciDesired} replicas in all; ${letGo} replica(s) the desired count ` +
            `holds are not run on ACI (a drained replica that still runs is resumed if demand returns).`,
    );
  }
  if (spilledKept > spilledOnAci) {
    placementLines.push(
      `${spilledKept - spilledOnAci} replicas ACI cannot take stay in the Deployment instead (pending pods make the cluster autoscaler add VMs).`,
    );
  }
  placementLines.push(`Deployment replicas: ${deploymentReplicas}; mode: ${mode}.`);

  return {
    mode,
    desired: D,
    deploymentReplicas,
    notRun,
    need,
    coveredByIncoming,
    overflow: k,
    newNodes,
    bridged,
    spilled,
    spilledOnAci,
    aciWanted,
    aciTarget,
    aciKeep,
    limitedBy,
    ...(choice ? { choice } : {}),
    summary,
    placementLines,
    costLines,
  };
}
