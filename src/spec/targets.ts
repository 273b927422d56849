/**
 * How a trigger's metadata maps to an autoscaling/v2 metric target. Source-specific settings (queue
 * names, server addresses, queries) are checked by the signal sources; the target is generic and
 * checked here, so every source reads it the same way.
 *
 * Numbers in metadata are strings (the KEDA convention) and are parsed strictly: `"20"`, `"0.5"` and
 * `"1e3"` are numbers; `""`, `" 20"`, `"0x10"`, `"Infinity"` and `"20 msgs"` are not.
 */
import type { MetricTarget, TriggerType } from '../core/types.ts';
import { childPath, describeValue, type SpecIssue } from './errors.ts';
import { parseQuantity } from './quantity.ts';

/** Metadata names read as `targetPerReplica`, per trigger type (KEDA's names for the same thing). */
export const PER_REPLICA_ALIASES: Partial<Record<TriggerType, readonly string[]>> = {
  'azure-storage-queue': ['queueLength'],
  'azure-service-bus': ['queueLength', 'messageCount'],
  'redis-list': ['queueLength', 'listLength'],
  'redis-stream': ['queueLength'],
  rabbitmq: ['queueLength'],
  prometheus: ['threshold'],
};

/** Every metadata key that sets a target on a queue or prometheus trigger. */
const ALL_TARGET_KEYS = [
  'targetPerReplica',
  'targetValue',
  ...new Set(Object.values(PER_REPLICA_ALIASES).flat()),
];

/** The target of a cron trigger: it reports `desiredReplicas` while active, one per replica. */
export const CRON_TARGET: MetricTarget = { type: 'AverageValue', averageValue: 1 };

const DECIMAL = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A strictly positive, finite decimal number written as a string, or undefined. */
export function parsePositiveNumber(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The metric target of one trigger, from its metadata. Appends an issue (and returns undefined) when
 * the target is missing, ambiguous or not a positive number.
 *
 * - queue sources and prometheus: `targetPerReplica` (or an alias) → AverageValue; `targetValue` → Value.
 * - cpu, memory: `metricType` (or `type`) Utilization (default) with `value` a whole percentage of the
 *   pods' request, or AverageValue with `value` a quantity per pod (`500m`, `1.5` cores; `512Mi`, `2Gi`),
 *   converted to cores or GiB.
 * - cron: always AverageValue 1 (the source reports the replicas it wants); a target key is an error.
 */
export function compileTarget(
  type: TriggerType,
  metadata: Record<string, string>,
  path: string,
  issues: SpecIssue[],
): MetricTarget | undefined {
  const at = (key: string) => childPath(childPath(path, 'metadata'), key);
  const fail = (key: string, message: string): undefined => {
    issues.push({ path: at(key), message });
    return undefined;
  };

  if (type === 'cron') {
    const key = ALL_TARGET_KEYS.find((k) => Object.hasOwn(metadata, k));
    if (key !== undefined) {
      return fail(
        key,
        'cron triggers take no target: they hold metadata.desiredReplicas replicas while active',
      );
    }
    return CRON_TARGET;
  }

  if (type === 'cpu' || type === 'memory') return resourceTarget(type, metadata, at, fail);

  const perReplicaKeys = ['targetPerReplica', ...(PER_REPLICA_ALIASES[type] ?? [])];
  const given = [...perReplicaKeys, 'targetValue'].filter((key) => Object.hasOwn(metadata, key));
  const [first, second] = given;
  if (first === undefined) {
    const aliases = PER_REPLICA_ALIASES[type] ?? [];
    return fail(
      'targetPerReplica',
      `is required for ${type} triggers: the value one replica handles` +
        (aliases.length > 0 ? ` (KEDA's ${aliases.join(' or ')} is accepted too)` : '') +
        ', or targetValue for a value the whole workload should hold',
    );
  }
  if (second !== undefined) {
    return fail(second, `conflicts with metadata.${first}; give one target`);
  }
  const text = metadata[first] ?? '';
  const value = parsePositiveNumber(text);
  if (value === undefined) return fail(first, `must be a positive number, got ${describeValue(text)}`);
  return first === 'targetValue' ? { type: 'Value', value } : { type: 'AverageValue', averageValue: value };
}

function resourceTarget(
  type: 'cpu' | 'memory',
  metadata: Record<string, string>,
  at: (key: string) => string,
  fail: (key: string, message: string) => undefined,
): MetricTarget | undefined {
  const stray = ALL_TARGET_KEYS.find((k) => Object.hasOwn(metadata, k));
  if (stray !== undefined) {
    return fail(stray, `${type} triggers take metadata.value with metadata.metricType, not ${stray}`);
  }

  const own = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const metricType = own('metricType');
  const legacyType = own('type');
  if (metricType !== undefined && legacyType !== undefined && metricType !== legacyType) {
    return fail(
      'metricType',
      `conflicts with metadata.type (${describeValue(legacyType)}); give one of them`,
    );
  }
  const kind = metricType ?? legacyType ?? 'Utilization';
  const kindKey = metricType !== undefined ? 'metricType' : 'type';
  if (kind !== 'Utilization' && kind !== 'AverageValue') {
    return fail(kindKey, `must be Utilization or AverageValue, got ${describeValue(kind)}`);
  }

  const text = own('value');
  if (text === undefined) {
    return fail(
      'value',
      kind === 'Utilization'
        ? `is required for ${type} triggers: the target percentage of the pods' ${type} request`
        : `is required for ${type} triggers: the target ${type} per pod, for example ${type === 'cpu' ? '500m' : '512Mi'}`,
    );
  }
  if (kind === 'Utilization') {
    const percent = /^\+?\d+$/.test(text) ? Number(text) : NaN;
    if (!(percent > 0 && percent <= 2147483647)) {
      return fail('value', `must be a whole percentage greater than 0, got ${describeValue(text)}`);
    }
    return { type: 'Utilization', averageUtilization: percent };
  }
  const quantity = parseQuantity(text);
  if (quantity === undefined || quantity <= 0) {
    return fail(
      'value',
      `must be a positive ${type} quantity such as ${type === 'cpu' ? '500m or 1.5' : '512Mi or 2Gi'}, got ${describeValue(text)}`,
    );
  }
  return { type: 'AverageValue', averageValue: type === 'cpu' ? quantity : quantity / 2 ** 30 };
}
