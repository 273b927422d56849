/**
 * Smoke tests of the end-to-end harness: the real control plane runs, KWOK nodes are Ready, the real
 * scheduler places pods on them or leaves them Pending as Unschedulable, RBAC is enforced for tokens minted
 * through the TokenRequest API, the audit log records who was refused what, Spillway's RBAC manifests give its
 * ServiceAccount what docs/rbac.md says, and the BurstScaler CRD validates on the real API server.
 */
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { exampleBurstScaler } from '../../src/spec/example.ts';
import { ControlPlane, HarnessError, waitUntil } from './harness.ts';

const NODE_COUNT = 3;
const NODE_CPU = 4;

let cluster: ControlPlane;
let nodeNames: string[];

beforeAll(async () => {
  cluster = await ControlPlane.start({
    nodes: { count: NODE_COUNT, cpu: String(NODE_CPU), memory: '16Gi', pods: 110 },
    log: (line) => console.log(`[e2e] ${line}`),
  });
  nodeNames = Array.from({ length: NODE_COUNT }, (_, i) => `kwok-node-${i}`);
});

afterAll(async () => {
  await cluster?.stop();
});

/** Creates a namespace for one test, so tests do not see each other's objects. */
async function namespace(name: string): Promise<string> {
  await cluster.kubectl(['create', 'namespace', name]);
  return name;
}

function deployment(
  name: string,
  replicas: number,
  cpu: string,
  nodeSelector: Record<string, string> = {},
): string {
  return toYaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector,
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              resources: { requests: { cpu, memory: '256Mi' } },
            },
          ],
        },
      },
    },
  });
}

async function podsOf(ns: string, app: string): Promise<V1Pod[]> {
  const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
}

const isReady = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Running' &&
  (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

const isUnschedulable = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Pending' &&
  (pod.status.conditions?.some(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  ) ??
    false);

describe('control plane', () => {
  it('runs the pinned Kubernetes release', async () => {
    const version = JSON.parse(await cluster.kubectl(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.clientVersion.gitVersion).toBe(version.serverVersion.gitVersion);
  });

  it('lists the KWOK nodes as Ready with kubectl', async () => {
    const lines = (await cluster.kubectl(['get', 'nodes', '--no-headers'])).trim().split('\n');
    const statusByNode = new Map(lines.map((line) => line.trim().split(/\s+/) as [string, string]));
    expect([...statusByNode.keys()].sort()).toEqual(nodeNames);
    for (const name of nodeNames) expect(statusByNode.get(name)).toBe('Ready');
  });

  it('schedules a Deployment onto the KWOK nodes and its pods become Running and Ready', async () => {
    const ns = await namespace('fits');
    await cluster.apply({ yaml: deployment('web', 4, '1') }, { namespace: ns });
    await cluster.kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = await podsOf(ns, 'web');
    expect(pods).toHaveLength(4);
    for (const pod of pods) {
      expect(isReady(pod)).toBe(true);
      expect(nodeNames).toContain(pod.spec?.nodeName);
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
    }
  });

  // Each case gets its own pool of 2 KWOK nodes with 4 cores (added while the cluster runs), so the counts
  // do not depend on other tests' pods. What does not fit stays Pending, as Spillway expects to see.
  it.each([
    {
      pool: 'too-big',
      replicas: 1,
      cpu: '5',
      running: 0,
      pending: 1,
      case: 'a replica bigger than any node',
    },
    {
      pool: 'overflow',
      replicas: 7,
      cpu: '1500m',
      running: 4,
      pending: 3,
      case: 'more replicas than the nodes hold',
    },
  ])('leaves $case Pending as Unschedulable', async ({ pool, replicas, cpu, running, pending }) => {
    const ns = await namespace(pool);
    const added = await cluster.addNodes({
      count: 2,
      cpu: '4',
      memory: '16Gi',
      namePrefix: pool,
      labels: { pool },
    });
    expect(added).toEqual([`${pool}-0`, `${pool}-1`]);
    await cluster.apply({ yaml: deployment('big', replicas, cpu, { pool }) }, { namespace: ns });
    const pods = await waitUntil(
      `${running} Ready and ${pending} Unschedulable pods in ${ns}`,
      async () => {
        const list = await podsOf(ns, 'big');
        const ready = list.filter(isReady).length;
        const unschedulable = list.filter(isUnschedulable).length;
        return ready === running && unschedulable === pending ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    for (const pod of pods.filter(isReady)) expect(added).toContain(pod.spec?.nodeName);
    for (const pod of pods.filter(isUnschedulable)) {
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(scheduled?.message).toContain('2 Insufficient cpu');
      expect(pod.spec?.nodeName).toBeUndefined();
    }
  });
});

describe('ServiceAccount identities', () => {
  it.each([
    { case: 'without a role, listing pods is forbidden', grant: false },
    { case: 'with a Role granting get/list pods, listing pods works', grant: true },
  ])('$case', async ({ grant }) => {
    const ns = await namespace(grant ? 'sa-granted' : 'sa-denied');
    await cluster.kubectl(['-n', ns, 'create', 'serviceaccount', 'probe']);
    if (grant) {
      await cluster.kubectl(['-n', ns, 'create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods']);
      await cluster.kubectl([
        '-n',
        ns,
        'create',
        'rolebinding',
        'probe',
        '--role=pod-reader',
        `--serviceaccount=${ns}:probe`,
      ]);
    }
    const identity = await cluster.serviceAccountKubeConfig(ns, 'probe');
    const username = `system:serviceaccount:${ns}:probe`;
    const whoami = await cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
      kubeconfig: identity.path,
    });
    expect(whoami).toBe(username);

    const core = identity.kubeConfig.makeApiClient(CoreV1Api);
    const listed = core.listNamespacedPod({ namespace: ns });
    if (grant) {
      await expect(listed).resolves.toHaveProperty('items');
    } else {
      await expect(listed).rejects.toMatchObject({ code: 403 });
      // The refusal is in the audit log, which is how the RBAC scenario finds verbs Spillway lacks.
      const refused = (await cluster.auditEvents())
        .filter((e) => e.user.username === username && e.responseStatus?.code === 403)
        .map((e) => `${e.verb} ${e.objectRef?.resource ?? '?'} in ${e.objectRef?.namespace ?? '?'}`);
      expect(refused).toContain(`list pods in ${ns}`);
    }
  });

  it('refuses a token for a ServiceAccount that does not exist', async () => {
    await expect(cluster.serviceAccountToken('default', 'nobody')).rejects.toThrow(HarnessError);
  });
});

describe('BurstScaler CRD on the real API server', () => {
  let ns: string;

  beforeAll(async () => {
    const applied = await cluster.apply('deploy/crds');
    expect(applied).toContain('customresourcedefinition.apiextensions.k8s.io/burstscalers.spillway.io');
    ns = await namespace('scalers');
  });

  /** The documented example (src/spec/example.ts) in the test namespace, changed by `edit`. */
  function scaler(name: string, edit: (spec: Record<string, unknown>) => void = () => undefined): string {
    const manifest = structuredClone(exampleBurstScaler) as unknown as {
      metadata: { name: string; namespace: string };
      spec: Record<string, unknown>;
    };
    manifest.metadata = { name, namespace: ns };
    edit(manifest.spec);
    return toYaml(manifest);
  }

  it('accepts the documented example and stores it with the schema defaults', async () => {
    await cluster.apply({ yaml: scaler('orders-worker') });
    const stored = JSON.parse(
      await cluster.kubectl(['-n', ns, 'get', 'burstscaler', 'orders-worker', '-o', 'json']),
    ) as {
      spec: { triggers: { authenticationRef?: { kind?: string } }[] };
    };
    // authenticationRef.kind is defaulted by the API server from the CRD's structural schema.
    expect(stored.spec.triggers[0]?.authenticationRef?.kind).toBe('Secret');
    const listed = await cluster.kubectl(['-n', ns, 'get', 'bs', '--no-headers']);
    expect(listed).toMatch(/^orders-worker\s/);
  });

  it('keeps a service level as written (the schema has the field, so nothing is pruned)', async () => {
    const serviceLevel = { maxQueueWaitSeconds: 120, messagesPerSecondPerReplica: 0.5 };
    await cluster.apply({
      yaml: scaler(
        'with-service-level',
        (spec) => ((spec.burst as Record<string, unknown>).serviceLevel = serviceLevel),
      ),
    });
    const stored = JSON.parse(
      await cluster.kubectl(['-n', ns, 'get', 'burstscaler', 'with-service-level', '-o', 'json']),
    ) as { spec: { burst: { serviceLevel?: unknown } } };
    expect(stored.spec.burst.serviceLevel).toEqual(serviceLevel);
  });

  it('keeps the measured ACI start in status.forecast, so a restarted controller can read it back', async () => {
    const forecast = {
      at: '2026-11-23T10:00:00Z',
      bursts: [{ startedAt: '2026-11-23T09:40:00Z', baselineReplicas: 3 }],
      levels: [{ upTo: 5, since: '2026-11-23T09:40:00Z' }],
      aciStart: { seconds: 16.4, groups: 12 },
    };
    await cluster.apply({ yaml: scaler('with-forecast') });
    await cluster.kubectl([
      '-n',
      ns,
      'patch',
      'burstscaler',
      'with-forecast',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { forecast } }),
    ]);
    const stored = JSON.parse(
      await cluster.kubectl(['-n', ns, 'get', 'burstscaler', 'with-forecast', '-o', 'json']),
    ) as { status?: { forecast?: unknown } };
    expect(stored.status?.forecast).toEqual(forecast);
  });

  it.each([
    {
      case: 'maxReplicas below 1',
      edit: (spec: Record<string, unknown>) => (spec.maxReplicas = 0),
      error:
        'spec.maxReplicas: Invalid value: 0: spec.maxReplicas in body should be greater than or equal to 1',
    },
    {
      case: 'no targetRef',
      edit: (spec: Record<string, unknown>) => delete spec.targetRef,
      error: 'spec.targetRef: Required value',
    },
    {
      case: 'an unknown trigger type',
      edit: (spec: Record<string, unknown>) => ((spec.triggers as { type: string }[])[0]!.type = 'kafka'),
      error: 'spec.triggers[0].type: Unsupported value: "kafka"',
    },
    {
      case: 'a target name that is not a DNS subdomain',
      edit: (spec: Record<string, unknown>) => ((spec.targetRef as { name: string }).name = 'Orders_Worker'),
      error: 'spec.targetRef.name: Invalid value: "Orders_Worker"',
    },
    {
      case: 'a service level with a wait of 0 s',
      edit: (spec: Record<string, unknown>) =>
        ((spec.burst as Record<string, unknown>).serviceLevel = {
          maxQueueWaitSeconds: 0,
          messagesPerSecondPerReplica: 1,
        }),
      error:
        'spec.burst.serviceLevel.maxQueueWaitSeconds: Invalid value: 0: spec.burst.serviceLevel.maxQueueWaitSeconds in body should be greater than or equal to 1',
    },
    {
      case: 'a string where an integer belongs',
      edit: (spec: Record<string, unknown>) => (spec.minReplicas = 'two'),
      // Server-side apply checks types against the schema before validation proper.
      error: '.spec.minReplicas: expected numeric (int or float), got string',
    },
  ])('rejects a BurstScaler with $case, naming the field', async ({ edit, error }) => {
    const name = 'invalid';
    const attempt = cluster.apply({ yaml: scaler(name, edit) });
    await expect(attempt).rejects.toThrow(HarnessError);
    await expect(attempt).rejects.toThrow(error);
    // Nothing was stored.
    const left = await cluster.kubectl([
      '-n',
      ns,
      'get',
      'burstscaler',
      name,
      '--ignore-not-found',
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
  });
});

describe("Spillway's ServiceAccount with the RBAC from deploy/rbac", () => {
  const SYSTEM_NS = 'spillway-system';
  let spillway: KubeConfig;

  beforeAll(async () => {
    await namespace(SYSTEM_NS);
    await cluster.apply('deploy/rbac');
    spillway = (await cluster.serviceAccountKubeConfig(SYSTEM_NS, 'spillway')).kubeConfig;
  });

  // A sample of docs/rbac.md's table and of its "deliberately not granted" list, asked of the real
  // authorizer by the ServiceAccount itself (SelfSubjectAccessReview).
  const cases = [
    { verb: 'watch', group: 'spillway.io', resource: 'burstscalers', allowed: true },
    { verb: 'patch', group: 'spillway.io', resource: 'burstscalers', subresource: 'status', allowed: true },
    { verb: 'update', group: 'spillway.io', resource: 'burstscalers', allowed: false },
    { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', allowed: true },
    { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale', allowed: false },
    { verb: 'update', group: 'apps', resource: 'deployments', allowed: false },
    { verb: 'delete', group: '', resource: 'pods', allowed: false },
    { verb: 'list', group: 'apps', resource: 'replicasets', allowed: false },
    {
      verb: 'update',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: SYSTEM_NS,
      name: 'spillway-leader',
      allowed: true,
    },
    {
      verb: 'update',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: SYSTEM_NS,
      name: 'someone-else',
      allowed: false,
    },
    {
      verb: 'create',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'default',
      allowed: false,
    },
  ].map((c) => ({
    ...c,
    request: [
      c.verb,
      `${c.group || 'core'}/${c.resource}${'subresource' in c ? `/${c.subresource}` : ''}`,
      'name' in c ? c.name : '',
      'namespace' in c ? `in ${c.namespace}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  }));

  it.each(cases)(
    '$request: allowed=$allowed',
    async ({ allowed, request: _request, ...resourceAttributes }) => {
      const review = await spillway.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes } },
      });
      expect(review.status?.allowed).toBe(allowed);
    },
  );
});
