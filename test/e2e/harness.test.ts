/**
 * The harness's own promise: when a component cannot start, start() fails with that component's log and
 * leaves nothing behind (no process, no temporary folder).
 */
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentError, ControlPlane, locateBinaries, type E2eBinaries } from './harness.ts';

let scratch: string;
let binaries: E2eBinaries;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'spillway-e2e-fakes-'));
  binaries = await locateBinaries();
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** An executable that writes `message` to stderr and exits with `code`. */
async function failingBinary(name: string, message: string, code: number): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, `#!/bin/sh\necho '${message}' >&2\nexit ${code}\n`);
  await chmod(path, 0o755);
  return path;
}

/** Command lines of running processes that mention `text`. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
  }
  return found;
}

describe('ControlPlane.start when a component fails', () => {
  it.each([
    { component: 'kube-apiserver', key: 'kubeApiserver' },
    { component: 'kube-scheduler', key: 'kubeScheduler' },
  ] as const)(
    'fails naming $component with its log, and stops everything it started',
    async ({ component, key }) => {
      const fake = await failingBinary(component, `${component}: cannot bind (simulated)`, 3);
      const attempt = ControlPlane.start({ binaries: { ...binaries, [key]: fake }, startTimeoutMs: 60_000 });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ComponentError);
      const failure = error as ComponentError;
      expect(failure.component).toBe(component);
      expect(failure.message).toContain('exited with code 3');
      expect(failure.logTail).toContain(`${component}: cannot bind (simulated)`);
      // The temporary folder (which held the log) is gone, and so is every process that used it.
      const dir = failure.logPath.slice(0, failure.logPath.indexOf('/logs/'));
      await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await processesMentioning(dir)).toEqual([]);
    },
  );
});
