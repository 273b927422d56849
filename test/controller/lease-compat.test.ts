/**
 * The leader elector against the Kubernetes adapter's Lease encoding: every record the elector writes
 * must survive leaseBody → API server → leaseRecord (what KubeLease does), including the release.
 */
import { describe, expect, it } from 'vitest';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaderElector } from '../../src/controller/leader.ts';
import { leaseBody, leaseRecord } from '../../src/kube/lease.ts';
import type { LeasePort, LeaseRecord } from '../../src/ports.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { ManualClock } from './manual-clock.ts';

/** A Lease stored as the API server would: the V1Lease body, with resourceVersion for CAS. */
class EncodedLease implements LeasePort {
  stored: V1Lease | undefined;
  #version = 0;
  get(): Promise<LeaseRecord | undefined> {
    return Promise.resolve(
      this.stored ? leaseRecord(JSON.parse(JSON.stringify(this.stored)) as V1Lease) : undefined,
    );
  }
  tryWrite(record: LeaseRecord, expectedVersion: string | undefined): Promise<boolean> {
    const body = leaseBody('spillway-system', 'spillway-leader', record, expectedVersion);
    if (this.stored?.metadata?.resourceVersion !== expectedVersion) return Promise.resolve(false);
    this.#version++;
    this.stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(this.#version) } };
    return Promise.resolve(true);
  }
}

describe('leader election through the Lease encoding', () => {
  it('acquires, renews, releases and is taken over, with every write accepted', async () => {
    const clock = new ManualClock();
    const lease = new EncodedLease();
    const logger = createLogger({ level: 'silent' });
    const a = new LeaderElector({ lease, clock, logger }, { identity: 'spillway-7d9f-a' });
    const b = new LeaderElector({ lease, clock, logger }, { identity: 'spillway-7d9f-b' });
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(10_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(lease.stored?.spec).toMatchObject({ holderIdentity: 'spillway-7d9f-a', leaseDurationSeconds: 15 });
    await a.stop();
    expect(lease.stored?.spec?.holderIdentity).toBe('');
    await clock.advance(2000);
    expect(b.isLeader()).toBe(true);
    expect(lease.stored?.spec).toMatchObject({ holderIdentity: 'spillway-7d9f-b', leaseTransitions: 1 });
    await b.stop();
  });
});
