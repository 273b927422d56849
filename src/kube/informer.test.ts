import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, malformedReason } from './informer.ts';

describe('backoffDelay', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [100, 60_000],
  ])('restart %d waits %d ms', (attempt, delay) => {
    expect(backoffDelay(attempt, DEFAULT_BACKOFF)).toBe(delay);
  });
});

describe('malformedReason: watch lines the library would choke on', () => {
  it.each<[string, unknown, unknown, string | undefined]>([
    ['a normal event', 'ADDED', { metadata: { name: 'p' } }, undefined],
    [
      'a bookmark (metadata without name)',
      'BOOKMARK',
      { kind: 'Pod', metadata: { resourceVersion: '12' } },
      undefined,
    ],
    ['an ERROR event with a Status', 'ERROR', { kind: 'Status', code: 410, reason: 'Expired' }, undefined],
    ['no object', 'ADDED', undefined, 'ADDED event without an object'],
    ['null object', 'MODIFIED', null, 'MODIFIED event without an object'],
    ['an ERROR without a Status', 'ERROR', undefined, 'ERROR event without an object'],
    ['object without metadata', 'DELETED', { kind: 'Pod' }, 'DELETED event whose object has no metadata'],
    ['object without a name', 'ADDED', { metadata: {} }, 'ADDED event whose object has no metadata.name'],
    ['unknown type', 'RENAMED', { metadata: { name: 'p' } }, 'unknown event type "RENAMED"'],
    ['no type', undefined, { metadata: { name: 'p' } }, 'unknown event type undefined'],
  ])('%s', (_name, type, object, reason) => {
    expect(malformedReason(type, object)).toBe(reason);
  });
});
