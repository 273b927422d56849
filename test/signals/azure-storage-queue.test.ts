/** azure-storage-queue against Azurite (the Azure Storage emulator, from npm). */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AzureStorageQueueSource } from '../../src/signals/azure-storage-queue.ts';
import { SignalReader } from '../../src/signals/reader.ts';
import { AZURITE_KEY, azuriteConnectionString } from '../servers/azurite.ts';
import { startHttpResponder, startSilentServer } from '../servers/faults.ts';
import type { FaultServer } from '../servers/faults.ts';
import { freePort } from '../servers/process.ts';
import { SIGNAL_SERVERS, describeWithServer, useServer } from '../servers/use-servers.ts';
import { FakeValues, context, readFailure, scaler, systemClock, trigger } from './helpers.ts';

const azurite = await useServer('azurite', SIGNAL_SERVERS);

/** A storage connection string for the dev account at another port (a fake or closed one). */
const connectionAt = (port: number) => azuriteConnectionString(port);

describeWithServer('azure-storage-queue against Azurite', azurite, (server) => {
  const wrongKey = Buffer.from('definitely-not-the-account-key-0123456789').toString('base64');
  const source = new AzureStorageQueueSource({
    credential: () => {
      throw new Error('workload identity must not be used in these tests');
    },
  });
  let silent: FaultServer;
  let garbage: FaultServer;
  const values = (connection: string) => new FakeValues({ 'shop/queue-auth': { connection } });
  const queueTrigger = (queueName: string) =>
    trigger('azure-storage-queue', { queueName }, { authenticationRef: { name: 'queue-auth' } });

  beforeAll(async () => {
    silent = await startSilentServer();
    garbage = await startHttpResponder((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
  });
  afterAll(async () => {
    await Promise.all([silent.stop(), garbage.stop()]);
  });

  it.each([0, 1, 30])('a queue holding %i messages reads %i', async (n) => {
    const name = `orders-${n}-${process.pid}`;
    const queue = new QueueClient(server.connectionString, name);
    await queue.create();
    for (let i = 0; i < n; i += 1) await queue.sendMessage(`job-${i}`);
    await expect(
      source.read(queueTrigger(name), context({ values: values(server.connectionString) })),
    ).resolves.toEqual({
      value: n,
    });
  });

  it('a missing queue fails as not-found, naming queue and account', async () => {
    const error = await readFailure(
      source.read(queueTrigger('no-such-queue'), context({ values: values(server.connectionString) })),
    );
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('(queue no-such-queue in account devstoreaccount1)');
  });

  it('a wrong account key fails as auth, and neither key appears in the message', async () => {
    const name = `auth-${process.pid}`;
    await new QueueClient(server.connectionString, name).create();
    const connection = server.connectionString.replace(AZURITE_KEY, wrongKey);
    const error = await readFailure(source.read(queueTrigger(name), context({ values: values(connection) })));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain(wrongKey);
    expect(error.message).not.toContain(AZURITE_KEY);
  });

  it('a Secret without the key "connection" fails as auth, naming the Secret', async () => {
    const error = await readFailure(
      source.read(
        queueTrigger('orders'),
        context({ values: new FakeValues({ 'shop/queue-auth': { other: 'x' } }) }),
      ),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toBe(
      'reading azure-storage-queue trigger azure-storage-queue-0 (Secret shop/queue-auth): auth: the Secret has no key "connection"',
    );
  });

  it('a missing Secret fails as auth', async () => {
    const error = await readFailure(
      source.read(queueTrigger('orders'), context({ values: new FakeValues() })),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('cannot read the Secret');
  });

  it('an endpoint that is down fails as unreachable', async () => {
    const port = await freePort();
    const error = await readFailure(
      source.read(queueTrigger('orders'), context({ values: values(connectionAt(port)) })),
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).not.toContain(AZURITE_KEY);
  });

  it('an endpoint that never answers fails as timeout through the reader', async () => {
    const reader = new SignalReader({
      clock: systemClock,
      values: values(connectionAt(silent.port)),
      sources: [source],
      timeoutMs: 300,
    });
    const [reading] = await reader.read(scaler, [queueTrigger('orders')], []);
    expect(reading).toMatchObject({ ok: false, kind: 'timeout' });
    expect(reading?.ok === false && reading.error).not.toContain(AZURITE_KEY);
  });

  it('an endpoint that answers something else fails as bad-response', async () => {
    const error = await readFailure(
      source.read(queueTrigger('orders'), context({ values: values(connectionAt(garbage.port)) })),
    );
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain('no approximate message count');
  });
});
