import { describe, expect, it } from 'vitest';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { Clock } from '../../ports.ts';
import type { SimAciError } from './model.ts';
import { AciModel, cloneData, type AciModelOptions } from './model.ts';
import { SeededRandom, sample } from './rng.ts';

function manualClock(start = Date.parse('2026-11-02T08:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: () => Promise.resolve(),
    advance(ms) {
      now += ms;
    },
  };
}

const fixed = {
  scheduleLatency: { kind: 'fixed', seconds: 2 },
  pullLatency: { kind: 'fixed', seconds: 10 },
  startLatency: { kind: 'fixed', seconds: 3 },
} as const;

function spec(overrides: Partial<ContainerGroup> = {}, cpu = 1, memoryInGB = 2): ContainerGroup {
  return {
    location: 'eastus',
    osType: 'Linux',
    tags: { owner: 'test' },
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/app:1',
        resources: { requests: { cpu, memoryInGB } },
        environmentVariables: [
          { name: 'PLAIN', value: 'visible' },
          { name: 'SECRET', secureValue: 'sv-hidden-1234' },
        ],
      },
    ],
    imageRegistryCredentials: [
      { server: 'registry.example.com', username: 'robot', password: 'pw-hidden-5678' },
    ],
    volumes: [{ name: 'files', secret: { 'a.txt': 'c2VjcmV0' } }],
    ...overrides,
  };
}

function model(options: Partial<AciModelOptions> = {}) {
  const clock = manualClock();
  return { clock, model: new AciModel({ clock, ...fixed, ...options }) };
}

function thrown(fn: () => unknown): SimAciError {
  try {
    fn();
  } catch (error) {
    return error as SimAciError;
  }
  throw new Error('expected a SimAciError');
}

describe('AciModel', () => {
  it('walks Pending → Creating → Succeeded with Pulling, Pulled and Started events', () => {
    const { clock, model: m } = model();
    const { group, operationId, created } = m.createOrUpdate('rg', 'g1', spec());
    expect([created, group.provisioningState]).toEqual([true, 'Pending']);
    const states = [m.get('rg', 'g1').provisioningState];
    for (const step of [2000, 10_000, 3000]) {
      clock.advance(step);
      states.push(m.get('rg', 'g1').provisioningState);
    }
    expect(states).toEqual(['Pending', 'Creating', 'Creating', 'Succeeded']); // t = 0, 2, 12, 15 s
    const view = m.get('rg', 'g1');
    expect(view.containers[0]!.instanceView?.events?.map((e) => e.name)).toEqual([
      'Pulling',
      'Pulled',
      'Started',
    ]);
    expect(view.containers[0]!.instanceView?.currentState).toMatchObject({ state: 'Running' });
    expect(m.operationStatus(operationId)).toMatchObject({ status: 'Succeeded' });
  });

  it('never returns secure values, registry passwords or secret files', () => {
    const { model: m } = model();
    m.createOrUpdate('rg', 'g1', spec());
    const text = JSON.stringify([m.get('rg', 'g1'), m.list('rg'), m.delete('rg', 'g1')]);
    for (const secret of ['sv-hidden-1234', 'pw-hidden-5678', 'c2VjcmV0']) expect(text).not.toContain(secret);
    expect(text).toContain('visible');
  });

  it('bills per second from the start of the pull until delete, Spot at its ratio', () => {
    const { clock, model: m } = model();
    m.createOrUpdate('rg', 'regular', spec({}, 2, 4));
    m.createOrUpdate('rg', 'spot', spec({ priority: 'Spot' }, 2, 4));
    clock.advance(62_000);
    m.delete('rg', 'regular');
    m.delete('rg', 'spot');
    clock.advance(3600_000);
    const perSecond = (2 * 0.0405 + 4 * 0.00445) / 3600;
    const billing = m.billing();
    expect(billing.replicaSeconds).toBe(120); // 2 groups × (62 s − 2 s before the pull)
    expect(billing.vcpuSeconds).toBe(240);
    expect(billing.costUSD).toBeCloseTo(60 * perSecond * 1.3, 12);
  });

  it.each([{ askedEvery: 0 }, { askedEvery: 1000 }, { askedEvery: 7000 }])(
    'gives the same totals to the bit whether or not the meter was read along the way (every $askedEvery ms)',
    ({ askedEvery }) => {
      const { clock, model: m } = model();
      for (let i = 0; i < 40; i++) {
        m.createOrUpdate('rg', `g${i}`, spec({ priority: i % 3 === 0 ? 'Spot' : 'Regular' }, 1 + (i % 3)));
        for (let t = 0; t < 9000; t += 1000) {
          clock.advance(1000);
          if (askedEvery > 0 && (i * 9000 + t) % askedEvery === 0) m.billing();
        }
        if (i >= 5) m.delete('rg', `g${i - 5}`);
      }
      clock.advance(60_000);
      expect(m.billing()).toEqual({
        costUSD: 0.048139777777777754,
        replicaSeconds: 2245,
        vcpuSeconds: 4456,
        gbSeconds: 4490,
      });
    },
  );

  it('stops billing on stop and resumes with a new run on start', () => {
    const { clock, model: m } = model();
    m.createOrUpdate('rg', 'g', spec());
    clock.advance(20_000);
    m.stop('rg', 'g');
    clock.advance(100_000);
    expect(m.billing().replicaSeconds).toBe(18);
    expect(m.get('rg', 'g').instanceView?.state).toBe('Stopped');
    m.startGroup('rg', 'g');
    clock.advance(20_000);
    expect(m.billing().replicaSeconds).toBe(36);
    expect(m.get('rg', 'g').provisioningState).toBe('Succeeded');
  });

  it('fails an inaccessible image asynchronously, billing only the failed pull', () => {
    const { clock, model: m } = model({ inaccessibleImages: ['registry.example.com/app:1'] });
    const { operationId } = m.createOrUpdate('rg', 'g', spec());
    expect(m.operationStatus(operationId)?.status).toBe('InProgress');
    clock.advance(60_000);
    expect(m.operationStatus(operationId)).toMatchObject({
      status: 'Failed',
      error: {
        code: 'InaccessibleImage',
        message:
          "The image 'registry.example.com/app:1' in container group 'g' is not accessible. Please check the image and registry credential.",
      },
    });
    const view = m.get('rg', 'g');
    expect(view.provisioningState).toBe('Failed');
    expect(view.containers[0]!.instanceView?.events?.map((e) => e.name)).toEqual([
      'Pulling',
      'Failed',
      'BackOff',
    ]);
    expect(m.billing().replicaSeconds).toBe(5);
  });

  it.each([
    { at: 0, state: 'Pending' },
    { at: 2000, state: 'Creating' },
    { at: 14_999, state: 'Creating' },
    { at: 15_000, state: 'Running' },
    { at: 15_000, stop: true, state: 'Stopped' },
    { at: 15_000, remove: true, state: undefined },
    { at: 7000, image: 'registry.example.com/missing:1', state: 'Failed' },
  ])(
    'stateOf and stateCounts tell the states inventory() reports, $state at $at ms',
    ({ at, state, stop, remove, image }) => {
      const { clock, model: m } = model({ inaccessibleImages: ['registry.example.com/missing:1'] });
      const group = spec();
      if (image) group.containers[0]!.image = image;
      m.createOrUpdate('rg', 'g', group);
      m.createOrUpdate('other', 'g', spec());
      clock.advance(at);
      if (stop) m.stop('rg', 'g');
      if (remove) m.delete('rg', 'g');
      const listed = m.inventory().find((g) => g.resourceGroup === 'rg' && g.name === 'g');
      expect([m.stateOf('rg', 'g'), m.stateOf('RG', 'g')]).toEqual([state, state]);
      expect(m.stateOf('rg', 'g')).toBe(listed?.state);
      expect(m.stateOf('rg', 'absent')).toBeUndefined();
      const counts = { Pending: 0, Creating: 0, Running: 0, Failed: 0, Stopped: 0 };
      for (const g of m.inventory()) counts[g.state as keyof typeof counts] += 1;
      expect(m.stateCounts()).toEqual(counts);
    },
  );

  it.each([
    { at: 0, then: 0, reused: true }, // Pending, pull starts at 2 s
    { at: 0, then: 1999, reused: true },
    { at: 0, then: 2000, reused: false },
    { at: 2000, then: 9999, reused: true }, // pulling until 12 s
    { at: 2000, then: 10_000, reused: false },
    { at: 12_000, then: 2999, reused: true }, // container creating until 15 s
    { at: 12_000, then: 3000, reused: false },
    { at: 15_000, then: 3_600_000, reused: true }, // Running, every event past
    { at: 15_000, then: 0, change: 'tags', reused: false },
    { at: 15_000, then: 0, change: 'stop', reused: false },
    { at: 15_000, then: 0, change: 'start', reused: false },
    { at: 15_000, then: 0, change: 'put', reused: false },
    { at: 20_000, then: 3_600_000, change: 'stop', reused: true, again: true }, // Stopped
    { at: 6000, then: 999, image: 'registry.example.com/missing:1', reused: true }, // failing at 7 s
    { at: 6000, then: 1000, image: 'registry.example.com/missing:1', reused: false },
    { at: 7000, then: 3_600_000, image: 'registry.example.com/missing:1', reused: true }, // Failed
  ])(
    'listShared equals list() and hands out the same view again until time or a change alters it: $at ms + $then ms $change',
    ({ at, then, change, image, reused, again }) => {
      const { clock, model: m } = model({ inaccessibleImages: ['registry.example.com/missing:1'] });
      const group = spec();
      if (image) group.containers[0]!.image = image;
      m.createOrUpdate('rg', 'g', group);
      m.createOrUpdate('other', 'h', spec());
      clock.advance(at);
      if (again && change === 'stop') m.stop('rg', 'g');
      const first = m.listShared('rg')[0]!;
      expect(first).toEqual(m.list('rg')[0]);
      if (!again) {
        if (change === 'tags') m.updateTags('rg', 'g', { owner: 'someone-else' });
        if (change === 'stop' || change === 'start') m.stop('rg', 'g');
        if (change === 'start') m.startGroup('rg', 'g');
        if (change === 'put') m.createOrUpdate('rg', 'g', spec({ tags: { owner: 'again' } }));
      }
      clock.advance(then);
      const second = m.listShared('rg');
      expect(second).toEqual(m.list('rg'));
      expect(second[0] === first).toBe(reused);
      expect(m.listShared().map((g) => g.name)).toEqual(['g', 'h']);
    },
  );

  it('enforces regional quotas with ARM’s message, and reports usage', () => {
    const { model: m } = model({ regions: { eastus: { standardCores: 4, containerGroups: 10 } } });
    m.createOrUpdate('rg', 'a', spec({}, 1.5));
    m.createOrUpdate('rg', 'b', spec({}, 1.5));
    const error = thrown(() => m.createOrUpdate('rg', 'c', spec({}, 2)));
    expect([error.statusCode, error.code]).toEqual([400, 'ContainerGroupQuotaReached']);
    expect(error.message).toBe(
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'eastus'. Limit: '4', Usage: '3' Requested: '2'.",
    );
    expect(m.usage('eastus').map((u) => [u.name?.value, u.currentValue, u.limit])).toEqual([
      ['ContainerGroups', 2, 10],
      ['StandardCores', 3, 4],
      ['StandardSpotCores', 0, 10],
    ]);
  });

  it('runs out of capacity with 409 ServiceUnavailable', () => {
    const { model: m } = model({ regions: { eastus: { capacityCores: 2 } } });
    m.createOrUpdate('rg', 'a', spec({}, 2));
    const error = thrown(() => m.createOrUpdate('rg', 'b', spec({}, 1)));
    expect([error.statusCode, error.code]).toEqual([409, 'ServiceUnavailable']);
    expect(error.message).toContain("is not available in the location 'eastus' at this moment");
  });

  it.each([
    ['an invalid name', 'Bad_Name', spec(), 'InvalidResourceName'],
    ['an unknown region', 'g', spec({ location: 'marsnorth' }), 'LocationNotAvailableForResourceType'],
    [
      'limits below requests',
      'g',
      spec({
        containers: [
          { name: 'a', image: 'x', resources: { requests: { cpu: 2, memoryInGB: 1 }, limits: { cpu: 1 } } },
        ],
      }),
      'ResourceLimitsLessThanRequests',
    ],
    [
      'Spot in a subnet',
      'g',
      spec({ priority: 'Spot', subnetIds: [{ id: '/subscriptions/s/x' }] }),
      'InvalidRequestContent',
    ],
    ['Spot above 4 vCPU', 'g', spec({ priority: 'Spot' }, 6, 4), 'InvalidRequestContent'],
    ['a group above 31 vCPU', 'g', spec({}, 32, 4), 'InvalidRequestContent'],
  ])('rejects %s', (_what, groupName, body, code) => {
    const { model: m } = model();
    expect(thrown(() => m.createOrUpdate('rg', groupName, body)).code).toBe(code);
    expect(m.inventory()).toEqual([]);
  });

  it('fires injected faults the number of times asked, then stops', () => {
    const { model: m } = model();
    m.inject({ kind: 'throttle', operation: 'get', retryAfterSeconds: 9, times: 2 });
    m.createOrUpdate('rg', 'g', spec());
    const first = thrown(() => m.get('rg', 'g'));
    expect([first.statusCode, first.code, first.retryAfterSeconds]).toEqual([429, 'TooManyRequests', 9]);
    expect(thrown(() => m.get('rg', 'g')).statusCode).toBe(429);
    expect(m.get('rg', 'g').name).toBe('g');
    m.inject({ kind: 'transient', times: Infinity });
    expect(thrown(() => m.list()).statusCode).toBe(500);
    expect(thrown(() => m.usage('eastus')).statusCode).toBe(500);
    m.clearFaults();
    expect(m.list()).toHaveLength(1);
    expect(m.fired.map((f) => `${f.kind}/${f.operation}`)).toEqual([
      'throttle/get',
      'throttle/get',
      'transient/list',
      'transient/usage',
    ]);
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const timeline = (seed: number): number[] => {
      const clock = manualClock();
      const m = new AciModel({ clock, seed });
      for (let i = 0; i < 20; i++) m.createOrUpdate('rg', `g${i}`, spec({}, 0.5, 1));
      const ready: number[] = [];
      for (let s = 0; s < 200; s++) {
        clock.advance(1000);
        ready.push(m.list('rg').filter((g) => g.provisioningState === 'Succeeded').length);
      }
      return ready;
    };
    expect(timeline(7)).toEqual(timeline(7));
    expect(timeline(7)).not.toEqual(timeline(8));
  });

  it('draws log-normal start latencies around the configured median, capped', () => {
    const random = new SeededRandom(42);
    const draws = Array.from({ length: 4001 }, () =>
      sample({ kind: 'lognormal', medianSeconds: 12, sigma: 0.5, maxSeconds: 60 }, random),
    ).sort((a, b) => a - b);
    expect(draws[2000]).toBeGreaterThan(11);
    expect(draws[2000]).toBeLessThan(13);
    expect(draws.at(-1)).toBeLessThanOrEqual(60);
    expect(draws[0]).toBeGreaterThan(0);
  });

  it('rejects latency settings that cannot work, naming the field', () => {
    const clock = manualClock();
    expect(
      () => new AciModel({ clock, pullLatency: { kind: 'uniform', minSeconds: 5, maxSeconds: 1 } }),
    ).toThrow('pullLatency: need 0 ≤ minSeconds ≤ maxSeconds, got 5..1');
    expect(() => new AciModel({ clock, seed: 1.5 })).toThrow('seed: must be a whole number');
  });
});

describe('cloneData', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  it.each([
    {
      case: 'a container resource',
      value: { requests: { cpu: 1, memoryInGB: 1.5, gpu: { count: 1, sku: 'K80' } } },
    },
    {
      case: 'arrays and nulls',
      value: { ports: [{ port: 80, protocol: 'TCP' }], x: null, y: [1, [2, [3]]] },
    },
    { case: 'an undefined member', value: { name: 'a', value: undefined } },
    { case: 'a Date inside', value: { at: new Date(0), list: [new Date(1000)] } },
    { case: 'a class instance', value: { error: new RangeError('x') } },
    { case: 'a cycle', value: cyclic },
  ])('copies $case as structuredClone does, sharing nothing', ({ value }) => {
    const copy = cloneData(value);
    expect(copy).toEqual(structuredClone(value));
    expect(copy).not.toBe(value);
    expect(Object.keys(copy)).toEqual(Object.keys(value));
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (typeof member === 'object' && member !== null) expect(copy[key]).not.toBe(member);
    }
  });
});
