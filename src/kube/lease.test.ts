import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../ports.ts';
import { leaseBody, leaseRecord } from './lease.ts';

const record: LeaseRecord = {
  holderIdentity: 'spillway-0',
  leaseDurationSeconds: 15,
  acquireTime: Date.parse('2026-11-02T10:00:00.123Z'),
  renewTime: Date.parse('2026-11-02T10:00:05.456Z'),
  leaseTransitions: 2,
};

describe('leaseBody', () => {
  it('writes MicroTime timestamps and the expected version', () => {
    expect(
      JSON.parse(JSON.stringify(leaseBody('spillway-system', 'spillway-leader', record, '51234'))),
    ).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'spillway-leader', namespace: 'spillway-system', resourceVersion: '51234' },
      spec: {
        holderIdentity: 'spillway-0',
        leaseDurationSeconds: 15,
        acquireTime: '2026-11-02T10:00:00.123000Z',
        renewTime: '2026-11-02T10:00:05.456000Z',
        leaseTransitions: 2,
      },
    });
  });

  it('allows an empty holder (a released Lease)', () => {
    expect(leaseBody('ns', 'n', { ...record, holderIdentity: '' }, '3').spec?.holderIdentity).toBe('');
  });

  it('round-trips through leaseRecord', () => {
    const back = leaseRecord(JSON.parse(JSON.stringify(leaseBody('ns', 'n', record, '7'))) as never);
    expect(back).toEqual({ ...record, version: '7' });
  });

  it.each<[string, Partial<LeaseRecord>, string]>([
    [
      'zero duration',
      { leaseDurationSeconds: 0 },
      'record.leaseDurationSeconds: must be a whole number of seconds ≥ 1, got 0',
    ],
    [
      'negative transitions',
      { leaseTransitions: -1 },
      'record.leaseTransitions: must be a whole number ≥ 0, got -1',
    ],
    ['NaN renew time', { renewTime: Number.NaN }, 'record.renewTime: must be epoch milliseconds, got NaN'],
  ])('rejects %s', (_name, change, message) => {
    expect(() => leaseBody('ns', 'n', { ...record, ...change }, undefined)).toThrow(message);
  });
});
