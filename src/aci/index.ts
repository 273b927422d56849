/**
 * The ACI adapter's public surface, for the composition root (src/cli) and the simulator.
 */
export { AciBurstProvider, burstState, failureReason, toReplica } from './provider.ts';
export type { AciBurstProviderOptions, AciProviderSettings } from './provider.ts';
export { createAzureAciApi, createAciClient } from './api.ts';
export type { AciApi, AzureConnection, CreateWait } from './api.ts';
export { createAzureCredential } from './credential.ts';
export type { AzureCredentialOptions } from './credential.ts';
export { RetailPriceSource, RETAIL_PRICES_ENDPOINT } from './prices.ts';
export type { PriceStatus, RetailPriceSourceOptions } from './prices.ts';
export { DEFAULT_ACI_WRITE_LIMITS } from './pacing.ts';
export type { RateLimit } from './pacing.ts';
export type { TranslationOptions } from './translate.ts';
export type { AciLogFn } from './log.ts';
export * from './errors.ts';
export { TAG, MANAGED_BY, readOwnership } from './tags.ts';
