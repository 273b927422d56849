import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { burstScalerCrd, burstScalerOpenApiSchema, CRD_NAME, renderCrdYaml } from './crd.ts';
import { exampleBurstScaler } from './example.ts';
import { generatedFiles } from './generate.ts';
import { structuralSchemaProblems } from './structural.ts';
import { newAjv } from './validate.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every schema node with its path, walking properties, items and additionalProperties. */
function nodes(node: Node, path = 'openAPIV3Schema'): [string, Node][] {
  const out: [string, Node][] = [[path, node]];
  if (isNode(node.properties)) {
    for (const [key, child] of Object.entries(node.properties))
      if (isNode(child)) out.push(...nodes(child, `${path}.${key}`));
  }
  if (isNode(node.items)) out.push(...nodes(node.items, `${path}[]`));
  if (isNode(node.additionalProperties)) out.push(...nodes(node.additionalProperties, `${path}{}`));
  return out;
}

describe('generated files', () => {
  it.each(generatedFiles().map((file) => [file.path, file.content] as const))(
    '%s matches a fresh generation',
    async (path, fresh) => {
      const committed = await readFile(join(ROOT, path), 'utf8').catch(() => '(missing)');
      expect(
        committed,
        `${path} is out of date with src/spec/schema.ts: run \`npm run crd\` and commit it`,
      ).toBe(fresh);
    },
  );

  it('the reference page is already in Prettier style (so `prettier --check .` passes)', async () => {
    const doc = generatedFiles().find((f) => f.path.endsWith('.md'));
    const path = join(ROOT, doc?.path ?? '');
    const options = { ...(await resolveConfig(path)), filepath: path };
    expect(await format(doc?.content ?? '', options)).toBe(doc?.content);
  });

  it('the YAML parses back to the CRD object', () => {
    expect(parse(renderCrdYaml())).toEqual(burstScalerCrd());
  });
});

describe('the CustomResourceDefinition', () => {
  it('is a valid apiextensions.k8s.io/v1 object', () => {
    expect(() => new CustomResourceDefinition(burstScalerCrd() as never).validate()).not.toThrow();
  });

  it('names, scope, version, status subresource and printer columns', () => {
    const crd = burstScalerCrd() as {
      metadata: { name: string };
      spec: {
        group: string;
        scope: string;
        names: Record<string, unknown>;
        versions: {
          name: string;
          served: boolean;
          storage: boolean;
          subresources: unknown;
          additionalPrinterColumns: { name: string; jsonPath: string; type: string }[];
        }[];
      };
    };
    expect(crd.metadata.name).toBe(CRD_NAME);
    expect(crd.spec.group).toBe('spillway.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toEqual({
      kind: 'BurstScaler',
      listKind: 'BurstScalerList',
      plural: 'burstscalers',
      singular: 'burstscaler',
      shortNames: ['bs'],
    });
    expect(crd.spec.versions).toHaveLength(1);
    const [version] = crd.spec.versions;
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    expect(version?.additionalPrinterColumns.map((c) => [c.name, c.type, c.jsonPath])).toEqual([
      ['Desired', 'integer', '.status.desiredReplicas'],
      ['On VM', 'integer', '.status.vmReplicas'],
      ['On ACI', 'integer', '.status.aciReplicas'],
      ['Mode', 'string', '.status.mode'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('printer columns point at fields the status schema has', () => {
    const schema = burstScalerOpenApiSchema();
    const paths = new Set(nodes(schema).map(([path]) => path.replace('openAPIV3Schema', '')));
    for (const column of [
      '.status.desiredReplicas',
      '.status.vmReplicas',
      '.status.aciReplicas',
      '.status.mode',
    ]) {
      expect(paths).toContain(column);
    }
  });
});

describe('the schema is structural', () => {
  const schema = burstScalerOpenApiSchema();

  it('passes every structural rule the API server applies', () => {
    expect(structuralSchemaProblems(schema)).toEqual([]);
  });

  it('gives every node a type and uses no $ref, anyOf, oneOf, allOf or const anywhere', () => {
    for (const [path, node] of nodes(schema)) {
      expect(typeof node.type, `${path} has no type`).toBe('string');
      for (const keyword of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'patternProperties']) {
        expect(node, `${path} uses ${keyword}`).not.toHaveProperty([keyword]);
      }
    }
    expect(JSON.stringify(schema)).not.toMatch(/"\$ref"|"\$id"|"~kind"/);
  });

  it('documents every spec and status field with a description', () => {
    const fields = nodes(schema).filter(([p]) => /\.(spec|status)/.test(p) && !p.endsWith('{}'));
    expect(fields.length).toBeGreaterThan(60);
    for (const [path, node] of fields) {
      expect(
        typeof node.description === 'string' && node.description.length > 0,
        `${path} has no description`,
      ).toBe(true);
    }
  });

  it('accepts the example manifest as the API server would (pruning aside)', () => {
    const validate = newAjv().compile(schema);
    expect(validate(exampleBurstScaler), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts a status written from the core ScalerStatus', () => {
    const validate = newAjv().compile(schema);
    const status = {
      observedGeneration: 3,
      desiredReplicas: 12,
      vmReplicas: 8,
      aciReplicas: 4,
      pendingReplicas: 2,
      mode: 'bridge',
      costUSDPerHour: 1.25,
      lastDecision: { at: '2026-11-23T10:00:00Z', summary: 'scale to 12', reasons: ['queue: 240 / 20 → 12'] },
      conditions: [
        {
          type: 'Bursting',
          status: 'True',
          reason: 'Bridging',
          message: '4 on ACI',
          lastTransitionTime: '2026-11-23T10:00:00Z',
        },
      ],
    };
    expect(validate({ ...exampleBurstScaler, status }), JSON.stringify(validate.errors)).toBe(true);
  });
});
