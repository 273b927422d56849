/**
 * The simulated kube-scheduler's filter and score for one pod, and the ReplicaSet's choice of pods to
 * delete on scale-in. Pure: nodes and pods in, a choice out.
 *
 * - Filter (NodeResourcesFit): the node is Ready, not being deleted, and its free allocatable CPU,
 *   memory and pod count fit the pod's requests.
 * - Score: NodeResourcesFit's scoring strategy, by default kube-scheduler's (and AKS's) LeastAllocated — the
 *   node with the most free share after the pod (mean of CPU and memory) wins, which spreads pods; or
 *   MostAllocated — the node with the least free share wins, which packs them (a scheduler profile a cluster
 *   can run as a second scheduler, or what consolidating autoscalers aim for). Ties go to the first node by
 *   name.
 * - When no node fits, the pod stays Pending with PodScheduled=False, reason Unschedulable, and the
 *   scheduler's message ("0/3 nodes are available: 3 Insufficient cpu.").
 */

export interface SchedNode {
  name: string;
  ready: boolean;
  deleting: boolean;
  alloc: { cpu: number; memoryGiB: number; pods: number };
  used: { cpu: number; memoryGiB: number; pods: number };
}

export interface Requests {
  cpu: number;
  memoryGiB: number;
}

const EPS = 1e-9;

/** Why `node` cannot take the pod, in the scheduler's words; undefined when it fits. */
export function fitFailure(node: SchedNode, pod: Requests): string | undefined {
  if (!node.ready) return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
  if (node.deleting) return 'node(s) were unschedulable';
  if (node.used.pods + 1 > node.alloc.pods) return 'Too many pods';
  if (node.used.cpu + pod.cpu > node.alloc.cpu + EPS) return 'Insufficient cpu';
  if (node.used.memoryGiB + pod.memoryGiB > node.alloc.memoryGiB + EPS) return 'Insufficient memory';
  return undefined;
}

/** NodeResourcesFit's scoring strategies (`scoringStrategy.type` of a kube-scheduler profile). */
export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

/** A node's score for the pod (higher wins): its free share after the pod, or its used share for MostAllocated. */
function score(node: SchedNode, pod: Requests, strategy: ScoringStrategy): number {
  const cpu = (node.alloc.cpu - node.used.cpu - pod.cpu) / node.alloc.cpu;
  const memory = (node.alloc.memoryGiB - node.used.memoryGiB - pod.memoryGiB) / node.alloc.memoryGiB;
  const free = (cpu + memory) / 2;
  return strategy === 'MostAllocated' ? 1 - free : free;
}

export type ScheduleResult = { node: string } | { node: undefined; message: string };

/** Picks a node for one pod, or explains why none fits. Nodes must be sorted by name. */
export function schedule(
  nodes: readonly SchedNode[],
  pod: Requests,
  strategy: ScoringStrategy = 'LeastAllocated',
): ScheduleResult {
  let best: SchedNode | undefined;
  let bestScore = -Infinity;
  const reasons = new Map<string, number>();
  for (const node of nodes) {
    const failure = fitFailure(node, pod);
    if (failure !== undefined) {
      reasons.set(failure, (reasons.get(failure) ?? 0) + 1);
      continue;
    }
    const s = score(node, pod, strategy);
    if (s > bestScore + EPS) {
      best = node;
      bestScore = s;
    }
  }
  if (best) return { node: best.name };
  const parts = [...reasons.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([reason, count]) => `${count} ${reason}`);
  return {
    node: undefined,
    message:
      `0/${nodes.length} nodes are available` +
      (parts.length > 0 ? `: ${parts.join(', ')}.` : '.') +
      ' preemption: not eligible due to no victims.',
  };
}

/** Replicas of `pod` that fit on `node` now. */
export function freeSlots(node: SchedNode, pod: Requests): number {
  if (!node.ready || node.deleting) return 0;
  const byCpu = Math.floor((node.alloc.cpu - node.used.cpu) / pod.cpu + EPS);
  const byMemory = Math.floor((node.alloc.memoryGiB - node.used.memoryGiB) / pod.memoryGiB + EPS);
  return Math.max(0, Math.min(node.alloc.pods - node.used.pods, byCpu, byMemory));
}

/** A pod as the ReplicaSet controller ranks it for deletion. */
export interface RankedPod {
  name: string;
  nodeName?: string;
  running: boolean;
  ready: boolean;
  deletionCost: number;
  readyAt?: number;
  createdAt: number;
}

/**
 * Orders pods for deletion on scale-in the way the ReplicaSet controller does (`ActivePodsWithRanks`):
 * unassigned before assigned; Pending before Running; not Ready before Ready; lower
 * `controller.kubernetes.io/pod-deletion-cost` first; more replicas on the same node first; more
 * recently Ready first; newer first. First in the result goes first.
 */
export function deletionOrder(pods: readonly RankedPod[]): RankedPod[] {
  const perNode = new Map<string, number>();
  for (const pod of pods) if (pod.nodeName) perNode.set(pod.nodeName, (perNode.get(pod.nodeName) ?? 0) + 1);
  const flag = (b: boolean): number => (b ? 1 : 0);
  return [...pods].sort(
    (a, b) =>
      flag(a.nodeName !== undefined) - flag(b.nodeName !== undefined) ||
      flag(a.running) - flag(b.running) ||
      flag(a.ready) - flag(b.ready) ||
      a.deletionCost - b.deletionCost ||
      (b.nodeName ? (perNode.get(b.nodeName) ?? 0) : 0) - (a.nodeName ? (perNode.get(a.nodeName) ?? 0) : 0) ||
      (b.readyAt ?? 0) - (a.readyAt ?? 0) ||
      b.createdAt - a.createdAt ||
      a.name.localeCompare(b.name),
  );
}
