/**
 * JSON Schemas generated from Grafana's own TypeScript types (@grafana/grafana-foundation-sdk) with
 * ts-json-schema-generator (`additionalProperties: true`: Grafana keeps fields the SDK does not type),
 * compiled with Ajv. Built once per test file (about 2 s), never committed, so they follow the SDK version
 * in package.json.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const here = dirname(fileURLToPath(import.meta.url));

/** The type names exported by test/telemetry/grafana-types.ts. */
export const GRAFANA_TYPES = [
  'GrafanaDashboard',
  'PrometheusQuery',
  'StatPanelOptions',
  'TablePanelOptions',
  'TimeseriesPanelOptions',
  'TimeseriesPanelFieldConfig',
] as const;
export type GrafanaType = (typeof GRAFANA_TYPES)[number];

export type GrafanaValidators = Record<GrafanaType, ValidateFunction>;

/** Generates and compiles a validator per Grafana type. */
export function grafanaValidators(): GrafanaValidators {
  const generator = createGenerator({
    path: join(here, 'grafana-types.ts'),
    tsconfig: join(here, 'grafana-types.tsconfig.json'),
    additionalProperties: true,
    skipTypeCheck: true,
    // Builder classes carry methods; data has none.
    functions: 'hide',
  });
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = {} as GrafanaValidators;
  for (const type of GRAFANA_TYPES) validators[type] = ajv.compile(generator.createSchema(type));
  return validators;
}

/** Ajv's errors as `path: message` lines, for assertion messages. */
export function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
