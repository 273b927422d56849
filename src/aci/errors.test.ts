import { describe, expect, it } from 'vitest';
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import {
  CapacityError,
  ConfigurationError,
  ImageInaccessibleError,
  InvalidSpecError,
  QuotaExceededError,
  RegionsExhaustedError,
  ThrottledError,
  TransientError,
  isOperationFailure,
  mapAciError,
  parseRetryAfter,
} from './errors.ts';

function rest(
  statusCode: number | undefined,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return new RestError(message, {
    code,
    ...(statusCode === undefined ? {} : { statusCode }),
    response: {
      status: statusCode ?? 0,
      headers: createHttpHeaders(headers),
      request: createPipelineRequest({
        url: 'https://management.azure.com/x',
        body: '{"secureValue":"hunter2-secret"}',
      }),
    },
  });
}

const context = {
  operation: 'creating',
  groupName: 'shop-orders-3',
  region: 'eastus',
  priority: 'Regular' as const,
};

describe('mapAciError', () => {
  it.each([
    [
      'quota (ContainerGroupQuotaReached)',
      rest(
        400,
        'ContainerGroupQuotaReached',
        "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'eastus'. Limit: '100', Usage: '98' Requested: '4'.",
      ),
      QuotaExceededError,
      'QuotaExceeded',
      'creating container group shop-orders-3: quota StandardCores exceeded in eastus (limit 100, used 98, requested 4)',
    ],
    [
      'capacity (409 ServiceUnavailable)',
      rest(
        409,
        'ServiceUnavailable',
        "The requested resource is not available in the location 'eastus' at this moment.",
      ),
      CapacityError,
      'CapacityUnavailable',
      'creating container group shop-orders-3: no capacity in eastus for Regular priority right now (ServiceUnavailable, HTTP 409: The requested resource is not available in the location',
    ],
    [
      'region without ACI',
      rest(400, 'LocationNotAvailableForResourceType', "The provided location 'mars' is not available."),
      CapacityError,
      'CapacityUnavailable',
      'no capacity in eastus',
    ],
    [
      'failed long-running operation (plain Error)',
      new Error(
        "The long-running operation has failed. InaccessibleImage. The image 'registry.example.com/x:1' in container group 'shop-orders-3' is not accessible. Please check the image and registry credential.",
      ),
      ImageInaccessibleError,
      'ImageInaccessible',
      "creating container group shop-orders-3: image not accessible (InaccessibleImage: The image 'registry.example.com/x:1'",
    ],
    [
      'ARM 429 with Retry-After',
      rest(429, 'TooManyRequests', 'The request is being throttled.', { 'retry-after': '17' }),
      ThrottledError,
      'Throttled',
      'creating container group shop-orders-3: throttled by Azure, retry after 17 s',
    ],
    [
      '503 (gateway)',
      rest(503, 'ServiceUnavailable', 'try later'),
      TransientError,
      'TransientError',
      'transient failure in eastus',
    ],
    [
      '500',
      rest(500, 'InternalServerError', 'Encountered internal server error.'),
      TransientError,
      'TransientError',
      'HTTP 500',
    ],
    [
      'network failure',
      rest(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      TransientError,
      'TransientError',
      'ECONNREFUSED',
    ],
    [
      'conflicting operation',
      rest(409, 'Conflict', 'Another operation is in progress.'),
      TransientError,
      'TransientError',
      'Conflict',
    ],
    [
      'an unexpected plain error',
      new Error('socket hang up'),
      TransientError,
      'TransientError',
      'socket hang up',
    ],
    [
      'invalid spec',
      rest(400, 'ResourceLimitsLessThanRequests', 'limits are less than requests'),
      InvalidSpecError,
      'InvalidSpec',
      'Azure rejected the container group (ResourceLimitsLessThanRequests, HTTP 400',
    ],
    [
      'authorization',
      rest(403, 'AuthorizationFailed', 'no write permission'),
      ConfigurationError,
      'AzureConfigurationError',
      'role assignment',
    ],
    [
      'missing resource group',
      rest(404, 'ResourceGroupNotFound', "Resource group 'rg' could not be found."),
      ConfigurationError,
      'AzureConfigurationError',
      'ResourceGroupNotFound',
    ],
  ])('%s', (_what, thrown, type, reason, message) => {
    const mapped = mapAciError(thrown, context);
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.reason).toBe(reason);
    expect(mapped.message).toContain(message);
    expect(mapped.groupName).toBe('shop-orders-3');
  });

  it('carries the parsed quota and Retry-After, and says what to do next', () => {
    const quota = mapAciError(
      rest(
        400,
        'ContainerGroupQuotaReached',
        "container group quota 'StandardCores' exceeded in region 'eastus'. Limit: '10', Usage: '8' Requested: '4'.",
      ),
      context,
    ) as QuotaExceededError;
    expect(quota.quota).toEqual({ name: 'StandardCores', limit: 10, used: 8, requested: 4 });
    expect([quota.failover, quota.retryable]).toEqual([true, true]);
    const throttled = mapAciError(
      rest(429, 'TooManyRequests', 'slow down', { 'retry-after': '3' }),
      context,
    ) as ThrottledError;
    expect([throttled.retryAfterMs, throttled.source, throttled.failover]).toEqual([3000, 'azure', false]);
    const image = mapAciError(
      new Error('The long-running operation has failed. InaccessibleImage. nope'),
      context,
    );
    expect([image.failover, image.retryable]).toEqual([false, false]);
  });

  it('keeps the request (and its secure values) out of the error and its cause', () => {
    const mapped = mapAciError(
      rest(400, 'InvalidRequestContent', 'bad value hunter2-secret in body'),
      context,
      ['hunter2-secret'],
    );
    expect(mapped.message).not.toContain('hunter2-secret');
    expect(mapped.message).toContain('[REDACTED]');
    const cause = mapped.cause as Error & { request?: unknown };
    expect(cause.request).toBeUndefined();
    expect(JSON.stringify({ ...mapped, cause: { ...cause, message: cause.message } })).not.toContain(
      'hunter2-secret',
    );
  });

  it('tells failed long-running operations from HTTP errors', () => {
    expect(isOperationFailure(new Error('The long-running operation has failed. InaccessibleImage. x'))).toBe(
      true,
    );
    expect(isOperationFailure(rest(400, 'InaccessibleImage', 'x'))).toBe(false);
    expect(isOperationFailure(new Error('boom'))).toBe(false);
  });

  it('summarises every attempt when all regions fail, with a shared reason', () => {
    const q = (region: string) =>
      mapAciError(
        rest(
          400,
          'ContainerGroupQuotaReached',
          `container group quota 'StandardCores' exceeded in region '${region}'. Limit: '100', Usage: '100' Requested: '1'.`,
        ),
        { ...context, region },
      );
    const error = new RegionsExhaustedError('shop-orders-3', [
      { region: 'eastus', priority: 'Regular', error: q('eastus') },
      { region: 'eastus2', priority: 'Regular', error: q('eastus2') },
    ]);
    expect(error.reason).toBe('QuotaExceeded');
    expect(error.message).toBe(
      'creating container group shop-orders-3: every region failed (eastus/Regular: quota StandardCores exceeded in eastus (limit 100, used 100, requested 1); eastus2/Regular: quota StandardCores exceeded in eastus2 (limit 100, used 100, requested 1))',
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-02T10:00:00Z');
  it.each([
    [undefined, '10', 10_000],
    [undefined, '1.5', 1500],
    ['250', '10', 250],
    [undefined, 'Mon, 02 Nov 2026 10:00:30 GMT', 30_000],
    [undefined, 'soon', undefined],
    [undefined, undefined, undefined],
  ])('ms=%s retry-after=%s → %s', (ms, header, expected) => {
    expect(parseRetryAfter(ms, header, now)).toBe(expected);
  });
});
