/** rabbitmq against a real rabbitmq-server, over AMQP and the management API. */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RabbitMqSource } from '../../src/signals/rabbitmq.ts';
import { SignalReader } from '../../src/signals/reader.ts';
import { startGarbageServer, startSilentServer } from '../servers/faults.ts';
import type { FaultServer } from '../servers/faults.ts';
import { freePort } from '../servers/process.ts';
import { SIGNAL_SERVERS, describeWithServer, useServer } from '../servers/use-servers.ts';
import { FakeValues, context, readFailure, scaler, systemClock, trigger } from './helpers.ts';

const rabbit = await useServer('rabbitmq', SIGNAL_SERVERS);

describeWithServer('rabbitmq against a real rabbitmq-server', rabbit, (server) => {
  const source = new RabbitMqSource();
  const amqpHost = `amqp://${server.host}:${server.amqpPort}`;
  const httpHost = server.managementUrl;
  const values = new FakeValues({
    'shop/rabbit-auth': { username: server.username, password: server.password },
    'shop/rabbit-url': {
      host: `amqp://${server.username}:${server.password}@${server.host}:${server.amqpPort}/shop`,
    },
    'shop/rabbit-wrong': { username: server.username, password: 'wrong-rabbit-password-77' },
  });
  const auth = { authenticationRef: { name: 'rabbit-auth' } };
  let connection: ChannelModel;
  let silent: FaultServer;
  let garbage: FaultServer;

  /** Declares `queue` in `vhost` holding `n` messages. */
  async function fill(vhost: string, queue: string, n: number): Promise<void> {
    const c = await connect(
      `amqp://${server.username}:${encodeURIComponent(server.password)}@${server.host}:${server.amqpPort}/${encodeURIComponent(vhost)}`,
    );
    const channel = await c.createConfirmChannel();
    await channel.assertQueue(queue, { durable: false });
    for (let i = 0; i < n; i += 1) channel.sendToQueue(queue, Buffer.from(`job-${i}`));
    await channel.waitForConfirms();
    await c.close();
  }

  beforeAll(async () => {
    connection = await connect(
      `amqp://${server.username}:${server.password}@${server.host}:${server.amqpPort}`,
    );
    [silent, garbage] = await Promise.all([startSilentServer(), startGarbageServer()]);
  });
  afterAll(async () => {
    await connection.close();
    await Promise.all([silent.stop(), garbage.stop()]);
  });

  it.each([0, 1, 25])('over AMQP, a queue holding %i messages reads %i', async (n) => {
    await fill('/', `amqp-${n}`, n);
    const t = trigger('rabbitmq', { host: amqpHost, queueName: `amqp-${n}` }, auth);
    await expect(source.read(t, context({ values }))).resolves.toEqual({ value: n });
  });

  it('reads a queue in another vhost, with the whole URL (credentials included) from the Secret', async () => {
    await fill('shop', 'orders', 7);
    const t = trigger('rabbitmq', { queueName: 'orders' }, { authenticationRef: { name: 'rabbit-url' } });
    await expect(source.read(t, context({ values }))).resolves.toEqual({ value: 7 });
  });

  it('over the management API (mode QueueLength), the count arrives once statistics refresh', async () => {
    await fill('shop', 'http-orders', 12);
    const t = trigger('rabbitmq', { host: httpHost, vhostName: 'shop', queueName: 'http-orders' }, auth);
    // collect_statistics_interval is 500 ms in the test broker: poll the real API until it shows the count.
    let value: number | undefined;
    for (let i = 0; i < 40 && value !== 12; i += 1) {
      value = await source.read(t, context({ values })).then(
        (v) => v.value,
        () => undefined,
      );
      if (value !== 12) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(value).toBe(12);
  });

  it.each([
    ['AMQP', amqpHost],
    ['HTTP', httpHost],
  ])('over %s, a missing queue fails as not-found', async (_, host) => {
    const t = trigger('rabbitmq', { host, queueName: 'no-such-queue' }, auth);
    const error = await readFailure(source.read(t, context({ values })));
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('queue no-such-queue in vhost / on 127.0.0.1');
  });

  it.each([
    ['AMQP', amqpHost],
    ['HTTP', httpHost],
  ])('over %s, a wrong password fails as auth and the message has no password', async (_, host) => {
    const t = trigger(
      'rabbitmq',
      { host, queueName: 'amqp-1' },
      { authenticationRef: { name: 'rabbit-wrong' } },
    );
    const error = await readFailure(source.read(t, context({ values })));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain('wrong-rabbit-password-77');
    expect(error.message).not.toContain(server.password);
  });

  it('a URL with credentials from the Secret never shows them in a failure', async () => {
    const t = trigger(
      'rabbitmq',
      { queueName: 'no-such-queue' },
      { authenticationRef: { name: 'rabbit-url' } },
    );
    const error = await readFailure(source.read(t, context({ values })));
    expect(error.kind).toBe('not-found');
    expect(error.message).not.toContain(server.password);
    expect(error.message).not.toContain(`${server.username}:`);
  });

  it('a broker that is down fails as unreachable', async () => {
    const port = await freePort();
    const t = trigger('rabbitmq', { host: `amqp://127.0.0.1:${port}`, queueName: 'q' }, auth);
    const error = await readFailure(source.read(t, context({ values })));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(
      `reading rabbitmq trigger rabbitmq-0 (queue q in vhost / on 127.0.0.1:${port}): unreachable: connection refused`,
    );
  });

  it('a broker that never answers fails as timeout through the reader', async () => {
    const reader = new SignalReader({ clock: systemClock, values, sources: [source], timeoutMs: 300 });
    const t = trigger('rabbitmq', { host: `amqp://127.0.0.1:${silent.port}`, queueName: 'q' }, auth);
    const [reading] = await reader.read(scaler, [t], []);
    expect(reading).toMatchObject({ ok: false, kind: 'timeout' });
  });

  it('a server that does not speak AMQP fails as bad-response', async () => {
    const t = trigger('rabbitmq', { host: `amqp://127.0.0.1:${garbage.port}`, queueName: 'q' }, auth);
    const error = await readFailure(source.read(t, context({ values, timeoutMs: 3000 })));
    expect(error.kind).toBe('bad-response');
  });
});
