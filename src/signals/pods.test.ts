import { describe, expect, it } from 'vitest';
import { FakeValues, readFailure, trigger } from '../../test/signals/helpers.ts';
import type { PodInfo } from '../core/types.ts';
import type { SignalContext } from '../ports.ts';
import { CpuSource } from './cpu.ts';
import { MemorySource } from './memory.ts';
import { PendingPodsSource, unservedPods } from './pending-pods.ts';

const now = Date.parse('2026-11-23T10:00:00Z');
const pod = (name: string, extra: Partial<PodInfo> = {}): PodInfo => ({
  name,
  phase: 'Running',
  ready: true,
  deleting: false,
  createdAt: now - 600_000,
  ...extra,
});
const unschedulableFor = (seconds: number) => ({
  phase: 'Pending' as const,
  ready: false,
  unschedulable: { since: now - seconds * 1000, message: '0/3 nodes are available: 3 Insufficient cpu.' },
});
const ctx = (pods?: PodInfo[]): SignalContext => ({
  scaler: { namespace: 'shop', name: 'w', uid: 'u' },
  values: new FakeValues(),
  signal: new AbortController().signal,
  now,
  pods,
});

describe('pending-pods', () => {
  const pods = [
    pod('running'),
    pod('unschedulable-30s', unschedulableFor(30)),
    pod('unschedulable-20s', unschedulableFor(20)),
    pod('unschedulable-5s', unschedulableFor(5)),
    pod('pending-scheduled', { phase: 'Pending', ready: false, nodeName: 'vm-1' }),
    pod('deleting', { ...unschedulableFor(60), deleting: true }),
  ];

  it.each([
    [0, ['unschedulable-30s', 'unschedulable-20s', 'unschedulable-5s']],
    [20, ['unschedulable-30s', 'unschedulable-20s']],
    [60, []],
  ])('with a %i s grace period counts %j', (grace, names) => {
    expect(unservedPods(pods, grace, now).map((p) => p.name)).toEqual(names);
  });

  it('reads the count with the default grace period of 20 s', async () => {
    await expect(new PendingPodsSource().read(trigger('pending-pods', {}), ctx(pods))).resolves.toEqual({
      value: 2,
    });
  });

  it('fails as not-found when the pods are not known', async () => {
    const error = await readFailure(new PendingPodsSource().read(trigger('pending-pods', {}), ctx()));
    expect(error.kind).toBe('not-found');
  });
});

describe.each([
  ['cpu', new CpuSource(), 'cpu'],
  ['memory', new MemorySource(), 'memoryGiB'],
] as const)('%s', (name, source, key) => {
  const t = trigger(name, {}, { target: { type: 'Utilization', averageUtilization: 70 } });

  it('reads per-pod usage and its mean, leaving out pods without a sample', async () => {
    const pods = [
      pod('a', { usage: { [key]: 0.5 } }),
      pod('b', { usage: { [key]: 1.5 } }),
      pod('no-sample', { usage: {} }),
      pod('no-usage'),
    ];
    await expect(source.read(t, ctx(pods))).resolves.toEqual({ value: 1, perPod: { a: 0.5, b: 1.5 } });
  });

  it('fails as not-found when no pod has a sample', async () => {
    const error = await readFailure(source.read(t, ctx([pod('a'), pod('b')])));
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain(
      `no ${name} usage for any of the 2 target pods (is metrics-server running?)`,
    );
  });
});
