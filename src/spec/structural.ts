/**
 * Checks that a schema is a Kubernetes *structural* schema that the API server accepts in a
 * CustomResourceDefinition (apiextensions.k8s.io/v1), following the rules of
 * k8s.io/apiextensions-apiserver's schema validation: every node typed; only OpenAPI v3.0 keywords the
 * API server knows; `properties` and `additionalProperties` exclusive; no `uniqueItems`; list types
 * consistent; enums and defaults valid against their node; patterns readable by RE2.
 */
import { KUBERNETES_KEYWORDS, newAjv } from './validate.ts';

type Node = Record<string, unknown>;

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** Keywords of apiextensions/v1 JSONSchemaProps this project may emit (a subset of what the API server reads). */
const ALLOWED_KEYWORDS = new Set([
  'type',
  'description',
  'title',
  'default',
  'enum',
  'format',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'example',
  'nullable',
  ...KUBERNETES_KEYWORDS,
]);

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Problems that would make the API server reject the schema; empty when it is structural. */
export function structuralSchemaProblems(schema: unknown, root = 'openAPIV3Schema'): string[] {
  const problems: string[] = [];
  const ajv = newAjv();
  visit(schema, root, problems, ajv, false);
  return problems;
}

function visit(
  node: unknown,
  path: string,
  problems: string[],
  ajv: ReturnType<typeof newAjv>,
  inMetadata: boolean,
) {
  if (!isNode(node)) {
    problems.push(`${path}: must be a schema object`);
    return;
  }
  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYWORDS.has(key)) problems.push(`${path}: keyword ${key} is not allowed in a CRD schema`);
  }
  const type = node.type;
  const untyped =
    node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    if (!untyped)
      problems.push(`${path}: type must be one of ${[...TYPES].join(', ')}, got ${JSON.stringify(type)}`);
  }
  if (node.uniqueItems === true) problems.push(`${path}: uniqueItems is forbidden`);
  if ('exclusiveMinimum' in node || 'exclusiveMaximum' in node) {
    problems.push(
      `${path}: exclusiveMinimum/exclusiveMaximum mean different things in OpenAPI 3.0 and JSON Schema`,
    );
  }

  const properties = node.properties;
  if (properties !== undefined) {
    if (type !== 'object') problems.push(`${path}: properties on a node of type ${String(type)}`);
    if ('additionalProperties' in node)
      problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
    if (!isNode(properties)) problems.push(`${path}.properties: must be an object`);
    else {
      for (const [name, child] of Object.entries(properties)) {
        visit(
          child,
          `${path}.properties.${name}`,
          problems,
          ajv,
          inMetadata || (path === 'openAPIV3Schema' && name === 'metadata'),
        );
      }
      if (path === 'openAPIV3Schema' && isNode(properties.metadata)) {
        const metadataKeys = Object.keys(properties.metadata).filter(
          (k) => k !== 'type' && k !== 'description',
        );
        if (metadataKeys.length > 0)
          problems.push(`${path}.properties.metadata: only type and description are allowed`);
      }
    }
  }
  if (Array.isArray(node.required)) {
    for (const name of node.required) {
      if (typeof name !== 'string' || !isNode(properties) || !(name in properties)) {
        problems.push(`${path}.required: ${JSON.stringify(name)} is not a property`);
      }
    }
  }
  if ('additionalProperties' in node) {
    if (type !== 'object') problems.push(`${path}: additionalProperties on a node of type ${String(type)}`);
    if (!isNode(node.additionalProperties))
      problems.push(`${path}.additionalProperties: must be a schema, not a boolean`);
    else visit(node.additionalProperties, `${path}.additionalProperties`, problems, ajv, inMetadata);
  }
  if ('items' in node) {
    if (type !== 'array') problems.push(`${path}: items on a node of type ${String(type)}`);
    visit(node.items, `${path}.items`, problems, ajv, inMetadata);
  } else if (type === 'array') {
    problems.push(`${path}: an array needs items`);
  }

  checkListType(node, path, problems);
  checkValues(node, path, problems, ajv, inMetadata);
  if (typeof node.pattern === 'string') checkPattern(node.pattern, path, problems);
}

function checkListType(node: Node, path: string, problems: string[]) {
  const listType = node['x-kubernetes-list-type'];
  if (listType === undefined) {
    if ('x-kubernetes-list-map-keys' in node) problems.push(`${path}: list-map-keys without list-type map`);
    return;
  }
  if (node.type !== 'array') problems.push(`${path}: x-kubernetes-list-type on a non-array`);
  const items = isNode(node.items) ? node.items : {};
  if (listType === 'set') {
    if (items.type === 'object' || items.type === 'array') problems.push(`${path}: a set must hold scalars`);
  } else if (listType === 'map') {
    const keys = node['x-kubernetes-list-map-keys'];
    const itemProps = isNode(items.properties) ? items.properties : {};
    const required = Array.isArray(items.required) ? items.required : [];
    if (!Array.isArray(keys) || keys.length === 0)
      problems.push(`${path}: list-type map needs x-kubernetes-list-map-keys`);
    else {
      for (const key of keys) {
        const keyNode = typeof key === 'string' ? itemProps[key] : undefined;
        if (!isNode(keyNode)) problems.push(`${path}: map key ${String(key)} is not a property of the items`);
        else if (!required.includes(key) && !('default' in keyNode)) {
          problems.push(`${path}: map key ${String(key)} must be required or defaulted`);
        }
      }
    }
  } else if (listType !== 'atomic') {
    problems.push(
      `${path}: x-kubernetes-list-type must be atomic, set or map, got ${JSON.stringify(listType)}`,
    );
  }
}

/** Enum values and defaults must be valid values of their own node (the API server checks both). */
function checkValues(
  node: Node,
  path: string,
  problems: string[],
  ajv: ReturnType<typeof newAjv>,
  inMetadata: boolean,
) {
  if (!('default' in node) && !Array.isArray(node.enum)) return;
  const { default: defaultValue, enum: values, ...rest } = node;
  let validate;
  try {
    validate = ajv.compile(closeForPruning(rest));
  } catch (error) {
    problems.push(
      `${path}: schema does not compile: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if ('default' in node) {
    if (inMetadata) problems.push(`${path}: defaults are not allowed under metadata`);
    if (!validate(defaultValue))
      problems.push(`${path}.default: ${JSON.stringify(defaultValue)} is not valid here`);
  }
  if (Array.isArray(values)) {
    for (const value of values) {
      if (!validate(value))
        problems.push(`${path}.enum: ${JSON.stringify(value)} does not match the node's type`);
    }
  }
}

/** Defaults must survive pruning: no field the schema does not declare. */
function closeForPruning(node: Node): Node {
  const out: Node = { ...node };
  if (isNode(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [k, isNode(v) ? closeForPruning(v) : v]),
    );
    out.additionalProperties = false;
  }
  if (isNode(node.items)) out.items = closeForPruning(node.items);
  return out;
}

/** ECMAScript (Ajv) and RE2 (the API server) must read the pattern alike: no lookaround or backreference. */
function checkPattern(pattern: string, path: string, problems: string[]) {
  try {
    new RegExp(pattern, 'u');
  } catch {
    problems.push(`${path}.pattern: not a valid regular expression`);
  }
  if (/\(\?[=!<]|\\[1-9]/.test(pattern)) problems.push(`${path}.pattern: uses syntax RE2 does not support`);
}
