/**
 * The server hub: runs in vitest's main process (started by global-setup.ts) and starts each real server
 * at most once per test run, on first request, then stops them all at the end. Test files (in worker
 * processes) ask for a server with useServer() in use-servers.ts; servers that only some files need cost
 * nothing in runs that do not use them.
 *
 * A request may name other servers to warm up in the background (the signals suite asks for all four
 * when its first file starts, so RabbitMQ's ~8 s start overlaps the other files' tests).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAzurite } from './azurite.ts';
import { startTestExporter } from './exporter.ts';
import { MissingServerError } from './process.ts';
import { startPrometheus } from './prometheus.ts';
import { startRabbitMq } from './rabbitmq.ts';
import { startRedis } from './redis.ts';

/** What a test learns about each server (plain data, crosses the process boundary as JSON). */
export interface ServerInfo {
  redis: { host: string; port: number; username: string; password: string };
  rabbitmq: {
    host: string;
    amqpPort: number;
    managementPort: number;
    managementUrl: string;
    username: string;
    password: string;
  };
  azurite: { port: number; connectionString: string };
  /** A Prometheus scraping a test exporter every second (job `test`). */
  prometheus: { url: string; exporterUrl: string; exporterTarget: string };
}

export type ServerName = keyof ServerInfo;
export const SERVER_NAMES: readonly ServerName[] = ['azurite', 'prometheus', 'rabbitmq', 'redis'];

/** Gauges the hub's exporter serves from the start (tests may change them through the exporter URL). */
export const EXPORTER_GAUGES = [
  { name: 'spillway_test_queue_depth', value: 42 },
  { name: 'spillway_test_requests', value: 3, labels: { path: '/a' } },
  { name: 'spillway_test_requests', value: 4, labels: { path: '/b' } },
  { name: 'spillway_test_broken', value: NaN },
];

type Answer = { ok: true; info: unknown } | { ok: false; missing: string } | { ok: false; error: string };

interface Started {
  info: unknown;
  stop: () => Promise<void>;
}

async function start(name: ServerName): Promise<Started> {
  switch (name) {
    case 'redis': {
      const s = await startRedis();
      return {
        info: { host: s.host, port: s.port, username: s.username, password: s.password },
        stop: () => s.stop(),
      };
    }
    case 'rabbitmq': {
      const s = await startRabbitMq();
      const { host, amqpPort, managementPort, managementUrl, username, password } = s;
      return {
        info: { host, amqpPort, managementPort, managementUrl, username, password },
        stop: () => s.stop(),
      };
    }
    case 'azurite': {
      const s = await startAzurite();
      return { info: { port: s.port, connectionString: s.connectionString }, stop: () => s.stop() };
    }
    case 'prometheus': {
      const exporter = await startTestExporter(EXPORTER_GAUGES);
      try {
        const prom = await startPrometheus({ scrapeTargets: [exporter.target] });
        return {
          info: { url: prom.url, exporterUrl: exporter.url, exporterTarget: exporter.target },
          stop: async () => {
            await prom.stop();
            await exporter.stop();
          },
        };
      } catch (error) {
        await exporter.stop();
        throw error;
      }
    }
  }
}

export interface ServerHub {
  url: string;
  stop(): Promise<void>;
}

export async function startServerHub(): Promise<ServerHub> {
  const starting = new Map<ServerName, Promise<Started>>();
  const ensure = (name: ServerName) => {
    let promise = starting.get(name);
    if (!promise) {
      promise = start(name);
      promise.catch(() => undefined);
      starting.set(name, promise);
    }
    return promise;
  };
  const answer = async (name: ServerName): Promise<Answer> => {
    try {
      return { ok: true, info: (await ensure(name)).info };
    } catch (error) {
      if (error instanceof MissingServerError) return { ok: false, missing: error.message };
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
  const isName = (value: string): value is ServerName => (SERVER_NAMES as readonly string[]).includes(value);
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const name = /^\/servers\/([a-z]+)$/.exec(url.pathname)?.[1] ?? '';
    if (!isName(name)) {
      res.writeHead(404).end(`unknown server ${name}; one of ${SERVER_NAMES.join(', ')}`);
      return;
    }
    for (const other of (url.searchParams.get('warm') ?? '').split(','))
      if (isName(other)) void ensure(other);
    void answer(name).then((body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  http.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      const all = await Promise.allSettled([...starting.values()]);
      await Promise.all(all.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])));
    },
  };
}
