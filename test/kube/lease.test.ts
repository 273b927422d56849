/**
 * KubeLease against a local API server that implements Lease get/create/update with resourceVersion
 * compare-and-swap, as kube-apiserver does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeLease } from '../../src/kube/lease.ts';
import type { LeaseRecord } from '../../src/ports.ts';
import { FakeApiServer, statusBody } from './fake-api-server.ts';
import { fixture } from './harness.ts';
import { KubeConfig } from '@kubernetes/client-node';

const COLLECTION = '/apis/coordination.k8s.io/v1/namespaces/spillway-system/leases';
const OBJECT = `${COLLECTION}/spillway-leader`;

type LeaseJson = {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: Record<string, unknown>;
};

let server: FakeApiServer;
let stored: LeaseJson | undefined;
let version = 51234;
let lease: KubeLease;

beforeEach(async () => {
  server = new FakeApiServer();
  await server.start();
  stored = undefined;
  server.route('GET', OBJECT, () =>
    stored
      ? { status: 200, body: stored }
      : {
          status: 404,
          body: statusBody(404, 'NotFound', 'leases.coordination.k8s.io "spillway-leader" not found'),
        },
  );
  server.route('POST', COLLECTION, (r) => {
    if (stored)
      return {
        status: 409,
        body: statusBody(409, 'AlreadyExists', 'leases.coordination.k8s.io "spillway-leader" already exists'),
      };
    stored = structuredClone(r.body) as LeaseJson;
    stored.metadata.resourceVersion = String(++version);
    return { status: 201, body: stored };
  });
  server.route('PUT', OBJECT, (r) => {
    const body = r.body as LeaseJson;
    if (!stored)
      return {
        status: 404,
        body: statusBody(404, 'NotFound', 'leases.coordination.k8s.io "spillway-leader" not found'),
      };
    if (body.metadata.resourceVersion !== stored.metadata.resourceVersion)
      return {
        status: 409,
        body: statusBody(
          409,
          'Conflict',
          'Operation cannot be fulfilled on leases.coordination.k8s.io "spillway-leader": the object has been modified; please apply your changes to the latest version and try again',
        ),
      };
    stored = structuredClone(body);
    stored.metadata.resourceVersion = String(++version);
    return { status: 200, body: stored };
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  lease = new KubeLease({ kubeConfig });
});

afterEach(async () => {
  await server.stop();
});

const mine: LeaseRecord = {
  holderIdentity: 'spillway-7f8c9d-xyz12',
  leaseDurationSeconds: 15,
  acquireTime: Date.parse('2026-11-02T10:00:00Z'),
  renewTime: Date.parse('2026-11-02T10:00:00Z'),
  leaseTransitions: 4,
};

describe('KubeLease', () => {
  it('reads the recorded Lease with its version and microsecond times', async () => {
    stored = fixture<LeaseJson>('lease-spillway-leader.json');
    await expect(lease.get()).resolves.toEqual({
      holderIdentity: 'spillway-6d5f7c8b9-abcde',
      leaseDurationSeconds: 15,
      acquireTime: Date.parse('2026-11-02T08:00:00Z'),
      renewTime: Date.parse('2026-11-02T09:59:58.123Z'),
      leaseTransitions: 3,
      version: '51234',
    });
  });

  it('reads a missing Lease as undefined', async () => {
    await expect(lease.get()).resolves.toBeUndefined();
  });

  it('creates when there is none; a second create loses with false', async () => {
    await expect(lease.tryWrite(mine, undefined)).resolves.toBe(true);
    const [create] = server.writes();
    expect(create).toMatchObject({ method: 'POST', path: COLLECTION });
    expect((create?.body as LeaseJson).spec).toEqual({
      holderIdentity: 'spillway-7f8c9d-xyz12',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-02T10:00:00.000000Z',
      renewTime: '2026-11-02T10:00:00.000000Z',
      leaseTransitions: 4,
    });
    await expect(lease.tryWrite({ ...mine, holderIdentity: 'other' }, undefined)).resolves.toBe(false);
    expect((await lease.get())?.holderIdentity).toBe('spillway-7f8c9d-xyz12');
  });

  it('updates with compare-and-swap on resourceVersion: a stale version loses with false', async () => {
    stored = fixture<LeaseJson>('lease-spillway-leader.json');
    const current = await lease.get();
    // Someone else renews first.
    await expect(
      lease.tryWrite({ ...current!, renewTime: current!.renewTime + 2000 }, current!.version),
    ).resolves.toBe(true);
    // Our write with the version we read is now stale.
    await expect(lease.tryWrite({ ...mine, leaseTransitions: 4 }, current!.version)).resolves.toBe(false);
    const puts = server.writes().filter((w) => w.method === 'PUT');
    expect(puts.map((p) => (p.body as LeaseJson).metadata.resourceVersion)).toEqual(['51234', '51234']);
    expect((await lease.get())?.holderIdentity).toBe('spillway-6d5f7c8b9-abcde');
  });

  it('an update of a deleted Lease returns false', async () => {
    await expect(lease.tryWrite(mine, '51234')).resolves.toBe(false);
  });

  it('other errors are thrown, naming the Lease', async () => {
    server.route('GET', OBJECT, () => ({
      status: 403,
      body: statusBody(
        403,
        'Forbidden',
        'leases.coordination.k8s.io "spillway-leader" is forbidden: User "system:serviceaccount:spillway-system:spillway" cannot get resource "leases"',
      ),
    }));
    await expect(lease.get()).rejects.toThrow(
      /^reading Lease spillway-system\/spillway-leader: .*cannot get resource "leases" \(HTTP 403 Forbidden\)$/,
    );
  });
});
