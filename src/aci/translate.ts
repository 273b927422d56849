/**
 * Pod template → ACI container group.
 *
 * Two halves. {@link checkBurstable} is pure and answers "can ACI run this template as it is?" with one
 * reason per offending field path; a template with any reason is never sent (no half-working groups).
 * {@link buildContainerGroup} is pure too: it takes the values already read from Secrets and ConfigMaps
 * ({@link resolveTemplateValues} does the reading) and returns the container group body plus the list
 * of secret strings it contains, so callers can keep them out of every log line and error.
 *
 * See docs/aci.md for the field-by-field table.
 */
import type {
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1Volume,
} from '@kubernetes/client-node';
import type {
  Container,
  ContainerGroup,
  ContainerProbe,
  EnvironmentVariable,
  ImageRegistryCredential,
  InitContainerDefinition,
  Port,
  Volume,
  VolumeMount,
} from '@azure/arm-containerinstance';
import type { Resources } from '../core/types.ts';
import type { ValueResolver } from '../ports.ts';
import { InvalidSpecError, ValueResolutionError } from './errors.ts';
import { parseQuantity } from './quantity.ts';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** How templates are translated. Every field has a documented default. */
export interface TranslationOptions {
  /**
   * Largest group (sum of container requests) accepted for Regular priority.
   * @default 4 vCPU — ACI accepts up to 31 in some regions, but above 4 vCPU / 16 GB creates often fail on capacity.
   */
  maxGroupCpu?: number;
  /** @default 16 GB */
  maxGroupMemoryGB?: number;
  /** Requests used for a container with neither requests nor limits. @default 1 vCPU (virtual-kubelet's) */
  defaultCpu?: number;
  /** @default 1.5 GB (virtual-kubelet's) */
  defaultMemoryGB?: number;
  /** Cluster DNS for groups in a subnet: the kube-dns service IP and the cluster domain (default cluster.local). */
  clusterDns?: { nameServer: string; clusterDomain?: string };
  /** Pull images from these registries with a user-assigned managed identity instead of imagePullSecrets. */
  registryIdentity?: { resourceId: string; servers: string[] };
  /** Availability zone per region, e.g. `{ eastus: '1' }`. */
  zones?: Record<string, string>;
}

/** Options with defaults applied. */
export interface CompiledTranslationOptions {
  maxGroupCpu: number;
  maxGroupMemoryGB: number;
  defaultCpu: number;
  defaultMemoryGB: number;
  clusterDns?: { nameServer: string; clusterDomain: string };
  registryIdentity?: { resourceId: string; servers: string[] };
  zones: Record<string, string>;
}

/** ACI's hard per-group ceilings (Linux, Standard SKU). */
export const ACI_MAX_GROUP = { cpu: 31, memoryGB: 240 } as const;
/** Spot groups are limited to 4 vCPU / 16 GB, no subnet, Linux. */
export const ACI_SPOT_MAX_GROUP = { cpu: 4, memoryGB: 16 } as const;
const MAX_CONTAINERS = 60;
const MAX_VOLUMES = 20;
const MAX_PORTS_PER_IP = 5;

/** Applies defaults and rejects impossible settings with an error naming the field. */
export function compileTranslationOptions(options: TranslationOptions = {}): CompiledTranslationOptions {
  const compiled: CompiledTranslationOptions = {
    maxGroupCpu: options.maxGroupCpu ?? 4,
    maxGroupMemoryGB: options.maxGroupMemoryGB ?? 16,
    defaultCpu: options.defaultCpu ?? 1,
    defaultMemoryGB: options.defaultMemoryGB ?? 1.5,
    zones: { ...options.zones },
  };
  const check = (field: string, value: number, max: number): void => {
    if (!Number.isFinite(value) || value <= 0 || value > max)
      throw new RangeError(`translation.${field}: must be a number above 0 and at most ${max}, got ${value}`);
  };
  check('maxGroupCpu', compiled.maxGroupCpu, ACI_MAX_GROUP.cpu);
  check('maxGroupMemoryGB', compiled.maxGroupMemoryGB, ACI_MAX_GROUP.memoryGB);
  check('defaultCpu', compiled.defaultCpu, compiled.maxGroupCpu);
  check('defaultMemoryGB', compiled.defaultMemoryGB, compiled.maxGroupMemoryGB);
  if (options.clusterDns) {
    if (!/^[0-9a-fA-F.:]+$/.test(options.clusterDns.nameServer))
      throw new RangeError(
        `translation.clusterDns.nameServer: must be an IP address (the kube-dns service IP), got "${options.clusterDns.nameServer}"`,
      );
    compiled.clusterDns = {
      nameServer: options.clusterDns.nameServer,
      clusterDomain: options.clusterDns.clusterDomain ?? 'cluster.local',
    };
  }
  if (options.registryIdentity) {
    if (!options.registryIdentity.resourceId.startsWith('/subscriptions/'))
      throw new RangeError(
        'translation.registryIdentity.resourceId: must be the ARM resource id of a user-assigned identity (/subscriptions/…)',
      );
    compiled.registryIdentity = {
      resourceId: options.registryIdentity.resourceId,
      servers: options.registryIdentity.servers.map((s) => s.toLowerCase()),
    };
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

const GIB = 2 ** 30;

/** Rounds up to a step, avoiding float noise (0.1 + 0.2). ACI takes CPU in 0.01 and memory in 0.1 steps. */
function roundUp(value: number, step: number): number {
  const steps = Math.ceil(value / step - 1e-9);
  return Number((steps * step).toFixed(6));
}

interface ContainerResources {
  cpu: number;
  memoryGB: number;
  limits?: { cpu?: number; memoryGB?: number };
}

/**
 * A container's resources as ACI takes them: requests (falling back to limits, as Kubernetes does, then
 * to the defaults), rounded *up* to 0.01 vCPU and 0.1 GB so a container never gets less than it asked
 * for. Memory "GB" is GiB here (bytes / 2^30). Throws on an unparseable quantity.
 */
function containerResources(container: V1Container, options: CompiledTranslationOptions): ContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuText = requests['cpu'] ?? limits['cpu'];
  const memText = requests['memory'] ?? limits['memory'];
  const cpu = cpuText === undefined ? options.defaultCpu : roundUp(parseQuantity(cpuText), 0.01);
  const memoryGB =
    memText === undefined ? options.defaultMemoryGB : roundUp(parseQuantity(memText) / GIB, 0.1);
  const result: ContainerResources = { cpu, memoryGB };
  const limitCpu = limits['cpu'] === undefined ? undefined : roundUp(parseQuantity(limits['cpu']), 0.01);
  const limitMem =
    limits['memory'] === undefined ? undefined : roundUp(parseQuantity(limits['memory']) / GIB, 0.1);
  if (limitCpu !== undefined || limitMem !== undefined) {
    result.limits = {
      ...(limitCpu === undefined ? {} : { cpu: Math.max(limitCpu, cpu) }),
      ...(limitMem === undefined ? {} : { memoryGB: Math.max(limitMem, memoryGB) }),
    };
  }
  return result;
}

/**
 * Per-replica resources as ACI bills them: the sum of the rounded requests of the main containers
 * (init containers run inside the group's allocation and add nothing).
 */
export function billedResources(
  template: V1PodTemplateSpec,
  options: CompiledTranslationOptions = compileTranslationOptions(),
): Resources {
  let cpu = 0;
  let memoryGiB = 0;
  for (const container of template.spec?.containers ?? []) {
    try {
      const r = containerResources(container, options);
      cpu += r.cpu;
      memoryGiB += r.memoryGB;
    } catch {
      // An unparseable quantity makes the template not burstable; it bills nothing.
    }
  }
  return { cpu: Number(cpu.toFixed(2)), memoryGiB: Number(memoryGiB.toFixed(1)) };
}

// ---------------------------------------------------------------------------------------------
// Burstability: one small rule per concern, each returning reasons that name a field path.
// ---------------------------------------------------------------------------------------------

type Rule = (spec: V1PodSpec, options: CompiledTranslationOptions) => string[];

const SUPPORTED_VOLUME_TYPES = new Set(['emptyDir', 'secret', 'configMap']);
const VOLUME_REASONS: Record<string, string> = {
  persistentVolumeClaim: 'ACI cannot mount PersistentVolumeClaims',
  hostPath: 'ACI has no host paths',
  ephemeral: 'ACI cannot mount ephemeral (PVC-backed) volumes',
  csi: 'ACI cannot mount CSI volumes',
  azureDisk: 'ACI cannot mount Azure disks',
  azureFile: 'Azure Files volumes are not supported by Spillway yet',
  projected: 'projected volumes are not supported on ACI (mount the Secret or ConfigMap directly)',
  downwardAPI: 'ACI has no downward API volumes',
  nfs: 'ACI cannot mount NFS volumes',
  gitRepo: 'gitRepo volumes are deprecated and not supported',
  image: 'ACI cannot mount image volumes',
};

function volumeType(volume: V1Volume): string | undefined {
  return Object.keys(volume).find((key) => key !== 'name' && volume[key as keyof V1Volume] !== undefined);
}

function osOf(spec: V1PodSpec): 'Linux' | 'Windows' | { unsupported: string; path: string } {
  const fromField = spec.os?.name;
  const fromSelector = spec.nodeSelector?.['kubernetes.io/os'];
  const os = fromField ?? fromSelector ?? 'linux';
  const path = fromField ? 'spec.os.name' : 'spec.nodeSelector["kubernetes.io/os"]';
  if (os === 'linux') return 'Linux';
  if (os === 'windows') return 'Windows';
  return { unsupported: os, path };
}

const podRules: Rule[] = [
  (spec) => (spec.hostNetwork ? ['spec.hostNetwork: ACI has no host network'] : []),
  (spec) => (spec.hostPID ? ['spec.hostPID: ACI does not share the host PID namespace'] : []),
  (spec) => (spec.hostIPC ? ['spec.hostIPC: ACI does not share the host IPC namespace'] : []),
  (spec) =>
    spec.shareProcessNamespace ? ['spec.shareProcessNamespace: ACI cannot share a process namespace'] : [],
  (spec) => (spec.hostAliases?.length ? ['spec.hostAliases: ACI cannot edit /etc/hosts'] : []),
  (spec) =>
    spec.resourceClaims?.length ? ['spec.resourceClaims: ACI has no dynamic resource allocation'] : [],
  (spec) =>
    spec.resources
      ? ['spec.resources: pod-level resources are not supported on ACI; set them per container']
      : [],
  (spec) =>
    spec.securityContext?.sysctls?.length ? ['spec.securityContext.sysctls: ACI cannot set sysctls'] : [],
  (spec) => {
    const arch = spec.nodeSelector?.['kubernetes.io/arch'];
    return arch && arch !== 'amd64'
      ? [`spec.nodeSelector["kubernetes.io/arch"]: ACI runs amd64 only, the template asks for ${arch}`]
      : [];
  },
  (spec) => {
    const os = osOf(spec);
    return typeof os === 'object' ? [`${os.path}: ACI runs Linux or Windows, not ${os.unsupported}`] : [];
  },
  (spec) =>
    osOf(spec) === 'Windows' && spec.initContainers?.length
      ? ['spec.initContainers: ACI has no init containers in Windows groups']
      : [],
  (spec) => {
    const count = spec.containers.length + (spec.initContainers?.length ?? 0);
    if (spec.containers.length === 0) return ['spec.containers: at least one container is required'];
    return count > MAX_CONTAINERS
      ? [
          `spec.containers: ACI allows at most ${MAX_CONTAINERS} containers per group, the template has ${count}`,
        ]
      : [];
  },
  (spec) => {
    const volumes = spec.volumes ?? [];
    const reasons: string[] = [];
    if (volumes.length > MAX_VOLUMES)
      reasons.push(
        `spec.volumes: ACI allows at most ${MAX_VOLUMES} volumes, the template has ${volumes.length}`,
      );
    volumes.forEach((volume, i) => {
      const type = volumeType(volume);
      const path = `spec.volumes[${i}]`;
      if (type === undefined) {
        reasons.push(`${path}: volume "${volume.name}" has no source`);
      } else if (!SUPPORTED_VOLUME_TYPES.has(type)) {
        reasons.push(`${path}.${type}: ${VOLUME_REASONS[type] ?? `ACI cannot mount ${type} volumes`}`);
      } else if (type === 'emptyDir' && volume.emptyDir?.medium === 'Memory') {
        reasons.push(`${path}.emptyDir.medium: ACI emptyDir volumes are disk-backed, not memory (tmpfs)`);
      } else if (type === 'secret' || type === 'configMap') {
        const items = type === 'secret' ? volume.secret?.items : volume.configMap?.items;
        items?.forEach((item, j) => {
          if (item.path.includes('/'))
            reasons.push(
              `${path}.${type}.items[${j}].path: ACI volumes hold flat files, "${item.path}" has a directory`,
            );
        });
      }
    });
    return reasons;
  },
  (spec, options) => {
    let cpu = 0;
    let memoryGB = 0;
    for (const container of spec.containers) {
      try {
        const r = containerResources(container, options);
        cpu += r.cpu;
        memoryGB += r.memoryGB;
      } catch {
        return []; // reported per container
      }
    }
    const reasons: string[] = [];
    if (cpu > options.maxGroupCpu + 1e-9)
      reasons.push(
        `spec.containers[*].resources.requests.cpu: the group would need ${Number(cpu.toFixed(2))} vCPU, above the limit of ${options.maxGroupCpu}`,
      );
    if (memoryGB > options.maxGroupMemoryGB + 1e-9)
      reasons.push(
        `spec.containers[*].resources.requests.memory: the group would need ${Number(memoryGB.toFixed(1))} GB, above the limit of ${options.maxGroupMemoryGB}`,
      );
    return reasons;
  },
];

const SUPPORTED_FIELD_REFS = new Set(['metadata.name', 'metadata.namespace']);

function containerReasons(container: V1Container, path: string, spec: V1PodSpec, init: boolean): string[] {
  const reasons: string[] = [];
  if (!container.image) reasons.push(`${path}.image: an image is required`);
  if (container.args?.length && !container.command?.length)
    reasons.push(
      `${path}.args: ACI replaces the image's entrypoint with the command, so args need an explicit command`,
    );
  if (container.workingDir) reasons.push(`${path}.workingDir: ACI cannot set the working directory`);
  if (container.securityContext?.privileged)
    reasons.push(`${path}.securityContext.privileged: ACI runs no privileged containers`);
  if (container.securityContext?.capabilities?.add?.length)
    reasons.push(`${path}.securityContext.capabilities.add: ACI cannot add Linux capabilities`);
  if (container.lifecycle?.postStart) reasons.push(`${path}.lifecycle.postStart: ACI has no lifecycle hooks`);
  if (container.startupProbe) reasons.push(`${path}.startupProbe: ACI has no startup probes`);
  if (container.volumeDevices?.length) reasons.push(`${path}.volumeDevices: ACI has no raw block devices`);
  if (init && container.restartPolicy === 'Always')
    reasons.push(`${path}.restartPolicy: native sidecar init containers are not supported on ACI`);

  for (const [name, probe] of [
    ['livenessProbe', container.livenessProbe],
    ['readinessProbe', container.readinessProbe],
  ] as const) {
    if (!probe) continue;
    if (probe.tcpSocket) reasons.push(`${path}.${name}.tcpSocket: ACI supports exec and httpGet probes only`);
    if (probe.grpc) reasons.push(`${path}.${name}.grpc: ACI supports exec and httpGet probes only`);
    if (probe.httpGet) {
      if (probe.httpGet.host) reasons.push(`${path}.${name}.httpGet.host: ACI probes the container itself`);
      if (resolvePort(probe.httpGet.port, container) === undefined)
        reasons.push(
          `${path}.${name}.httpGet.port: named port "${String(probe.httpGet.port)}" is not declared in ${path}.ports`,
        );
    }
  }

  container.ports?.forEach((port, i) => {
    if (port.hostPort) reasons.push(`${path}.ports[${i}].hostPort: ACI has no host ports`);
    if (port.protocol === 'SCTP') reasons.push(`${path}.ports[${i}].protocol: ACI supports TCP and UDP only`);
  });

  const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
  container.volumeMounts?.forEach((mount, i) => {
    const at = `${path}.volumeMounts[${i}]`;
    if (!volumeNames.has(mount.name))
      reasons.push(`${at}.name: no volume named "${mount.name}" in spec.volumes`);
    if (mount.subPath || mount.subPathExpr) reasons.push(`${at}.subPath: ACI cannot mount part of a volume`);
    if (mount.mountPropagation && mount.mountPropagation !== 'None')
      reasons.push(`${at}.mountPropagation: ACI has no mount propagation`);
    if (mount.mountPath.includes(':')) reasons.push(`${at}.mountPath: ACI mount paths may not contain ":"`);
  });

  container.env?.forEach((env, i) => {
    const field = env.valueFrom?.fieldRef?.fieldPath;
    if (field !== undefined && !SUPPORTED_FIELD_REFS.has(field))
      reasons.push(
        `${path}.env[${i}].valueFrom.fieldRef: only metadata.name and metadata.namespace are available on ACI, not ${field}`,
      );
    if (env.valueFrom?.resourceFieldRef)
      reasons.push(`${path}.env[${i}].valueFrom.resourceFieldRef: not supported on ACI`);
  });

  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  for (const [kind, values] of [
    ['requests', requests],
    ['limits', limits],
  ] as const) {
    for (const [resource, quantity] of Object.entries(values)) {
      if (resource === 'cpu' || resource === 'memory') {
        try {
          parseQuantity(quantity);
        } catch (error) {
          reasons.push(`${path}.resources.${kind}.${resource}: ${(error as Error).message}`);
        }
      } else if (resource !== 'ephemeral-storage') {
        reasons.push(`${path}.resources.${kind}["${resource}"]: ACI offers CPU and memory only`);
      }
    }
  }
  return reasons;
}

/**
 * Whether ACI can run the template as it is. Reasons name the field path and what ACI cannot do,
 * e.g. `spec.volumes[0].persistentVolumeClaim: ACI cannot mount PersistentVolumeClaims`.
 */
export function checkBurstable(
  template: V1PodTemplateSpec,
  options: CompiledTranslationOptions = compileTranslationOptions(),
): { ok: true } | { ok: false; reasons: string[] } {
  const spec = template.spec;
  if (!spec) return { ok: false, reasons: ['spec: the pod template has no spec'] };
  const reasons: string[] = [];
  for (const rule of podRules) reasons.push(...rule(spec, options));
  spec.initContainers?.forEach((c, i) =>
    reasons.push(...containerReasons(c, `spec.initContainers[${i}]`, spec, true)),
  );
  spec.containers.forEach((c, i) =>
    reasons.push(...containerReasons(c, `spec.containers[${i}]`, spec, false)),
  );
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

function resolvePort(port: number | string, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

// ---------------------------------------------------------------------------------------------
// Values from Secrets and ConfigMaps
// ---------------------------------------------------------------------------------------------

/** Secrets and ConfigMaps read for one template; `undefined` means it could not be read. */
export interface ResolvedValues {
  secrets: Map<string, Record<string, string> | undefined>;
  configMaps: Map<string, Record<string, string> | undefined>;
}

/** Names of the Secrets and ConfigMaps the template refers to (env, envFrom, volumes, pull secrets). */
export function referencedObjects(template: V1PodTemplateSpec): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const spec = template.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const env of c.env ?? []) {
      if (env.valueFrom?.secretKeyRef?.name) secrets.add(env.valueFrom.secretKeyRef.name);
      if (env.valueFrom?.configMapKeyRef?.name) configMaps.add(env.valueFrom.configMapKeyRef.name);
    }
    for (const from of c.envFrom ?? []) {
      if (from.secretRef?.name) secrets.add(from.secretRef.name);
      if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    }
  }
  for (const v of spec?.volumes ?? []) {
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    if (v.configMap?.name) configMaps.add(v.configMap.name);
  }
  for (const ref of spec?.imagePullSecrets ?? []) if (ref.name) secrets.add(ref.name);
  return { secrets: [...secrets].sort(), configMaps: [...configMaps].sort() };
}

/**
 * Reads every Secret and ConfigMap the template refers to. A read that fails is recorded as missing
 * (never thrown here): whether that matters depends on `optional`, which {@link buildContainerGroup}
 * decides with the field path at hand.
 */
export async function resolveTemplateValues(
  template: V1PodTemplateSpec,
  namespace: string,
  resolver: ValueResolver,
): Promise<ResolvedValues> {
  const { secrets, configMaps } = referencedObjects(template);
  const read = async (
    fetch: (ns: string, name: string) => Promise<Record<string, string>>,
    name: string,
  ): Promise<[string, Record<string, string> | undefined]> => {
    try {
      return [name, await fetch(namespace, name)];
    } catch {
      return [name, undefined];
    }
  };
  const [s, c] = await Promise.all([
    Promise.all(secrets.map((name) => read((ns, n) => resolver.secret(ns, n), name))),
    Promise.all(configMaps.map((name) => read((ns, n) => resolver.configMap(ns, n), name))),
  ]);
  return { secrets: new Map(s), configMaps: new Map(c) };
}

// ---------------------------------------------------------------------------------------------
// Building the container group
// ---------------------------------------------------------------------------------------------

/** Everything needed to build one group. */
export interface BuildInput {
  template: V1PodTemplateSpec;
  groupName: string;
  namespace: string;
  region: string;
  priority: 'Regular' | 'Spot';
  subnetId?: string;
  tags: Record<string, string>;
  values: ResolvedValues;
  options: CompiledTranslationOptions;
}

/** The group body and the secret strings inside it (for redaction). */
export interface BuiltGroup {
  group: ContainerGroup;
  /** Every secret value placed in the body: secure env values, registry passwords, secret files. */
  secrets: string[];
  resources: Resources;
}

interface EnvEntry {
  value: string;
  secret: boolean;
}

class Builder {
  readonly secrets = new Set<string>();
  private readonly input: BuildInput;
  constructor(input: BuildInput) {
    this.input = input;
  }

  invalid(message: string): InvalidSpecError {
    return new InvalidSpecError(`creating container group ${this.input.groupName}: ${message}`, {
      code: 'SpillwayInvalidTemplate',
      context: { operation: 'creating', groupName: this.input.groupName, region: this.input.region },
    });
  }

  missing(path: string, what: string): ValueResolutionError {
    return new ValueResolutionError(
      `creating container group ${this.input.groupName}: ${path}: ${what} in namespace ${this.input.namespace}`,
      {
        code: 'SpillwayValueUnresolvable',
        context: { operation: 'creating', groupName: this.input.groupName, region: this.input.region },
      },
    );
  }

  /** Kubernetes env semantics: envFrom first, then env (later entries win); $(VAR) expansion. */
  env(container: V1Container, path: string): Map<string, EnvEntry> {
    const vars = new Map<string, EnvEntry>();
    const { secrets, configMaps } = this.input.values;
    container.envFrom?.forEach((from, i) => {
      const prefix = from.prefix ?? '';
      if (from.secretRef) {
        const data = secrets.get(from.secretRef.name ?? '');
        if (!data) {
          if (from.secretRef.optional) return;
          throw this.missing(
            `${path}.envFrom[${i}].secretRef`,
            `Secret "${from.secretRef.name}" not found or not readable`,
          );
        }
        for (const [key, value] of Object.entries(data)) {
          if (key.includes('=')) continue;
          vars.set(prefix + key, { value, secret: true });
        }
      } else if (from.configMapRef) {
        const data = configMaps.get(from.configMapRef.name ?? '');
        if (!data) {
          if (from.configMapRef.optional) return;
          throw this.missing(
            `${path}.envFrom[${i}].configMapRef`,
            `ConfigMap "${from.configMapRef.name}" not found or not readable`,
          );
        }
        for (const [key, value] of Object.entries(data)) {
          if (key.includes('=')) continue;
          vars.set(prefix + key, { value, secret: false });
        }
      }
    });
    container.env?.forEach((env: V1EnvVar, i) => {
      const at = `${path}.env[${i}]`;
      const from = env.valueFrom;
      if (!from) {
        const expanded = expand(env.value ?? '', vars);
        vars.set(env.name, { value: expanded.text, secret: expanded.usedSecret });
      } else if (from.secretKeyRef) {
        const ref = from.secretKeyRef;
        const value = secrets.get(ref.name ?? '')?.[ref.key];
        if (value === undefined) {
          if (ref.optional) return;
          throw this.missing(
            `${at}.valueFrom.secretKeyRef`,
            `Secret "${ref.name}" key "${ref.key}" not found`,
          );
        }
        vars.set(env.name, { value, secret: true });
      } else if (from.configMapKeyRef) {
        const ref = from.configMapKeyRef;
        const value = configMaps.get(ref.name ?? '')?.[ref.key];
        if (value === undefined) {
          if (ref.optional) return;
          throw this.missing(
            `${at}.valueFrom.configMapKeyRef`,
            `ConfigMap "${ref.name}" key "${ref.key}" not found`,
          );
        }
        vars.set(env.name, { value, secret: false });
      } else if (from.fieldRef) {
        const field = from.fieldRef.fieldPath;
        if (field === 'metadata.name') vars.set(env.name, { value: this.input.groupName, secret: false });
        else if (field === 'metadata.namespace')
          vars.set(env.name, { value: this.input.namespace, secret: false });
        else throw this.invalid(`${at}.valueFrom.fieldRef: ${field} is not available on ACI`);
      } else {
        throw this.invalid(
          `${at}.valueFrom: only secretKeyRef, configMapKeyRef and fieldRef are supported on ACI`,
        );
      }
    });
    return vars;
  }

  environmentVariables(vars: Map<string, EnvEntry>): EnvironmentVariable[] {
    return [...vars].map(([name, entry]) => {
      if (entry.secret) {
        this.secrets.add(entry.value);
        return { name, secureValue: entry.value };
      }
      return { name, value: entry.value };
    });
  }

  command(container: V1Container, vars: Map<string, EnvEntry>, path: string): string[] | undefined {
    const parts = [...(container.command ?? []), ...(container.args ?? [])];
    if (parts.length === 0) return undefined;
    return parts.map((part, i) => {
      const expanded = expand(part, vars);
      if (expanded.usedSecret) {
        const field = i < (container.command?.length ?? 0) ? 'command' : 'args';
        throw this.invalid(
          `${path}.${field}: refers to an environment variable that holds a Secret value; ACI command lines are not secret, so pass it as an environment variable instead`,
        );
      }
      return expanded.text;
    });
  }

  probe(probe: V1Probe | undefined, container: V1Container): ContainerProbe | undefined {
    if (!probe) return undefined;
    const out: ContainerProbe = {};
    if (probe.exec) out.exec = { command: probe.exec.command ?? [] };
    if (probe.httpGet) {
      out.httpGet = {
        port: resolvePort(probe.httpGet.port, container)!,
        ...(probe.httpGet.path ? { path: probe.httpGet.path } : {}),
        ...(probe.httpGet.scheme ? { scheme: probe.httpGet.scheme.toLowerCase() } : {}),
        ...(probe.httpGet.httpHeaders?.length
          ? { httpHeaders: probe.httpGet.httpHeaders.map((h) => ({ name: h.name, value: h.value })) }
          : {}),
      };
    }
    if (probe.initialDelaySeconds !== undefined) out.initialDelaySeconds = probe.initialDelaySeconds;
    if (probe.periodSeconds !== undefined) out.periodSeconds = probe.periodSeconds;
    if (probe.failureThreshold !== undefined) out.failureThreshold = probe.failureThreshold;
    if (probe.successThreshold !== undefined) out.successThreshold = probe.successThreshold;
    if (probe.timeoutSeconds !== undefined) out.timeoutSeconds = probe.timeoutSeconds;
    return out;
  }

  volumeMounts(container: V1Container): VolumeMount[] | undefined {
    if (!container.volumeMounts?.length) return undefined;
    return container.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true } : {}),
    }));
  }

  volumes(spec: V1PodSpec): Volume[] | undefined {
    if (!spec.volumes?.length) return undefined;
    return spec.volumes.map((volume, i): Volume => {
      const path = `spec.volumes[${i}]`;
      if (volume.emptyDir) return { name: volume.name, emptyDir: {} };
      const fromSecret = volume.secret !== undefined;
      const source = fromSecret ? volume.secret : volume.configMap;
      const objectName = fromSecret ? volume.secret?.secretName : volume.configMap?.name;
      const data = objectName
        ? (fromSecret ? this.input.values.secrets : this.input.values.configMaps).get(objectName)
        : undefined;
      if (!data) {
        if (source?.optional) return { name: volume.name, emptyDir: {} };
        throw this.missing(
          `${path}.${fromSecret ? 'secret' : 'configMap'}`,
          `${fromSecret ? 'Secret' : 'ConfigMap'} "${objectName ?? ''}" not found or not readable`,
        );
      }
      const files: Record<string, string> = {};
      const items = source?.items?.length
        ? source.items
        : Object.keys(data).map((key) => ({ key, path: key }));
      items.forEach((item, j) => {
        const value = data[item.key];
        if (value === undefined) {
          if (source?.optional) return;
          throw this.missing(
            `${path}.${fromSecret ? 'secret' : 'configMap'}.items[${j}]`,
            `key "${item.key}" not found`,
          );
        }
        const encoded = Buffer.from(value, 'utf8').toString('base64');
        if (fromSecret) {
          this.secrets.add(value);
          this.secrets.add(encoded);
        }
        files[item.path] = encoded;
      });
      // ACI has no ConfigMap volume; its read-only "secret" volume carries the files either way.
      return { name: volume.name, secret: files };
    });
  }

  registryCredentials(spec: V1PodSpec, images: string[]): ImageRegistryCredential[] | undefined {
    const credentials = new Map<string, ImageRegistryCredential>();
    const identity = this.input.options.registryIdentity;
    if (identity) {
      for (const image of images) {
        const server = registryOf(image);
        if (identity.servers.includes(server))
          credentials.set(server, { server, identity: identity.resourceId });
      }
    }
    for (const ref of spec.imagePullSecrets ?? []) {
      const data = ref.name ? this.input.values.secrets.get(ref.name) : undefined;
      // Kubernetes tolerates a missing pull secret (the pull may not need it); so does Spillway.
      if (!data) continue;
      for (const credential of parseDockerConfig(data)) {
        if (credentials.has(credential.server)) continue;
        if (credential.password) this.secrets.add(credential.password);
        credentials.set(credential.server, credential);
      }
    }
    return credentials.size ? [...credentials.values()] : undefined;
  }
}

/** `$(VAR)` expansion with Kubernetes semantics: `$$` escapes, undefined references stay as written. */
export function expand(text: string, vars: Map<string, EnvEntry>): { text: string; usedSecret: boolean } {
  let usedSecret = false;
  const out = text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const entry = name === undefined ? undefined : vars.get(name);
    if (!entry) return match;
    if (entry.secret) usedSecret = true;
    return entry.value;
  });
  return { text: out, usedSecret };
}

/** The registry host of an image reference (docker.io when the first segment is not a host). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'))
    return first.toLowerCase();
  return 'docker.io';
}

/** Credentials from a kubernetes.io/dockerconfigjson (or legacy dockercfg) Secret. */
export function parseDockerConfig(data: Record<string, string>): ImageRegistryCredential[] {
  const text = data['.dockerconfigjson'] ?? data['.dockercfg'];
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const root = parsed as { auths?: Record<string, unknown> } & Record<string, unknown>;
  const auths = (data['.dockerconfigjson'] ? root.auths : root) ?? {};
  const out: ImageRegistryCredential[] = [];
  for (const [rawServer, entry] of Object.entries(auths)) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as { username?: string; password?: string; auth?: string };
    let username = e.username;
    let password = e.password;
    if ((!username || !password) && e.auth) {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      if (at > 0) {
        username = decoded.slice(0, at);
        password = decoded.slice(at + 1);
      }
    }
    if (!username || !password) continue;
    const server = rawServer
      .replace(/^https?:\/\//, '')
      .replace(/\/.*$/, '')
      .toLowerCase();
    out.push({ server: server === 'index.docker.io' ? 'docker.io' : server, username, password });
  }
  return out;
}

/** Why a Spot group cannot be created as specified (undefined when it can). */
export function spotRestriction(
  resources: Resources,
  subnetId: string | undefined,
  os: 'Linux' | 'Windows',
): string | undefined {
  if (subnetId) return 'Spot container groups cannot join a virtual network (subnetId is set)';
  if (os !== 'Linux') return 'Spot container groups run Linux only';
  if (resources.cpu > ACI_SPOT_MAX_GROUP.cpu || resources.memoryGiB > ACI_SPOT_MAX_GROUP.memoryGB)
    return `Spot container groups are limited to ${ACI_SPOT_MAX_GROUP.cpu} vCPU / ${ACI_SPOT_MAX_GROUP.memoryGB} GB, the group needs ${resources.cpu} vCPU / ${resources.memoryGiB} GB`;
  return undefined;
}

/** The operating system the group will run. */
export function templateOs(template: V1PodTemplateSpec): 'Linux' | 'Windows' {
  const os = template.spec ? osOf(template.spec) : 'Linux';
  return os === 'Windows' ? 'Windows' : 'Linux';
}

/**
 * Builds the container group body. Throws {@link InvalidSpecError} (with the field path) when the
 * template is not burstable or the request cannot be honoured, and {@link ValueResolutionError} when a
 * required Secret/ConfigMap value is missing. Neither message contains a value.
 */
export function buildContainerGroup(input: BuildInput): BuiltGroup {
  const { template, options } = input;
  const b = new Builder(input);
  const check = checkBurstable(template, options);
  if (!check.ok) throw b.invalid(`the pod template is not burstable: ${check.reasons.join('; ')}`);
  const spec = template.spec!;
  const os = templateOs(template);
  if (os === 'Windows' && input.subnetId)
    throw b.invalid('Windows container groups cannot join a virtual network');

  const containers: Container[] = spec.containers.map((c, i) => {
    const path = `spec.containers[${i}]`;
    const vars = b.env(c, path);
    const r = containerResources(c, options);
    const command = b.command(c, vars, path);
    const env = b.environmentVariables(vars);
    const ports = c.ports?.map((p) => ({
      port: p.containerPort,
      protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
    }));
    const liveness = b.probe(c.livenessProbe, c);
    const readiness = b.probe(c.readinessProbe, c);
    const mounts = b.volumeMounts(c);
    return {
      name: c.name,
      image: c.image!,
      ...(command ? { command } : {}),
      ...(ports?.length ? { ports } : {}),
      ...(env.length ? { environmentVariables: env } : {}),
      resources: {
        requests: { cpu: r.cpu, memoryInGB: r.memoryGB },
        ...(r.limits
          ? {
              limits: {
                ...(r.limits.cpu === undefined ? {} : { cpu: r.limits.cpu }),
                ...(r.limits.memoryGB === undefined ? {} : { memoryInGB: r.limits.memoryGB }),
              },
            }
          : {}),
      },
      ...(mounts ? { volumeMounts: mounts } : {}),
      ...(liveness ? { livenessProbe: liveness } : {}),
      ...(readiness ? { readinessProbe: readiness } : {}),
    };
  });

  const initContainers: InitContainerDefinition[] | undefined = spec.initContainers?.map((c, i) => {
    const path = `spec.initContainers[${i}]`;
    const vars = b.env(c, path);
    const command = b.command(c, vars, path);
    const env = b.environmentVariables(vars);
    const mounts = b.volumeMounts(c);
    return {
      name: c.name,
      image: c.image!,
      ...(command ? { command } : {}),
      ...(env.length ? { environmentVariables: env } : {}),
      ...(mounts ? { volumeMounts: mounts } : {}),
    };
  });

  const volumes = b.volumes(spec);
  const images = [...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.image!);
  const credentials = b.registryCredentials(spec, images);

  const group: ContainerGroup = {
    location: input.region,
    tags: input.tags,
    containers,
    osType: os,
    restartPolicy: spec.restartPolicy ?? 'Always',
    sku: 'Standard',
    priority: input.priority,
  };
  if (initContainers?.length) group.initContainers = initContainers;
  if (volumes) group.volumes = volumes;
  if (credentials) group.imageRegistryCredentials = credentials;
  if (credentials?.some((c) => c.identity) && options.registryIdentity) {
    group.identity = {
      type: 'UserAssigned',
      userAssignedIdentities: { [options.registryIdentity.resourceId]: {} },
    };
  }
  const zone = options.zones[input.region];
  if (zone) group.zones = [zone];

  if (input.subnetId) {
    group.subnetIds = [{ id: input.subnetId }];
    const ports = uniquePorts(containers);
    if (ports.length > MAX_PORTS_PER_IP)
      throw b.invalid(
        `spec.containers[*].ports: ACI exposes at most ${MAX_PORTS_PER_IP} ports per IP address, the template declares ${ports.length}`,
      );
    if (ports.length > 0) group.ipAddress = { type: 'Private', ports };
  }
  const dns = dnsConfig(spec, input);
  if (dns) group.dnsConfig = dns;

  let cpu = 0;
  let memoryGiB = 0;
  for (const c of containers) {
    cpu += c.resources.requests.cpu;
    memoryGiB += c.resources.requests.memoryInGB;
  }
  return {
    group,
    secrets: [...b.secrets].filter((s) => s.length > 0),
    resources: { cpu: Number(cpu.toFixed(2)), memoryGiB: Number(memoryGiB.toFixed(1)) },
  };
}

function uniquePorts(containers: Container[]): Port[] {
  const seen = new Map<string, Port>();
  for (const c of containers)
    for (const p of c.ports ?? [])
      seen.set(`${p.protocol ?? 'TCP'}/${p.port}`, { port: p.port, protocol: p.protocol ?? 'TCP' });
  return [...seen.values()];
}

function dnsConfig(spec: V1PodSpec, input: BuildInput): ContainerGroup['dnsConfig'] {
  const own = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && own?.nameservers?.length) {
    return {
      nameServers: own.nameservers,
      ...(own.searches?.length ? { searchDomains: own.searches.join(' ') } : {}),
      ...(own.options?.length
        ? {
            options: own.options
              .map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`))
              .join(' '),
          }
        : {}),
    };
  }
  const cluster = input.options.clusterDns;
  if (!input.subnetId || !cluster || spec.dnsPolicy === 'Default') return undefined;
  const domain = cluster.clusterDomain;
  const searches = [`${input.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...(own?.searches ?? [])];
  const options = [
    'ndots:5',
    ...(own?.options ?? []).map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`)),
  ];
  return {
    nameServers: [cluster.nameServer, ...(own?.nameservers ?? [])],
    searchDomains: searches.join(' '),
    options: options.join(' '),
  };
}
