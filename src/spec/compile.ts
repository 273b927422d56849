/**
 * The one place a BurstScaler becomes a {@link Policy}: shape validation (Ajv, from the schema), then
 * defaults, then the rules a schema cannot express (cross-field bounds, unique names, cron syntax, time
 * zones, trigger targets). Every problem found is reported at once, each with its field path.
 */
import cron from 'node-cron';
import { CronExpressionParser } from 'cron-parser';
import type { BurstScalerObject } from '../ports.ts';
import type { Policy, ScalingRules, SchedulePolicy, TriggerPolicy } from '../core/types.ts';
import { isBacklogTrigger, QUEUE_TRIGGER_TYPES } from '../core/service-level.ts';
import { childPath, describeValue, SpecValidationError, type SpecIssue } from './errors.ts';
import { SPEC_DEFAULTS, BURST_SCALER_API, type BurstScalerSpec } from './schema.ts';
import { compileTarget } from './targets.ts';
import { checkSpecShape } from './validate.ts';

type ScalingRulesSpec = NonNullable<NonNullable<BurstScalerSpec['behavior']>['scaleUp']>;

/** The apiVersion a BurstScaler must have. */
export const BURST_SCALER_API_VERSION = `${BURST_SCALER_API.group}/${BURST_SCALER_API.version}`;

const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const SUBNET_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;

/**
 * Validates a BurstScaler, applies the defaults and returns the policy the decision core consumes.
 *
 * @throws {SpecValidationError} listing every invalid field, e.g.
 *   `spec.triggers[1].metadata.targetPerReplica: must be a positive number, got "abc"`. Nothing else is
 *   thrown, whatever the input.
 */
export function compilePolicy(obj: BurstScalerObject): Policy {
  const meta = checkObject(obj);
  const scaler = meta.ok ? `${meta.namespace}/${meta.name}` : undefined;
  if (!meta.ok) throw new SpecValidationError(meta.issues, { scaler });

  const shape = checkSpecShape(obj.spec);
  if (!shape.ok) throw new SpecValidationError(shape.issues, { scaler });
  const { spec } = shape;

  const issues: SpecIssue[] = [];
  const policy: Policy = {
    key: { namespace: meta.namespace, name: meta.name, uid: meta.uid },
    generation: meta.generation,
    targetRef: {
      apiVersion: spec.targetRef.apiVersion ?? SPEC_DEFAULTS.targetRef.apiVersion,
      kind: spec.targetRef.kind ?? SPEC_DEFAULTS.targetRef.kind,
      name: spec.targetRef.name,
    },
    minReplicas: spec.minReplicas ?? SPEC_DEFAULTS.minReplicas,
    maxReplicas: spec.maxReplicas,
    triggers: compileTriggers(spec, issues),
    pendingPods: {
      enabled: spec.pendingPods?.enabled ?? SPEC_DEFAULTS.pendingPods.enabled,
      graceSeconds: spec.pendingPods?.graceSeconds ?? SPEC_DEFAULTS.pendingPods.graceSeconds,
    },
    behavior: {
      scaleUp: scalingRules(spec.behavior?.scaleUp, SPEC_DEFAULTS.behavior.scaleUp),
      scaleDown: scalingRules(spec.behavior?.scaleDown, SPEC_DEFAULTS.behavior.scaleDown),
    },
    ...(spec.fallback && { fallback: { ...spec.fallback } }),
    burst: compileBurst(spec, issues),
    cost: compileCost(spec, issues),
    schedules: compileSchedules(spec, issues),
  };

  checkBounds(policy, (spec.triggers ?? []).length, issues);
  checkServiceLevel(policy, issues);
  if (issues.length > 0) throw new SpecValidationError(issues, { scaler });
  return policy;
}

type ObjectCheck =
  | { ok: true; name: string; namespace: string; uid: string; generation: number }
  | { ok: false; issues: SpecIssue[] };

/** The object around the spec: apiVersion, kind and the metadata a policy carries. */
function checkObject(obj: unknown): ObjectCheck {
  if (!isRecord(obj)) {
    return {
      ok: false,
      issues: [{ path: 'BurstScaler', message: `must be an object, got ${describeValue(obj)}` }],
    };
  }
  const issues: SpecIssue[] = [];
  if (obj.apiVersion !== BURST_SCALER_API_VERSION) {
    issues.push({
      path: 'apiVersion',
      message: `must be ${BURST_SCALER_API_VERSION}, got ${describeValue(obj.apiVersion)}`,
    });
  }
  if (obj.kind !== BURST_SCALER_API.kind) {
    issues.push({
      path: 'kind',
      message: `must be ${BURST_SCALER_API.kind}, got ${describeValue(obj.kind)}`,
    });
  }
  const metadata = isRecord(obj.metadata) ? obj.metadata : undefined;
  if (metadata === undefined) {
    issues.push({ path: 'metadata', message: `must be an object, got ${describeValue(obj.metadata)}` });
    return { ok: false, issues };
  }
  const text = (key: 'name' | 'namespace' | 'uid'): string => {
    const value = metadata[key];
    if (typeof value === 'string' && value !== '') return value;
    issues.push({
      path: `metadata.${key}`,
      message: `must be a non-empty string, got ${describeValue(value)}`,
    });
    return '';
  };
  const name = text('name');
  const namespace = text('namespace');
  const uid = text('uid');
  const generation = metadata.generation;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) {
    issues.push({
      path: 'metadata.generation',
      message: `must be a whole number, got ${describeValue(generation)}`,
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, name, namespace, uid, generation: generation as number };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function scalingRules(given: ScalingRulesSpec | undefined, defaults: ScalingRules): ScalingRules {
  return {
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
    policies: (given?.policies ?? defaults.policies).map((p) => ({ ...p })),
    tolerance: given?.tolerance ?? defaults.tolerance,
  };
}

function compileTriggers(spec: BurstScalerSpec, issues: SpecIssue[]): TriggerPolicy[] {
  const triggers = spec.triggers ?? [];
  const namedAt = new Map<string, string>();
  const compiled: TriggerPolicy[] = [];
  triggers.forEach((trigger, index) => {
    const path = childPath('spec.triggers', index);
    const name = triggerName(trigger, index, path, issues);
    const earlier = namedAt.get(name);
    const explicit = trigger.name !== undefined || trigger.metadata?.name !== undefined;
    if (earlier !== undefined) {
      issues.push({
        path: explicit ? childPath(path, 'name') : path,
        message:
          `duplicate trigger name "${name}" (also ${earlier})` +
          (explicit ? '' : `; "${name}" is this trigger's default name: give one of them a name`),
      });
    } else {
      namedAt.set(name, path);
    }
    const metadata = { ...(trigger.metadata ?? {}) };
    const target = compileTarget(trigger.type, metadata, path, issues);
    if (target === undefined) return;
    compiled.push({
      name,
      type: trigger.type,
      index,
      metadata,
      target,
      ...(trigger.authenticationRef && {
        authenticationRef: {
          name: trigger.authenticationRef.name,
          kind: trigger.authenticationRef.kind ?? SPEC_DEFAULTS.trigger.authenticationKind,
        },
      }),
    });
  });
  return compiled;
}

/**
 * A trigger's name: `name`, or KEDA-style `metadata.name`, or `<type>-<index>`. `metadata.name` follows the
 * same rule as `name` (a DNS label), and the two must agree when both are given.
 */
function triggerName(
  trigger: NonNullable<BurstScalerSpec['triggers']>[number],
  index: number,
  path: string,
  issues: SpecIssue[],
): string {
  const fromMetadata = trigger.metadata?.name;
  if (fromMetadata !== undefined) {
    const at = `${path}.metadata.name`;
    if (!DNS_LABEL.test(fromMetadata)) {
      issues.push({
        path: at,
        message: `must be at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got ${describeValue(fromMetadata)}`,
      });
    } else if (trigger.name !== undefined && trigger.name !== fromMetadata) {
      issues.push({ path: at, message: `conflicts with ${path}.name ("${trigger.name}"); give one name` });
    }
  }
  return trigger.name ?? fromMetadata ?? `${trigger.type}-${index}`;
}

function compileBurst(spec: BurstScalerSpec, issues: SpecIssue[]): Policy['burst'] {
  const { aci, serviceLevel } = spec.burst;
  const priority = aci.priority ?? SPEC_DEFAULTS.burst.aci.priority;

  const seen = new Map<string, number>();
  aci.regions.forEach((region, index) => {
    const first = seen.get(region);
    if (first === undefined) seen.set(region, index);
    else {
      issues.push({
        path: `spec.burst.aci.regions[${index}]`,
        message: `duplicate region "${region}" (also spec.burst.aci.regions[${first}]); list each region once`,
      });
    }
  });

  if (aci.subnetId !== undefined) {
    if (!SUBNET_ID.test(aci.subnetId)) {
      issues.push({
        path: 'spec.burst.aci.subnetId',
        message: `must be a subnet resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>), got ${describeValue(aci.subnetId)}`,
      });
    }
    if (priority === 'Spot') {
      issues.push({
        path: 'spec.burst.aci.subnetId',
        message:
          'cannot be used with priority Spot: ACI Spot container groups cannot join a virtual network; remove subnetId or use priority Regular',
      });
    }
  }
  if (spec.burst.endpointSlice !== undefined && aci.subnetId === undefined) {
    issues.push({
      path: 'spec.burst.endpointSlice',
      message:
        'needs spec.burst.aci.subnetId: ACI replicas can serve a Service only with private IPs in the cluster’s virtual network',
    });
  }

  return {
    provider: spec.burst.provider ?? SPEC_DEFAULTS.burst.provider,
    aci: {
      subscriptionId: aci.subscriptionId,
      resourceGroup: aci.resourceGroup,
      regions: [...aci.regions],
      ...(aci.subnetId !== undefined && { subnetId: aci.subnetId }),
      priority,
      spotFallbackToRegular: aci.spotFallbackToRegular ?? SPEC_DEFAULTS.burst.aci.spotFallbackToRegular,
    },
    maxBurstReplicas: spec.burst.maxBurstReplicas ?? SPEC_DEFAULTS.burst.maxBurstReplicas,
    drain: {
      gracePeriodSeconds:
        spec.burst.drain?.gracePeriodSeconds ?? SPEC_DEFAULTS.burst.drain.gracePeriodSeconds,
      minBurstLifetimeSeconds:
        spec.burst.drain?.minBurstLifetimeSeconds ?? SPEC_DEFAULTS.burst.drain.minBurstLifetimeSeconds,
      scaleDownStabilizationSeconds:
        spec.burst.drain?.scaleDownStabilizationSeconds ??
        SPEC_DEFAULTS.burst.drain.scaleDownStabilizationSeconds,
    },
    ...(spec.burst.endpointSlice && { endpointSlice: { serviceName: spec.burst.endpointSlice.serviceName } }),
    ...(serviceLevel && {
      serviceLevel: {
        maxQueueWaitSeconds: serviceLevel.maxQueueWaitSeconds,
        messagesPerSecondPerReplica: serviceLevel.messagesPerSecondPerReplica,
      },
    }),
  };
}

/**
 * spec.burst.serviceLevel sizes queue triggers' per-replica targets: it needs a rate above 0, such a
 * trigger, and a wait a new ACI replica can serve within (longer than spec.cost.aci.startSeconds).
 */
function checkServiceLevel(policy: Policy, issues: SpecIssue[]): void {
  const level = policy.burst.serviceLevel;
  if (!level) return;
  if (!(level.messagesPerSecondPerReplica > 0)) {
    issues.push({
      path: 'spec.burst.serviceLevel.messagesPerSecondPerReplica',
      message: `must be greater than 0, got ${describeValue(level.messagesPerSecondPerReplica)}`,
    });
  }
  const sized = policy.triggers.some((t) => isBacklogTrigger(t) && t.target.type === 'AverageValue');
  // A trigger whose target was rejected is already reported; "none" would only mislead.
  const triggerIssues = issues.some((i) => i.path.startsWith('spec.triggers'));
  if (!sized && !triggerIssues) {
    issues.push({
      path: 'spec.burst.serviceLevel',
      message:
        `sizes the per-replica target (targetPerReplica) of a queue trigger (${QUEUE_TRIGGER_TYPES.join(', ')}; ` +
        'rabbitmq in mode QueueLength), and this scaler has none (a targetValue is a total, not a backlog per ' +
        'replica): add such a trigger or remove serviceLevel',
    });
  }
  const start = policy.cost.aci.startSeconds;
  if (level.maxQueueWaitSeconds <= start) {
    issues.push({
      path: 'spec.burst.serviceLevel.maxQueueWaitSeconds',
      message:
        `must be longer than spec.cost.aci.startSeconds (${start} s), or a new ACI replica cannot serve within ` +
        `the wait; got ${level.maxQueueWaitSeconds}. Set spec.cost.aci.startSeconds to your ACI start time if ` +
        'it is shorter (Spillway measures it once three ACI groups are Ready), or allow a longer wait',
    });
  }
}

function compileCost(spec: BurstScalerSpec, issues: SpecIssue[]): Policy['cost'] {
  const vm = { ...SPEC_DEFAULTS.cost.vm, ...spec.cost?.vm };
  const aci = { ...SPEC_DEFAULTS.cost.aci, ...spec.cost?.aci };
  for (const key of ['nodeVCPU', 'nodeMemoryGiB'] as const) {
    if (!(vm[key] > 0)) {
      issues.push({
        path: `spec.cost.vm.${key}`,
        message: `must be greater than 0, got ${describeValue(vm[key])}`,
      });
    }
  }
  const maxBurstUSDPerHour = spec.cost?.budget?.maxBurstUSDPerHour;
  return { vm, aci, budget: maxBurstUSDPerHour === undefined ? {} : { maxBurstUSDPerHour } };
}

function compileSchedules(spec: BurstScalerSpec, issues: SpecIssue[]): SchedulePolicy[] {
  return (spec.schedules ?? []).map((schedule, index) => {
    const path = childPath('spec.schedules', index);
    const timezone = schedule.timezone ?? SPEC_DEFAULTS.schedule.timezone;
    if (!isTimeZone(timezone)) {
      issues.push({
        path: `${path}.timezone`,
        message: `must be an IANA time zone such as Europe/Berlin or UTC, got ${describeValue(timezone)}`,
      });
    }
    const cronProblem = checkCron(schedule.cron);
    if (cronProblem !== undefined) {
      issues.push({
        path: `${path}.cron`,
        message: `must be a cron expression in node-cron syntax ([second] minute hour day-of-month month day-of-week), got ${describeValue(schedule.cron)}${cronProblem}`,
      });
    }
    return {
      cron: schedule.cron,
      durationMinutes: schedule.durationMinutes,
      minReplicas: schedule.minReplicas,
      timezone,
    };
  });
}

/** Canonical IANA zones, read once; other names (aliases such as US/Eastern) are asked of Intl. */
const CANONICAL_ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

function isTimeZone(zone: string): boolean {
  if (CANONICAL_ZONES.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * undefined when both node-cron (the documented syntax) and cron-parser (which evaluates schedules)
 * accept the expression; otherwise a short explanation to append to the message.
 */
function checkCron(expression: string): string | undefined {
  if (!cron.validate(expression)) return '';
  try {
    // Syntax only: a fixed date and no time zone keep the check fast (the zone is checked on its own).
    CronExpressionParser.parse(expression, { currentDate: new Date(0) });
    return undefined;
  } catch (error) {
    return ` (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Bounds between fields: min ≤ max, fallback and schedules within them, some demand signal. */
function checkBounds(policy: Policy, triggerCount: number, issues: SpecIssue[]): void {
  const { minReplicas, maxReplicas } = policy;
  if (minReplicas > maxReplicas) {
    issues.push({
      path: 'spec.minReplicas',
      message: `must be at most spec.maxReplicas (${maxReplicas}), got ${minReplicas}`,
    });
  }
  const fallback = policy.fallback?.replicas;
  if (
    fallback !== undefined &&
    minReplicas <= maxReplicas &&
    (fallback < minReplicas || fallback > maxReplicas)
  ) {
    issues.push({
      path: 'spec.fallback.replicas',
      message: `must be between spec.minReplicas (${minReplicas}) and spec.maxReplicas (${maxReplicas}), got ${fallback}`,
    });
  }
  policy.schedules.forEach((schedule, index) => {
    if (schedule.minReplicas > maxReplicas) {
      issues.push({
        path: `spec.schedules[${index}].minReplicas`,
        message: `must be at most spec.maxReplicas (${maxReplicas}), got ${schedule.minReplicas}`,
      });
    }
  });
  if (triggerCount === 0 && !policy.pendingPods.enabled && policy.schedules.length === 0) {
    issues.push({
      path: 'spec.triggers',
      message:
        'at least one demand signal is required: a trigger, spec.pendingPods.enabled: true, or a schedule; got none',
    });
  }
}
