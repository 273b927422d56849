import { describe, expect, it } from 'vitest';
import { structuralSchemaProblems } from './structural.ts';

const root = (spec: Record<string, unknown>) => ({
  type: 'object',
  properties: { metadata: { type: 'object' }, spec: { type: 'object', properties: { field: spec } } },
});

const FIELD = 'openAPIV3Schema.properties.spec.properties.field';

describe('structuralSchemaProblems catches what the API server rejects', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a node without type',
      { description: 'x' },
      `${FIELD}: type must be one of object, array, string, integer, number, boolean, got undefined`,
    ],
    [
      'a $ref',
      { type: 'object', $ref: '#/definitions/x' },
      `${FIELD}: keyword $ref is not allowed in a CRD schema`,
    ],
    [
      'anyOf',
      { type: 'string', anyOf: [{ type: 'string' }] },
      `${FIELD}: keyword anyOf is not allowed in a CRD schema`,
    ],
    ['const', { type: 'string', const: 'a' }, `${FIELD}: keyword const is not allowed in a CRD schema`],
    [
      'patternProperties',
      { type: 'object', patternProperties: { '^a': { type: 'string' } } },
      `${FIELD}: keyword patternProperties is not allowed in a CRD schema`,
    ],
    [
      'uniqueItems',
      { type: 'array', items: { type: 'string' }, uniqueItems: true },
      `${FIELD}: uniqueItems is forbidden`,
    ],
    [
      'properties with additionalProperties: false',
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      `${FIELD}: properties and additionalProperties are mutually exclusive`,
    ],
    [
      'a map with additionalProperties: true',
      { type: 'object', additionalProperties: true },
      `${FIELD}.additionalProperties: must be a schema, not a boolean`,
    ],
    ['an array without items', { type: 'array' }, `${FIELD}: an array needs items`],
    [
      'a numeric exclusiveMinimum',
      { type: 'number', exclusiveMinimum: 0 },
      `${FIELD}: exclusiveMinimum/exclusiveMaximum mean different things in OpenAPI 3.0 and JSON Schema`,
    ],
    [
      'a default of the wrong type',
      { type: 'integer', default: 'one' },
      `${FIELD}.default: "one" is not valid here`,
    ],
    [
      'a default with a field the schema prunes',
      { type: 'object', properties: { a: { type: 'string' } }, default: { b: 'x' } },
      `${FIELD}.default: {"b":"x"} is not valid here`,
    ],
    [
      'an enum value of the wrong type',
      { type: 'string', enum: ['a', 1] },
      `${FIELD}.enum: 1 does not match the node's type`,
    ],
    [
      'a list-type map without keys',
      {
        type: 'array',
        items: { type: 'object', properties: { k: { type: 'string' } } },
        'x-kubernetes-list-type': 'map',
      },
      `${FIELD}: list-type map needs x-kubernetes-list-map-keys`,
    ],
    [
      'a list-type map key that is optional',
      {
        type: 'array',
        items: { type: 'object', properties: { k: { type: 'string' } } },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['k'],
      },
      `${FIELD}: map key k must be required or defaulted`,
    ],
    [
      'a set of objects',
      { type: 'array', items: { type: 'object', properties: {} }, 'x-kubernetes-list-type': 'set' },
      `${FIELD}: a set must hold scalars`,
    ],
    [
      'a lookahead in a pattern',
      { type: 'string', pattern: '^(?!x)' },
      `${FIELD}.pattern: uses syntax RE2 does not support`,
    ],
    [
      'a required field that does not exist',
      { type: 'object', properties: {}, required: ['a'] },
      `${FIELD}.required: "a" is not a property`,
    ],
  ])('%s', (_name, field, problem) => {
    expect(structuralSchemaProblems(root(field))).toContain(problem);
  });

  it('rejects restrictions on metadata beyond its type', () => {
    expect(
      structuralSchemaProblems({
        type: 'object',
        properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } },
      }),
    ).toContain('openAPIV3Schema.properties.metadata: only type and description are allowed');
  });

  it('accepts a well-formed schema with a map, a set, a list-map and defaults', () => {
    expect(
      structuralSchemaProblems(
        root({
          type: 'object',
          default: {},
          properties: {
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            zones: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
            conditions: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['type'],
              items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
            },
            count: { type: 'integer', minimum: 0, default: 1 },
          },
        }),
      ),
    ).toEqual([]);
  });
});
