/**
 * Every dashboard query and every alert expression, run against a real Prometheus (Debian package
 * prometheus) scraping `spillway demo` — Spillway's real controller on the simulated cluster and the
 * simulated ACI — once a second.
 *
 * How it runs: the demo starts as a child process (`node src/cli/main.ts demo --duration … --metrics-address
 * 127.0.0.1:<port>`), Prometheus starts with the alert rules loaded and scrapes it, and the test waits
 * until the demo has burst to ACI and back (groups created, Ready, drained and deleted). While the demo
 * still runs (a stopped target's series go stale at once), each query is run as an instant query with
 * Grafana's variables replaced: `$namespace` and `$scaler` by `.*` (the dashboards' All), `$__rate_interval`
 * and `$__range` by a window covering the whole run. A query fails the test when Prometheus answers an
 * error or no series — and so does each `spillway_…{…}` selector inside it on its own, so an `or` cannot
 * hide a metric that does not exist.
 *
 * Alerts: a quiet alert returns nothing, so each rule's `probe` (the expression inside its comparison,
 * see src/telemetry/alerts.ts) must return series, and the full expression must evaluate without error.
 * Prometheus also evaluates the loaded rules itself; every rule must report health `ok`.
 *
 * The demo produces data for every query: its BurstScaler has an ACI budget its bursts run into, its
 * simulated ACI answers the first burst's creates with injected faults (500s, a 429 with Retry-After, no
 * capacity in the first region), and the simulated cluster reports its caches as informers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_RULES, ruleGroups } from '../../src/telemetry/alerts.ts';
import { buildDashboards, panelSummaries } from '../../src/telemetry/dashboards.ts';
import { startPrometheus } from '../servers/prometheus.ts';
import type { PrometheusServer } from '../servers/prometheus.ts';
import { freePort, MissingServerError, pollUntil, startProcess } from '../servers/process.ts';
import type { ServerProcess } from '../servers/process.ts';

const root = join(import.meta.dirname, '..', '..');
/** Real seconds the demo may run; the test stops it as soon as it has what it needs. */
const DEMO_SECONDS = 40;
/** Replaces $__rate_interval and $__range: longer than the whole run, so every counter has two samples. */
const WINDOW = '5m';

interface Vector {
  resultType: string;
  result: unknown[];
}

/** Grafana's variables as the dashboards' All and a window covering the run. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$scaler', '.*')
    .replaceAll('$__rate_interval', WINDOW)
    .replaceAll('$__range', WINDOW);
}

/** Every `spillway_…` selector in a query, with its label matchers. */
function selectors(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\bspillway_[a-z_]+(\{[^}]*\})?/g)].map((m) => m[0]))];
}

interface Check {
  where: string;
  expr: string;
}

const dashboardChecks: Check[] = buildDashboards().flatMap(({ dashboard }) =>
  panelSummaries(dashboard).flatMap((panel) =>
    panel.queries.map((q) => ({ where: `${dashboard.title} › ${panel.title} › ${q.refId}`, expr: q.expr })),
  ),
);

let demo: ServerProcess | undefined;
let prometheus: PrometheusServer | undefined;
let skipped: string | undefined;
const dir = mkdtempSync(join(tmpdir(), 'spillway-telemetry-'));

async function query(expr: string): Promise<Vector> {
  return (await prometheus!.query(expr)) as Vector;
}

beforeAll(
  async () => {
    const port = await freePort();
    const rules = join(dir, 'rules.yml');
    writeFileSync(rules, stringify(ruleGroups()));
    try {
      prometheus = await startPrometheus({
        scrapeTargets: [`127.0.0.1:${port}`],
        ruleFiles: [rules],
        waitForFirstScrape: false,
      });
    } catch (error) {
      if (!(error instanceof MissingServerError)) throw error;
      skipped = `SKIPPED: dashboard and alert queries against Prometheus: ${error.message}`;
      if (process.env.CI) throw new Error(`${skipped} (CI must install it: see .ci/run)`, { cause: error });
      console.warn(`\n*** ${skipped} ***\n`);
      return;
    }
    demo = startProcess(
      'spillway-demo',
      join(root, 'node_modules', '.bin', 'node'),
      [
        join(root, 'src', 'cli', 'main.ts'),
        'demo',
        '--duration',
        String(DEMO_SECONDS),
        '--metrics-address',
        `127.0.0.1:${port}`,
        '--report',
        join(dir, 'report.html'),
      ],
      { logDir: dir, cwd: root },
    );
    // The demo has burst to ACI and back: groups created, Ready (create-to-running observed), drained and deleted.
    await pollUntil(
      'the demo to burst to ACI and drain',
      async () => {
        const ready = await query('sum(spillway_aci_create_to_running_seconds_count) > 0');
        const drained = await query('sum(spillway_aci_drain_seconds_count) > 0');
        const scrapes = await query('count_over_time(spillway_ticks_total[5m]) >= 5');
        return ready.result.length > 0 && drained.result.length > 0 && scrapes.result.length > 0
          ? true
          : undefined;
      },
      { timeoutMs: (DEMO_SECONDS - 10) * 1000, everyMs: 500, process: demo },
    );
    await prometheus.waitForNextScrape();
  },
  (DEMO_SECONDS + 30) * 1000,
);

afterAll(async () => {
  await demo?.stop(10_000);
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('against a real Prometheus scraping spillway demo', () => {
  it('every dashboard query returns series', async () => {
    if (skipped) return;
    const problems: string[] = [];
    for (const check of dashboardChecks) {
      const empty: string[] = [];
      try {
        const result = await query(substitute(check.expr));
        if (result.result.length === 0) empty.push(check.expr);
        for (const selector of selectors(check.expr)) {
          const found = await query(`count(${substitute(selector)})`);
          if (found.result.length === 0) empty.push(selector);
        }
      } catch (error) {
        problems.push(`${check.where}: ${(error as Error).message}`);
        continue;
      }
      if (empty.length > 0)
        problems.push(`${check.where}: no series for ${[...new Set(empty)].join(' and ')}`);
    }
    expect(problems).toEqual([]);
    expect(dashboardChecks.length).toBeGreaterThan(40);
  });

  it('every alert expression evaluates, and its probe returns series', async () => {
    if (skipped) return;
    const problems: string[] = [];
    for (const rule of ALERT_RULES) {
      try {
        await query(rule.expr);
        const probe = await query(rule.probe);
        if (probe.result.length === 0) problems.push(`${rule.alert}: probe ${rule.probe} returned no series`);
      } catch (error) {
        problems.push(`${rule.alert}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('Prometheus loaded every rule and evaluates it without error', async () => {
    if (skipped) return;
    const response = await fetch(`${prometheus!.url}/api/v1/rules?type=alert`);
    const body = (await response.json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toEqual(ALERT_RULES.map((r) => r.alert));
    await pollUntil(
      'every rule evaluated',
      async () => {
        const latest = (await (
          await fetch(`${prometheus!.url}/api/v1/rules?type=alert`)
        ).json()) as typeof body;
        const all = latest.data.groups.flatMap((g) => g.rules);
        return all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      { timeoutMs: 10_000, everyMs: 200 },
    ).then((all) => {
      expect(
        all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      ).toEqual([]);
    });
  });
});
