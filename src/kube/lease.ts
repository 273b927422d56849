/**
 * Leader election storage on a coordination.k8s.io/v1 Lease. Writes are compare-and-swap on
 * metadata.resourceVersion: a create that finds the Lease, or an update whose version is stale, returns
 * false instead of overwriting another replica's claim.
 */
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { LeasePort, LeaseRecord } from '../ports.ts';
import { timeMs } from './capacity.ts';
import { apiError, httpStatus, InvalidRequestError } from './errors.ts';

export interface KubeLeaseOptions {
  kubeConfig: KubeConfig;
  /** @default 'spillway-system' */
  namespace?: string;
  /** @default 'spillway-leader' */
  name?: string;
}

/** The Lease body for a record (MicroTime timestamps, resourceVersion when updating). */
export function leaseBody(
  namespace: string,
  name: string,
  record: LeaseRecord,
  version: string | undefined,
): V1Lease {
  // An empty holderIdentity is allowed: it is how client-go releases a Lease for a fast hand-over.
  if (!Number.isInteger(record.leaseDurationSeconds) || record.leaseDurationSeconds < 1)
    throw new InvalidRequestError(
      'record.leaseDurationSeconds',
      `must be a whole number of seconds ≥ 1, got ${record.leaseDurationSeconds}`,
    );
  if (!Number.isInteger(record.leaseTransitions) || record.leaseTransitions < 0)
    throw new InvalidRequestError(
      'record.leaseTransitions',
      `must be a whole number ≥ 0, got ${record.leaseTransitions}`,
    );
  for (const field of ['acquireTime', 'renewTime'] as const)
    if (!Number.isFinite(record[field]))
      throw new InvalidRequestError(`record.${field}`, `must be epoch milliseconds, got ${record[field]}`);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(version !== undefined ? { resourceVersion: version } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: new V1MicroTime(record.acquireTime),
      renewTime: new V1MicroTime(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

/** The record stored in a Lease (missing fields read as empty/0). */
export function leaseRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const record: LeaseRecord = {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: timeMs(spec.acquireTime) ?? 0,
    renewTime: timeMs(spec.renewTime) ?? 0,
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
  if (lease.metadata?.resourceVersion) record.version = lease.metadata.resourceVersion;
  return record;
}

/** A {@link LeasePort} on one Lease object. */
export class KubeLease implements LeasePort {
  readonly namespace: string;
  readonly name: string;
  readonly #api: CoordinationV1Api;

  constructor(options: KubeLeaseOptions) {
    this.namespace = options.namespace ?? 'spillway-system';
    this.name = options.name ?? 'spillway-leader';
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      return leaseRecord(await this.#api.readNamespacedLease({ name: this.name, namespace: this.namespace }));
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw apiError(`reading Lease ${this.namespace}/${this.name}`, err);
    }
  }

  async tryWrite(record: LeaseRecord, expectedVersion: string | undefined): Promise<boolean> {
    const body = leaseBody(this.namespace, this.name, record, expectedVersion);
    try {
      if (expectedVersion === undefined)
        await this.#api.createNamespacedLease({ namespace: this.namespace, body });
      else await this.#api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
      return true;
    } catch (err) {
      const status = httpStatus(err);
      // 409: created by someone else, or updated since we read it. 404: deleted since we read it.
      if (status === 409 || (status === 404 && expectedVersion !== undefined)) return false;
      throw apiError(
        `${expectedVersion === undefined ? 'creating' : 'updating'} Lease ${this.namespace}/${this.name}`,
        err,
      );
    }
  }
}
