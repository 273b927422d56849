/**
 * A simulated AKS cluster for one workload: VM nodes with allocatable CPU and memory, a Deployment and its
 * ReplicaSet, the scheduler, the cluster autoscaler and, optionally, an AKS virtual node (virtual-kubelet
 * on ACI). It implements {@link ClusterPort}, so Spillway's real controller loop and executor drive it.
 *
 * Time is the injected clock; the simulator calls {@link SimCluster.step} once per simulated second to
 * bind pods, start them and run the autoscaler's scans. Everything random (provision delays, pod starts,
 * random scale-in) comes from one seeded generator: the same seed gives the same run.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { PodInfo, ScalerKey, ScalerStatus, VmCapacity } from '../../core/types.ts';
import { fnv1a } from '../../core/naming.ts';
import type {
  BurstScalerObject,
  Clock,
  ClusterPort,
  EndpointAddress,
  EventType,
  InformerHealth,
  WorkloadView,
} from '../../ports.ts';
import type { AciModel } from '../aci/model.ts';
import { SeededRandom, sample } from '../aci/rng.ts';
import type { Scenario } from '../scenario.ts';
import {
  aciGroupResources,
  burstScalerObject,
  nodeAllocatable,
  nodeSecondUSD,
  podTemplate,
  slotsPerNode,
} from '../scenario.ts';
import { DEFAULT_ACI_WRITE_LIMITS, WritePacer } from '../../aci/pacing.ts';
import type { RateLimit } from '../../aci/pacing.ts';
import { ClusterAutoscaler } from './autoscaler.ts';
import type { AutoscaledCluster } from './autoscaler.ts';
import { deletionOrder, freeSlots, schedule } from './scheduler.ts';
import type { RankedPod, SchedNode, ScheduleResult } from './scheduler.ts';

/** Name of the AKS virtual node (virtual-kubelet ACI connector). */
export const VIRTUAL_NODE = 'virtual-node-aci-linux';

interface SimNode extends SchedNode {
  createdAt: number;
  readyAt: number;
  deletedAt?: number;
  unneededSince?: number;
  pods: Set<string>;
}

interface SimPod {
  name: string;
  createdAt: number;
  nodeName?: string;
  /** When the container is Ready (VM pods: bound + start delay; virtual pods: when the ACI group runs). */
  readyAt?: number;
  deletionCost?: number;
  unschedulable?: { since: number; message: string };
  virtual: boolean;
  /** Virtual-node pods: the container group was created (else virtual-kubelet retries). */
  groupCreated?: boolean;
  /** Virtual-node pods: the container group's name ({@link aciName}). */
  group?: string;
}

export interface VirtualNodeOptions {
  model: AciModel;
  resourceGroup: string;
  region: string;
  /**
   * ACI's create limits per region (100 per 5 min, 300 per hour): Azure answers 429 beyond them, and the
   * pod stays Pending (ProviderFailed) until virtual-kubelet's retry gets through. @default ACI's limits
   */
  createLimits?: readonly RateLimit[];
}

export interface SimClusterOptions {
  clock: Clock;
  scenario: Scenario;
  /** Nodes Ready at the start. @default scenario.nodePool.minNodes */
  initialNodes?: number;
  /** The BurstScaler the cluster holds (Spillway's runs); none for the baselines. */
  scaler?: BurstScalerObject | undefined;
  /** Scale-in order: the ReplicaSet's ranking, or uniformly random among Running pods. @default 'replicaset' */
  scaleIn?: 'replicaset' | 'random';
  /** An AKS virtual node: pods that fit on no VM node run on ACI through it. */
  virtualNode?: VirtualNodeOptions;
  /** Run the cluster autoscaler. @default true */
  autoscaler?: boolean;
}

/** Counters for reports and tests. */
export interface ClusterStats {
  nodesAdded: number;
  nodesRemoved: number;
  podsCreated: number;
  podsDeleted: number;
  scaleCalls: number;
  events: number;
}

export class SimCluster implements ClusterPort, AutoscaledCluster {
  readonly #clock: Clock;
  readonly #scenario: Scenario;
  readonly #random: SeededRandom;
  readonly #alloc: { cpu: number; memoryGiB: number; pods: number };
  readonly #slots: number;
  readonly #request: { cpu: number; memoryGiB: number };
  readonly #template: V1PodTemplateSpec;
  readonly #templateHash: string;
  readonly #scaleIn: 'replicaset' | 'random';
  readonly #virtual: VirtualNodeOptions | undefined;
  readonly #virtualPacer: WritePacer | undefined;
  readonly #group: { cpu: number; memoryGB: number };
  readonly #autoscaler: ClusterAutoscaler | undefined;
  readonly #nodes: SimNode[] = [];
  /** The nodes of {@link #nodes} by name. */
  readonly #nodeByName = new Map<string, SimNode>();
  readonly #allNodes: SimNode[] = [];
  readonly #pods = new Map<string, SimPod>();
  /** Pods the scheduler has not bound yet, in creation order. */
  readonly #unbound = new Set<SimPod>();
  /** Pods bound to the virtual node whose container group is not created yet, in creation order. */
  readonly #toCreate = new Set<SimPod>();
  /** Pods bound to the virtual node whose container group is created but not yet running. */
  readonly #starting = new Set<SimPod>();
  /** Bumped on every pod change; readyPods() is remembered until the next change or the next pod start. */
  #version = 0;
  #readyMemo: { version: number; at: number; until: number; vm: number; virtual: number } | undefined;
  #replicas = 0;
  #nodeSeq = 0;
  #podSeq = 0;
  #scaler: BurstScalerObject | undefined;
  #listeners: ((scaler: { namespace: string; name: string }) => void)[] = [];
  /** Events recorded through emitEvent, newest last (bounded). */
  readonly events: { at: number; type: EventType; reason: string; message: string }[] = [];
  readonly stats: ClusterStats = {
    nodesAdded: 0,
    nodesRemoved: 0,
    podsCreated: 0,
    podsDeleted: 0,
    scaleCalls: 0,
    events: 0,
  };
  /** EndpointSlice addresses last written, by Service. */
  readonly endpointSlices = new Map<string, EndpointAddress[]>();

  constructor(options: SimClusterOptions) {
    this.#clock = options.clock;
    this.#scenario = options.scenario;
    this.#random = new SeededRandom(options.scenario.seed * 7919 + 17);
    this.#alloc = nodeAllocatable(options.scenario);
    this.#slots = slotsPerNode(options.scenario);
    this.#request = { ...options.scenario.replica };
    this.#template = podTemplate(options.scenario);
    this.#templateHash = fnv1a(JSON.stringify(this.#template)).slice(0, 10);
    this.#scaleIn = options.scaleIn ?? 'replicaset';
    this.#virtual = options.virtualNode;
    this.#group = aciGroupResources(options.scenario);
    this.#virtualPacer = options.virtualNode
      ? new WritePacer(options.virtualNode.createLimits ?? DEFAULT_ACI_WRITE_LIMITS, options.clock)
      : undefined;
    this.#scaler = options.scaler;
    this.#autoscaler =
      options.autoscaler === false
        ? undefined
        : new ClusterAutoscaler(options.scenario.autoscaler, options.scenario.nodePool);
    const now = this.#clock.now();
    const initial = options.initialNodes ?? options.scenario.nodePool.minNodes;
    for (let i = 0; i < initial; i++) this.#createNode(now - 3_600_000, now - 3_600_000);
  }

  /** The BurstScaler a Spillway run uses, built from the scenario. */
  static scalerFor(scenario: Scenario): BurstScalerObject {
    return burstScalerObject(scenario);
  }

  // ---------------------------------------------------------------------------------------------
  // Simulation
  // ---------------------------------------------------------------------------------------------

  /** One simulated instant: bind pending pods, then the autoscaler's scan when due. */
  step(now = this.#clock.now()): void {
    this.#bindPending(now);
    this.#autoscaler?.maybeScan(this, now);
    this.#bindPending(now);
  }

  /** Pods that serve now: VM pods Ready, and virtual-node pods whose ACI group runs. */
  readyPods(now = this.#clock.now()): { vm: number; virtual: number } {
    const memo = this.#readyMemo;
    if (memo && memo.version === this.#version && now >= memo.at && now < memo.until)
      return { vm: memo.vm, virtual: memo.virtual };
    let vm = 0;
    let virtual = 0;
    let until = Infinity;
    for (const pod of this.#pods.values()) {
      if (pod.readyAt === undefined) continue;
      if (pod.readyAt > now) {
        until = Math.min(until, pod.readyAt);
        continue;
      }
      if (pod.virtual) virtual += 1;
      else vm += 1;
    }
    this.#readyMemo = { version: this.#version, at: now, until, vm, virtual };
    return { vm, virtual };
  }

  /** Deployment spec.replicas. */
  get replicas(): number {
    return this.#replicas;
  }

  /** Nodes that exist (Ready or provisioning), excluding the virtual node. */
  nodeCount(): { ready: number; provisioning: number } {
    const now = this.#clock.now();
    let ready = 0;
    let provisioning = 0;
    for (const node of this.#nodes) {
      if (node.readyAt <= now) ready += 1;
      else provisioning += 1;
    }
    return { ready, provisioning };
  }

  /** Node-seconds billed in [from, to] (a node is billed from creation until removal). */
  nodeSeconds(from: number, to: number): number {
    let ms = 0;
    for (const node of this.#allNodes) {
      const start = Math.max(from, node.createdAt);
      const end = Math.min(to, node.deletedAt ?? Infinity);
      if (end > start) ms += end - start;
    }
    return ms / 1000;
  }

  /** VM cost in [from, to] at the scenario's node price. */
  vmCostUSD(from: number, to: number): number {
    return this.nodeSeconds(from, to) * nodeSecondUSD(this.#scenario);
  }

  /** What the autoscaler did. */
  get autoscalerEvents(): ClusterAutoscaler['events'] {
    return this.#autoscaler?.events ?? [];
  }

  /** Sets the Deployment's replicas and lets the ReplicaSet act at once (the scale subresource). */
  setReplicas(replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new RangeError(`replicas: must be a whole number ≥ 0, got ${replicas}`);
    this.#replicas = replicas;
    this.#reconcile(this.#clock.now());
  }

  /**
   * Starts the workload warm: `replicas` pods bound and Ready now (on VM nodes, adding nodes to the initial
   * pool as needed). For the warm-up before a trace.
   */
  warmStart(replicas: number): void {
    const now = this.#clock.now();
    const needed = Math.ceil(replicas / this.#slots);
    while (this.#nodes.length < Math.min(needed, this.#scenario.nodePool.maxNodes))
      this.#createNode(now - 3_600_000, now - 3_600_000);
    this.#replicas = replicas;
    this.#reconcile(now);
    this.#bindPending(now);
    for (const pod of this.#pods.values()) if (pod.nodeName && !pod.virtual) pod.readyAt = now;
    this.#version += 1;
  }

  // ---------------------------------------------------------------------------------------------
  // ClusterPort
  // ---------------------------------------------------------------------------------------------

  clusterId(): string {
    return 'sim-cluster';
  }

  synced(): boolean {
    return true;
  }

  scalers(): BurstScalerObject[] {
    return this.#scaler ? [this.#scaler] : [];
  }

  /**
   * The caches behind the reads, named as the Kubernetes adapter names its informers (namespaced kinds
   * per watched namespace). Here they are the cluster's own in-memory objects: listed from the start,
   * never disconnected, so every one is listed and watching with no restarts — as {@link synced} says.
   */
  informerStatus(): InformerHealth[] {
    const namespace = this.#scenario.namespace;
    return [
      `burstscalers/${namespace}`,
      `deployments/${namespace}`,
      `endpointslices/${namespace}`,
      'pods',
      'nodes',
    ].map((name) => ({ name, listed: true, watching: true, restarts: 0 }));
  }

  onChange(listener: (scaler: { namespace: string; name: string }) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  workload(
    namespace: string,
    targetRef: { apiVersion: string; kind: string; name: string },
  ): WorkloadView | undefined {
    if (namespace !== this.#scenario.namespace || targetRef.name !== this.#scenario.name) return undefined;
    if (targetRef.kind !== 'Deployment') return undefined;
    const now = this.#clock.now();
    const pods = this.#podInfos(now);
    return {
      target: {
        replicas: this.#replicas,
        readyReplicas: pods.filter((p) => p.ready).length,
        templateHash: this.#templateHash,
        maxSurge: Math.max(1, Math.ceil(this.#replicas * 0.25)),
        maxUnavailable: Math.floor(this.#replicas * 0.25),
      },
      template: this.#template,
      requests: { ...this.#request },
      pods,
      vm: this.capacity(now),
    };
  }

  async scaleTarget(
    namespace: string,
    targetRef: { apiVersion: string; kind: string; name: string },
    replicas: number,
  ): Promise<void> {
    if (!this.workload(namespace, targetRef))
      throw new Error(`deployments.apps "${targetRef.name}" not found in namespace ${namespace}`);
    this.stats.scaleCalls += 1;
    this.setReplicas(replicas);
    return Promise.resolve();
  }

  async setPodDeletionCost(namespace: string, pod: string, cost: number): Promise<void> {
    const found = this.#pods.get(pod);
    if (!found || namespace !== this.#scenario.namespace)
      throw new Error(`pods "${pod}" not found in namespace ${namespace}`);
    found.deletionCost = cost;
    return Promise.resolve();
  }

  async patchStatus(key: ScalerKey, status: ScalerStatus): Promise<void> {
    if (this.#scaler && key.name === this.#scaler.metadata.name) this.#scaler = { ...this.#scaler, status };
    return Promise.resolve();
  }

  async emitEvent(_key: ScalerKey, type: EventType, reason: string, message: string): Promise<void> {
    this.stats.events += 1;
    this.events.push({ at: this.#clock.now(), type, reason, message });
    if (this.events.length > 200) this.events.splice(0, this.events.length - 200);
    return Promise.resolve();
  }

  async syncEndpointSlice(_key: ScalerKey, serviceName: string, addresses: EndpointAddress[]): Promise<void> {
    this.endpointSlices.set(serviceName, addresses);
    return Promise.resolve();
  }

  secret(): Promise<Record<string, string>> {
    return Promise.resolve({});
  }

  configMap(): Promise<Record<string, string>> {
    return Promise.resolve({});
  }

  /** VM capacity for the worker's template, as the kube adapter computes it. */
  capacity(now = this.#clock.now()): VmCapacity {
    let free = 0;
    const incoming: VmCapacity['incoming'] = [];
    const estimate = this.#provisionEstimateMs();
    for (const node of this.#nodes) {
      if (node.deleting) continue;
      if (node.readyAt <= now) free += freeSlots(this.#view(node, now), this.#request);
      else incoming.push({ slots: this.#slots, readyAt: Math.max(now, node.createdAt + estimate) });
    }
    incoming.sort((a, b) => a.readyAt - b.readyAt);
    return { freeSlots: free, slotsPerNode: this.#slots, incoming };
  }

  // ---------------------------------------------------------------------------------------------
  // AutoscaledCluster
  // ---------------------------------------------------------------------------------------------

  nodes(): SimNode[] {
    const now = this.#clock.now();
    for (const node of this.#nodes) node.ready = node.readyAt <= now;
    return this.#nodes;
  }

  unschedulablePods(): number {
    let n = 0;
    for (const pod of this.#unbound) if (pod.unschedulable) n += 1;
    return n;
  }

  podsOn(node: string): number {
    return this.#nodeByName.get(node)?.pods.size ?? 0;
  }

  slotsPerNode(): number {
    return this.#slots;
  }

  requests(): { cpu: number; memoryGiB: number } {
    return this.#request;
  }

  addNode(now: number): void {
    const s = this.#scenario;
    const seconds = Math.min(sample(s.nodeProvision, this.#random), s.autoscaler.maxNodeProvisionSeconds);
    this.#createNode(now, now + Math.round(seconds * 1000));
  }

  removeNode(name: string, now: number): void {
    const node = this.#nodeByName.get(name);
    if (!node) return;
    this.#nodes.splice(this.#nodes.indexOf(node), 1);
    this.#nodeByName.delete(name);
    node.deletedAt = now;
    node.deleting = true;
    this.stats.nodesRemoved += 1;
    for (const pod of [...node.pods]) this.#deletePod(pod);
    this.#reconcile(now);
  }

  setUnneeded(name: string, since: number | undefined): void {
    const node = this.#nodeByName.get(name);
    if (!node) return;
    if (since === undefined) delete node.unneededSince;
    else node.unneededSince = since;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  #provisionEstimateMs(): number {
    const d = this.#scenario.nodeProvision;
    const seconds =
      d.kind === 'fixed'
        ? d.seconds
        : d.kind === 'uniform'
          ? (d.minSeconds + d.maxSeconds) / 2
          : d.medianSeconds;
    return seconds * 1000;
  }

  #createNode(createdAt: number, readyAt: number): void {
    const name = `aks-workers-${String(this.#nodeSeq++).padStart(5, '0')}`;
    const node: SimNode = {
      name,
      ready: readyAt <= this.#clock.now(),
      deleting: false,
      alloc: { ...this.#alloc },
      used: { cpu: 0, memoryGiB: 0, pods: 0 },
      createdAt,
      readyAt,
      pods: new Set(),
    };
    this.#nodes.push(node);
    this.#nodes.sort((a, b) => a.name.localeCompare(b.name));
    this.#nodeByName.set(name, node);
    this.#allNodes.push(node);
    this.stats.nodesAdded += 1;
  }

  #view(node: SimNode, now: number): SimNode {
    node.ready = node.readyAt <= now;
    return node;
  }

  #livePods(): SimPod[] {
    return [...this.#pods.values()];
  }

  /** The ReplicaSet: create or delete pods until there are `replicas`. */
  #reconcile(now: number): void {
    const live = this.#livePods();
    if (live.length < this.#replicas) {
      for (let i = live.length; i < this.#replicas; i++) {
        const name = `${this.#scenario.name}-${this.#templateHash.slice(0, 5)}-${(this.#podSeq++).toString(36).padStart(5, '0')}`;
        const pod: SimPod = { name, createdAt: now, virtual: false };
        this.#pods.set(name, pod);
        this.#unbound.add(pod);
        this.#version += 1;
        this.stats.podsCreated += 1;
      }
      return;
    }
    let excess = live.length - this.#replicas;
    if (excess <= 0) return;
    const ranked: RankedPod[] = live.map((p) => ({
      name: p.name,
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      running: p.readyAt !== undefined && p.readyAt <= now,
      ready: p.readyAt !== undefined && p.readyAt <= now,
      deletionCost: p.deletionCost ?? 0,
      ...(p.readyAt !== undefined ? { readyAt: p.readyAt } : {}),
      createdAt: p.createdAt,
    }));
    let order = deletionOrder(ranked);
    if (this.#scaleIn === 'random') {
      // Not-running pods still go first (the ReplicaSet never keeps a Pending pod over a Running one);
      // among Running pods the choice is random, as observed with virtual nodes.
      const notRunning = order.filter((p) => !p.running);
      const running = order.filter((p) => p.running);
      for (let i = running.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random.next() * (i + 1));
        [running[i], running[j]] = [running[j]!, running[i]!];
      }
      order = [...notRunning, ...running];
    }
    for (const pod of order) {
      if (excess === 0) break;
      this.#deletePod(pod.name);
      excess -= 1;
    }
  }

  #deletePod(name: string): void {
    const pod = this.#pods.get(name);
    if (!pod) return;
    this.#pods.delete(name);
    this.#unbound.delete(pod);
    this.#toCreate.delete(pod);
    this.#starting.delete(pod);
    this.#version += 1;
    this.stats.podsDeleted += 1;
    if (pod.nodeName === VIRTUAL_NODE && this.#virtual) {
      if (pod.groupCreated) this.#virtual.model.delete(this.#virtual.resourceGroup, pod.group!);
      return;
    }
    const node = pod.nodeName === undefined ? undefined : this.#nodeByName.get(pod.nodeName);
    if (!node) return;
    node.pods.delete(name);
    node.used.cpu -= this.#request.cpu;
    node.used.memoryGiB -= this.#request.memoryGiB;
    node.used.pods -= 1;
  }

  /**
   * The scheduler and virtual-kubelet over the pods still to act on, in creation order: first the pods
   * bound to the virtual node whose container group is not created yet (they were bound in earlier steps, so
   * they are older than any unbound pod: with a virtual node no pod stays unbound past a step), then the
   * unbound pods. Two exact shortcuts keep a long backlog cheap: nothing in the pass changes the nodes until
   * a pod binds, so once the scheduler found no node for one pod its answer holds for the next (until a
   * bind); and once the create pacer refused at this instant it refuses every later create of the same
   * instant (a refusal takes no token and the refill is a function of the time only), so the rest wait.
   */
  #bindPending(now: number): void {
    const pass = { paced: false };
    for (const pod of this.#toCreate) {
      if (pass.paced) break;
      this.#createVirtualGroup(pod, pass);
    }
    let nodes: SimNode[] | undefined;
    let noFit: ScheduleResult | undefined;
    for (const pod of this.#unbound) {
      nodes ??= this.nodes();
      const result = noFit ?? schedule(nodes, this.#request, this.#scenario.scheduler);
      if (result.node !== undefined) {
        const node = this.#nodeByName.get(result.node)!;
        pod.nodeName = node.name;
        delete pod.unschedulable;
        node.pods.add(pod.name);
        node.used.cpu += this.#request.cpu;
        node.used.memoryGiB += this.#request.memoryGiB;
        node.used.pods += 1;
        pod.readyAt = now + Math.round(sample(this.#scenario.podStart, this.#random) * 1000);
        this.#unbound.delete(pod);
        this.#version += 1;
        continue;
      }
      noFit = result;
      if (this.#virtual) {
        pod.nodeName = VIRTUAL_NODE;
        pod.virtual = true;
        pod.group = aciName(pod.name);
        delete pod.unschedulable;
        this.#unbound.delete(pod);
        this.#toCreate.add(pod);
        this.#createVirtualGroup(pod, pass);
        continue;
      }
      const was = pod.unschedulable;
      if (was?.message !== result.message)
        pod.unschedulable = { since: was?.since ?? now, message: result.message };
    }
    if (this.#starting.size > 0) this.#checkVirtualReady(now);
  }

  /**
   * virtual-kubelet: a pod bound to the virtual node becomes a container group; while ACI refuses (create
   * limits, quota) the pod stays bound and Pending (ProviderFailed) and the create is retried.
   */
  #createVirtualGroup(pod: SimPod, pass: { paced: boolean }): void {
    const v = this.#virtual!;
    if (pass.paced) return;
    if ((this.#virtualPacer?.tryTake(v.region) ?? 0) > 0) {
      pass.paced = true;
      return;
    }
    try {
      v.model.createOrUpdate(v.resourceGroup, pod.group!, {
        location: v.region,
        osType: 'Linux',
        containers: [
          {
            name: 'worker',
            image: 'spillway.example/sim-worker:1.0',
            resources: { requests: { cpu: this.#group.cpu, memoryInGB: this.#group.memoryGB } },
          },
        ],
        tags: { 'virtual-kubelet': 'true' },
      });
      pod.groupCreated = true;
      this.#toCreate.delete(pod);
      this.#starting.add(pod);
    } catch {
      // ProviderFailed: retried on the next step.
    }
  }

  /** Virtual-node pods become Ready when their container group runs. */
  #checkVirtualReady(now: number): void {
    const v = this.#virtual;
    if (!v) return;
    for (const pod of this.#starting) {
      if (v.model.stateOf(v.resourceGroup, pod.group!) !== 'Running') continue;
      pod.readyAt = now;
      this.#starting.delete(pod);
      this.#version += 1;
    }
  }

  #podInfos(now: number): PodInfo[] {
    const out: PodInfo[] = [];
    for (const pod of this.#pods.values()) {
      const ready = pod.readyAt !== undefined && pod.readyAt <= now;
      const info: PodInfo = {
        name: pod.name,
        phase: ready ? 'Running' : 'Pending',
        ready,
        deleting: false,
        createdAt: pod.createdAt,
      };
      if (pod.nodeName !== undefined) info.nodeName = pod.nodeName;
      if (ready) {
        info.readyAt = pod.readyAt!;
        info.readyChangedAt = pod.readyAt!;
      }
      if (pod.unschedulable) info.unschedulable = { ...pod.unschedulable };
      if (pod.deletionCost !== undefined) info.deletionCost = pod.deletionCost;
      out.push(info);
    }
    return out;
  }
}

/** The container group name virtual-kubelet would use for a pod (namespace-pod, here the pod name). */
export function aciName(pod: string): string {
  return `vk-${pod}`.slice(0, 63).replace(/-+$/, '');
}
