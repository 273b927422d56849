import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptSection } from './doc-section.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-doc-section-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(text: string): Promise<string> {
  const path = join(dir, `${Math.abs(text.length * 31 + text.charCodeAt(0))}.md`);
  await writeFile(path, text);
  return path;
}

describe('keptSection', () => {
  it.each([
    [
      'keeps the section between the heading and the end line',
      '# Title\n\nfigures\n\n## Reading\n\n- why\n\nTraces: x\n',
      '## Reading\n\n- why\n\n',
    ],
    ['keeps a section at the very start', '## Reading\nwhy\nTraces: y\n', '## Reading\nwhy\n'],
    ['keeps to the end when the end line is missing', '# T\n## Reading\nwhy\n', '## Reading\nwhy\n'],
    ['returns nothing without the heading', '# T\n## Other\nwhy\nTraces: z\n', ''],
    ['does not take a heading that is only a prefix', '# T\n## Reading more\nwhy\n', ''],
  ])('%s', async (_what, text, expected) => {
    expect(await keptSection(await file(text), '## Reading', 'Traces:')).toBe(expected);
  });

  it('returns nothing when the file does not exist', async () => {
    expect(await keptSection(join(dir, 'missing.md'), '## Reading', 'Traces:')).toBe('');
  });
});
