/**
 * Test harness: the fake API server loaded with recorded-shape fixtures, a KubeConfig pointing at it,
 * a manual clock, and a log that records lines.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../src/ports.ts';
import { FakeApiServer } from './fake-api-server.ts';

/** The instant the fixtures were "recorded". */
export const NOW = Date.parse('2026-11-02T10:00:00Z');
export const TOKEN = 'test-token-not-a-secret';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

interface ListFixture {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
  items: { metadata: { name: string; namespace?: string; resourceVersion?: string } }[];
}

/**
 * A clock whose time moves only when told. Sleeps are recorded and advance the clock; they resolve on
 * the next turn, or, while `hold` is set, when `release()` is called.
 */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  hold = false;
  readonly #held: (() => void)[] = [];
  #now: number;
  constructor(now: number) {
    this.#now = now;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  /** Lets held sleeps finish. */
  release(): void {
    for (const wake of this.#held.splice(0)) setImmediate(wake);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const aborted = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      const wake = () => {
        signal?.removeEventListener('abort', aborted);
        this.#now += ms;
        resolve();
      };
      if (this.hold) this.#held.push(wake);
      else setImmediate(wake);
    });
  }
}

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** One collection served from a mutable item list, with a resourceVersion that moves on every change. */
export class Collection {
  items: ListFixture['items'];
  resourceVersion: number;
  constructor(list: ListFixture) {
    this.items = list.items;
    this.resourceVersion = Number(list.metadata.resourceVersion);
  }
  /** Replaces or adds an object, stamping a new resourceVersion; returns the stored copy. */
  upsert<T extends { metadata: { name: string; namespace?: string; resourceVersion?: string } }>(
    object: T,
  ): T {
    this.resourceVersion += 1;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(this.resourceVersion);
    const i = this.items.findIndex(
      (o) => o.metadata.name === stored.metadata.name && o.metadata.namespace === stored.metadata.namespace,
    );
    if (i >= 0) this.items[i] = stored;
    else this.items.push(stored);
    return stored;
  }
  remove(name: string, namespace?: string): void {
    this.resourceVersion += 1;
    this.items = this.items.filter((o) => !(o.metadata.name === name && o.metadata.namespace === namespace));
  }
  find<T>(name: string, namespace?: string): T {
    const found = this.items.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
    if (!found) throw new Error(`fixture ${namespace ?? ''}/${name} not found`);
    return structuredClone(found) as T;
  }
}

export const PATHS = {
  scalers: '/apis/spillway.io/v1alpha1/burstscalers',
  deployments: '/apis/apps/v1/deployments',
  slices: '/apis/discovery.k8s.io/v1/endpointslices',
  pods: '/api/v1/pods',
  nodes: '/api/v1/nodes',
} as const;

export interface Harness {
  server: FakeApiServer;
  kubeConfig: KubeConfig;
  clock: ManualClock;
  logs: LogLine[];
  log: (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
  collections: Record<keyof typeof PATHS, Collection>;
}

/** Starts the fake API server with every collection the cluster adapter watches (all namespaces). */
export async function startHarness(): Promise<Harness> {
  const server = new FakeApiServer();
  await server.start();
  const collections = {
    scalers: new Collection(fixture<ListFixture>('burstscalers.json')),
    deployments: new Collection(fixture<ListFixture>('deployments.json')),
    slices: new Collection({
      kind: 'EndpointSliceList',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { resourceVersion: '48218' },
      items: [],
    }),
    pods: new Collection(fixture<ListFixture>('pods.json')),
    nodes: new Collection(fixture<ListFixture>('nodes.json')),
  };
  const kinds: Record<keyof typeof PATHS, [string, string]> = {
    scalers: ['BurstScalerList', 'spillway.io/v1alpha1'],
    deployments: ['DeploymentList', 'apps/v1'],
    slices: ['EndpointSliceList', 'discovery.k8s.io/v1'],
    pods: ['PodList', 'v1'],
    nodes: ['NodeList', 'v1'],
  };
  for (const key of Object.keys(PATHS) as (keyof typeof PATHS)[]) {
    const collection = collections[key];
    server.list(
      PATHS[key],
      kinds[key][0],
      kinds[key][1],
      () => structuredClone(collection.items),
      () => String(collection.resourceVersion),
    );
  }
  server.route('GET', '/api/v1/namespaces/kube-system', () => ({
    status: 200,
    body: fixture('namespace-kube-system.json'),
  }));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'spillway', token: TOKEN }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'spillway' }],
    currentContext: 'fake',
  });
  const logs: LogLine[] = [];
  const log: Harness['log'] = (level, message, fields) => {
    logs.push(fields === undefined ? { level, message } : { level, message, fields });
  };
  return { server, kubeConfig, clock: new ManualClock(NOW), logs, log, collections };
}

/**
 * Resolves as soon as `predicate` holds (checked every few milliseconds while I/O completes); fails
 * after `timeoutMs`. A wait for a condition, not a sleep: it returns the moment the work is done.
 */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
