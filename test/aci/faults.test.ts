/**
 * Every injectable fault of the simulated ACI, met through the real SDK and the HTTP face: each case
 * checks the typed outcome, then that every group left behind is one the provider accounts for (listed
 * as owned), then that all of them can be deleted. The totals are printed for the closing note.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { burstGroupName } from '../../src/core/naming.ts';
import {
  ImageInaccessibleError,
  RegionsExhaustedError,
  ThrottledError,
  TransientError,
} from '../../src/aci/errors.ts';
import type { AciBurstProvider, AciProviderSettings } from '../../src/aci/provider.ts';
import type { AciModelOptions } from '../../src/sim/aci/model.ts';
import { createRequest, drive, scaler, startHarness, workerTemplate, type Harness } from './harness.ts';

interface FaultCase {
  name: string;
  model?: Partial<AciModelOptions>;
  provider?: Partial<AciProviderSettings> & { retries?: number };
  /** False when the case exercises a real limit (quota, pacing) rather than an injected fault. */
  injected?: boolean;
  run(h: Harness, p: AciBurstProvider): Promise<void>;
}

const name = (index: number): string => burstGroupName(scaler, index);
const puts = (h: Harness): number => h.face.requests.filter((r) => r.method === 'PUT').length;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const cases: FaultCase[] = [
  {
    name: 'ARM 429 on create, retried by the SDK after Retry-After',
    provider: { retries: 1 },
    async run(h, p) {
      h.model.inject({ kind: 'throttle', operation: 'create', retryAfterSeconds: 1 });
      expect(await p.create(createRequest(0))).toMatchObject({ state: 'Pending' });
      expect(h.model.calls.create).toBe(2);
    },
  },
  {
    name: 'ARM 429 on create, SDK retries spent: ThrottledError, writes held until Retry-After',
    async run(h, p) {
      h.model.inject({ kind: 'throttle', operation: 'create', retryAfterSeconds: 7 });
      const error = await rejection(p.create(createRequest(0)));
      expect(error).toBeInstanceOf(ThrottledError);
      expect(error).toMatchObject({ retryAfterMs: 7000, source: 'azure', reason: 'Throttled' });
      const held = await rejection(p.create(createRequest(1)));
      expect(held).toMatchObject({ code: 'SpillwayHeld', source: 'azure' });
      expect(puts(h)).toBe(1);
      h.clock.advance(7000);
      expect(await p.create(createRequest(0))).toMatchObject({ region: 'eastus' });
    },
  },
  {
    name: '409 ServiceUnavailable in the first region: fails over to the next',
    async run(h, p) {
      h.model.inject({ kind: 'capacity', region: 'eastus' });
      expect(await p.create(createRequest(0))).toMatchObject({ region: 'eastus2', priority: 'Regular' });
      expect(h.logs.some((l) => l.message === 'create failed, trying the next option')).toBe(true);
    },
  },
  {
    name: '409 ServiceUnavailable in every region: RegionsExhausted (CapacityUnavailable), nothing created',
    async run(h, p) {
      h.model.inject({ kind: 'capacity', times: Infinity });
      const error = await rejection(p.create(createRequest(0)));
      expect(error).toBeInstanceOf(RegionsExhaustedError);
      expect(error).toMatchObject({ reason: 'CapacityUnavailable' });
      expect((error as RegionsExhaustedError).attempts.map((a) => a.region)).toEqual(['eastus', 'eastus2']);
      expect(h.model.inventory()).toEqual([]);
    },
  },
  {
    name: 'core quota reached in the first region: fails over',
    injected: false,
    model: { regions: { eastus: { standardCores: 1 }, eastus2: {} } },
    async run(_h, p) {
      expect(await p.create(createRequest(0))).toMatchObject({ region: 'eastus' });
      expect(await p.create(createRequest(1))).toMatchObject({ region: 'eastus2' });
    },
  },
  {
    name: 'group quota reached everywhere: RegionsExhausted (QuotaExceeded) with the numbers',
    injected: false,
    model: { regions: { eastus: { containerGroups: 1 }, eastus2: { containerGroups: 1 } } },
    async run(h, p) {
      await p.create(createRequest(0));
      await p.create(createRequest(1));
      const error = await rejection(p.create(createRequest(2)));
      expect(error).toMatchObject({ reason: 'QuotaExceeded' });
      expect(error.message).toContain(
        'quota ContainerGroups exceeded in eastus (limit 1, used 1, requested 1)',
      );
      expect(h.model.inventory()).toHaveLength(2);
    },
  },
  {
    name: 'Spot capacity gone: falls back to Regular in the same region',
    async run(h, p) {
      h.model.inject({ kind: 'capacity', priority: 'Spot', times: Infinity });
      const replica = await p.create(createRequest(0, { priority: 'Spot', spotFallbackToRegular: true }));
      expect(replica).toMatchObject({ region: 'eastus', priority: 'Regular' });
    },
  },
  {
    name: 'Spot capacity gone and no fallback allowed: RegionsExhausted, Spot only',
    async run(h, p) {
      h.model.inject({ kind: 'capacity', priority: 'Spot', times: Infinity });
      const error = await rejection(
        p.create(createRequest(0, { priority: 'Spot', spotFallbackToRegular: false })),
      );
      expect((error as RegionsExhaustedError).attempts.map((a) => `${a.region}/${a.priority}`)).toEqual([
        'eastus/Spot',
        'eastus2/Spot',
      ]);
      expect(h.model.inventory()).toEqual([]);
    },
  },
  {
    name: 'Spot core quota is zero: falls back to Regular',
    injected: false,
    model: { regions: { eastus: { spotCores: 0 }, eastus2: { spotCores: 0 } } },
    async run(_h, p) {
      const replica = await p.create(createRequest(0, { priority: 'Spot', spotFallbackToRegular: true }));
      expect(replica).toMatchObject({ region: 'eastus', priority: 'Regular' });
    },
  },
  {
    name: 'inaccessible image (create returns once accepted): the replica turns Failed with InaccessibleImage',
    async run(h, p) {
      h.model.inject({ kind: 'inaccessible-image' });
      expect(await p.create(createRequest(0))).toMatchObject({ state: 'Pending' });
      h.clock.advance(10_000);
      expect(await p.list(scaler)).toMatchObject([
        { state: 'Failed', failureReason: 'InaccessibleImage', ready: false },
      ]);
    },
  },
  {
    name: 'inaccessible image (create waits): the failed long-running operation becomes ImageInaccessibleError',
    provider: { waitFor: 'provisioned' },
    async run(h, p) {
      h.model.inject({ kind: 'inaccessible-image', image: workerTemplate().spec!.containers[0]!.image! });
      const error = await rejection(drive(p.create(createRequest(0)), h.clock));
      expect(error).toBeInstanceOf(ImageInaccessibleError);
      expect(error).toMatchObject({ code: 'InaccessibleImage', region: 'eastus' });
      expect(error.message).toContain('is not accessible. Please check the image and registry credential.');
      expect(await p.list(scaler)).toMatchObject([{ state: 'Failed', failureReason: 'InaccessibleImage' }]);
    },
  },
  {
    name: '500 on create, retried by the SDK',
    provider: { retries: 2 },
    async run(h, p) {
      h.model.inject({ kind: 'transient', operation: 'create' });
      expect(await p.create(createRequest(0))).toMatchObject({ region: 'eastus' });
      expect(h.model.calls.create).toBe(2);
    },
  },
  {
    name: '500 on create, SDK retries spent: TransientError, nothing created, the next try succeeds',
    async run(h, p) {
      h.model.inject({ kind: 'transient', operation: 'create' });
      expect(await rejection(p.create(createRequest(0)))).toBeInstanceOf(TransientError);
      expect(h.model.inventory()).toEqual([]);
      expect(await p.create(createRequest(0))).toMatchObject({ state: 'Pending' });
    },
  },
  {
    name: '500 on the existence check before a create: TransientError and no PUT',
    async run(h, p) {
      h.model.inject({ kind: 'transient', operation: 'get' });
      expect(await rejection(p.create(createRequest(0)))).toBeInstanceOf(TransientError);
      expect(puts(h)).toBe(0);
      await p.create(createRequest(0));
    },
  },
  {
    name: 'response lost after the PUT (500 on the operation poll): the retry adopts the group, no duplicate',
    provider: { waitFor: 'provisioned' },
    async run(h, p) {
      h.model.inject({ kind: 'transient', operation: 'poll' });
      expect(await rejection(drive(p.create(createRequest(0)), h.clock))).toBeInstanceOf(TransientError);
      expect(h.model.inventory()).toHaveLength(1);
      expect(await drive(p.create(createRequest(0)), h.clock)).toMatchObject({ name: name(0) });
      expect(puts(h)).toBe(1);
    },
  },
  {
    name: '500 on delete: TransientError, the group stays listed, the retry deletes it',
    async run(h, p) {
      await p.create(createRequest(0));
      h.model.inject({ kind: 'transient', operation: 'delete' });
      expect(await rejection(p.delete(name(0)))).toBeInstanceOf(TransientError);
      expect(await p.list(scaler)).toHaveLength(1);
      await p.delete(name(0));
      expect(h.model.inventory()).toEqual([]);
    },
  },
  {
    name: '429 on delete: ThrottledError, writes held (no request), deleted after Retry-After',
    async run(h, p) {
      await p.create(createRequest(0));
      h.model.inject({ kind: 'throttle', operation: 'delete', retryAfterSeconds: 5 });
      expect(await rejection(p.delete(name(0)))).toMatchObject({ retryAfterMs: 5000 });
      const deletes = h.model.calls.delete;
      expect(await rejection(p.delete(name(0)))).toMatchObject({ code: 'SpillwayHeld' });
      expect(h.model.calls.delete).toBe(deletes);
      h.clock.advance(5000);
      await p.delete(name(0));
    },
  },
  {
    name: '500 on list: TransientError',
    async run(h, p) {
      await p.create(createRequest(0));
      h.model.inject({ kind: 'transient', operation: 'list' });
      expect(await rejection(p.list(scaler))).toBeInstanceOf(TransientError);
    },
  },
  {
    name: '429 on the drain tag: ThrottledError, the drain is recorded on the retry',
    async run(h, p) {
      await p.create(createRequest(0));
      h.model.inject({ kind: 'throttle', operation: 'update', retryAfterSeconds: 2 });
      expect(await rejection(p.markDraining(name(0), h.clock.now()))).toBeInstanceOf(ThrottledError);
      h.clock.advance(2000);
      await p.markDraining(name(0), h.clock.now());
      expect((await p.list(scaler))[0]!.drainingSince).toBe(h.clock.now());
    },
  },
  {
    name: 'local pacing: a region’s create budget is spent, the next region takes over, then creates are paced',
    injected: false,
    provider: { createLimits: [{ count: 2, perSeconds: 300 }] },
    async run(h, p) {
      const regions = [];
      for (const index of [0, 1, 2, 3]) regions.push((await p.create(createRequest(index))).region);
      expect(regions).toEqual(['eastus', 'eastus', 'eastus2', 'eastus2']);
      const before = puts(h);
      const error = await rejection(p.create(createRequest(4)));
      expect(error).toMatchObject({ reason: 'Throttled' });
      expect(puts(h)).toBe(before);
    },
  },
  {
    name: '500 on the quota read: quota() says unknown and logs why',
    async run(h, p) {
      h.model.inject({ kind: 'transient', operation: 'usage' });
      expect(await p.quota('eastus')).toBeUndefined();
      expect(h.logs.some((l) => l.message === 'could not read ACI quota')).toBe(true);
    },
  },
];

const tally = { tried: 0, leaked: 0, left: 0 };
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

afterAll(() => {
  // For the closing note.
  console.log(
    `ACI fault cases: ${tally.tried} tried, ${tally.leaked} groups leaked, ${tally.left} left after cleanup`,
  );
  expect(tally.tried).toBe(cases.length);
  expect(tally.leaked).toBe(0);
});

describe('injected faults, through the SDK and the HTTP face', () => {
  it.each(cases)('$name', async (c) => {
    h = await startHarness(c.model ?? {});
    const provider = h.provider(c.provider ?? {});
    await c.run(h, provider);
    if (c.injected !== false) expect(h.model.fired.length).toBeGreaterThan(0);

    // Nothing leaked: every group that exists is one a fresh provider lists as owned.
    h.model.clearFaults();
    const fresh = h.provider();
    const owned = new Set((await fresh.listOwned()).map((r) => r.name));
    const leaked = h.model.inventory().filter((g) => !owned.has(g.name));
    tally.tried += 1;
    tally.leaked += leaked.length;
    expect(leaked).toEqual([]);
    h.clock.advance(600_000); // past any Retry-After hold and pacing window
    for (const groupName of owned) await fresh.delete(groupName);
    tally.left += h.model.inventory().length;
    expect(h.model.inventory()).toEqual([]);
  });
});
