/**
 * The health and metrics endpoint (node:http):
 *
 * - `GET /healthz` — 200 while the process is alive and the loop is not wedged, else 503;
 * - `GET /readyz` — 200 once the cluster caches are synced and the leadership state is known (leader
 *   or follower), else 503; the body says what is missing;
 * - `GET /metrics` — the Prometheus registry in the text exposition format.
 *
 * Kubernetes probes use /healthz for liveness and /readyz for readiness.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../telemetry/logger.ts';
import { asError } from './errors.ts';

/** One check's verdict. */
export interface Check {
  ok: boolean;
  message: string;
}

export interface HealthSources {
  /** Liveness: the process can make progress. */
  live(): Check;
  /** Readiness: the process can make decisions. */
  ready(): Check;
  registry: Registry;
  logger: Logger;
}

/** A `host:port` listen address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `:port` (all interfaces) or `[v6]:port`. Throws a RangeError naming `flag` and
 * what is allowed.
 */
export function parseListenAddress(text: string, flag = '--metrics-address'): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port > 65535)
    throw new RangeError(
      `${flag}: must be host:port, :port or [ipv6]:port with a port from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export class HealthServer {
  readonly #sources: HealthSources;
  readonly #server: Server;

  constructor(sources: HealthSources) {
    this.#sources = sources;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        sources.logger.error({ err: asError(error) }, 'health endpoint failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('internal error\n');
      });
    });
  }

  /** Listens on `address`; resolves with the bound address (port 0 picks a free port). */
  listen(address: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(address.port, address.host, () => {
        this.#server.off('error', onError);
        const bound = this.#server.address() as AddressInfo;
        this.#sources.logger.info(
          { address: bound.address, port: bound.port },
          'serving /healthz /readyz /metrics',
        );
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeIdleConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        return respond(response, this.#sources.live());
      case '/readyz':
        return respond(response, this.#sources.ready());
      case '/metrics': {
        const registry = this.#sources.registry;
        const body = await registry.metrics();
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(body);
        return;
      }
      default:
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('not found: try /healthz, /readyz or /metrics\n');
    }
  }
}

function respond(response: ServerResponse, check: Check): void {
  response.writeHead(check.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${check.ok ? 'ok' : 'not ok'}: ${check.message}\n`);
}
