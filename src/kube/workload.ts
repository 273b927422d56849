/**
 * Pure conversions from Kubernetes objects to the core's view of a workload: the Deployment's replicas,
 * rollout bounds and template hash, and one PodInfo per pod.
 */
import { createHash } from 'node:crypto';
import type {
  IntOrString,
  V1Deployment,
  V1DeploymentStrategy,
  V1LabelSelector,
  V1Pod,
  V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { stringify } from 'safe-stable-stringify';
import type { PodInfo, PodPhase, TargetWorkload } from '../core/types.ts';
import { timeMs } from './capacity.ts';
import { InvalidObjectError } from './errors.ts';
import { requirementMatches } from './scheduling.ts';

/** The annotation the ReplicaSet controller reads to pick which pods to remove first (lower goes first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASES = new Set<PodPhase>(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
const INT32_MAX = 2 ** 31 - 1;

/**
 * A label selector against a label set, with Kubernetes' semantics: a missing selector matches nothing,
 * an empty one matches everything.
 */
export function selectorMatches(
  selector: V1LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!selector) return false;
  const own = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (own[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((requirement) => requirementMatches(requirement, own));
}

/**
 * Kubernetes' `GetScaledValueFromIntOrPercent`: an integer as is, `"25%"` as a share of `total`, rounded
 * up or down.
 */
export function scaledValue(
  value: IntOrString | undefined,
  fallback: string,
  total: number,
  roundUp: boolean,
  where: { object: string; field: string },
): number {
  const given = value ?? fallback;
  if (typeof given === 'number') return given;
  const match = /^(\d+)%$/.exec(given);
  if (!match)
    throw new InvalidObjectError(
      where.object,
      where.field,
      `"${given}" is neither an integer nor a percentage like 25%`,
    );
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge and maxUnavailable in replicas, as the Deployment controller resolves them
 * (`ResolveFenceposts`): surge rounds up, unavailable rounds down, and if both come to 0, one replica may
 * be unavailable. A Recreate strategy stops every old replica before starting new ones.
 */
export function rolloutBounds(
  strategy: V1DeploymentStrategy | undefined,
  replicas: number,
  object: string,
): { maxSurge: number; maxUnavailable: number } {
  if (strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const rolling = strategy?.rollingUpdate;
  const maxSurge = scaledValue(rolling?.maxSurge, '25%', replicas, true, {
    object,
    field: 'spec.strategy.rollingUpdate.maxSurge',
  });
  let maxUnavailable = scaledValue(rolling?.maxUnavailable, '25%', replicas, false, {
    object,
    field: 'spec.strategy.rollingUpdate.maxUnavailable',
  });
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * A stable hash of a pod template: SHA-256 over its canonical JSON (keys sorted), first 10 hex digits.
 * The Deployment controller's pod-template-hash cannot be recomputed outside Go (it hashes Go structs),
 * and reading it from the current ReplicaSet would need a ReplicaSet watch; this hash changes exactly
 * when the template does, which is what rolling burst replicas needs.
 */
export function templateHash(template: V1PodTemplateSpec): string {
  return createHash('sha256')
    .update(stringify(template) ?? '')
    .digest('hex')
    .slice(0, 10);
}

/** The core's view of a Deployment. */
export function targetWorkload(deployment: V1Deployment): TargetWorkload {
  const object = `Deployment ${deployment.metadata?.namespace ?? ''}/${deployment.metadata?.name ?? ''}`;
  const replicas = deployment.spec?.replicas ?? 1;
  return {
    replicas,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    templateHash: templateHash(deployment.spec?.template ?? {}),
    ...rolloutBounds(deployment.spec?.strategy, replicas, object),
  };
}

function deletionCost(annotations: Record<string, string> | undefined): number | undefined {
  const text = annotations?.[POD_DELETION_COST];
  if (text === undefined || !/^-?\d{1,10}$/.test(text)) return undefined;
  const cost = Number(text);
  return cost >= -INT32_MAX - 1 && cost <= INT32_MAX ? cost : undefined;
}

/** The core's view of a pod. */
export function podInfo(pod: V1Pod): PodInfo {
  const createdAt = timeMs(pod.metadata?.creationTimestamp) ?? 0;
  const phase = pod.status?.phase;
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  const info: PodInfo = {
    name: pod.metadata?.name ?? '',
    phase: phase === undefined ? 'Pending' : PHASES.has(phase as PodPhase) ? (phase as PodPhase) : 'Unknown',
    ready: ready?.status === 'True',
    deleting: !!pod.metadata?.deletionTimestamp,
    createdAt,
  };
  if (pod.spec?.nodeName) info.nodeName = pod.spec.nodeName;
  if (ready?.status === 'True') {
    const at = timeMs(ready.lastTransitionTime);
    if (at !== undefined) info.readyAt = at;
  }
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    info.unschedulable = {
      since: timeMs(scheduled.lastTransitionTime) ?? createdAt,
      message: scheduled.message ?? '',
    };
  }
  const cost = deletionCost(pod.metadata?.annotations);
  if (cost !== undefined) info.deletionCost = cost;
  return info;
}
