/**
 * The scheduler's node filters that depend only on the pod template and the node: spec.nodeName,
 * nodeSelector, required node affinity, taints and tolerations, cordon. Each check returns the reason a
 * node is rejected, or undefined when it passes, so every "no" can be explained.
 *
 * Not modelled (they can only lower the real capacity): inter-pod affinity and anti-affinity, topology
 * spread constraints, host ports, volume limits and zones.
 */
import type {
  V1Node,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1PodSpec,
  V1Taint,
  V1Toleration,
} from '@kubernetes/client-node';

/** Taint effects the scheduler honours (PreferNoSchedule only lowers a node's score). */
const HARD_EFFECTS = new Set(['NoSchedule', 'NoExecute']);

/**
 * Taints that the node lifecycle controller, the cloud provider and the cluster autoscaler put on a node
 * for a while: a node that will become Ready (or a fresh node of the same group) does not carry them.
 */
export const TRANSIENT_TAINTS: ReadonlySet<string> = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/network-unavailable',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/pid-pressure',
  'node.cloudprovider.kubernetes.io/uninitialized',
  'node.cloudprovider.kubernetes.io/shutdown',
  'ToBeDeletedByClusterAutoscaler',
  'DeletionCandidateOfClusterAutoscaler',
]);

/** Kubernetes' `Toleration.ToleratesTaint`. */
export function toleratesTaint(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first NoSchedule/NoExecute taint no toleration covers, skipping taints `ignore` accepts. */
export function untoleratedTaint(
  tolerations: readonly V1Toleration[] | undefined,
  taints: readonly V1Taint[] | undefined,
  ignore: (taint: V1Taint) => boolean = () => false,
): V1Taint | undefined {
  return (taints ?? []).find(
    (taint) =>
      HARD_EFFECTS.has(taint.effect) &&
      !ignore(taint) &&
      !(tolerations ?? []).some((toleration) => toleratesTaint(toleration, taint)),
  );
}

/** One node selector requirement against a label set (or against `metadata.name` for matchFields). */
export function requirementMatches(
  requirement: V1NodeSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const value = labels[requirement.key];
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value)) return false;
      const bound = Number(values[0]);
      if (!Number.isInteger(bound)) return false;
      return requirement.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
    }
    default:
      return false;
  }
}

/** A node selector term: every expression and field requirement holds; an empty term matches nothing. */
export function termMatches(term: V1NodeSelectorTerm, node: V1Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return (
    expressions.every((requirement) => requirementMatches(requirement, labels)) &&
    fields.every((requirement) => requirementMatches(requirement, nodeFields))
  );
}

function describeRequirement(requirement: V1NodeSelectorRequirement): string {
  const values = requirement.values?.length ? ` [${requirement.values.join(', ')}]` : '';
  return `${requirement.key} ${requirement.operator}${values}`;
}

function describeTaint(taint: V1Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

/** Options for {@link staticFitReason}. */
export interface FitOptions {
  /** Judge the node as it will be once Ready (or as a fresh node of its group): skip transient taints and cordon. */
  asFreshNode?: boolean;
}

/**
 * Why the scheduler would not place a pod of this template on the node, looking at everything except
 * free resources; undefined when the node is acceptable.
 */
export function staticFitReason(spec: V1PodSpec, node: V1Node, options: FitOptions = {}): string | undefined {
  const name = node.metadata?.name ?? '';
  if (spec.nodeName && spec.nodeName !== name) return `the template is pinned to node ${spec.nodeName}`;

  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[key] !== value)
      return `nodeSelector ${key}=${value} does not match (node has ${labels[key] === undefined ? 'no such label' : `${key}=${labels[key]}`})`;
  }

  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const terms = required.nodeSelectorTerms ?? [];
    if (!terms.some((term) => termMatches(term, node))) {
      const wanted = terms
        .map((term) =>
          [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])]
            .map(describeRequirement)
            .join(' and '),
        )
        .map((text) => text || '(empty term)')
        .join(' or ');
      return `required node affinity does not match (${wanted})`;
    }
  }

  const fresh = options.asFreshNode === true;
  if (node.spec?.unschedulable && !fresh) {
    const cordon: V1Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if (!(spec.tolerations ?? []).some((toleration) => toleratesTaint(toleration, cordon)))
      return 'the node is cordoned (spec.unschedulable)';
  }

  const taint = untoleratedTaint(
    spec.tolerations,
    node.spec?.taints,
    (t) => fresh && TRANSIENT_TAINTS.has(t.key),
  );
  if (taint) return `taint ${describeTaint(taint)} is not tolerated`;
  return undefined;
}
