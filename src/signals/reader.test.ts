import { describe, expect, it } from 'vitest';
import { FakeClock, FakeValues, flush, trigger } from '../../test/signals/helpers.ts';
import type { PodInfo, ScalerKey, TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { SignalConfigError, SignalReadError } from './errors.ts';
import { SignalReader } from './reader.ts';

/** A fake source: records every read and answers with what the test scripts. */
class FakeSource implements SignalSource {
  readonly type = 'redis-list' as const;
  readonly caching: 'shared' | 'none';
  readonly reads: { trigger: string; namespace: string; signal: AbortSignal; pods?: PodInfo[] }[] = [];
  answer: (call: number) => Promise<SignalValue> = () => Promise.resolve({ value: 5 });
  inFlight = 0;
  maxInFlight = 0;

  constructor(caching: 'shared' | 'none' = 'shared') {
    this.caching = caching;
  }

  validate(t: TriggerPolicy): void {
    if (!t.metadata.listName) throw SignalConfigError.forField(t, 'metadata.listName', 'required');
  }

  async read(t: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    this.reads.push({
      trigger: t.name,
      namespace: context.scaler.namespace,
      signal: context.signal,
      pods: context.pods,
    });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(this.reads.length);
    } finally {
      this.inFlight -= 1;
    }
  }
}

const scalerIn = (namespace: string, name = 'worker'): ScalerKey => ({
  namespace,
  name,
  uid: `${namespace}-${name}`,
});
const list = (metadata: Record<string, string>, extra: Partial<TriggerPolicy> = {}) =>
  trigger('redis-list', { address: 'redis:6379', listName: 'jobs', ...metadata }, extra);

function setup(
  options: { caching?: 'shared' | 'none'; timeoutMs?: number; intervalMs?: number; max?: number } = {},
) {
  const clock = new FakeClock();
  const source = new FakeSource(options.caching);
  const reader = new SignalReader({
    clock,
    values: new FakeValues(),
    sources: [source],
    timeoutMs: options.timeoutMs ?? 5000,
    intervalMs: options.intervalMs ?? 2000,
    maxConcurrentReads: options.max,
  });
  return { clock, source, reader };
}

/** A promise the test resolves by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SignalReader sharing', () => {
  it.each([
    {
      what: 'the same list from two namespaces, no credentials',
      first: list({}),
      second: list({}),
      other: scalerIn('b'),
      reads: 1,
    },
    {
      what: 'triggers that differ only in their targets',
      first: list({ targetPerReplica: '5' }),
      second: list({ listLength: '50' }),
      other: scalerIn('a', 'other'),
      reads: 1,
    },
    {
      what: 'different lists',
      first: list({ listName: 'a' }),
      second: list({ listName: 'b' }),
      other: scalerIn('a', 'other'),
      reads: 2,
    },
    {
      what: 'the same list with different Secrets',
      first: list({}, { authenticationRef: { name: 'one' } }),
      second: list({}, { authenticationRef: { name: 'two' } }),
      other: scalerIn('a', 'other'),
      reads: 2,
    },
    {
      what: 'the same Secret name in two namespaces (two different Secrets)',
      first: list({}, { authenticationRef: { name: 'auth' } }),
      second: list({}, { authenticationRef: { name: 'auth' } }),
      other: scalerIn('b'),
      reads: 2,
    },
    {
      what: 'the same Secret in the same namespace',
      first: list({}, { authenticationRef: { name: 'auth' } }),
      second: list({}, { authenticationRef: { name: 'auth' } }),
      other: scalerIn('a', 'other'),
      reads: 1,
    },
  ])('$what: $reads read(s) for two scalers', async ({ first, second, other, reads }) => {
    const { source, reader } = setup();
    const [a] = await reader.read(scalerIn('a'), [first], []);
    const [b] = await reader.read(other, [second], []);
    expect(source.reads).toHaveLength(reads);
    expect(a).toMatchObject({ ok: true, value: 5 });
    expect(b).toMatchObject({ ok: true, value: 5 });
  });

  it('re-reads once the interval has passed on the clock, and reports when each value was read', async () => {
    const { clock, source, reader } = setup({ intervalMs: 2000 });
    source.answer = (n) => Promise.resolve({ value: n * 10 });
    const start = clock.now();
    expect(await reader.read(scalerIn('a'), [list({})], [])).toEqual([
      { trigger: 'redis-list-0', ok: true, value: 10, at: start },
    ]);
    await clock.advance(1999);
    expect(await reader.read(scalerIn('b'), [list({})], [])).toEqual([
      { trigger: 'redis-list-0', ok: true, value: 10, at: start },
    ]);
    await clock.advance(1);
    expect(await reader.read(scalerIn('b'), [list({})], [])).toEqual([
      { trigger: 'redis-list-0', ok: true, value: 20, at: start + 2000 },
    ]);
    expect(reader.stats).toEqual({ reads: 2, shared: 1, timeouts: 0 });
  });

  it('shares failures for the interval too, so a down server is asked once per interval', async () => {
    const { clock, source, reader } = setup();
    source.answer = () =>
      Promise.reject(new SignalReadError(list({}), 'list jobs', 'unreachable', 'connection refused'));
    const readings = [
      ...(await reader.read(scalerIn('a'), [list({})], [])),
      ...(await reader.read(scalerIn('b'), [list({})], [])),
    ];
    expect(source.reads).toHaveLength(1);
    expect(readings).toEqual(
      ['a', 'b'].map(() => ({
        trigger: 'redis-list-0',
        ok: false,
        kind: 'unreachable',
        error: 'reading redis-list trigger redis-list-0 (list jobs): unreachable: connection refused',
        at: clock.now(),
      })),
    );
  });

  it('joins a read in flight instead of starting another', async () => {
    const { source, reader } = setup();
    const gate = deferred<SignalValue>();
    source.answer = () => gate.promise;
    const first = reader.read(scalerIn('a'), [list({})], []);
    const second = reader.read(scalerIn('b'), [list({})], []);
    await flush();
    gate.resolve({ value: 3 });
    expect((await Promise.all([first, second])).flat().map((r) => r.ok && r.value)).toEqual([3, 3]);
    expect(source.reads).toHaveLength(1);
  });

  it('never caches per-scaler sources (pods, time) and hands them the pods', async () => {
    const { source, reader } = setup({ caching: 'none' });
    const pods: PodInfo[] = [{ name: 'p1', phase: 'Running', ready: true, deleting: false, createdAt: 0 }];
    await reader.read(scalerIn('a'), [list({})], pods);
    await reader.read(scalerIn('a'), [list({})], pods);
    expect(source.reads.map((r) => r.pods)).toEqual([pods, pods]);
  });
});

describe('SignalReader timeouts and failures', () => {
  it('times out a read that never answers, on the injected clock, and aborts the source', async () => {
    const { clock, source, reader } = setup({ timeoutMs: 5000 });
    source.answer = () => new Promise<SignalValue>(() => undefined);
    const pending = reader.read(scalerIn('a'), [list({})], []);
    await clock.advance(4999);
    expect(source.reads[0]?.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(await pending).toEqual([
      {
        trigger: 'redis-list-0',
        ok: false,
        kind: 'timeout',
        error: 'reading redis-list trigger redis-list-0: timeout: no answer within 5000 ms',
        at: clock.now(),
      },
    ]);
    expect(source.reads[0]?.signal.aborted).toBe(true);
    expect(reader.stats.timeouts).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves no timer behind after a read that answers', async () => {
    const { clock, reader } = setup();
    await reader.read(scalerIn('a'), [list({})], []);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    [
      'invalid metadata',
      list({ listName: '' }),
      'config',
      'spec.triggers[0] (redis-list-0).metadata.listName: required',
    ],
    [
      'a type without a source',
      trigger('prometheus', {}),
      'config',
      'prometheus-0: no signal source for type prometheus',
    ],
  ])('%s fails the trigger as %s without calling the source', async (_, t, kind, error) => {
    const { source, reader } = setup();
    expect(await reader.read(scalerIn('a'), [t], [])).toMatchObject([{ ok: false, kind, error }]);
    expect(source.reads).toHaveLength(0);
  });

  it.each([
    [
      'an unexpected error, redacting credentials',
      () => Promise.reject(new Error('connect to amqp://bob:hunter22@rabbit:5672 failed')),
      'reading redis-list trigger redis-list-0: bad-response: connect to amqp://***@rabbit:5672 failed',
    ],
    [
      'a value that is not a number',
      () => Promise.resolve({ value: NaN }),
      'redis-list-0: the source returned NaN, not a number',
    ],
  ])('turns %s into a bad-response reading', async (_, answer, error) => {
    const { source, reader } = setup();
    source.answer = answer;
    expect(await reader.read(scalerIn('a'), [list({})], [])).toMatchObject([
      { ok: false, kind: 'bad-response', error },
    ]);
  });

  it('answers every trigger in order, one failing without affecting the others', async () => {
    const { source, reader } = setup();
    source.answer = (n) => (n === 2 ? Promise.reject(new Error('boom')) : Promise.resolve({ value: n }));
    const triggers = ['a', 'b', 'c'].map((listName, i) => list({ listName }, { name: `t${i}` }));
    const readings = await reader.read(scalerIn('a'), triggers, []);
    expect(readings.map((r) => [r.trigger, r.ok])).toEqual([
      ['t0', true],
      ['t1', false],
      ['t2', true],
    ]);
  });

  it('when the caller aborts, unanswered triggers fail as timeout at once', async () => {
    const { source, reader } = setup();
    source.answer = () => new Promise<SignalValue>(() => undefined);
    const caller = new AbortController();
    const pending = reader.read(scalerIn('a'), [list({})], [], caller.signal);
    await flush();
    caller.abort();
    expect(await pending).toMatchObject([
      { ok: false, kind: 'timeout', error: 'reading redis-list trigger redis-list-0: timeout: aborted' },
    ]);
  });

  it('close() aborts reads in flight', async () => {
    const { source, reader } = setup();
    source.answer = () => new Promise<SignalValue>(() => undefined);
    void reader.read(scalerIn('a'), [list({})], []);
    await flush();
    reader.close();
    expect(source.reads[0]?.signal.aborted).toBe(true);
  });

  it('runs at most maxConcurrentReads reads at once; the others wait their turn', async () => {
    const { source, reader } = setup({ max: 2 });
    const gates = [deferred<SignalValue>(), deferred<SignalValue>(), deferred<SignalValue>()];
    source.answer = (n) => gates[n - 1]!.promise;
    const pending = reader.read(
      scalerIn('a'),
      ['a', 'b', 'c'].map((listName) => list({ listName })),
      [],
    );
    await flush();
    expect(source.reads).toHaveLength(2);
    gates[0]!.resolve({ value: 1 });
    await flush();
    expect(source.reads).toHaveLength(3);
    gates[1]!.resolve({ value: 2 });
    gates[2]!.resolve({ value: 3 });
    expect((await pending).map((r) => r.ok && r.value)).toEqual([1, 2, 3]);
    expect(source.maxInFlight).toBe(2);
  });
});
