/**
 * Raw JSON reads through client-node's own transport (its RequestContext, authentication and HTTP
 * library). Informer lists use this instead of the generated typed clients so that cached objects have
 * one shape whether they came from a list or a watch event (the typed clients turn timestamps into Date
 * objects, watch events leave them as strings) and so that large lists skip the typed deserializer.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';

const http = new IsomorphicFetchHttpLibrary();

/** GET `path` with query parameters and parse the JSON answer. */
export async function getJson(
  kubeConfig: KubeConfig,
  path: string,
  query: Record<string, string | undefined>,
  operation: string,
): Promise<unknown> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster)
    throw new KubeApiError(operation, undefined, undefined, 'the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const context = new RequestContext(url.toString(), HttpMethod.GET);
  context.setHeaderParam('Accept', 'application/json');
  let text: string;
  let status: number;
  try {
    await kubeConfig.applySecurityAuthentication(context);
    const response = await http.send(context).toPromise();
    status = response.httpStatusCode;
    text = await response.body.text();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = err instanceof Error ? err.message : String(err);
    const why = cause instanceof Error && cause.message !== detail ? ` (${cause.message})` : '';
    throw new KubeApiError(operation, undefined, undefined, `${detail}${why}`, { cause: err });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new KubeApiError(
      operation,
      status,
      undefined,
      'the API server answered with something that is not JSON',
      {
        cause: err,
      },
    );
  }
  if (status < 200 || status > 299) {
    const statusObject = (typeof body === 'object' && body !== null ? body : {}) as {
      reason?: unknown;
      message?: unknown;
    };
    throw new KubeApiError(
      operation,
      status,
      typeof statusObject.reason === 'string' ? statusObject.reason : undefined,
      typeof statusObject.message === 'string' ? statusObject.message : 'the API server refused the request',
    );
  }
  return body;
}

/**
 * Lists a collection in pages of `pageSize` (following `continue` tokens, as kubectl does), returning
 * every item and the resourceVersion to watch from.
 */
export async function listAll<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  selectors: { labelSelector?: string; fieldSelector?: string },
  pageSize: number,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let resourceVersion = '';
  let next: string | undefined;
  do {
    const page = (await getJson(
      kubeConfig,
      path,
      { ...selectors, limit: String(pageSize), continue: next },
      `listing ${path}`,
    )) as { items?: unknown; metadata?: { resourceVersion?: string; continue?: string } };
    if (!Array.isArray(page.items))
      throw new KubeApiError(`listing ${path}`, 200, undefined, 'the answer has no items array');
    items.push(...(page.items as T[]));
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    next = page.metadata?.continue || undefined;
  } while (next);
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
}
