import { describe, expect, it } from 'vitest';
import type { V1Container, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { InvalidSpecError, ValueResolutionError } from './errors.ts';
import {
  billedResources,
  buildContainerGroup,
  checkBurstable,
  compileTranslationOptions,
  expand,
  parseDockerConfig,
  referencedObjects,
  registryOf,
  resolveTemplateValues,
  spotRestriction,
  type BuildInput,
  type ResolvedValues,
} from './translate.ts';

const options = compileTranslationOptions();

function container(overrides: Partial<V1Container> = {}): V1Container {
  return {
    name: 'app',
    image: 'registry.example.com/shop/app:1.0',
    command: ['/app'],
    resources: { requests: { cpu: '500m', memory: '1Gi' } },
    ...overrides,
  };
}

function template(spec: Partial<V1PodSpec> = {}, main: Partial<V1Container> = {}): V1PodTemplateSpec {
  return { spec: { containers: [container(main)], ...spec } };
}

function values(
  secrets: Record<string, Record<string, string>> = {},
  configMaps: Record<string, Record<string, string>> = {},
): ResolvedValues {
  return { secrets: new Map(Object.entries(secrets)), configMaps: new Map(Object.entries(configMaps)) };
}

function build(t: V1PodTemplateSpec, extra: Partial<BuildInput> = {}) {
  return buildContainerGroup({
    template: t,
    groupName: 'shop-app-abc123-0',
    namespace: 'shop',
    region: 'eastus',
    priority: 'Regular',
    tags: { 'managed-by': 'spillway' },
    values: values(),
    options,
    ...extra,
  });
}

describe('checkBurstable: one reason per offending field path', () => {
  it.each<[string, V1PodTemplateSpec, string[]]>([
    ['a plain worker', template(), []],
    [
      'a PersistentVolumeClaim',
      template({ volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] }),
      ['spec.volumes[0].persistentVolumeClaim: ACI cannot mount PersistentVolumeClaims'],
    ],
    [
      'a hostPath volume',
      template({ volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] }),
      ['spec.volumes[0].hostPath: ACI has no host paths'],
    ],
    ['host network', template({ hostNetwork: true }), ['spec.hostNetwork: ACI has no host network']],
    [
      'a privileged container',
      template({}, { securityContext: { privileged: true } }),
      ['spec.containers[0].securityContext.privileged: ACI runs no privileged containers'],
    ],
    [
      'a tcpSocket liveness probe',
      template({}, { livenessProbe: { tcpSocket: { port: 8080 } } }),
      ['spec.containers[0].livenessProbe.tcpSocket: ACI supports exec and httpGet probes only'],
    ],
    [
      'a startup probe',
      template({}, { startupProbe: { exec: { command: ['true'] } } }),
      ['spec.containers[0].startupProbe: ACI has no startup probes'],
    ],
    [
      'too large for one group',
      template({}, { resources: { requests: { cpu: '6', memory: '24Gi' } } }),
      [
        'spec.containers[*].resources.requests.cpu: the group would need 6 vCPU, above the limit of 4',
        'spec.containers[*].resources.requests.memory: the group would need 24 GB, above the limit of 16',
      ],
    ],
    [
      'a GPU request',
      template({}, { resources: { limits: { 'nvidia.com/gpu': '1', cpu: '1', memory: '1Gi' } } }),
      ['spec.containers[0].resources.limits["nvidia.com/gpu"]: ACI offers CPU and memory only'],
    ],
    [
      'args without a command',
      template({}, { command: undefined, args: ['--queue', 'orders'] }),
      [
        "spec.containers[0].args: ACI replaces the image's entrypoint with the command, so args need an explicit command",
      ],
    ],
    [
      'a named probe port that is not declared',
      template({}, { readinessProbe: { httpGet: { port: 'http', path: '/ready' } } }),
      [
        'spec.containers[0].readinessProbe.httpGet.port: named port "http" is not declared in spec.containers[0].ports',
      ],
    ],
    [
      'a subPath mount',
      template(
        { volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }] },
        { volumeMounts: [{ name: 'cfg', mountPath: '/etc/app/app.yaml', subPath: 'app.yaml' }] },
      ),
      ['spec.containers[0].volumeMounts[0].subPath: ACI cannot mount part of a volume'],
    ],
    [
      'a status.podIP field reference',
      template({}, { env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef: only metadata.name and metadata.namespace are available on ACI, not status.podIP',
      ],
    ],
    [
      'arm64 only',
      template({ nodeSelector: { 'kubernetes.io/arch': 'arm64' } }),
      ['spec.nodeSelector["kubernetes.io/arch"]: ACI runs amd64 only, the template asks for arm64'],
    ],
    [
      'an unparseable quantity',
      template({}, { resources: { requests: { cpu: 'lots', memory: '1Gi' } } }),
      [
        'spec.containers[0].resources.requests.cpu: "lots" is not a quantity (examples: 500m, 1.5, 512Mi, 2Gi, 1e3)',
      ],
    ],
    [
      'a memory-backed emptyDir and a projected volume together',
      template({
        volumes: [
          { name: 'tmp', emptyDir: { medium: 'Memory' } },
          { name: 'token', projected: { sources: [] } },
        ],
      }),
      [
        'spec.volumes[0].emptyDir.medium: ACI emptyDir volumes are disk-backed, not memory (tmpfs)',
        'spec.volumes[1].projected: projected volumes are not supported on ACI (mount the Secret or ConfigMap directly)',
      ],
    ],
    [
      'a native sidecar init container',
      template({ initContainers: [container({ name: 'proxy', restartPolicy: 'Always' })] }),
      ['spec.initContainers[0].restartPolicy: native sidecar init containers are not supported on ACI'],
    ],
    ['no spec at all', { metadata: {} }, ['spec: the pod template has no spec']],
  ])('%s', (_what, t, reasons) => {
    const result = checkBurstable(t, options);
    expect(result.ok ? [] : result.reasons).toEqual(reasons);
  });

  it('honours a larger configured group limit', () => {
    const big = template({}, { resources: { requests: { cpu: '6', memory: '24Gi' } } });
    expect(checkBurstable(big, compileTranslationOptions({ maxGroupCpu: 8, maxGroupMemoryGB: 32 }))).toEqual({
      ok: true,
    });
  });
});

describe('buildContainerGroup: template in, container group out', () => {
  it('maps image, command + args, env, resources (rounded up), ports and probes', () => {
    const t = template(
      { restartPolicy: 'Always' },
      {
        command: ['/app/worker'],
        args: ['--queue', '$(QUEUE)', '$$(NOT_EXPANDED)'],
        env: [
          { name: 'QUEUE', value: 'orders' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        ],
        resources: { requests: { cpu: '333m', memory: '1000Mi' }, limits: { cpu: '1', memory: '2Gi' } },
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 5353, protocol: 'UDP' },
        ],
        livenessProbe: { httpGet: { port: 'http', path: '/healthz', scheme: 'HTTP' }, periodSeconds: 10 },
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 5 },
      },
    );
    const { group, resources } = build(t);
    const c = group.containers[0]!;
    expect(c.image).toBe('registry.example.com/shop/app:1.0');
    expect(c.command).toEqual(['/app/worker', '--queue', 'orders', '$(NOT_EXPANDED)']);
    expect(c.environmentVariables).toEqual([
      { name: 'QUEUE', value: 'orders' },
      { name: 'POD', value: 'shop-app-abc123-0' },
      { name: 'NS', value: 'shop' },
    ]);
    expect(c.resources).toEqual({
      requests: { cpu: 0.34, memoryInGB: 1 },
      limits: { cpu: 1, memoryInGB: 2 },
    });
    expect(c.ports).toEqual([
      { port: 8080, protocol: 'TCP' },
      { port: 5353, protocol: 'UDP' },
    ]);
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 8080, path: '/healthz', scheme: 'http' },
      periodSeconds: 10,
    });
    expect(c.readinessProbe).toEqual({ exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 5 });
    expect(group).toMatchObject({
      location: 'eastus',
      osType: 'Linux',
      restartPolicy: 'Always',
      sku: 'Standard',
      priority: 'Regular',
    });
    expect(group.ipAddress).toBeUndefined(); // never a public IP
    expect(resources).toEqual({ cpu: 0.34, memoryGiB: 1 });
  });

  it.each([
    ['requests', { requests: { cpu: '250m', memory: '512Mi' } }, { cpu: 0.25, memoryInGB: 0.5 }],
    [
      'limits only (Kubernetes copies them to requests)',
      { limits: { cpu: '2', memory: '3Gi' } },
      { cpu: 2, memoryInGB: 3 },
    ],
    ['nothing (defaults 1 vCPU / 1.5 GB)', {}, { cpu: 1, memoryInGB: 1.5 }],
    [
      'odd sizes round up, never down',
      { requests: { cpu: '1001m', memory: '1.01Gi' } },
      { cpu: 1.01, memoryInGB: 1.1 },
    ],
  ])('resources from %s', (_what, resources, requests) => {
    const { group } = build(template({}, { resources }));
    expect(group.containers[0]!.resources.requests).toEqual(requests);
  });

  it('puts Secret values only in secureValue, ConfigMap values in value, and reports the secrets', () => {
    const t = template(
      {},
      {
        envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }],
        env: [
          { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api', key: 'key' } } },
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
          { name: 'URL', value: 'postgres://app:$(DB_PASSWORD)@db/app' },
          { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'missing', key: 'x', optional: true } } },
        ],
      },
    );
    const built = build(t, {
      values: values(
        { api: { key: 'sk-live-123456' }, creds: { PASSWORD: 'pw-very-secret' } },
        { settings: { level: 'debug', region: 'eu' } },
      ),
    });
    expect(built.group.containers[0]!.environmentVariables).toEqual([
      { name: 'level', value: 'debug' },
      { name: 'region', value: 'eu' },
      { name: 'DB_PASSWORD', secureValue: 'pw-very-secret' },
      { name: 'API_KEY', secureValue: 'sk-live-123456' },
      { name: 'LEVEL', value: 'debug' },
      // A value built from a Secret is itself secret.
      { name: 'URL', secureValue: 'postgres://app:pw-very-secret@db/app' },
    ]);
    expect(built.secrets.sort()).toEqual(
      ['postgres://app:pw-very-secret@db/app', 'pw-very-secret', 'sk-live-123456'].sort(),
    );
  });

  it.each<[string, V1PodTemplateSpec, ResolvedValues, string]>([
    [
      'a missing Secret key',
      template({}, { env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'api', key: 'key' } } }] }),
      values({ api: { other: 'x' } }),
      'creating container group shop-app-abc123-0: spec.containers[0].env[0].valueFrom.secretKeyRef: Secret "api" key "key" not found in namespace shop',
    ],
    [
      'an unreadable ConfigMap in envFrom',
      template({}, { envFrom: [{ configMapRef: { name: 'settings' } }] }),
      values(),
      'spec.containers[0].envFrom[0].configMapRef: ConfigMap "settings" not found or not readable in namespace shop',
    ],
    [
      'a missing Secret volume',
      template({ volumes: [{ name: 'tls', secret: { secretName: 'tls' } }] }),
      values(),
      'spec.volumes[0].secret: Secret "tls" not found or not readable in namespace shop',
    ],
  ])('names the field, never a value, for %s', (_what, t, v, message) => {
    const attempt = () => build(t, { values: v });
    expect(attempt).toThrow(ValueResolutionError);
    expect(attempt).toThrow(message);
  });

  it('refuses to put a Secret value on the command line', () => {
    const t = template(
      {},
      {
        args: ['--token', '$(TOKEN)'],
        env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
      },
    );
    let error: unknown;
    try {
      build(t, { values: values({ api: { token: 'tok-abcdef' } }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSpecError);
    expect((error as Error).message).toContain(
      'spec.containers[0].args: refers to an environment variable that holds a Secret value',
    );
    expect((error as Error).message).not.toContain('tok-abcdef');
  });

  it('maps emptyDir, Secret and ConfigMap volumes (ConfigMaps become ACI secret volumes) and their mounts', () => {
    const t = template(
      {
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'tls', secret: { secretName: 'tls', items: [{ key: 'tls.crt', path: 'cert.pem' }] } },
          { name: 'cfg', configMap: { name: 'cfg' } },
        ],
      },
      {
        volumeMounts: [
          { name: 'scratch', mountPath: '/tmp/work' },
          { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          { name: 'cfg', mountPath: '/etc/app' },
        ],
      },
    );
    const built = build(t, {
      values: values({ tls: { 'tls.crt': 'CERT', 'tls.key': 'KEY' } }, { cfg: { 'app.yaml': 'a: 1' } }),
    });
    expect(built.group.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'tls', secret: { 'cert.pem': Buffer.from('CERT').toString('base64') } },
      { name: 'cfg', secret: { 'app.yaml': Buffer.from('a: 1').toString('base64') } },
    ]);
    expect(built.group.containers[0]!.volumeMounts).toEqual([
      { name: 'scratch', mountPath: '/tmp/work' },
      { name: 'tls', mountPath: '/etc/tls', readOnly: true },
      { name: 'cfg', mountPath: '/etc/app' },
    ]);
    expect(built.secrets).toContain('CERT');
  });

  it('turns imagePullSecrets into registry credentials, or uses a managed identity for listed registries', () => {
    const dockerconfig = JSON.stringify({
      auths: {
        'registry.example.com': { username: 'robot', password: 'reg-pass-1' },
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub-pass-2').toString('base64') },
      },
    });
    const t = template({ imagePullSecrets: [{ name: 'pull' }, { name: 'absent' }] });
    const built = build(t, { values: values({ pull: { '.dockerconfigjson': dockerconfig } }) });
    expect(built.group.imageRegistryCredentials).toEqual([
      { server: 'registry.example.com', username: 'robot', password: 'reg-pass-1' },
      { server: 'docker.io', username: 'hubuser', password: 'hub-pass-2' },
    ]);
    expect(built.secrets).toEqual(expect.arrayContaining(['reg-pass-1', 'hub-pass-2']));

    const identity =
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull';
    const withIdentity = build(template({}, { image: 'shopacr.azurecr.io/app:2' }), {
      options: compileTranslationOptions({
        registryIdentity: { resourceId: identity, servers: ['shopacr.azurecr.io'] },
      }),
    });
    expect(withIdentity.group.imageRegistryCredentials).toEqual([{ server: 'shopacr.azurecr.io', identity }]);
    expect(withIdentity.group.identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { [identity]: {} },
    });
  });

  it('joins a subnet with a private IP and cluster DNS', () => {
    const built = build(template({}, { ports: [{ containerPort: 8080 }] }), {
      subnetId:
        '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aci',
      options: compileTranslationOptions({ clusterDns: { nameServer: '10.0.0.10' }, zones: { eastus: '2' } }),
    });
    expect(built.group.subnetIds).toEqual([
      { id: '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aci' },
    ]);
    expect(built.group.ipAddress).toEqual({ type: 'Private', ports: [{ port: 8080, protocol: 'TCP' }] });
    expect(built.group.dnsConfig).toEqual({
      nameServers: ['10.0.0.10'],
      searchDomains: 'shop.svc.cluster.local svc.cluster.local cluster.local',
      options: 'ndots:5',
    });
    expect(built.group.zones).toEqual(['2']);
  });

  it('rejects more than 5 ports on a private IP', () => {
    const ports = [1, 2, 3, 4, 5, 6].map((p) => ({ containerPort: 8000 + p }));
    expect(() => build(template({}, { ports }), { subnetId: '/subscriptions/s/x' })).toThrow(
      'spec.containers[*].ports: ACI exposes at most 5 ports per IP address, the template declares 6',
    );
  });

  it('maps Windows templates and init containers', () => {
    const win = build(template({ nodeSelector: { 'kubernetes.io/os': 'windows' } }));
    expect(win.group.osType).toBe('Windows');
    const init = build(template({ initContainers: [container({ name: 'migrate', command: ['/migrate'] })] }));
    expect(init.group.initContainers).toEqual([
      { name: 'migrate', image: 'registry.example.com/shop/app:1.0', command: ['/migrate'] },
    ]);
  });

  it('refuses a template that is not burstable, with every reason', () => {
    expect(() => build(template({ hostNetwork: true }, { workingDir: '/srv' }))).toThrow(
      'the pod template is not burstable: spec.hostNetwork: ACI has no host network; spec.containers[0].workingDir: ACI cannot set the working directory',
    );
  });
});

describe('helpers', () => {
  it('bills the rounded requests of the main containers', () => {
    const t = template({
      initContainers: [container({ name: 'init', resources: { requests: { cpu: '4' } } })],
    });
    t.spec!.containers.push(
      container({ name: 'sidecar', resources: { requests: { cpu: '100m', memory: '128Mi' } } }),
    );
    expect(billedResources(t)).toEqual({ cpu: 0.6, memoryGiB: 1.2 });
  });

  it.each([
    [{ cpu: 2, memoryGiB: 4 }, undefined, 'Linux', undefined],
    [
      { cpu: 2, memoryGiB: 4 },
      '/subscriptions/s/x',
      'Linux',
      'Spot container groups cannot join a virtual network (subnetId is set)',
    ],
    [
      { cpu: 8, memoryGiB: 4 },
      undefined,
      'Linux',
      'Spot container groups are limited to 4 vCPU / 16 GB, the group needs 8 vCPU / 4 GB',
    ],
    [{ cpu: 1, memoryGiB: 1 }, undefined, 'Windows', 'Spot container groups run Linux only'],
  ] as const)('spot restriction for %j, subnet %s, %s', (resources, subnet, os, expected) => {
    expect(spotRestriction(resources, subnet, os)).toBe(expected);
  });

  it.each([
    ['nginx', 'docker.io'],
    ['library/nginx:1', 'docker.io'],
    ['shopacr.azurecr.io/app:1', 'shopacr.azurecr.io'],
    ['localhost:5000/app', 'localhost:5000'],
    ['ghcr.io/org/app@sha256:abc', 'ghcr.io'],
  ])('registry of %s is %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });

  it('expands $(VAR) like Kubernetes', () => {
    const vars = new Map([
      ['A', { value: 'x', secret: false }],
      ['S', { value: 's', secret: true }],
    ]);
    expect(expand('$(A)-$(B)-$$(A)', vars)).toEqual({ text: 'x-$(B)-$(A)', usedSecret: false });
    expect(expand('$(S)', vars)).toEqual({ text: 's', usedSecret: true });
  });

  it('reads legacy .dockercfg and skips entries without credentials', () => {
    expect(
      parseDockerConfig({
        '.dockercfg': JSON.stringify({ 'quay.io': { username: 'u', password: 'p' }, 'x.io': {} }),
      }),
    ).toEqual([{ server: 'quay.io', username: 'u', password: 'p' }]);
    expect(parseDockerConfig({ '.dockerconfigjson': 'not json' })).toEqual([]);
  });

  it('lists and reads every referenced Secret and ConfigMap once; unreadable ones are recorded as missing', async () => {
    const t = template(
      { volumes: [{ name: 'v', secret: { secretName: 'tls' } }], imagePullSecrets: [{ name: 'pull' }] },
      {
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'tls', key: 'k' } } }],
      },
    );
    expect(referencedObjects(t)).toEqual({ secrets: ['pull', 'tls'], configMaps: ['cfg'] });
    const reads: string[] = [];
    const resolved = await resolveTemplateValues(t, 'shop', {
      secret: (ns, name) => {
        reads.push(`${ns}/${name}`);
        return name === 'tls' ? Promise.resolve({ k: 'v' }) : Promise.reject(new Error('forbidden'));
      },
      configMap: (ns, name) => {
        reads.push(`${ns}/${name}`);
        return Promise.resolve({ a: 'b' });
      },
    });
    expect(reads.sort()).toEqual(['shop/cfg', 'shop/pull', 'shop/tls']);
    expect(resolved.secrets.get('pull')).toBeUndefined();
    expect(resolved.secrets.get('tls')).toEqual({ k: 'v' });
  });

  it.each([
    [{ maxGroupCpu: 40 }, 'translation.maxGroupCpu: must be a number above 0 and at most 31, got 40'],
    [{ defaultMemoryGB: 0 }, 'translation.defaultMemoryGB: must be a number above 0 and at most 16, got 0'],
    [{ clusterDns: { nameServer: 'kube-dns' } }, 'translation.clusterDns.nameServer: must be an IP address'],
    [
      { registryIdentity: { resourceId: 'pull-identity', servers: [] } },
      'translation.registryIdentity.resourceId',
    ],
  ])('rejects options %j', (bad, message) => {
    expect(() => compileTranslationOptions(bad)).toThrow(message);
  });
});
