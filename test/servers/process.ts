/**
 * Plumbing for test servers: free loopback ports, temp folders, child processes in their own process
 * group (so stopping one stops its children too), and polling until ready.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh folder under the OS temp dir; `remove()` deletes it. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `spillway-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The absolute path of an executable on PATH or at an absolute path, or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Thrown when a server's program is not installed; the message says which package provides it. */
export class MissingServerError extends Error {
  override readonly name = 'MissingServerError';
  constructor(program: string, install: string) {
    super(`${program} is not installed: ${install}`);
  }
}

export interface ServerProcess {
  pid: number;
  /** The process's combined output so far (for error messages). */
  log(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<number>();
process.once('exit', () => {
  // Last resort if a run is killed without teardown: never leave servers behind.
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts `command` in its own process group with output to `<logDir>/<name>.log`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logDir: string },
): ServerProcess {
  const logPath = join(options.logDir, `${name}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd ?? options.logDir,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
  running.add(pid);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(pid);
      resolve(code);
    });
    child.once('error', () => {
      running.delete(pid);
      resolve(null);
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone
    }
  };
  return {
    pid,
    exited,
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    async stop(graceMs = 3000) {
      if (!running.has(pid)) {
        signal('SIGKILL');
        return;
      }
      signal('SIGTERM');
      const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'late') signal('SIGKILL');
      await exited;
      // Children that outlived their parent (same group).
      signal('SIGKILL');
    },
  };
}

/**
 * Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes; fails
 * early when `process` exits. Used only for server start-up in test setup.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; everyMs?: number; process?: ServerProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let exitCode: number | null | undefined;
  void options.process?.exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `${what}: the process exited (${exitCode}) before it was ready:\n${options.process?.log().slice(-2000)}`,
      );
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
  const log = options.process?.log().slice(-2000) ?? '';
  throw new Error(`${what}: not ready after ${options.timeoutMs} ms (${String(lastError)})\n${log}`);
}

/** One server program run by {@link launchServer}. */
export interface LaunchOptions {
  /** Temp-folder prefix and log file name. */
  name: string;
  /** What start-up errors call the server. */
  label: string;
  command: string;
  /** The arguments, given the server's temp folder (which is also its working directory). */
  args: (dir: string) => readonly string[];
  /** True once the server answers. */
  ready: () => Promise<boolean>;
  timeoutMs: number;
}

/**
 * Starts a server in a fresh temp folder and waits (every 50 ms) until it is ready; if it never is, the
 * process is stopped and the folder removed before the error is thrown. Returns the server's stop: SIGTERM,
 * SIGKILL after 2 s, then the folder removed.
 */
export async function launchServer(options: LaunchOptions): Promise<() => Promise<void>> {
  const dir = tempDir(options.name);
  const proc = startProcess(options.name, options.command, options.args(dir.path), { logDir: dir.path });
  try {
    await pollUntil(options.label, async () => ((await options.ready()) ? true : undefined), {
      timeoutMs: options.timeoutMs,
      everyMs: 50,
      process: proc,
    });
  } catch (error) {
    await proc.stop(0);
    dir.remove();
    throw error;
  }
  return async () => {
    await proc.stop(2000);
    dir.remove();
  };
}
