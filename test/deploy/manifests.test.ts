/**
 * The install manifests: the kustomize base and overlays (deploy/) and the Helm chart generated from
 * them (charts/spillway). Each render is validated object by object against the Kubernetes schemas,
 * checked for the properties an operator relies on (hardening, probes, selectors, least-privilege RBAC),
 * and the Helm chart must render exactly the objects kustomize renders.
 *
 * kustomize and helm are Go binaries: test/deploy/install-tools.sh builds them (CI runs it from
 * .ci/run). Without them these blocks are skipped with a message naming that command; under CI they fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { baseObjects, CHART_DIR, generateChart } from './chart.ts';
import {
  findHelm,
  findKustomize,
  INSTALL_TOOLS,
  manifestId,
  missingToolMessage,
  parseManifests,
  REPO,
  runTool,
  type Manifest,
  type Tool,
} from './tools.ts';
import { validateManifests } from './validate.ts';

const OVERLAYS = ['deploy/base', 'deploy/overlays/aks', 'deploy/overlays/dev'] as const;
type Overlay = (typeof OVERLAYS)[number];

/** The Helm values that render what each kustomization renders. */
const HELM_EQUIVALENT: Record<Overlay, string[]> = {
  'deploy/base': [],
  'deploy/overlays/aks': ['-f', `${CHART_DIR}/ci/aks-values.yaml`],
  'deploy/overlays/dev': ['-f', `${CHART_DIR}/ci/dev-values.yaml`],
};

/**
 * The Kubernetes version helm renders for. A helm built with `go install` (no release ldflags) assumes
 * 1.20, below the chart's kubeVersion; AKS supports 1.31 and later.
 */
const KUBE_VERSION = '1.33.0';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

function toolOrSkip(tool: Tool | undefined, name: string): Tool | undefined {
  if (tool) return tool;
  const message = missingToolMessage(name, INSTALL_TOOLS);
  if (process.env.CI) throw new Error(`${message} (CI must install it: see .ci/run)`);
  console.warn(message);
  return undefined;
}

const kustomize = toolOrSkip(findKustomize(), 'kustomize');
const helm = toolOrSkip(findHelm(), 'helm');

const byId = (manifests: Manifest[]): Map<string, Manifest> =>
  new Map(manifests.map((m) => [manifestId(m), m]));

function find(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the render`);
  return found;
}

// Typed views of the parts the checks read.
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
}
interface DeploymentView {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Binding {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

const deploymentOf = (manifests: Manifest[]): DeploymentView =>
  find(manifests, 'Deployment', 'spillway') as unknown as DeploymentView;
const containerOf = (manifests: Manifest[]): Container => {
  const container = deploymentOf(manifests).spec.template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.skipIf(!kustomize)('kustomize renders', () => {
  const renders = new Map<Overlay, Manifest[]>();
  beforeAll(async () => {
    for (const overlay of OVERLAYS)
      renders.set(overlay, parseManifests(await runTool(kustomize!, [overlay]), overlay));
  });
  const render = (overlay: Overlay): Manifest[] => renders.get(overlay)!;

  it.each(OVERLAYS)('%s: every object is valid against its schema', async (overlay) => {
    expect(render(overlay).length).toBeGreaterThan(0);
    expect(await validateManifests(render(overlay))).toEqual([]);
  });

  it('the base renders exactly its files (no transformers), which the chart is generated from', () => {
    const sorted = (objects: Manifest[]): Manifest[] =>
      [...objects].sort((a, b) => manifestId(a).localeCompare(manifestId(b)));
    expect(sorted(render('deploy/base'))).toEqual(sorted(baseObjects() as unknown as Manifest[]));
  });

  it.each(OVERLAYS)('%s: namespaced objects are in spillway-system, and nothing is duplicated', (overlay) => {
    const namespaced = render(overlay).filter(
      (m) => !['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(m.kind),
    );
    expect(namespaced.map((m) => m.metadata.namespace).filter((ns) => ns !== 'spillway-system')).toEqual([]);
    expect(byId(render(overlay)).size).toBe(render(overlay).length);
  });

  it.each(OVERLAYS)('%s: the controller is hardened (restricted Pod Security Standard)', (overlay) => {
    const pod = deploymentOf(render(overlay)).spec.template.spec;
    const container = containerOf(render(overlay));
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const side of ['requests', 'limits'] as const)
      expect(Object.keys(container.resources?.[side] ?? {}).sort(), side).toEqual(['cpu', 'memory']);
    const namespace = find(render(overlay), 'Namespace', 'spillway-system');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it.each(OVERLAYS)('%s: probes, Service and ServiceMonitor meet on the health/metrics port', (overlay) => {
    const manifests = render(overlay);
    const deployment = deploymentOf(manifests);
    const container = containerOf(manifests);
    const port = container.ports?.find((p) => p.name === 'http-metrics');
    expect(port).toBeDefined();
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(container.args).toContain(`--metrics-address=:${port!.containerPort}`);
    const podLabels = deployment.spec.template.metadata.labels;
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);

    const service = find(manifests, 'Service', 'spillway-metrics') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    };
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ name: 'http-metrics', targetPort: 'http-metrics' }),
    ]);

    const monitor = manifests.find((m) => m.kind === 'ServiceMonitor') as unknown as
      | {
          spec: {
            selector: { matchLabels: Record<string, string> };
            endpoints: { port: string; path: string }[];
          };
        }
      | undefined;
    if (overlay === 'deploy/overlays/dev') expect(monitor).toBeUndefined();
    else {
      expect(selects(monitor!.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      // honorLabels keeps Spillway's own `namespace` label (the BurstScaler's) instead of renaming it to
      // exported_namespace, which every dashboard and alert selects on.
      expect(monitor!.spec.endpoints).toEqual([
        expect.objectContaining({ port: 'http-metrics', path: '/metrics', honorLabels: true }),
      ]);
    }
  });

  it.each([
    ['deploy/base', 2, true],
    ['deploy/overlays/aks', 2, true],
    ['deploy/overlays/dev', 1, false],
  ] as const)('%s: %i replica(s) with leader election; PodDisruptionBudget: %s', (overlay, replicas, pdb) => {
    const manifests = render(overlay);
    const deployment = deploymentOf(manifests);
    expect(deployment.spec.replicas).toBe(replicas);
    const env = (containerOf(manifests) as { env?: { name: string }[] }).env?.map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining(['POD_NAME', 'SPILLWAY_LEASE_NAMESPACE']));
    const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget') as unknown as
      { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } } | undefined;
    expect(budget !== undefined).toBe(pdb);
    if (budget) {
      expect(budget.spec.minAvailable).toBeLessThan(replicas);
      expect(selects(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    }
  });

  it.each(OVERLAYS)('%s: workload identity: annotated ServiceAccount, labelled pods', (overlay) => {
    const manifests = render(overlay);
    const account = find(manifests, 'ServiceAccount', 'spillway');
    const clientId = (account.metadata.annotations as Record<string, string>)[
      'azure.workload.identity/client-id'
    ];
    expect(clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const deployment = deploymentOf(manifests);
    expect(deployment.spec.template.spec.serviceAccountName).toBe('spillway');
    expect(deployment.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
  });

  it('the aks overlay sets a real identity and a registry image tagged with the package version', () => {
    const manifests = render('deploy/overlays/aks');
    const annotations = find(manifests, 'ServiceAccount', 'spillway').metadata.annotations as Record<
      string,
      string
    >;
    expect(annotations['azure.workload.identity/client-id']).not.toBe('00000000-0000-0000-0000-000000000000');
    expect(annotations['azure.workload.identity/tenant-id']).toBeDefined();
    expect(containerOf(manifests).image).toBe(`spillwayregistry.azurecr.io/spillway:${PACKAGE_VERSION}`);
    expect(containerOf(render('deploy/base')).image).toBe(`spillway:${PACKAGE_VERSION}`);
  });

  it('RBAC: no wildcards, Secrets only through per-namespace RoleBindings, bindings name existing roles', () => {
    const manifests = render('deploy/base');
    const roles = manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role');
    const rules = roles.flatMap((role) => (role as unknown as { rules: Rule[] }).rules);
    for (const rule of rules) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      expect(rule.verbs).not.toContain('escalate');
      expect(rule.verbs).not.toContain('bind');
      expect(rule.verbs).not.toContain('impersonate');
    }
    const bindings = manifests.filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding');
    for (const binding of bindings) {
      const { roleRef, subjects } = binding as unknown as Binding;
      expect(
        roles.some((r) => r.kind === roleRef.kind && r.metadata.name === roleRef.name),
        roleRef.name,
      ).toBe(true);
      expect(subjects).toEqual([{ kind: 'ServiceAccount', name: 'spillway', namespace: 'spillway-system' }]);
    }
    // Roles that grant Secrets are never bound cluster-wide by the install.
    const secretRoles = roles
      .filter((role) =>
        (role as unknown as { rules: Rule[] }).rules.some((r) => r.resources.includes('secrets')),
      )
      .map((r) => r.metadata.name);
    expect(secretRoles).toEqual(['spillway-values-reader']);
    const boundClusterWide = bindings
      .filter((b) => b.kind === 'ClusterRoleBinding')
      .map((b) => (b as unknown as Binding).roleRef.name);
    expect(boundClusterWide).not.toContain('spillway-values-reader');
    // Secrets are read one by one: no list or watch anywhere.
    const secretVerbs = rules.filter((r) => r.resources.includes('secrets')).flatMap((r) => r.verbs);
    expect(secretVerbs).toEqual(['get']);
  });

  it('RBAC: the rules are exactly deploy/rbac’s (replayed against every adapter call by test/kube/rbac.test.ts)', () => {
    const rbacDir = join(REPO, 'deploy/rbac');
    const source = readdirSync(rbacDir)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .flatMap((f) => parseManifests(readFileSync(join(rbacDir, f), 'utf8'), `deploy/rbac/${f}`));
    const roles = (manifests: Manifest[]) =>
      Object.fromEntries(
        manifests
          .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')
          .map((m) => [`${m.kind}/${m.metadata.name}`, (m as unknown as { rules: Rule[] }).rules]),
      );
    const bindings = (manifests: Manifest[]) =>
      manifests
        .filter((m) => m.kind.endsWith('Binding'))
        .map((m) => `${m.kind}/${m.metadata.namespace ?? ''}/${(m as unknown as Binding).roleRef.name}`)
        .sort();
    const base = render('deploy/base');
    expect(roles(base)).toEqual(roles(source));
    // The one difference: Secrets and ConfigMaps are not readable cluster-wide.
    expect(bindings(base)).toEqual(
      bindings(source).filter((b) => b !== 'ClusterRoleBinding//spillway-values-reader'),
    );
  });

  it.runIf(existsSync(join(REPO, 'deploy/monitoring')))(
    'the base includes every object of deploy/monitoring (dashboards ConfigMap, PrometheusRule)',
    async () => {
      const monitoring = parseManifests(
        await runTool(kustomize!, ['deploy/monitoring']),
        'deploy/monitoring',
      );
      const base = byId(render('deploy/base'));
      expect(monitoring.map(manifestId).filter((id) => !base.has(id))).toEqual([]);
    },
  );
});

describe('the Helm chart', () => {
  it('is what test/deploy/generate-chart.ts generates from the kustomize base (run it with --write)', async () => {
    for (const file of await generateChart())
      expect(readFileSync(join(REPO, file.path), 'utf8'), file.path).toBe(file.content);
  });

  describe.skipIf(!helm)('rendered by helm', () => {
    const work = mkdtempSync(join(tmpdir(), 'spillway-helm-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    const template = async (extra: string[]): Promise<Manifest[]> =>
      parseManifests(
        await runTool(helm!, [
          'template',
          'spillway',
          CHART_DIR,
          '--namespace',
          'spillway-system',
          '--include-crds',
          '--kube-version',
          KUBE_VERSION,
          ...extra,
        ]),
        `helm template ${extra.join(' ')}`,
      );

    it.each([[[]], [['-f', `${CHART_DIR}/ci/aks-values.yaml`]], [['-f', `${CHART_DIR}/ci/dev-values.yaml`]]])(
      'helm lint %j passes',
      async (extra) => {
        const out = await runTool(helm!, [
          'lint',
          '--strict',
          '--kube-version',
          KUBE_VERSION,
          CHART_DIR,
          ...extra,
        ]);
        expect(out).toContain('0 chart(s) failed');
      },
    );

    it('with default values, every object is valid and the namespace is left to --create-namespace', async () => {
      const manifests = await template([]);
      expect(await validateManifests(manifests)).toEqual([]);
      expect(manifests.map((m) => m.kind)).not.toContain('Namespace');
    });

    it.skipIf(!kustomize).each(OVERLAYS)(
      '%s: helm renders the same objects as kustomize',
      async (overlay) => {
        const fromKustomize = parseManifests(await runTool(kustomize!, [overlay]), overlay);
        const fromHelm = await template(['--set', 'namespace.create=true', ...HELM_EQUIVALENT[overlay]]);
        expect([...byId(fromHelm).keys()].sort()).toEqual([...byId(fromKustomize).keys()].sort());
        const kustomized = byId(fromKustomize);
        for (const [id, object] of byId(fromHelm)) expect(object, id).toEqual(kustomized.get(id));
      },
    );

    it.each([
      [['--set', 'replicaCounts=3'], 'replicaCounts'],
      [['--set', 'image.pullPolicy=Sometimes'], 'pullPolicy'],
      [['--set', 'azureWorkloadIdentity.clientId=my-identity'], 'clientId'],
      [['--set', 'serviceMonitor.enabled=yes'], 'enabled'],
    ])('refuses values the chart does not know or allow: %j', async (extra, field) => {
      await expect(template(extra)).rejects.toThrow(field);
    });

    it('values change what they say (image, replicas, identity, extra args, optional objects)', async () => {
      const values = join(work, 'values.yaml');
      writeFileSync(
        values,
        stringify({
          image: { repository: 'example.azurecr.io/spillway', tag: '9.9.9', pullPolicy: 'Always' },
          replicaCount: 3,
          extraArgs: ['--namespaces=shop,web'],
          azureWorkloadIdentity: { clientId: '11111111-1111-1111-1111-111111111111', tenantId: 't' },
          networkPolicy: { enabled: false },
          serviceMonitor: { labels: { release: 'kube-prometheus-stack' }, interval: '15s' },
        }),
      );
      const manifests = await template(['-f', values]);
      expect(await validateManifests(manifests)).toEqual([]);
      const container = containerOf(manifests) as Container & { imagePullPolicy: string };
      expect(container.image).toBe('example.azurecr.io/spillway:9.9.9');
      expect(container.imagePullPolicy).toBe('Always');
      expect(container.args).toEqual(['run', '--metrics-address=:8080', '--namespaces=shop,web']);
      expect(deploymentOf(manifests).spec.replicas).toBe(3);
      expect(find(manifests, 'ServiceAccount', 'spillway').metadata.annotations).toEqual({
        'azure.workload.identity/client-id': '11111111-1111-1111-1111-111111111111',
        'azure.workload.identity/tenant-id': 't',
      });
      expect(manifests.map((m) => m.kind)).not.toContain('NetworkPolicy');
      const monitor = find(manifests, 'ServiceMonitor', 'spillway') as unknown as {
        metadata: { labels: Record<string, string> };
        spec: { endpoints: { interval: string }[] };
      };
      expect(monitor.metadata.labels).toMatchObject({
        release: 'kube-prometheus-stack',
        'app.kubernetes.io/name': 'spillway',
      });
      expect(monitor.spec.endpoints[0]?.interval).toBe('15s');
    });
  });
});
