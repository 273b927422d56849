/**
 * Every YAML file in the repository passes yamllint (Debian package `yamllint`) with the committed
 * configuration (.yamllint.yaml), warnings included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findYamllint, missingToolMessage, REPO, runTool } from './tools.ts';

const yamllint = findYamllint();
if (!yamllint) {
  const message = missingToolMessage('yamllint', 'apt-get install -y yamllint');
  if (process.env.CI) throw new Error(`${message} (CI must install it: see .ci/run)`);
  console.warn(message);
}

describe.skipIf(!yamllint)('yamllint', () => {
  const work = mkdtempSync(join(tmpdir(), 'spillway-yamllint-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('passes on every YAML file of the repository (--strict)', async () => {
    const out = await runTool(yamllint!, ['--strict', '-f', 'parsable', '.']);
    expect(out.trim()).toBe('');
  });

  it.each([
    ['a duplicated key', 'a: 1\na: 2\n', 'key-duplicates'],
    ['bad indentation', 'a:\n   b: 1\n  c: 2\n', 'syntax'],
    ['trailing spaces', 'a: 1   \n', 'trailing-spaces'],
  ])('fails on %s with the same configuration', async (_name, content, rule) => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, content);
    await expect(
      runTool(yamllint!, ['--strict', '-f', 'parsable', '-c', join(REPO, '.yamllint.yaml'), file]),
    ).rejects.toThrow(rule);
  });
});
