/** redis-list and redis-stream against a real redis-server (and misbehaving servers for failures). */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SignalReader } from '../../src/signals/reader.ts';
import { RedisListSource } from '../../src/signals/redis-list.ts';
import { RedisStreamSource } from '../../src/signals/redis-stream.ts';
import { startGarbageServer, startSilentServer } from '../servers/faults.ts';
import type { FaultServer } from '../servers/faults.ts';
import { freePort } from '../servers/process.ts';
import { SIGNAL_SERVERS, describeWithServer, useServer } from '../servers/use-servers.ts';
import { FakeValues, context, readFailure, scaler, systemClock, trigger } from './helpers.ts';

const redis = await useServer('redis', SIGNAL_SERVERS);

describeWithServer('redis sources against a real redis-server', redis, (server) => {
  const address = `${server.host}:${server.port}`;
  const list = new RedisListSource();
  const stream = new RedisStreamSource();
  const prefix = `t${process.pid}`;
  let admin: Redis;
  let silent: FaultServer;
  let garbage: FaultServer;

  beforeAll(async () => {
    admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await admin.connect();
    [silent, garbage] = await Promise.all([startSilentServer(), startGarbageServer()]);
  });
  afterAll(async () => {
    admin.disconnect();
    await Promise.all([silent.stop(), garbage.stop()]);
  });

  it.each([0, 1, 37])('redis-list reads a list of %i items as %i', async (n) => {
    const key = `${prefix}:list:${n}`;
    if (n > 0) await admin.rpush(key, ...Array.from({ length: n }, (_, i) => `job-${i}`));
    await expect(list.read(trigger('redis-list', { address, listName: key }), context())).resolves.toEqual({
      value: n,
    });
  });

  it('redis-list authenticates with the username and password of the Secret', async () => {
    const key = `${prefix}:list:auth`;
    await admin.rpush(key, 'a', 'b', 'c');
    const values = new FakeValues({
      'shop/redis-auth': { username: server.username, password: server.password },
    });
    const t = trigger(
      'redis-list',
      { host: server.host, port: String(server.port), listName: key },
      {
        authenticationRef: { name: 'redis-auth' },
      },
    );
    await expect(list.read(t, context({ values }))).resolves.toEqual({ value: 3 });
    expect(values.calls).toEqual(['secret shop/redis-auth']);
  });

  it('redis-list with a wrong password fails as auth, without the password in the message', async () => {
    const wrong = 'not-the-password-0451';
    const values = new FakeValues({ 'shop/redis-auth': { username: server.username, password: wrong } });
    const t = trigger(
      'redis-list',
      { address, listName: 'x' },
      { authenticationRef: { name: 'redis-auth' } },
    );
    const error = await readFailure(list.read(t, context({ values })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`list x on ${address}`);
    expect(error.message).not.toContain(wrong);
  });

  it('redis-list on a key of another type fails as bad-response naming the type', async () => {
    const key = `${prefix}:hash`;
    await admin.hset(key, 'a', '1');
    const error = await readFailure(list.read(trigger('redis-list', { address, listName: key }), context()));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toContain(`key ${key} holds a hash, not a list`);
  });

  it('redis-stream without a consumer group reads the stream length', async () => {
    const key = `${prefix}:stream:len`;
    for (let i = 0; i < 5; i += 1) await admin.xadd(key, '*', 'n', String(i));
    await expect(stream.read(trigger('redis-stream', { address, stream: key }), context())).resolves.toEqual({
      value: 5,
    });
  });

  it('redis-stream reads a group backlog as pending + not yet delivered (Redis 7 lag)', async () => {
    const key = `${prefix}:stream:lag`;
    for (let i = 0; i < 10; i += 1) await admin.xadd(key, '*', 'n', String(i));
    await admin.xgroup('CREATE', key, 'workers', '0');
    // 4 delivered, 1 of them acknowledged: pending 3, undelivered 6.
    const delivered = (await admin.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 4, 'STREAMS', key, '>')) as [
      string,
      [string, string[]][],
    ][];
    const firstId = delivered[0]?.[1][0]?.[0];
    expect(firstId).toBeDefined();
    await admin.xack(key, 'workers', firstId!);
    const t = trigger('redis-stream', { address, stream: key, consumerGroup: 'workers' });
    await expect(stream.read(t, context())).resolves.toEqual({ value: 3 + 6 });
  });

  it('redis-stream counts undelivered entries itself when Redis cannot report the lag (after XDEL)', async () => {
    const key = `${prefix}:stream:xdel`;
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) ids.push((await admin.xadd(key, '*', 'n', String(i)))!);
    await admin.xgroup('CREATE', key, 'workers', '0');
    await admin.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 3, 'STREAMS', key, '>');
    await admin.xdel(key, ids[6]!);
    const groups = (await admin.xinfo('GROUPS', key)) as unknown[][];
    const lag = groups[0]?.[groups[0].indexOf('lag') + 1];
    expect(lag).toBeNull(); // the path under test
    const t = trigger('redis-stream', { address, stream: key, consumerGroup: 'workers' });
    // pending 3 + undelivered 6 (7 left after the 3 delivered, one deleted)
    await expect(stream.read(t, context())).resolves.toEqual({ value: 9 });
  });

  it.each([
    ['a missing stream', { stream: `${prefix}:nope`, consumerGroup: 'g' }, 'stream t'],
    [
      'a missing group',
      { stream: `${prefix}:stream:len`, consumerGroup: 'nobody' },
      'consumer group nobody does not exist',
    ],
  ])('redis-stream on %s fails as not-found', async (_, metadata, text) => {
    const error = await readFailure(
      stream.read(trigger('redis-stream', { address, ...metadata }), context()),
    );
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain(text);
  });

  it('a server that is down fails as unreachable', async () => {
    const port = await freePort();
    const error = await readFailure(
      list.read(trigger('redis-list', { address: `127.0.0.1:${port}`, listName: 'q' }), context()),
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(
      `reading redis-list trigger redis-list-0 (list q on 127.0.0.1:${port}): unreachable: connection refused`,
    );
  });

  it('a server that never answers fails as timeout through the reader, within its timeout', async () => {
    const reader = new SignalReader({
      clock: systemClock,
      values: new FakeValues(),
      sources: [list],
      timeoutMs: 300,
    });
    const t = trigger('redis-list', { address: `127.0.0.1:${silent.port}`, listName: 'q' });
    const started = Date.now();
    const [reading] = await reader.read(scaler, [t], []);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(reading).toMatchObject({ trigger: 'redis-list-0', ok: false, kind: 'timeout' });
    expect(silent.connections()).toBeGreaterThan(0);
  });

  it('a server that answers garbage fails as bad-response', async () => {
    const t = trigger('redis-stream', { address: `127.0.0.1:${garbage.port}`, stream: 's' });
    const error = await readFailure(stream.read(t, context({ timeoutMs: 3000 })));
    expect(error.kind).toBe('bad-response');
    expect(error.message).toMatch(
      /^reading redis-stream trigger redis-stream-0 \(stream s on 127\.0\.0\.1:\d+\): bad-response: Unknown RESP type/,
    );
  });
});
