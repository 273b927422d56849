/** JSON over HTTP for the sources that use it (prometheus, rabbitmq in http mode). */
import type { TriggerPolicy } from '../core/types.ts';
import { SignalReadError, safeMessage, toReadError } from './errors.ts';

/** Response bodies larger than this are refused (a misconfigured URL can return a huge page). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * GETs `url` and parses JSON. 401/403 → auth, 404 → not-found, other non-2xx and non-JSON bodies →
 * bad-response, socket errors → unreachable, abort → timeout.
 */
export async function getJson(
  trigger: Pick<TriggerPolicy, 'name' | 'type'>,
  what: string,
  url: URL,
  options: { headers: Record<string, string>; signal: AbortSignal; secrets: readonly string[] },
): Promise<unknown> {
  const { headers, signal, secrets } = options;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal,
      redirect: 'error',
    });
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_BODY_BYTES) {
      await response.body?.cancel();
      throw new SignalReadError(trigger, what, 'bad-response', `response of ${length} bytes is too large`);
    }
    text = await response.text();
  } catch (error) {
    throw toReadError(trigger, what, error, { signal, secrets, fallbackKind: 'unreachable' });
  }
  const snippet = safeMessage(text.replace(/\s+/g, ' ').slice(0, 120), secrets);
  if (response.status === 401 || response.status === 403) {
    throw new SignalReadError(trigger, what, 'auth', `HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (response.status === 404) {
    throw new SignalReadError(trigger, what, 'not-found', `HTTP 404: ${snippet}`);
  }
  if (!response.ok) {
    throw new SignalReadError(trigger, what, 'bad-response', `HTTP ${response.status}: ${snippet}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SignalReadError(trigger, what, 'bad-response', `the body is not JSON: ${snippet}`, {
      cause: error,
    });
  }
}

/** `http://host:port` of a URL, for messages (never user info, path or query). */
export const origin = (url: URL): string => `${url.protocol}//${url.host}`;
