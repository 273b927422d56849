/**
 * `prometheus`: an instant PromQL query (`GET /api/v1/query`), like KEDA's `prometheus` scaler.
 *
 * Metadata (KEDA names): `serverAddress` (required, http(s) URL without credentials), `query` (required;
 * must return a scalar or a vector of at most one sample), `ignoreNullValues` (default `true`: an empty
 * result, NaN or ±Inf reads as 0; `false`: they are a failure, e.g. when the scrape target is lost),
 * `customHeaders` and `queryParameters` (`k=v,k2=v2`), `namespace` (added as a query parameter, for
 * Thanos/prom-label-proxy tenancy). Secret keys: `bearerToken`, or `username` and `password` (basic auth).
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { resolveCredentials } from './auth.ts';
import { SignalReadError, safeMessage } from './errors.ts';
import { getJson, origin } from './http.ts';
import { Metadata, checkAuthKind } from './metadata.ts';

interface PrometheusSettings {
  serverAddress: URL;
  query: string;
  ignoreNullValues: boolean;
  customHeaders: Record<string, string>;
  queryParameters: Record<string, string>;
}

function settingsOf(trigger: TriggerPolicy): PrometheusSettings {
  checkAuthKind(trigger, ['Secret']);
  const md = new Metadata(trigger);
  const serverAddress = md.httpUrl('serverAddress', md.required('serverAddress', 'http://prometheus:9090'));
  const queryParameters = md.pairs('queryParameters');
  if ('query' in queryParameters || 'time' in queryParameters) {
    throw md.error('queryParameters', 'must not set query or time');
  }
  const namespace = md.optional('namespace');
  if (namespace) queryParameters.namespace = namespace;
  return {
    serverAddress,
    query: md.required('query'),
    ignoreNullValues: md.boolean('ignoreNullValues', true),
    customHeaders: md.pairs('customHeaders'),
    queryParameters,
  };
}

interface QueryResponse {
  status?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** The sample value of a `[timestamp, "value"]` pair. */
function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || typeof pair[1] !== 'string') return undefined;
  const text = pair[1];
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  return text.trim() !== '' && !Number.isNaN(value) ? value : undefined;
}

export class PrometheusSource implements SignalSource {
  readonly type = 'prometheus' as const;

  validate(trigger: TriggerPolicy): void {
    settingsOf(trigger);
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const settings = settingsOf(trigger);
    const credentials = await resolveCredentials(trigger, context);
    const headers: Record<string, string> = { ...settings.customHeaders };
    const { bearerToken, username, password } = credentials.values;
    if (bearerToken) headers.authorization = `Bearer ${bearerToken}`;
    else if (username !== undefined && password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    const base = settings.serverAddress.toString().replace(/\/+$/, '');
    const url = new URL(`${base}/api/v1/query`);
    for (const [k, v] of Object.entries(settings.queryParameters)) url.searchParams.set(k, v);
    url.searchParams.set('query', settings.query);
    const what = `query on ${origin(settings.serverAddress)}`;
    const secrets = credentials.secrets;
    const body = (await getJson(trigger, what, url, {
      headers,
      signal: context.signal,
      secrets,
    })) as QueryResponse;
    const fail = (detail: string): never => {
      throw new SignalReadError(trigger, what, 'bad-response', detail);
    };
    if (typeof body !== 'object' || body === null) return fail('the response is not a JSON object');
    if (body.status !== 'success') {
      return fail(
        `Prometheus answered ${safeMessage(String(body.status))}: ${safeMessage(String(body.error), secrets)}`,
      );
    }
    const { resultType, result } = body.data ?? {};
    let value: number | undefined;
    if (resultType === 'scalar') {
      value = sampleValue(result);
      if (value === undefined) return fail('the scalar result has no numeric value');
    } else if (resultType === 'vector') {
      if (!Array.isArray(result)) return fail('the vector result is not a list');
      if (result.length > 1) {
        return fail(
          `the query returned ${result.length} series; it must return one (aggregate it, e.g. sum(...))`,
        );
      }
      const first = result[0] as { value?: unknown } | undefined;
      if (first) {
        value = sampleValue(first.value);
        if (value === undefined) return fail('the sample has no numeric value');
      }
    } else {
      return fail(
        `the query returned a ${safeMessage(String(resultType))}; it must return a scalar or an instant vector`,
      );
    }
    if (value === undefined || !Number.isFinite(value)) {
      if (settings.ignoreNullValues) return { value: 0 };
      throw new SignalReadError(
        trigger,
        what,
        'not-found',
        value === undefined
          ? 'the query returned no data (is the scrape target lost?); set ignoreNullValues: "true" to read 0'
          : `the query returned ${value}; set ignoreNullValues: "true" to read 0`,
      );
    }
    return { value };
  }
}
