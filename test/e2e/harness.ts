/**
 * End-to-end harness: a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) on loopback ports in a temporary folder, with nodes and pod lifecycles simulated by KWOK.
 *
 * ```ts
 * const cluster = await ControlPlane.start({ nodes: { count: 3, cpu: '4', memory: '16Gi' } });
 * try {
 *   await cluster.apply(['deploy/crds', 'deploy/rbac']);
 *   const spillway = await cluster.serviceAccountKubeConfig('spillway-system', 'spillway');
 *   // ... run Spillway in-process with `spillway.kubeConfig`, drive it with `cluster.kubectl(...)`.
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 *
 * The binaries come from scripts/e2e-binaries.sh (see docs/e2e.md).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { locateBinaries, repoRoot, type E2eBinaries } from './lib/binaries.ts';
import { HarnessError } from './lib/errors.ts';
import { ClusterPki, type KeyPair } from './lib/pki.ts';
import { ManagedProcess, ownTemporaryDir, waitUntil } from './lib/processes.ts';

export { ComponentError, HarnessError } from './lib/errors.ts';
export { locateBinaries, repoRoot, type E2eBinaries } from './lib/binaries.ts';
export { ManagedProcess, waitUntil } from './lib/processes.ts';

const run = promisify(execFile);

/** The annotation KWOK is told to look for: nodes carrying it are simulated by KWOK. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/**
 * A pod annotation (KWOK's own name for it, from its "general" stages) that delays the pod's becoming
 * Running and Ready after it is bound to a node, e.g. `'8s'` — a container that takes time to start.
 * Pods without it are Ready at once.
 */
export const KWOK_POD_READY_DELAY_ANNOTATION = 'pod-ready.stage.kwok.x-k8s.io/delay';
/** The label every node created by the harness carries (`type=kwok`). */
export const KWOK_NODE_LABEL = { key: 'type', value: 'kwok' } as const;

/** The size and identity of simulated nodes to add. */
export interface NodePool {
  /** How many nodes to add. */
  readonly count: number;
  /** CPU capacity (a Kubernetes quantity, e.g. `'4'` or `'3500m'`). Allocatable equals capacity. */
  readonly cpu: string;
  /** Memory capacity (a Kubernetes quantity, e.g. `'16Gi'`). */
  readonly memory: string;
  /** Pod capacity. @default 110 */
  readonly pods?: number;
  /** Node names are `<namePrefix>-<n>`, numbered across calls. @default 'kwok-node' */
  readonly namePrefix?: string;
  /** Extra node labels (added to `type=kwok`, `kubernetes.io/hostname`, os/arch). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Options for {@link ControlPlane.start}. */
export interface ControlPlaneOptions {
  /** Simulated nodes to add once the control plane is up. @default none */
  readonly nodes?: NodePool;
  /** Binaries to run. @default from {@link locateBinaries} */
  readonly binaries?: E2eBinaries;
  /** Keep the temporary folder (logs, certificates, etcd data) after stop(). @default `SPILLWAY_E2E_KEEP=1` */
  readonly keepDir?: boolean;
  /** How long each component may take to become healthy. @default 120000 */
  readonly startTimeoutMs?: number;
  /** Progress lines (component started, ready, ...). @default silent */
  readonly log?: (line: string) => void;
  /**
   * Extra command-line flags per component, after the harness's own (e.g. a higher `--kube-api-qps` for
   * the controller manager and the scheduler when a benchmark creates thousands of pods). @default none
   */
  readonly extraArgs?: Readonly<Partial<Record<ComponentName, readonly string[]>>>;
}

/** The components {@link ControlPlane.start} runs. */
export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** A kubeconfig for one identity: the file, the parsed config, and the bearer token when there is one. */
export interface IdentityKubeConfig {
  readonly path: string;
  readonly kubeConfig: KubeConfig;
  readonly token?: string;
}

/** One API server audit event (audit.k8s.io/v1 Event, Metadata level), as far as tests read it. */
export interface AuditEvent {
  /** Unique per request; a watch is logged twice (ResponseStarted, ResponseComplete) with one auditID. */
  readonly auditID?: string;
  readonly stage?: string;
  readonly verb: string;
  readonly requestURI: string;
  /**
   * Who: for ServiceAccount tokens `extra` holds `authentication.kubernetes.io/credential-id` (`JTI=<id>`),
   * which tells apart two processes running as the same ServiceAccount with different tokens.
   */
  readonly user: {
    readonly username: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
  readonly userAgent?: string;
  /** RFC 3339 with microseconds. */
  readonly requestReceivedTimestamp?: string;
  readonly stageTimestamp?: string;
  readonly objectRef?: {
    readonly resource?: string;
    readonly subresource?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly apiGroup?: string;
  };
  readonly responseStatus?: { readonly code?: number; readonly reason?: string };
  readonly annotations?: Readonly<Record<string, string>>;
}

interface TlsMaterial {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

const LOOPBACK = '127.0.0.1';
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The admin identity: a client certificate in system:masters. */
const ADMIN_USER = 'spillway-e2e-admin';
/** KWOK's identity (also in system:masters); excluded from the audit log like the other components. */
const KWOK_USER = 'kwok';

/**
 * A running control plane. Start it with {@link ControlPlane.start}; always {@link ControlPlane.stop} it
 * (it also stops itself, with SIGKILL, if the test process exits first).
 */
export class ControlPlane {
  /** The temporary folder holding certificates, kubeconfigs, logs (`logs/`) and etcd's data. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** The admin kubeconfig (system:masters). */
  readonly adminKubeconfigPath: string;
  /** The cluster CA certificate (PEM file). */
  readonly caPath: string;
  readonly binaries: E2eBinaries;
  private readonly processes: ManagedProcess[];
  private readonly pki: ClusterPki;
  private readonly keepDir: boolean;
  private readonly log: (line: string) => void;
  private readonly nodeCounters = new Map<string, number>();
  private adminConfig: KubeConfig | undefined;
  private stopped = false;

  private constructor(init: {
    dir: string;
    server: string;
    adminKubeconfigPath: string;
    pki: ClusterPki;
    binaries: E2eBinaries;
    processes: ManagedProcess[];
    keepDir: boolean;
    log: (line: string) => void;
  }) {
    this.dir = init.dir;
    this.server = init.server;
    this.adminKubeconfigPath = init.adminKubeconfigPath;
    this.caPath = init.pki.ca.cert;
    this.pki = init.pki;
    this.binaries = init.binaries;
    this.processes = init.processes;
    this.keepDir = init.keepDir;
    this.log = init.log;
  }

  /**
   * Starts etcd, kube-apiserver (RBAC on), kube-controller-manager, kube-scheduler and KWOK, each on a
   * free loopback port, and adds `options.nodes`. Resolves once the nodes are Ready and the `default`
   * ServiceAccount exists. On failure it stops whatever it started and throws a {@link ComponentError}
   * with the failing component's log tail.
   */
  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const binaries = options.binaries ?? (await locateBinaries());
    const log = options.log ?? (() => undefined);
    const extra = (component: ComponentName): readonly string[] => options.extraArgs?.[component] ?? [];
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const keepDir = options.keepDir ?? process.env.SPILLWAY_E2E_KEEP === '1';
    const dir = await mkdtemp(join(tmpdir(), 'spillway-e2e-'));
    if (!keepDir) ownTemporaryDir(dir);
    const processes: ManagedProcess[] = [];
    const stopAll = async (): Promise<void> => {
      for (const p of [...processes].reverse()) await p.stop();
    };
    try {
      const logs = join(dir, 'logs');
      await mkdir(logs);
      const pki = await ClusterPki.create(join(dir, 'pki'));
      const ports = await freePorts(7);
      const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort, kwokPort] = ports as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const server = `https://${LOOPBACK}:${apiPort}`;

      // Certificates: one CA for serving and client authentication.
      const serving = (name: string): Promise<KeyPair> =>
        pki.issue({
          name,
          commonName: name,
          use: {
            kind: 'server',
            ips: [LOOPBACK, '10.96.0.1'],
            dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
          },
        });
      const client = (name: string, user: string, groups: string[] = []): Promise<KeyPair> =>
        pki.issue({ name, commonName: user, organizations: groups, use: { kind: 'client' } });
      const apiserverServing = await serving('kube-apiserver');
      const kcmServing = await serving('kube-controller-manager-serving');
      const schedulerServing = await serving('kube-scheduler-serving');
      const adminCert = await client('admin', ADMIN_USER, ['system:masters']);
      const kcmCert = await client('kube-controller-manager', 'system:kube-controller-manager');
      const schedulerCert = await client('kube-scheduler', 'system:kube-scheduler');
      const kwokCert = await client('kwok', KWOK_USER, ['system:masters']);
      const sa = await pki.serviceAccountKeys();

      const kubeconfig = async (name: string, pair: KeyPair): Promise<string> => {
        const path = join(dir, `${name}.kubeconfig`);
        await writeFile(path, clientCertKubeconfig(server, pki.ca.cert, name, pair));
        return path;
      };
      const adminKubeconfigPath = await kubeconfig('admin', adminCert);
      const kcmKubeconfig = await kubeconfig('kube-controller-manager', kcmCert);
      const schedulerKubeconfig = await kubeconfig('kube-scheduler', schedulerCert);
      const kwokKubeconfig = await kubeconfig('kwok', kwokCert);
      const auditPolicy = join(dir, 'audit-policy.yaml');
      await writeFile(auditPolicy, toYaml(auditPolicyDocument()));

      // etcd
      const etcd = await ManagedProcess.start(
        'etcd',
        binaries.etcd,
        [
          '--name=e2e',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=http://${LOOPBACK}:${etcdClient}`,
          `--advertise-client-urls=http://${LOOPBACK}:${etcdClient}`,
          `--listen-peer-urls=http://${LOOPBACK}:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://${LOOPBACK}:${etcdPeer}`,
          `--initial-cluster=e2e=http://${LOOPBACK}:${etcdPeer}`,
          '--unsafe-no-fsync', // a throw-away cluster: durability is not worth the disk waits
          '--log-level=warn',
          ...extra('etcd'),
        ],
        join(logs, 'etcd.log'),
      );
      processes.push(etcd);
      log(`etcd started (client port ${etcdClient})`);
      await waitUntil(
        'etcd /health',
        async () => {
          const response = await fetch(`http://${LOOPBACK}:${etcdClient}/health`);
          const body = (await response.json()) as { health?: string };
          return body.health === 'true' ? true : undefined;
        },
        { timeoutMs, process: etcd },
      );
      log('etcd healthy');

      // kube-apiserver
      const apiserver = await ManagedProcess.start(
        'kube-apiserver',
        binaries.kubeApiserver,
        [
          `--etcd-servers=http://${LOOPBACK}:${etcdClient}`,
          `--bind-address=${LOOPBACK}`,
          `--advertise-address=${LOOPBACK}`,
          `--secure-port=${apiPort}`,
          // Endpoints may not hold loopback addresses, so the `kubernetes` Service gets none here.
          '--endpoint-reconciler-type=none',
          `--cert-dir=${join(dir, 'kube-apiserver')}`,
          `--tls-cert-file=${apiserverServing.cert}`,
          `--tls-private-key-file=${apiserverServing.key}`,
          `--client-ca-file=${pki.ca.cert}`,
          '--authorization-mode=Node,RBAC',
          `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
          `--service-account-key-file=${sa.publicKey}`,
          `--service-account-signing-key-file=${sa.privateKey}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          '--allow-privileged=true',
          '--profiling=false',
          `--audit-policy-file=${auditPolicy}`,
          `--audit-log-path=${join(logs, 'audit.log')}`,
          '--audit-log-format=json',
          ...extra('kube-apiserver'),
        ],
        join(logs, 'kube-apiserver.log'),
      );
      processes.push(apiserver);
      log(`kube-apiserver started (${server})`);
      const adminTls: TlsMaterial = { ca: pki.ca.cert, cert: adminCert.cert, key: adminCert.key };
      await waitUntil(
        'kube-apiserver /readyz',
        async () => ((await httpsGet(`${server}/readyz`, adminTls)).status === 200 ? true : undefined),
        { timeoutMs, intervalMs: 500, process: apiserver },
      );
      log('kube-apiserver ready');

      // kube-controller-manager and kube-scheduler, each with its own identity and serving certificate.
      const componentArgs = (kubeconfigPath: string, port: number, pair: KeyPair): string[] => [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        `--bind-address=${LOOPBACK}`,
        `--secure-port=${port}`,
        `--tls-cert-file=${pair.cert}`,
        `--tls-private-key-file=${pair.key}`,
        '--leader-elect=false',
      ];
      const kcm = await ManagedProcess.start(
        'kube-controller-manager',
        binaries.kubeControllerManager,
        [
          ...componentArgs(kcmKubeconfig, kcmPort, kcmServing),
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${sa.privateKey}`,
          `--root-ca-file=${pki.ca.cert}`,
          `--cluster-signing-cert-file=${pki.ca.cert}`,
          `--cluster-signing-key-file=${pki.ca.key}`,
          '--controllers=*',
          ...extra('kube-controller-manager'),
        ],
        join(logs, 'kube-controller-manager.log'),
      );
      processes.push(kcm);
      const scheduler = await ManagedProcess.start(
        'kube-scheduler',
        binaries.kubeScheduler,
        [...componentArgs(schedulerKubeconfig, schedulerPort, schedulerServing), ...extra('kube-scheduler')],
        join(logs, 'kube-scheduler.log'),
      );
      processes.push(scheduler);
      for (const [component, port] of [
        [kcm, kcmPort],
        [scheduler, schedulerPort],
      ] as const) {
        await waitUntil(
          `${component.name} /healthz`,
          async () =>
            (await httpsGet(`https://${LOOPBACK}:${port}/healthz`, { ca: pki.ca.cert })).status === 200
              ? true
              : undefined,
          { timeoutMs, intervalMs: 500, process: component },
        );
        log(`${component.name} healthy`);
      }

      // KWOK: simulates the nodes annotated kwok.x-k8s.io/node=fake and the pods bound to them, with its
      // stock "fast" stages: nodes Ready at once and kept alive by leases, pods Running and Ready at once,
      // deletions completed. An explicit --config keeps any ~/.kwok/kwok.yaml out of the run.
      const kwokConfig = join(dir, 'kwok.yaml');
      const stages = await Promise.all(binaries.kwokStages.map((file) => readFile(file, 'utf8')));
      await writeFile(kwokConfig, stages.map((s) => withReadyDelay(s).trim()).join('\n---\n') + '\n');
      const kwok = await ManagedProcess.start(
        'kwok',
        binaries.kwok,
        [
          `--config=${kwokConfig}`,
          `--kubeconfig=${kwokKubeconfig}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
          '--manage-nodes-with-label-selector=',
          '--manage-single-node=',
          '--cidr=10.244.0.0/16',
          '--node-ip=10.0.0.1',
          '--node-lease-duration-seconds=40',
          `--server-address=${LOOPBACK}:${kwokPort}`,
          ...extra('kwok'),
        ],
        join(logs, 'kwok.log'),
      );
      processes.push(kwok);
      await waitUntil(
        'kwok /healthz',
        async () => {
          const response = await fetch(`http://${LOOPBACK}:${kwokPort}/healthz`);
          return response.ok ? true : undefined;
        },
        { timeoutMs, intervalMs: 500, process: kwok },
      );
      log('kwok healthy');

      const cluster = new ControlPlane({
        dir,
        server,
        adminKubeconfigPath,
        pki,
        binaries,
        processes,
        keepDir,
        log,
      });
      if (options.nodes) await cluster.addNodes(options.nodes, timeoutMs);
      // The ServiceAccount admission plugin rejects pods until the controller manager made `default`.
      const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
      await waitUntil(
        'the default ServiceAccount in namespace default',
        async () =>
          (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }))
            ? true
            : undefined,
        { timeoutMs, intervalMs: 500, process: kcm },
      );
      log('control plane ready');
      return cluster;
    } catch (error) {
      await stopAll();
      if (!keepDir) {
        await rm(dir, { recursive: true, force: true });
        ownTemporaryDir(dir, false);
      }
      throw error;
    }
  }

  /** A client configuration for the admin identity (system:masters). */
  kubeConfig(): KubeConfig {
    if (!this.adminConfig) {
      const config = new KubeConfig();
      config.loadFromFile(this.adminKubeconfigPath);
      this.adminConfig = config;
    }
    return this.adminConfig;
  }

  /** The component processes, in start order (etcd, kube-apiserver, controller manager, scheduler, kwok). */
  get components(): readonly ManagedProcess[] {
    return this.processes;
  }

  /**
   * Runs the built kubectl against this cluster (admin identity unless `kubeconfig` is given) and returns
   * its stdout. Throws a {@link HarnessError} carrying kubectl's stderr when it exits non-zero.
   */
  async kubectl(
    args: readonly string[],
    options: { input?: string; kubeconfig?: string } = {},
  ): Promise<string> {
    const kubeconfig = options.kubeconfig ?? this.adminKubeconfigPath;
    const child = run(this.binaries.kubectl, [`--kubeconfig=${kubeconfig}`, ...args], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (options.input !== undefined) {
      child.child.stdin?.end(options.input);
    }
    try {
      return (await child).stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new HarnessError(`kubectl ${args.join(' ')}: ${stderr.trim() || String(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Applies manifests with `kubectl apply --server-side`: files or folders (relative to the repository
   * root, or absolute; a folder with a kustomization.yaml is applied with `-k`, any other recursively) or,
   * with `{ yaml }`, YAML documents. Namespaced objects without a namespace go to `options.namespace`
   * (default: `default`). Waits for applied CRDs to be Established. Returns the applied objects' names
   * (`kind.group/name`, one a line).
   */
  async apply(
    source: string | readonly string[] | { readonly yaml: string },
    options: { readonly namespace?: string } = {},
  ): Promise<string> {
    const base = ['apply', '--server-side', '--field-manager=spillway-e2e', '-o', 'name'];
    if (options.namespace) base.push(`--namespace=${options.namespace}`);
    const outputs: string[] = [];
    if (typeof source === 'object' && 'yaml' in source) {
      outputs.push(await this.kubectl([...base, '-f', '-'], { input: source.yaml }));
    } else {
      for (const path of typeof source === 'string' ? [source] : source) {
        const absolute = isAbsolute(path) ? path : join(repoRoot, path);
        const kustomized = existsSync(join(absolute, 'kustomization.yaml'));
        const args = kustomized ? ['-k', absolute] : ['--recursive', '-f', absolute];
        outputs.push(await this.kubectl([...base, ...args]));
      }
    }
    const output = outputs.join('');
    const crds = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('customresourcedefinition.apiextensions.k8s.io/'));
    if (crds.length > 0)
      await this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
    return output;
  }

  /**
   * Adds `pool.count` KWOK nodes of the given size and waits until they are Ready. Returns their names.
   */
  async addNodes(pool: NodePool, timeoutMs = 120_000): Promise<string[]> {
    const prefix = pool.namePrefix ?? 'kwok-node';
    const first = this.nodeCounters.get(prefix) ?? 0;
    this.nodeCounters.set(prefix, first + pool.count);
    const names = Array.from({ length: pool.count }, (_, i) => `${prefix}-${first + i}`);
    const documents = names.map((name) => toYaml(kwokNode(name, pool))).join('---\n');
    // Created (not applied) so that the status with the node's capacity is stored with it.
    await this.kubectl(['create', '-f', '-'], { input: documents });
    const core = this.kubeConfig().makeApiClient(CoreV1Api);
    const wanted = new Set(names);
    // Ready, and rid of the node.kubernetes.io/not-ready taint the API server puts on a new node: the node
    // lifecycle controller lifts it a moment after Ready, and until then the scheduler refuses the node
    // ("untolerated taint") instead of weighing its capacity.
    const schedulable = (n: V1Node): boolean =>
      isNodeReady(n) && !(n.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/'));
    await waitUntil(
      `${names.length} KWOK node(s) ${prefix}-${first}… to be Ready and untainted`,
      async () => {
        const list = await core.listNode({
          labelSelector: `${KWOK_NODE_LABEL.key}=${KWOK_NODE_LABEL.value}`,
        });
        const ready = list.items.filter((n) => wanted.has(n.metadata?.name ?? '') && schedulable(n));
        return ready.length === wanted.size ? true : undefined;
      },
      { timeoutMs, intervalMs: 500, process: this.processes.find((p) => p.name === 'kwok') },
    );
    this.log(`nodes Ready: ${names.join(', ')}`);
    return names;
  }

  /** Mints a token for a ServiceAccount with the TokenRequest API (`kubectl create token`). */
  async serviceAccountToken(namespace: string, name: string, durationSeconds = 3600): Promise<string> {
    const token = await this.kubectl([
      'create',
      'token',
      name,
      '-n',
      namespace,
      `--duration=${durationSeconds}s`,
    ]);
    return token.trim();
  }

  /**
   * A kubeconfig that authenticates as the ServiceAccount `namespace/name` with a fresh token, so code
   * under test runs with exactly the permissions RBAC grants that account. The account must exist.
   */
  async serviceAccountKubeConfig(
    namespace: string,
    name: string,
    durationSeconds = 3600,
  ): Promise<IdentityKubeConfig & { token: string }> {
    const token = await this.serviceAccountToken(namespace, name, durationSeconds);
    const user = `system:serviceaccount:${namespace}:${name}`;
    const path = join(this.dir, `sa-${namespace}-${name}.kubeconfig`);
    await writeFile(
      path,
      toYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'e2e', cluster: { server: this.server, 'certificate-authority': this.pki.ca.cert } },
        ],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: user, context: { cluster: 'e2e', user, namespace } }],
        'current-context': user,
      }),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path);
    return { path, kubeConfig, token };
  }

  /**
   * Audit events recorded so far (Metadata level) for requests by anyone other than the control-plane
   * components and KWOK: the admin, and ServiceAccounts outside kube-system. Filter by `user.username`.
   */
  async auditEvents(): Promise<AuditEvent[]> {
    const text = await readFile(join(this.dir, 'logs', 'audit.log'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditEvent);
  }

  /**
   * Stops every component (KWOK first, etcd last; SIGTERM, then SIGKILL) and removes the temporary folder
   * unless asked to keep it. Safe to call more than once.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of [...this.processes].reverse()) await p.stop();
    if (this.keepDir) {
      this.log(`kept ${this.dir}`);
    } else {
      await rm(this.dir, { recursive: true, force: true });
      ownTemporaryDir(this.dir, false);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * KWOK's stock "fast" pod-ready stage with a delay read from {@link KWOK_POD_READY_DELAY_ANNOTATION}
 * (none when the annotation is absent); other stages unchanged.
 */
function withReadyDelay(stageYaml: string): string {
  const stage = parseYaml(stageYaml) as { metadata?: { name?: string }; spec?: Record<string, unknown> };
  if (stage.metadata?.name !== 'pod-ready' || !stage.spec) return stageYaml;
  stage.spec.delay = {
    durationMilliseconds: 0,
    durationFrom: { expressionFrom: `.metadata.annotations["${KWOK_POD_READY_DELAY_ANNOTATION}"]` },
  };
  return toYaml(stage);
}

function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A Node object KWOK will manage, with capacity = allocatable of the given size. */
function kwokNode(name: string, pool: NodePool): Record<string, unknown> {
  const resources = { cpu: pool.cpu, memory: pool.memory, pods: String(pool.pods ?? 110) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        ...pool.labels,
        [KWOK_NODE_LABEL.key]: KWOK_NODE_LABEL.value,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
    },
    spec: {},
    status: { capacity: resources, allocatable: resources },
  };
}

function clientCertKubeconfig(server: string, ca: string, user: string, pair: KeyPair): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': ca } }],
    users: [{ name: user, user: { 'client-certificate': pair.cert, 'client-key': pair.key } }],
    contexts: [{ name: user, context: { cluster: 'e2e', user } }],
    'current-context': user,
  });
}

/** Records who did what (Metadata level), leaving out the control plane's own traffic and health probes. */
function auditPolicyDocument(): Record<string, unknown> {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      {
        level: 'None',
        users: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver', KWOK_USER],
      },
      { level: 'None', userGroups: ['system:nodes', 'system:serviceaccounts:kube-system'] },
      { level: 'None', nonResourceURLs: ['/healthz*', '/readyz*', '/livez*', '/version'] },
      { level: 'Metadata' },
    ],
  };
}

/** Reserves `count` distinct free loopback ports (bound together, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new HarnessError('cannot read a free port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** GET over TLS with the cluster CA (and a client certificate, when given). */
async function httpsGet(url: string, tls: TlsMaterial): Promise<{ status: number; body: string }> {
  const [ca, cert, key] = await Promise.all([
    readFile(tls.ca),
    tls.cert ? readFile(tls.cert) : undefined,
    tls.key ? readFile(tls.key) : undefined,
  ]);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'GET', ca, cert, key, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
