/**
 * A real Prometheus (Debian package prometheus) on 127.0.0.1, data in a temp folder, scraping the given
 * targets every `scrapeIntervalSeconds` (default 1). `startPrometheus` resolves once every target has
 * been scraped once (`up == 1`), which takes a second or two after start.
 *
 * Reusable by any test that needs a real Prometheus (signals, telemetry, dashboards):
 *
 *   const prom = await startPrometheus({ scrapeTargets: ['127.0.0.1:9464'] });
 *   await prom.query('up');   // instant query, parsed `data`
 *   await prom.stop();
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findExecutable, freePort, MissingServerError, pollUntil, startProcess, tempDir } from './process.ts';

export interface PrometheusOptions {
  /** host:port targets scraped at /metrics under job `test`. */
  scrapeTargets: string[];
  /** @default 1 */
  scrapeIntervalSeconds?: number;
  /** More scrape_configs entries, merged as-is (e.g. other jobs or metrics paths). */
  extraScrapeConfigs?: Record<string, unknown>[];
  /** Rule files (absolute paths) to load (alerting/recording rules). */
  ruleFiles?: string[];
  /** Wait until every target of job `test` has been scraped once. @default true */
  waitForFirstScrape?: boolean;
  /** @default 30000 */
  startTimeoutMs?: number;
}

export interface PrometheusServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Instant query; resolves to the API's `data` or throws with Prometheus' error. */
  query(promql: string): Promise<{ resultType: string; result: unknown }>;
  /** Resolves after a scrape of every `test` target that started after this call (fresh values). */
  waitForNextScrape(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface TargetsResponse {
  data?: { activeTargets?: { labels?: { job?: string }; health?: string; lastScrape?: string }[] };
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = findExecutable('prometheus');
  if (!binary) throw new MissingServerError('prometheus', 'apt-get install -y prometheus');
  const dir = tempDir('prometheus');
  const port = await freePort();
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      { job_name: 'test', static_configs: [{ targets: options.scrapeTargets }] },
      ...(options.extraScrapeConfigs ?? []),
    ],
  };
  const configPath = join(dir.path, 'prometheus.yml');
  writeFileSync(configPath, stringify(config));
  const proc = startProcess(
    'prometheus',
    binary,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { logDir: dir.path },
  );
  const url = `http://127.0.0.1:${port}`;
  const targets = async () => {
    const response = await fetch(`${url}/api/v1/targets?state=active`);
    const body = (await response.json()) as TargetsResponse;
    return (body.data?.activeTargets ?? []).filter((t) => t.labels?.job === 'test');
  };
  const server: PrometheusServer = {
    url,
    port,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data: { resultType: string; result: unknown };
      };
      if (body.status !== 'success') throw new Error(`prometheus query ${promql}: ${body.error}`);
      return body.data;
    },
    async waitForNextScrape(timeoutMs = 10_000) {
      const after = Date.now();
      await pollUntil(
        'prometheus scrape',
        async () => {
          const active = await targets();
          const fresh = active.every((t) => t.health === 'up' && Date.parse(t.lastScrape ?? '') > after);
          return active.length > 0 && fresh ? true : undefined;
        },
        { timeoutMs, everyMs: 100, process: proc },
      );
    },
    async stop() {
      await proc.stop(3000);
      dir.remove();
    },
  };
  try {
    await pollUntil('prometheus', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      everyMs: 100,
      process: proc,
    });
    if ((options.waitForFirstScrape ?? true) && options.scrapeTargets.length > 0) {
      await pollUntil(
        'prometheus first scrape',
        async () => {
          const active = await targets();
          return active.length === options.scrapeTargets.length && active.every((t) => t.health === 'up')
            ? true
            : undefined;
        },
        { timeoutMs: options.startTimeoutMs ?? 30_000, everyMs: 100, process: proc },
      );
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
