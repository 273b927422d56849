/**
 * Structured JSON logs (pino) that never carry a secret.
 *
 * Two layers keep secrets out: `redact` blanks the values of fields whose names say they hold one
 * (password, token, connectionString, secureValue, …), and every finished line passes through
 * {@link scrubSecrets}, which blanks secrets embedded in free text — connection strings
 * (`AccountKey=…`, `SharedAccessKey=…`), passwords in URLs (`redis://user:pw@host`) and bearer tokens —
 * wherever they appear, including error messages and stacks.
 */
import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';

export type { Logger } from 'pino';

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'apiKey',
  'accountKey',
  'sharedAccessKey',
  'connectionString',
  'secureValue',
  'authorization',
  'Authorization',
  'cookie',
  'clientSecret',
  'credentials',
];

/** Field paths whose values are replaced before a line is written (top level and two levels down). */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

// Each pattern stops at a quote or backslash, so a scrubbed JSON line stays valid JSON.
const SECRET_PATTERNS: { pattern: RegExp; replace: string }[] = [
  // Azure connection strings and SAS tokens, key=value pairs in general.
  {
    pattern:
      /\b(AccountKey|SharedAccessKey|SharedAccessSignature|AccessKey|Password|Pwd|sig|client_secret)=([^;&\s"\\]+)/gi,
    replace: `$1=${REDACTED}`,
  },
  // Credentials in URLs: scheme://user:password@host.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@"\\]*):([^@\s/"\\]+)@/gi, replace: `$1$2:${REDACTED}@` },
  // Bearer tokens in headers or messages.
  { pattern: /\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/g, replace: `$1 ${REDACTED}` },
];

/** Blanks secrets embedded in free text (connection strings, URL passwords, bearer tokens). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const { pattern, replace } of SECRET_PATTERNS) out = out.replace(pattern, replace);
  return out;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: Level | 'silent';
  /** Where lines go; standard output when omitted. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. `{ component: 'controller' }`). */
  base?: Record<string, unknown>;
}

/**
 * The process logger: one JSON object per line with `level` as a word, `time` as ISO-8601, and
 * secrets removed.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: { streamWrite: scrubSecrets },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
