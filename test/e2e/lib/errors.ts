/** A failure of the end-to-end harness itself (building, starting or stopping the control plane). */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
  }
}

/** A control-plane component exited, or did not become healthy in time; carries the tail of its log. */
export class ComponentError extends HarnessError {
  readonly component: string;
  readonly logPath: string;
  readonly logTail: string;

  constructor(
    component: string,
    problem: string,
    logPath: string,
    logTail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${component}: ${problem} (log: ${logPath})\n--- last lines of ${component}'s log ---\n${logTail}`,
      options,
    );
    this.name = 'ComponentError';
    this.component = component;
    this.logPath = logPath;
    this.logTail = logTail;
  }
}
