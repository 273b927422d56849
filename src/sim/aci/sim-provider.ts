/**
 * The burst provider the fast simulator uses: the production {@link AciBurstProvider} — same names,
 * tags, translation, failover, Spot fallback and pacing — over the model in-process, so a simulated
 * day needs no HTTP and no long-running-operation polling.
 */
import { AciBurstProvider, type AciProviderSettings } from '../../aci/provider.ts';
import { createModelAciApi } from './model-api.ts';
import type { AciModel } from './model.ts';

export interface SimBurstProviderOptions extends AciProviderSettings {
  model: AciModel;
  /** @default spillway-sim */
  resourceGroup?: string;
}

/** A BurstProvider over the simulated ACI model (creates return once accepted, as in production). */
export function createSimBurstProvider(options: SimBurstProviderOptions): AciBurstProvider {
  const { model, resourceGroup, ...settings } = options;
  const api = createModelAciApi({
    model,
    resourceGroup: resourceGroup ?? 'spillway-sim',
    clock: options.clock,
  });
  return new AciBurstProvider({ listCacheMs: 0, ...settings, api });
}
