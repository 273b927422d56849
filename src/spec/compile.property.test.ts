/**
 * Property-based tests: whatever arrives from the API server (or a user's file), compilePolicy either
 * returns a policy that keeps its invariants or throws a SpecValidationError with field paths, and
 * never anything else (no TypeError from an unexpected shape).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../core/types.ts';
import type { BurstScalerObject } from '../ports.ts';
import { compilePolicy } from './compile.ts';
import { SpecValidationError } from './errors.ts';
import { exampleBurstScaler } from './example.ts';

const manifest = (spec: unknown): BurstScalerObject => ({
  apiVersion: 'spillway.io/v1alpha1',
  kind: 'BurstScaler',
  metadata: { name: 'w', namespace: 'ns', uid: 'u', generation: 1 },
  spec,
});

/** Compiles, and fails the property unless the outcome is a policy or a SpecValidationError. */
function outcome(obj: unknown): Policy | SpecValidationError {
  try {
    return compilePolicy(obj as BurstScalerObject);
  } catch (error) {
    if (!(error instanceof SpecValidationError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.path).toMatch(/^(spec|metadata|apiVersion|kind|BurstScaler)\b/);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return error;
  }
}

function expectInvariants(policy: Policy): void {
  expect(policy.minReplicas).toBeLessThanOrEqual(policy.maxReplicas);
  if (policy.fallback) {
    expect(policy.fallback.replicas).toBeGreaterThanOrEqual(policy.minReplicas);
    expect(policy.fallback.replicas).toBeLessThanOrEqual(policy.maxReplicas);
  }
  expect(new Set(policy.triggers.map((t) => t.name)).size).toBe(policy.triggers.length);
  expect(new Set(policy.burst.aci.regions).size).toBe(policy.burst.aci.regions.length);
  expect(policy.burst.aci.regions.length).toBeGreaterThan(0);
  expect(policy.burst.aci.priority === 'Spot' && policy.burst.aci.subnetId !== undefined).toBe(false);
  expect(policy.triggers.length > 0 || policy.pendingPods.enabled || policy.schedules.length > 0).toBe(true);
  for (const trigger of policy.triggers) {
    const target = trigger.target;
    const value =
      target.type === 'Value'
        ? target.value
        : target.type === 'AverageValue'
          ? target.averageValue
          : target.averageUtilization;
    expect(value).toBeGreaterThan(0);
    expect(Number.isFinite(value)).toBe(true);
  }
  for (const schedule of policy.schedules)
    expect(schedule.minReplicas).toBeLessThanOrEqual(policy.maxReplicas);
}

/** Every path (list of keys) into a JSON value, the root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value))
    return value.flatMap((item, i) => [[...prefix, i], ...pathsOf(item, [...prefix, i])]);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  }
  return [];
}

type Mutation =
  { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };

/** Applies one mutation at a path of a deep copy. */
function mutate(spec: unknown, path: (string | number)[], mutation: Mutation): unknown {
  const copy = structuredClone(spec) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] ?? '';
  if (mutation.kind === 'set') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
      (target as Record<string, unknown>)[mutation.key] = mutation.value;
    }
  }
  return copy;
}

const validSpec = exampleBurstScaler.spec;
const specPaths = pathsOf(validSpec);

describe('compilePolicy never throws anything but SpecValidationError', () => {
  it('for arbitrary JSON as the spec', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (spec) => {
        const result = outcome(manifest(spec));
        if (!(result instanceof SpecValidationError)) expectInvariants(result);
      }),
      { numRuns: 300 },
    );
  });

  it('for arbitrary values as the whole object (including non-JSON values)', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withDate: true }),
        (obj) => {
          outcome(obj);
          outcome({ ...manifest({}), metadata: obj });
          outcome(manifest(obj));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('for one mutation of the valid example at any path', () => {
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), value: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({
        kind: fc.constant('set' as const),
        value: fc.oneof(
          fc.integer({ min: -5, max: 400 }),
          fc.double({ noNaN: true }),
          fc.constantFrom(
            '',
            'abc',
            '0',
            '-1',
            '20',
            '1e3',
            'Spot',
            'eastus',
            'Europe/Berlin',
            '* * * * *',
            '0x10',
          ),
        ),
      }),
      fc.record({ kind: fc.constant('delete' as const) }),
      fc.record({
        kind: fc.constant('add' as const),
        key: fc.string(),
        value: fc.jsonValue({ maxDepth: 1 }),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...specPaths), mutation, (path, m) => {
        const result = outcome(manifest(mutate(validSpec, path, m)));
        if (!(result instanceof SpecValidationError)) expectInvariants(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('for several mutations at once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...specPaths), fc.jsonValue({ maxDepth: 1 })), {
          minLength: 2,
          maxLength: 6,
        }),
        (edits) => {
          let spec: unknown = validSpec;
          for (const [path, value] of edits) {
            try {
              spec = mutate(spec, path, { kind: 'set', value });
            } catch {
              // An earlier edit removed this path's parent; skip the edit.
            }
          }
          const result = outcome(manifest(spec));
          if (!(result instanceof SpecValidationError)) expectInvariants(result);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('compilePolicy accepts exactly the bounds it documents', () => {
  it('min, max, fallback and schedule floors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        (min, max, fallback, floor) => {
          const spec = {
            ...structuredClone(validSpec),
            minReplicas: min,
            maxReplicas: max,
            fallback: fallback === undefined ? undefined : { failureThreshold: 3, replicas: fallback },
            schedules:
              floor === undefined ? [] : [{ cron: '0 8 * * *', durationMinutes: 60, minReplicas: floor }],
          };
          if (fallback === undefined) delete spec.fallback;
          const ok =
            min <= max &&
            (fallback === undefined || (fallback >= min && fallback <= max)) &&
            (floor === undefined || floor <= max);
          const result = outcome(manifest(spec));
          expect(result instanceof SpecValidationError).toBe(!ok);
        },
      ),
      { numRuns: 300 },
    );
  });
});
