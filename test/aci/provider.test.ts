/**
 * The ACI provider through the real Azure SDK against the simulated ACI's ARM HTTP face.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { burstGroupName } from '../../src/core/naming.ts';
import { planGarbageCollection } from '../../src/core/gc.ts';
import { NameConflictError, NotOwnedError } from '../../src/aci/errors.ts';
import { TAG } from '../../src/aci/tags.ts';
import {
  CLUSTER,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  createRequest,
  drive,
  scaler,
  startHarness,
  valuesFrom,
  workerTemplate,
  type Harness,
} from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** A group some other tool (or another Spillway) made, straight in the model. */
function foreignGroup(name: string, tags: Record<string, string>, location = 'eastus'): void {
  const group: ContainerGroup = {
    location,
    tags,
    osType: 'Linux',
    containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
  };
  h.model.createOrUpdate(RESOURCE_GROUP, name, group);
}

function puts(): number {
  return h.face.requests.filter((r) => r.method === 'PUT').length;
}

describe('lifecycle through the SDK and the HTTP face', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('create → running → drain → delete, billing from pull to delete', async () => {
    const provider = h.provider();
    const created = await provider.create(createRequest(0));
    expect(created).toMatchObject({
      name: burstGroupName(scaler, 0),
      index: 0,
      region: 'eastus',
      state: 'Pending',
      ready: false,
    });
    expect(created).toMatchObject({ templateHash: 'tmpl-aaaa', cpu: 0.5, memoryGiB: 1, priority: 'Regular' });

    h.clock.advance(20_000);
    const [running] = await provider.list(scaler);
    expect(running).toMatchObject({ state: 'Running', ready: true });
    expect(running!.readyAt).toBe(created.createdAt + 14_000); // 2 s schedule + 10 s pull + 2 s start

    await provider.markDraining(created.name, h.clock.now());
    h.clock.advance(60_000);
    await provider.delete(created.name);
    expect(h.model.inventory()).toEqual([]);
    expect(await provider.list(scaler)).toEqual([]);
    // Billed from the start of the pull (t=2 s) to the delete (t=80 s): 78 s of 0.5 vCPU + 1 GB.
    expect(h.model.billing().replicaSeconds).toBe(78);
    expect(h.model.billing().costUSD).toBeCloseTo((78 * (0.5 * 0.0405 + 1 * 0.00445)) / 3600, 12);
  });

  it('waits for provisioning when asked to, and reports the running group', async () => {
    const provider = h.provider({ waitFor: 'provisioned' });
    const replica = await drive(provider.create(createRequest(1)), h.clock);
    expect(replica).toMatchObject({ state: 'Running', ready: true, region: 'eastus' });
    const polls = h.face.requests.filter((r) => r.path.includes('/operations/')).length;
    expect(polls).toBeGreaterThan(1);
  });

  it('adopts what exists after a restart: no duplicate create, drains continue', async () => {
    const before = h.provider();
    for (const index of [0, 1, 2]) await before.create(createRequest(index));
    await before.markDraining(burstGroupName(scaler, 2), h.clock.now());
    const putsBefore = puts();

    const after = h.provider(); // a restarted controller: no memory of the groups
    const adopted = await after.list(scaler);
    expect(adopted.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(adopted[2]!.drainingSince).toBe(h.clock.now());
    const again = await after.create(createRequest(1));
    expect(again.name).toBe(burstGroupName(scaler, 1));
    expect(puts()).toBe(putsBefore);
    expect(h.model.inventory()).toHaveLength(3);
    await after.markDraining(burstGroupName(scaler, 2), h.clock.now() + 99_000); // keeps the first start
    expect((await after.list(scaler))[2]!.drainingSince).toBe(adopted[2]!.drainingSince);
  });

  it('ends a drain: the tag goes (other tags stay), the group lists as live again, and a repeat writes nothing', async () => {
    const provider = h.provider();
    const name = burstGroupName(scaler, 3);
    await provider.create(createRequest(3));
    await provider.markDraining(name, h.clock.now());
    const tagsBefore = h.model.inventory().find((g) => g.name === name)!.tags;
    const patches = () => h.face.requests.filter((r) => r.method === 'PATCH').length;
    const patchesBefore = patches();

    await provider.resumeDraining(name);
    expect(patches()).toBe(patchesBefore + 1);
    const tagsAfter = h.model.inventory().find((g) => g.name === name)!.tags;
    expect(tagsAfter).toEqual(
      Object.fromEntries(Object.entries(tagsBefore).filter(([k]) => k !== TAG.drainingSince)),
    );
    const listed = (await h.provider().list(scaler)).find((r) => r.name === name)!;
    expect(listed.drainingSince).toBeUndefined();

    await provider.resumeDraining(name); // not draining: nothing to write
    await provider.resumeDraining(burstGroupName(scaler, 42)); // gone: nothing to write, no error
    expect(patches()).toBe(patchesBefore + 1);
  });

  it('reports the creates its pacing still allows per region', async () => {
    const provider = h.provider();
    expect(provider.createBudget('eastus')).toEqual({ region: 'eastus', available: 100, capacity: 100 });
    for (const index of [0, 1, 2]) await provider.create(createRequest(index));
    expect(provider.createBudget('eastus')).toEqual({ region: 'eastus', available: 97, capacity: 100 });
    expect(provider.createBudget('westus')).toEqual({ region: 'westus', available: 100, capacity: 100 });
  });

  it('creates the same name once when asked twice at the same time', async () => {
    const provider = h.provider();
    const [a, b] = await Promise.all([provider.create(createRequest(4)), provider.create(createRequest(4))]);
    expect(a.name).toBe(b.name);
    expect(puts()).toBe(1);
  });

  it('follows nextLink through every page of a listing', async () => {
    await h.close();
    h = await startHarness({}, { pageSize: 2 });
    const provider = h.provider();
    for (const index of [0, 1, 2, 3, 4]) await provider.create(createRequest(index));
    expect((await h.provider().list(scaler)).map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(
      h.face.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/containerGroups')).length,
    ).toBe(3);
  });

  it('reads quota usage and container logs', async () => {
    const provider = h.provider();
    await provider.create(createRequest(0, { template: workerTemplate() }));
    await provider.create(createRequest(1));
    h.clock.advance(30_000);
    expect(await provider.quota('eastus')).toEqual({ region: 'eastus', limitCores: 100, usedCores: 1 });
    const logs = await provider.logs(burstGroupName(scaler, 0), { tail: 5 });
    expect(logs).toContain('Started: Started container');
  });

  it('refuses to touch groups its tags do not prove are ours; deleting a missing group succeeds', async () => {
    const provider = h.provider();
    const full = {
      [TAG.managedBy]: 'spillway',
      [TAG.cluster]: CLUSTER,
      [TAG.namespace]: 'shop',
      [TAG.scaler]: 'orders-worker',
      [TAG.scalerUid]: 'uid-0001',
      [TAG.templateHash]: 'tmpl-aaaa',
      [TAG.index]: '9',
    };
    const { [TAG.scalerUid]: _uid, ...partial } = full;
    foreignGroup('someone-elses', { team: 'web' });
    foreignGroup('partial-tags', partial);
    foreignGroup('other-cluster', { ...full, [TAG.cluster]: 'aks-other' });
    for (const name of ['someone-elses', 'partial-tags', 'other-cluster']) {
      await expect(provider.delete(name)).rejects.toBeInstanceOf(NotOwnedError);
      await expect(provider.markDraining(name, h.clock.now())).rejects.toBeInstanceOf(NotOwnedError);
    }
    await expect(provider.delete('never-existed')).resolves.toBeUndefined();
    expect(h.model.inventory().map((g) => g.name)).toEqual([
      'other-cluster',
      'partial-tags',
      'someone-elses',
    ]);
    // Nothing was written: a missing group is known from the GET, foreign ones are refused before any write.
    expect(h.face.requests.filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toEqual([]);
    expect(await provider.listOwned()).toEqual([]);
  });

  it('refuses a template ACI cannot run before sending anything, naming the fields', async () => {
    const template = workerTemplate();
    template.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    template.spec!.containers[0]!.livenessProbe = { tcpSocket: { port: 8080 } };
    const provider = h.provider();
    expect(provider.checkBurstable(template)).toEqual({
      ok: false,
      reasons: [
        'spec.volumes[0].persistentVolumeClaim: ACI cannot mount PersistentVolumeClaims',
        'spec.containers[0].livenessProbe.tcpSocket: ACI supports exec and httpGet probes only',
      ],
    });
    const error = (await provider.create(createRequest(0, { template })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ reason: 'InvalidSpec', name: 'InvalidSpecError' });
    expect(error.message).toContain(
      'spec.volumes[0].persistentVolumeClaim: ACI cannot mount PersistentVolumeClaims',
    );
    expect(puts()).toBe(0);
  });

  it('never overwrites a group of the same name that belongs to someone else', async () => {
    foreignGroup(burstGroupName(scaler, 0), { team: 'web' });
    await expect(h.provider().create(createRequest(0))).rejects.toBeInstanceOf(NameConflictError);
    expect(puts()).toBe(0);
    expect(h.model.inventory()[0]!.tags).toEqual({ team: 'web' });
  });

  it('answers like ARM to a missing token or a wrong api-version', async () => {
    const path = `${h.face.url}/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups`;
    const noToken = await fetch(`${path}?api-version=2023-05-01`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    const oldVersion = await fetch(`${path}?api-version=2021-09-01`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(oldVersion.status).toBe(400);
    expect(await oldVersion.json()).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
  });
});

describe('garbage collection through the provider', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('drains then deletes orphans and stale groups, and never touches groups that are not ours', async () => {
    const provider = h.provider();
    const gone = { namespace: 'shop', name: 'old-worker', uid: 'uid-deleted' };
    await provider.create(createRequest(0)); // live, current
    await provider.create(createRequest(1, { templateHash: 'tmpl-old' })); // live, stale after rollout
    await provider.create(createRequest(0, { scaler: gone, name: burstGroupName(gone, 0) })); // orphan
    const otherCluster = h.provider({ clusterId: 'aks-other' });
    const otherOrphan = await otherCluster.create(
      createRequest(0, { scaler: gone, name: 'aks-other-orphan-0' }),
    );
    foreignGroup('web-frontend', { team: 'web' });
    foreignGroup('half-tagged', { [TAG.managedBy]: 'spillway', [TAG.cluster]: CLUSTER });
    h.clock.advance(20_000);
    const untouched = ['aks-other-orphan-0', 'half-tagged', 'web-frontend'];
    const tagsBefore = h.model.inventory().filter((g) => untouched.includes(g.name));

    const live = {
      synced: true,
      scalers: [scaler],
      templateHashes: { [scaler.uid]: 'tmpl-aaaa' },
      rolloutComplete: { [scaler.uid]: true },
    };
    const execute = async (): Promise<string[]> => {
      const owned = await provider.listOwned();
      const plan = planGarbageCollection(owned, live, CLUSTER, h.clock.now(), { gracePeriodSeconds: 30 });
      for (const action of plan.actions) {
        if (action.kind === 'DrainBurst') await provider.markDraining(action.name, h.clock.now());
        else await provider.delete(action.name);
      }
      return plan.actions.map((a) => `${a.kind} ${a.name}`);
    };

    expect(await execute()).toEqual([
      `DrainBurst ${burstGroupName(gone, 0)}`,
      `DrainBurst ${burstGroupName(scaler, 1)}`,
    ]);
    h.clock.advance(10_000);
    expect(await execute()).toEqual([]);
    h.clock.advance(25_000);
    expect(await execute()).toEqual([
      `DeleteBurst ${burstGroupName(gone, 0)}`,
      `DeleteBurst ${burstGroupName(scaler, 1)}`,
    ]);

    expect(h.model.inventory().map((g) => g.name)).toEqual([
      'aks-other-orphan-0',
      'half-tagged',
      burstGroupName(scaler, 0),
      'web-frontend',
    ]);
    expect(h.model.inventory().filter((g) => untouched.includes(g.name))).toEqual(tagsBefore);
    const writes = h.face.requests.filter((r) => ['PATCH', 'DELETE'].includes(r.method)).map((r) => r.path);
    for (const name of untouched) expect(writes.some((p) => p.endsWith(`/${name}`))).toBe(false);
    expect(otherOrphan.name).toBe('aks-other-orphan-0');
  });
});

describe('secrets', () => {
  beforeEach(async () => {
    h = await startHarness({ regions: { eastus: { standardCores: 1 }, eastus2: {} } });
  });

  it('never appear in a log line, an error message, a listing or a GET response', async () => {
    const secrets = {
      password: 'pw-Zq81-very-secret',
      token: 'tok-4471-bearer',
      registry: 'reg-pass-0099',
      tls: 'TLS-KEY-7731',
    };
    const template = workerTemplate();
    const c = template.spec!.containers[0]!;
    c.env = [
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
    ];
    c.volumeMounts = [{ name: 'tls', mountPath: '/etc/tls' }];
    c.resources = { requests: { cpu: '2', memory: '1Gi' } };
    template.spec!.volumes = [{ name: 'tls', secret: { secretName: 'tls' } }];
    template.spec!.imagePullSecrets = [{ name: 'pull' }];
    const values = valuesFrom({
      db: { password: secrets.password },
      api: { token: secrets.token },
      tls: { 'tls.key': secrets.tls },
      pull: {
        '.dockerconfigjson': JSON.stringify({
          auths: { 'registry.example.com': { username: 'robot', password: secrets.registry } },
        }),
      },
    });
    const provider = h.provider({ waitFor: 'provisioned' });
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };

    // eastus quota is 1 core: the 2-vCPU group fails over to eastus2 (a quota error on the way).
    await attempt(() => drive(provider.create(createRequest(0, { template, values })), h.clock));
    h.model.inject({ kind: 'capacity', times: 2 });
    await attempt(() => provider.create(createRequest(1, { template, values })));
    h.model.inject({ kind: 'inaccessible-image' });
    await attempt(() => drive(provider.create(createRequest(2, { template, values })), h.clock));
    h.model.inject({ kind: 'transient', operation: 'create' });
    await attempt(() => provider.create(createRequest(3, { template, values })));
    const bad = workerTemplate();
    bad.spec!.containers[0]!.args = ['--token', '$(API_TOKEN)'];
    bad.spec!.containers[0]!.env = [
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
    ];
    await attempt(() => provider.create(createRequest(4, { template: bad, values })));
    const listing = await provider.list(scaler);
    await provider.markDraining(burstGroupName(scaler, 0), h.clock.now());
    const raw = await fetch(
      `${h.face.url}/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups/${burstGroupName(scaler, 0)}?api-version=2023-05-01`,
      { headers: { authorization: 'Bearer t' } },
    ).then((r) => r.text());

    expect(errors.length).toBe(4);
    expect(h.model.secretsOf(RESOURCE_GROUP, burstGroupName(scaler, 0))).toEqual(
      expect.arrayContaining([secrets.password, secrets.token, secrets.registry]),
    );
    const texts = [
      ...h.logs.map((l) => JSON.stringify(l)),
      ...errors.map((e) => `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).cause)}`),
      JSON.stringify(listing),
      raw,
    ];
    const tlsBase64 = Buffer.from(secrets.tls).toString('base64');
    for (const text of texts)
      for (const secret of [...Object.values(secrets), tlsBase64]) expect(text).not.toContain(secret);
    expect(h.logs.length).toBeGreaterThan(5);
  });
});
