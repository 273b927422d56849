/**
 * Test harness for the ACI adapter: a manual clock, the simulated ACI behind its HTTP face, and
 * providers built on the real Azure SDK pointed at it. Every test starts and stops its own face.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { AciBurstProvider, type AciProviderSettings } from '../../src/aci/provider.ts';
import type { Clock, CreateBurstRequest, ValueResolver } from '../../src/ports.ts';
import type { ScalerKey } from '../../src/core/types.ts';
import { burstGroupName } from '../../src/core/naming.ts';
import { AciModel, type AciModelOptions } from '../../src/sim/aci/model.ts';
import { simulatorCredential, startAciHttpFace, type AciHttpFace } from '../../src/sim/aci/http-face.ts';

/** A clock that moves only when told; sleepers wake when time passes their deadline. */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { until: number; resolve: () => void }[] = [];
  constructor(start = Date.parse('2026-11-02T08:00:00Z')) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const sleeper = { until: this.current + Math.max(0, ms), resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }
  advance(ms: number): void {
    this.current += ms;
    const due = this.sleepers.filter((s) => s.until <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.until > this.current);
    for (const s of due) s.resolve();
  }
}

/** Lets real I/O (HTTP to the face) happen while the manual clock advances, until `promise` settles. */
export async function drive<T>(
  promise: Promise<T>,
  clock: ManualClock,
  stepMs = 1000,
  maxSteps = 600,
): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let i = 0; i < maxSteps && !settled; i++) {
    await new Promise((r) => setTimeout(r, 3));
    if (!settled) clock.advance(stepMs);
  }
  return watched;
}

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
export const RESOURCE_GROUP = 'spillway-test';
export const CLUSTER = 'aks-test-1';

export interface Harness {
  clock: ManualClock;
  model: AciModel;
  face: AciHttpFace;
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  provider(settings?: Partial<AciProviderSettings> & { retries?: number }): AciBurstProvider;
  close(): Promise<void>;
}

/** Starts a model and its HTTP face; providers use the real SDK with fast polling and retries. */
export async function startHarness(
  modelOptions: Partial<AciModelOptions> = {},
  faceOptions: { pageSize?: number } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const model = new AciModel({
    clock,
    subscriptionId: SUBSCRIPTION,
    scheduleLatency: { kind: 'fixed', seconds: 2 },
    pullLatency: { kind: 'fixed', seconds: 10 },
    startLatency: { kind: 'fixed', seconds: 2 },
    ...modelOptions,
  });
  const face = await startAciHttpFace({ model, ...faceOptions });
  const logs: Harness['logs'] = [];
  return {
    clock,
    model,
    face,
    logs,
    provider(settings = {}) {
      const { retries, ...rest } = settings;
      return new AciBurstProvider({
        credential: simulatorCredential(),
        subscriptionId: SUBSCRIPTION,
        resourceGroup: RESOURCE_GROUP,
        endpoint: face.url,
        pollIntervalMs: 2,
        retry: { maxRetries: retries ?? 0, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
        clusterId: CLUSTER,
        clock,
        listCacheMs: 0,
        log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
        ...rest,
      });
    },
    close: () => face.close(),
  };
}

export const scaler: ScalerKey = { namespace: 'shop', name: 'orders-worker', uid: 'uid-0001' };

/** A small burstable worker template. */
export function workerTemplate(image = 'registry.example.com/shop/orders:1.4.2'): V1PodTemplateSpec {
  return {
    metadata: { labels: { app: 'orders' } },
    spec: {
      containers: [
        {
          name: 'worker',
          image,
          command: ['/app/worker'],
          args: ['--queue', 'orders'],
          env: [{ name: 'MODE', value: 'burst' }],
          resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        },
      ],
    },
  };
}

/** A resolver over fixed Secrets and ConfigMaps; records what was read. */
export function valuesFrom(
  secrets: Record<string, Record<string, string>> = {},
  configMaps: Record<string, Record<string, string>> = {},
): ValueResolver & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    secret(namespace, name) {
      reads.push(`secret/${namespace}/${name}`);
      const data = secrets[name];
      return data ? Promise.resolve(data) : Promise.reject(new Error(`secret ${name} not found`));
    },
    configMap(namespace, name) {
      reads.push(`configmap/${namespace}/${name}`);
      const data = configMaps[name];
      return data ? Promise.resolve(data) : Promise.reject(new Error(`configmap ${name} not found`));
    },
  };
}

/** A create request for replica `index` of {@link scaler}. */
export function createRequest(
  index: number,
  overrides: Partial<CreateBurstRequest> = {},
): CreateBurstRequest {
  return {
    scaler,
    name: burstGroupName(scaler, index),
    index,
    regions: ['eastus', 'eastus2'],
    priority: 'Regular',
    spotFallbackToRegular: false,
    templateHash: 'tmpl-aaaa',
    template: workerTemplate(),
    values: valuesFrom(),
    ...overrides,
  };
}
