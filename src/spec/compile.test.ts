import { describe, expect, it } from 'vitest';
import type { Policy } from '../core/types.ts';
import type { BurstScalerObject } from '../ports.ts';
import { compilePolicy } from './compile.ts';
import { SpecValidationError, type SpecIssue } from './errors.ts';
import { exampleBurstScaler } from './example.ts';
import { newAjv, toPlainSchema } from './validate.ts';
import { BurstScalerSpecSchema } from './schema.ts';

const GUID = '11111111-2222-3333-4444-555555555555';
const SUBNET = `/subscriptions/${GUID}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci`;

/** The smallest valid spec: everything else defaults. */
const minimalSpec = () => ({
  targetRef: { name: 'orders-worker' },
  maxReplicas: 10,
  burst: { aci: { subscriptionId: GUID, resourceGroup: 'shop-burst', regions: ['eastus'] } },
});

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   the tests write deliberately ill-typed specs, so they edit them as untyped JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const QUEUE_TRIGGER = {
  type: 'azure-storage-queue',
  metadata: { queueName: 'orders', accountName: 'shopdata', targetPerReplica: '30' },
};

const manifest = (spec: unknown): BurstScalerObject => ({
  apiVersion: 'spillway.io/v1alpha1',
  kind: 'BurstScaler',
  metadata: { name: 'orders-worker', namespace: 'shop', uid: 'uid-1', generation: 7 },
  spec,
});

/** Compiles a spec mutated from the minimal one. */
const compileWith = (mutate: (spec: Json) => void): Policy => {
  const spec: Json = minimalSpec();
  mutate(spec);
  return compilePolicy(manifest(spec));
};

/** The issues compilePolicy reports for a mutated minimal spec (fails the test if it compiles). */
const issuesOf = (mutate: (spec: Json) => void): readonly SpecIssue[] => {
  try {
    compileWith(mutate);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    return (error as SpecValidationError).issues;
  }
  throw new Error('expected the spec to be rejected');
};

const EXPECTED_DEFAULTED: Policy = {
  key: { namespace: 'shop', name: 'orders-worker', uid: 'uid-1' },
  generation: 7,
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-worker' },
  minReplicas: 1,
  maxReplicas: 10,
  triggers: [],
  pendingPods: { enabled: true, graceSeconds: 20 },
  behavior: {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
      tolerance: 0.1,
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      tolerance: 0.1,
    },
  },
  burst: {
    provider: 'aci',
    aci: {
      subscriptionId: GUID,
      resourceGroup: 'shop-burst',
      regions: ['eastus'],
      priority: 'Regular',
      spotFallbackToRegular: true,
    },
    maxBurstReplicas: 100,
    drain: { gracePeriodSeconds: 30, minBurstLifetimeSeconds: 60, scaleDownStabilizationSeconds: 0 },
  },
  cost: {
    vm: {
      nodeHourlyUSD: 0.192,
      discountPercent: 0,
      nodeVCPU: 4,
      nodeMemoryGiB: 16,
      reservedPercent: 15,
      provisionSeconds: 300,
      minNodeLifetimeSeconds: 600,
      packingPercent: 85,
    },
    aci: { vcpuSecondUSD: 0.00001125, gbSecondUSD: 0.000001236, startSeconds: 45, spotPriceRatio: 0.3 },
    budget: {},
  },
  schedules: [],
};

describe('compilePolicy: defaults', () => {
  it('fills every default of a minimal spec (HPA behavior, pending pods, drain, cost, provider)', () => {
    expect(compilePolicy(manifest(minimalSpec()))).toEqual(EXPECTED_DEFAULTED);
  });

  it('agrees with the defaults the API server applies from the CRD schema', () => {
    // The API server fills `default`s top-down (an absent object gets {} and then its fields' defaults).
    const ajv = newAjv({ useDefaults: true });
    const defaulted = minimalSpec();
    expect(ajv.validate(toPlainSchema(BurstScalerSpecSchema), defaulted)).toBe(true);
    expect(defaulted).toHaveProperty('behavior.scaleDown.stabilizationWindowSeconds', 300);
    expect(compilePolicy(manifest(defaulted))).toEqual(EXPECTED_DEFAULTED);
  });

  it.each<[string, (spec: Json) => void, (policy: Policy) => unknown, unknown]>([
    [
      'scaleUp with only a window keeps the default policies and Max',
      (s) => (s.behavior = { scaleUp: { stabilizationWindowSeconds: 60 } }),
      (p) => p.behavior.scaleUp,
      { ...EXPECTED_DEFAULTED.behavior.scaleUp, stabilizationWindowSeconds: 60 },
    ],
    [
      'scaleDown with policies keeps the default window, selectPolicy and tolerance',
      (s) => (s.behavior = { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } }),
      (p) => p.behavior.scaleDown,
      {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
        tolerance: 0.1,
      },
    ],
    [
      'a per-direction tolerance applies to that direction only',
      (s) => (s.behavior = { scaleDown: { tolerance: 0.05 } }),
      (p) => [p.behavior.scaleUp.tolerance, p.behavior.scaleDown.tolerance],
      [0.1, 0.05],
    ],
    [
      'selectPolicy Disabled is kept',
      (s) => (s.behavior = { scaleDown: { selectPolicy: 'Disabled' } }),
      (p) => p.behavior.scaleDown.selectPolicy,
      'Disabled',
    ],
    ['minReplicas 0 (scale to zero) is kept', (s) => (s.minReplicas = 0), (p) => p.minReplicas, 0],
    [
      'partial cost.vm keeps the other defaults',
      (s) => (s.cost = { vm: { discountPercent: 40 } }),
      (p) => [p.cost.vm.discountPercent, p.cost.vm.nodeHourlyUSD, p.cost.aci.startSeconds],
      [40, 0.192, 45],
    ],
    [
      'a schedule defaults its time zone to UTC',
      (s) => (s.schedules = [{ cron: '0 8 * * 1-5', durationMinutes: 60, minReplicas: 5 }]),
      (p) => p.schedules,
      [{ cron: '0 8 * * 1-5', durationMinutes: 60, minReplicas: 5, timezone: 'UTC' }],
    ],
    [
      'an unnamed trigger is named <type>-<index> and keeps its index',
      (s) =>
        (s.triggers = [
          { type: 'cpu', name: 'busy', metadata: { value: '70' } },
          { type: 'prometheus', metadata: { targetPerReplica: '50', query: 'up' } },
        ]),
      (p) => p.triggers.map((t) => [t.name, t.index]),
      [
        ['busy', 0],
        ['prometheus-1', 1],
      ],
    ],
    [
      'a KEDA-style metadata.name names the trigger',
      (s) => (s.triggers = [{ type: 'prometheus', metadata: { name: 'http-rate', threshold: '50' } }]),
      (p) => p.triggers[0]?.name,
      'http-rate',
    ],
    [
      'name and metadata.name may agree',
      (s) => (s.triggers = [{ type: 'prometheus', name: 'rps', metadata: { name: 'rps', threshold: '50' } }]),
      (p) => p.triggers[0]?.name,
      'rps',
    ],
    [
      'an authenticationRef defaults to kind Secret',
      (s) =>
        (s.triggers = [
          { type: 'redis-list', metadata: { listLength: '5' }, authenticationRef: { name: 'redis-auth' } },
        ]),
      (p) => p.triggers[0]?.authenticationRef,
      { name: 'redis-auth', kind: 'Secret' },
    ],
    [
      'Spot without a subnet keeps spotFallbackToRegular true',
      (s) => (s.burst.aci.priority = 'Spot'),
      (p) => [p.burst.aci.priority, p.burst.aci.spotFallbackToRegular],
      ['Spot', true],
    ],
    [
      'a budget is carried when set',
      (s) => (s.cost = { budget: { maxBurstUSDPerHour: 0 } }),
      (p) => p.cost.budget,
      { maxBurstUSDPerHour: 0 },
    ],
  ])('%s', (_name, mutate, pick, expected) => {
    expect(pick(compileWith(mutate))).toEqual(expected);
  });

  it('compiles the example from DESIGN.md', () => {
    const policy = compilePolicy({
      ...exampleBurstScaler,
      metadata: { ...exampleBurstScaler.metadata, uid: 'u', generation: 1 },
    });
    expect(policy.triggers.map((t) => [t.name, t.target])).toEqual([
      ['azure-storage-queue-0', { type: 'AverageValue', averageValue: 20 }],
      ['prometheus-1', { type: 'AverageValue', averageValue: 50 }],
    ]);
    expect(policy.burst.aci.regions).toEqual(['eastus', 'eastus2']);
    expect(policy.burst.maxBurstReplicas).toBe(200);
    expect(policy.cost.budget.maxBurstUSDPerHour).toBe(20);
    expect(policy.cost.aci.spotPriceRatio).toBe(0.3);
    expect(policy.fallback).toEqual({ failureThreshold: 3, replicas: 10 });
    expect(policy.schedules[0]?.timezone).toBe('Europe/Berlin');
  });

  it('compiles a service level for the queue trigger it sizes', () => {
    const policy = compileWith((s) => {
      s.triggers = [QUEUE_TRIGGER];
      s.burst.serviceLevel = { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 0.5 };
    });
    expect(policy.burst.serviceLevel).toEqual({ maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 0.5 });
    expect(compileWith((s) => (s.triggers = [QUEUE_TRIGGER])).burst.serviceLevel).toBeUndefined();
  });

  it('neither modifies its input nor shares objects with the defaults', () => {
    const input = manifest(minimalSpec());
    const frozen = deepFreeze(structuredClone(input));
    const first = compilePolicy(frozen);
    expect(frozen).toEqual(input);
    first.behavior.scaleUp.policies.push({ type: 'Pods', value: 1, periodSeconds: 1 });
    first.cost.vm.nodeVCPU = 99;
    expect(compilePolicy(frozen)).toEqual(EXPECTED_DEFAULTED);
  });
});

describe('compilePolicy: shape errors name the field and say what is allowed', () => {
  it.each<[string, (spec: Json) => void, SpecIssue]>([
    [
      'a target that is not a number (the issue example)',
      (s) =>
        (s.triggers = [
          { type: 'cpu', metadata: { value: '50' } },
          { type: 'azure-storage-queue', metadata: { queueName: 'q', targetPerReplica: 'abc' } },
        ]),
      { path: 'spec.triggers[1].metadata.targetPerReplica', message: 'must be a positive number, got "abc"' },
    ],
    [
      'a negative count',
      (s) => (s.minReplicas = -1),
      { path: 'spec.minReplicas', message: 'must be at least 0, got -1' },
    ],
    [
      'a number written as a string',
      (s) => (s.maxReplicas = '3'),
      { path: 'spec.maxReplicas', message: 'must be an integer, got "3"' },
    ],
    [
      'a fraction where a count is expected',
      (s) => (s.maxReplicas = 2.5),
      { path: 'spec.maxReplicas', message: 'must be an integer, got 2.5' },
    ],
    [
      'a missing required field',
      (s) => delete s.maxReplicas,
      { path: 'spec.maxReplicas', message: 'is required' },
    ],
    [
      'a service level without its rate',
      (s) => ((s.triggers = [QUEUE_TRIGGER]), (s.burst.serviceLevel = { maxQueueWaitSeconds: 60 })),
      { path: 'spec.burst.serviceLevel.messagesPerSecondPerReplica', message: 'is required' },
    ],
    [
      'a service level with a wait of 0 s',
      (s) => (
        (s.triggers = [QUEUE_TRIGGER]),
        (s.burst.serviceLevel = { maxQueueWaitSeconds: 0, messagesPerSecondPerReplica: 1 })
      ),
      { path: 'spec.burst.serviceLevel.maxQueueWaitSeconds', message: 'must be at least 1, got 0' },
    ],
    [
      'a missing nested required field',
      (s) => delete s.burst.aci.subscriptionId,
      { path: 'spec.burst.aci.subscriptionId', message: 'is required' },
    ],
    [
      'an unknown enum value (case matters)',
      (s) => (s.burst.aci.priority = 'spot'),
      { path: 'spec.burst.aci.priority', message: 'must be one of Regular, Spot, got "spot"' },
    ],
    [
      'an unknown trigger type',
      (s) => (s.triggers = [{ type: 'kafka', metadata: {} }]),
      {
        path: 'spec.triggers[0].type',
        message:
          'must be one of azure-storage-queue, azure-service-bus, redis-list, redis-stream, rabbitmq, prometheus, cpu, memory, cron, got "kafka"',
      },
    ],
    [
      'an unknown selectPolicy',
      (s) => (s.behavior = { scaleUp: { selectPolicy: 'Maximum' } }),
      {
        path: 'spec.behavior.scaleUp.selectPolicy',
        message: 'must be one of Max, Min, Disabled, got "Maximum"',
      },
    ],
    [
      'a policy period above the HPA limit',
      (s) => (s.behavior = { scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 1801 }] } }),
      { path: 'spec.behavior.scaleUp.policies[0].periodSeconds', message: 'must be at most 1800, got 1801' },
    ],
    [
      'a policy value of zero',
      (s) => (s.behavior = { scaleDown: { policies: [{ type: 'Percent', value: 0, periodSeconds: 15 }] } }),
      { path: 'spec.behavior.scaleDown.policies[0].value', message: 'must be at least 1, got 0' },
    ],
    [
      'an empty policy list',
      (s) => (s.behavior = { scaleDown: { policies: [] } }),
      { path: 'spec.behavior.scaleDown.policies', message: 'must list at least one item' },
    ],
    [
      'a negative tolerance',
      (s) => (s.behavior = { scaleUp: { tolerance: -0.1 } }),
      { path: 'spec.behavior.scaleUp.tolerance', message: 'must be at least 0, got -0.1' },
    ],
    [
      'an unknown field, with a suggestion',
      (s) => (s.minReplica = 2),
      {
        path: 'spec.minReplica',
        message:
          'unknown field (did you mean minReplicas?); allowed fields here: behavior, burst, cost, fallback, maxReplicas, minReplicas, pendingPods, schedules, targetRef, triggers',
      },
    ],
    [
      'an unknown nested field',
      (s) => (s.burst.aci.region = 'eastus'),
      {
        path: 'spec.burst.aci.region',
        message:
          'unknown field (did you mean regions?); allowed fields here: priority, regions, resourceGroup, spotFallbackToRegular, subnetId, subscriptionId',
      },
    ],
    [
      'a number in trigger metadata (KEDA metadata is strings)',
      (s) => (s.triggers = [{ type: 'prometheus', metadata: { targetPerReplica: 20 } }]),
      { path: 'spec.triggers[0].metadata.targetPerReplica', message: 'must be a string, got 20' },
    ],
    [
      'a metadata key that is not an identifier',
      (s) => (s.triggers = [{ type: 'prometheus', metadata: { 'a.b': true } }]),
      { path: 'spec.triggers[0].metadata["a.b"]', message: 'must be a string, got true' },
    ],
    [
      'a subscription that is not a GUID',
      (s) => (s.burst.aci.subscriptionId = 'my-sub'),
      {
        path: 'spec.burst.aci.subscriptionId',
        message: 'must be a GUID such as 00000000-0000-0000-0000-000000000000, got "my-sub"',
      },
    ],
    [
      'a region display name',
      (s) => (s.burst.aci.regions = ['eastus', 'East US']),
      {
        path: 'spec.burst.aci.regions[1]',
        message: 'must be an Azure region name such as eastus (lowercase, no spaces), got "East US"',
      },
    ],
    [
      'no regions',
      (s) => (s.burst.aci.regions = []),
      { path: 'spec.burst.aci.regions', message: 'must list at least one item' },
    ],
    [
      'a trigger name with capitals',
      (s) => (s.triggers = [{ type: 'cpu', name: 'Busy', metadata: { value: '50' } }]),
      {
        path: 'spec.triggers[0].name',
        message:
          'must be lowercase letters, digits and "-", starting and ending with a letter or digit, got "Busy"',
      },
    ],
    [
      'a schedule lasting zero minutes',
      (s) => (s.schedules = [{ cron: '0 8 * * *', durationMinutes: 0, minReplicas: 1 }]),
      { path: 'spec.schedules[0].durationMinutes', message: 'must be at least 1, got 0' },
    ],
    [
      'a discount above 100 %',
      (s) => (s.cost = { vm: { discountPercent: 120 } }),
      { path: 'spec.cost.vm.discountPercent', message: 'must be at most 100, got 120' },
    ],
    [
      'a list where an object is expected',
      (s) => (s.pendingPods = [true]),
      { path: 'spec.pendingPods', message: 'must be an object, got a list of 1' },
    ],
  ])('%s', (_name, mutate, issue) => {
    expect(issuesOf(mutate)).toContainEqual(issue);
  });

  it.each<[string, unknown, SpecIssue]>([
    ['a null spec', null, { path: 'spec', message: 'must be an object, got null' }],
    ['a missing spec', undefined, { path: 'spec', message: 'must be an object, got nothing' }],
    ['a string spec', 'replicas: 3', { path: 'spec', message: 'must be an object, got "replicas: 3"' }],
  ])('rejects %s', (_name, spec, issue) => {
    expect(() => compilePolicy(manifest(spec))).toThrow(SpecValidationError);
    try {
      compilePolicy(manifest(spec));
    } catch (error) {
      expect((error as SpecValidationError).issues).toEqual([issue]);
    }
  });

  it.each<[string, (obj: Json) => void, SpecIssue]>([
    [
      'another apiVersion',
      (o) => (o.apiVersion = 'keda.sh/v1alpha1'),
      { path: 'apiVersion', message: 'must be spillway.io/v1alpha1, got "keda.sh/v1alpha1"' },
    ],
    [
      'another kind',
      (o) => (o.kind = 'ScaledObject'),
      { path: 'kind', message: 'must be BurstScaler, got "ScaledObject"' },
    ],
    [
      'no uid',
      (o) => delete o.metadata.uid,
      { path: 'metadata.uid', message: 'must be a non-empty string, got nothing' },
    ],
    [
      'a negative generation',
      (o) => (o.metadata.generation = -1),
      { path: 'metadata.generation', message: 'must be a whole number, got -1' },
    ],
  ])('checks the object around the spec: %s', (_name, mutate, issue) => {
    const obj = structuredClone(manifest(minimalSpec())) as Json;
    mutate(obj);
    expect(() => compilePolicy(obj as BurstScalerObject)).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([issue]) }),
    );
  });

  it('reports every problem at once, in a message that names the scaler and each path', () => {
    const error = catchError(() =>
      compileWith((s) => {
        s.minReplicas = -1;
        s.burst.aci.priority = 'spot';
      }),
    );
    expect(error).toBeInstanceOf(SpecValidationError);
    expect(error.message).toBe(
      'invalid BurstScaler shop/orders-worker: spec.minReplicas: must be at least 0, got -1; ' +
        'spec.burst.aci.priority: must be one of Regular, Spot, got "spot"',
    );
    expect((error as SpecValidationError).scaler).toBe('shop/orders-worker');
  });
});

describe('compilePolicy: rules across fields', () => {
  it.each<[string, (spec: Json) => void, SpecIssue[]]>([
    [
      'minReplicas above maxReplicas',
      (s) => ((s.minReplicas = 11), (s.maxReplicas = 10)),
      [{ path: 'spec.minReplicas', message: 'must be at most spec.maxReplicas (10), got 11' }],
    ],
    [
      'fallback replicas above maxReplicas',
      (s) => (s.fallback = { failureThreshold: 3, replicas: 20 }),
      [
        {
          path: 'spec.fallback.replicas',
          message: 'must be between spec.minReplicas (1) and spec.maxReplicas (10), got 20',
        },
      ],
    ],
    [
      'fallback replicas below minReplicas',
      (s) => ((s.minReplicas = 3), (s.fallback = { failureThreshold: 3, replicas: 2 })),
      [
        {
          path: 'spec.fallback.replicas',
          message: 'must be between spec.minReplicas (3) and spec.maxReplicas (10), got 2',
        },
      ],
    ],
    [
      'no demand signal at all',
      (s) => (s.pendingPods = { enabled: false }),
      [
        {
          path: 'spec.triggers',
          message:
            'at least one demand signal is required: a trigger, spec.pendingPods.enabled: true, or a schedule; got none',
        },
      ],
    ],
    [
      'two triggers with the same name',
      (s) =>
        (s.triggers = [
          { type: 'cpu', name: 'load', metadata: { value: '50' } },
          { type: 'memory', name: 'load', metadata: { value: '70' } },
        ]),
      [{ path: 'spec.triggers[1].name', message: 'duplicate trigger name "load" (also spec.triggers[0])' }],
    ],
    [
      'an unnamed trigger whose default name is taken',
      (s) =>
        (s.triggers = [
          { type: 'cpu', name: 'cpu-1', metadata: { value: '50' } },
          { type: 'cpu', metadata: { value: '70' } },
        ]),
      [
        {
          path: 'spec.triggers[1]',
          message:
            'duplicate trigger name "cpu-1" (also spec.triggers[0]); "cpu-1" is this trigger\'s default name: give one of them a name',
        },
      ],
    ],
    [
      'a metadata.name that is not a DNS label',
      (s) => (s.triggers = [{ type: 'prometheus', metadata: { name: 'HTTP rate', threshold: '5' } }]),
      [
        {
          path: 'spec.triggers[0].metadata.name',
          message:
            'must be at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "HTTP rate"',
        },
      ],
    ],
    [
      'name and metadata.name that disagree',
      (s) => (s.triggers = [{ type: 'prometheus', name: 'a', metadata: { name: 'b', threshold: '5' } }]),
      [
        {
          path: 'spec.triggers[0].metadata.name',
          message: 'conflicts with spec.triggers[0].name ("a"); give one name',
        },
      ],
    ],
    [
      "a metadata.name that repeats another trigger's name",
      (s) =>
        (s.triggers = [
          { type: 'cpu', name: 'load', metadata: { value: '50' } },
          { type: 'prometheus', metadata: { name: 'load', threshold: '5' } },
        ]),
      [{ path: 'spec.triggers[1].name', message: 'duplicate trigger name "load" (also spec.triggers[0])' }],
    ],
    [
      'a region listed twice',
      (s) => (s.burst.aci.regions = ['eastus', 'westeurope', 'eastus']),
      [
        {
          path: 'spec.burst.aci.regions[2]',
          message: 'duplicate region "eastus" (also spec.burst.aci.regions[0]); list each region once',
        },
      ],
    ],
    [
      'Spot with a subnet (ACI Spot has no VNet)',
      (s) => ((s.burst.aci.priority = 'Spot'), (s.burst.aci.subnetId = SUBNET)),
      [
        {
          path: 'spec.burst.aci.subnetId',
          message:
            'cannot be used with priority Spot: ACI Spot container groups cannot join a virtual network; remove subnetId or use priority Regular',
        },
      ],
    ],
    [
      'a subnet that is not a subnet resource ID',
      (s) => (s.burst.aci.subnetId = 'aci-subnet'),
      [
        {
          path: 'spec.burst.aci.subnetId',
          message:
            'must be a subnet resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>), got "aci-subnet"',
        },
      ],
    ],
    [
      'an EndpointSlice without a subnet',
      (s) => (s.burst.endpointSlice = { serviceName: 'orders' }),
      [
        {
          path: 'spec.burst.endpointSlice',
          message:
            'needs spec.burst.aci.subnetId: ACI replicas can serve a Service only with private IPs in the cluster’s virtual network',
        },
      ],
    ],
    [
      'a service level without a queue trigger to size',
      (s) => (s.burst.serviceLevel = { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 }),
      [
        {
          path: 'spec.burst.serviceLevel',
          message:
            'sizes the per-replica target (targetPerReplica) of a queue trigger (azure-storage-queue, azure-service-bus, redis-list, redis-stream, rabbitmq; rabbitmq in mode QueueLength), and this scaler has none (a targetValue is a total, not a backlog per replica): add such a trigger or remove serviceLevel',
        },
      ],
    ],
    [
      'a service level whose replicas serve nothing',
      (s) => (
        (s.triggers = [QUEUE_TRIGGER]),
        (s.burst.serviceLevel = { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 0 })
      ),
      [
        {
          path: 'spec.burst.serviceLevel.messagesPerSecondPerReplica',
          message: 'must be greater than 0, got 0',
        },
      ],
    ],
    [
      'a service level on a rabbitmq message rate, which is not a backlog',
      (s) => (
        (s.triggers = [
          {
            type: 'rabbitmq',
            metadata: {
              host: 'http://rabbit:15672',
              queueName: 'orders',
              mode: 'MessageRate',
              targetPerReplica: '5',
            },
          },
        ]),
        (s.burst.serviceLevel = { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 })
      ),
      [
        {
          path: 'spec.burst.serviceLevel',
          message:
            'sizes the per-replica target (targetPerReplica) of a queue trigger (azure-storage-queue, azure-service-bus, redis-list, redis-stream, rabbitmq; rabbitmq in mode QueueLength), and this scaler has none (a targetValue is a total, not a backlog per replica): add such a trigger or remove serviceLevel',
        },
      ],
    ],
    [
      'a service level whose queue trigger has a bad target: only the target is reported',
      (s) => (
        (s.triggers = [{ ...QUEUE_TRIGGER, metadata: { ...QUEUE_TRIGGER.metadata, targetPerReplica: '0' } }]),
        (s.burst.serviceLevel = { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 })
      ),
      [{ path: 'spec.triggers[0].metadata.targetPerReplica', message: 'must be a positive number, got "0"' }],
    ],
    [
      'a wait no longer than an ACI start',
      (s) => (
        (s.triggers = [QUEUE_TRIGGER]),
        (s.burst.serviceLevel = { maxQueueWaitSeconds: 45, messagesPerSecondPerReplica: 1 })
      ),
      [
        {
          path: 'spec.burst.serviceLevel.maxQueueWaitSeconds',
          message:
            'must be longer than spec.cost.aci.startSeconds (45 s), or a new ACI replica cannot serve within the wait; got 45. Set spec.cost.aci.startSeconds to your ACI start time if it is shorter (Spillway measures it once three ACI groups are Ready), or allow a longer wait',
        },
      ],
    ],
    [
      'a node without vCPUs',
      (s) => (s.cost = { vm: { nodeVCPU: 0 } }),
      [{ path: 'spec.cost.vm.nodeVCPU', message: 'must be greater than 0, got 0' }],
    ],
    [
      'an invalid cron expression',
      (s) => (s.schedules = [{ cron: '61 * * * *', durationMinutes: 10, minReplicas: 2 }]),
      [
        {
          path: 'spec.schedules[0].cron',
          message:
            'must be a cron expression in node-cron syntax ([second] minute hour day-of-month month day-of-week), got "61 * * * *"',
        },
      ],
    ],
    [
      'an unknown time zone',
      (s) =>
        (s.schedules = [
          { cron: '0 8 * * *', durationMinutes: 10, minReplicas: 2, timezone: 'Mars/Olympus' },
        ]),
      [
        {
          path: 'spec.schedules[0].timezone',
          message: 'must be an IANA time zone such as Europe/Berlin or UTC, got "Mars/Olympus"',
        },
      ],
    ],
    [
      'a schedule floor above maxReplicas',
      (s) => (s.schedules = [{ cron: '0 8 * * *', durationMinutes: 10, minReplicas: 11 }]),
      [{ path: 'spec.schedules[0].minReplicas', message: 'must be at most spec.maxReplicas (10), got 11' }],
    ],
  ])('rejects %s', (_name, mutate, expected) => {
    expect(issuesOf(mutate)).toEqual(expected);
  });

  it.each<[string, (spec: Json) => void]>([
    ['minReplicas equal to maxReplicas', (s) => ((s.minReplicas = 10), (s.maxReplicas = 10))],
    ['fallback at the bounds', (s) => (s.fallback = { failureThreshold: 1, replicas: 10 })],
    [
      'only a schedule as demand',
      (s) => (
        (s.pendingPods = { enabled: false }),
        (s.schedules = [{ cron: '@daily', durationMinutes: 60, minReplicas: 3 }])
      ),
    ],
    [
      'a six-field cron with seconds and day names',
      (s) => (s.schedules = [{ cron: '0 30 7 * * MON-FRI', durationMinutes: 90, minReplicas: 3 }]),
    ],
    [
      'a subnet ID in lowercase, as az sometimes prints it',
      (s) => (s.burst.aci.subnetId = SUBNET.toLowerCase()),
    ],
    [
      'an EndpointSlice with a subnet',
      (s) => ((s.burst.aci.subnetId = SUBNET), (s.burst.endpointSlice = { serviceName: 'orders' })),
    ],
    [
      'the same name differing only by index',
      (s) =>
        (s.triggers = [
          { type: 'cpu', metadata: { value: '1' } },
          { type: 'cpu', metadata: { value: '2' } },
        ]),
    ],
  ])('accepts %s', (_name, mutate) => {
    expect(() => compileWith(mutate)).not.toThrow();
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
