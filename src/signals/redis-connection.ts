/**
 * Connection settings shared by the redis-list and redis-stream sources (KEDA's Redis metadata names):
 * `address` (host:port) or `host` + `port` in metadata or in the Secret, `databaseIndex`, `enableTLS`,
 * `unsafeSsl`; Secret keys `username` and `password`. One short-lived connection per read.
 */
import { Redis } from 'ioredis';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext } from '../ports.ts';
import { resolveCredentials } from './auth.ts';
import { SignalReadError, toReadError, untilAborted } from './errors.ts';
import { Metadata, checkAuthKind } from './metadata.ts';

export interface RedisSettings {
  /** From metadata; may be completed from the Secret at read time. */
  address?: { host: string; port: number };
  db: number;
  tls: boolean;
  unsafeSsl: boolean;
}

function parseAddress(md: Metadata, field: string, value: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match?.[1] || !(port > 0 && port < 65536)) {
    throw md.error(field, `must be host:port, got ${JSON.stringify(value)}`);
  }
  return { host: match[1], port };
}

/** Pure parse of the connection metadata. */
export function parseRedisSettings(trigger: TriggerPolicy): RedisSettings {
  checkAuthKind(trigger, ['Secret']);
  const md = new Metadata(trigger);
  const addressText = md.optional('address');
  const host = md.optional('host');
  const port = md.number('port', { integer: true, min: 1, fallback: 6379 });
  if (addressText && host) throw md.error('host', 'set either address or host, not both');
  let address: RedisSettings['address'];
  if (addressText) address = parseAddress(md, 'address', addressText);
  else if (host) address = { host, port };
  else if (!trigger.authenticationRef) {
    throw md.error(
      'address',
      'required (host:port), or host and port, or an authenticationRef whose Secret has them',
    );
  }
  return {
    address,
    db: md.number('databaseIndex', { integer: true, min: 0, fallback: 0 }),
    tls: md.boolean('enableTLS', false),
    unsafeSsl: md.boolean('unsafeSsl', false),
  };
}

/**
 * Connects, runs `work`, disconnects. Failures become SignalReadErrors: refused/reset → unreachable,
 * WRONGPASS/NOAUTH → auth, abort → timeout, protocol garbage → bad-response.
 */
export async function withRedis<T>(
  trigger: TriggerPolicy,
  context: SignalContext,
  describe: (where: string) => string,
  work: (client: Redis, what: string) => Promise<T>,
): Promise<T> {
  const settings = parseRedisSettings(trigger);
  const credentials = await resolveCredentials(trigger, context);
  const secret = credentials.values;
  let address = settings.address;
  if (!address) {
    const md = new Metadata(trigger);
    if (secret.address) address = parseAddress(md, 'address', secret.address);
    else if (secret.host) address = { host: secret.host, port: Number(secret.port ?? 6379) };
    else {
      throw new SignalReadError(
        trigger,
        describe('?'),
        'auth',
        'neither metadata nor the Secret has an address or host',
      );
    }
  }
  const what = describe(`${address.host}:${address.port}`);
  const client = new Redis({
    host: address.host,
    port: address.port,
    username: secret.username,
    password: secret.password,
    db: settings.db,
    tls: settings.tls ? { rejectUnauthorized: !settings.unsafeSsl, servername: address.host } : undefined,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectionName: 'spillway',
  });
  // With retries off, connect() only says "Connection is closed."; the reason comes as an 'error' event.
  let lastError: unknown;
  client.on('error', (error) => (lastError = error));
  try {
    return await untilAborted(
      context.signal,
      client.connect().then(() => work(client, what)),
      () => client.disconnect(),
    );
  } catch (caught) {
    if (caught instanceof SignalReadError) throw caught;
    const closed = caught instanceof Error && /Connection is closed/.test(caught.message);
    const error = closed && lastError !== undefined ? lastError : caught;
    const message = error instanceof Error ? error.message : '';
    const authFailed = /^(WRONGPASS|NOAUTH|NOPERM)/.test(message) || /invalid password/i.test(message);
    throw toReadError(trigger, what, error, {
      signal: context.signal,
      secrets: credentials.secrets,
      fallbackKind: authFailed ? 'auth' : 'bad-response',
    });
  } finally {
    client.disconnect();
  }
}
