import { describe, expect, it } from 'vitest';
import { trigger } from '../../test/signals/helpers.ts';
import type { TriggerPolicy } from '../core/types.ts';
import { SignalConfigError } from './errors.ts';
import { createSignalSources, sourceFor, validateTrigger } from './registry.ts';

const sources = createSignalSources({
  azureCredential: () => {
    throw new Error('no identity in unit tests');
  },
});
const secret = { authenticationRef: { name: 'auth' } };

describe('registry', () => {
  it('lists every source once, sorted by type', () => {
    const types = sources.map((s) => s.type);
    expect(types).toEqual([...types].sort());
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual([
      'azure-service-bus',
      'azure-storage-queue',
      'cpu',
      'cron',
      'memory',
      'pending-pods',
      'prometheus',
      'rabbitmq',
      'redis-list',
      'redis-stream',
    ]);
  });

  it('finds a source by type', () => {
    expect(sourceFor('rabbitmq', sources)?.type).toBe('rabbitmq');
    expect(sourceFor('kafka', sources)).toBeUndefined();
  });
});

describe('trigger validation names the trigger and the field', () => {
  it.each<[string, TriggerPolicy, string]>([
    [
      'unknown type',
      { ...trigger('cron', {}), type: 'kafka' as TriggerPolicy['type'] },
      'spec.triggers[0] (cron-0).type: unknown trigger type "kafka"; one of azure-service-bus, azure-storage-queue, cpu, cron, memory, pending-pods, prometheus, rabbitmq, redis-list, redis-stream',
    ],
    [
      'storage queue without queueName',
      trigger('azure-storage-queue', { accountName: 'shopdata' }),
      'spec.triggers[0] (azure-storage-queue-0).metadata.queueName: required',
    ],
    [
      'storage queue name with capitals',
      trigger('azure-storage-queue', { queueName: 'Orders', accountName: 'shopdata' }),
      'metadata.queueName: must be 3-63 lowercase letters, digits and single hyphens',
    ],
    [
      'storage queue without credentials',
      trigger('azure-storage-queue', { queueName: 'orders' }),
      'metadata.accountName: required, or an authenticationRef to a Secret with key "connection"',
    ],
    [
      'storage queue with workload identity but no account',
      trigger(
        'azure-storage-queue',
        { queueName: 'orders' },
        { authenticationRef: { name: 'id', kind: 'WorkloadIdentity' } },
      ),
      'metadata.accountName: required with workload identity',
    ],
    [
      'service bus without an entity',
      trigger('azure-service-bus', {}, secret),
      'metadata.queueName: required (or topicName and subscriptionName)',
    ],
    [
      'service bus topic without subscription',
      trigger('azure-service-bus', { topicName: 'events' }, secret),
      'metadata.subscriptionName: required with topicName',
    ],
    [
      'service bus queue and topic',
      trigger('azure-service-bus', { queueName: 'q', topicName: 't' }, secret),
      'metadata.topicName: set either queueName, or topicName and subscriptionName',
    ],
    [
      'redis-list without listName',
      trigger('redis-list', { address: 'redis:6379' }),
      'spec.triggers[0] (redis-list-0).metadata.listName: required',
    ],
    [
      'redis-list with a bad address',
      trigger('redis-list', { address: 'redis', listName: 'l' }),
      'metadata.address: must be host:port, got "redis"',
    ],
    [
      'redis-list with address and host',
      trigger('redis-list', { address: 'r:1', host: 'r', listName: 'l' }),
      'metadata.host: set either address or host, not both',
    ],
    [
      'redis-list without address',
      trigger('redis-list', { listName: 'l' }),
      'metadata.address: required (host:port), or host and port, or an authenticationRef whose Secret has them',
    ],
    [
      'redis-list with workload identity',
      trigger(
        'redis-list',
        { address: 'r:1', listName: 'l' },
        { authenticationRef: { name: 'x', kind: 'WorkloadIdentity' } },
      ),
      'authenticationRef.kind: WorkloadIdentity is not supported by redis-list; use Secret',
    ],
    [
      'redis with a bad databaseIndex',
      trigger('redis-list', { address: 'r:1', listName: 'l', databaseIndex: '-1' }),
      'metadata.databaseIndex: must be an integer ≥ 0, got -1',
    ],
    [
      'redis with enableTLS yes',
      trigger('redis-list', { address: 'r:1', listName: 'l', enableTLS: 'yes' }),
      'metadata.enableTLS: must be "true" or "false", got "yes"',
    ],
    ['redis-stream without stream', trigger('redis-stream', { address: 'r:1' }), 'metadata.stream: required'],
    [
      'rabbitmq without queueName',
      trigger('rabbitmq', { host: 'amqp://rabbit:5672' }),
      'metadata.queueName: required',
    ],
    [
      'rabbitmq with credentials in metadata',
      trigger('rabbitmq', { host: 'amqp://u:p@rabbit:5672', queueName: 'q' }),
      'metadata.host: must not contain credentials: put them in the Secret of authenticationRef',
    ],
    [
      'rabbitmq with a bad mode',
      trigger('rabbitmq', { host: 'http://rabbit:15672', queueName: 'q', mode: 'queueLength' }),
      'metadata.mode: must be one of QueueLength, MessageRate, got "queueLength"',
    ],
    [
      'rabbitmq MessageRate over AMQP',
      trigger('rabbitmq', { host: 'amqp://rabbit:5672', queueName: 'q', mode: 'MessageRate' }),
      'metadata.mode: MessageRate needs the management API',
    ],
    [
      'rabbitmq with a ftp host',
      trigger('rabbitmq', { host: 'ftp://rabbit', queueName: 'q' }),
      'metadata.host: must use amqp, amqps, http or https, got ftp://',
    ],
    [
      'prometheus without serverAddress',
      trigger('prometheus', { query: 'up' }),
      'spec.triggers[0] (prometheus-0).metadata.serverAddress: required (http://prometheus:9090)',
    ],
    [
      'prometheus without query',
      trigger('prometheus', { serverAddress: 'http://prom:9090' }),
      'metadata.query: required',
    ],
    [
      'prometheus with a relative address',
      trigger('prometheus', { serverAddress: 'prom:9090/x', query: 'up' }),
      'metadata.serverAddress: must be an http:// or https:// URL, got prom://',
    ],
    [
      'prometheus with credentials in the URL',
      trigger('prometheus', { serverAddress: 'http://a:b@prom:9090', query: 'up' }),
      'metadata.serverAddress: must not contain credentials',
    ],
    [
      'prometheus with ignoreNullValues 1',
      trigger('prometheus', { serverAddress: 'http://prom:9090', query: 'up', ignoreNullValues: '1' }),
      'metadata.ignoreNullValues: must be "true" or "false", got "1"',
    ],
    [
      'prometheus with bad customHeaders',
      trigger('prometheus', { serverAddress: 'http://prom:9090', query: 'up', customHeaders: 'novalue' }),
      'metadata.customHeaders: must be a comma-separated list of key=value, got "novalue"',
    ],
    [
      'pending-pods with negative grace',
      trigger('pending-pods', { graceSeconds: '-5' }),
      'spec.triggers[0] (pending-pods-0).metadata.graceSeconds: must be a number ≥ 0, got -5',
    ],
    [
      'cpu with a Value target',
      trigger('cpu', {}, { target: { type: 'Value', value: 1 } }),
      'spec.triggers[0] (cpu-0).target.type: cpu triggers take Utilization or AverageValue targets, not Value',
    ],
    [
      'memory with containerName',
      trigger('memory', { containerName: 'app' }),
      'metadata.containerName: not supported: usage is summed over the containers of each pod',
    ],
  ])('%s', (_, t, message) => {
    let thrown: unknown;
    try {
      validateTrigger(t, sources);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SignalConfigError);
    expect((thrown as SignalConfigError).message).toContain(message);
    expect((thrown as SignalConfigError).trigger).toBe(t.name);
  });

  it('names the trigger without an index when it was synthesized', () => {
    const t: TriggerPolicy = {
      ...trigger('redis-list', { address: 'r:1' }),
      index: undefined,
      name: 'orders',
    };
    expect(() => validateTrigger(t, sources)).toThrow('spec.triggers (orders).metadata.listName: required');
  });

  it.each<[string, TriggerPolicy]>([
    [
      'storage queue with a connection Secret',
      trigger('azure-storage-queue', { queueName: 'orders', queueLength: '20' }, secret),
    ],
    [
      'storage queue with workload identity',
      trigger('azure-storage-queue', { queueName: 'orders', accountName: 'shopdata' }),
    ],
    [
      'service bus subscription with workload identity',
      trigger('azure-service-bus', { topicName: 't', subscriptionName: 's', namespace: 'shop-bus' }),
    ],
    [
      'redis stream via host and port',
      trigger('redis-stream', {
        host: 'redis',
        port: '6380',
        stream: 's',
        consumerGroup: 'g',
        enableTLS: 'true',
      }),
    ],
    ['redis list with everything in the Secret', trigger('redis-list', { listName: 'l' }, secret)],
    [
      'rabbitmq over http with MessageRate',
      trigger('rabbitmq', { host: 'http://rabbit:15672/shop', queueName: 'q', mode: 'MessageRate' }),
    ],
    [
      'prometheus with headers and parameters',
      trigger('prometheus', {
        serverAddress: 'https://prom/',
        query: 'up',
        customHeaders: 'a=1,b=2',
        queryParameters: 'dedup=true',
        namespace: 'shop',
      }),
    ],
    [
      'cpu with a Utilization target',
      trigger('cpu', {}, { target: { type: 'Utilization', averageUtilization: 70 } }),
    ],
  ])('accepts %s', (_, t) => {
    expect(() => validateTrigger(t, sources)).not.toThrow();
  });
});
