/**
 * `spillway crd`: prints the BurstScaler CustomResourceDefinition generated from the schema; with
 * `--write`, writes it and the reference documentation into the repository (what `npm run crd` does).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { renderCrdYaml } from '../spec/crd.ts';
import { generatedFiles } from '../spec/generate.ts';

/** The repository (package) root, two levels above this file. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the command's output goes; tests pass their own. */
export interface CrdCommandIo {
  stdout: (text: string) => void;
}

const processIo: CrdCommandIo = { stdout: (text) => process.stdout.write(text) };

/** Registers `crd` on the `spillway` program. */
export function registerCrdCommand(program: Command, io: CrdCommandIo = processIo): Command {
  return program
    .command('crd')
    .description('Print the BurstScaler CustomResourceDefinition, generated from the schema.')
    .option(
      '--write',
      'write deploy/crds/burstscaler.yaml and docs/reference/burstscaler.md instead of printing',
    )
    .option('--root <dir>', 'repository root to write into', PACKAGE_ROOT)
    .action(async (options: { write?: boolean; root: string }) => {
      if (options.write !== true) {
        io.stdout(renderCrdYaml());
        return;
      }
      for (const file of generatedFiles()) {
        const target = join(options.root, file.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.content);
        io.stdout(`wrote ${file.path}\n`);
      }
    });
}
