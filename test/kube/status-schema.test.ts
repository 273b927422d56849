/**
 * The status the adapter writes fits the BurstScaler CRD's status schema (deploy/crds), so the API server
 * neither rejects nor prunes it (a pruned field would make every status look changed).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { statusBody } from '../../src/kube/status.ts';

interface Crd {
  spec: { versions: { name: string; schema: { openAPIV3Schema: { properties: { status: object } } } }[] };
}

describe('status body vs the CRD', () => {
  it('validates against status with no property the schema lacks', () => {
    const crd = parse(
      readFileSync(new URL('../../deploy/crds/burstscaler.yaml', import.meta.url), 'utf8'),
    ) as Crd;
    const version = crd.spec.versions.find((v) => v.name === 'v1alpha1')!;
    const schema = JSON.parse(
      JSON.stringify(version.schema.openAPIV3Schema.properties.status),
      // Structural schemas prune unknown fields: make that an error here.
      (key, value: unknown) =>
        value &&
        typeof value === 'object' &&
        (value as { type?: string }).type === 'object' &&
        'properties' in value
          ? { ...value, additionalProperties: false }
          : value,
    ) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajvFormats.default(ajv, ['date-time']);
    const validate = ajv.compile(schema);
    const body = statusBody(
      {
        observedGeneration: 3,
        desiredReplicas: 12,
        vmReplicas: 10,
        aciReplicas: 2,
        pendingReplicas: 1,
        mode: 'bridge',
        costUSDPerHour: 0.93,
        lastDecision: {
          at: '2026-11-02T10:00:00Z',
          summary: 'burst',
          reasons: ['queue 240 / 20 → 12'],
          cost: ['ACI replica: $0.0494/h'],
        },
        forecast: {
          at: '2026-11-02T10:00:00.000Z',
          bursts: [
            { startedAt: '2026-11-02T08:00:00.000Z', endedAt: '2026-11-02T08:40:00.000Z' },
            { startedAt: '2026-11-02T09:40:00.000Z', baselineReplicas: 10 },
          ],
          levels: [{ upTo: 12, since: '2026-11-02T09:40:00.000Z' }],
        },
        conditions: [
          { type: 'Bursting', status: 'True', reason: 'VmCapacityShort', message: '2 replicas do not fit.' },
          { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok' },
        ],
      },
      undefined,
      Date.parse('2026-11-02T10:00:00Z'),
    );
    expect(validate(JSON.parse(JSON.stringify(body))), JSON.stringify(validate.errors)).toBe(true);
  });
});
