/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what a build would depend on:
 * it lints clean (dockerfile-utils); it is multi-stage on a pinned Node (the version the tests run on),
 * installs dependencies exactly as CI does (`npm ci`, production only), ends distroless as a non-root
 * user; everything `spillway` imports at run time is a production dependency; and the entry point starts
 * from the image's layout (Node strips TypeScript types there: src/ is not under node_modules).
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO } from './tools.ts';

const run = promisify(execFile);
const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const testedNode = (
  JSON.parse(readFileSync(join(REPO, 'node_modules/node/package.json'), 'utf8')) as { version: string }
).version;

/** The instructions of each stage, in order. */
function stages(): { from: string; name: string | null; instructions: Instruction[] }[] {
  const out: { from: string; name: string | null; instructions: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile
        .getFROMs()
        .find((f) => f.getRange().start.line === instruction.getRange().start.line);
      out.push({ from: from?.getImage() ?? '', name: from?.getBuildStage() ?? null, instructions: [] });
    } else out.at(-1)?.instructions.push(instruction);
  }
  return out;
}

/** A stage's instructions of one keyword, arguments joined. */
const args = (instructions: Instruction[], keyword: string): string[] =>
  instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

/** The value of `ARG NAME=value` before the first stage. */
function initialArg(name: string): string | undefined {
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property?.getName() === name) return property.getValue() ?? undefined;
  }
  return undefined;
}

/** The JSON-form arguments of ENTRYPOINT or CMD in a stage. */
function jsonForm(instructions: Instruction[], keyword: string): string[] {
  const found = args(instructions, keyword);
  expect(found, `${keyword} appears once`).toHaveLength(1);
  return JSON.parse(found[0]!) as string[];
}

describe('Dockerfile', () => {
  it('lints clean with every dockerfile-utils check an error', () => {
    const strict = Object.fromEntries(
      [
        'deprecatedMaintainer',
        'directiveCasing',
        'emptyContinuationLine',
        'instructionCasing',
        'instructionCmdMultiple',
        'instructionEntrypointMultiple',
        'instructionHealthcheckMultiple',
        'instructionJSONInSingleQuotes',
        'instructionWorkdirRelative',
      ].map((rule) => [rule, ValidationSeverity.ERROR]),
    );
    expect(
      validate(text, strict).map(
        (d) =>
          `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
      ),
    ).toEqual([]);
  });

  it('the linter does catch problems (a broken copy fails)', () => {
    const broken = text.replace('FROM gcr.io', 'from gcr.io').replace('WORKDIR /app', 'WORKDIR app');
    expect(
      validate(broken, {
        instructionCasing: ValidationSeverity.ERROR,
        instructionWorkdirRelative: ValidationSeverity.ERROR,
      }).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('builds on the exact Node version the tests run on, pinned, and ends on a distroless base', () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(initialArg('NODE_VERSION')).toBe(testedNode);
    expect(all[0]?.from).toBe('node:${NODE_VERSION}-bookworm-slim');
    for (const stage of all) expect(stage.from, stage.from).not.toMatch(/:latest$|^[^:]+$/);
    const final = all.at(-1)!;
    expect(final.from).toMatch(/^gcr\.io\/distroless\/cc-debian12:nonroot$/);
    // No shell in the final image, so no RUN there either.
    expect(args(final.instructions, 'RUN')).toEqual([]);
  });

  it('installs production dependencies exactly as CI installs them (npm ci)', () => {
    const ci = readFileSync(join(REPO, '.ci/run'), 'utf8');
    const ciInstall = /^npm ci(.*)$/m.exec(ci)?.[1]?.trim().split(/\s+/) ?? [];
    expect(ciInstall.length).toBeGreaterThan(0);
    const build = stages()[0]!;
    const installs = args(build.instructions, 'RUN').filter((r) => r.startsWith('npm '));
    expect(installs).toEqual([`npm ci --omit=dev ${ciInstall.join(' ')}`]);
    expect(args(build.instructions, 'COPY')[0]).toBe('package.json package-lock.json ./');
  });

  it('runs `node src/cli/main.ts run` from /app as a non-root user', () => {
    const final = stages().at(-1)!;
    expect(args(final.instructions, 'WORKDIR')).toEqual(['/app']);
    const user = args(final.instructions, 'USER');
    expect(user).toHaveLength(1);
    expect(Number(user[0]!.split(':')[0])).toBeGreaterThan(0);
    expect([...jsonForm(final.instructions, 'ENTRYPOINT'), ...jsonForm(final.instructions, 'CMD')]).toEqual([
      '/usr/local/bin/node',
      '/app/src/cli/main.ts',
      'run',
    ]);
    const copied = args(final.instructions, 'COPY').map((c) => c.split(/\s+/).at(-1));
    expect(copied).toEqual(
      expect.arrayContaining(['./package.json', './node_modules', './src', '/usr/local/bin/node']),
    );
  });

  it('the Deployment runs the image’s command (its args start with `run`)', () => {
    const deployment = parse(readFileSync(join(REPO, 'deploy/base/deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { args: string[]; command?: string[] }[] } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe(jsonForm(stages().at(-1)!.instructions, 'CMD')[0]);
  });
});

/** Relative .ts imports and bare package imports of every module reachable from `entry`. */
function importGraph(entry: string): { files: string[]; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, relative(REPO, file));
      }
    }
  };
  visit(join(REPO, entry));
  return { files: [...files].map((f) => relative(REPO, f)), packages };
}

describe('the image’s run-time code', () => {
  const graph = importGraph('src/cli/main.ts');

  it('imports only production dependencies (the image installs no others)', () => {
    const notProduction = [...graph.packages]
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, from]) => `${name} (imported by ${from})`);
    expect(notProduction).toEqual([]);
    expect(graph.packages.size).toBeGreaterThan(3);
  });

  it('imports no test file (.dockerignore leaves them out)', () => {
    expect(readFileSync(join(REPO, '.dockerignore'), 'utf8')).toContain('src/**/*.test.ts');
    expect(graph.files.filter((f) => f.endsWith('.test.ts') || !f.startsWith('src/'))).toEqual([]);
  });

  describe('laid out as in the image', () => {
    const app = mkdtempSync(join(tmpdir(), 'spillway-image-'));
    afterAll(() => rmSync(app, { recursive: true, force: true }));
    cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
    cpSync(join(REPO, 'src'), join(app, 'src'), {
      recursive: true,
      filter: (src) => !src.endsWith('.test.ts'),
    });
    symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'));
    const node = join(REPO, 'node_modules/.bin/node');
    const spillway = (...argv: string[]) =>
      run(node, [join(app, 'src/cli/main.ts'), ...argv], {
        cwd: app,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      });

    it('starts: Node strips the types of src/ and the command line loads', async () => {
      const { stdout } = await spillway('--help');
      expect(stdout).toContain('Usage: spillway');
    });

    const help = execFileSync(node, [join(app, 'src/cli/main.ts'), '--help'], { cwd: app, encoding: 'utf8' });
    const hasRun = /^\s+run\b/m.test(help);
    if (!hasRun)
      console.warn(
        '\n*** SKIPPED: `spillway run` is not registered yet (the controller issue adds it) ***\n',
      );

    it.runIf(hasRun)(
      '`spillway run` takes every flag and environment variable the Deployment sets, and the Lease its Role allows',
      async () => {
        const help = (await spillway('run', '--help')).stdout.replace(/\s+/g, ' ');
        const deployment = parse(readFileSync(join(REPO, 'deploy/base/deployment.yaml'), 'utf8')) as {
          spec: { template: { spec: { containers: { args: string[]; env: { name: string }[] }[] } } };
        };
        const container = deployment.spec.template.spec.containers[0]!;
        const flags = container.args.slice(1).map((a) => a.split('=')[0]!);
        const envs = container.env.map((e) => `env: ${e.name}`);
        expect([...flags, ...envs].filter((word) => !help.includes(word))).toEqual([]);
        const rbac = parseAllDocuments(readFileSync(join(REPO, 'deploy/base/rbac.yaml'), 'utf8')).map(
          (d) => d.toJS() as { kind: string; rules?: { resources: string[]; resourceNames?: string[] }[] },
        );
        const leaseNames = rbac
          .flatMap((o) => o.rules ?? [])
          .filter((r) => r.resources.includes('leases'))
          .flatMap((r) => r.resourceNames ?? []);
        expect(leaseNames).toHaveLength(1);
        expect(help).toContain(`--lease-name <name> name of the leader Lease (default: "${leaseNames[0]}"`);
      },
    );
  });
});
