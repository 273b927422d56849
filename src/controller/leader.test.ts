import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../ports.ts';
import { createLogger } from '../telemetry/logger.ts';
import { FakeLease, LeaseStore, never } from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { LeaderElector } from './leader.ts';

const logger = createLogger({ level: 'silent' });

function replicas(n: number) {
  const clock = new ManualClock();
  const store = new LeaseStore();
  const leases = Array.from({ length: n }, () => new FakeLease(store));
  const electors = leases.map(
    (lease, i) =>
      new LeaderElector({ lease, clock, logger }, { identity: `spillway-${String.fromCharCode(97 + i)}` }),
  );
  const transitions: string[] = [];
  for (const e of electors)
    e.onChange((leading) => transitions.push(`${e.identity}:${leading ? 'leads' : 'stops'}`));
  return { clock, store, leases, electors, transitions };
}

/** Advances in 100 ms steps, checking that at most one replica considers itself leader at every step. */
async function run(clock: ManualClock, electors: LeaderElector[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await clock.advance(100);
    expect(electors.filter((e) => e.isLeader()).length).toBeLessThanOrEqual(1);
  }
}

const leaders = (electors: LeaderElector[]): string[] =>
  electors.filter((e) => e.isLeader()).map((e) => e.identity);

describe('leader election', () => {
  it('elects exactly one of two replicas and keeps it while it renews', async () => {
    const { clock, store, electors } = replicas(2);
    for (const e of electors) e.start();
    await run(clock, electors, 60_000);
    expect(leaders(electors)).toEqual(['spillway-a']);
    expect(electors.map((e) => e.state())).toEqual(['leader', 'follower']);
    expect(store.record).toMatchObject({
      holderIdentity: 'spillway-a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(store.record!.renewTime).toBeGreaterThan(clock.now() - 2100);
    await Promise.all(electors.map((e) => e.stop()));
  });

  it('when the leader dies, it stops acting by the renew deadline and the other takes over after the lease expires', async () => {
    const { clock, leases, electors, store } = replicas(2);
    const [a, b] = electors as [LeaderElector, LeaderElector];
    a.start();
    await clock.advance(0);
    b.start();
    await run(clock, electors, 5000);
    expect(leaders(electors)).toEqual(['spillway-a']);
    const lastRenew = store.record!.renewTime;
    leases[0]!.down = true; // a's process is cut off from the API server
    let stepDown = 0;
    for (let t = 0; t < 20_000 && stepDown === 0; t += 100) {
      await run(clock, electors, 100);
      if (!a.isLeader()) stepDown = clock.now() - lastRenew;
    }
    expect(stepDown).toBeGreaterThan(8000);
    expect(stepDown).toBeLessThanOrEqual(10_000); // the renew deadline
    expect(b.isLeader()).toBe(false); // the lease has not expired yet
    // b last saw the record change at most one retry period after lastRenew; it expires 15 s after that.
    let takeover = 0;
    for (let t = 0; t < 10_000 && takeover === 0; t += 100) {
      await run(clock, electors, 100);
      if (b.isLeader()) takeover = clock.now() - lastRenew;
    }
    expect(takeover).toBeGreaterThanOrEqual(15_000);
    expect(takeover).toBeLessThanOrEqual(15_000 + 2 * 2000);
    expect(store.record).toMatchObject({ holderIdentity: 'spillway-b', leaseTransitions: 1 });
    await Promise.all(electors.map((e) => e.stop()));
  });

  it('a hung API call cannot keep a leader acting: it stops by the renew deadline', async () => {
    const { clock, leases, electors } = replicas(1);
    const [a] = electors as [LeaderElector];
    a.start();
    await run(clock, electors, 3000);
    expect(a.isLeader()).toBe(true);
    leases[0]!.get = () => never<LeaseRecord | undefined>();
    await run(clock, electors, 12_000);
    expect(a.isLeader()).toBe(false);
    expect(a.state()).toBe('follower');
  });

  it('releasing on shutdown hands over at the next retry, not after the lease duration', async () => {
    const { clock, electors, transitions, store } = replicas(2);
    const [a, b] = electors as [LeaderElector, LeaderElector];
    a.start();
    await clock.advance(0);
    b.start();
    await run(clock, electors, 6000);
    await a.stop();
    expect(a.state()).toBe('stopped');
    expect(store.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    const stoppedAt = clock.now();
    let takeover = 0;
    for (let t = 0; t < 20_000 && takeover === 0; t += 100) {
      await run(clock, electors, 100);
      if (b.isLeader()) takeover = clock.now() - stoppedAt;
    }
    expect(takeover).toBeGreaterThan(0);
    expect(takeover).toBeLessThanOrEqual(2000);
    expect(transitions).toEqual(['spillway-a:leads', 'spillway-a:stops', 'spillway-b:leads']);
    await b.stop();
  });

  it('a lease released by client-go (empty holder) is taken at the next retry', async () => {
    const { clock, electors, store } = replicas(1);
    const [a] = electors as [LeaderElector];
    store.tryWrite(
      { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: 0, renewTime: 0, leaseTransitions: 7 },
      undefined,
    );
    a.start();
    await clock.advance(0);
    expect(a.isLeader()).toBe(true);
    expect(store.record).toMatchObject({ holderIdentity: 'spillway-a', leaseTransitions: 8 });
    await a.stop();
  });

  it('two replicas racing for an empty lease: compare-and-swap lets exactly one win', async () => {
    const { electors, store } = replicas(2);
    const results = await Promise.all(electors.map((e) => e.attempt()));
    expect(results.sort()).toEqual([false, true]);
    expect(store.writes).toBe(1);
  });

  it('stays unknown (not ready) while the lease cannot be read, then settles', async () => {
    const { clock, leases, electors } = replicas(1);
    const [a] = electors as [LeaderElector];
    leases[0]!.down = true;
    a.start();
    await run(clock, electors, 6000);
    expect(a.state()).toBe('unknown');
    leases[0]!.down = false;
    await run(clock, electors, 2000);
    expect(a.state()).toBe('leader');
    await a.stop();
  });

  it('a follower of a lease held elsewhere waits the full lease duration from when it first saw it', async () => {
    const { clock, electors, store } = replicas(1);
    const [b] = electors as [LeaderElector];
    // A record left by a replica that vanished long ago (its renewTime is old on *its* clock).
    store.tryWrite(
      {
        holderIdentity: 'spillway-x',
        leaseDurationSeconds: 15,
        acquireTime: 0,
        renewTime: 0,
        leaseTransitions: 3,
      },
      undefined,
    );
    b.start();
    await run(clock, electors, 14_000);
    expect(b.isLeader()).toBe(false);
    expect(b.observedHolder()).toBe('spillway-x');
    await run(clock, electors, 2000);
    expect(b.isLeader()).toBe(true);
    expect(store.record).toMatchObject({ holderIdentity: 'spillway-a', leaseTransitions: 4 });
    await b.stop();
  });

  it.each([
    { options: { identity: '' }, error: /non-empty identity/ },
    {
      options: { identity: 'x', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 },
      error: /must be greater than the renew deadline/,
    },
    {
      options: { identity: 'x', renewDeadlineMs: 2000, retryPeriodMs: 2000 },
      error: /must be greater than the retry period/,
    },
  ])('rejects $options', ({ options, error }) => {
    const clock = new ManualClock();
    expect(
      () => new LeaderElector({ lease: new FakeLease(new LeaseStore()), clock, logger }, options),
    ).toThrow(error);
  });
});
