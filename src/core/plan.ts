/**
 * The plan: which ACI groups to create, drain and delete to reach the placement's counts, how a template
 * change rolls through them, how failed groups are replaced, and which VM pods go first on scale-in.
 *
 * Pure: groups and counts in, actions with reasons out.
 */
import { burstGroupName } from './naming.ts';
import { isLiveBurst, isResumable } from './placement.ts';
import type { Action, BurstFailureRecord, BurstReplica, PodInfo, ScalerKey } from './types.ts';

/** Failures remembered this long, for backoff and for stopping a rollout. */
export const FAILURE_WINDOW_SECONDS = 600;
/** Failures that replacing cannot fix: the group is not replaced (until the retry below). */
export const PERMANENT_FAILURE_REASONS = ['InaccessibleImage', 'ResourceLimitsLessThanRequests'] as const;
/**
 * A permanently failed group of the current template is kept as a marker (it costs nothing: it never
 * started) so that restarts do not retry it; after this long it is deleted, which retries once, in case
 * the image was pushed or the pull secret fixed without a template change.
 */
export const PERMANENT_FAILURE_RETRY_SECONDS = 600;
/** Failures of the new template's groups within the window that stop a rollout. */
export const ROLLOUT_FAILURE_LIMIT = 3;
/** Replacement backoff after the n-th failure in the window: 0 for the first, then 10 s doubling to 5 min. */
export const BACKOFF_BASE_SECONDS = 10;
export const BACKOFF_MAX_SECONDS = 300;

const CREATE = 'CreateBurst';
type CreateAction = Extract<Action, { kind: typeof CREATE }>;
type GroupAction = Extract<Action, { kind: 'DrainBurst' | 'DeleteBurst' }>;
type ResumeAction = Extract<Action, { kind: 'ResumeBurst' }>;

export function isPermanentFailure(reason: string | undefined): boolean {
  return reason !== undefined && PERMANENT_FAILURE_REASONS.some((r) => reason.includes(r));
}

function isFailed(group: BurstReplica): boolean {
  return group.state === 'Failed' || group.state === 'Stopped';
}

function failureReason(group: BurstReplica): string {
  return group.failureReason ?? (group.state === 'Stopped' ? 'Stopped' : 'Failed');
}

/** Replacement backoff delay after `failures` failures within the window, seconds. */
export function backoffSeconds(failures: number): number {
  if (failures <= 1) return 0;
  return Math.min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (failures - 2));
}

/** What failed groups mean for this tick. */
export interface FailureAssessment {
  /** Updated, pruned failure records. */
  records: BurstFailureRecord[];
  /** Groups seen failed for the first time. */
  newlyFailed: BurstReplica[];
  /** A permanently failed group of the current template kept as a marker. */
  marker?: BurstReplica;
  /** Creates are stopped: image inaccessible, or the new template's groups keep failing. */
  blocked?: { reason: 'InaccessibleImage' | 'RolloutStopped' | 'PermanentFailure'; message: string };
  /** Creates wait until then (replacement backoff). */
  backoffUntil?: number;
}

/**
 * Records new failures, decides whether creating more groups is pointless (a permanent failure of the
 * current template, or {@link ROLLOUT_FAILURE_LIMIT} failures of it while old-template groups still serve)
 * and computes the replacement backoff.
 */
export function assessFailures(
  groups: BurstReplica[],
  templateHash: string,
  previous: BurstFailureRecord[],
  now: number,
): FailureAssessment {
  const windowStart = now - FAILURE_WINDOW_SECONDS * 1000;
  const records = previous.filter((r) => r.at >= windowStart);
  const newlyFailed: BurstReplica[] = [];
  for (const group of groups.filter(isFailed)) {
    if (records.some((r) => r.name === group.name && r.createdAt === group.createdAt)) continue;
    newlyFailed.push(group);
    records.push({
      name: group.name,
      createdAt: group.createdAt,
      at: now,
      reason: failureReason(group),
      templateHash: group.templateHash,
    });
  }
  const markers = groups
    .filter(
      (g) =>
        isFailed(g) &&
        g.templateHash === templateHash &&
        isPermanentFailure(g.failureReason) &&
        now - g.createdAt < PERMANENT_FAILURE_RETRY_SECONDS * 1000,
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.index - a.index);
  const marker = markers[0];
  const result: FailureAssessment = { records, newlyFailed };
  const oldServing = groups.some((g) => isLiveBurst(g) && g.templateHash !== templateHash);
  if (marker) {
    result.marker = marker;
    const reason = failureReason(marker);
    const inaccessible = reason.includes('InaccessibleImage');
    result.blocked = {
      reason: oldServing ? 'RolloutStopped' : inaccessible ? 'InaccessibleImage' : 'PermanentFailure',
      message:
        `ACI group ${marker.name} of the current pod template failed with ${reason}; no more ACI replicas are created ` +
        (oldServing ? 'and the rollout keeps the old-template replicas ' : '') +
        `until the template changes (retried ${PERMANENT_FAILURE_RETRY_SECONDS / 60} min after the failure). ` +
        (inaccessible
          ? 'Check the image name and tag and that ACI can pull it (imagePullSecrets, registry firewall).'
          : 'Check the pod template against the provider error.'),
    };
  } else {
    const newTemplateFailures = records.filter((r) => r.templateHash === templateHash);
    if (oldServing && newTemplateFailures.length >= ROLLOUT_FAILURE_LIMIT) {
      result.blocked = {
        reason: 'RolloutStopped',
        message:
          `${newTemplateFailures.length} ACI groups of the new pod template failed within ${FAILURE_WINDOW_SECONDS / 60} min ` +
          `(last: ${newTemplateFailures[newTemplateFailures.length - 1]?.reason}); the rollout is stopped and the ` +
          `old-template replicas are kept. Fix the template, or wait for the failures to age out of the window.`,
      };
    }
  }
  if (records.length > 0) {
    const last = Math.max(...records.map((r) => r.at));
    const until = last + backoffSeconds(records.length) * 1000;
    if (until > now) result.backoffUntil = until;
  }
  return result;
}

export interface BurstPlanInput {
  key: ScalerKey;
  now: number;
  groups: BurstReplica[];
  templateHash: string;
  /** ACI replicas to run (placement.aciTarget). */
  target: number;
  /** Existing replicas to keep at least (placement.aciKeep). */
  keep: number;
  maxBurstReplicas: number;
  /** New groups allowed by budget/quota (Infinity when unlimited). */
  newAllowed: number;
  /**
   * Creates the provider's pacing allows now over the policy's regions (ACI's create limits), when known:
   * creates beyond it are not attempted this tick (they would only fail as throttled). @default no limit
   */
  createsAvailable?: number;
  /** False when nothing may be created (target missing, not burstable). */
  allowCreate: boolean;
  failures: FailureAssessment;
  maxSurge: number;
  maxUnavailable: number;
  regions: string[];
  priority: 'Regular' | 'Spot';
  gracePeriodSeconds: number;
  minBurstLifetimeSeconds: number;
}

export interface BurstPlan {
  creates: CreateAction[];
  drains: GroupAction[];
  /** Draining groups that serve again instead of new ones being created. */
  resumes: ResumeAction[];
  deletes: GroupAction[];
  /** Names of drained groups deleted this tick. */
  drainedDeleted: string[];
  /** Live groups after this tick's actions (created ones included, drained ones not). */
  liveAfter: number;
  /** Rolling from old-template groups to the current template. */
  rolling: boolean;
  /** Groups that would be removed but are younger than minBurstLifetimeSeconds. */
  protectedByLifetime: number;
  lines: string[];
}

/**
 * Scale-in order for ACI groups, most worth removing first:
 * 1. not started yet (state Pending: billed since image pull, serving nothing; deleted without a drain);
 * 2. started but not Ready;
 * 3. old pod template;
 * 4. outside the preferred (first) region — failover regions are farther from the cluster;
 * 5. Regular before Spot — Regular costs more per second;
 * 6. newest first — as a ReplicaSet does; older groups are proven healthy and warm.
 */
export function removalOrder(
  groups: BurstReplica[],
  templateHash: string,
  preferredRegion: string | undefined,
): BurstReplica[] {
  // Rules 1-5 as the bits of one number, highest rule first (so comparing numbers compares the rules in
  // order), computed once per group rather than on every comparison.
  const rank = (g: BurstReplica): number =>
    ((g.state === 'Pending' ? 0 : 1) << 4) |
    ((g.ready ? 1 : 0) << 3) |
    ((g.templateHash === templateHash ? 1 : 0) << 2) |
    ((preferredRegion === undefined || g.region === preferredRegion ? 1 : 0) << 1) |
    (g.priority === 'Regular' ? 0 : 1);
  return groups
    .map((group) => ({ group, rank: rank(group) }))
    .sort((a, b) => a.rank - b.rank || b.group.createdAt - a.group.createdAt || b.group.index - a.group.index)
    .map((ranked) => ranked.group);
}

function lowestFreeIndexes(groups: BurstReplica[], count: number): number[] {
  const used = new Set(groups.map((g) => g.index));
  const result: number[] = [];
  for (let i = 0; result.length < count; i++) if (!used.has(i)) result.push(i);
  return result;
}

/**
 * Plans ACI groups for this tick:
 * - failed groups are deleted (a permanent failure of the current template is kept as a marker, see
 *   {@link PERMANENT_FAILURE_RETRY_SECONDS}) and replaced by creating up to the target, after backoff;
 * - draining groups are deleted once drained for gracePeriodSeconds;
 * - with old-template groups, a rollout: create new ones within target + maxSurge, drain old ones while
 *   Ready groups stay ≥ keep − maxUnavailable; a stopped rollout keeps the old ones;
 * - otherwise groups beyond `keep` are removed in {@link removalOrder}, sparing groups younger than
 *   minBurstLifetimeSeconds; Pending ones are deleted at once, others drained first.
 * Pending groups count as existing, so an unchanged snapshot never yields a second create.
 */
export function planBursts(input: BurstPlanInput): BurstPlan {
  const { now, groups, templateHash, failures } = input;
  const lines: string[] = [];
  const deletes: GroupAction[] = [];
  const drains: GroupAction[] = [];
  const creates: CreateAction[] = [];
  const drainedDeleted: string[] = [];

  for (const group of groups) {
    if (isFailed(group)) {
      if (failures.marker?.name === group.name) continue;
      const reason = failureReason(group);
      deletes.push({
        kind: 'DeleteBurst',
        name: group.name,
        reason:
          `ACI group ${group.name} ${group.state === 'Stopped' ? 'stopped' : 'failed'} (${reason})` +
          (group.templateHash !== templateHash
            ? ' and runs an old pod template'
            : '; a replacement is created if still needed'),
      });
    }
  }

  const blocked = failures.blocked !== undefined;
  const target = Math.min(input.target, input.maxBurstReplicas);
  const keepAtLeast = Math.max(input.keep, target);
  const oldEnough = (g: BurstReplica) => now - g.createdAt >= input.minBurstLifetimeSeconds * 1000;
  // Draining groups of the current template that still run come back before anything is created: they
  // serve at once and cost nothing more (they bill until deleted anyway), so neither budget, quota nor the
  // replacement backoff holds them. A resumed group counts as live.
  const resumable = removalOrder(
    groups.filter((g) => isResumable(g, templateHash)),
    templateHash,
    input.regions[0],
  ).reverse();
  const liveBefore = groups.filter(isLiveBurst);

  /** Removals and the room left for additions, with the first `resumedCount` resumable groups live again. */
  const removalsWith = (resumedCount: number) => {
    const back = resumable.slice(0, resumedCount).map(({ drainingSince: _drain, ...serving }) => serving);
    const live = [...liveBefore, ...back];
    const old = live.filter((g) => g.templateHash !== templateHash);
    const current = live.filter((g) => g.templateHash === templateHash);
    const rolling = old.length > 0 && !blocked;
    const keep = keepAtLeast;
    const order = removalOrder(live, templateHash, input.regions[0]);
    const removedGroups: BurstReplica[] = [];
    const removed = new Set<string>();
    let protectedByLifetime = 0;
    const remove = (group: BurstReplica) => {
      removed.add(group.name);
      removedGroups.push(group);
    };
    // How many groups may be added once `removedCount` live groups are removed: up to the target (within
    // target + maxSurge while rolling) and maxBurstReplicas; new ones also within budget and quota.
    const room = (removedCount: number): number => {
      if (!input.allowCreate || blocked) return 0;
      const liveLeft = live.length - removedCount;
      const wanted = rolling
        ? Math.min(target - current.length, target + Math.max(input.maxSurge, 0) - liveLeft)
        : target - current.length;
      return Math.max(0, Math.min(wanted, input.maxBurstReplicas - liveLeft));
    };
    const creatable = (removedCount: number): number =>
      Math.min(room(removedCount), input.newAllowed, input.createsAvailable ?? Infinity);

    let rolledOut = 0;
    if (rolling) {
      // Old groups go while Ready groups stay ≥ keep − maxUnavailable. Not-Ready old groups serve nothing,
      // but they go only as far as new groups replace them this tick (or they are beyond `keep`): when budget
      // or quota allow no new group, deleting them would only lose capacity that is about to start.
      const readyTotal = live.filter((g) => g.ready).length;
      const readyRemovable = Math.max(0, readyTotal - Math.max(0, keep - Math.max(input.maxUnavailable, 0)));
      const pickOld = (notReadyLimit: number): BurstReplica[] => {
        const picked: BurstReplica[] = [];
        let notReady = 0;
        let ready = 0;
        for (const group of order) {
          if (group.templateHash === templateHash) continue;
          if (!group.ready && notReady < notReadyLimit) {
            picked.push(group);
            notReady++;
          } else if (group.ready && ready < readyRemovable) {
            picked.push(group);
            ready++;
          }
        }
        return picked;
      };
      const unbounded = pickOld(Infinity);
      const replaced = creatable(unbounded.length);
      const picked = pickOld(replaced + Math.max(0, live.length - keep));
      for (const group of picked) remove(group);
      rolledOut = picked.length;
      let excess = current.length - keep;
      for (const group of order) {
        if (excess <= 0) break;
        if (group.templateHash !== templateHash || removed.has(group.name)) continue;
        if (!oldEnough(group)) {
          protectedByLifetime++;
          continue;
        }
        remove(group);
        excess--;
      }
    } else {
      let excess = live.length - keep;
      for (const group of order) {
        if (excess <= 0) break;
        if (!oldEnough(group)) {
          protectedByLifetime++;
          continue;
        }
        remove(group);
        excess--;
      }
    }
    return {
      live,
      old,
      current,
      rolling,
      keep,
      removedGroups,
      rolledOut,
      protectedByLifetime,
      room: room(removed.size),
      creatable: creatable(removed.size),
    };
  };

  // Resume as many as the room after removals allows; removals depend on what is live, so repeat until the
  // room is used (each round resumes more, so this ends within resumable.length rounds).
  let resumedCount = 0;
  let round = removalsWith(0);
  while (resumedCount < resumable.length && round.room > 0) {
    resumedCount = Math.min(resumable.length, resumedCount + round.room);
    round = removalsWith(resumedCount);
  }
  const { live, old, current, rolling, keep, rolledOut, protectedByLifetime } = round;
  const resumes: ResumeAction[] = resumable.slice(0, resumedCount).map((group, i) => ({
    kind: 'ResumeBurst',
    name: group.name,
    reason:
      `${target} ACI replicas wanted, ${current.length - resumedCount + i} running or starting; ` +
      `${group.name} is still running in its drain, so it serves again instead of a new group starting`,
  }));
  const resumed = new Set(resumes.map((r) => r.name));
  const removed = new Set(round.removedGroups.map((g) => g.name));
  for (const group of round.removedGroups) {
    const why = old.includes(group)
      ? `pod template changed to ${templateHash}`
      : rolling
        ? `${keep} ACI replicas needed`
        : `${keep} ACI replicas needed, ${live.length} running or starting`;
    if (group.state === 'Pending') {
      deletes.push({
        kind: 'DeleteBurst',
        name: group.name,
        reason: `${why}; ${group.name} has not started, so it is deleted without a drain`,
      });
    } else {
      drains.push({
        kind: 'DrainBurst',
        name: group.name,
        reason: `${why}; draining ${group.name} (out of endpoints, deleted after ${input.gracePeriodSeconds} s)`,
      });
    }
  }

  // Drained groups past their grace are deleted, unless resumed above.
  for (const group of groups) {
    if (group.drainingSince === undefined || isFailed(group) || resumed.has(group.name)) continue;
    const drainedFor = (now - group.drainingSince) / 1000;
    if (drainedFor >= input.gracePeriodSeconds) {
      drainedDeleted.push(group.name);
      deletes.push({
        kind: 'DeleteBurst',
        name: group.name,
        reason: `ACI group ${group.name} drained for ${Math.floor(drainedFor)} s (grace ${input.gracePeriodSeconds} s)`,
      });
    }
  }

  // Creates, counted after removals: a group removed this tick frees its surge and maxBurstReplicas room.
  let createCount = round.creatable;
  const byPacing = Math.min(round.room, input.newAllowed) - createCount;
  if (byPacing > 0 && input.createsAvailable !== undefined) {
    lines.push(
      `ACI's create limits (100 per 5 minutes and 300 per hour per region): ${input.createsAvailable} create(s) ` +
        `left in the provider's pacing window, so ${byPacing} more wait until it refills.`,
    );
  }
  if (createCount > 0 && failures.backoffUntil !== undefined && failures.backoffUntil > now) {
    lines.push(
      `Backing off after ${failures.records.length} ACI failures in ${FAILURE_WINDOW_SECONDS / 60} min: ` +
        `${createCount} create(s) wait ${Math.ceil((failures.backoffUntil - now) / 1000)} s.`,
    );
    createCount = 0;
  }
  const indexes = lowestFreeIndexes(groups, createCount);
  for (const index of indexes) {
    creates.push({
      kind: CREATE,
      name: burstGroupName(input.key, index),
      index,
      regions: input.regions,
      priority: input.priority,
      templateHash,
      reason: rolling
        ? `rolling ACI replicas to pod template ${templateHash} (${current.length + creates.length + 1} of ${target})`
        : `${target} ACI replicas wanted, ${current.length + creates.length} running or starting`,
    });
  }

  if (rolling) {
    lines.push(
      `Rolling ${old.length} old-template ACI replicas to ${templateHash}: ${creates.length} created, ${rolledOut} removed ` +
        `(maxSurge ${input.maxSurge}, maxUnavailable ${input.maxUnavailable}).`,
    );
  }
  if (resumes.length > 0) {
    lines.push(
      `Resuming ${resumes.length} draining ACI replica(s) instead of creating new ones: they still run, so they ` +
        `serve at once and add no start time.`,
    );
  }
  if (protectedByLifetime > 0) {
    lines.push(
      `${protectedByLifetime} ACI replica(s) not removed yet: younger than drain.minBurstLifetimeSeconds (${input.minBurstLifetimeSeconds} s).`,
    );
  }
  if (failures.blocked) lines.push(failures.blocked.message);
  return {
    creates,
    drains,
    resumes,
    deletes,
    drainedDeleted,
    liveAfter: live.length - removed.size + creates.length,
    rolling,
    protectedByLifetime,
    lines,
  };
}

/**
 * How far apart deletion costs of pods on nodes with one more Ready target pod are: a pod's cost is
 * `Ready pods on its node × NODE_COST_SPACING + the node's tiebreak` (a number below the spacing, from its
 * name).
 */
export const NODE_COST_SPACING = 1_000_000;
/** Pods per node above this would overflow the annotation's int32; counted as this many (no node runs so many). */
const MAX_RANKED_PODS_PER_NODE = 2000;

/** FNV-1a of the node's name, below {@link NODE_COST_SPACING}: the same node keeps the same tiebreak. */
function nodeTiebreak(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NODE_COST_SPACING;
}

/**
 * Pod deletion costs that make a ReplicaSet scale-in empty whole nodes: every pod on a node gets
 * `Ready pods on the node × NODE_COST_SPACING + the node's tiebreak`, so the ReplicaSet removes all pods of the
 * node with the fewest Ready target pods before touching the next, and of two nodes with as many, all of one
 * first. Only Ready pods count because the ReplicaSet removes Pending and not-Ready pods before it reads any
 * cost: a node with one Ready pod and two starting is, once those two are gone, a one-pod node. The tiebreak
 * comes from the node's name (two nodes that draw the same one are told apart by name, the later taking the
 * next free number), so a pod's cost changes only when its node's Ready count does (or, rarely, when a node
 * it collided with changes count): only pods whose annotation differs get an action, and a scale-in rewrites
 * the nodes that changed since the last, not every pod behind them in a ranking. Unscheduled pods need none
 * (a ReplicaSet removes them first anyway).
 */
export function podDeletionCosts(
  pods: PodInfo[],
  reason: string,
): Extract<Action, { kind: 'SetPodDeletionCost' }>[] {
  const byNode = new Map<string, PodInfo[]>();
  for (const pod of pods) {
    if (
      pod.deleting ||
      pod.nodeName === undefined ||
      (pod.phase !== 'Running' && pod.phase !== 'Pending' && pod.phase !== 'Unknown')
    )
      continue;
    const list = byNode.get(pod.nodeName) ?? [];
    list.push(pod);
    byNode.set(pod.nodeName, list);
  }
  const nodes = [...byNode.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // Tiebreaks are unique per count (nodes with different counts never tie): the first by name keeps its own.
  const taken = new Set<number>();
  const actions: Extract<Action, { kind: 'SetPodDeletionCost' }>[] = [];
  for (const [node, nodePods] of nodes) {
    const ready = nodePods.filter((p) => p.phase === 'Running' && p.ready).length;
    const count = Math.min(ready, MAX_RANKED_PODS_PER_NODE);
    let tiebreak = nodeTiebreak(node);
    while (taken.has(count * NODE_COST_SPACING + tiebreak)) tiebreak = (tiebreak + 1) % NODE_COST_SPACING;
    const cost = count * NODE_COST_SPACING + tiebreak;
    taken.add(cost);
    for (const pod of [...nodePods].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (pod.deletionCost === cost) continue;
      actions.push({
        kind: 'SetPodDeletionCost',
        pod: pod.name,
        cost,
        reason: `${reason}: node ${node} runs ${ready} Ready target pod(s), so its pods cost ${cost} to delete (nodes with the fewest go first, so whole nodes empty)`,
      });
    }
  }
  return actions;
}
