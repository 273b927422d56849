/**
 * Per-pod CPU and memory usage from metrics.k8s.io, for scalers with `cpu` or `memory` triggers (the
 * HPA's resource metrics). metrics-server cannot be watched, so usage is polled like the HPA does (every
 * 15 s by default), one list per target with the Deployment's label selector, and kept in memory for the
 * synchronous `workload()` read. Samples older than three intervals are dropped.
 */
import type { V1LabelSelector } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../ports.ts';
import type { KubeLog } from './informer.ts';
import { parseQuantity } from './quantity.ts';
import { getJson } from './raw.ts';

const GIB = 1024 ** 3;

/** A label selector in the query-string syntax (`app=orders,tier in (a,b),!canary`). */
export function selectorString(selector: V1LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  for (const requirement of selector.matchExpressions ?? []) {
    const values = [...(requirement.values ?? [])].sort().join(',');
    switch (requirement.operator) {
      case 'In':
        parts.push(`${requirement.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${requirement.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(requirement.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${requirement.key}`);
        break;
      default:
        throw new Error(
          `label selector operator ${requirement.operator} is not one of In, NotIn, Exists, DoesNotExist`,
        );
    }
  }
  return parts.join(',');
}

interface PodMetrics {
  metadata?: { name?: string; namespace?: string };
  containers?: { name?: string; usage?: Record<string, string> }[];
}

/** A pod's usage summed over its containers: cores and GiB. */
export function podUsage(metrics: PodMetrics): { cpu: number; memoryGiB: number } {
  let cpu = 0;
  let memory = 0;
  for (const [i, container] of (metrics.containers ?? []).entries()) {
    const field = `PodMetrics ${metrics.metadata?.name ?? ''} containers[${i}].usage`;
    if (container.usage?.cpu !== undefined)
      cpu += parseQuantity(container.usage.cpu, 'milli', `${field}.cpu`);
    if (container.usage?.memory !== undefined)
      memory += parseQuantity(container.usage.memory, 'unit', `${field}.memory`);
  }
  return { cpu: cpu / 1000, memoryGiB: memory / GIB };
}

/** A target whose pods' usage is wanted. */
export interface UsageTarget {
  namespace: string;
  selector: V1LabelSelector;
}

export interface UsagePollerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  log: KubeLog;
  intervalMs: number;
  /** Read at every round: the targets that currently need usage. */
  targets: () => UsageTarget[];
}

export class UsagePoller {
  readonly #options: UsagePollerOptions;
  readonly #samples = new Map<string, { cpu: number; memoryGiB: number; at: number }>();
  readonly #failing = new Set<string>();
  readonly #abort = new AbortController();
  #running = false;

  constructor(options: UsagePollerOptions) {
    this.#options = options;
  }

  /** Usage of one pod, when a fresh sample exists. */
  usage(namespace: string, pod: string): { cpu: number; memoryGiB: number } | undefined {
    const sample = this.#samples.get(`${namespace}/${pod}`);
    if (!sample || this.#options.clock.now() - sample.at > 3 * this.#options.intervalMs) return undefined;
    return { cpu: sample.cpu, memoryGiB: sample.memoryGiB };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  }

  stop(): void {
    this.#abort.abort(new Error('usage poller stopped'));
  }

  /** One round over the current targets (exposed for tests and for an immediate refresh). */
  async poll(): Promise<void> {
    const { kubeConfig, clock, log } = this.#options;
    const seen = new Set<string>();
    for (const target of this.#options.targets()) {
      const labelSelector = selectorString(target.selector);
      const key = `${target.namespace}?${labelSelector}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${target.namespace}/pods`;
      try {
        const list = (await getJson(
          kubeConfig,
          path,
          { labelSelector },
          `reading pod metrics in ${target.namespace}`,
        )) as {
          items?: PodMetrics[];
        };
        const now = clock.now();
        for (const item of list.items ?? []) {
          const name = item.metadata?.name;
          if (name) this.#samples.set(`${target.namespace}/${name}`, { ...podUsage(item), at: now });
        }
        if (this.#failing.delete(key))
          log('info', 'pod metrics readable again', { namespace: target.namespace, selector: labelSelector });
      } catch (err) {
        if (!this.#failing.has(key))
          log('warn', 'pod metrics unavailable (is metrics-server running?)', {
            namespace: target.namespace,
            selector: labelSelector,
            error: err instanceof Error ? err.message : String(err),
          });
        this.#failing.add(key);
      }
    }
    const oldest = clock.now() - 3 * this.#options.intervalMs;
    for (const [key, sample] of this.#samples) if (sample.at < oldest) this.#samples.delete(key);
  }

  async #loop(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.poll();
      try {
        await this.#options.clock.sleep(this.#options.intervalMs, this.#abort.signal);
      } catch {
        return;
      }
    }
  }
}
