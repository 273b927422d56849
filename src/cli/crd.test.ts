import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { renderCrdYaml } from '../spec/crd.ts';
import { generatedFiles } from '../spec/generate.ts';
import { registerCrdCommand } from './crd.ts';

/** Runs `spillway <args>` with the crd command registered, capturing what it prints. */
async function run(args: string[]): Promise<string> {
  let output = '';
  const program = new Command('spillway').exitOverride().configureOutput({ writeErr: () => undefined });
  registerCrdCommand(program, { stdout: (text) => (output += text) });
  await program.parseAsync(args, { from: 'user' });
  return output;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('spillway crd', () => {
  it('prints the CRD YAML', async () => {
    expect(await run(['crd'])).toBe(renderCrdYaml());
  });

  it('--write writes the CRD and the reference into the repository layout', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spillway-crd-'));
    dirs.push(root);
    const output = await run(['crd', '--write', '--root', root]);
    expect(output).toBe('wrote deploy/crds/burstscaler.yaml\nwrote docs/reference/burstscaler.md\n');
    for (const file of generatedFiles()) {
      expect(await readFile(join(root, file.path), 'utf8')).toBe(file.content);
    }
  });

  it('rejects an unknown option', async () => {
    await expect(run(['crd', '--wrte'])).rejects.toMatchObject({ code: 'commander.unknownOption' });
  });
});
