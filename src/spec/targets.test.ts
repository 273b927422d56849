import { describe, expect, it } from 'vitest';
import type { MetricTarget, TriggerType } from '../core/types.ts';
import type { SpecIssue } from './errors.ts';
import { parseQuantity } from './quantity.ts';
import { compileTarget, parsePositiveNumber } from './targets.ts';

const PATH = 'spec.triggers[2]';

function target(type: TriggerType, metadata: Record<string, string>) {
  const issues: SpecIssue[] = [];
  const result = compileTarget(type, metadata, PATH, issues);
  return { result, issues };
}

describe('trigger targets', () => {
  it.each<[TriggerType, Record<string, string>, MetricTarget]>([
    ['azure-storage-queue', { targetPerReplica: '20' }, { type: 'AverageValue', averageValue: 20 }],
    ['azure-storage-queue', { queueLength: '5' }, { type: 'AverageValue', averageValue: 5 }],
    ['azure-service-bus', { messageCount: '10' }, { type: 'AverageValue', averageValue: 10 }],
    ['redis-list', { listLength: '3' }, { type: 'AverageValue', averageValue: 3 }],
    ['redis-stream', { queueLength: '8' }, { type: 'AverageValue', averageValue: 8 }],
    ['rabbitmq', { queueLength: '0.5' }, { type: 'AverageValue', averageValue: 0.5 }],
    ['prometheus', { threshold: '50' }, { type: 'AverageValue', averageValue: 50 }],
    ['prometheus', { targetValue: '1e3' }, { type: 'Value', value: 1000 }],
    ['prometheus', { targetPerReplica: '+.25' }, { type: 'AverageValue', averageValue: 0.25 }],
    ['cpu', { value: '60' }, { type: 'Utilization', averageUtilization: 60 }],
    ['cpu', { type: 'Utilization', value: '150' }, { type: 'Utilization', averageUtilization: 150 }],
    ['cpu', { metricType: 'AverageValue', value: '500m' }, { type: 'AverageValue', averageValue: 0.5 }],
    ['cpu', { metricType: 'AverageValue', value: '2' }, { type: 'AverageValue', averageValue: 2 }],
    ['memory', { metricType: 'AverageValue', value: '512Mi' }, { type: 'AverageValue', averageValue: 0.5 }],
    ['memory', { type: 'AverageValue', value: '2Gi' }, { type: 'AverageValue', averageValue: 2 }],
    [
      'memory',
      { metricType: 'Utilization', type: 'Utilization', value: '80' },
      { type: 'Utilization', averageUtilization: 80 },
    ],
    [
      'cron',
      { start: '0 8 * * *', end: '0 18 * * *', desiredReplicas: '5' },
      { type: 'AverageValue', averageValue: 1 },
    ],
  ])('%s %j → %j', (type, metadata, expected) => {
    expect(target(type, metadata)).toEqual({ result: expected, issues: [] });
  });

  it.each<[TriggerType, Record<string, string>, SpecIssue]>([
    ...['abc', '', ' 20', '20 ', '0', '-1', '0x10', 'Infinity', 'NaN', '1e400', '20msgs', '1,5'].map(
      (text): [TriggerType, Record<string, string>, SpecIssue] => [
        'azure-storage-queue',
        { targetPerReplica: text },
        {
          path: `${PATH}.metadata.targetPerReplica`,
          message: `must be a positive number, got ${JSON.stringify(text)}`,
        },
      ],
    ),
    [
      'prometheus',
      { query: 'up' },
      {
        path: `${PATH}.metadata.targetPerReplica`,
        message:
          "is required for prometheus triggers: the value one replica handles (KEDA's threshold is accepted too), or targetValue for a value the whole workload should hold",
      },
    ],
    [
      'azure-storage-queue',
      { threshold: '5' },
      {
        path: `${PATH}.metadata.targetPerReplica`,
        message:
          "is required for azure-storage-queue triggers: the value one replica handles (KEDA's queueLength is accepted too), or targetValue for a value the whole workload should hold",
      },
    ],
    [
      'azure-storage-queue',
      { targetPerReplica: '5', queueLength: '5' },
      {
        path: `${PATH}.metadata.queueLength`,
        message: 'conflicts with metadata.targetPerReplica; give one target',
      },
    ],
    [
      'prometheus',
      { threshold: '5', targetValue: '100' },
      { path: `${PATH}.metadata.targetValue`, message: 'conflicts with metadata.threshold; give one target' },
    ],
    [
      'cpu',
      {},
      {
        path: `${PATH}.metadata.value`,
        message: "is required for cpu triggers: the target percentage of the pods' cpu request",
      },
    ],
    [
      'memory',
      { metricType: 'AverageValue' },
      {
        path: `${PATH}.metadata.value`,
        message: 'is required for memory triggers: the target memory per pod, for example 512Mi',
      },
    ],
    [
      'cpu',
      { value: '50.5' },
      { path: `${PATH}.metadata.value`, message: 'must be a whole percentage greater than 0, got "50.5"' },
    ],
    [
      'cpu',
      { value: '0' },
      { path: `${PATH}.metadata.value`, message: 'must be a whole percentage greater than 0, got "0"' },
    ],
    [
      'cpu',
      { metricType: 'AverageValue', value: 'lots' },
      {
        path: `${PATH}.metadata.value`,
        message: 'must be a positive cpu quantity such as 500m or 1.5, got "lots"',
      },
    ],
    [
      'memory',
      { metricType: 'AverageValue', value: '0Mi' },
      {
        path: `${PATH}.metadata.value`,
        message: 'must be a positive memory quantity such as 512Mi or 2Gi, got "0Mi"',
      },
    ],
    [
      'cpu',
      { metricType: 'Value', value: '5' },
      { path: `${PATH}.metadata.metricType`, message: 'must be Utilization or AverageValue, got "Value"' },
    ],
    [
      'cpu',
      { type: 'Value', value: '5' },
      { path: `${PATH}.metadata.type`, message: 'must be Utilization or AverageValue, got "Value"' },
    ],
    [
      'cpu',
      { metricType: 'AverageValue', type: 'Utilization', value: '5' },
      {
        path: `${PATH}.metadata.metricType`,
        message: 'conflicts with metadata.type ("Utilization"); give one of them',
      },
    ],
    [
      'memory',
      { targetPerReplica: '5' },
      {
        path: `${PATH}.metadata.targetPerReplica`,
        message: 'memory triggers take metadata.value with metadata.metricType, not targetPerReplica',
      },
    ],
    [
      'cron',
      { desiredReplicas: '5', targetPerReplica: '1' },
      {
        path: `${PATH}.metadata.targetPerReplica`,
        message: 'cron triggers take no target: they hold metadata.desiredReplicas replicas while active',
      },
    ],
  ])('%s %j is rejected', (type, metadata, issue) => {
    expect(target(type, metadata)).toEqual({ result: undefined, issues: [issue] });
  });

  it('ignores inherited properties of the metadata object', () => {
    const metadata = Object.create({ targetPerReplica: '5' }) as Record<string, string>;
    expect(target('prometheus', metadata).issues.map((i) => i.path)).toEqual([
      `${PATH}.metadata.targetPerReplica`,
    ]);
  });
});

describe('number and quantity parsing', () => {
  it.each<[string, number | undefined]>([
    ['20', 20],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2E-1', 0.2],
    ['+3', 3],
    ['0', undefined],
    ['-2', undefined],
    ['', undefined],
    ['1_000', undefined],
    ['1e999', undefined],
  ])('positive number %j → %j', (text, expected) => {
    expect(parsePositiveNumber(text)).toBe(expected);
  });

  it.each<[string, number | undefined]>([
    ['500m', 0.5],
    ['1.5', 1.5],
    ['250u', 0.00025],
    ['100n', 1e-7],
    ['512Mi', 512 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1Ki', 1024],
    ['1k', 1000],
    ['1G', 1e9],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['-1', -1],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1 Gi', undefined],
    ['1GB', undefined],
    ['Mi', undefined],
    ['', undefined],
    ['1e999', undefined],
  ])('quantity %j → %j', (text, expected) => {
    expect(parseQuantity(text)).toBe(expected);
  });
});
