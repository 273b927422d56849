/**
 * KubeCluster against a local API server that serves recorded-shape lists and watch streams and records
 * every write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScalerStatus } from '../../src/core/types.ts';
import { KubeCluster } from '../../src/kube/cluster.ts';
import type { KubeClusterOptions } from '../../src/kube/cluster.ts';
import { InvalidRequestError, KubeApiError, UnsupportedTargetError } from '../../src/kube/errors.ts';
import { statusBody as apiStatus } from './fake-api-server.ts';
import type { RecordedRequest } from './fake-api-server.ts';
import { fixture, NOW, PATHS, startHarness, TOKEN, until } from './harness.ts';
import type { Harness } from './harness.ts';

const ORDERS = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-worker' };
const SCALER = { namespace: 'shop', name: 'orders-worker', uid: '5b2f6c3e-4444-4000-8000-000000000004' };
const MERGE_PATCH = 'application/merge-patch+json';

let harness: Harness | undefined;
let cluster: KubeCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  await harness?.server.stop();
  cluster = undefined;
  harness = undefined;
});

async function setup(
  options: Partial<KubeClusterOptions> = {},
  sync = true,
): Promise<{ h: Harness; c: KubeCluster }> {
  const h = await startHarness();
  harness = h;
  const c = new KubeCluster({
    kubeConfig: h.kubeConfig,
    namespaces: 'all',
    clock: h.clock,
    log: h.log,
    metricsIntervalSeconds: 0,
    ...options,
  });
  cluster = c;
  await c.start();
  if (sync) await c.waitForSync();
  return { h, c };
}

function lists(h: Harness, path: string): RecordedRequest[] {
  return h.server.requests.filter(
    (r) => r.method === 'GET' && r.path === path && r.query.get('watch') !== 'true',
  );
}

describe('sync gate and informer restarts', () => {
  it('is not synced while one informer cannot list, and syncs after its restart', async () => {
    const h = await startHarness();
    harness = h;
    let failures = 1;
    const nodes = h.collections.nodes;
    h.server.route('GET', PATHS.nodes, () =>
      failures-- > 0
        ? { status: 503, body: apiStatus(503, 'ServiceUnavailable', 'etcdserver: leader changed') }
        : {
            status: 200,
            body: {
              kind: 'NodeList',
              apiVersion: 'v1',
              metadata: { resourceVersion: '48213' },
              items: nodes.items,
            },
          },
    );
    h.clock.hold = true;
    const c = new KubeCluster({
      kubeConfig: h.kubeConfig,
      namespaces: 'all',
      clock: h.clock,
      log: h.log,
      metricsIntervalSeconds: 0,
    });
    cluster = c;
    await c.start();
    await until(() => h.clock.sleeps.length === 1, 'the restart backoff');
    const status = () => c.informerStatus().find((s) => s.name === 'nodes')!;
    expect(c.synced()).toBe(false);
    expect(status()).toMatchObject({ listed: false, restarts: 0 });
    expect(status().lastError).toContain('etcdserver: leader changed (HTTP 503 ServiceUnavailable)');
    await until(() => c.informerStatus().filter((s) => s.listed).length === 4, 'the other four informers');
    expect(h.clock.sleeps).toEqual([1000]);

    h.clock.release();
    await c.waitForSync();
    expect(c.synced()).toBe(true);
    expect(status()).toMatchObject({ listed: true, watching: true, restarts: 1 });
    expect(c.informerRestarts()).toBe(1);
  });

  it('restarts a watch whose connection drops, with exponential backoff, and keeps applying events', async () => {
    const { h, c } = await setup();
    for (const [i, delays] of [
      [0, [1000]],
      [1, [1000, 2000]],
      [2, [1000, 2000, 4000]],
    ] as const) {
      (await h.server.watch(PATHS.pods, i)).drop();
      await h.server.watch(PATHS.pods, i + 1);
      expect(h.clock.sleeps).toEqual(delays);
    }
    expect(c.informerRestarts()).toBe(3);
    const stream = await h.server.watch(PATHS.pods, 3);
    // It resumed from the last resourceVersion it saw, without listing again.
    expect(stream.query.get('resourceVersion')).toBe('48215');
    expect(lists(h, PATHS.pods)).toHaveLength(1);

    const pod = h.collections.pods.find<Record<string, unknown>>('orders-worker-7d9f8b6c5d-8fjwd', 'shop');
    const added = h.collections.pods.upsert({
      ...pod,
      metadata: { ...(pod.metadata as object), name: 'orders-worker-7d9f8b6c5d-new01' },
    } as never);
    stream.send('ADDED', added);
    await until(() => (c.workload('shop', ORDERS)?.pods.length ?? 0) === 4, 'the new pod');
    // Events reset the backoff.
    stream.drop();
    await h.server.watch(PATHS.pods, 4);
    expect(h.clock.sleeps.at(-1)).toBe(1000);
  });

  it('drops watch lines without an object instead of crashing, and keeps going', async () => {
    const { h, c } = await setup();
    const stream = await h.server.watch(PATHS.pods, 0);
    stream.sendRaw('this is not json');
    stream.sendRaw('{"type":"ADDED"}');
    stream.sendRaw('{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1"}}');
    stream.sendRaw('{"type":"ERROR"}');
    const pod = h.collections.pods.find<{ metadata: Record<string, unknown> }>(
      'orders-worker-7d9f8b6c5d-q7wzt',
      'shop',
    );
    stream.send('DELETED', h.collections.pods.upsert(pod as never));
    await until(() => c.workload('shop', ORDERS)?.pods.length === 2, 'the delete after the bad lines');
    const status = c.informerStatus().find((s) => s.name === 'pods')!;
    expect(status).toMatchObject({ droppedEvents: 3, restarts: 0, watching: true });
    expect(
      h.logs.filter((l) => l.message === 'dropped a malformed watch event').map((l) => l.fields?.reason),
    ).toEqual([
      'ADDED event without an object',
      'MODIFIED event whose object has no metadata',
      'ERROR event without an object',
    ]);
  });

  it('re-lists after 410 Gone in the stream and applies what changed meanwhile', async () => {
    const { h, c } = await setup();
    expect(c.workload('shop', ORDERS)?.vm.freeSlots).toBe(10);
    const stream = await h.server.watch(PATHS.pods, 0);
    // While the watch was behind, the target pod on the first user node went away.
    h.collections.pods.remove('orders-worker-7d9f8b6c5d-2xkqp', 'shop');
    stream.send('ERROR', apiStatus(410, 'Expired', 'too old resource version: 48215 (48300)'));
    stream.end();
    const next = await h.server.watch(PATHS.pods, 1);
    expect(lists(h, PATHS.pods)).toHaveLength(2);
    expect(next.query.get('resourceVersion')).toBe(String(h.collections.pods.resourceVersion));
    const view = c.workload('shop', ORDERS)!;
    expect(view.pods.map((p) => p.name)).toEqual([
      'orders-worker-7d9f8b6c5d-8fjwd',
      'orders-worker-7d9f8b6c5d-q7wzt',
    ]);
    // Its 500m left the node: 2760m free → 5 replicas there instead of 4.
    expect(view.vm.freeSlots).toBe(11);
    expect(c.informerRestarts()).toBe(0);
  });

  it('re-lists when the watch request itself is answered 410 Gone', async () => {
    const { h } = await setup();
    h.server.refuseNextWatch(PATHS.nodes, {
      status: 410,
      body: apiStatus(410, 'Expired', 'too old resource version: 48213 (48400)'),
    });
    (await h.server.watch(PATHS.nodes, 0)).drop();
    await h.server.watch(PATHS.nodes, 1);
    expect(lists(h, PATHS.nodes)).toHaveLength(2);
  });

  it('sends the bearer token, requests bookmarks and watches pods that still hold resources', async () => {
    const { h } = await setup();
    expect(h.server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const pods = await h.server.watch(PATHS.pods, 0);
    expect(pods.query.get('allowWatchBookmarks')).toBe('true');
    expect(pods.query.get('fieldSelector')).toBe('status.phase!=Succeeded,status.phase!=Failed');
    const slices = await h.server.watch(PATHS.slices, 0);
    expect(slices.query.get('labelSelector')).toBe('endpointslice.kubernetes.io/managed-by=spillway.io');
  });

  it('lists in pages, following continue tokens', async () => {
    const h = await startHarness();
    harness = h;
    const items = h.collections.pods.items;
    h.server.route('GET', PATHS.pods, (r) => {
      const start = Number(r.query.get('continue') ?? '0');
      const limit = Number(r.query.get('limit'));
      const next = start + limit < items.length ? String(start + limit) : undefined;
      return {
        status: 200,
        body: {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: '48215', ...(next ? { continue: next } : {}) },
          items: items.slice(start, start + limit),
        },
      };
    });
    const c = new KubeCluster({
      kubeConfig: h.kubeConfig,
      namespaces: 'all',
      clock: h.clock,
      log: h.log,
      pageSize: 3,
      metricsIntervalSeconds: 0,
    });
    cluster = c;
    await c.start();
    await c.waitForSync();
    expect(lists(h, PATHS.pods).map((r) => r.query.get('continue'))).toEqual([null, '3', '6']);
    expect(c.workload('shop', ORDERS)?.pods).toHaveLength(3);
  });
});

describe('reads', () => {
  it('builds the workload view the way the scheduler sees the recorded cluster', async () => {
    const { c } = await setup();
    const view = c.workload('shop', ORDERS)!;
    expect(view.target).toEqual({
      replicas: 3,
      readyReplicas: 2,
      templateHash: view.target.templateHash,
      maxSurge: 1,
      maxUnavailable: 0,
    });
    expect(view.target.templateHash).toMatch(/^[0-9a-f]{10}$/);
    expect(view.requests).toEqual({ cpu: 0.5, memoryGiB: 1 });
    // user-0: 3860m − (100m kube-proxy + 500m orders + 1000m web) = 2260m → 4; user-1: 3260m → 6;
    // system: CriticalAddonsOnly taint; user-2: NotReady for 2 min → incoming 7 at creation + 5 min.
    expect(view.vm).toEqual({
      freeSlots: 10,
      slotsPerNode: 7,
      incoming: [{ slots: 7, readyAt: Date.parse('2026-11-02T10:03:00Z') }],
    });
    expect(view.pods).toEqual([
      {
        name: 'orders-worker-7d9f8b6c5d-2xkqp',
        phase: 'Running',
        ready: true,
        deleting: false,
        nodeName: 'aks-user-12345678-vmss000000',
        createdAt: Date.parse('2026-11-02T09:00:00Z'),
        readyAt: Date.parse('2026-11-02T09:00:30Z'),
        deletionCost: 100,
      },
      {
        name: 'orders-worker-7d9f8b6c5d-8fjwd',
        phase: 'Running',
        ready: true,
        deleting: false,
        nodeName: 'aks-user-12345678-vmss000001',
        createdAt: Date.parse('2026-11-02T09:00:00Z'),
        readyAt: Date.parse('2026-11-02T09:01:10Z'),
      },
      {
        name: 'orders-worker-7d9f8b6c5d-q7wzt',
        phase: 'Pending',
        ready: false,
        deleting: false,
        createdAt: Date.parse('2026-11-02T09:59:00Z'),
        unschedulable: {
          since: Date.parse('2026-11-02T09:59:01Z'),
          message: view.pods[2]?.unschedulable?.message ?? '',
        },
      },
    ]);
    expect(view.pods[2]?.unschedulable?.message).toMatch(/^0\/4 nodes are available: /);
    expect(view.template.spec?.containers[0]?.name).toBe('worker');
    expect(c.workload('shop', { ...ORDERS, name: 'missing' })).toBeUndefined();
    expect(() => c.workload('shop', { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' })).toThrow(
      UnsupportedTargetError,
    );
  });

  it('lists scalers and reads the cluster id from kube-system', async () => {
    const { c } = await setup();
    expect(c.clusterId()).toBe('2c4f5a1e-7777-4000-8000-0000000000aa');
    const scalers = c.scalers();
    expect(
      scalers.map((s) => [s.metadata.namespace, s.metadata.name, s.metadata.uid, s.metadata.generation]),
    ).toEqual([['shop', 'orders-worker', SCALER.uid, 2]]);
    expect(scalers[0]).not.toHaveProperty('metadata.managedFields');
  });

  it('watches only the listed namespaces when given', async () => {
    const h = await startHarness();
    harness = h;
    for (const [key, resource] of [
      ['scalers', '/apis/spillway.io/v1alpha1/namespaces/shop/burstscalers'],
      ['deployments', '/apis/apps/v1/namespaces/shop/deployments'],
      ['slices', '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices'],
    ] as const)
      h.server.list(
        resource,
        'List',
        'v1',
        () => h.collections[key].items,
        () => String(h.collections[key].resourceVersion),
      );
    const c = new KubeCluster({
      kubeConfig: h.kubeConfig,
      namespaces: ['shop'],
      clock: h.clock,
      log: h.log,
      clusterId: 'c-1',
      metricsIntervalSeconds: 0,
    });
    cluster = c;
    await c.start();
    await c.waitForSync();
    expect(c.informerStatus().map((s) => s.name)).toEqual([
      'burstscalers/shop',
      'deployments/shop',
      'endpointslices/shop',
      'pods',
      'nodes',
    ]);
    expect(c.scalers()).toHaveLength(1);
    expect(c.clusterId()).toBe('c-1');
    expect(h.server.requests.some((r) => r.path === '/api/v1/namespaces/kube-system')).toBe(false);
  });

  it.each<[string, KubeClusterOptions['namespaces'], string]>([
    ['an empty list', [], "namespaces: give at least one namespace, or 'all' to watch every namespace"],
    ['a bad name', ['shop', 'Shop_2'], 'namespaces[1]: "Shop_2" is not a namespace name'],
    ['a duplicate', ['shop', 'shop'], 'namespaces[1]: "shop" is listed twice'],
  ])('rejects %s of namespaces', async (_name, namespaces, message) => {
    const h = await startHarness();
    harness = h;
    expect(
      () => new KubeCluster({ kubeConfig: h.kubeConfig, namespaces, clock: h.clock, log: h.log }),
    ).toThrow(message);
  });

  it('decodes Secret values and never logs them', async () => {
    const { h, c } = await setup();
    h.server.route('GET', '/api/v1/namespaces/shop/secrets/shop-queue-auth', () => ({
      status: 200,
      body: fixture('secret-shop-queue-auth.json'),
    }));
    h.server.route('GET', '/api/v1/namespaces/shop/configmaps/settings', () => ({
      status: 200,
      body: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { name: 'settings', namespace: 'shop' },
        data: { region: 'eastus' },
      },
    }));
    await expect(c.secret('shop', 'shop-queue-auth')).resolves.toEqual({
      connectionString: 'DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=secret-key-value',
      accountName: 'shopdata',
    });
    await expect(c.configMap('shop', 'settings')).resolves.toEqual({ region: 'eastus' });
    await expect(c.secret('shop', 'missing')).rejects.toThrow(
      'reading Secret shop/missing: the server could not find the requested resource /api/v1/namespaces/shop/secrets/missing (HTTP 404 NotFound)',
    );
    expect(JSON.stringify(h.logs)).not.toContain('secret-key-value');
  });
});

describe('pod usage from metrics.k8s.io', () => {
  it('polls usage for targets of cpu/memory triggers and attaches it to their pods', async () => {
    const h = await startHarness();
    harness = h;
    const scaler = h.collections.scalers.find<{ spec: { triggers: unknown[] } }>('orders-worker', 'shop');
    scaler.spec.triggers.push({ type: 'cpu', metadata: { type: 'Utilization', value: '60' } });
    h.collections.scalers.upsert(scaler as never);
    const path = '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods';
    h.server.route('GET', path, () => ({
      status: 200,
      body: {
        kind: 'PodMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: [
          {
            metadata: {
              name: 'orders-worker-7d9f8b6c5d-2xkqp',
              namespace: 'shop',
              labels: { app: 'orders-worker' },
            },
            timestamp: '2026-11-02T09:59:45Z',
            window: '15.012s',
            containers: [{ name: 'worker', usage: { cpu: '412345678n', memory: '524288Ki' } }],
          },
        ],
      },
    }));
    h.clock.hold = true; // one polling round, then the poller waits for its next interval
    const c = new KubeCluster({ kubeConfig: h.kubeConfig, namespaces: 'all', clock: h.clock, log: h.log });
    cluster = c;
    await c.start();
    await c.waitForSync();
    await until(() => c.workload('shop', ORDERS)?.pods[0]?.usage !== undefined, 'the usage sample');
    const metrics = h.server.requests.filter((r) => r.path === path);
    expect(metrics.map((r) => r.query.get('labelSelector'))).toEqual(['app=orders-worker']);
    const pods = c.workload('shop', ORDERS)!.pods;
    expect(pods[0]?.usage).toEqual({ cpu: 0.413, memoryGiB: 0.5 });
    expect(pods[1]?.usage).toBeUndefined();
    expect(h.clock.sleeps).toEqual([15_000]);
  });
});

describe('onChange', () => {
  it('maps watch events to the scalers they concern', async () => {
    const { h, c } = await setup();
    const seen: string[] = [];
    c.onChange((s) => seen.push(`${s.namespace}/${s.name}`));
    const pods = await h.server.watch(PATHS.pods, 0);
    const deployments = await h.server.watch(PATHS.deployments, 0);
    const nodes = await h.server.watch(PATHS.nodes, 0);
    const scalers = await h.server.watch(PATHS.scalers, 0);
    const bump = <T>(
      collection: keyof Harness['collections'],
      name: string,
      namespace: string | undefined,
      change: (o: T) => void,
    ) => {
      const object = h.collections[collection].find<T>(name, namespace);
      change(object);
      return h.collections[collection].upsert(object as never);
    };
    const step = async (send: () => void, expected: number) => {
      send();
      await until(() => seen.length >= expected, `${expected} notifications`);
    };

    // A pod of another workload, then a target pod: only the second notifies.
    pods.send(
      'MODIFIED',
      bump('pods', 'web-5c7b9d8f6-lx9qz', 'shop', () => undefined),
    );
    await step(
      () =>
        pods.send(
          'MODIFIED',
          bump('pods', 'orders-worker-7d9f8b6c5d-q7wzt', 'shop', () => undefined),
        ),
      1,
    );
    expect(seen).toEqual(['shop/orders-worker']);

    // The target Deployment notifies; another Deployment does not.
    deployments.send(
      'MODIFIED',
      bump('deployments', 'web', 'shop', () => undefined),
    );
    await step(
      () =>
        deployments.send(
          'MODIFIED',
          bump('deployments', 'orders-worker', 'shop', () => undefined),
        ),
      2,
    );
    expect(seen).toHaveLength(2);

    // A node heartbeat changes nothing that matters; a node going NotReady concerns every scaler.
    type NodeJson = { status: { conditions: { type: string; status: string; lastHeartbeatTime: string }[] } };
    nodes.send(
      'MODIFIED',
      bump<NodeJson>('nodes', 'aks-user-12345678-vmss000000', undefined, (n) => {
        for (const cond of n.status.conditions) cond.lastHeartbeatTime = '2026-11-02T10:00:10Z';
      }),
    );
    await step(
      () =>
        nodes.send(
          'MODIFIED',
          bump<NodeJson>('nodes', 'aks-user-12345678-vmss000001', undefined, (n) => {
            n.status.conditions.find((cond) => cond.type === 'Ready')!.status = 'Unknown';
          }),
        ),
      3,
    );
    expect(seen).toHaveLength(3);
    expect(c.workload('shop', ORDERS)?.vm.freeSlots).toBe(4);

    // A status-only change of the scaler (our own writes) does not notify; a spec change does.
    type ScalerJson = { metadata: { generation: number }; status: { vmReplicas: number } };
    scalers.send(
      'MODIFIED',
      bump<ScalerJson>('scalers', 'orders-worker', 'shop', (s) => (s.status.vmReplicas = 9)),
    );
    await step(
      () =>
        scalers.send(
          'MODIFIED',
          bump<ScalerJson>('scalers', 'orders-worker', 'shop', (s) => (s.metadata.generation = 3)),
        ),
      4,
    );
    expect(seen).toEqual([
      'shop/orders-worker',
      'shop/orders-worker',
      'shop/orders-worker',
      'shop/orders-worker',
    ]);
  });

  it('a throwing listener is logged and does not stop the others', async () => {
    const { h, c } = await setup();
    const seen: string[] = [];
    c.onChange(() => {
      throw new Error('listener bug');
    });
    const off = c.onChange((s) => seen.push(s.name));
    const deployments = await h.server.watch(PATHS.deployments, 0);
    const object = h.collections.deployments.find('orders-worker', 'shop');
    deployments.send('MODIFIED', h.collections.deployments.upsert(object as never));
    await until(() => seen.length === 1, 'the second listener');
    expect(h.logs.some((l) => l.message === 'an onChange listener threw')).toBe(true);
    off();
  });
});

describe('writes', () => {
  it('scales the Deployment through the scale subresource with a merge patch', async () => {
    const { h, c } = await setup();
    const path = '/apis/apps/v1/namespaces/shop/deployments/orders-worker/scale';
    h.server.route('PATCH', path, (r) => ({
      status: 200,
      body: {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'orders-worker', namespace: 'shop' },
        spec: (r.body as { spec: unknown }).spec,
        status: { replicas: 3, selector: 'app=orders-worker' },
      },
    }));
    await c.scaleTarget('shop', ORDERS, 7);
    const [write] = h.server.writes();
    expect(write).toMatchObject({
      method: 'PATCH',
      path,
      contentType: MERGE_PATCH,
      body: { spec: { replicas: 7 } },
    });
    expect(write?.query.get('fieldManager')).toBe('spillway');

    await expect(c.scaleTarget('shop', { ...ORDERS, name: 'gone' }, 7)).rejects.toThrow(
      /^scaling Deployment shop\/gone to 7: .* \(HTTP 404 NotFound\)$/,
    );
    await expect(c.scaleTarget('shop', ORDERS, -1)).rejects.toThrow(InvalidRequestError);
    await expect(
      c.scaleTarget('shop', { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, 1),
    ).rejects.toThrow(UnsupportedTargetError);
    expect(h.server.writes()).toHaveLength(2);
  });

  it('annotates pod deletion cost with a merge patch, skipping pods that already have it', async () => {
    const { h, c } = await setup();
    h.server.route('PATCH', /^\/api\/v1\/namespaces\/shop\/pods\//, (r) => ({
      status: 200,
      body: {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: r.path.split('/').at(-1), namespace: 'shop' },
      },
    }));
    await c.setPodDeletionCost('shop', 'orders-worker-7d9f8b6c5d-8fjwd', -100);
    await c.setPodDeletionCost('shop', 'orders-worker-7d9f8b6c5d-2xkqp', 100); // already 100
    expect(h.server.writes()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/api/v1/namespaces/shop/pods/orders-worker-7d9f8b6c5d-8fjwd',
        contentType: MERGE_PATCH,
        body: { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-100' } } },
      }),
    ]);
    h.server.route('PATCH', '/api/v1/namespaces/shop/pods/gone', () => ({
      status: 404,
      body: apiStatus(404, 'NotFound', 'pods "gone" not found'),
    }));
    await expect(c.setPodDeletionCost('shop', 'gone', 5)).resolves.toBeUndefined();
    await expect(c.setPodDeletionCost('shop', 'x', 2 ** 31)).rejects.toThrow(
      'cost: must be a 32-bit whole number',
    );
  });

  it('patches the status subresource, keeping transition times, and skips unchanged status', async () => {
    const { h, c } = await setup();
    const path = '/apis/spillway.io/v1alpha1/namespaces/shop/burstscalers/orders-worker/status';
    h.server.route('PATCH', path, () => ({ status: 200, body: {} }));
    const status: ScalerStatus = {
      observedGeneration: 2,
      desiredReplicas: 12,
      vmReplicas: 10,
      aciReplicas: 2,
      pendingReplicas: 0,
      mode: 'bridge',
      costUSDPerHour: 0.93,
      lastDecision: {
        at: '2026-11-02T10:00:00Z',
        summary: 'burst: 2 replicas on ACI',
        reasons: ['queue 240 / 20 per replica → 12'],
        cost: ['Spill: 2 replicas on ACI for ~4.0 min: $0.0033 < bridge $0.0128.'],
      },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Reconciled',
          message: 'Spillway is managing orders-worker.',
        },
        {
          type: 'Bursting',
          status: 'True',
          reason: 'VmCapacityShort',
          message: '2 replicas do not fit on VM nodes; running them on ACI.',
        },
      ],
    };
    await c.patchStatus(SCALER, status);
    const [write] = h.server.writes();
    expect(write).toMatchObject({ method: 'PATCH', path, contentType: MERGE_PATCH });
    const body = write?.body as { status: ScalerStatus & { conditions: { lastTransitionTime: string }[] } };
    expect(body.status).toMatchObject({
      observedGeneration: 2,
      desiredReplicas: 12,
      aciReplicas: 2,
      mode: 'bridge',
    });
    expect(body.status.conditions).toEqual([
      { ...status.conditions[0], lastTransitionTime: '2026-10-22T08:00:05Z' },
      { ...status.conditions[1], lastTransitionTime: '2026-11-02T10:00:00Z' },
    ]);

    // The API echoes the write through the watch; the same status again sends nothing.
    const stream = await h.server.watch(PATHS.scalers, 0);
    const stored = h.collections.scalers.find<{ status: unknown }>('orders-worker', 'shop');
    stored.status = body.status;
    stream.send('MODIFIED', h.collections.scalers.upsert(stored as never));
    await until(() => (c.scalers()[0]?.status as { aciReplicas?: number }).aciReplicas === 2, 'the echo');
    await c.patchStatus(SCALER, status);
    expect(h.server.writes()).toHaveLength(1);

    // A scaler re-created under the same name (new uid) is not written with the old one's status.
    await c.patchStatus({ ...SCALER, uid: 'old-uid' }, { ...status, aciReplicas: 5 });
    expect(h.server.writes()).toHaveLength(1);
  });

  it('creates an Event, then folds repeats into its series', async () => {
    const { h, c } = await setup({ instance: 'spillway-6d5f7c8b9-abcde' });
    const base = '/apis/events.k8s.io/v1/namespaces/shop/events';
    h.server.route('POST', base, (r) => ({ status: 201, body: r.body }));
    let expired = false;
    h.server.route('PATCH', new RegExp(`^${base}/`), () =>
      expired
        ? { status: 404, body: apiStatus(404, 'NotFound', 'events.events.k8s.io not found') }
        : { status: 200, body: {} },
    );
    const message =
      'creating container group shop-orders-worker-1a2b3c-3: quota StandardCores exceeded in eastus (limit 100, used 98, requested 4)';
    await c.emitEvent(SCALER, 'Warning', 'QuotaExceeded', message);
    const [create] = h.server.writes();
    const created = create?.body as { metadata: { name: string } };
    expect(create).toMatchObject({ method: 'POST', path: base });
    expect(create?.contentType).toContain('application/json');
    expect(create?.body).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: created.metadata.name, namespace: 'shop' },
      eventTime: '2026-11-02T10:00:00.000000Z',
      reportingController: 'spillway.io/controller',
      reportingInstance: 'spillway-6d5f7c8b9-abcde',
      action: 'QuotaExceeded',
      reason: 'QuotaExceeded',
      note: message,
      type: 'Warning',
      regarding: {
        apiVersion: 'spillway.io/v1alpha1',
        kind: 'BurstScaler',
        namespace: 'shop',
        name: 'orders-worker',
        uid: SCALER.uid,
      },
    });
    expect(created.metadata.name).toMatch(/^orders-worker\.[0-9a-f]+$/);

    h.clock.advance(5000);
    await c.emitEvent(SCALER, 'Warning', 'QuotaExceeded', message);
    h.clock.advance(5000);
    await c.emitEvent(SCALER, 'Warning', 'QuotaExceeded', message); // counted, not written
    h.clock.advance(30_000);
    await c.emitEvent(SCALER, 'Warning', 'QuotaExceeded', message);
    const patches = h.server.writes().filter((w) => w.method === 'PATCH');
    expect(patches.map((p) => [p.path, p.contentType, p.body])).toEqual([
      [
        `${base}/${created.metadata.name}`,
        MERGE_PATCH,
        { series: { count: 2, lastObservedTime: '2026-11-02T10:00:05.000000Z' } },
      ],
      [
        `${base}/${created.metadata.name}`,
        MERGE_PATCH,
        { series: { count: 4, lastObservedTime: '2026-11-02T10:00:40.000000Z' } },
      ],
    ]);

    // Another message is another Event.
    await c.emitEvent(
      SCALER,
      'Normal',
      'ScaledUp',
      'scaled orders-worker from 3 to 7: queue 140 / 20 per replica',
    );
    expect(h.server.writes().filter((w) => w.method === 'POST')).toHaveLength(2);

    // An Event the API has expired is created anew.
    expired = true;
    h.clock.advance(31_000);
    await c.emitEvent(SCALER, 'Warning', 'QuotaExceeded', message);
    expect(h.server.writes().map((w) => w.method)).toEqual([
      'POST',
      'PATCH',
      'PATCH',
      'POST',
      'PATCH',
      'POST',
    ]);
  });

  it('keeps the EndpointSlice of a Service: create, no-op, update, conflict, delete', async () => {
    const { h, c } = await setup();
    const base = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';
    const name = 'orders-orders-worker-spillway';
    h.server.route('GET', '/api/v1/namespaces/shop/services/orders', () => ({
      status: 200,
      body: fixture('service-orders.json'),
    }));
    h.server.route('POST', base, (r) => ({ status: 201, body: r.body }));
    let conflicts = 1;
    h.server.route('PUT', `${base}/${name}`, (r) =>
      conflicts-- > 0
        ? {
            status: 409,
            body: apiStatus(
              409,
              'Conflict',
              'the object has been modified; please apply your changes to the latest version and try again',
            ),
          }
        : { status: 200, body: r.body },
    );
    h.server.route('GET', `${base}/${name}`, () => ({
      status: 200,
      body: h.collections.slices.find(name, 'shop'),
    }));
    h.server.route('DELETE', `${base}/${name}`, () => ({ status: 200, body: apiStatus(200, '', '') }));
    const addresses = [
      { name: 'shop-orders-worker-1a2b3c-0', ip: '10.225.0.4', ready: true },
      { name: 'shop-orders-worker-1a2b3c-1', ip: '10.225.0.5', ready: false },
    ];

    await c.syncEndpointSlice(SCALER, 'orders', addresses);
    const [create] = h.server.writes();
    expect(create).toMatchObject({ method: 'POST', path: base });
    expect(create?.body).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace: 'shop',
        labels: {
          'kubernetes.io/service-name': 'orders',
          'endpointslice.kubernetes.io/managed-by': 'spillway.io',
          'spillway.io/burstscaler': 'orders-worker',
        },
        ownerReferences: [
          { apiVersion: 'spillway.io/v1alpha1', kind: 'BurstScaler', name: 'orders-worker', uid: SCALER.uid },
        ],
      },
      addressType: 'IPv4',
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP', appProtocol: 'http' },
      ],
      endpoints: [
        {
          addresses: ['10.225.0.4'],
          conditions: { ready: true, serving: true, terminating: false },
          hostname: 'shop-orders-worker-1a2b3c-0',
        },
        {
          addresses: ['10.225.0.5'],
          conditions: { ready: false, serving: false, terminating: false },
          hostname: 'shop-orders-worker-1a2b3c-1',
        },
      ],
    });

    // The watch brings the stored slice back; the same addresses write nothing.
    const seen: string[] = [];
    c.onChange((s) => seen.push(s.name));
    const stream = await h.server.watch(PATHS.slices, 0);
    stream.send('ADDED', h.collections.slices.upsert(create?.body as never));
    await until(() => seen.length === 1, 'the slice in the cache');
    expect(seen).toEqual(['orders-worker']);
    await c.syncEndpointSlice(SCALER, 'orders', addresses);
    expect(h.server.writes()).toHaveLength(1);

    // A replica became ready: update with the cached resourceVersion; on 409 re-read and retry once.
    const stored = h.collections.slices.find<{ metadata: { resourceVersion: string } }>(name, 'shop');
    h.collections.slices.upsert(stored as never); // someone else wrote meanwhile
    await c.syncEndpointSlice(
      SCALER,
      'orders',
      addresses.map((a) => ({ ...a, ready: true })),
    );
    const puts = h.server.writes().filter((w) => w.method === 'PUT');
    expect(
      puts.map((p) => (p.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion),
    ).toEqual([stored.metadata.resourceVersion, String(h.collections.slices.resourceVersion)]);
    expect(
      (puts[1]?.body as { endpoints: { conditions: { ready: boolean } }[] }).endpoints.every(
        (e) => e.conditions.ready,
      ),
    ).toBe(true);

    // No addresses left: the slice is deleted.
    await c.syncEndpointSlice(SCALER, 'orders', []);
    expect(h.server.writes().at(-1)).toMatchObject({ method: 'DELETE', path: `${base}/${name}` });

    await expect(
      c.syncEndpointSlice(SCALER, 'orders', [{ name: 'x', ip: 'fd00::1', ready: true }]),
    ).rejects.toThrow('addresses[0].ip: "fd00::1" is not an IPv4 address');
    await expect(c.syncEndpointSlice(SCALER, 'missing', addresses)).rejects.toThrow(KubeApiError);
    expect(h.clock.now()).toBe(NOW);
  });
});
