/**
 * Ownership tags on container groups: the only proof that Spillway (and which cluster and scaler)
 * owns a group. Written in the same PUT that creates the group, so no group can exist without them.
 */
import type { ScalerKey } from '../core/types.ts';

/** Tag names. Azure tag names may not contain < > % & \ ? /, so plain words and hyphens are used. */
export const TAG = {
  managedBy: 'managed-by',
  cluster: 'spillway-cluster',
  namespace: 'spillway-namespace',
  scaler: 'spillway-scaler',
  scalerUid: 'spillway-scaler-uid',
  templateHash: 'spillway-template-hash',
  index: 'spillway-index',
  createdAt: 'spillway-created-at',
  drainingSince: 'spillway-draining-since',
} as const;

/** Value of the `managed-by` tag. */
export const MANAGED_BY = 'spillway';

/** The owner recorded in a group's tags. */
export interface GroupOwner {
  clusterId: string;
  namespace: string;
  name: string;
  uid: string;
}

/** Everything a group's tags say, once they prove Spillway ownership. */
export interface OwnershipTags {
  owner: GroupOwner;
  templateHash: string;
  index: number;
  createdAt: number;
  drainingSince?: number;
}

/** Azure tag values are at most 256 characters. */
const TAG_VALUE_MAX = 256;

function clip(value: string): string {
  return value.length > TAG_VALUE_MAX ? value.slice(0, TAG_VALUE_MAX) : value;
}

/** Tags for a new group. */
export function ownershipTags(input: {
  clusterId: string;
  scaler: ScalerKey;
  templateHash: string;
  index: number;
  createdAt: number;
}): Record<string, string> {
  return {
    [TAG.managedBy]: MANAGED_BY,
    [TAG.cluster]: clip(input.clusterId),
    [TAG.namespace]: input.scaler.namespace,
    [TAG.scaler]: input.scaler.name,
    [TAG.scalerUid]: input.scaler.uid,
    [TAG.templateHash]: input.templateHash,
    [TAG.index]: String(input.index),
    [TAG.createdAt]: new Date(input.createdAt).toISOString(),
  };
}

/**
 * Reads ownership from tags. Undefined unless every ownership tag is present and well formed —
 * a group with partial tags is not provably ours and is never touched.
 */
const ownership = new WeakMap<Record<string, string>, OwnershipTags | undefined>();

export function readOwnership(tags: Record<string, string> | undefined): OwnershipTags | undefined {
  if (!tags) return undefined;
  // Tags objects are replaced, never changed, when a group is re-tagged: one parse per object.
  if (ownership.has(tags)) return ownership.get(tags);
  const own = parseOwnership(tags);
  ownership.set(tags, own);
  return own;
}

function parseOwnership(tags: Record<string, string> | undefined): OwnershipTags | undefined {
  if (!tags || tags[TAG.managedBy] !== MANAGED_BY) return undefined;
  const clusterId = tags[TAG.cluster];
  const namespace = tags[TAG.namespace];
  const name = tags[TAG.scaler];
  const uid = tags[TAG.scalerUid];
  const templateHash = tags[TAG.templateHash];
  const indexText = tags[TAG.index];
  if (!clusterId || !namespace || !name || !uid || !templateHash || !indexText) return undefined;
  if (!/^\d+$/.test(indexText)) return undefined;
  const createdAt = Date.parse(tags[TAG.createdAt] ?? '');
  const drainingSince = Date.parse(tags[TAG.drainingSince] ?? '');
  return {
    owner: { clusterId, namespace, name, uid },
    templateHash,
    index: Number(indexText),
    createdAt: Number.isNaN(createdAt) ? 0 : createdAt,
    ...(Number.isNaN(drainingSince) ? {} : { drainingSince }),
  };
}

/** True when the tags prove that this cluster's Spillway owns the group. */
export function ownedByCluster(tags: Record<string, string> | undefined, clusterId: string): boolean {
  return readOwnership(tags)?.owner.clusterId === clip(clusterId);
}

/** True when the tags prove the group belongs to this scaler (same uid) of this cluster. */
export function ownedByScaler(
  tags: Record<string, string> | undefined,
  clusterId: string,
  scaler: ScalerKey,
): boolean {
  const owner = readOwnership(tags)?.owner;
  return (
    owner !== undefined &&
    owner.clusterId === clip(clusterId) &&
    owner.uid === scaler.uid &&
    owner.namespace === scaler.namespace &&
    owner.name === scaler.name
  );
}
