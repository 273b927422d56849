/**
 * The in-process ACI API of the simulated ACI (src/sim/aci/model-api.ts) with one exact shortcut for the
 * fast simulator: a listing is reused while it cannot have changed — no write went through this API since,
 * and every group in it was already in a state that time does not change (running, failed or stopped).
 * Groups still pending or creating change with time, so any such group makes the next list a fresh one.
 * And a `get` of a name that does not exist answers at once: only this API writes to its resource group,
 * so the names from the last listing plus creates minus deletes are exactly the groups there (a missing
 * name would otherwise cost the model's 404 and the SDK-shaped error built from it).
 * Listings are built from the model's shared views (AciModel.listShared): a group that time no longer
 * changes is built once and handed out until it changes, so a burst of pending groups does not rebuild the
 * running ones. Nothing this API's callers do changes a group they were given.
 * Results are the same as without the shortcuts; a simulated day just builds far fewer group views.
 */
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { AciApi, CreateWait } from '../aci/api.ts';
import type { Clock } from '../ports.ts';
import { createModelAciApi } from './aci/model-api.ts';
import type { AciModel } from './aci/model.ts';

function settled(group: ContainerGroup): boolean {
  const provisioning = group.provisioningState;
  if (provisioning === 'Failed') return true;
  if (provisioning !== 'Succeeded') return false;
  const state = group.instanceView?.state;
  return state === 'Running' || state === 'Stopped' || state === 'Failed';
}

/** An AciApi over the model whose `list` is reused while nothing can have changed. */
export function createFastModelAciApi(options: {
  model: AciModel;
  resourceGroup: string;
  clock: Clock;
}): AciApi {
  const api = createModelAciApi({ ...options, sharedViews: true });
  let cached: ContainerGroup[] | undefined;
  /**
   * Names that exist, once a listing was read (undefined before): the last listing's names plus creates
   * minus deletes. Read again from a listing only after a write failed (a failed PUT may have created
   * nothing, a failed DELETE deleted nothing); otherwise it already equals the listing's names.
   */
  let names: Set<string> | undefined;
  let namesStale = true;
  const invalidate = (): void => {
    cached = undefined;
  };
  const writing =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      invalidate();
      try {
        return await fn(...args);
      } finally {
        invalidate();
      }
    };
  return {
    resourceGroup: api.resourceGroup,
    get: (name) => (names && !names.has(name) ? Promise.resolve(undefined) : api.get(name)),
    async list() {
      if (cached) return [...cached];
      const groups = await api.list();
      cached = groups.every(settled) ? groups : undefined;
      if (namesStale) {
        names = new Set();
        for (const group of groups) if (group.name) names.add(group.name);
        namesStale = false;
      }
      return [...groups];
    },
    createOrUpdate: writing(async (name: string, group: ContainerGroup, wait: CreateWait) => {
      try {
        return await api.createOrUpdate(name, group, wait);
      } catch (error) {
        namesStale = true;
        throw error;
      } finally {
        // Accepted or not, ask the model next time (a failed PUT may still have created nothing).
        names?.add(name);
      }
    }),
    delete: writing(async (name: string) => {
      try {
        await api.delete(name);
      } catch (error) {
        namesStale = true;
        throw error;
      }
      names?.delete(name);
    }),
    updateTags: writing((name: string, tags: Record<string, string>) => api.updateTags(name, tags)),
    listUsage: (region) => api.listUsage(region),
    logs: (name, container, tail) => api.logs(name, container, tail),
  };
}
