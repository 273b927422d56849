import { describe, expect, it } from 'vitest';
import type { Condition, ScalerStatus } from '../core/types.ts';
import { InvalidRequestError } from './errors.ts';
import { rfc3339, statusBody, statusUnchanged } from './status.ts';

const NOW = Date.parse('2026-11-02T10:00:00.750Z');
const EARLIER = '2026-10-22T08:00:05Z';

function status(conditions: Condition[], extra: Partial<ScalerStatus> = {}): ScalerStatus {
  return {
    observedGeneration: 2,
    desiredReplicas: 12,
    vmReplicas: 10,
    aciReplicas: 2,
    pendingReplicas: 1,
    mode: 'bridge',
    costUSDPerHour: 0.93,
    lastDecision: {
      at: '2026-11-02T10:00:00Z',
      summary: 'burst: 2 on ACI',
      reasons: ['queue 240 / 20 → 12'],
      cost: [],
    },
    conditions,
    ...extra,
  };
}

const bursting = (s: Condition['status']): Condition => ({
  type: 'Bursting',
  status: s,
  reason: 'VmCapacityShort',
  message: '2 replicas do not fit on VM nodes.',
});

describe('statusBody conditions', () => {
  it.each<[string, unknown, Condition, string]>([
    ['a new condition starts now', { conditions: [] }, bursting('True'), rfc3339(NOW)],
    [
      'same status keeps its transition time',
      { conditions: [{ type: 'Bursting', status: 'True', lastTransitionTime: EARLIER }] },
      bursting('True'),
      EARLIER,
    ],
    [
      'a changed status moves it to now',
      { conditions: [{ type: 'Bursting', status: 'False', lastTransitionTime: EARLIER }] },
      bursting('True'),
      rfc3339(NOW),
    ],
    [
      'a changed reason or message alone keeps it',
      {
        conditions: [
          { type: 'Bursting', status: 'True', reason: 'Other', message: 'x', lastTransitionTime: EARLIER },
        ],
      },
      bursting('True'),
      EARLIER,
    ],
    ['no stored status at all', undefined, bursting('False'), rfc3339(NOW)],
  ])('%s', (_name, current, condition, expected) => {
    const body = statusBody(status([condition]), current, NOW);
    expect(body.conditions[0]).toEqual({ ...condition, lastTransitionTime: expected });
  });

  it('writes metav1.Time at seconds precision', () => {
    expect(rfc3339(NOW)).toBe('2026-11-02T10:00:00Z');
  });
});

describe('statusBody validation', () => {
  it.each<[string, ScalerStatus, string]>([
    [
      'negative replicas',
      status([], { vmReplicas: -1 }),
      'status.vmReplicas: must be a whole number ≥ 0, got -1',
    ],
    [
      'fractional replicas',
      status([], { desiredReplicas: 1.5 }),
      'status.desiredReplicas: must be a whole number ≥ 0, got 1.5',
    ],
    [
      'NaN cost',
      status([], { costUSDPerHour: Number.NaN }),
      'status.costUSDPerHour: must be a finite number ≥ 0, got NaN',
    ],
    [
      'reason not CamelCase',
      status([{ ...bursting('True'), reason: 'vm capacity short' }]),
      'status.conditions[0].reason: "vm capacity short" must be CamelCase',
    ],
    [
      'a type twice',
      status([bursting('True'), bursting('False')]),
      'status.conditions[1].type: Bursting appears twice',
    ],
  ])('%s', (_name, input, message) => {
    expect(() => statusBody(input, undefined, NOW)).toThrow(InvalidRequestError);
    expect(() => statusBody(input, undefined, NOW)).toThrow(message);
  });
});

describe('statusUnchanged', () => {
  it('is true only when every written field already has the value', () => {
    const body = statusBody(status([bursting('True')]), undefined, NOW);
    const stored = JSON.parse(JSON.stringify({ ...body, extraFieldSomeoneElseWrote: 1 })) as unknown;
    expect(statusUnchanged(body, stored)).toBe(true);
    expect(statusUnchanged({ ...body, aciReplicas: 3 }, stored)).toBe(false);
    expect(statusUnchanged(body, undefined)).toBe(false);
  });
});
