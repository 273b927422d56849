import { describe, expect, it } from 'vitest';
import { ACI_NAME_MAX, burstGroupName } from './naming.ts';

const key = { namespace: 'shop', name: 'orders-worker', uid: '6f1c2c1e-1111-2222-3333-444455556666' };

describe('burstGroupName', () => {
  it('is deterministic and readable', () => {
    expect(burstGroupName(key, 3)).toBe(burstGroupName(key, 3));
    expect(burstGroupName(key, 3)).toMatch(/^shop-orders-worker-[0-9a-f]{6}-3$/);
  });
  it.each([
    ['a different index', { ...key }, 4],
    ['a re-created scaler (new uid)', { ...key, uid: 'other' }, 3],
    ['another namespace', { ...key, namespace: 'shop2' }, 3],
  ])('differs for %s', (_what, other, index) => {
    expect(burstGroupName(other, index)).not.toBe(burstGroupName(key, 3));
  });
  it('fits ACI naming rules for long and odd names', () => {
    const long = { namespace: 'N'.repeat(63), name: 'x.y_z'.repeat(60), uid: 'u' };
    const name = burstGroupName(long, 12345);
    expect(name.length).toBeLessThanOrEqual(ACI_NAME_MAX);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name).not.toContain('--');
  });
  it('rejects negative or fractional indexes', () => {
    expect(() => burstGroupName(key, -1)).toThrow(RangeError);
    expect(() => burstGroupName(key, 1.5)).toThrow(RangeError);
  });
});
