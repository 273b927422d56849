/**
 * The Azure credential for production: DefaultAzureCredential, which uses workload identity in AKS
 * (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE injected by the webhook), a managed
 * identity on a VM, or a developer's Azure CLI login. Only the CLI calls this; the provider takes any
 * TokenCredential.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

export interface AzureCredentialOptions {
  /** Client id of a user-assigned managed identity (when the pod has several). */
  managedIdentityClientId?: string;
  /** Tenant to authenticate in (defaults to the environment's). */
  tenantId?: string;
}

/** Builds DefaultAzureCredential. */
export function createAzureCredential(options: AzureCredentialOptions = {}): TokenCredential {
  return new DefaultAzureCredential({
    ...(options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {}),
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
  });
}
