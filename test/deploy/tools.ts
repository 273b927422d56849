/**
 * The manifest tools the deploy tests run: kustomize and helm (Go binaries built by
 * test/deploy/install-tools.sh into a cache outside the repository), yamllint (Debian), and helpers to
 * run them and read what they print.
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { findExecutable } from '../servers/process.ts';

const run = promisify(execFile);

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '../..');

/** Keep in step with test/deploy/install-tools.sh. */
export const TOOL_VERSIONS = { helm: 'v3.22.0', kustomize: 'v5.8.2' } as const;

/** The command that installs the Go-built tools (CI runs it from .ci/run). */
export const INSTALL_TOOLS = 'test/deploy/install-tools.sh';

const cacheDir = (): string =>
  process.env.SPILLWAY_TOOLS_CACHE ?? join(homedir(), '.cache', 'spillway-tools');

/** A tool found on this machine: the argv prefix that runs it, and where it came from. */
export interface Tool {
  argv: string[];
  source: string;
}

function goBuilt(name: keyof typeof TOOL_VERSIONS): Tool | undefined {
  const version = TOOL_VERSIONS[name];
  const path = findExecutable(join(cacheDir(), `${name}-${version}`, 'bin', name));
  return path ? { argv: [path], source: `${name} ${version} built by ${INSTALL_TOOLS}` } : undefined;
}

/**
 * `kustomize build`: the pinned build from the tools cache, else `kustomize` on PATH, else the copy built
 * into `kubectl kustomize`. Run it with the kustomization's directory as the one argument.
 */
export function findKustomize(): Tool | undefined {
  const built = goBuilt('kustomize');
  if (built) return { ...built, argv: [...built.argv, 'build'] };
  const onPath = findExecutable('kustomize');
  if (onPath) return { argv: [onPath, 'build'], source: `kustomize on PATH (${onPath})` };
  const kubectl = findExecutable('kubectl');
  if (kubectl) return { argv: [kubectl, 'kustomize'], source: `kubectl kustomize (${kubectl})` };
  return undefined;
}

/** helm: the pinned build from the tools cache, else `helm` on PATH. */
export function findHelm(): Tool | undefined {
  const built = goBuilt('helm');
  if (built) return built;
  const onPath = findExecutable('helm');
  return onPath ? { argv: [onPath], source: `helm on PATH (${onPath})` } : undefined;
}

/** yamllint (Debian package `yamllint`). */
export function findYamllint(): Tool | undefined {
  const path = findExecutable('yamllint');
  return path ? { argv: [path], source: path } : undefined;
}

/** The message a skipped block prints: what is missing and the command that installs it. */
export function missingToolMessage(tool: string, install: string): string {
  return `\n*** SKIPPED: ${tool} is not installed on this machine. Install it with: ${install} ***\n`;
}

/** Runs a tool in the repository; rejects with its stderr when it fails. */
export async function runTool(tool: Tool, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const [file, ...prefix] = tool.argv;
  if (!file) throw new Error('runTool: empty argv');
  try {
    const { stdout } = await run(file, [...prefix, ...args], {
      cwd: options.cwd ?? REPO,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(cacheDir(), 'helm-home'),
        HELM_CONFIG_HOME: join(cacheDir(), 'helm-home'),
      },
    });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const output = [stdout.trim(), stderr.trim()].filter(Boolean).join('\n');
    throw new Error(`${[...tool.argv, ...args].join(' ')} failed: ${output || String(error)}`, {
      cause: error,
    });
  }
}

/** A Kubernetes object as rendered (any kind). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** `kind/namespace/name`, the identity used to compare renders. */
export const manifestId = (m: Manifest): string =>
  `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/**
 * Parses a multi-document YAML stream into objects, skipping empty documents. Throws on a YAML error or
 * a document that is not a Kubernetes object, naming where.
 */
export function parseManifests(text: string, where: string): Manifest[] {
  const out: Manifest[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${where}: document ${i + 1}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const object = value as Partial<Manifest>;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name)
      throw new Error(
        `${where}: document ${i + 1} is not a Kubernetes object (apiVersion, kind, metadata.name)`,
      );
    out.push(object as Manifest);
  });
  return out;
}
