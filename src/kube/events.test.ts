import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors.ts';
import { checkEvent, EventAggregator, eventBody, eventName, truncateNote } from './events.ts';
import type { EventStep } from './events.ts';

const S = 1000;

describe('EventAggregator', () => {
  // Each step: [time, expected kind, count for patch/none]. The create succeeds as "ev-1"; patches succeed.
  it.each<[string, [number, EventStep['kind'], number?][]]>([
    ['first occurrence creates', [[0, 'create']]],
    [
      'a repeat patches the series at once (count 2)',
      [
        [0, 'create'],
        [5 * S, 'patch', 2],
      ],
    ],
    [
      'later repeats within the flush interval are counted, then written',
      [
        [0, 'create'],
        [1 * S, 'patch', 2],
        [2 * S, 'none', 3],
        [10 * S, 'none', 4],
        [31 * S, 'patch', 5],
        [32 * S, 'none', 6],
      ],
    ],
    [
      'silence longer than the window starts a new event',
      [
        [0, 'create'],
        [5 * S, 'patch', 2],
        [5 * S + 360 * S, 'create'],
      ],
    ],
  ])('%s', (_name, steps) => {
    const aggregator = new EventAggregator();
    for (const [at, kind, count] of steps) {
      const step = aggregator.observe('k', at);
      expect(step.kind, `at ${at}`).toBe(kind);
      if (step.kind === 'create') aggregator.created('k', 'ev-1');
      if (step.kind === 'patch') {
        expect(step).toEqual({ kind: 'patch', name: 'ev-1', count, lastObserved: at });
        aggregator.patched('k', step.count, at);
      }
      if (step.kind === 'none') expect(step.count).toBe(count);
    }
  });

  it('distinct keys are separate series, and forgotten ones start over', () => {
    const aggregator = new EventAggregator();
    expect(aggregator.observe('a', 0).kind).toBe('create');
    aggregator.created('a', 'ev-a');
    expect(aggregator.observe('b', 0).kind).toBe('create');
    aggregator.forget('a');
    expect(aggregator.observe('a', 1).kind).toBe('create');
  });

  it('a repeat while the create has not finished creates again (never patches an unknown name)', () => {
    const aggregator = new EventAggregator();
    expect(aggregator.observe('a', 0).kind).toBe('create');
    expect(aggregator.observe('a', 1).kind).toBe('create');
  });

  it('stays bounded: old series are dropped', () => {
    const aggregator = new EventAggregator({ seriesWindowMs: 10 * S });
    for (let i = 0; i < 100; i++) aggregator.observe(`k${i}`, i * S);
    expect(aggregator.size).toBe(10);
  });
});

describe('event body', () => {
  it('is an events.k8s.io/v1 Event regarding the BurstScaler', () => {
    const body = eventBody({
      name: 'orders.1',
      scaler: { namespace: 'shop', name: 'orders', uid: 'u-1' },
      type: 'Warning',
      reason: 'QuotaExceeded',
      note: 'creating container group shop-orders-3: quota StandardCores exceeded in eastus',
      eventTime: Date.parse('2026-11-02T10:00:00.123Z'),
      instance: 'spillway-0',
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'orders.1', namespace: 'shop' },
      eventTime: '2026-11-02T10:00:00.123000Z',
      reportingController: 'spillway.io/controller',
      reportingInstance: 'spillway-0',
      action: 'QuotaExceeded',
      reason: 'QuotaExceeded',
      note: 'creating container group shop-orders-3: quota StandardCores exceeded in eastus',
      type: 'Warning',
      regarding: {
        apiVersion: 'spillway.io/v1alpha1',
        kind: 'BurstScaler',
        namespace: 'shop',
        name: 'orders',
        uid: 'u-1',
      },
    });
  });

  it('names events uniquely, within the name length limit', () => {
    expect(eventName('orders', Date.parse('2026-11-02T10:00:00Z'), 0)).toBe(
      `orders.${(BigInt(Date.parse('2026-11-02T10:00:00Z')) * 1_000_000n).toString(16)}`,
    );
    expect(eventName('orders', 5, 1)).not.toBe(eventName('orders', 5, 2));
    expect(eventName('x'.repeat(253), 5, 0).length).toBeLessThanOrEqual(253);
  });

  it('truncates notes to 1 kB on a character boundary', () => {
    const note = truncateNote('é'.repeat(1000));
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(1024);
    expect(note.endsWith('...')).toBe(true);
    expect(truncateNote('short')).toBe('short');
  });

  it.each([
    ['Normal', 'scaled up', 'reason: "scaled up" must be UpperCamelCase'],
    ['Info', 'ScaledUp', 'type: must be Normal or Warning, got Info'],
  ])('rejects type %s reason %s', (type, reason, message) => {
    expect(() => checkEvent(type as 'Normal', reason)).toThrow(InvalidRequestError);
    expect(() => checkEvent(type as 'Normal', reason)).toThrow(message);
  });
});
