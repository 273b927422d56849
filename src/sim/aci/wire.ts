/**
 * ARM wire format ↔ the Azure SDK's flattened shapes, for the simulated ACI's HTTP face.
 *
 * On the wire a container group keeps id, name, type, location, tags, zones and identity at the top
 * and everything else under `properties`; each container and init container is `{name, properties}`
 * (see the ContainerGroup definition of the 2023-05-01 REST spec). Dates become ISO strings through
 * JSON.stringify.
 */
import type { Container, ContainerGroup, InitContainerDefinition } from '@azure/arm-containerinstance';
import { SimAciError } from './model.ts';

const TOP_LEVEL = new Set(['id', 'name', 'type', 'location', 'tags', 'zones', 'identity']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nested<T extends { name: string }>(item: T): Json {
  const { name, ...rest } = item;
  const properties: Json = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) properties[key] = value;
  return { name, properties };
}

/** A group in the SDK's shape → the ARM JSON body. */
export function groupToWire(group: ContainerGroup): Json {
  const top: Json = {};
  const properties: Json = {};
  for (const [key, value] of Object.entries(group)) {
    if (value === undefined) continue;
    if (TOP_LEVEL.has(key)) top[key] = value;
    else properties[key] = value;
  }
  properties['containers'] = group.containers.map((c) => nested(c));
  if (group.initContainers) properties['initContainers'] = group.initContainers.map((c) => nested(c));
  return { ...top, properties };
}

function invalid(message: string): SimAciError {
  return new SimAciError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: ${message}`,
  );
}

function flatten(item: unknown, path: string): Json & { name: string } {
  if (!isObject(item) || typeof item['name'] !== 'string')
    throw invalid(`${path} must be an object with a name`);
  const properties = item['properties'];
  if (!isObject(properties)) throw invalid(`${path}.properties must be an object`);
  return { name: item['name'], ...properties };
}

/** An ARM JSON body → a group in the SDK's shape. Throws a 400 SimAciError for malformed bodies. */
export function groupFromWire(body: unknown): ContainerGroup {
  if (!isObject(body)) throw invalid('the body must be a JSON object');
  const properties = body['properties'];
  if (!isObject(properties)) throw invalid("'properties' must be an object");
  const containers = properties['containers'];
  if (!Array.isArray(containers)) throw invalid("'properties.containers' must be an array");
  const group: Json = {};
  for (const [key, value] of Object.entries(body)) if (TOP_LEVEL.has(key)) group[key] = value;
  for (const [key, value] of Object.entries(properties)) group[key] = value;
  group['containers'] = containers.map(
    (c, i) => flatten(c, `properties.containers[${i}]`) as unknown as Container,
  );
  const init = properties['initContainers'];
  if (init !== undefined) {
    if (!Array.isArray(init)) throw invalid("'properties.initContainers' must be an array");
    group['initContainers'] = init.map(
      (c, i) => flatten(c, `properties.initContainers[${i}]`) as unknown as InitContainerDefinition,
    );
  }
  if (group['tags'] !== undefined && !isObject(group['tags'])) throw invalid("'tags' must be an object");
  return group as unknown as ContainerGroup;
}
