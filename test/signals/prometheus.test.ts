/** prometheus against a real Prometheus scraping a test exporter (both started by the server hub). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrometheusSource } from '../../src/signals/prometheus.ts';
import { SignalReader } from '../../src/signals/reader.ts';
import { setRemoteGauge } from '../servers/exporter.ts';
import { startHttpResponder, startSilentServer } from '../servers/faults.ts';
import type { FaultServer } from '../servers/faults.ts';
import { freePort } from '../servers/process.ts';
import { SIGNAL_SERVERS, describeWithServer, useServer } from '../servers/use-servers.ts';
import { FakeValues, context, readFailure, scaler, systemClock, trigger } from './helpers.ts';

const prometheus = await useServer('prometheus', SIGNAL_SERVERS);

describeWithServer('prometheus against a real Prometheus', prometheus, (server) => {
  const source = new PrometheusSource();
  const promTrigger = (query: string, extra: Record<string, string> = {}) =>
    trigger('prometheus', { serverAddress: server.url, query, ...extra });
  let silent: FaultServer;
  let responder: FaultServer;
  const seen: { authorization?: string; tenant?: string; url?: string }[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '' };

  beforeAll(async () => {
    silent = await startSilentServer();
    responder = await startHttpResponder((req, res) => {
      seen.push({
        authorization: req.headers.authorization,
        tenant: req.headers['x-scope-orgid'] as string,
        url: req.url,
      });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    });
  });
  afterAll(async () => {
    await Promise.all([silent.stop(), responder.stop()]);
  });

  it.each([
    ['a one-sample vector', 'spillway_test_queue_depth', 42],
    ['an aggregated vector', 'sum(spillway_test_requests)', 7],
    ['a scalar', 'scalar(spillway_test_queue_depth) * 2', 84],
    ['a filtered series', 'spillway_test_requests{path="/b"}', 4],
  ])('%s reads the exported value (%s)', async (_, query, expected) => {
    await expect(source.read(promTrigger(query), context())).resolves.toEqual({ value: expected });
  });

  it('follows the exporter: a new value is read after the next scrape', async () => {
    await setRemoteGauge(server.exporterUrl, 'spillway_test_live', 17);
    // Prometheus scrapes every second: poll the real server until the new series is there.
    let value: number | undefined;
    for (let i = 0; i < 50 && value !== 17; i += 1) {
      value = (await source.read(promTrigger('spillway_test_live'), context())).value;
      if (value !== 17) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(value).toBe(17);
  });

  it.each([
    ['an empty result', 'spillway_no_such_metric', 'the query returned no data'],
    ['NaN', 'spillway_test_broken', 'the query returned NaN'],
  ])(
    '%s reads 0 with ignoreNullValues (the default) and fails as not-found without it',
    async (_, query, text) => {
      await expect(source.read(promTrigger(query), context())).resolves.toEqual({ value: 0 });
      const error = await readFailure(
        source.read(promTrigger(query, { ignoreNullValues: 'false' }), context()),
      );
      expect(error.kind).toBe('not-found');
      expect(error.message).toContain(text);
    },
  );

  it('a query returning several series fails as bad-response saying to aggregate', async () => {
    const error = await readFailure(source.read(promTrigger('spillway_test_requests'), context()));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain('the query returned 2 series; it must return one');
  });

  it('an invalid query fails as bad-response with the parse error from Prometheus', async () => {
    const error = await readFailure(source.read(promTrigger('sum(rate(x[1m])'), context()));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('parse error');
  });

  it('a range vector fails as bad-response', async () => {
    const error = await readFailure(source.read(promTrigger('spillway_test_queue_depth[1m]'), context()));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain('must return a scalar or an instant vector');
  });

  it('sends the bearer token of the Secret and custom headers; a 401 fails as auth without the token', async () => {
    const token = 'prom-token-5f0e2d';
    const values = new FakeValues({ 'shop/prom-auth': { bearerToken: token } });
    const t = trigger(
      'prometheus',
      {
        serverAddress: `http://127.0.0.1:${responder.port}/prom`,
        query: 'up',
        customHeaders: 'X-Scope-OrgID=shop',
      },
      { authenticationRef: { name: 'prom-auth' } },
    );
    reply = { status: 401, body: `{"status":"error","error":"bad token ${token}"}` };
    const error = await readFailure(source.read(t, context({ values })));
    expect(seen.at(-1)).toEqual({
      authorization: `Bearer ${token}`,
      tenant: 'shop',
      url: '/prom/api/v1/query?query=up',
    });
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain(token);
  });

  it.each([
    ['an HTML page', 200, '<html>login</html>', 'the body is not JSON'],
    ['JSON of another shape', 200, '{"hello":"world"}', 'Prometheus answered undefined'],
    ['a server error', 503, 'overloaded', 'HTTP 503: overloaded'],
  ])('a server answering %s fails as bad-response', async (_, status, body, text) => {
    reply = { status, body };
    const t = trigger('prometheus', { serverAddress: `http://127.0.0.1:${responder.port}`, query: 'up' });
    const error = await readFailure(source.read(t, context()));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain(text);
  });

  it('a server that is down fails as unreachable', async () => {
    const port = await freePort();
    const t = trigger('prometheus', { serverAddress: `http://127.0.0.1:${port}`, query: 'up' });
    const error = await readFailure(source.read(t, context()));
    expect(error.message).toBe(
      `reading prometheus trigger prometheus-0 (query on http://127.0.0.1:${port}): unreachable: connection refused`,
    );
  });

  it('a server that never answers fails as timeout through the reader', async () => {
    const reader = new SignalReader({
      clock: systemClock,
      values: new FakeValues(),
      sources: [source],
      timeoutMs: 300,
    });
    const t = trigger('prometheus', { serverAddress: `http://127.0.0.1:${silent.port}`, query: 'up' });
    const [reading] = await reader.read(scaler, [t], []);
    expect(reading).toMatchObject({ ok: false, kind: 'timeout' });
  });
});
