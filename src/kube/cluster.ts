/**
 * The Kubernetes side of Spillway: a {@link ClusterPort} over @kubernetes/client-node.
 *
 * Reads come from informers (BurstScalers and Deployments in the watched namespaces, non-terminal pods
 * and nodes cluster-wide, Spillway's EndpointSlices); writes go through the typed clients with explicit
 * patch content types. See docs/rbac.md for the permissions each call needs.
 *
 * Pods are watched cluster-wide (one informer, phase filter on the server) rather than per target with
 * the Deployment's label selector: capacity needs every pod bound to every node anyway (kube-system
 * DaemonSets, other teams' workloads), and one informer avoids starting and stopping informers as
 * scalers come and go. Target pods are picked from it in memory with the Deployment's selector. The cost
 * is memory proportional to the cluster's pod count (managedFields are dropped to halve it).
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1EndpointSlice,
  V1Node,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import type { ScalerKey, ScalerStatus } from '../core/types.ts';
import type {
  BurstScalerObject,
  ClusterPort,
  Clock,
  EndpointAddress,
  EventType,
  WorkloadView,
} from '../ports.ts';
import { applyFootprint, podFootprint, vmCapacity } from './capacity.ts';
import type { CapacityResult, NodeUsage, PodFootprint } from './capacity.ts';
import {
  checkAddresses,
  desiredEndpointSlice,
  endpointPorts,
  endpointSliceName,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  SCALER_LABEL,
  sameEndpointSlice,
} from './endpoint-slice.ts';
import { apiError, httpStatus, InvalidRequestError, UnsupportedTargetError } from './errors.ts';
import { checkEvent, EventAggregator, eventBody, eventKey, eventName, seriesPatch } from './events.ts';
import type { EventAggregatorOptions } from './events.ts';
import { ResilientInformer } from './informer.ts';
import type { BackoffOptions, InformerStatus, KubeLog } from './informer.ts';
import { podRequests, toResources } from './resources.ts';
import { statusBody, statusUnchanged } from './status.ts';
import { UsagePoller } from './usage.ts';
import type { UsageTarget } from './usage.ts';
import { podInfo, POD_DELETION_COST, selectorMatches, targetWorkload } from './workload.ts';

export const BURST_SCALER_GROUP = 'spillway.io';
export const BURST_SCALER_VERSION = 'v1alpha1';
export const BURST_SCALER_PLURAL = 'burstscalers';
/** The field manager recorded on every write. */
export const FIELD_MANAGER = 'spillway';
/** Only pods that still hold node resources are watched. */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const INT32_MAX = 2 ** 31 - 1;
const SERVICE_TTL_MS = 30_000;

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface KubeClusterOptions {
  /** Built by the CLI from in-cluster config or --kubeconfig/--context. */
  kubeConfig: KubeConfig;
  /** Namespaces whose BurstScalers (and their Deployments, EndpointSlices) are watched. */
  namespaces: 'all' | readonly string[];
  clock: Clock;
  log: KubeLog;
  /**
   * Written into ACI ownership tags. @default the UID of the kube-system namespace, read by start()
   * (stable for the cluster's life, unique across clusters).
   */
  clusterId?: string;
  /** events.k8s.io reportingInstance, e.g. the controller pod's name. @default 'spillway' */
  instance?: string;
  /** A NotReady node is expected Ready this long after creation. @default 300 */
  provisionEstimateSeconds?: number;
  /** NotReady nodes younger than this count as incoming capacity. @default 900 (the autoscaler's max provision time) */
  incomingNodeWindowSeconds?: number;
  backoff?: BackoffOptions;
  events?: EventAggregatorOptions;
  /** List page size. @default 500 */
  pageSize?: number;
  /**
   * How often pod usage is read from metrics.k8s.io for scalers with cpu/memory triggers (0 turns it
   * off). @default 15 (the HPA's sync period)
   */
  metricsIntervalSeconds?: number;
}

type TargetRef = { apiVersion: string; kind: string; name: string };

/** Informers of one kind: one cluster-wide, or one per watched namespace. */
class Scoped<T extends KubernetesObject> {
  readonly #byNamespace: Map<string, ResilientInformer<T>>;
  readonly #all: ResilientInformer<T> | undefined;

  constructor(informers: ResilientInformer<T> | Map<string, ResilientInformer<T>>) {
    if (informers instanceof ResilientInformer) {
      this.#all = informers;
      this.#byNamespace = new Map();
    } else {
      this.#byNamespace = informers;
    }
  }

  get informers(): ResilientInformer<T>[] {
    return this.#all ? [this.#all] : [...this.#byNamespace.values()];
  }

  get(name: string, namespace: string): T | undefined {
    return (this.#all ?? this.#byNamespace.get(namespace))?.cache.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined)
      return (this.#all ?? this.#byNamespace.get(namespace))?.cache.list(namespace) ?? [];
    return this.informers.flatMap((informer) => [...informer.cache.list()]);
  }

  on(verb: 'add' | 'update' | 'delete', callback: (object: T) => void): void {
    for (const informer of this.informers) informer.on(verb, callback);
  }
}

function checkNamespaces(namespaces: 'all' | readonly string[]): void {
  if (namespaces === 'all') return;
  if (namespaces.length === 0)
    throw new InvalidRequestError(
      'namespaces',
      "give at least one namespace, or 'all' to watch every namespace",
    );
  const seen = new Set<string>();
  namespaces.forEach((namespace, i) => {
    if (!DNS_LABEL.test(namespace) || namespace.length > 63)
      throw new InvalidRequestError(
        `namespaces[${i}]`,
        `"${namespace}" is not a namespace name (a DNS label)`,
      );
    if (seen.has(namespace))
      throw new InvalidRequestError(`namespaces[${i}]`, `"${namespace}" is listed twice`);
    seen.add(namespace);
  });
}

function checkReplicas(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > INT32_MAX)
    throw new InvalidRequestError(field, `must be a whole number from 0 to ${INT32_MAX}, got ${value}`);
}

/** The BurstScaler view of a cached object; undefined when it lacks what a scaler must have. */
export function toScalerObject(object: KubernetesObject): BurstScalerObject | undefined {
  const meta = object.metadata;
  if (!meta?.name || !meta.namespace || !meta.uid) return undefined;
  const metadata: BurstScalerObject['metadata'] = {
    name: meta.name,
    namespace: meta.namespace,
    uid: meta.uid,
    generation: typeof meta.generation === 'number' ? meta.generation : 0,
  };
  if (meta.annotations) metadata.annotations = meta.annotations;
  if (meta.labels) metadata.labels = meta.labels;
  const deleting = meta.deletionTimestamp as unknown;
  if (deleting instanceof Date) metadata.deletionTimestamp = deleting.toISOString();
  else if (typeof deleting === 'string' && deleting) metadata.deletionTimestamp = deleting;
  const raw = object as { spec?: unknown; status?: unknown };
  const scaler: BurstScalerObject = {
    apiVersion: object.apiVersion ?? `${BURST_SCALER_GROUP}/${BURST_SCALER_VERSION}`,
    kind: object.kind ?? 'BurstScaler',
    metadata,
    spec: raw.spec,
  };
  if (raw.status !== undefined) scaler.status = raw.status;
  return scaler;
}

/** spec.targetRef of a raw BurstScaler, when it has the expected shape. */
function targetRefOf(object: KubernetesObject): TargetRef | undefined {
  const ref = (object as { spec?: { targetRef?: Partial<TargetRef> } }).spec?.targetRef;
  if (typeof ref?.name !== 'string') return undefined;
  return { apiVersion: ref.apiVersion ?? 'apps/v1', kind: ref.kind ?? 'Deployment', name: ref.name };
}

function isDeployment(ref: TargetRef): boolean {
  return ref.kind === 'Deployment' && ref.apiVersion === 'apps/v1';
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** What changes a node's capacity: readiness, cordon, taints, labels, allocatable. */
function nodeFingerprint(node: V1Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([
    ready,
    node.spec?.unschedulable,
    node.spec?.taints,
    node.metadata?.labels,
    node.status?.allocatable,
  ]);
}

/** What a person changed on a scaler (status writes, ours included, are left out). */
function scalerFingerprint(object: KubernetesObject): string {
  const meta = object.metadata;
  return JSON.stringify([meta?.generation, meta?.deletionTimestamp, meta?.labels, meta?.annotations]);
}

/** A {@link ClusterPort} backed by informers and the typed clients of @kubernetes/client-node. */
export class KubeCluster implements ClusterPort {
  readonly #options: KubeClusterOptions;
  readonly #clock: Clock;
  readonly #log: KubeLog;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #discovery: DiscoveryV1Api;
  readonly #events: EventsV1Api;
  readonly #scalers: Scoped<KubernetesObject>;
  readonly #deployments: Scoped<V1Deployment>;
  readonly #slices: Scoped<V1EndpointSlice>;
  readonly #pods: ResilientInformer<V1Pod>;
  readonly #nodes: ResilientInformer<V1Node>;
  readonly #usage = new Map<string, NodeUsage>();
  readonly #footprints = new Map<string, PodFootprint>();
  readonly #nodeFingerprints = new Map<string, string>();
  readonly #scalerFingerprints = new Map<string, string>();
  readonly #listeners = new Set<(scaler: { namespace: string; name: string }) => void>();
  readonly #aggregator: EventAggregator;
  readonly #services = new Map<string, { service: V1Service; at: number }>();
  readonly #syncListeners = new Set<() => void>();
  readonly #usagePoller: UsagePoller | undefined;
  #clusterId: string | undefined;
  #eventSequence = 0;
  #synced = false;

  constructor(options: KubeClusterOptions) {
    checkNamespaces(options.namespaces);
    this.#options = options;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#clusterId = options.clusterId;
    const kc = options.kubeConfig;
    this.#apps = kc.makeApiClient(AppsV1Api);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#discovery = kc.makeApiClient(DiscoveryV1Api);
    this.#events = kc.makeApiClient(EventsV1Api);
    this.#aggregator = new EventAggregator(options.events);

    const make = <T extends KubernetesObject>(
      name: string,
      path: string,
      selectors: { labelSelector?: string; fieldSelector?: string } = {},
    ) =>
      new ResilientInformer<T>({
        name,
        kubeConfig: kc,
        path,
        ...selectors,
        clock: options.clock,
        log: options.log,
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      });
    const scoped = <T extends KubernetesObject>(
      resource: string,
      prefix: string,
      selectors: { labelSelector?: string } = {},
    ): Scoped<T> => {
      if (options.namespaces === 'all')
        return new Scoped(make<T>(resource, `${prefix}/${resource}`, selectors));
      return new Scoped(
        new Map(
          options.namespaces.map((ns) => [
            ns,
            make<T>(`${resource}/${ns}`, `${prefix}/namespaces/${ns}/${resource}`, selectors),
          ]),
        ),
      );
    };
    this.#scalers = scoped(BURST_SCALER_PLURAL, `/apis/${BURST_SCALER_GROUP}/${BURST_SCALER_VERSION}`);
    this.#deployments = scoped('deployments', '/apis/apps/v1');
    this.#slices = scoped('endpointslices', '/apis/discovery.k8s.io/v1', {
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
    });
    this.#pods = make<V1Pod>('pods', '/api/v1/pods', { fieldSelector: POD_FIELD_SELECTOR });
    this.#nodes = make<V1Node>('nodes', '/api/v1/nodes');
    const metricsInterval = options.metricsIntervalSeconds ?? 15;
    if (metricsInterval > 0)
      this.#usagePoller = new UsagePoller({
        kubeConfig: kc,
        clock: options.clock,
        log: options.log,
        intervalMs: metricsInterval * 1000,
        targets: () => this.#usageTargets(),
      });
    this.#wire();
  }

  // ----------------------------------------------------------------------------------------------
  // Lifecycle and health
  // ----------------------------------------------------------------------------------------------

  /**
   * Resolves the cluster id (unless given) and starts every informer. Returns once they are started,
   * not synced: see {@link synced} and {@link waitForSync}.
   * @throws KubeApiError when the cluster id cannot be read
   */
  async start(): Promise<void> {
    if (this.#clusterId === undefined) {
      try {
        const namespace = await this.#core.readNamespace({ name: 'kube-system' });
        this.#clusterId = namespace.metadata?.uid;
      } catch (err) {
        throw apiError('reading namespace kube-system for the cluster id (or pass clusterId)', err);
      }
      if (!this.#clusterId)
        throw apiError(
          'reading namespace kube-system for the cluster id',
          new Error('the namespace has no uid'),
        );
    }
    for (const informer of this.#informers()) {
      informer.onceListed(() => this.#checkSynced());
      informer.start();
    }
  }

  /** Stops every informer (and their pending restarts). */
  async stop(): Promise<void> {
    this.#usagePoller?.stop();
    await Promise.all(this.#informers().map((informer) => informer.stop()));
  }

  clusterId(): string {
    if (this.#clusterId === undefined) throw new Error('KubeCluster.clusterId() called before start()');
    return this.#clusterId;
  }

  synced(): boolean {
    return this.#synced;
  }

  /** Resolves once {@link synced} is true; rejects when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        stop();
        reject(
          signal?.reason instanceof Error
            ? signal.reason
            : new Error('waiting for the informers was aborted'),
        );
      };
      const listener = () => {
        if (!this.#synced) return;
        stop();
        resolve();
      };
      const stop = () => {
        this.#syncListeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      this.#syncListeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Per-informer health (listed, watching, restarts, dropped events, last error), for /readyz and metrics. */
  informerStatus(): InformerStatus[] {
    return this.#informers().map((informer) => informer.status());
  }

  /** Total informer restarts since start, for the restarts counter metric. */
  informerRestarts(): number {
    return this.#informers().reduce((sum, informer) => sum + informer.restarts, 0);
  }

  #informers(): ResilientInformer<KubernetesObject>[] {
    return [
      ...this.#scalers.informers,
      ...this.#deployments.informers,
      ...this.#slices.informers,
      this.#pods,
      this.#nodes,
    ] as ResilientInformer<KubernetesObject>[];
  }

  #checkSynced(): void {
    if (this.#synced || !this.#informers().every((informer) => informer.listed)) return;
    this.#synced = true;
    this.#log('info', 'all informers listed; caches synced', { informers: this.#informers().length });
    this.#usagePoller?.start();
    for (const listener of [...this.#syncListeners]) listener();
    // Everything may have changed while we were not listening.
    for (const scaler of this.#scalers.list())
      this.#notify(scaler.metadata?.namespace, scaler.metadata?.name);
  }

  // ----------------------------------------------------------------------------------------------
  // Reads
  // ----------------------------------------------------------------------------------------------

  scalers(): BurstScalerObject[] {
    const out: BurstScalerObject[] = [];
    for (const object of this.#scalers.list()) {
      const scaler = toScalerObject(object);
      if (scaler) out.push(scaler);
    }
    return out;
  }

  onChange(listener: (scaler: { namespace: string; name: string }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  workload(namespace: string, targetRef: TargetRef): WorkloadView | undefined {
    const found = this.#target(namespace, targetRef);
    if (!found) return undefined;
    const { deployment, capacity, requests } = found;
    const template = deployment.spec?.template ?? {};
    const selector = deployment.spec?.selector;
    const pods = this.#pods.cache
      .list(namespace)
      .filter((pod) => selectorMatches(selector, pod.metadata?.labels))
      .map((pod) => {
        const info = podInfo(pod);
        const usage = this.#usagePoller?.usage(namespace, info.name);
        if (usage) info.usage = usage;
        return info;
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      target: targetWorkload(deployment),
      template,
      requests: toResources(requests),
      pods,
      vm: capacity.capacity,
    };
  }

  /** The capacity arithmetic with a verdict per node, for `spillway explain`; undefined when the target is missing. */
  explainCapacity(namespace: string, targetRef: TargetRef): CapacityResult | undefined {
    return this.#target(namespace, targetRef, true)?.capacity;
  }

  /** Targets of scalers with a cpu or memory trigger, whose pods need usage samples. */
  #usageTargets(): UsageTarget[] {
    const targets: UsageTarget[] = [];
    for (const scaler of this.#scalers.list()) {
      const triggers = (scaler as { spec?: { triggers?: unknown } }).spec?.triggers;
      const wantsUsage =
        Array.isArray(triggers) &&
        triggers.some((t: unknown) => {
          const type = (t as { type?: unknown } | null)?.type;
          return type === 'cpu' || type === 'memory';
        });
      const ref = targetRefOf(scaler);
      const namespace = scaler.metadata?.namespace;
      if (!wantsUsage || !ref || !isDeployment(ref) || !namespace) continue;
      const selector = this.#deployments.get(ref.name, namespace)?.spec?.selector;
      if (selector) targets.push({ namespace, selector });
    }
    return targets;
  }

  #target(namespace: string, targetRef: TargetRef, explain = false) {
    if (!isDeployment(targetRef)) throw new UnsupportedTargetError(targetRef);
    const deployment = this.#deployments.get(targetRef.name, namespace);
    if (!deployment) return undefined;
    const spec = deployment.spec?.template.spec ?? { containers: [] };
    const requests = podRequests(spec, 'spec.template.spec');
    const capacity = vmCapacity({
      spec,
      requests,
      nodes: this.#nodes.cache.list(),
      usage: this.#usage,
      now: this.#clock.now(),
      provisionEstimateMs: (this.#options.provisionEstimateSeconds ?? 300) * 1000,
      incomingWindowMs: (this.#options.incomingNodeWindowSeconds ?? 900) * 1000,
      explain,
    });
    return { deployment, requests, capacity };
  }

  async secret(namespace: string, name: string): Promise<Record<string, string>> {
    let secret;
    try {
      secret = await this.#core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      throw apiError(`reading Secret ${namespace}/${name}`, err);
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(secret.data ?? {}))
      out[key] = Buffer.from(value, 'base64').toString('utf8');
    return out;
  }

  async configMap(namespace: string, name: string): Promise<Record<string, string>> {
    let configMap;
    try {
      configMap = await this.#core.readNamespacedConfigMap({ name, namespace });
    } catch (err) {
      throw apiError(`reading ConfigMap ${namespace}/${name}`, err);
    }
    return { ...(configMap.data ?? {}) };
  }

  // ----------------------------------------------------------------------------------------------
  // Writes
  // ----------------------------------------------------------------------------------------------

  async scaleTarget(namespace: string, targetRef: TargetRef, replicas: number): Promise<void> {
    checkReplicas(replicas, 'replicas');
    if (!isDeployment(targetRef)) throw new UnsupportedTargetError(targetRef);
    try {
      await this.#apps.patchNamespacedDeploymentScale(
        { name: targetRef.name, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
        mergePatch(),
      );
    } catch (err) {
      throw apiError(`scaling Deployment ${namespace}/${targetRef.name} to ${replicas}`, err);
    }
  }

  /** Idempotent: skips the write when the cached pod already has this cost; a pod that is gone is ignored. */
  async setPodDeletionCost(namespace: string, pod: string, cost: number): Promise<void> {
    if (!Number.isInteger(cost) || cost < -INT32_MAX - 1 || cost > INT32_MAX)
      throw new InvalidRequestError('cost', `must be a 32-bit whole number, got ${cost}`);
    const cached = this.#pods.cache.get(pod, namespace);
    if (cached?.metadata?.annotations?.[POD_DELETION_COST] === String(cost)) return;
    try {
      await this.#core.patchNamespacedPod(
        {
          name: pod,
          namespace,
          body: { metadata: { annotations: { [POD_DELETION_COST]: String(cost) } } },
          fieldManager: FIELD_MANAGER,
        },
        mergePatch(),
      );
    } catch (err) {
      if (httpStatus(err) === 404) {
        this.#log('debug', 'pod gone before its deletion cost was set', { namespace, pod });
        return;
      }
      throw apiError(`setting ${POD_DELETION_COST}=${cost} on pod ${namespace}/${pod}`, err);
    }
  }

  /**
   * Merge-patches the status subresource. Conditions keep their lastTransitionTime while their status
   * stays the same; nothing is sent when the cached status already says the same thing.
   */
  async patchStatus(key: ScalerKey, status: ScalerStatus): Promise<void> {
    const cached = this.#scalers.get(key.name, key.namespace);
    if (cached && cached.metadata?.uid !== key.uid) {
      this.#log('debug', 'status not written: the scaler was replaced', {
        namespace: key.namespace,
        name: key.name,
      });
      return;
    }
    const current = (cached as { status?: unknown } | undefined)?.status;
    const body = statusBody(status, current, this.#clock.now());
    if (statusUnchanged(body, current)) return;
    try {
      await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group: BURST_SCALER_GROUP,
          version: BURST_SCALER_VERSION,
          plural: BURST_SCALER_PLURAL,
          namespace: key.namespace,
          name: key.name,
          body: { status: body },
          fieldManager: FIELD_MANAGER,
        },
        mergePatch(),
      );
    } catch (err) {
      throw apiError(`updating the status of BurstScaler ${key.namespace}/${key.name}`, err);
    }
  }

  /** events.k8s.io/v1; identical repeats become a series (see EventAggregator). */
  async emitEvent(key: ScalerKey, type: EventType, reason: string, message: string): Promise<void> {
    checkEvent(type, reason);
    const now = this.#clock.now();
    const aggregation = eventKey(key, type, reason, message);
    const step = this.#aggregator.observe(aggregation, now);
    if (step.kind === 'none') return;
    if (step.kind === 'patch') {
      try {
        await this.#events.patchNamespacedEvent(
          {
            name: step.name,
            namespace: key.namespace,
            body: seriesPatch(step.count, now),
            fieldManager: FIELD_MANAGER,
          },
          mergePatch(),
        );
        this.#aggregator.patched(aggregation, step.count, now);
        return;
      } catch (err) {
        this.#aggregator.forget(aggregation);
        if (httpStatus(err) !== 404)
          throw apiError(`updating Event ${key.namespace}/${step.name} (${reason})`, err);
        // The Event expired (the API keeps them about an hour): start a new one.
        this.#aggregator.observe(aggregation, now);
      }
    }
    const name = eventName(key.name, now, this.#eventSequence++);
    try {
      await this.#events.createNamespacedEvent({
        namespace: key.namespace,
        body: eventBody({
          name,
          scaler: key,
          type,
          reason,
          note: message,
          eventTime: now,
          instance: this.#options.instance ?? 'spillway',
        }),
        fieldManager: FIELD_MANAGER,
      });
      this.#aggregator.created(aggregation, name);
    } catch (err) {
      this.#aggregator.forget(aggregation);
      throw apiError(`creating Event ${reason} for BurstScaler ${key.namespace}/${key.name}`, err);
    }
  }

  /**
   * Creates, updates or (when `addresses` is empty) deletes the EndpointSlice listing burst replicas for
   * `serviceName`. Ports come from the Service (named target ports resolved against the target's
   * containers). Writes only when something changed.
   */
  async syncEndpointSlice(key: ScalerKey, serviceName: string, addresses: EndpointAddress[]): Promise<void> {
    checkAddresses(addresses);
    const name = endpointSliceName(serviceName, key.name);
    const { namespace } = key;
    const existing = this.#slices.get(name, namespace);
    if (addresses.length === 0) {
      if (!existing) return;
      try {
        await this.#discovery.deleteNamespacedEndpointSlice({ name, namespace });
      } catch (err) {
        if (httpStatus(err) !== 404) throw apiError(`deleting EndpointSlice ${namespace}/${name}`, err);
      }
      return;
    }
    const service = await this.#service(namespace, serviceName);
    const scaler = this.#scalers.get(key.name, namespace);
    const ref = scaler ? targetRefOf(scaler) : undefined;
    const template =
      ref && isDeployment(ref) ? this.#deployments.get(ref.name, namespace)?.spec?.template : undefined;
    const { ports, unresolved } = endpointPorts(service, template);
    if (unresolved.length > 0)
      this.#log(
        'warn',
        'service target ports not found in the target template; left out of the EndpointSlice',
        {
          namespace,
          service: serviceName,
          ports: unresolved,
        },
      );
    const desired = desiredEndpointSlice({ scaler: key, service, ports, addresses });
    if (existing && sameEndpointSlice(existing, desired)) return;
    const operation = `${existing ? 'updating' : 'creating'} EndpointSlice ${namespace}/${name}`;
    try {
      if (existing) await this.#replaceSlice(desired, existing.metadata?.resourceVersion);
      else {
        try {
          await this.#discovery.createNamespacedEndpointSlice({
            namespace,
            body: desired,
            fieldManager: FIELD_MANAGER,
          });
        } catch (err) {
          if (httpStatus(err) !== 409) throw err;
          // Created meanwhile (our cache is behind): update the stored one.
          await this.#replaceSlice(desired, await this.#sliceVersion(name, namespace));
        }
      }
    } catch (err) {
      throw apiError(operation, err);
    }
  }

  async #replaceSlice(desired: V1EndpointSlice, resourceVersion: string | undefined): Promise<void> {
    const name = desired.metadata?.name ?? '';
    const namespace = desired.metadata?.namespace ?? '';
    const put = (version: string | undefined) =>
      this.#discovery.replaceNamespacedEndpointSlice({
        name,
        namespace,
        body: {
          ...desired,
          metadata: { ...desired.metadata, ...(version ? { resourceVersion: version } : {}) },
        },
        fieldManager: FIELD_MANAGER,
      });
    try {
      await put(resourceVersion);
    } catch (err) {
      if (httpStatus(err) !== 409) throw err;
      // Our cached version is stale: read the current one and try once more.
      await put(await this.#sliceVersion(name, namespace));
    }
  }

  async #sliceVersion(name: string, namespace: string): Promise<string | undefined> {
    const fresh = await this.#discovery.readNamespacedEndpointSlice({ name, namespace });
    return fresh.metadata?.resourceVersion;
  }

  async #service(namespace: string, name: string): Promise<V1Service> {
    const key = `${namespace}/${name}`;
    const now = this.#clock.now();
    const cached = this.#services.get(key);
    if (cached && now - cached.at < SERVICE_TTL_MS) return cached.service;
    try {
      const service = await this.#core.readNamespacedService({ name, namespace });
      this.#services.set(key, { service, at: now });
      return service;
    } catch (err) {
      throw apiError(`reading Service ${namespace}/${name} for its EndpointSlice`, err);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Watch events → usage index and onChange notifications
  // ----------------------------------------------------------------------------------------------

  #wire(): void {
    const scalerChanged = (object: KubernetesObject, deleted: boolean) => {
      const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
      const fingerprint = scalerFingerprint(object);
      const before = this.#scalerFingerprints.get(key);
      if (deleted) this.#scalerFingerprints.delete(key);
      else this.#scalerFingerprints.set(key, fingerprint);
      if (deleted || before !== fingerprint) this.#notify(object.metadata?.namespace, object.metadata?.name);
    };
    this.#scalers.on('add', (o) => scalerChanged(o, false));
    this.#scalers.on('update', (o) => scalerChanged(o, false));
    this.#scalers.on('delete', (o) => scalerChanged(o, true));

    const deploymentChanged = (deployment: V1Deployment) =>
      this.#notifyTargeting(
        deployment.metadata?.namespace ?? '',
        (name) => name === deployment.metadata?.name,
      );
    this.#deployments.on('add', deploymentChanged);
    this.#deployments.on('update', deploymentChanged);
    this.#deployments.on('delete', deploymentChanged);

    const podChanged = (pod: V1Pod, deleted: boolean) => {
      this.#trackUsage(pod, deleted);
      const namespace = pod.metadata?.namespace ?? '';
      this.#notifyTargeting(namespace, (name) =>
        selectorMatches(this.#deployments.get(name, namespace)?.spec?.selector, pod.metadata?.labels),
      );
    };
    this.#pods.on('add', (pod) => podChanged(pod, false));
    this.#pods.on('update', (pod) => podChanged(pod, false));
    this.#pods.on('delete', (pod) => podChanged(pod, true));

    const nodeChanged = (node: V1Node, deleted: boolean) => {
      const name = node.metadata?.name ?? '';
      const fingerprint = nodeFingerprint(node);
      const before = this.#nodeFingerprints.get(name);
      if (deleted) this.#nodeFingerprints.delete(name);
      else this.#nodeFingerprints.set(name, fingerprint);
      if (deleted || before !== fingerprint) this.#notifyAll();
    };
    this.#nodes.on('add', (node) => nodeChanged(node, false));
    this.#nodes.on('update', (node) => nodeChanged(node, false));
    this.#nodes.on('delete', (node) => nodeChanged(node, true));

    const sliceChanged = (slice: V1EndpointSlice) =>
      this.#notify(slice.metadata?.namespace, slice.metadata?.labels?.[SCALER_LABEL]);
    this.#slices.on('add', sliceChanged);
    this.#slices.on('update', sliceChanged);
    this.#slices.on('delete', sliceChanged);
  }

  #trackUsage(pod: V1Pod, deleted: boolean): void {
    const key = podKey(pod);
    const previous = this.#footprints.get(key);
    if (previous) applyFootprint(this.#usage, previous, -1);
    this.#footprints.delete(key);
    if (deleted) return;
    let footprint: PodFootprint | undefined;
    try {
      footprint = podFootprint(pod);
    } catch (err) {
      this.#log('warn', 'pod requests could not be read; not counted on its node', {
        pod: key,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    if (footprint) {
      applyFootprint(this.#usage, footprint, 1);
      this.#footprints.set(key, footprint);
    }
  }

  /** Notifies scalers in `namespace` whose Deployment target `matches`. */
  #notifyTargeting(namespace: string, matches: (deploymentName: string) => boolean): void {
    if (!this.#synced || this.#listeners.size === 0) return;
    for (const scaler of this.#scalers.list(namespace)) {
      const ref = targetRefOf(scaler);
      if (ref && isDeployment(ref) && matches(ref.name)) this.#notify(namespace, scaler.metadata?.name);
    }
  }

  #notifyAll(): void {
    if (!this.#synced) return;
    for (const scaler of this.#scalers.list())
      this.#notify(scaler.metadata?.namespace, scaler.metadata?.name);
  }

  #notify(namespace: string | undefined, name: string | undefined): void {
    if (!this.#synced || !namespace || !name) return;
    for (const listener of this.#listeners) {
      try {
        listener({ namespace, name });
      } catch (err) {
        this.#log('error', 'an onChange listener threw', {
          namespace,
          name,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
