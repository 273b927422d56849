/**
 * The narrow slice of the ACI management API the provider uses, in the SDK's own types.
 *
 * {@link createAzureAciApi} implements it with `@azure/arm-containerinstance` (real Azure, or the
 * simulated ACI's HTTP face); src/sim/aci implements it directly over the simulation model so the fast
 * simulator runs the provider's real logic without HTTP. Implementations throw what the SDK throws
 * (`RestError`, or a plain `Error` for a failed long-running operation); the provider maps it.
 */
import {
  ContainerInstanceManagementClient,
  type ContainerGroup,
  type Usage,
} from '@azure/arm-containerinstance';
import { bearerTokenAuthenticationPolicyName, isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';

/** How long `createOrUpdate` waits. */
export type CreateWait = 'accepted' | 'provisioned';

export interface AciApi {
  readonly resourceGroup: string;
  /** The group, or undefined when it does not exist. */
  get(name: string): Promise<ContainerGroup | undefined>;
  /** Every group in the resource group (all pages). */
  list(): Promise<ContainerGroup[]>;
  /**
   * Sends the PUT. With 'accepted' it resolves once Azure accepted the group (the result, when the
   * operation already finished, else undefined); with 'provisioned' it waits for the long-running
   * operation to end and throws if it ended Failed.
   */
  createOrUpdate(name: string, group: ContainerGroup, wait: CreateWait): Promise<ContainerGroup | undefined>;
  /** Deletes and waits; a missing group is not an error. */
  delete(name: string): Promise<void>;
  /** Replaces the group's tags (ARM PATCH). */
  updateTags(name: string, tags: Record<string, string>): Promise<void>;
  /** Quota usage of a region (ContainerGroups, StandardCores, StandardSpotCores…). */
  listUsage(region: string): Promise<Usage[]>;
  /** The tail of one container's log. */
  logs(name: string, container: string, tail?: number): Promise<string>;
}

/** Where and as whom to call Azure. */
export interface AzureConnection {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  /**
   * ARM endpoint. @default https://management.azure.com — plain http is accepted only for loopback
   * addresses (the simulated ACI), and then the token is sent over it without TLS.
   */
  endpoint?: string;
  /** Long-running operation poll interval. @default the SDK's (2 s, or the server's Retry-After) */
  pollIntervalMs?: number;
  /** The SDK's retry of 429 (after Retry-After) and 5xx (exponential backoff). @default SDK defaults (3 retries) */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ARM_SCOPE = 'https://management.azure.com/.default';

/** Builds the SDK client for a connection (TLS, or loopback http for the simulator). */
export function createAciClient(connection: AzureConnection): ContainerInstanceManagementClient {
  const endpoint = connection.endpoint ?? 'https://management.azure.com';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RangeError(`endpoint: "${endpoint}" is not a URL`);
  }
  const insecure = url.protocol === 'http:';
  if (insecure && !LOOPBACK.has(url.hostname))
    throw new RangeError(
      `endpoint: plain http is allowed only for loopback addresses (the simulated ACI), got ${url.host}; use https`,
    );
  if (!insecure && url.protocol !== 'https:')
    throw new RangeError(`endpoint: must be an https URL, got ${url.protocol}`);
  const client = new ContainerInstanceManagementClient(connection.credential, connection.subscriptionId, {
    endpoint: endpoint.replace(/\/+$/, ''),
    credentialScopes: ARM_SCOPE,
    ...(connection.retry ? { retryOptions: connection.retry } : {}),
    ...(insecure ? { allowInsecureConnection: true } : {}),
  });
  if (insecure) {
    // The SDK's bearer policy refuses to send a token over http; for loopback only, send it ourselves.
    const credential = connection.credential;
    client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    client.pipeline.addPolicy({
      name: 'spillwayLoopbackBearer',
      async sendRequest(request, next) {
        const token = await credential.getToken(ARM_SCOPE);
        if (token) request.headers.set('authorization', `Bearer ${token.token}`);
        return next(request);
      },
    });
  }
  return client;
}

/** {@link AciApi} on the Azure SDK. */
export function createAzureAciApi(connection: AzureConnection): AciApi {
  const client = createAciClient(connection);
  const rg = connection.resourceGroup;
  const lro =
    connection.pollIntervalMs === undefined ? {} : { updateIntervalInMs: connection.pollIntervalMs };
  return {
    resourceGroup: rg,
    async get(name) {
      try {
        return await client.containerGroups.get(rg, name);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    async list() {
      const out: ContainerGroup[] = [];
      for await (const group of client.containerGroups.listByResourceGroup(rg)) out.push(group);
      return out;
    },
    async createOrUpdate(name, group, wait) {
      const poller = await client.containerGroups.beginCreateOrUpdate(rg, name, group, lro);
      if (wait === 'provisioned') return poller.pollUntilDone();
      return poller.isDone() ? poller.getResult() : undefined;
    },
    async delete(name) {
      try {
        await client.containerGroups.beginDeleteAndWait(rg, name, lro);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return;
        throw error;
      }
    },
    async updateTags(name, tags) {
      await client.containerGroups.update(rg, name, { tags });
    },
    async listUsage(region) {
      const out: Usage[] = [];
      for await (const usage of client.location.listUsage(region)) out.push(usage);
      return out;
    },
    async logs(name, container, tail) {
      const result = await client.containers.listLogs(
        rg,
        name,
        container,
        tail === undefined ? {} : { tail },
      );
      return result.content ?? '';
    },
  };
}
