/**
 * Garbage collection of burst replicas, as a pure plan.
 *
 * A group is collected when its owner BurstScaler no longer exists (matched by uid, so a scaler
 * re-created under the same name does not inherit it), or when its template hash is stale and the
 * target's rollout has completed. A collected group that may be serving (Running and ready) is drained
 * first and deleted after the grace period; one that cannot be serving is deleted at once.
 *
 * Never touched: groups of another cluster, groups of namespaces this Spillway does not watch, groups
 * of live scalers that are current. Nothing at all is planned before the caches have synced, because
 * an unsynced (empty) scaler list would make every group look orphaned.
 */
import type { Action, BurstReplica, ScalerKey } from './types.ts';

/** An owned burst replica with the owner its tags record (structurally a ports.OwnedBurstReplica). */
export interface GcReplica extends BurstReplica {
  owner: { clusterId: string; namespace: string; name: string; uid: string };
}

/** What exists in the cluster now. Maps are keyed by scaler uid. */
export interface GcLiveState {
  /** False until every informer has listed; then no action is planned. */
  synced: boolean;
  /** Every BurstScaler in the watched namespaces. */
  scalers: readonly ScalerKey[];
  /** The target's current pod template hash, per scaler uid (absent when the target is missing). */
  templateHashes: Readonly<Record<string, string>>;
  /** Whether the target's rollout to that hash has completed, per scaler uid. */
  rolloutComplete: Readonly<Record<string, boolean>>;
  /** Namespaces watched; undefined means all. Groups of other namespaces are left alone. */
  watchedNamespaces?: readonly string[];
}

/** A drain or delete, with the owner it was planned for. */
export type GcAction = Extract<Action, { kind: 'DrainBurst' | 'DeleteBurst' }> & { owner: ScalerKey };

export interface GcPlan {
  actions: GcAction[];
  /** Groups left alone this time, and why (for logs and `spillway explain`). */
  kept: { name: string; reason: string }[];
}

/**
 * Plans drains and deletes for groups nobody needs any more.
 * @param owned groups whose tags prove Spillway ownership (any cluster's; others' are kept)
 * @param drain grace period between the drain start and the delete
 */
export function planGarbageCollection(
  owned: readonly GcReplica[],
  live: GcLiveState,
  clusterId: string,
  now: number,
  drain: { gracePeriodSeconds: number },
): GcPlan {
  const plan: GcPlan = { actions: [], kept: [] };
  if (!live.synced) {
    for (const g of owned) plan.kept.push({ name: g.name, reason: 'caches not synced yet' });
    return plan;
  }
  const byUid = new Map(live.scalers.map((s) => [s.uid, s]));
  const watched = live.watchedNamespaces ? new Set(live.watchedNamespaces) : undefined;
  const graceMs = Math.max(0, drain.gracePeriodSeconds) * 1000;

  for (const g of [...owned].sort((a, b) => a.name.localeCompare(b.name))) {
    const owner: ScalerKey = { namespace: g.owner.namespace, name: g.owner.name, uid: g.owner.uid };
    const ownerText = `${owner.namespace}/${owner.name}`;
    if (g.owner.clusterId !== clusterId) {
      plan.kept.push({ name: g.name, reason: `belongs to cluster ${g.owner.clusterId}` });
      continue;
    }
    if (watched && !watched.has(owner.namespace)) {
      plan.kept.push({ name: g.name, reason: `namespace ${owner.namespace} is not watched` });
      continue;
    }
    const scaler = byUid.get(owner.uid);
    let why: string | undefined;
    if (!scaler || scaler.namespace !== owner.namespace || scaler.name !== owner.name) {
      why = `owner BurstScaler ${ownerText} (uid ${owner.uid}) no longer exists`;
    } else {
      const current = live.templateHashes[owner.uid];
      if (current !== undefined && g.templateHash !== current && live.rolloutComplete[owner.uid] === true)
        why = `template ${g.templateHash} is stale: ${ownerText} rolled out ${current}`;
    }
    if (!why) {
      plan.kept.push({ name: g.name, reason: 'in use' });
      continue;
    }
    const serving = g.state === 'Running' && g.ready;
    if (g.drainingSince !== undefined) {
      const left = g.drainingSince + graceMs - now;
      if (left <= 0) {
        plan.actions.push({
          kind: 'DeleteBurst',
          name: g.name,
          owner,
          reason: `${why}; drained for ${drain.gracePeriodSeconds} s`,
        });
      } else {
        plan.kept.push({ name: g.name, reason: `${why}; draining, ${Math.ceil(left / 1000)} s left` });
      }
    } else if (serving) {
      plan.actions.push({
        kind: 'DrainBurst',
        name: g.name,
        owner,
        reason: `${why}; draining before delete`,
      });
    } else {
      plan.actions.push({
        kind: 'DeleteBurst',
        name: g.name,
        owner,
        reason: `${why}; not serving (${g.state}${g.state === 'Running' ? ', not ready' : ''}), deleting now`,
      });
    }
  }
  return plan;
}
