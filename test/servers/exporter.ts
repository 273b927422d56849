/**
 * A test exporter for Prometheus to scrape: an HTTP server on 127.0.0.1 serving /metrics from a
 * prom-client registry. Gauges are set in-process with `set()` or from another process with
 * `PUT /gauges/<name>?value=<v>&<label>=<value>...` (test workers talk to the exporter that the global
 * setup started).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';

export interface TestExporter {
  /** host:port, for a Prometheus scrape config. */
  target: string;
  url: string;
  set(name: string, value: number, labels?: Record<string, string>): void;
  stop(): Promise<void>;
}

export async function startTestExporter(
  initial: { name: string; value: number; labels?: Record<string, string> }[] = [],
): Promise<TestExporter> {
  const registry = new Registry();
  const gauges = new Map<string, Gauge>();
  const set = (name: string, value: number, labels: Record<string, string> = {}) => {
    let gauge = gauges.get(name);
    if (!gauge) {
      gauge = new Gauge({
        name,
        help: `test gauge ${name}`,
        labelNames: Object.keys(labels),
        registers: [registry],
      });
      gauges.set(name, gauge);
    }
    gauge.set(labels, value);
  };
  for (const g of initial) set(g.name, g.value, g.labels);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      });
      return;
    }
    const match = /^\/gauges\/([a-zA-Z_:][a-zA-Z0-9_:]*)$/.exec(url.pathname);
    if (req.method === 'PUT' && match?.[1]) {
      const value = Number(url.searchParams.get('value'));
      const labels = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'value'));
      try {
        set(match[1], value, labels);
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    set,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sets a gauge on an exporter in another process. */
export async function setRemoteGauge(
  exporterUrl: string,
  name: string,
  value: number,
  labels: Record<string, string> = {},
): Promise<void> {
  const url = new URL(`/gauges/${name}`, exporterUrl);
  url.searchParams.set('value', String(value));
  for (const [k, v] of Object.entries(labels)) url.searchParams.set(k, v);
  const response = await fetch(url, { method: 'PUT' });
  if (!response.ok)
    throw new Error(`setting ${name} on the test exporter: HTTP ${response.status} ${await response.text()}`);
}
