import { describe, expect, it } from 'vitest';
import { SignalReadError, redact, toReadError } from './errors.ts';

describe('redact', () => {
  it.each([
    ['a known secret', 'auth failed for s3cr3t-value', ['s3cr3t-value'], 'auth failed for ***'],
    ['a URL-encoded secret', 'GET /?k=p%40ss%2Fword', ['p@ss/word'], 'GET /?k=***'],
    [
      'URL user info',
      'connect amqp://bob:hunter2@rabbit:5672/vhost',
      [],
      'connect amqp://***@rabbit:5672/vhost',
    ],
    [
      'a storage connection string',
      'bad DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=abc+def==;EndpointSuffix=core.windows.net',
      [],
      'bad DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=***;EndpointSuffix=core.windows.net',
    ],
    [
      'a Service Bus key',
      'Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey=xyz=',
      [],
      'Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey=***',
    ],
    [
      'a SAS query',
      'https://a.queue/q?sv=2020&sig=AbC%2Bd&se=1',
      [],
      'https://a.queue/q?sv=2020&sig=***&se=1',
    ],
    [
      'an authorization header',
      'sent Authorization: Bearer eyJhbGciOi.x.y',
      [],
      'sent Authorization: Bearer ***',
    ],
    ['nothing secret', 'connect ECONNREFUSED 127.0.0.1:6379', [], 'connect ECONNREFUSED 127.0.0.1:6379'],
  ])('masks %s', (_, message, secrets, expected) => {
    expect(redact(message, secrets)).toBe(expected);
  });
});

describe('toReadError', () => {
  const t = { name: 'orders', type: 'redis-list' as const };

  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'unreachable',
      'connection refused',
    ],
    [
      'a fetch failure caused by a reset',
      new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }),
      'unreachable',
      'connection reset by the server',
    ],
    [
      'an abort',
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }),
      'timeout',
      'aborted',
    ],
    [
      'anything else',
      new Error('weird reply from pw=letmein'),
      'bad-response',
      'weird reply from pw=letmein',
    ],
  ])('classifies %s', (_, error, kind, detail) => {
    const result = toReadError(t, 'list jobs', error, { secrets: ['letmein'] });
    expect(result).toBeInstanceOf(SignalReadError);
    expect(result.kind).toBe(kind);
    expect(result.message).toBe(
      `reading redis-list trigger orders (list jobs): ${kind}: ${detail.replace('letmein', '***')}`,
    );
    expect(result.cause).toBe(error);
  });

  it('uses the abort reason of the signal for timeouts', () => {
    const controller = new AbortController();
    controller.abort(new Error('no answer within 300 ms'));
    expect(toReadError(t, '', new Error('socket closed'), { signal: controller.signal }).message).toBe(
      'reading redis-list trigger orders: timeout: no answer within 300 ms',
    );
  });
});
