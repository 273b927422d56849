/** Log sink of the ACI adapter: one call per event; fields are plain data and never carry a secret. */
export type AciLogFn = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Discards everything. */
export const noLog: AciLogFn = () => undefined;
