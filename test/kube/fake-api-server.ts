/**
 * A stand-in Kubernetes API server for adapter tests: node:http on 127.0.0.1 that serves list responses
 * and watch streams (newline-delimited JSON events) in the API's shapes and records every request.
 * Tests push watch events, malformed lines, ERROR events, graceful closes and dropped connections.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  authorization: string | undefined;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
}

export type Handler = (request: RecordedRequest) => Reply;

/** One open watch connection. */
export class WatchStream {
  readonly query: URLSearchParams;
  readonly #response: ServerResponse;
  readonly #socket: Socket;

  constructor(query: URLSearchParams, response: ServerResponse, socket: Socket) {
    this.query = query;
    this.#response = response;
    this.#socket = socket;
  }

  /** Sends one event line `{"type": …, "object": …}`. */
  send(type: string, object: unknown): void {
    this.sendRaw(JSON.stringify({ type, object }));
  }

  /** Sends a raw line (to test malformed input). */
  sendRaw(line: string): void {
    this.#response.write(`${line}\n`);
  }

  /** Ends the stream normally (the API server's watch timeout). */
  end(): void {
    this.#response.end();
  }

  /** Drops the TCP connection mid-stream. */
  drop(): void {
    this.#socket.destroy();
  }
}

/** A Status object as the API server returns it. */
export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #routes: { method: string; path: string | RegExp; handler: Handler }[] = [];
  readonly #watchRefusals = new Map<string, Reply[]>();
  readonly #streams = new Map<string, WatchStream[]>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #sockets = new Set<Socket>();
  #url = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }

  /** Serves `method path` (exact path or pattern). Later routes win. */
  route(method: string, path: string | RegExp, handler: Handler): void {
    this.#routes.unshift({ method, path, handler });
  }

  /** Serves a list at `path` from `items()` (read at request time) with the given resourceVersion. */
  list(
    path: string,
    kind: string,
    apiVersion: string,
    items: () => unknown[],
    resourceVersion: () => string,
  ): void {
    this.route('GET', path, () => ({
      status: 200,
      body: { kind, apiVersion, metadata: { resourceVersion: resourceVersion() }, items: items() },
    }));
  }

  /** The next watch request on `path` is answered with `reply` instead of a stream. */
  refuseNextWatch(path: string, reply: Reply): void {
    const queue = this.#watchRefusals.get(path) ?? [];
    queue.push(reply);
    this.#watchRefusals.set(path, queue);
  }

  /** Watch streams opened on `path`, oldest first. */
  streams(path: string): WatchStream[] {
    return this.#streams.get(path) ?? [];
  }

  /** Resolves with watch stream number `index` (0-based) on `path`, waiting for it to open. */
  watch(path: string, index: number): Promise<WatchStream> {
    const existing = this.streams(path)[index];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(path) ?? [];
      const check = (): void => {
        const stream = this.streams(path)[index];
        if (stream) resolve(stream);
        else waiters.push(check);
      };
      waiters.push(check);
      this.#waiters.set(path, waiters);
    });
  }

  /** Requests other than GET, in order. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(request);

    if (request.method === 'GET' && url.searchParams.get('watch') === 'true') {
      const refusal = this.#watchRefusals.get(url.pathname)?.shift();
      if (refusal) return this.#reply(res, refusal);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const stream = new WatchStream(url.searchParams, res, req.socket);
      const streams = this.#streams.get(url.pathname) ?? [];
      streams.push(stream);
      this.#streams.set(url.pathname, streams);
      const waiters = this.#waiters.get(url.pathname) ?? [];
      this.#waiters.set(url.pathname, []);
      for (const waiter of waiters) waiter();
      return;
    }

    const route = this.#routes.find(
      (r) =>
        r.method === request.method &&
        (typeof r.path === 'string' ? r.path === request.path : r.path.test(request.path)),
    );
    if (!route)
      return this.#reply(res, {
        status: 404,
        body: statusBody(404, 'NotFound', `the server could not find the requested resource ${request.path}`),
      });
    this.#reply(res, route.handler(request));
  }

  #reply(res: ServerResponse, reply: Reply): void {
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }
}
