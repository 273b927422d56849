import { describe, expect, it } from 'vitest';
import { SimQueue, SimQueueReader, poisson } from './workload.ts';
import { SeededRandom } from './aci/rng.ts';
import { parseTrace, TraceError } from './trace.ts';

const queue = (sloSeconds = 2): SimQueue =>
  new SimQueue({ serviceRate: 1, service: 'deterministic', sloSeconds });

describe('SimQueue (FIFO served by replicas)', () => {
  it.each([
    {
      case: 'capacity above arrivals: no waiting',
      steps: [
        [4, 5],
        [4, 5],
      ],
      depth: 0,
      waits: { p50: 0, p95: 0, p99: 0, max: 0 },
      over: 0,
    },
    {
      case: 'a burst served over three seconds, oldest first',
      steps: [
        [6, 2],
        [0, 2],
        [0, 2],
      ],
      depth: 0,
      waits: { p50: 1, p95: 2, p99: 2, max: 2 },
      over: 0,
    },
    {
      case: 'no replicas: the backlog ages past the SLO',
      steps: [
        [3, 0],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 3],
      ],
      depth: 0,
      waits: { p50: 4, p95: 4, p99: 4, max: 4 },
      over: 1,
    },
  ])('$case', ({ steps, depth, waits, over }) => {
    const q = queue();
    steps.forEach(([arrivals, replicas], second) => q.step(second, arrivals!, replicas!));
    expect(q.depth).toBeCloseTo(depth, 9);
    expect(q.waits()).toMatchObject(waits);
    expect(q.overSloSeconds).toBe(over);
    expect(q.served).toBeCloseTo(
      steps.reduce((a, [n]) => a + n!, 0),
      9,
    );
  });

  it('counts nothing while not counting (the warm-up)', () => {
    const q = queue();
    q.counting(false);
    q.step(0, 5, 0);
    q.counting(true);
    q.step(1, 0, 5);
    expect(q.arrived).toBe(0);
    expect(q.served).toBe(5);
  });

  it('serves fractions (fluid service)', () => {
    const q = new SimQueue({ serviceRate: 0.5, service: 'deterministic', sloSeconds: 10 });
    q.step(0, 3, 3);
    expect(q.depth).toBeCloseTo(1.5, 9);
  });

  it('exponential service: Poisson completions with the right mean, seeded', () => {
    const random = new SeededRandom(7);
    for (const mean of [0.5, 4, 50]) {
      let sum = 0;
      for (let i = 0; i < 4000; i++) sum += poisson(mean, random);
      expect(sum / 4000).toBeGreaterThan(mean * 0.93);
      expect(sum / 4000).toBeLessThan(mean * 1.07);
    }
  });

  it('is the demand signal: the reader returns the backlog per trigger', async () => {
    const q = queue();
    q.step(0, 42, 0);
    const reader = new SimQueueReader(q, { now: () => 7, sleep: () => Promise.resolve() });
    const key = { namespace: 'sim', name: 'worker', uid: 'u' };
    const readings = await reader.read(
      key,
      [
        {
          name: 'queue',
          type: 'azure-storage-queue',
          metadata: { queueName: 'work' },
          target: { type: 'AverageValue', averageValue: 10 },
        },
        {
          name: 'bad',
          type: 'azure-storage-queue',
          metadata: {},
          target: { type: 'AverageValue', averageValue: 10 },
        },
      ],
      [],
    );
    expect(readings[0]).toEqual({ trigger: 'queue', ok: true, value: 42, at: 7 });
    expect(readings[1]).toMatchObject({ trigger: 'bad', ok: false, kind: 'config' });
  });
});

describe('parseTrace (time column + count column, any step)', () => {
  const perSecond = 'second_index,timestamp,requests\n0,x,1\n1,x,2\n2,x,3\n3,x,4\n';
  it.each([
    { case: 'per second as is', text: perSecond, options: {}, arrivals: [1, 2, 3, 4], column: 'requests' },
    {
      case: 'scaled',
      text: perSecond,
      options: { scale: 10 },
      arrivals: [10, 20, 30, 40],
      column: 'requests',
    },
    {
      case: 'two times faster',
      text: perSecond,
      options: { speedup: 2 },
      arrivals: [3, 7],
      column: 'requests',
    },
    {
      case: 'a window',
      text: perSecond,
      options: { fromSeconds: 1, durationSeconds: 2 },
      arrivals: [2, 3],
      column: 'requests',
    },
    {
      case: 'per-minute rows spread evenly, ISO timestamps',
      text: 'time,count\n2026-01-01T00:00:00Z,120\n2026-01-01T00:01:00Z,60\n',
      options: { durationSeconds: 62 },
      arrivals: [...new Array<number>(60).fill(2), 1, 1],
      column: 'count',
    },
    {
      case: 'a chosen column',
      text: 'second_index,a,b\n0,1,5\n1,1,6\n',
      options: { column: 'b' },
      arrivals: [5, 6],
      column: 'b',
    },
  ])('$case', ({ text, options, arrivals, column }) => {
    const trace = parseTrace(text, 't.csv', options);
    expect([...trace.arrivals].map((v) => Number(v.toFixed(9)))).toEqual(arrivals);
    expect(trace.column).toBe(column);
    expect(trace.total).toBeCloseTo(
      arrivals.reduce((a, b) => a + b, 0),
      9,
    );
  });

  it.each([
    { text: 'second,requests\n0,1\n', options: {}, message: 'needs a header row and at least two rows' },
    { text: 'second,requests\n0,1\n1,x\n', options: {}, message: 'row 3: requests "x" is not a count ≥ 0' },
    { text: 'second,requests\n0,1\n0,1\n', options: {}, message: 'row 3: time does not increase' },
    {
      text: 'second,requests\n0,1\n1,1\n',
      options: { column: 'nope' },
      message: 'no count column "nope"; columns are second, requests',
    },
    {
      text: 'second,requests\n0,1\n1,1\n',
      options: { scale: 0 },
      message: '--scale: must be a number above 0, got 0',
    },
    {
      text: 'when,requests\nmonday,1\ntuesday,1\n',
      options: { timeColumn: 'when' },
      message: 'is neither a number of seconds nor a timestamp',
    },
  ])('rejects $message', ({ text, options, message }) => {
    expect(() => parseTrace(text, 't.csv', options)).toThrow(TraceError);
    expect(() => parseTrace(text, 't.csv', options)).toThrow(message);
  });
});
