/**
 * The simulated cluster autoscaler, modelled from its documented defaults (kubernetes/autoscaler FAQ):
 *
 * - every `scanIntervalSeconds` (10 s) it looks at pods the scheduler marked Unschedulable;
 * - scale-up: nodes already being provisioned are counted first (their slots take pending pods); for the
 *   rest it adds `ceil(pods ÷ slots per node)` nodes, up to the pool's maximum. Each new node is Ready
 *   after a provision delay drawn from the scenario's distribution (seeded), capped at
 *   max-node-provision-time (15 min);
 * - scale-down: a Ready node is *unneeded* while its requests are below 50 % of allocatable (max of CPU
 *   and memory) and its pods fit on the other nodes; after 10 min unneeded it is removed — empty nodes
 *   up to 10 at once, otherwise one node per scan — never below the pool's minimum and never within
 *   10 min of a scale-up (scale-down-delay-after-add). Its pods are evicted and the ReplicaSet recreates
 *   them elsewhere.
 *
 * Not modelled: expanders and several node groups, scale-down of nodes with non-movable pods, balancing,
 * node provisioning failures.
 */
import type { AutoscalerSettings } from '../scenario.ts';
import { freeSlots, type Requests, type SchedNode } from './scheduler.ts';

/** What the autoscaler needs from the cluster. */
export interface AutoscaledCluster {
  /** Real (not virtual) nodes that exist, sorted by name (String.prototype.localeCompare). */
  nodes(): readonly (SchedNode & { unneededSince?: number; createdAt: number })[];
  /** Pods the scheduler marked Unschedulable. */
  unschedulablePods(): number;
  /** Pods bound to a node, by node name. */
  podsOn(node: string): number;
  slotsPerNode(): number;
  requests(): Requests;
  addNode(now: number): void;
  removeNode(name: string, now: number): void;
  setUnneeded(name: string, since: number | undefined): void;
}

export interface AutoscalerEvent {
  at: number;
  kind: 'ScaleUp' | 'ScaleDown';
  nodes: number;
  message: string;
}

export class ClusterAutoscaler {
  readonly #settings: AutoscalerSettings;
  readonly #pool: { minNodes: number; maxNodes: number };
  #lastScan = -Infinity;
  #lastScaleUp = -Infinity;
  /** What it did, in order. */
  readonly events: AutoscalerEvent[] = [];

  constructor(settings: AutoscalerSettings, pool: { minNodes: number; maxNodes: number }) {
    this.#settings = settings;
    this.#pool = pool;
  }

  /** Runs a scan when one is due at `now`. */
  maybeScan(cluster: AutoscaledCluster, now: number): void {
    if (now - this.#lastScan < this.#settings.scanIntervalSeconds * 1000) return;
    this.#lastScan = now;
    this.scan(cluster, now);
  }

  /** One scan: scale up for unschedulable pods, else consider scale-down. */
  scan(cluster: AutoscaledCluster, now: number): void {
    const nodes = cluster.nodes();
    const slots = cluster.slotsPerNode();
    const upcoming = nodes.filter((n) => !n.ready && !n.deleting);
    const pending = cluster.unschedulablePods();
    const uncovered = pending - upcoming.length * slots;
    if (uncovered > 0 && slots > 0) {
      const room = this.#pool.maxNodes - nodes.filter((n) => !n.deleting).length;
      const add = Math.min(Math.ceil(uncovered / slots), room);
      if (add > 0) {
        for (let i = 0; i < add; i++) cluster.addNode(now);
        this.#lastScaleUp = now;
        this.events.push({
          at: now,
          kind: 'ScaleUp',
          nodes: add,
          message: `${pending} unschedulable pod(s), ${upcoming.length} node(s) already coming: adding ${add} node(s)`,
        });
      }
    }
    this.#scaleDown(cluster, now);
  }

  #scaleDown(cluster: AutoscaledCluster, now: number): void {
    const s = this.#settings;
    const pod = cluster.requests();
    const nodes = cluster.nodes().filter((n) => n.ready && !n.deleting);
    // Free slots on each node, consumed as pods of unneeded nodes are (virtually) moved onto them, and
    // their sum over the nodes not (yet) unneeded — whole numbers, so the running sum is exact.
    const free = new Map(nodes.map((n) => [n.name, freeSlots(n, pod)]));
    let freeOfNeeded = 0;
    for (const slots of free.values()) freeOfNeeded += slots;
    // Least utilized first, ties by name: the nodes come sorted by name and the sort is stable.
    const utilizations = new Map(nodes.map((n) => [n.name, utilization(n)]));
    const byUtilization = [...nodes].sort((a, b) => utilizations.get(a.name)! - utilizations.get(b.name)!);
    const unneeded = new Set<string>();
    for (const node of byUtilization) {
      if (utilizations.get(node.name)! >= s.scaleDownUtilizationThreshold) {
        cluster.setUnneeded(node.name, undefined);
        continue;
      }
      let toMove = cluster.podsOn(node.name);
      // The other nodes not unneeded can take them (the node itself is not unneeded yet).
      const capacity = freeOfNeeded - (free.get(node.name) ?? 0);
      if (capacity < toMove) {
        cluster.setUnneeded(node.name, undefined);
        continue;
      }
      // Move to the fullest nodes first (what the autoscaler's simulation of the scheduler tends to do).
      for (let i = byUtilization.length - 1; i >= 0 && toMove > 0; i--) {
        const target = byUtilization[i]!;
        if (target === node || unneeded.has(target.name)) continue;
        const take = Math.min(toMove, free.get(target.name) ?? 0);
        free.set(target.name, (free.get(target.name) ?? 0) - take);
        freeOfNeeded -= take;
        toMove -= take;
      }
      unneeded.add(node.name);
      freeOfNeeded -= free.get(node.name) ?? 0;
      cluster.setUnneeded(node.name, node.unneededSince ?? now);
    }
    if (now - this.#lastScaleUp < s.scaleDownDelayAfterAddSeconds * 1000) return;
    const existing = cluster.nodes().filter((n) => !n.deleting).length;
    let removable = existing - this.#pool.minNodes;
    if (removable <= 0) return;
    const due = cluster
      .nodes()
      .filter(
        (n) =>
          unneeded.has(n.name) &&
          n.unneededSince !== undefined &&
          now - n.unneededSince >= s.scaleDownUnneededSeconds * 1000,
      );
    const empty = due.filter((n) => cluster.podsOn(n.name) === 0).slice(0, s.maxEmptyBulkDelete);
    const victims = empty.length > 0 ? empty : due.slice(0, 1);
    const removed: string[] = [];
    for (const node of victims) {
      if (removable <= 0) break;
      cluster.removeNode(node.name, now);
      removed.push(node.name);
      removable -= 1;
    }
    if (removed.length > 0)
      this.events.push({
        at: now,
        kind: 'ScaleDown',
        nodes: removed.length,
        message: `removed ${removed.join(', ')}: unneeded for ${s.scaleDownUnneededSeconds / 60} min (below ${s.scaleDownUtilizationThreshold * 100}% requested)`,
      });
  }
}

/** Requests ÷ allocatable, the larger of CPU and memory (the autoscaler's utilization). */
export function utilization(node: SchedNode): number {
  return Math.max(node.used.cpu / node.alloc.cpu, node.used.memoryGiB / node.alloc.memoryGiB);
}
