/**
 * The provider's {@link AciApi} straight over the simulation model, without HTTP: the fast simulator
 * runs the real provider logic (names, tags, translation, failover, pacing) this way.
 *
 * Errors are raised exactly as the SDK raises them — `RestError` with the ARM code, status and
 * Retry-After header, and a plain `Error` when a long-running operation ends Failed — so the provider
 * maps them through the same code path as in production.
 */
import type { ContainerGroup, Usage } from '@azure/arm-containerinstance';
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { AciApi, CreateWait } from '../../aci/api.ts';
import type { Clock } from '../../ports.ts';
import { SimAciError, type AciModel } from './model.ts';

function asRestError(error: unknown): Error {
  if (!(error instanceof SimAciError)) return error instanceof Error ? error : new Error(String(error));
  const headers = createHttpHeaders(
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) },
  );
  return new RestError(error.message, {
    code: error.code,
    statusCode: error.statusCode,
    response: {
      status: error.statusCode,
      headers,
      request: createPipelineRequest({ url: 'sim://aci' }),
      bodyAsText: JSON.stringify({ error: { code: error.code, message: error.message } }),
    },
  });
}

function call<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(asRestError(error));
  }
}

/** Options of {@link createModelAciApi}. */
export interface ModelAciApiOptions {
  model: AciModel;
  resourceGroup: string;
  /** Needed only for createOrUpdate(…, 'provisioned'), which sleeps until provisioning ends. */
  clock?: Clock;
  /**
   * `list` hands out the model's shared views ({@link AciModel.listShared}): for callers that never change
   * the groups they get. @default false
   */
  sharedViews?: boolean;
}

/** An {@link AciApi} that calls the model in-process. */
export function createModelAciApi(options: ModelAciApiOptions): AciApi {
  const { model, resourceGroup: rg } = options;
  return {
    resourceGroup: rg,
    async get(name) {
      try {
        return await call(() => model.get(rg, name));
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    list: () => call(() => (options.sharedViews ? [...model.listShared(rg)] : model.list(rg))),
    async createOrUpdate(name: string, group: ContainerGroup, wait: CreateWait) {
      const result = await call(() => model.createOrUpdate(rg, name, group));
      const doneAt = model.operationDoneAt(result.operationId) ?? 0;
      if (wait === 'accepted') {
        const status = await call(() => model.operationStatus(result.operationId));
        return status?.status === 'InProgress' ? undefined : result.group;
      }
      if (!options.clock) throw new Error('createModelAciApi: a clock is required to wait for provisioning');
      const left = doneAt - options.clock.now();
      if (left > 0) await options.clock.sleep(left);
      const status = await call(() => model.operationStatus(result.operationId));
      if (status?.status === 'Failed' && status.error)
        throw new Error(
          `The long-running operation has failed. ${status.error.code}. ${status.error.message}`,
        );
      return call(() => model.get(rg, name));
    },
    async delete(name) {
      await call(() => model.delete(rg, name));
    },
    async updateTags(name, tags) {
      await call(() => model.updateTags(rg, name, tags));
    },
    listUsage: (region): Promise<Usage[]> => call(() => model.usage(region)),
    logs: (name, container, tail) => call(() => model.logs(rg, name, container, tail)),
  };
}
