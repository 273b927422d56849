/**
 * deploy/rbac grants exactly what the Kubernetes adapter uses: every call the adapter makes (each
 * recorded by the local API server while exercising every port method) is allowed to the spillway
 * ServiceAccount, and every verb the manifests grant is used by at least one call.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KubeCluster } from '../../src/kube/cluster.ts';
import { KubeLease } from '../../src/kube/lease.ts';
import { statusBody as apiStatus } from './fake-api-server.ts';
import type { RecordedRequest } from './fake-api-server.ts';
import { fixture, PATHS, startHarness, until } from './harness.ts';
import type { Harness } from './harness.ts';

const RBAC_DIR = new URL('../../deploy/rbac/', import.meta.url);
const SA = { namespace: 'spillway-system', name: 'spillway' };

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

function manifests(): Manifest[] {
  return readdirSync(RBAC_DIR)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(new URL(file, RBAC_DIR), 'utf8')).map((doc) => doc.toJS() as Manifest),
    );
}

/** An API request as RBAC sees it. */
interface Attributes {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

function attributes(request: RecordedRequest): Attributes {
  const parts = request.path.split('/').filter(Boolean);
  const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1] ?? '', parts.slice(3)];
  let namespace: string | undefined;
  let tail = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    tail = rest.slice(2);
  }
  const [resource = '', name, subresource] = tail;
  const verb =
    request.method === 'GET'
      ? request.query.get('watch') === 'true'
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[
          request.method
        ]!;
  return {
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    verb,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

/** The rules bound to the ServiceAccount, with the namespace they apply in (undefined: cluster-wide). */
function grantedRules(all: Manifest[]): { rule: Rule; namespace?: string; role: string }[] {
  const bound = (b: Manifest) =>
    (b.subjects ?? []).some(
      (s) => s.kind === 'ServiceAccount' && s.name === SA.name && s.namespace === SA.namespace,
    );
  const out: { rule: Rule; namespace?: string; role: string }[] = [];
  for (const binding of all.filter(
    (m) => (m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding') && bound(m),
  )) {
    const role = all.find(
      (m) =>
        m.kind === binding.roleRef?.kind &&
        m.metadata.name === binding.roleRef.name &&
        (m.kind === 'ClusterRole' || m.metadata.namespace === binding.metadata.namespace),
    );
    if (!role)
      throw new Error(
        `${binding.kind} ${binding.metadata.name} refers to a missing ${binding.roleRef?.kind}`,
      );
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    for (const rule of role.rules ?? [])
      out.push({ rule, ...(namespace ? { namespace } : {}), role: `${role.kind} ${role.metadata.name}` });
  }
  return out;
}

function allows(rule: Rule, namespace: string | undefined, a: Attributes): boolean {
  if (namespace !== undefined && a.namespace !== namespace) return false;
  if (!(rule.apiGroups ?? []).includes(a.group)) return false;
  if (!(rule.resources ?? []).includes(a.resource)) return false;
  if (!rule.verbs.includes(a.verb)) return false;
  if (rule.resourceNames?.length && !(a.name && rule.resourceNames.includes(a.name))) return false;
  return true;
}

let harness: Harness;
let calls: Attributes[];

/** Exercises every method of the cluster and lease ports against the local API server. */
beforeAll(async () => {
  harness = await startHarness();
  const h = harness;
  const scaler = h.collections.scalers.find<{ spec: { triggers: unknown[] } }>('orders-worker', 'shop');
  scaler.spec.triggers.push({ type: 'memory', metadata: { type: 'AverageValue', value: '1Gi' } });
  h.collections.scalers.upsert(scaler as never);
  const ok =
    (status = 200) =>
    () => ({ status, body: {} });
  h.server.route('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods', () => ({
    status: 200,
    body: { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [] },
  }));
  h.server.route('PATCH', '/apis/apps/v1/namespaces/shop/deployments/orders-worker/scale', ok());
  h.server.route('PATCH', /^\/api\/v1\/namespaces\/shop\/pods\//, ok());
  h.server.route(
    'PATCH',
    '/apis/spillway.io/v1alpha1/namespaces/shop/burstscalers/orders-worker/status',
    ok(),
  );
  h.server.route('POST', '/apis/events.k8s.io/v1/namespaces/shop/events', (r) => ({
    status: 201,
    body: r.body,
  }));
  h.server.route('PATCH', /^\/apis\/events\.k8s\.io\/v1\/namespaces\/shop\/events\//, ok());
  h.server.route('GET', '/api/v1/namespaces/shop/services/orders', () => ({
    status: 200,
    body: fixture('service-orders.json'),
  }));
  const slices = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';
  const slice = `${slices}/orders-orders-worker-spillway`;
  h.server.route('POST', slices, () => ({
    status: 409,
    body: apiStatus(409, 'AlreadyExists', 'already exists'),
  }));
  h.server.route('GET', slice, () => ({
    status: 200,
    body: { metadata: { name: 'x', resourceVersion: '9' } },
  }));
  h.server.route('PUT', slice, (r) => ({ status: 200, body: r.body }));
  h.server.route('DELETE', slice, ok());
  h.server.route('GET', '/api/v1/namespaces/shop/secrets/shop-queue-auth', () => ({
    status: 200,
    body: fixture('secret-shop-queue-auth.json'),
  }));
  h.server.route('GET', '/api/v1/namespaces/shop/configmaps/settings', () => ({
    status: 200,
    body: { data: {} },
  }));
  const leases = '/apis/coordination.k8s.io/v1/namespaces/spillway-system/leases';
  h.server.route('GET', `${leases}/spillway-leader`, () => ({
    status: 200,
    body: fixture('lease-spillway-leader.json'),
  }));
  h.server.route('POST', leases, (r) => ({ status: 201, body: r.body }));
  h.server.route('PUT', `${leases}/spillway-leader`, (r) => ({ status: 200, body: r.body }));

  h.clock.hold = true;
  const cluster = new KubeCluster({
    kubeConfig: h.kubeConfig,
    namespaces: 'all',
    clock: h.clock,
    log: h.log,
  });
  await cluster.start();
  await cluster.waitForSync();
  await until(
    () => h.server.requests.some((r) => r.path.startsWith('/apis/metrics.k8s.io/')),
    'a metrics poll',
  );
  const key = { namespace: 'shop', name: 'orders-worker', uid: '5b2f6c3e-4444-4000-8000-000000000004' };
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-worker' };
  await cluster.scaleTarget('shop', target, 4);
  await cluster.setPodDeletionCost('shop', 'orders-worker-7d9f8b6c5d-8fjwd', 10);
  await cluster.patchStatus(key, {
    observedGeneration: 2,
    desiredReplicas: 4,
    vmReplicas: 4,
    aciReplicas: 0,
    pendingReplicas: 0,
    mode: 'none',
    costUSDPerHour: 0,
    lastDecision: { at: '2026-11-02T10:00:00Z', summary: 'scale up', reasons: [], cost: [] },
    conditions: [],
  });
  await cluster.emitEvent(key, 'Normal', 'ScaledUp', 'scaled orders-worker from 3 to 4');
  await cluster.emitEvent(key, 'Normal', 'ScaledUp', 'scaled orders-worker from 3 to 4');
  await cluster.syncEndpointSlice(key, 'orders', [{ name: 'r-0', ip: '10.225.0.4', ready: true }]);
  // The stored slice reaches the cache through the watch; then it can be deleted.
  const seen: string[] = [];
  cluster.onChange((s) => seen.push(s.name));
  const stream = await h.server.watch(PATHS.slices, 0);
  stream.send(
    'ADDED',
    h.collections.slices.upsert({
      metadata: {
        name: 'orders-orders-worker-spillway',
        namespace: 'shop',
        labels: { 'spillway.io/burstscaler': 'orders-worker' },
      },
    }),
  );
  await until(() => seen.length > 0, 'the slice in the cache');
  await cluster.syncEndpointSlice(key, 'orders', []);
  await cluster.secret('shop', 'shop-queue-auth');
  await cluster.configMap('shop', 'settings');
  const lease = new KubeLease({ kubeConfig: h.kubeConfig });
  const record = (await lease.get())!;
  await lease.tryWrite(record, record.version);
  await lease.tryWrite(record, undefined);
  await cluster.stop();
  calls = h.server.requests.map(attributes);
});

afterAll(async () => {
  await harness.server.stop();
});

describe('deploy/rbac', () => {
  it('is valid Kubernetes RBAC', () => {
    const kinds = { ClusterRole, ClusterRoleBinding, Role, RoleBinding, ServiceAccount } as const;
    for (const manifest of manifests()) {
      const Model = kinds[manifest.kind as keyof typeof kinds];
      expect(Model, manifest.kind).toBeDefined();
      expect(
        () => new Model(manifest as never).validate(),
        `${manifest.kind} ${manifest.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('lets the ServiceAccount make every call the adapter makes', () => {
    const rules = grantedRules(manifests());
    const denied = calls.filter(
      (call) => !rules.some(({ rule, namespace }) => allows(rule, namespace, call)),
    );
    expect(denied).toEqual([]);
  });

  it('grants no verb the adapter does not use', () => {
    const unused: string[] = [];
    for (const { rule, namespace, role } of grantedRules(manifests()))
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) {
            const one: Rule = { ...rule, apiGroups: [group], resources: [resource], verbs: [verb] };
            if (!calls.some((call) => allows(one, namespace, call)))
              unused.push(`${role}: ${group}/${resource} ${verb}`);
          }
    expect(unused).toEqual([]);
  });

  it('binds the spillway ServiceAccount in spillway-system', () => {
    const all = manifests();
    expect(all.find((m) => m.kind === 'ServiceAccount')?.metadata).toMatchObject(SA);
    expect(grantedRules(all).length).toBeGreaterThan(0);
  });
});
