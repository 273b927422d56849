import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import { HealthServer, parseListenAddress } from './health.ts';
import type { Check } from './health.ts';

describe('parseListenAddress', () => {
  it.each([
    { text: '0.0.0.0:8080', host: '0.0.0.0', port: 8080 },
    { text: '127.0.0.1:0', host: '127.0.0.1', port: 0 },
    { text: ':9090', host: '0.0.0.0', port: 9090 },
    { text: '[::1]:8080', host: '::1', port: 8080 },
    { text: 'localhost:80', host: 'localhost', port: 80 },
  ])('$text → $host port $port', ({ text, host, port }) => {
    expect(parseListenAddress(text)).toEqual({ host, port });
  });

  it.each(['8080', '0.0.0.0:', '0.0.0.0:65536', 'host:port', '::1:8080', ''])(
    'rejects %j naming the flag',
    (text) => {
      expect(() => parseListenAddress(text, '--metrics-address')).toThrow(
        /^--metrics-address: must be host:port, :port or \[ipv6\]:port with a port from 0 to 65535, got /,
      );
    },
  );
});

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(live: () => Check, ready: () => Check) {
    const metrics = createControllerMetrics();
    metrics.leader.set(1);
    server = new HealthServer({
      live,
      ready,
      registry: metrics.registry,
      logger: createLogger({ level: 'silent' }),
    });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const get = async (path: string, method = 'GET') => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: await response.text(),
      };
    };
    return { get };
  }

  it.each([
    { path: '/healthz', live: true, ready: false, status: 200, body: 'ok: loop turning\n' },
    {
      path: '/healthz',
      live: false,
      ready: true,
      status: 503,
      body: 'not ok: the tick of shop/orders has run for 301 s\n',
    },
    { path: '/readyz', live: true, ready: true, status: 200, body: 'ok: caches synced, leader\n' },
    { path: '/readyz', live: true, ready: false, status: 503, body: 'not ok: caches not synced\n' },
    { path: '/readyz?verbose', live: true, ready: false, status: 503, body: 'not ok: caches not synced\n' },
    {
      path: '/nope',
      live: true,
      ready: true,
      status: 404,
      body: 'not found: try /healthz, /readyz or /metrics\n',
    },
  ])('GET $path (live $live, ready $ready) → $status', async ({ path, live, ready, status, body }) => {
    const { get } = await start(
      () =>
        live
          ? { ok: true, message: 'loop turning' }
          : { ok: false, message: 'the tick of shop/orders has run for 301 s' },
      () =>
        ready ? { ok: true, message: 'caches synced, leader' } : { ok: false, message: 'caches not synced' },
    );
    expect(await get(path)).toMatchObject({ status, body });
  });

  it('serves the Prometheus registry on /metrics', async () => {
    const { get } = await start(
      () => ({ ok: true, message: '' }),
      () => ({ ok: true, message: '' }),
    );
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^# HELP spillway_leader /m);
    expect(response.body).toMatch(/^spillway_leader 1$/m);
  });

  it('refuses writes', async () => {
    const { get } = await start(
      () => ({ ok: true, message: '' }),
      () => ({ ok: true, message: '' }),
    );
    expect((await get('/healthz', 'POST')).status).toBe(405);
  });

  it('close() stops listening', async () => {
    const metrics = createControllerMetrics();
    const s = new HealthServer({
      live: () => ({ ok: true, message: '' }),
      ready: () => ({ ok: true, message: '' }),
      registry: metrics.registry,
      logger: createLogger({ level: 'silent' }),
    });
    const { port } = await s.listen({ host: '127.0.0.1', port: 0 });
    await s.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
