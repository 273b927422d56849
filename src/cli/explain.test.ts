import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScalerRef, registerExplainCommand, renderExplained } from './explain.ts';
import type { BurstScalerStatus } from '../spec/schema.ts';

/** A BurstScaler as the API server returned it, with the status the real decide() wrote. */
const RECORDED = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../../test/deploy/fixtures/burstscaler-orders-worker.json'),
    'utf8',
  ),
) as { metadata: { generation: number }; status: Record<string, unknown> };

const SCALER_PATH = '/apis/spillway.io/v1alpha1/namespaces/shop/burstscalers/orders-worker';
const DEPLOYMENT_PATH = '/apis/apps/v1/namespaces/shop/deployments/orders-worker';

const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'orders-worker', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'orders-worker' } },
    template: {
      metadata: { labels: { app: 'orders-worker' } },
      spec: {
        containers: [{ name: 'worker', image: 'w:1', resources: { requests: { cpu: '1', memory: '4Gi' } } }],
      },
    },
  },
};

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason,
  message,
  code,
});

/** A local API server answering with recorded objects; records each request's path and token. */
class FakeApi {
  readonly server: Server;
  readonly requests: { path: string; authorization: string | undefined }[] = [];
  routes = new Map<string, { code: number; body: unknown }>();

  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      this.requests.push({ path, authorization: req.headers.authorization });
      const route = this.routes.get(path) ?? {
        code: 404,
        body: status(404, 'NotFound', `${path} not found`),
      };
      res.writeHead(route.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(route.body));
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
}

const api = new FakeApi();
const work = mkdtempSync(join(tmpdir(), 'spillway-explain-'));
const kubeconfig = join(work, 'kubeconfig');
const NOW = Date.parse('2026-11-02T09:34:00Z');

beforeAll(async () => {
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const server = `http://127.0.0.1:${api.port}`;
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [
        { name: 'reader', user: { token: 'reader-token' } },
        { name: 'admin', user: { token: 'admin-token' } },
      ],
      contexts: [
        { name: 'prod', context: { cluster: 'local', user: 'reader' } },
        { name: 'ops', context: { cluster: 'local', user: 'admin' } },
      ],
      'current-context': 'prod',
    }),
  );
});
afterAll(async () => {
  await new Promise((resolve) => api.server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  api.requests.length = 0;
  api.routes = new Map<string, { code: number; body: unknown }>([
    [SCALER_PATH, { code: 200, body: RECORDED }],
    [DEPLOYMENT_PATH, { code: 200, body: DEPLOYMENT }],
  ]);
});

/** Runs `spillway explain ...args`; returns what it printed and its exit code. */
async function explain(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('spillway')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerExplainCommand(program, { stdout: (s) => (stdout += s), now: () => NOW });
  try {
    await program.parseAsync(['explain', ...args, '--kubeconfig', kubeconfig], { from: 'user' });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    if (error instanceof CommanderError) return { stdout, stderr, exitCode: error.exitCode };
    throw error;
  }
}

describe('spillway explain', () => {
  it('prints the last decision, its reasons, the counts, the conditions and the price arithmetic', async () => {
    const { stdout, stderr, exitCode } = await explain('shop/orders-worker');
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('BurstScaler shop/orders-worker → Deployment orders-worker (generation 3)');
    expect(stdout).toContain('Last decision, 2026-11-02T09:30:00.000Z (4.0 min ago):');
    expect(stdout).toContain('  desired 14: 9 on VM, 5 on ACI (spill), Deployment 9');
    expect(stdout).toContain('   1. orders-queue: 140 / 10 per replica → 14');
    expect(stdout).toContain('   2. Desired 14 replicas: 9 on VM now, 5 more needed, 5 need new capacity.');
    expect(stdout).toContain('Now: 9 on VM, 0 on ACI (of 14 desired) · 0 pending · mode spill · $0.576/h');
    expect(stdout).toMatch(/ {2}Bursting +True +Spilling +5 replicas on ACI; the Deployment is capped at 9/);
    expect(stdout).toMatch(/ {2}BudgetExhausted +False +WithinBudget +ACI spend \$0\.00\/h of \$20\.00\/h\./);
    // The cost model's own arithmetic for this template (1 vCPU / 4 GiB) at the spec's prices.
    expect(stdout).toContain('ACI bills 1 vCPU + 4 GB per replica');
    expect(stdout).toContain(
      'New nodes fill 85% of their slots over their life (spec.cost.vm.packingPercent) → $0.0753/h per replica served on new nodes',
    );
    expect(stdout).toContain('ACI / VM replica-hour = 0.77×');
    // The decision's own cost arithmetic, as the controller stored it in status.lastDecision.cost.
    const cost = stdout.slice(stdout.indexOf('Cost model, at the prices the decision used:'));
    expect(cost).toContain('  Burst has lasted 2.0 min; Lindy estimate of what remains: 2.0 min.');
    expect(cost).toContain('    spill all 5 on ACI: ACI $0.0146 + VM $0.0000 = $0.0146');
    expect(cost).toContain('  Chosen: spill only (5 on ACI).');
    expect(stdout.indexOf('Cost model')).toBeLessThan(stdout.indexOf('Now: 9 on VM'));
  });

  it('prints no cost section for a status written before decisions carried one', () => {
    const old = structuredClone(RECORDED.status) as { lastDecision: Record<string, unknown> };
    delete old.lastDecision.cost;
    const text = renderExplained(
      { scaler: 'shop/orders-worker', status: old as BurstScalerStatus, prices: [] },
      Date.parse('2026-11-02T09:34:00Z'),
    );
    expect(text).toContain('   2. Desired 14 replicas: 9 on VM now, 5 more needed, 5 need new capacity.');
    expect(text).not.toContain('Cost model');
  });

  it.each([
    ['the current context', [], 'Bearer reader-token'],
    ['--context ops', ['--context', 'ops'], 'Bearer admin-token'],
  ])('reads through %s', async (_name, args, token) => {
    await explain('shop/orders-worker', ...args);
    expect(api.requests).toEqual([
      { path: SCALER_PATH, authorization: token },
      { path: DEPLOYMENT_PATH, authorization: token },
    ]);
  });

  it('prints JSON for scripts', async () => {
    const { stdout } = await explain('shop/orders-worker', '-o', 'json');
    const out = JSON.parse(stdout) as {
      scaler: string;
      generation: number;
      status: unknown;
      prices: string[];
    };
    expect(out.scaler).toBe('shop/orders-worker');
    expect(out.generation).toBe(3);
    expect(out.status).toEqual(RECORDED.status);
    expect(out.prices).toEqual([
      expect.stringMatching(/^ACI bills 1 vCPU \+ 4 GB per replica/),
      expect.stringMatching(/^VM node \$0\.192\/h/),
      expect.stringMatching(/^New nodes fill 85% of their slots/),
      expect.stringMatching(/^ACI \/ VM replica-hour = 0\.77×/),
    ]);
  });

  it.each([
    [
      'a missing BurstScaler',
      404,
      'NotFound',
      'error: reading BurstScaler shop/orders-worker: not found (list them with: kubectl get burstscalers -A',
    ],
    [
      'a user without access',
      403,
      'Forbidden',
      "error: reading BurstScaler shop/orders-worker: forbidden: your kubeconfig's user may not get burstscalers.spillway.io in namespace shop",
    ],
    [
      'an API server error',
      500,
      'InternalError',
      'error: reading BurstScaler shop/orders-worker: etcd is down (HTTP 500',
    ],
  ])('says what to check on %s (exit 1, no stack trace)', async (_name, code, reason, message) => {
    api.routes.set(SCALER_PATH, { code, body: status(code, reason, 'etcd is down') });
    const { stdout, stderr, exitCode } = await explain('shop/orders-worker');
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('    at ');
  });

  it('says when Spillway has not decided yet', async () => {
    const { status: _status, ...noStatus } = RECORDED;
    api.routes.set(SCALER_PATH, { code: 200, body: noStatus });
    const { stdout } = await explain('shop/orders-worker');
    expect(stdout).toContain('No decision yet: Spillway has not written a status for this BurstScaler.');
    expect(stdout).not.toContain('Why, step by step');
  });

  it('says when the decision predates the current spec', async () => {
    api.routes.set(SCALER_PATH, {
      code: 200,
      body: { ...RECORDED, metadata: { ...RECORDED.metadata, generation: 4 } },
    });
    const { stdout } = await explain('shop/orders-worker');
    expect(stdout).toContain(
      '(made for generation 3; the spec has changed since, the next decision will use generation 4)',
    );
  });

  it('still explains the decision when the target cannot be read for prices', async () => {
    api.routes.delete(DEPLOYMENT_PATH);
    const { stdout, exitCode } = await explain('shop/orders-worker');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('desired 14: 9 on VM, 5 on ACI (spill)');
    expect(stdout).toContain('Could not read Deployment shop/orders-worker for its requests:');
  });

  it('says why a spec is not acted on', async () => {
    api.routes.set(SCALER_PATH, {
      code: 200,
      body: { ...RECORDED, spec: { ...(RECORDED as unknown as { spec: object }).spec, maxReplicas: 0 } },
    });
    const { stdout } = await explain('shop/orders-worker');
    expect(stdout).toMatch(/The spec is invalid, so Spillway does not act on it: .*spec\.maxReplicas/);
  });

  it('names the contexts when --context is wrong', async () => {
    const { stderr, exitCode } = await explain('shop/orders-worker', '--context', 'staging');
    expect(exitCode).toBe(1);
    expect(stderr).toContain(
      'error: --context staging: no such context in the kubeconfig (it has: prod, ops)',
    );
    expect(api.requests).toEqual([]);
  });
});

describe('parseScalerRef', () => {
  it.each([
    ['shop/orders-worker', { namespace: 'shop', name: 'orders-worker' }],
    ['web/storefront.v2', { namespace: 'web', name: 'storefront.v2' }],
  ])('%s', (text, ref) => expect(parseScalerRef(text)).toEqual(ref));

  it.each([
    ['orders-worker', 'must be NAMESPACE/NAME, e.g. shop/orders-worker, got "orders-worker"'],
    ['a/b/c', 'must be NAMESPACE/NAME'],
    ['Shop/orders', 'namespace must be a DNS label'],
    ['shop/Orders_Worker', 'name must be a DNS subdomain'],
    ['/orders', 'namespace must be a DNS label'],
  ])('rejects %s', (text, message) => expect(() => parseScalerRef(text)).toThrow(message));
});
