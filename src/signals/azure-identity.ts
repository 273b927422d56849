/** Workload identity for the Azure sources: one DefaultAzureCredential, created on first use only. */
import { DefaultAzureCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';

/**
 * A factory returning one shared DefaultAzureCredential, constructed the first time a trigger with
 * workload identity is read (so a cluster that only uses Secrets never probes for identities).
 */
export function lazyDefaultCredential(): () => TokenCredential {
  let credential: TokenCredential | undefined;
  return () => (credential ??= new DefaultAzureCredential());
}
