/**
 * VM capacity for one pod template, computed the way kube-scheduler filters and fits nodes: per Ready,
 * schedulable node that the template's nodeName, nodeSelector, required node affinity and tolerations
 * accept, allocatable minus the requests of the non-terminal pods bound to it, checked for every
 * resource the template requests and for the node's pod limit. Pure: nodes, pod usage and time in,
 * numbers and a verdict per node out.
 */
import type { V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { VmCapacity } from '../core/types.ts';
import { addInto, podRequests, resourceList, subtractInto } from './resources.ts';
import type { ResourceMap } from './resources.ts';
import { staticFitReason } from './scheduling.ts';

/** Requests bound to one node: all non-terminal pods, and those of DaemonSets (a new node runs them too). */
export interface NodeUsage {
  requested: ResourceMap;
  pods: number;
  daemonSet: ResourceMap;
  daemonSetPods: number;
}

/** What one pod takes from its node. */
export interface PodFootprint {
  node: string;
  requests: ResourceMap;
  daemonSet: boolean;
}

/** Labels naming a node's group (node pool), most specific first; the instance type is the fallback. */
export const NODE_GROUP_LABELS: readonly string[] = [
  'kubernetes.azure.com/agentpool',
  'agentpool',
  'eks.amazonaws.com/nodegroup',
  'cloud.google.com/gke-nodepool',
  'node.kubernetes.io/instance-type',
];

/** Epoch ms of a Kubernetes timestamp (client-node gives a Date from typed reads, a string from watches). */
export function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string' || typeof value === 'number') {
    const ms = new Date(value).getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The footprint of a pod on its node; undefined when it is not bound or has terminated. */
export function podFootprint(pod: V1Pod): PodFootprint | undefined {
  const node = pod.spec?.nodeName;
  const phase = pod.status?.phase;
  if (!node || !pod.spec || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const daemonSet = (pod.metadata?.ownerReferences ?? []).some((owner) => owner.kind === 'DaemonSet');
  const where = `pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} spec`;
  return { node, requests: podRequests(pod.spec, where), daemonSet };
}

export function emptyUsage(): NodeUsage {
  return { requested: {}, pods: 0, daemonSet: {}, daemonSetPods: 0 };
}

/** Adds (sign 1) or removes (sign -1) a footprint; used to keep usage current from watch events. */
export function applyFootprint(usage: Map<string, NodeUsage>, footprint: PodFootprint, sign: 1 | -1): void {
  let entry = usage.get(footprint.node);
  if (!entry) {
    entry = emptyUsage();
    usage.set(footprint.node, entry);
  }
  const change = sign === 1 ? addInto : subtractInto;
  change(entry.requested, footprint.requests);
  entry.pods += sign;
  if (footprint.daemonSet) {
    change(entry.daemonSet, footprint.requests);
    entry.daemonSetPods += sign;
  }
  if (entry.pods <= 0) usage.delete(footprint.node);
}

/** Usage per node from a list of pods. */
export function usageByNode(pods: Iterable<V1Pod>): Map<string, NodeUsage> {
  const usage = new Map<string, NodeUsage>();
  for (const pod of pods) {
    const footprint = podFootprint(pod);
    if (footprint) applyFootprint(usage, footprint, 1);
  }
  return usage;
}

/** The group (node pool) a node belongs to. */
export function nodeGroup(node: V1Node): string {
  const labels = node.metadata?.labels ?? {};
  for (const key of NODE_GROUP_LABELS) {
    const value = labels[key];
    if (value) return value;
  }
  return 'default';
}

const allocatableCache = new WeakMap<V1Node, ResourceMap>();

/** A node's parsed status.allocatable (memoized per node object: cached objects are replaced, never edited). */
export function allocatableOf(node: V1Node): ResourceMap {
  let parsed = allocatableCache.get(node);
  if (!parsed) {
    parsed = resourceList(node.status?.allocatable, `node ${node.metadata?.name ?? ''} status.allocatable`);
    allocatableCache.set(node, parsed);
  }
  return parsed;
}

export function nodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function formatAmount(resource: string, amount: number): string {
  if (resource === 'cpu') return `${amount}m`;
  if (resource === 'memory' || resource === 'ephemeral-storage') return `${Math.floor(amount / 1024 ** 2)}Mi`;
  return String(amount);
}

/** How many replicas fit in `allocatable` after `used`, and which resource binds. */
export function slotsFor(
  allocatable: ResourceMap,
  used: ResourceMap,
  usedPods: number,
  request: ResourceMap,
): { slots: number; limitedBy: string } {
  let slots = (allocatable.pods ?? 0) - usedPods;
  let limitedBy = `pods (${Math.max(0, slots)} of ${allocatable.pods ?? 0} free)`;
  for (const [resource, amount] of Object.entries(request)) {
    if (resource === 'pods' || amount <= 0) continue;
    const free = (allocatable[resource] ?? 0) - (used[resource] ?? 0);
    const fit = Math.floor(free / amount);
    if (fit < slots) {
      slots = fit;
      limitedBy = `${resource} (${formatAmount(resource, Math.max(0, free))} free, ${formatAmount(resource, amount)} per replica)`;
    }
  }
  return { slots: Math.max(0, slots), limitedBy };
}

export interface CapacityInput {
  /** The template's pod spec (nodeName, nodeSelector, affinity, tolerations). */
  spec: V1PodSpec;
  /** Effective per-replica requests (see podRequests). */
  requests: ResourceMap;
  nodes: Iterable<V1Node>;
  usage: ReadonlyMap<string, NodeUsage>;
  now: number;
  /** A NotReady node becomes Ready this long after its creation (the ETA of incoming capacity). */
  provisionEstimateMs: number;
  /** NotReady nodes younger than this are counted as incoming; older ones as broken. */
  incomingWindowMs: number;
}

export interface NodeVerdict {
  node: string;
  group: string;
  state: 'ready' | 'incoming' | 'excluded';
  slots: number;
  /** Why the node counts for this many replicas, or why it is excluded. */
  reason: string;
}

export interface CapacityResult {
  capacity: VmCapacity;
  nodes: NodeVerdict[];
  /** The node group slotsPerNode was taken from, if any accepts the template. */
  group?: { name: string; nodes: number; slotsPerNode: number };
}

interface GroupStats {
  nodes: number;
  /** Replicas that fit on an empty node of the group (after its DaemonSets), min over its nodes. */
  freshSlots?: number;
}

/**
 * Capacity for one template. freeSlots sums floor(free / request) over Ready nodes that accept the
 * template; slotsPerNode is what an empty node of the largest accepting node group holds after its
 * DaemonSets; incoming lists NotReady nodes created within the window, with ETA creation + estimate
 * (never earlier than now).
 */
export function vmCapacity(input: CapacityInput): CapacityResult {
  const { spec, requests, usage, now } = input;
  const nodes = [...input.nodes].sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  const groups = new Map<string, GroupStats>();
  for (const node of nodes) {
    if (node.metadata?.deletionTimestamp) continue;
    const group = nodeGroup(node);
    const stats = groups.get(group) ?? { nodes: 0 };
    stats.nodes += 1;
    groups.set(group, stats);
    const allocatable = allocatableOf(node);
    if (allocatable.pods === undefined) continue;
    if (staticFitReason(spec, node, { asFreshNode: true }) !== undefined) continue;
    const own = usage.get(node.metadata?.name ?? '');
    const fresh = slotsFor(allocatable, own?.daemonSet ?? {}, own?.daemonSetPods ?? 0, requests).slots;
    stats.freshSlots = stats.freshSlots === undefined ? fresh : Math.min(stats.freshSlots, fresh);
  }

  let best: { name: string; nodes: number; slotsPerNode: number } | undefined;
  for (const [name, stats] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    if (stats.freshSlots === undefined) continue;
    if (
      !best ||
      stats.nodes > best.nodes ||
      (stats.nodes === best.nodes && stats.freshSlots > best.slotsPerNode)
    )
      best = { name, nodes: stats.nodes, slotsPerNode: stats.freshSlots };
  }

  const verdicts: NodeVerdict[] = [];
  const incoming: VmCapacity['incoming'] = [];
  let freeSlots = 0;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const group = nodeGroup(node);
    const verdict = (state: NodeVerdict['state'], slots: number, reason: string) =>
      verdicts.push({ node: name, group, state, slots, reason });
    if (node.metadata?.deletionTimestamp) {
      verdict('excluded', 0, 'the node is being deleted');
      continue;
    }
    const allocatable = allocatableOf(node);
    const own = usage.get(name);
    if (nodeReady(node)) {
      const reason = staticFitReason(spec, node);
      if (reason) {
        verdict('excluded', 0, reason);
        continue;
      }
      const fit = slotsFor(allocatable, own?.requested ?? {}, own?.pods ?? 0, requests);
      freeSlots += fit.slots;
      verdict('ready', fit.slots, `limited by ${fit.limitedBy}`);
      continue;
    }
    const created = timeMs(node.metadata?.creationTimestamp);
    if (created === undefined || now - created >= input.incomingWindowMs) {
      verdict('excluded', 0, 'the node is NotReady and not new (not counted as incoming)');
      continue;
    }
    const reason = staticFitReason(spec, node, { asFreshNode: true });
    if (reason) {
      verdict('excluded', 0, `incoming, but ${reason}`);
      continue;
    }
    const slots =
      allocatable.pods !== undefined
        ? slotsFor(allocatable, own?.requested ?? {}, own?.pods ?? 0, requests).slots
        : (groups.get(group)?.freshSlots ?? best?.slotsPerNode ?? 0);
    const readyAt = Math.max(now, created + input.provisionEstimateMs);
    verdict(
      'incoming',
      slots,
      `NotReady, created ${Math.round((now - created) / 1000)} s ago; expected Ready at ${new Date(readyAt).toISOString()}`,
    );
    if (slots > 0) incoming.push({ slots, readyAt });
  }
  incoming.sort((a, b) => a.readyAt - b.readyAt);
  const result: CapacityResult = {
    capacity: { freeSlots, slotsPerNode: best?.slotsPerNode ?? 0, incoming },
    nodes: verdicts,
  };
  if (best) result.group = best;
  return result;
}
