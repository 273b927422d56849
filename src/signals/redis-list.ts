/**
 * `redis-list`: the length of a Redis list (LLEN), like KEDA's `redis` scaler.
 *
 * Metadata: `listName` (required), connection fields as in redis-connection.ts. A missing key reads 0,
 * as LLEN does; a key holding another type is a bad-response failure.
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { SignalReadError } from './errors.ts';
import { Metadata } from './metadata.ts';
import { parseRedisSettings, withRedis } from './redis-connection.ts';

export class RedisListSource implements SignalSource {
  readonly type = 'redis-list' as const;

  validate(trigger: TriggerPolicy): void {
    parseRedisSettings(trigger);
    new Metadata(trigger).required('listName');
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    this.validate(trigger);
    const listName = new Metadata(trigger).required('listName');
    return withRedis(
      trigger,
      context,
      (where) => `list ${listName} on ${where}`,
      async (client, what) => {
        try {
          return { value: await client.llen(listName) };
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('WRONGTYPE')) {
            const actual = await client.type(listName);
            throw new SignalReadError(
              trigger,
              what,
              'bad-response',
              `key ${listName} holds a ${actual}, not a list`,
              {
                cause: error,
              },
            );
          }
          throw error;
        }
      },
    );
  }
}
