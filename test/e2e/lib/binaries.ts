import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from './errors.ts';

const run = promisify(execFile);

/** The repository root (two levels above test/e2e/lib). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute paths of the binaries the control plane runs. */
export interface E2eBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly kwok: string;
  /**
   * KWOK's stock Stage manifests from the pinned kwok module (node initialize + heartbeat with lease,
   * pod ready/complete/delete); the kwok binary has no built-in stages, kwokctl normally supplies these.
   */
  readonly kwokStages: readonly string[];
}

/** The stock stages the harness gives KWOK, as copied by scripts/e2e-binaries.sh into <kwok>/stages. */
export const KWOK_STAGE_FILES = [
  'node-initialize.yaml',
  'node-heartbeat-with-lease.yaml',
  'pod-ready.yaml',
  'pod-complete.yaml',
  'pod-delete.yaml',
] as const;

/**
 * Finds the binaries built by `scripts/e2e-binaries.sh` (asking the script, which owns the cache layout
 * and the pinned versions). Fails with instructions when they have not been built yet.
 */
export async function locateBinaries(): Promise<E2eBinaries> {
  const script = join(repoRoot, 'scripts', 'e2e-binaries.sh');
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, '--print']));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new HarnessError(
      `the end-to-end binaries are not built: ${stderr.trim() || String(error)}\n` +
        'Build them once with scripts/e2e-binaries.sh (cached under $SPILLWAY_E2E_CACHE or ~/.cache/spillway-e2e; ' +
        'a cold build takes tens of minutes on 2 cores).',
      { cause: error },
    );
  }
  const dirs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([\w-]+):\s+(\S.*)$/.exec(line.trim());
    if (match?.[1] && match[2]) dirs.set(match[1], match[2]);
  }
  const dir = (component: string): string => {
    const found = dirs.get(component);
    if (!found)
      throw new HarnessError(`scripts/e2e-binaries.sh --print did not name a folder for ${component}`);
    return found;
  };
  return {
    etcd: join(dir('etcd'), 'etcd'),
    kubeApiserver: join(dir('kubernetes'), 'kube-apiserver'),
    kubeControllerManager: join(dir('kubernetes'), 'kube-controller-manager'),
    kubeScheduler: join(dir('kubernetes'), 'kube-scheduler'),
    kubectl: join(dir('kubernetes'), 'kubectl'),
    kwok: join(dir('kwok'), 'kwok'),
    kwokStages: KWOK_STAGE_FILES.map((file) => join(dir('kwok-stages'), file)),
  };
}
