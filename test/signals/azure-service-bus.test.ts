/**
 * azure-service-bus through the real @azure/service-bus administration client, against the
 * recorded-response HTTPS server in test/servers/service-bus.ts (no Service Bus emulator runs here).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AzureServiceBusSource } from '../../src/signals/azure-service-bus.ts';
import { SignalReader } from '../../src/signals/reader.ts';
import { MissingServerError, freePort } from '../servers/process.ts';
import { startServiceBusRecording } from '../servers/service-bus.ts';
import type { ServiceBusServer } from '../servers/service-bus.ts';
import { describeWithServer } from '../servers/use-servers.ts';
import { FakeValues, context, readFailure, scaler, systemClock, trigger } from './helpers.ts';

let recording: ServiceBusServer | undefined;
try {
  recording = await startServiceBusRecording();
} catch (error) {
  if (!(error instanceof MissingServerError) || process.env.CI) throw error;
  console.warn(`\n*** SKIPPED: azure-service-bus tests: ${error.message} ***\n`);
}

describeWithServer('azure-service-bus against recorded Service Bus responses', recording, (server) => {
  const source = new AzureServiceBusSource({
    clientOptions: { agent: server.agent },
    credential: () => {
      throw new Error('workload identity must not be used in these tests');
    },
  });
  const values = (connection: string) => new FakeValues({ 'shop/sb-auth': { connection } });
  const sbTrigger = (metadata: Record<string, string>) =>
    trigger('azure-service-bus', metadata, { authenticationRef: { name: 'sb-auth' } });

  beforeAll(() => {
    server.setQueue('orders', { active: 17, deadLetter: 3, scheduled: 2 });
    server.setQueue('empty', { active: 0 });
    server.setSubscription('events', 'billing', { active: 9, deadLetter: 1 });
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each([
    ['queue orders (17 active, 3 dead-lettered, 2 scheduled)', { queueName: 'orders' }, 17],
    ['an empty queue', { queueName: 'empty' }, 0],
    ['subscription billing of topic events', { topicName: 'events', subscriptionName: 'billing' }, 9],
  ])('%s reads the active message count', async (_, metadata, expected) => {
    const before = server.requests.length;
    await expect(
      source.read(sbTrigger(metadata), context({ values: values(server.connectionString()) })),
    ).resolves.toEqual({
      value: expected,
    });
    const path = 'queueName' in metadata ? `/${metadata.queueName}` : '/events/Subscriptions/billing';
    expect(server.requests.slice(before)).toEqual([`GET ${path}`]);
  });

  it('a missing queue fails as not-found', async () => {
    const error = await readFailure(
      source.read(sbTrigger({ queueName: 'nope' }), context({ values: values(server.connectionString()) })),
    );
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain(`(queue nope in 127.0.0.1:${server.port})`);
  });

  it('a wrong key fails as auth (the server checks the SAS signature), without the key in the message', async () => {
    const wrongKey = Buffer.from('a-wrong-shared-access-key-value!!').toString('base64');
    const error = await readFailure(
      source.read(
        sbTrigger({ queueName: 'orders' }),
        context({ values: values(server.connectionString(wrongKey)) }),
      ),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain(wrongKey);
    expect(error.message).not.toContain(server.key);
  });

  it('a namespace that is down fails as unreachable', async () => {
    const port = await freePort();
    const connection = server.connectionString().replace(`127.0.0.1:${server.port}`, `127.0.0.1:${port}`);
    const error = await readFailure(
      source.read(sbTrigger({ queueName: 'orders' }), context({ values: values(connection) })),
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).not.toContain(server.key);
  });

  it('a namespace that never answers fails as timeout through the reader', async () => {
    const reader = new SignalReader({
      clock: systemClock,
      values: values(server.connectionString()),
      sources: [source],
      timeoutMs: 300,
    });
    const [reading] = await reader.read(scaler, [sbTrigger({ queueName: 'slow' })], []);
    expect(reading).toMatchObject({ ok: false, kind: 'timeout' });
  });

  it('an answer that is not Atom XML fails as bad-response', async () => {
    const error = await readFailure(
      source.read(
        sbTrigger({ queueName: 'garbage' }),
        context({ values: values(server.connectionString()) }),
      ),
    );
    expect(error.kind).toBe('bad-response');
    expect(error.message).not.toContain(server.key);
  });
});
