/**
 * `spillway explain NAMESPACE/NAME`: why a running BurstScaler is where it is. Reads the BurstScaler
 * (and its target Deployment, for the price of one replica) through the Kubernetes API with the user's
 * kubeconfig, and prints the last decision, its reasons step by step, the cost model's arithmetic behind it
 * (`status.lastDecision.cost`), the replica counts, the conditions and the per-replica price at the spec's
 * prices.
 *
 * The controller writes the decision into the BurstScaler's status (`status.lastDecision`), so this
 * needs only read access (`get burstscalers.spillway.io`, and `get deployments` for the prices).
 */
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { V1Deployment } from '@kubernetes/client-node';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { duration, unitCosts } from '../core/cost-model.ts';
import type { Policy } from '../core/types.ts';
import { apiError, httpStatus } from '../kube/errors.ts';
import { podRequests, toResources } from '../kube/resources.ts';
import type { BurstScalerObject } from '../ports.ts';
import { compilePolicy } from '../spec/compile.ts';
import { isSpecValidationError } from '../spec/errors.ts';
import { BURST_SCALER_API, type BurstScalerStatus } from '../spec/schema.ts';

/** A BurstScaler as read from the API. */
export interface BurstScalerResource extends BurstScalerObject {
  status?: BurstScalerStatus;
}

/** Explaining failed: the object could not be read, or the arguments were wrong. */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses `NAMESPACE/NAME`. Throws commander's InvalidArgumentError saying what is allowed.
 */
export function parseScalerRef(text: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = text.split('/');
  if (namespace === undefined || name === undefined || rest.length > 0)
    throw new InvalidArgumentError(
      `must be NAMESPACE/NAME, e.g. shop/orders-worker, got ${JSON.stringify(text)}`,
    );
  if (namespace.length > 63 || !DNS_LABEL.test(namespace))
    throw new InvalidArgumentError(
      `namespace must be a DNS label (lower-case letters, digits and '-', at most 63), got ${JSON.stringify(namespace)}`,
    );
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw new InvalidArgumentError(
      `name must be a DNS subdomain (lower-case letters, digits, '-' and '.'), got ${JSON.stringify(name)}`,
    );
  return { namespace, name };
}

/** The kubeconfig from `--kubeconfig` (or $KUBECONFIG, or ~/.kube/config, or in-cluster), at `--context`. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new ExplainError(
      `reading kubeconfig ${options.kubeconfig ?? '(default)'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (options.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context))
      throw new ExplainError(
        `--context ${options.context}: no such context in the kubeconfig (it has: ${names.join(', ') || 'none'})`,
      );
    kc.setCurrentContext(options.context);
  }
  return kc;
}

/** Reads the BurstScaler. NotFound and Forbidden become messages that say what to check. */
export async function readBurstScaler(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<BurstScalerResource> {
  const operation = `reading BurstScaler ${namespace}/${name}`;
  try {
    return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: BURST_SCALER_API.group,
      version: BURST_SCALER_API.version,
      namespace,
      plural: BURST_SCALER_API.plural,
      name,
    })) as BurstScalerResource;
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404)
      throw new ExplainError(
        `${operation}: not found (list them with: kubectl get burstscalers -A; is the CRD installed?)`,
        { cause: error },
      );
    if (status === 403)
      throw new ExplainError(
        `${operation}: forbidden: your kubeconfig's user may not get burstscalers.spillway.io in namespace ${namespace}`,
        { cause: error },
      );
    throw new ExplainError(apiError(operation, error).message, { cause: error });
  }
}

/** The per-replica price lines, or why they cannot be computed. */
async function priceLines(kc: KubeConfig, scaler: BurstScalerResource): Promise<string[]> {
  let policy: Policy;
  try {
    policy = compilePolicy(scaler);
  } catch (error) {
    if (isSpecValidationError(error))
      return [`The spec is invalid, so Spillway does not act on it: ${error.message}`];
    throw error;
  }
  const { namespace } = policy.key;
  const target = `${policy.targetRef.kind} ${namespace}/${policy.targetRef.name}`;
  if (policy.targetRef.kind !== 'Deployment') return [`${target}: prices are shown for Deployments only.`];
  let deployment: V1Deployment;
  try {
    deployment = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: policy.targetRef.name });
  } catch (error) {
    return [`Could not read ${target} for its requests: ${apiError(`reading ${target}`, error).message}`];
  }
  const spec = deployment.spec?.template.spec;
  if (!spec) return [`${target} has no pod template.`];
  const requests = toResources(podRequests(spec));
  const { vm, aci } = policy.cost;
  const costs = unitCosts({
    requests,
    prices: {
      aciVcpuSecondUSD: aci.vcpuSecondUSD,
      aciGbSecondUSD: aci.gbSecondUSD,
      aciSpotPriceRatio: aci.spotPriceRatio,
      vmNodeHourlyUSD: vm.nodeHourlyUSD,
      source: 'spec',
    },
    vm,
    priority: policy.burst.aci.priority,
    observedSlotsPerNode: 0,
  });
  return costs.lines;
}

/** What `explain` shows, as data (the JSON output). */
export interface Explained {
  scaler: string;
  generation?: number;
  targetRef?: unknown;
  status?: BurstScalerStatus;
  prices: string[];
}

/** Reads everything `explain` shows. */
export async function explainScaler(kc: KubeConfig, namespace: string, name: string): Promise<Explained> {
  const scaler = await readBurstScaler(kc, namespace, name);
  const spec = (scaler.spec ?? {}) as { targetRef?: unknown };
  return {
    scaler: `${namespace}/${name}`,
    ...(scaler.metadata.generation !== undefined ? { generation: scaler.metadata.generation } : {}),
    ...(spec.targetRef !== undefined ? { targetRef: spec.targetRef } : {}),
    ...(scaler.status ? { status: scaler.status } : {}),
    prices: await priceLines(kc, scaler),
  };
}

const money = (usd: number | undefined): string => (usd === undefined ? '?' : `$${usd.toFixed(3)}/h`);

function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>(
    (w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)),
    [],
  );
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Renders an explanation for people. `now` (epoch ms) dates the decision ("4.0 min ago").
 */
export function renderExplained(explained: Explained, now: number): string {
  const out: string[] = [];
  const target = explained.targetRef as { kind?: string; name?: string } | undefined;
  out.push(
    `BurstScaler ${explained.scaler}` +
      (target?.name ? ` → ${target.kind ?? 'Deployment'} ${target.name}` : '') +
      (explained.generation !== undefined ? ` (generation ${explained.generation})` : ''),
  );
  const status = explained.status;
  const decision = status?.lastDecision;
  if (!status || !decision) {
    out.push(
      '',
      'No decision yet: Spillway has not written a status for this BurstScaler.',
      'Is the controller running and watching this namespace? kubectl -n spillway-system logs deploy/spillway',
    );
  } else {
    const at = Date.parse(decision.at);
    const age = Number.isFinite(at) ? ` (${duration(Math.max(0, (now - at) / 1000))} ago)` : '';
    out.push('', `Last decision, ${decision.at}${age}:`, `  ${decision.summary}`);
    if (
      status.observedGeneration !== undefined &&
      explained.generation !== undefined &&
      status.observedGeneration < explained.generation
    )
      out.push(
        `  (made for generation ${status.observedGeneration}; the spec has changed since, the next decision will use generation ${explained.generation})`,
      );
    out.push('', 'Why, step by step:');
    decision.reasons.forEach((reason, i) => out.push(`  ${String(i + 1).padStart(2)}. ${reason}`));
    if (decision.cost && decision.cost.length > 0) {
      out.push('', 'Cost model, at the prices the decision used:');
      out.push(...decision.cost.map((line) => `  ${line}`));
    }
    out.push(
      '',
      `Now: ${status.vmReplicas ?? '?'} on VM, ${status.aciReplicas ?? '?'} on ACI (of ${status.desiredReplicas ?? '?'} desired)` +
        ` · ${status.pendingReplicas ?? 0} pending · mode ${status.mode ?? '?'} · ${money(status.costUSDPerHour)}`,
    );
  }
  const conditions = status?.conditions ?? [];
  if (conditions.length > 0) {
    out.push('', 'Conditions:');
    const rows = conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']);
    out.push(...table(rows).map((line) => `  ${line}`));
  }
  out.push(
    '',
    'Price of one replica (at the spec’s prices; Spillway uses Azure retail prices when it can read them):',
  );
  out.push(...explained.prices.map((line) => `  ${line}`));
  return `${out.join('\n')}\n`;
}

/** Where the command's output goes and what time it is; tests pass their own. */
export interface ExplainCommandIo {
  stdout: (text: string) => void;
  now: () => number;
}

const processIo: ExplainCommandIo = {
  stdout: (text) => process.stdout.write(text),
  now: () => Date.now(),
};

/** Registers `explain` on the `spillway` program. */
export function registerExplainCommand(program: Command, io: ExplainCommandIo = processIo): Command {
  return program
    .command('explain')
    .description("Print a BurstScaler's last decision, its reasons, replica counts, conditions and prices.")
    .argument('<NAMESPACE/NAME>', 'the BurstScaler, e.g. shop/orders-worker', parseScalerRef)
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use (default: the current one)')
    .addOption(
      new Option('-o, --output <format>', 'text for people, json for scripts')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(
      async (
        ref: { namespace: string; name: string },
        options: { kubeconfig?: string; context?: string; output: 'text' | 'json' },
        command: Command,
      ) => {
        let explained: Explained;
        try {
          explained = await explainScaler(loadKubeConfig(options), ref.namespace, ref.name);
        } catch (error) {
          // A message that says what to check, not a stack trace (commander exits with status 1).
          if (error instanceof ExplainError) command.error(`error: ${error.message}`);
          throw error;
        }
        io.stdout(
          options.output === 'json'
            ? `${JSON.stringify(explained, null, 2)}\n`
            : renderExplained(explained, io.now()),
        );
      },
    );
}
