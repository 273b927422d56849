/**
 * The BurstScaler reference (docs/reference/burstscaler.md), generated from the schema: every field
 * path with its type, bounds, default and description, the trigger target rules and an example.
 */
import { stringify } from 'yaml';
import { exampleBurstScaler } from './example.ts';
import {
  BURST_SCALER_API,
  BurstScalerSpecSchema,
  BurstScalerStatusSchema,
  PATTERN_HINTS,
  TRIGGER_TYPES,
} from './schema.ts';
import { PER_REPLICA_ALIASES } from './targets.ts';
import { toPlainSchema } from './validate.ts';

type Node = Record<string, unknown>;

const INT32_MAX = 2147483647;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

/** One line summing up a node's type and bounds, e.g. "integer, 1 to 1800" or "one of `Max`, `Min`". */
function describeType(node: Node): string {
  const type = String(node.type);
  if (Array.isArray(node.enum)) return `${type}, one of ${node.enum.map(code).join(', ')}`;
  if (type === 'integer' || type === 'number') {
    const { minimum, maximum } = node;
    if (typeof minimum === 'number' && typeof maximum === 'number' && maximum !== INT32_MAX) {
      return `${type}, ${minimum} to ${maximum}`;
    }
    return typeof minimum === 'number' ? `${type}, at least ${minimum}` : type;
  }
  if (type === 'string') {
    const parts = ['string'];
    if (typeof node.pattern === 'string')
      parts.push(PATTERN_HINTS[node.pattern] ?? `matching ${code(node.pattern)}`);
    if (typeof node.maxLength === 'number') parts.push(`at most ${node.maxLength} characters`);
    if (typeof node.format === 'string') parts.push(`format ${node.format}`);
    return parts.join(', ');
  }
  if (type === 'array' && isNode(node.items)) {
    const items = node.items;
    const what = items.type === 'object' ? 'objects' : `${describeType(items)} values`;
    const bounds = [
      typeof node.minItems === 'number' ? `at least ${node.minItems}` : '',
      typeof node.maxItems === 'number' ? `at most ${node.maxItems}` : '',
    ].filter(Boolean);
    return `list of ${what}${bounds.length > 0 ? ` (${bounds.join(', ')})` : ''}`;
  }
  if (type === 'object' && isNode(node.additionalProperties)) {
    return `map of string to ${String(node.additionalProperties.type)}`;
  }
  return type;
}

function fieldEntries(node: Node, path: string, required: boolean, out: string[]): void {
  const facts = [describeType(node), required ? 'required' : 'optional'];
  if ('default' in node) facts.push(`default ${code(node.default)}`);
  out.push(
    `### \`${path}\``,
    '',
    facts.join(' · '),
    '',
    typeof node.description === 'string' ? node.description : '',
    '',
  );

  const container = node.type === 'array' && isNode(node.items) ? node.items : node;
  const childPrefix = node.type === 'array' ? `${path}[]` : path;
  if (isNode(container.properties)) {
    const requiredNames = Array.isArray(container.required) ? container.required : [];
    for (const [name, child] of Object.entries(container.properties)) {
      if (isNode(child)) fieldEntries(child, `${childPrefix}.${name}`, requiredNames.includes(name), out);
    }
  }
}

function triggerTargets(): string[] {
  const lines: string[] = [];
  for (const type of TRIGGER_TYPES) {
    if (type === 'cpu' || type === 'memory' || type === 'cron') continue;
    const aliases = PER_REPLICA_ALIASES[type] ?? [];
    const aliasText = aliases.length > 0 ? ` (or ${aliases.map(code).join(', ')})` : '';
    lines.push(
      `- \`${type}\`: \`targetPerReplica\`${aliasText} → AverageValue, replicas = ceil(value / targetPerReplica); or \`targetValue\` → Value. One of them is required.`,
    );
  }
  lines.push(
    '- `cpu`, `memory`: `metricType` (or `type`) `Utilization` (default) with `value` a whole percentage of the pods’ request, or `AverageValue` with `value` a quantity per pod (`500m` or `1.5` cores; `512Mi` or `2Gi`). Resource metrics, as the HPA computes them.',
    '- `cron`: no target; while its window is active the trigger holds `desiredReplicas` replicas (AverageValue 1).',
  );
  return lines;
}

/** The whole reference page, as committed at docs/reference/burstscaler.md. */
export function renderReferenceDoc(): string {
  const spec = toPlainSchema(BurstScalerSpecSchema);
  const status = toPlainSchema(BurstScalerStatusSchema);
  const apiVersion = `${BURST_SCALER_API.group}/${BURST_SCALER_API.version}`;
  const out: string[] = [
    '<!-- Generated from src/spec/schema.ts by `npm run crd`; do not edit by hand. -->',
    '',
    '# BurstScaler reference',
    '',
    `\`${BURST_SCALER_API.kind}\` (\`${apiVersion}\`, namespaced, short name \`${BURST_SCALER_API.shortNames.join('`, `')}\`) tells Spillway which workload to scale, on which demand signals, within which bounds, and how replicas that do not fit on the cluster’s VM nodes run on Azure Container Instances. The CRD is \`deploy/crds/burstscaler.yaml\`.`,
    '',
    'Spillway compiles each BurstScaler before acting on it: it applies the defaults listed here and rejects the whole spec when any field is invalid, naming each field path and what it allows (for example `spec.triggers[1].metadata.targetPerReplica: must be a positive number, got "abc"`). Unknown fields are rejected too, like `kubectl --validate=strict` does.',
    '',
    '## Example',
    '',
    '```yaml',
    stringify(exampleBurstScaler, { lineWidth: 0, singleQuote: true }).trimEnd(),
    '```',
    '',
    '## Trigger targets',
    '',
    'Trigger metadata values are strings (as in KEDA); numbers are written as `"20"` or `"0.5"`. Each trigger gives a replica count, and the largest wins. Source-specific settings (`queueName`, `serverAddress`, `query`, …) are documented with each signal source.',
    '',
    ...triggerTargets(),
    '',
    '## Spec fields',
    '',
  ];
  const specRequired = Array.isArray(spec.required) ? spec.required : [];
  for (const [name, child] of Object.entries(spec.properties as Node)) {
    if (isNode(child)) fieldEntries(child, `spec.${name}`, specRequired.includes(name), out);
  }
  out.push('## Status fields', '', 'Written by Spillway through the status subresource.', '');
  for (const [name, child] of Object.entries(status.properties as Node)) {
    if (isNode(child)) fieldEntries(child, `status.${name}`, false, out);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
