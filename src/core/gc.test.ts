import { describe, expect, it } from 'vitest';
import { planGarbageCollection, type GcLiveState, type GcReplica } from './gc.ts';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const CLUSTER = 'aks-prod-1';
const live = { namespace: 'shop', name: 'orders', uid: 'uid-live' };

function group(
  name: string,
  overrides: Partial<GcReplica> = {},
  owner: Partial<GcReplica['owner']> = {},
): GcReplica {
  return {
    name,
    index: 0,
    region: 'eastus',
    priority: 'Regular',
    state: 'Running',
    ready: true,
    createdAt: NOW - 3600_000,
    templateHash: 'hash-new',
    cpu: 1,
    memoryGiB: 2,
    owner: { clusterId: CLUSTER, ...live, ...owner },
    ...overrides,
  };
}

const state: GcLiveState = {
  synced: true,
  scalers: [live],
  templateHashes: { 'uid-live': 'hash-new' },
  rolloutComplete: { 'uid-live': true },
};
const drain = { gracePeriodSeconds: 60 };

/** what, group, expected actions, reason it was kept (when kept), live state (when not the default). */
type Row = [string, GcReplica, { kind: string; name: string }[], string | undefined, GcLiveState?];

describe('planGarbageCollection', () => {
  it.each([
    ['a current group of a live scaler', group('a'), [], 'in use'],
    [
      'another cluster’s orphan',
      group('b', {}, { clusterId: 'aks-other', uid: 'gone' }),
      [],
      'belongs to cluster aks-other',
    ],
    [
      'another cluster’s stale group',
      group('c', { templateHash: 'hash-old' }, { clusterId: 'aks-other' }),
      [],
      'belongs to cluster aks-other',
    ],
    [
      'a stale group while the rollout is still running',
      group('d', { templateHash: 'hash-old' }),
      [],
      'in use',
      { ...state, rolloutComplete: { 'uid-live': false } },
    ],
    [
      'a serving orphan (scaler deleted)',
      group('e', {}, { uid: 'uid-deleted', name: 'old' }),
      [{ kind: 'DrainBurst', name: 'e' }],
      undefined,
    ],
    [
      'an orphan of a scaler re-created under the same name (new uid)',
      group('f', {}, { uid: 'uid-before' }),
      [{ kind: 'DrainBurst', name: 'f' }],
      undefined,
    ],
    [
      'an orphan drained for the whole grace period',
      group('g', { drainingSince: NOW - 60_000 }, { uid: 'uid-deleted' }),
      [{ kind: 'DeleteBurst', name: 'g' }],
      undefined,
    ],
    [
      'an orphan still inside its grace period',
      group('h', { drainingSince: NOW - 20_000 }, { uid: 'uid-deleted' }),
      [],
      'draining, 40 s left',
    ],
    [
      'a failed orphan (not serving)',
      group('i', { state: 'Failed', ready: false }, { uid: 'uid-deleted' }),
      [{ kind: 'DeleteBurst', name: 'i' }],
      undefined,
    ],
    [
      'a pending orphan',
      group('j', { state: 'Pending', ready: false }, { uid: 'uid-deleted' }),
      [{ kind: 'DeleteBurst', name: 'j' }],
      undefined,
    ],
    [
      'a stale serving group after a completed rollout',
      group('k', { templateHash: 'hash-old' }),
      [{ kind: 'DrainBurst', name: 'k' }],
      undefined,
    ],
  ] as Row[])('%s', (_what, g, expected, keptReason, liveState) => {
    const plan = planGarbageCollection([g], liveState ?? state, CLUSTER, NOW, drain);
    expect(plan.actions.map(({ kind, name }) => ({ kind, name }))).toEqual(expected);
    if (keptReason) expect(plan.kept[0]?.reason).toContain(keptReason);
    for (const action of plan.actions) expect(action.reason.length).toBeGreaterThan(10);
  });

  it('plans nothing before the caches have synced, even if every group looks orphaned', () => {
    const groups = [group('x', {}, { uid: 'gone-1' }), group('y', { state: 'Failed' }, { uid: 'gone-2' })];
    const plan = planGarbageCollection(groups, { ...state, synced: false, scalers: [] }, CLUSTER, NOW, drain);
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toHaveLength(2);
  });

  it('leaves groups of namespaces it does not watch', () => {
    const g = group('z', {}, { namespace: 'billing', uid: 'uid-elsewhere' });
    const plan = planGarbageCollection([g], { ...state, watchedNamespaces: ['shop'] }, CLUSTER, NOW, drain);
    expect(plan.actions).toEqual([]);
    expect(plan.kept[0]?.reason).toBe('namespace billing is not watched');
  });

  it('never plans an action for another cluster’s group, whatever its state (exhaustive sweep)', () => {
    const states = ['Pending', 'Running', 'Failed', 'Stopped', 'Unknown'] as const;
    const groups: GcReplica[] = [];
    for (const s of states)
      for (const draining of [undefined, NOW - 3600_000])
        groups.push(
          group(
            `other-${s}-${draining ?? 'no'}`,
            {
              state: s,
              ready: s === 'Running',
              templateHash: 'hash-old',
              ...(draining === undefined ? {} : { drainingSince: draining }),
            },
            { clusterId: 'aks-other', uid: 'uid-deleted' },
          ),
        );
    const plan = planGarbageCollection(groups, { ...state, scalers: [] }, CLUSTER, NOW, drain);
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toHaveLength(groups.length);
  });

  it('carries the owner on every action so the executor can emit events on the right scaler', () => {
    const plan = planGarbageCollection(
      [group('o', {}, { uid: 'uid-deleted', name: 'old' })],
      state,
      CLUSTER,
      NOW,
      drain,
    );
    expect(plan.actions[0]?.owner).toEqual({ namespace: 'shop', name: 'old', uid: 'uid-deleted' });
    expect(plan.actions[0]?.reason).toBe(
      'owner BurstScaler shop/old (uid uid-deleted) no longer exists; draining before delete',
    );
  });
});
