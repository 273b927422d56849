/**
 * `redis-stream`: work waiting in a Redis stream, like KEDA's `redis-streams` scaler.
 *
 * Metadata: `stream` (required), `consumerGroup` (optional), connection fields as in redis-connection.ts.
 * - With `consumerGroup`: the group's backlog = pending (delivered, not acknowledged) + lag (entries not yet
 *   delivered). Redis 7 reports `lag` in XINFO GROUPS; when it cannot (older servers, or `lag` is null after
 *   XDEL/XTRIM inside the undelivered range) the undelivered entries are counted with XRANGE.
 * - Without it: the stream length (XLEN).
 * A missing stream or group is a not-found failure.
 */
import type { Redis } from 'ioredis';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { SignalReadError } from './errors.ts';
import { Metadata } from './metadata.ts';
import { parseRedisSettings, withRedis } from './redis-connection.ts';

/** Undelivered entries are counted in pages of this size when Redis cannot report the lag. */
const XRANGE_PAGE = 1000;

/** XINFO GROUPS replies with flat [key, value, key, value, ...] arrays. */
function toRecord(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** Entries with an ID greater than `after`, counted page by page. */
async function countAfter(client: Redis, stream: string, after: string): Promise<number> {
  let count = 0;
  let start = `(${after}`;
  for (;;) {
    const page = await client.xrange(stream, start, '+', 'COUNT', XRANGE_PAGE);
    count += page.length;
    const last = page.at(-1);
    if (page.length < XRANGE_PAGE || !last) return count;
    start = `(${last[0]}`;
  }
}

export class RedisStreamSource implements SignalSource {
  readonly type = 'redis-stream' as const;

  validate(trigger: TriggerPolicy): void {
    parseRedisSettings(trigger);
    const md = new Metadata(trigger);
    md.required('stream');
    md.optional('consumerGroup');
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    this.validate(trigger);
    const md = new Metadata(trigger);
    const stream = md.required('stream');
    const group = md.optional('consumerGroup');
    return withRedis(
      trigger,
      context,
      (where) => (group ? `group ${group} of stream ${stream} on ${where}` : `stream ${stream} on ${where}`),
      async (client, what) => {
        const exists = await client.exists(stream);
        if (!exists) throw new SignalReadError(trigger, what, 'not-found', `stream ${stream} does not exist`);
        if (!group) return { value: await client.xlen(stream) };
        const groups = ((await client.xinfo('GROUPS', stream)) as unknown[]).map(toRecord);
        const info = groups.find((g) => String(g.name) === group);
        if (!info) {
          throw new SignalReadError(trigger, what, 'not-found', `consumer group ${group} does not exist`);
        }
        const pending = Number(info.pending);
        if (!Number.isFinite(pending)) {
          throw new SignalReadError(trigger, what, 'bad-response', 'XINFO GROUPS has no pending count');
        }
        const reportedLag = info.lag === null || info.lag === undefined ? NaN : Number(info.lag);
        const lag = Number.isFinite(reportedLag)
          ? reportedLag
          : await countAfter(client, stream, String(info['last-delivered-id']));
        return { value: pending + lag };
      },
    );
  }
}
