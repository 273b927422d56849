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
import { staticFitReason, TRANSIENT_TAINTS } from './scheduling.ts';

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

const groupCache = new WeakMap<V1Node, string>();

/** The group (node pool) a node belongs to (memoized per node object). */
export function nodeGroup(node: V1Node): string {
  let group = groupCache.get(node);
  if (group === undefined) {
    const labels = node.metadata?.labels ?? {};
    group = NODE_GROUP_LABELS.map((key) => labels[key]).find((value) => !!value) ?? 'default';
    groupCache.set(node, group);
  }
  return group;
}

/**
 * Static fit verdicts per template constraints and node object. Cached node objects are replaced on
 * every change, never edited, so a verdict stays valid as long as its node object lives.
 */
const fitCache = new Map<string, WeakMap<V1Node, string | null>>();
const FIT_CACHE_KEYS = 4096;

function constraintsKey(spec: V1PodSpec): string {
  return JSON.stringify([
    spec.nodeName,
    spec.nodeSelector,
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    spec.tolerations,
  ]);
}

/** staticFitReason as a fresh node, memoized (see fitCache). */
function freshFitReason(spec: V1PodSpec, key: string, node: V1Node): string | undefined {
  let perNode = fitCache.get(key);
  if (!perNode) {
    if (fitCache.size >= FIT_CACHE_KEYS) fitCache.clear();
    perNode = new WeakMap();
    fitCache.set(key, perNode);
  }
  let reason = perNode.get(node);
  if (reason === undefined) {
    reason = staticFitReason(spec, node, { asFreshNode: true }) ?? null;
    perNode.set(node, reason);
  }
  return reason ?? undefined;
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
  let limitedBy = 'pods';
  for (const resource in request) {
    const amount = request[resource]!;
    if (amount <= 0 || resource === 'pods') continue;
    const fit = Math.floor(((allocatable[resource] ?? 0) - (used[resource] ?? 0)) / amount);
    if (fit < slots) {
      slots = fit;
      limitedBy = resource;
    }
  }
  return { slots: Math.max(0, slots), limitedBy };
}

/** "limited by cpu (1500m free, 1000m per replica)" */
function describeLimit(
  limitedBy: string,
  allocatable: ResourceMap,
  used: ResourceMap,
  usedPods: number,
  request: ResourceMap,
): string {
  if (limitedBy === 'pods') {
    const free = Math.max(0, (allocatable.pods ?? 0) - usedPods);
    return `limited by pods (${free} of ${allocatable.pods ?? 0} free)`;
  }
  const free = Math.max(0, (allocatable[limitedBy] ?? 0) - (used[limitedBy] ?? 0));
  return `limited by ${limitedBy} (${formatAmount(limitedBy, free)} free, ${formatAmount(limitedBy, request[limitedBy] ?? 0)} per replica)`;
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
  /** Also return a verdict per node (for `spillway explain`); costs string building per node. */
  explain?: boolean;
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
  /** One verdict per node, sorted by name; empty unless `explain` was asked. */
  nodes: NodeVerdict[];
  /** The node group slotsPerNode was taken from, if any accepts the template. */
  group?: { name: string; nodes: number; slotsPerNode: number };
}

interface GroupStats {
  nodes: number;
  /** Replicas that fit on an empty node of the group (after its DaemonSets), min over its nodes. */
  freshSlots?: number;
}

const EMPTY: ResourceMap = {};

/** Whether the node carries something a fresh node would not (cordon, transient taints). */
function hasTransientState(node: V1Node): boolean {
  return !!node.spec?.unschedulable || (node.spec?.taints ?? []).some((t) => TRANSIENT_TAINTS.has(t.key));
}

/**
 * Capacity for one template. freeSlots sums floor(free / request) over Ready nodes that accept the
 * template; slotsPerNode is what an empty node of the largest accepting node group holds after its
 * DaemonSets; incoming lists NotReady nodes created within the window, with ETA creation + estimate
 * (never earlier than now). One pass over the nodes; strings are built only when `explain` is set.
 */
export function vmCapacity(input: CapacityInput): CapacityResult {
  const { spec, requests, usage, now } = input;
  const explain = input.explain === true;
  const constraints = constraintsKey(spec);
  const groups = new Map<string, GroupStats>();
  const verdicts: NodeVerdict[] = [];
  const incoming: VmCapacity['incoming'] = [];
  /** Incoming nodes that report no allocatable yet: sized from their group once all groups are known. */
  const unsized: { node: string; group: string; readyAt: number; age: number }[] = [];
  let freeSlots = 0;

  for (const node of input.nodes) {
    const name = node.metadata?.name ?? '';
    if (node.metadata?.deletionTimestamp) {
      if (explain)
        verdicts.push({
          node: name,
          group: nodeGroup(node),
          state: 'excluded',
          slots: 0,
          reason: 'the node is being deleted',
        });
      continue;
    }
    const group = nodeGroup(node);
    let stats = groups.get(group);
    if (!stats) {
      stats = { nodes: 0 };
      groups.set(group, stats);
    }
    stats.nodes += 1;
    const allocatable = allocatableOf(node);
    const own = usage.get(name);
    // A node that does not fit even as a fresh node fits in no state; most nodes need only this check.
    const freshReason = freshFitReason(spec, constraints, node);
    if (freshReason === undefined && allocatable.pods !== undefined) {
      const fresh = slotsFor(allocatable, own?.daemonSet ?? EMPTY, own?.daemonSetPods ?? 0, requests).slots;
      stats.freshSlots = stats.freshSlots === undefined ? fresh : Math.min(stats.freshSlots, fresh);
    }
    const verdict = (state: NodeVerdict['state'], slots: number, reason: () => string) => {
      if (explain) verdicts.push({ node: name, group, state, slots, reason: reason() });
    };

    if (nodeReady(node)) {
      const reason = freshReason ?? (hasTransientState(node) ? staticFitReason(spec, node) : undefined);
      if (reason !== undefined) {
        verdict('excluded', 0, () => reason);
        continue;
      }
      const used = own?.requested ?? EMPTY;
      const usedPods = own?.pods ?? 0;
      const fit = slotsFor(allocatable, used, usedPods, requests);
      freeSlots += fit.slots;
      verdict('ready', fit.slots, () => describeLimit(fit.limitedBy, allocatable, used, usedPods, requests));
      continue;
    }
    const created = timeMs(node.metadata?.creationTimestamp);
    if (created === undefined || now - created >= input.incomingWindowMs) {
      verdict('excluded', 0, () => 'the node is NotReady and not new (not counted as incoming)');
      continue;
    }
    if (freshReason !== undefined) {
      verdict('excluded', 0, () => `incoming, but ${freshReason}`);
      continue;
    }
    const readyAt = Math.max(now, created + input.provisionEstimateMs);
    if (allocatable.pods === undefined) {
      unsized.push({ node: name, group, readyAt, age: now - created });
      continue;
    }
    const slots = slotsFor(allocatable, own?.requested ?? EMPTY, own?.pods ?? 0, requests).slots;
    verdict('incoming', slots, () => incomingReason(now - created, readyAt));
    if (slots > 0) incoming.push({ slots, readyAt });
  }

  let best: { name: string; nodes: number; slotsPerNode: number } | undefined;
  for (const [name, stats] of groups) {
    if (stats.freshSlots === undefined) continue;
    if (
      !best ||
      stats.nodes > best.nodes ||
      (stats.nodes === best.nodes &&
        (stats.freshSlots > best.slotsPerNode ||
          (stats.freshSlots === best.slotsPerNode && name < best.name)))
    )
      best = { name, nodes: stats.nodes, slotsPerNode: stats.freshSlots };
  }
  for (const pending of unsized) {
    const slots = groups.get(pending.group)?.freshSlots ?? best?.slotsPerNode ?? 0;
    if (explain)
      verdicts.push({
        node: pending.node,
        group: pending.group,
        state: 'incoming',
        slots,
        reason: incomingReason(pending.age, pending.readyAt),
      });
    if (slots > 0) incoming.push({ slots, readyAt: pending.readyAt });
  }

  incoming.sort((a, b) => a.readyAt - b.readyAt || a.slots - b.slots);
  verdicts.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const result: CapacityResult = {
    capacity: { freeSlots, slotsPerNode: best?.slotsPerNode ?? 0, incoming },
    nodes: verdicts,
  };
  if (best) result.group = best;
  return result;
}

function incomingReason(ageMs: number, readyAt: number): string {
  return `NotReady, created ${Math.round(ageMs / 1000)} s ago; expected Ready at ${new Date(readyAt).toISOString()}`;
}
