/**
 * Writes or checks the Helm chart generated from the kustomize base (see chart.ts):
 *
 *   node_modules/.bin/node test/deploy/generate-chart.ts --write   write charts/spillway
 *   node_modules/.bin/node test/deploy/generate-chart.ts           list files that differ (exit 1 if any)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateChart } from './chart.ts';
import { REPO } from './tools.ts';

const write = process.argv.includes('--write');
let stale = 0;
for (const file of await generateChart()) {
  const target = join(REPO, file.path);
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === file.content) continue;
  if (write) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    process.stdout.write(`wrote ${file.path}\n`);
  } else {
    process.stdout.write(`stale: ${file.path}\n`);
    stale += 1;
  }
}
if (stale > 0) {
  process.stdout.write(
    `${stale} file(s) differ; run: node_modules/.bin/node test/deploy/generate-chart.ts --write\n`,
  );
  process.exitCode = 1;
}
