/**
 * An informer (client-node's ListWatch, what `makeInformer` builds) made safe to run for months:
 *
 * - client-node's informer emits `error` and stops for good on a connection error or a failed list;
 *   this one restarts it after an exponential backoff (1 s, 2 s, 4 s … 60 s; reset after a healthy
 *   stretch or any event) and counts the restarts.
 * - A watch line that parses as JSON but has no `object` (or no metadata) makes client-node's async
 *   handler throw, an unhandled rejection that ends the process; such lines are dropped and counted.
 * - Bookmarks are requested, so a quiet resource keeps a fresh resourceVersion and a reconnect does not
 *   hit 410 Gone after etcd compaction.
 * - `metadata.managedFields` is dropped from cached objects (often half their size).
 * - Backoff and the library's own reconnect delay run on the injected Clock.
 */
import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject, ObjectCache, ObjectCallback } from '@kubernetes/client-node';
import type { Clock } from '../ports.ts';
import { listAll } from './raw.ts';

/** Structured log function: the adapter never logs object contents. */
export type KubeLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Restart backoff of a stopped informer. */
export interface BackoffOptions {
  /** @default 1000 */
  initialMs: number;
  /** @default 60000 */
  maxMs: number;
  /** A watch that stayed up this long before failing restarts from the initial delay. @default 120000 */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 120_000 };

/** Delay before restart number `attempt` (1-based): initial × 2^(attempt−1), capped at max. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Why a watch event cannot be applied, or undefined when it can. */
export function malformedReason(type: unknown, object: unknown): string | undefined {
  if (typeof type !== 'string' || !EVENT_TYPES.has(type))
    return `unknown event type ${JSON.stringify(type) ?? 'undefined'}`;
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return `${type} event without an object`;
  if (type === 'ERROR') return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return `${type} event whose object has no metadata`;
  if (type !== 'BOOKMARK' && typeof (metadata as { name?: unknown }).name !== 'string')
    return `${type} event whose object has no metadata.name`;
  return undefined;
}

function trim(object: KubernetesObject): void {
  if (object.metadata) delete object.metadata.managedFields;
}

/** What an informer reports for health and metrics. */
export interface InformerStatus {
  name: string;
  /** Has completed a full list at least once. */
  listed: boolean;
  /** A watch connection is currently open. */
  watching: boolean;
  /** Restarts after the informer stopped on an error. */
  restarts: number;
  /** Watch lines dropped because they could not be applied. */
  droppedEvents: number;
  lastError?: string;
}

export interface InformerOptions {
  /** Names the informer in logs and metrics, e.g. `pods` or `burstscalers/shop`. */
  name: string;
  kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/pods` or `/apis/apps/v1/namespaces/shop/deployments`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock: Clock;
  log: KubeLog;
  backoff?: BackoffOptions;
  /** @default 500 */
  pageSize?: number;
}

interface WatchHooks {
  stopped(): boolean;
  connected(): void;
  closed(): void;
  event(): void;
  malformed(reason: string): void;
  handlerFailed(err: unknown): void;
}

/** client-node's Watch with the guards described above. */
class GuardedWatch extends Watch {
  readonly #hooks: WatchHooks;

  constructor(kubeConfig: KubeConfig, hooks: WatchHooks) {
    super(kubeConfig);
    this.#hooks = hooks;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const hooks = this.#hooks;
    if (hooks.stopped()) {
      const aborted = new AbortController();
      aborted.abort();
      return aborted;
    }
    let finished = false;
    const guardedDone = (err: unknown): void => {
      finished = true;
      hooks.closed();
      const result = done(err) as unknown;
      if (result instanceof Promise) result.catch((e: unknown) => hooks.handlerFailed(e));
    };
    const guarded = (phase: unknown, object: unknown, raw?: unknown): void => {
      const problem = malformedReason(phase, object);
      if (problem) {
        hooks.malformed(problem);
        return;
      }
      hooks.event();
      if (phase !== 'ERROR') trim(object as KubernetesObject);
      try {
        const result = callback(phase as string, object, raw) as unknown;
        if (result instanceof Promise) result.catch((e: unknown) => hooks.handlerFailed(e));
      } catch (err) {
        hooks.handlerFailed(err);
      }
    };
    try {
      const controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true },
        guarded,
        guardedDone,
      );
      if (!finished) hooks.connected();
      return controller;
    } catch (err) {
      // Authentication (e.g. an exec plugin) failed before the request: report it like a failed watch.
      queueMicrotask(() => guardedDone(err));
      const aborted = new AbortController();
      aborted.abort();
      return aborted;
    }
  }
}

/** A self-restarting informer over one collection. */
export class ResilientInformer<T extends KubernetesObject> {
  readonly name: string;
  readonly #informer: ListWatch<T>;
  readonly #clock: Clock;
  readonly #log: KubeLog;
  readonly #backoff: BackoffOptions;
  readonly #abort = new AbortController();
  readonly #listedListeners: (() => void)[] = [];
  #stopped = false;
  #started = false;
  #listed = false;
  #watching = false;
  #restarts = 0;
  #attempt = 0;
  #connectedAt: number | undefined;
  #restartPending = false;
  #dropped = 0;
  #lastError: string | undefined;

  constructor(options: InformerOptions) {
    this.name = options.name;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    const { kubeConfig, path, labelSelector, fieldSelector } = options;
    const selectors: { labelSelector?: string; fieldSelector?: string } = {};
    if (labelSelector !== undefined) selectors.labelSelector = labelSelector;
    if (fieldSelector !== undefined) selectors.fieldSelector = fieldSelector;
    const pageSize = options.pageSize ?? 500;
    const list = async () => {
      const result = await listAll<T>(kubeConfig, path, selectors, pageSize);
      result.items.forEach(trim);
      return result;
    };
    const watch = new GuardedWatch(kubeConfig, {
      stopped: () => this.#stopped,
      connected: () => {
        this.#watching = true;
        this.#connectedAt = this.#clock.now();
        // The library only opens a watch after a list has been applied to the cache.
        if (!this.#listed) {
          this.#listed = true;
          this.#log('info', 'informer listed', { informer: this.name });
          for (const listener of this.#listedListeners.splice(0)) listener();
        }
      },
      closed: () => {
        this.#watching = false;
      },
      event: () => {
        this.#attempt = 0;
      },
      malformed: (reason) => {
        this.#dropped += 1;
        this.#log('warn', 'dropped a malformed watch event', { informer: this.name, reason });
      },
      handlerFailed: (err) => {
        this.#log('error', 'a watch event handler failed', { informer: this.name, error: errorText(err) });
      },
    });
    // Never reject: the library awaits this inside a callback nobody awaits.
    const delayFn = (ms: number) => this.#clock.sleep(ms, this.#abort.signal).catch(() => undefined);
    this.#informer = new ListWatch<T>(path, watch, list, false, labelSelector, fieldSelector, { delayFn });
    this.#informer.on('error', (err: unknown) => this.#onError(err));
  }

  /** The cache (get by name and namespace, list by namespace). */
  get cache(): ObjectCache<T> {
    return this.#informer;
  }

  /** Subscribes to cache changes. */
  on(verb: 'add' | 'update' | 'delete', callback: ObjectCallback<T>): void {
    this.#informer.on(verb, callback);
  }

  /** Calls `listener` once the first list is in the cache (at once if it already is). */
  onceListed(listener: () => void): void {
    if (this.#listed) listener();
    else this.#listedListeners.push(listener);
  }

  get listed(): boolean {
    return this.#listed;
  }

  get restarts(): number {
    return this.#restarts;
  }

  status(): InformerStatus {
    const status: InformerStatus = {
      name: this.name,
      listed: this.#listed,
      watching: this.#watching,
      restarts: this.#restarts,
      droppedEvents: this.#dropped,
    };
    if (this.#lastError !== undefined) status.lastError = this.#lastError;
    return status;
  }

  /** Lists, then watches; returns at once (progress shows in `listed` and `status()`). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    void this.#informer.start().catch((err: unknown) => this.#onError(err));
  }

  /** Stops watching and cancels a pending restart. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error(`informer ${this.name} stopped`));
    await this.#informer.stop();
    this.#watching = false;
  }

  #onError(err: unknown): void {
    if (this.#stopped) return;
    this.#watching = false;
    this.#lastError = errorText(err);
    if (this.#restartPending) return;
    this.#restartPending = true;
    const now = this.#clock.now();
    if (this.#connectedAt !== undefined && now - this.#connectedAt >= this.#backoff.resetAfterMs)
      this.#attempt = 0;
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, this.#backoff);
    this.#log('warn', 'informer stopped; restarting', {
      informer: this.name,
      error: this.#lastError,
      attempt: this.#attempt,
      delayMs: delay,
    });
    void this.#clock.sleep(delay, this.#abort.signal).then(
      () => {
        this.#restartPending = false;
        if (this.#stopped) return;
        this.#restarts += 1;
        void this.#informer.start().catch((e: unknown) => this.#onError(e));
      },
      () => {
        this.#restartPending = false;
      },
    );
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message
      ? `${err.message} (${cause.message})`
      : err.message;
  }
  return String(err);
}
