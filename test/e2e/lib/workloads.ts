/**
 * What the scenarios put in the cluster and how they read it back: Deployments pinned to a pool of KWOK
 * nodes, BurstScalers with settings that make a scenario take seconds (no stabilization window, a short
 * drain), and readers for the BurstScaler's status, events and the simulated ACI's groups.
 */
import { stringify as toYaml } from 'yaml';
import { TAG } from '../../../src/aci/tags.ts';
import type { AciModel } from '../../../src/sim/aci/model.ts';
import type { BurstScalerManifest } from '../../../src/spec/example.ts';
import type { BurstScalerSpec } from '../../../src/spec/schema.ts';
import type { ControlPlane } from '../harness.ts';

/** The label that pins a scenario's pods to its own KWOK nodes (`pool=<name>`). */
export const POOL_LABEL = 'pool';
/** The resource group every scenario's groups go to. */
export const RESOURCE_GROUP = 'spillway-e2e';

export interface DeploymentOptions {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  /** KWOK nodes labelled `pool=<pool>` only. */
  readonly pool: string;
  /** Per replica. @default '1' */
  readonly cpu?: string;
  /** Per replica. @default '1Gi' */
  readonly memory?: string;
  /** Pod template annotations (e.g. KWOK's ready delay). */
  readonly podAnnotations?: Record<string, string>;
  /** Environment of the one container. */
  readonly env?: Record<string, unknown>[];
  readonly ports?: { name: string; containerPort: number }[];
}

/** A Deployment of one container whose pods only fit on the pool's nodes. */
export function deploymentYaml(options: DeploymentOptions): string {
  return toYaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: { app: options.name } },
      template: {
        metadata: {
          labels: { app: options.name },
          ...(options.podAnnotations ? { annotations: options.podAnnotations } : {}),
        },
        spec: {
          nodeSelector: { [POOL_LABEL]: options.pool },
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              resources: { requests: { cpu: options.cpu ?? '1', memory: options.memory ?? '1Gi' } },
              ...(options.env ? { env: options.env } : {}),
              ...(options.ports ? { ports: options.ports } : {}),
            },
          ],
        },
      },
    },
  });
}

/** Where the scalers' redis-list trigger reads its demand. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A BurstScaler for `target` whose demand is the length of a Redis list (one replica per item), with
 * settings that let a scenario run in seconds: no stabilization window, scale-up and -down at once,
 * pending pods counted at once, a 2 s drain and no minimum ACI lifetime. `edit` changes the spec last.
 */
export function burstScalerManifest(options: {
  readonly name: string;
  readonly namespace: string;
  readonly target: string;
  readonly redis: RedisAddress;
  readonly listName: string;
  readonly subscriptionId: string;
  readonly edit?: (spec: BurstScalerSpec) => void;
}): BurstScalerManifest {
  const spec: BurstScalerSpec = {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: options.target },
    minReplicas: 1,
    maxReplicas: 20,
    triggers: [
      {
        type: 'redis-list',
        name: 'jobs',
        metadata: {
          address: `${options.redis.host}:${options.redis.port}`,
          listName: options.listName,
          targetPerReplica: '1',
        },
      },
    ],
    pendingPods: { enabled: true, graceSeconds: 0 },
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] },
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }],
      },
    },
    burst: {
      provider: 'aci',
      aci: {
        subscriptionId: options.subscriptionId,
        resourceGroup: RESOURCE_GROUP,
        regions: ['eastus', 'eastus2'],
      },
      maxBurstReplicas: 10,
      drain: { gracePeriodSeconds: 2, minBurstLifetimeSeconds: 0 },
    },
    cost: { aci: { startSeconds: 5 } },
  };
  options.edit?.(spec);
  return {
    apiVersion: 'spillway.io/v1alpha1',
    kind: 'BurstScaler',
    metadata: { name: options.name, namespace: options.namespace },
    spec,
  };
}

/** A BurstScaler's status as Spillway writes it (the fields the scenarios read). */
export interface ScalerStatusView {
  observedGeneration?: number;
  desiredReplicas?: number;
  vmReplicas?: number;
  aciReplicas?: number;
  pendingReplicas?: number;
  mode?: string;
  costUSDPerHour?: number;
  lastDecision?: { at: string; summary: string; reasons: string[]; cost?: string[] };
  forecast?: { at: string; bursts: { startedAt: string; endedAt?: string }[]; levels: unknown[] };
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

/** The BurstScaler as `kubectl get -o json` shows it. */
export async function readScaler(
  cluster: ControlPlane,
  namespace: string,
  name: string,
): Promise<{ metadata: { uid: string; generation: number }; status?: ScalerStatusView }> {
  return JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'burstscaler', name, '-o', 'json'])) as {
    metadata: { uid: string; generation: number };
    status?: ScalerStatusView;
  };
}

/** One condition of a status, if present. */
export function conditionOf(
  status: ScalerStatusView | undefined,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** An event as `kubectl get events -o json` shows it (core/v1 view of events.k8s.io events). */
export interface EventView {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  count?: number;
  series?: { count: number };
}

/** Events about one object, oldest first. */
export async function eventsAbout(
  cluster: ControlPlane,
  namespace: string,
  kind: string,
  name: string,
): Promise<EventView[]> {
  const list = JSON.parse(
    await cluster.kubectl([
      '-n',
      namespace,
      'get',
      'events',
      `--field-selector=involvedObject.kind=${kind},involvedObject.name=${name}`,
      '--sort-by=.metadata.creationTimestamp',
      '-o',
      'json',
    ]),
  ) as { items: EventView[] };
  return list.items;
}

/** A container group of the simulated ACI, with the owner its tags name. */
export interface GroupView {
  name: string;
  state: string;
  location: string;
  namespace: string;
  scaler: string;
  scalerUid: string;
  index: number;
  drainingSince?: number;
  tags: Record<string, string>;
}

/** The groups that exist now in the simulated ACI, optionally only those of one scaler. */
export function groupsIn(model: AciModel, owner?: { namespace: string; name: string }): GroupView[] {
  return model
    .inventory()
    .map((g) => {
      const draining = g.tags[TAG.drainingSince];
      return {
        name: g.name,
        state: g.state,
        location: g.location,
        namespace: g.tags[TAG.namespace] ?? '',
        scaler: g.tags[TAG.scaler] ?? '',
        scalerUid: g.tags[TAG.scalerUid] ?? '',
        index: Number(g.tags[TAG.index]),
        ...(draining !== undefined ? { drainingSince: Date.parse(draining) } : {}),
        tags: g.tags,
      };
    })
    .filter((g) => !owner || (g.namespace === owner.namespace && g.scaler === owner.name));
}
