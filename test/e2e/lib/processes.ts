import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ComponentError, HarnessError } from './errors.ts';

/** How a component process ended. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Process groups still running, killed if the test process exits without stopping them. */
const liveGroups = new Set<number>();
/** Temporary folders to remove if the test process is killed before it removes them itself. */
const ownedDirs = new Set<string>();
let exitHookInstalled = false;
/** The file the watchdog reads: `g <pgid>` and `d <folder>` lines. */
let watchdogFile: string | undefined;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // When the test process ends (or is interrupted) without calling stop(): nothing outlives it.
  process.once('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      process.kill(process.pid, signal);
    });
  }
  // And when it is killed outright (SIGKILL, out of memory), exit hooks do not run: a detached watchdog
  // polls this process and, once it is gone, kills the groups and removes the folders listed in the file.
  watchdogFile = join(tmpdir(), `spillway-e2e-watchdog-${process.pid}`);
  writeFileSync(watchdogFile, '');
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'while read -r kind value; do case "$kind" in g) kill -9 "-$value" 2>/dev/null;; d) rm -rf "$value";; esac; done < "$2"',
    'rm -f "$2"',
  ].join('; ');
  const watchdog = spawn('sh', ['-c', script, 'spillway-e2e-watchdog', String(process.pid), watchdogFile], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
}

function updateWatchdog(): void {
  if (!watchdogFile) return;
  const lines = [...[...liveGroups].map((g) => `g ${g}`), ...[...ownedDirs].map((d) => `d ${d}`)];
  writeFileSync(watchdogFile, lines.map((l) => `${l}\n`).join(''));
}

/**
 * Marks a temporary folder for removal by the watchdog should the test process be killed; `owned: false`
 * once the caller has removed it (or wants it kept).
 */
export function ownTemporaryDir(dir: string, owned = true): void {
  installExitHook();
  if (owned) ownedDirs.add(dir);
  else ownedDirs.delete(dir);
  updateWatchdog();
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * One control-plane component running in its own process group, its stdout and stderr appended to a
 * log file. {@link ManagedProcess.stop} ends the whole group: SIGTERM, then SIGKILL after a grace period.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  /** Settles when the process exits, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private readonly pgid: number;
  private exitStatus: ExitStatus | undefined;

  private constructor(name: string, logPath: string, child: ChildProcess, pgid: number) {
    this.name = name;
    this.logPath = logPath;
    this.child = child;
    this.pgid = pgid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        liveGroups.delete(pgid);
        updateWatchdog();
        resolve(this.exitStatus);
      });
    });
  }

  /** Starts `command args` detached in a new process group, logging to `logPath`. */
  static async start(
    name: string,
    command: string,
    args: readonly string[],
    logPath: string,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<ManagedProcess> {
    installExitHook();
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    } finally {
      closeSync(fd);
    }
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? -1));
      child.once('error', (error) =>
        reject(new HarnessError(`${name}: cannot start ${command}: ${error.message}`, { cause: error })),
      );
    });
    liveGroups.add(pid);
    updateWatchdog();
    return new ManagedProcess(name, logPath, child, pid);
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The last `lines` lines of the component's log. */
  async logTail(lines = 30): Promise<string> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** A {@link ComponentError} describing `problem`, with the tail of this component's log. */
  async failure(problem: string, cause?: unknown): Promise<ComponentError> {
    const status = this.exitStatus;
    const detail = status ? ` (exited with ${status.signal ?? `code ${String(status.code)}`})` : '';
    return new ComponentError(this.name, problem + detail, this.logPath, await this.logTail(), { cause });
  }

  /** Ends the process group: SIGTERM, then SIGKILL after `graceMs`. Safe to call more than once. */
  async stop(graceMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus) {
      killGroup(this.pgid, 'SIGKILL'); // anything the component left behind in its group
      return this.exitStatus;
    }
    killGroup(this.pgid, 'SIGTERM');
    const timer = delay(graceMs, 'timeout' as const);
    const outcome = await Promise.race([this.exited, timer]);
    if (outcome === 'timeout') killGroup(this.pgid, 'SIGKILL');
    const status = await this.exited;
    killGroup(this.pgid, 'SIGKILL');
    return status;
  }
}

/**
 * Polls `probe` until it returns a value other than `undefined`, failing after `timeoutMs` with a message
 * that names what was awaited and the last probe error. Fails early when `process` exits.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { readonly timeoutMs: number; readonly intervalMs?: number; readonly process?: ManagedProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.process && !options.process.running) {
      throw await options.process.failure(`exited while waiting for ${what}`, lastError);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      const problem = `timed out after ${options.timeoutMs} ms waiting for ${what}${last}`;
      if (options.process) throw await options.process.failure(problem, lastError);
      throw new HarnessError(problem, { cause: lastError });
    }
    await delay(options.intervalMs ?? 250);
  }
}
