/**
 * Shape validation of a BurstScaler spec with Ajv, compiled once from the same schema as the CRD, and
 * translation of Ajv's errors into field paths and sentences (`spec.minReplicas: must be at least 0, got -1`).
 *
 * Unknown fields are rejected here, like kubectl's strict field validation: the CRD itself cannot say
 * `additionalProperties: false` (structural schemas forbid it next to `properties`), so the Ajv copy of
 * the schema closes every object.
 */
import { Ajv, type ErrorObject } from 'ajv';
import ajvFormats from 'ajv-formats';
import { childPath, describeValue, type SpecIssue } from './errors.ts';
import { BurstScalerSpecSchema, PATTERN_HINTS, type BurstScalerSpec } from './schema.ts';

type JsonSchemaNode = Record<string, unknown>;

/** A plain-JSON copy of a TypeBox schema (TypeBox's own markers are non-enumerable and drop out). */
export function toPlainSchema(schema: object): JsonSchemaNode {
  return JSON.parse(JSON.stringify(schema)) as JsonSchemaNode;
}

/** Adds `additionalProperties: false` to every object node that lists `properties`. */
function closeObjects(node: JsonSchemaNode): JsonSchemaNode {
  const out: JsonSchemaNode = { ...node };
  if (isNode(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [
        key,
        isNode(child) ? closeObjects(child) : child,
      ]),
    );
    if (!('additionalProperties' in node)) out.additionalProperties = false;
  }
  if (isNode(node.items)) out.items = closeObjects(node.items);
  if (isNode(node.additionalProperties)) out.additionalProperties = closeObjects(node.additionalProperties);
  return out;
}

const isNode = (value: unknown): value is JsonSchemaNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Kubernetes extensions in the schema: annotations for the API server, nothing for Ajv to check. */
export const KUBERNETES_KEYWORDS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
];

/** A strict Ajv instance that knows the Kubernetes keywords and the formats the schema uses. */
export function newAjv(options: { useDefaults?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    useDefaults: options.useDefaults ?? false,
  });
  ajv.addVocabulary(KUBERNETES_KEYWORDS);
  // ajv-formats is CommonJS; under NodeNext its plugin function is the module's `default`.
  ajvFormats.default(ajv, ['date-time']);
  return ajv;
}

/** The spec schema as Ajv checks it: the CRD's schema with every object closed to unknown fields. */
export const strictSpecSchema: JsonSchemaNode = closeObjects(toPlainSchema(BurstScalerSpecSchema));

const validateSpec = newAjv().compile<BurstScalerSpec>(strictSpecSchema);

/**
 * Checks the shape of a spec (types, enums, bounds, patterns, required and unknown fields). Returns the
 * spec, typed, or every issue found. Does not modify `spec`.
 */
export function checkSpecShape(
  spec: unknown,
  path = 'spec',
): { ok: true; spec: BurstScalerSpec } | { ok: false; issues: SpecIssue[] } {
  if (validateSpec(spec)) return { ok: true, spec };
  const issues = (validateSpec.errors ?? []).map((error) => toIssue(error, spec, path));
  return { ok: false, issues: dedupe(issues) };
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Follows a JSON pointer through the data, rendering the field path (array positions as `[i]`). */
function pointerToPath(pointer: string, data: unknown, root: string): string {
  if (pointer === '') return root;
  let path = root;
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      const index = Number(segment);
      path = childPath(path, index);
      node = node[index];
    } else {
      path = childPath(path, segment);
      node = isNode(node) ? node[segment] : undefined;
    }
  }
  return path;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function toIssue(error: ErrorObject, data: unknown, root: string): SpecIssue {
  const path = pointerToPath(error.instancePath, data, root);
  const params = error.params as Record<string, unknown>;
  const given = describeValue(error.data);
  switch (error.keyword) {
    case 'required':
      return { path: childPath(path, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const parent = error.parentSchema;
      const allowed = isNode(parent?.properties) ? Object.keys(parent.properties).sort() : [];
      const suggestion = closest(field, allowed);
      return {
        path: childPath(path, field),
        message:
          `unknown field` +
          (suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`) +
          `; allowed fields here: ${allowed.join(', ')}`,
      };
    }
    case 'type':
      return { path, message: `must be ${article(String(params.type))}, got ${given}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
      return { path, message: `must be one of ${allowed}, got ${given}` };
    }
    case 'minimum':
      return { path, message: `must be at least ${String(params.limit)}, got ${given}` };
    case 'maximum':
      return { path, message: `must be at most ${String(params.limit)}, got ${given}` };
    case 'minLength':
      return params.limit === 1
        ? { path, message: 'must not be empty' }
        : { path, message: `must be at least ${String(params.limit)} characters long, got ${given}` };
    case 'maxLength':
      return {
        path,
        message: `must be at most ${String(params.limit)} characters long, got ${String((error.data as string).length)}`,
      };
    case 'pattern': {
      const pattern = String(params.pattern);
      return {
        path,
        message: `must be ${PATTERN_HINTS[pattern] ?? `text matching ${pattern}`}, got ${given}`,
      };
    }
    case 'minItems':
      return params.limit === 1
        ? { path, message: 'must list at least one item' }
        : { path, message: `must list at least ${String(params.limit)} items, got ${given}` };
    case 'maxItems':
      return { path, message: `must list at most ${String(params.limit)} items, got ${given}` };
    default:
      // Keywords the schema does not use today; Ajv's own sentence still names the rule.
      return { path, message: `${error.message ?? `fails ${error.keyword}`}, got ${given}` };
  }
}

/** The allowed field closest to a misspelt one (edit distance ≤ 2, or same letters in another case). */
function closest(field: string, allowed: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = name.toLowerCase() === field.toLowerCase() ? 0 : editDistance(field, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
