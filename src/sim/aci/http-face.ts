/**
 * The simulated ACI behind an ARM-compatible HTTP face (node:http on 127.0.0.1), so the real
 * `@azure/arm-containerinstance` client can talk to it: same paths, api-version 2023-05-01,
 * long-running operations through `Azure-AsyncOperation`, `{error: {code, message}}` bodies,
 * `Retry-After` on 429, nextLink paging. The provider knows nothing of the simulation except the
 * endpoint and the credential ({@link simulatorCredential}).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import type { AciModel } from './model.ts';
import { SimAciError } from './model.ts';
import { groupFromWire, groupToWire } from './wire.ts';

/** api-version of @azure/arm-containerinstance 9.1.0. */
export const ACI_API_VERSION = '2023-05-01';

export interface AciHttpFaceOptions {
  model: AciModel;
  /** @default 127.0.0.1 — the face only listens on loopback */
  host?: '127.0.0.1' | 'localhost' | '::1';
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** Groups per page of a list. @default 100 */
  pageSize?: number;
}

/** One request the face served. */
export interface FaceRequest {
  method: string;
  path: string;
  status: number;
}

export interface AciHttpFace {
  /** Base URL to pass as the provider's endpoint. */
  readonly url: string;
  /** Every request served, in order. */
  readonly requests: FaceRequest[];
  close(): Promise<void>;
}

/** A TokenCredential for the simulated ACI (it checks that a bearer token is sent, not what it is). */
export function simulatorCredential(token = 'simulated-aci-token'): TokenCredential {
  return {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

const PROVIDER = 'providers/microsoft.containerinstance';
const ROUTES = {
  group: new RegExp(
    `^/subscriptions/([^/]+)/resourcegroups/([^/]+)/${PROVIDER}/containergroups/([^/]+)$`,
    'i',
  ),
  groupAction: new RegExp(
    `^/subscriptions/([^/]+)/resourcegroups/([^/]+)/${PROVIDER}/containergroups/([^/]+)/(start|stop|restart)$`,
    'i',
  ),
  logs: new RegExp(
    `^/subscriptions/([^/]+)/resourcegroups/([^/]+)/${PROVIDER}/containergroups/([^/]+)/containers/([^/]+)/logs$`,
    'i',
  ),
  listRg: new RegExp(`^/subscriptions/([^/]+)/resourcegroups/([^/]+)/${PROVIDER}/containergroups$`, 'i'),
  listSub: new RegExp(`^/subscriptions/([^/]+)/${PROVIDER}/containergroups$`, 'i'),
  usages: new RegExp(`^/subscriptions/([^/]+)/${PROVIDER}/locations/([^/]+)/usages$`, 'i'),
  operation: new RegExp(`^/subscriptions/([^/]+)/${PROVIDER}/locations/([^/]+)/operations/([^/]+)$`, 'i'),
};
const MAX_BODY = 4 * 1024 * 1024;

/** The request body as JSON; ARM's 400 InvalidRequestContent when it is not. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBody(request);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimAciError(400, 'InvalidRequestContent', 'The request content was not valid JSON.');
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new SimAciError(413, 'RequestEntityTooLarge', 'The request body is larger than 4 MB.'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Starts the face; call `close()` when done. */
export async function startAciHttpFace(options: AciHttpFaceOptions): Promise<AciHttpFace> {
  const { model } = options;
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize: must be a whole number ≥ 1, got ${pageSize}`);
  const requests: FaceRequest[] = [];
  let base = '';

  const send = (
    response: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'x-ms-request-id': `sim-${requests.length + 1}`,
      ...headers,
    });
    response.end(text);
  };

  const asyncHeaders = (location: string, operationId: string): Record<string, string> => ({
    'azure-asyncoperation': `${base}/subscriptions/${model.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${location}/operations/${operationId}?api-version=${ACI_API_VERSION}`,
  });

  const checkSubscription = (subscription: string): void => {
    if (subscription.toLowerCase() !== model.subscriptionId.toLowerCase())
      throw new SimAciError(
        404,
        'SubscriptionNotFound',
        `The subscription '${subscription}' could not be found.`,
      );
  };

  const page = (response: ServerResponse, items: unknown[], url: URL): void => {
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    const start = Number.isInteger(skip) && skip > 0 ? skip : 0;
    const slice = items.slice(start, start + pageSize);
    const body: Record<string, unknown> = { value: slice };
    if (start + pageSize < items.length)
      body['nextLink'] =
        `${base}${url.pathname}?api-version=${ACI_API_VERSION}&$skiptoken=${start + pageSize}`;
    send(response, 200, body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', base);
    const method = request.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    const apiVersion = url.searchParams.get('api-version');
    if (!/^Bearer\s+\S+/.test(request.headers.authorization ?? ''))
      throw new SimAciError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      );
    if (apiVersion !== ACI_API_VERSION)
      throw new SimAciError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion ?? ''}' is invalid. The supported versions are '${ACI_API_VERSION}'.`,
      );

    let m: RegExpExecArray | null;
    if ((m = ROUTES.operation.exec(path)) && method === 'GET') {
      checkSubscription(m[1]!);
      const status = model.operationStatus(m[3]!);
      if (!status) throw new SimAciError(404, 'OperationNotFound', `The operation '${m[3]}' was not found.`);
      send(response, 200, status);
      return;
    }
    if ((m = ROUTES.usages.exec(path)) && method === 'GET') {
      checkSubscription(m[1]!);
      send(response, 200, { value: model.usage(m[2]!.toLowerCase()) });
      return;
    }
    if ((m = ROUTES.listSub.exec(path)) && method === 'GET') {
      checkSubscription(m[1]!);
      page(response, model.list().map(groupToWire), url);
      return;
    }
    if ((m = ROUTES.listRg.exec(path)) && method === 'GET') {
      checkSubscription(m[1]!);
      page(response, model.list(m[2]).map(groupToWire), url);
      return;
    }
    if ((m = ROUTES.logs.exec(path)) && method === 'GET') {
      checkSubscription(m[1]!);
      const tail = url.searchParams.get('tail');
      send(response, 200, {
        content: model.logs(m[2]!, m[3]!, m[4]!, tail === null ? undefined : Number(tail)),
      });
      return;
    }
    if ((m = ROUTES.groupAction.exec(path)) && method === 'POST') {
      checkSubscription(m[1]!);
      const [rg, name, action] = [m[2]!, m[3]!, m[4]!.toLowerCase()];
      if (action === 'stop') {
        model.stop(rg, name);
        send(response, 204);
        return;
      }
      if (action === 'start') {
        const operationId = model.startGroup(rg, name);
        const location = model.get(rg, name).location ?? '';
        send(response, 202, undefined, asyncHeaders(location, operationId));
        return;
      }
      throw new SimAciError(405, 'MethodNotAllowed', `The simulated ACI does not implement '${action}'.`);
    }
    if ((m = ROUTES.group.exec(path))) {
      checkSubscription(m[1]!);
      const [rg, name] = [m[2]!, m[3]!];
      switch (method) {
        case 'GET':
          send(response, 200, groupToWire(model.get(rg, name)));
          return;
        case 'PUT': {
          const body = await readJson(request);
          const result = model.createOrUpdate(rg, name, groupFromWire(body));
          send(
            response,
            result.created ? 201 : 200,
            groupToWire(result.group),
            asyncHeaders(result.group.location ?? '', result.operationId),
          );
          return;
        }
        case 'PATCH': {
          const body = await readJson(request);
          const tags = (body as { tags?: unknown }).tags;
          if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
            throw new SimAciError(400, 'InvalidRequestContent', "The PATCH body must carry a 'tags' object.");
          send(response, 200, groupToWire(model.updateTags(rg, name, tags as Record<string, string>)));
          return;
        }
        case 'DELETE': {
          const deleted = model.delete(rg, name);
          if (deleted) send(response, 200, groupToWire(deleted));
          else send(response, 204);
          return;
        }
      }
    }
    throw new SimAciError(404, 'NotFound', `No route for ${method} ${path} in the simulated ACI.`);
  };

  const server = createServer((request, response) => {
    handle(request, response)
      .catch((error: unknown) => {
        const e =
          error instanceof SimAciError
            ? error
            : new SimAciError(
                500,
                'InternalServerError',
                error instanceof Error ? error.message : String(error),
              );
        if (!response.headersSent)
          send(
            response,
            e.statusCode,
            { error: { code: e.code, message: e.message } },
            e.retryAfterSeconds === undefined ? {} : { 'retry-after': String(e.retryAfterSeconds) },
          );
      })
      .finally(() => {
        requests.push({
          method: request.method ?? '',
          path: new URL(request.url ?? '/', 'http://x').pathname,
          status: response.statusCode,
        });
      });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
