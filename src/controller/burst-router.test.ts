import { describe, expect, it } from 'vitest';
import type { CreateBurstRequest } from '../ports.ts';
import { AciWorld, ClusterWorld, FakeCluster, FakeProvider, TEMPLATE } from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { BurstRouter } from './burst-router.ts';
import type { BurstAccount } from './burst-router.ts';

const SHOP = { namespace: 'shop', name: 'orders', uid: 'u-shop' };
const BILLING = { namespace: 'billing', name: 'invoices', uid: 'u-billing' };
const A: BurstAccount = { subscriptionId: 'SUB-1', resourceGroup: 'burst-a' };
const B: BurstAccount = { subscriptionId: 'sub-2', resourceGroup: 'burst-b' };

function setup(extraAccounts: BurstAccount[] = []) {
  const clock = new ManualClock();
  const worlds = new Map<string, AciWorld>([
    ['burst-a', new AciWorld()],
    ['burst-b', new AciWorld()],
    ['burst-old', new AciWorld()],
  ]);
  const providers = new Map<string, FakeProvider>();
  const built: string[] = [];
  const accounts = new Map([
    [SHOP.uid, A],
    [BILLING.uid, B],
  ]);
  const router = new BurstRouter({
    accountOf: (s) => accounts.get(s.uid),
    accountsInUse: () => [...accounts.values()],
    providerFor: (account) => {
      built.push(account.resourceGroup);
      const provider = new FakeProvider(worlds.get(account.resourceGroup)!, clock);
      providers.set(account.resourceGroup, provider);
      return provider;
    },
    extraAccounts,
    checks: { checkBurstable: () => ({ ok: true }), billedResources: () => ({ cpu: 1, memoryGiB: 2 }) },
  });
  const values = new FakeCluster(new ClusterWorld(), clock);
  const request = (scaler: typeof SHOP, name: string): CreateBurstRequest => ({
    scaler,
    name,
    index: 0,
    regions: ['eastus'],
    priority: 'Regular',
    spotFallbackToRegular: true,
    templateHash: 't',
    template: TEMPLATE,
    values,
  });
  return { router, worlds, providers, built, accounts, request };
}

describe('BurstRouter', () => {
  it('creates and lists each scaler’s groups in its own account', async () => {
    const s = setup();
    await s.router.create(s.request(SHOP, 'shop-orders-0'));
    await s.router.create(s.request(BILLING, 'billing-invoices-0'));
    expect([...s.worlds.get('burst-a')!.groups.keys()]).toEqual(['shop-orders-0']);
    expect([...s.worlds.get('burst-b')!.groups.keys()]).toEqual(['billing-invoices-0']);
    expect((await s.router.list(SHOP)).map((g) => g.name)).toEqual(['shop-orders-0']);
    expect(s.router.accounts()).toEqual(['sub-1/burst-a', 'sub-2/burst-b']);
    expect(s.built).toEqual(['burst-a', 'burst-b']); // one provider per account, built once
  });

  it('reads the create pacing and the quota of the scaler’s own account; without a scaler, the first', async () => {
    const s = setup();
    await s.router.list(SHOP);
    await s.router.list(BILLING);
    const a = s.providers.get('burst-a')!;
    const b = s.providers.get('burst-b')!;
    a.createBudgets = { eastus: { available: 0, capacity: 100 } };
    b.createBudgets = { eastus: { available: 80, capacity: 100 } };
    a.quotas = { eastus: { limitCores: 100, usedCores: 100 } };
    b.quotas = { eastus: { limitCores: 100, usedCores: 10 } };
    // A spent account must not stop the other account's creates.
    expect(s.router.createBudget('eastus', BILLING)).toEqual({
      region: 'eastus',
      available: 80,
      capacity: 100,
    });
    expect(s.router.createBudget('eastus', SHOP)).toEqual({ region: 'eastus', available: 0, capacity: 100 });
    expect(await s.router.quota('eastus', BILLING)).toEqual({
      region: 'eastus',
      limitCores: 100,
      usedCores: 10,
    });
    expect(await s.router.quota('eastus', SHOP)).toEqual({
      region: 'eastus',
      limitCores: 100,
      usedCores: 100,
    });
    expect(s.router.createBudget('eastus')).toEqual({ region: 'eastus', available: 0, capacity: 100 });
    const unknown = { namespace: 'x', name: 'y', uid: 'u-unknown' };
    expect(await s.router.quota('eastus', unknown)).toEqual({
      region: 'eastus',
      limitCores: 100,
      usedCores: 100,
    });
  });

  it('drains, resumes and deletes a group in the account it was seen in', async () => {
    const s = setup();
    await s.router.create(s.request(BILLING, 'billing-invoices-0'));
    const fresh = setup();
    // A fresh process: it knows the group only after listing.
    fresh.worlds.set('burst-b', s.worlds.get('burst-b')!);
    await expect(fresh.router.delete('billing-invoices-0')).rejects.toThrow(
      /deleting container group billing-invoices-0: not seen in any Azure account yet/,
    );
    await fresh.router.list(BILLING);
    await fresh.router.markDraining('billing-invoices-0', 5);
    expect(s.worlds.get('burst-b')!.groups.get('billing-invoices-0')?.drainingSince).toBe(5);
    await fresh.router.resumeDraining('billing-invoices-0');
    expect(s.worlds.get('burst-b')!.groups.get('billing-invoices-0')?.drainingSince).toBeUndefined();
    await fresh.router.delete('billing-invoices-0');
    expect(s.worlds.get('burst-b')!.deleted).toEqual(['billing-invoices-0']);
    expect(fresh.providers.get('burst-a')).toBeUndefined();
  });

  it('listOwned covers accounts in use, accounts seen before and configured ones', async () => {
    const old: BurstAccount = { subscriptionId: 'sub-1', resourceGroup: 'burst-old' };
    const s = setup([old]);
    s.worlds.get('burst-old')!.groups.set('orphan-0', {
      name: 'orphan-0',
      index: 0,
      region: 'eastus',
      priority: 'Regular',
      state: 'Running',
      ready: true,
      createdAt: 0,
      templateHash: 't',
      cpu: 1,
      memoryGiB: 2,
      owner: { clusterId: 'cluster-test', namespace: 'gone', name: 'gone', uid: 'u-gone' },
    });
    await s.router.create(s.request(SHOP, 'shop-orders-0'));
    s.accounts.delete(SHOP.uid); // the scaler was deleted; its account is still swept
    const owned = await s.router.listOwned();
    expect(owned.map((g) => g.name).sort()).toEqual(['orphan-0', 'shop-orders-0']);
    await s.router.delete('orphan-0');
    expect(s.worlds.get('burst-old')!.groups.size).toBe(0);
  });

  it('refuses a scaler without a known account', async () => {
    const s = setup();
    await expect(s.router.list({ namespace: 'x', name: 'y', uid: 'z' })).rejects.toThrow(
      'BurstScaler x/y: no Azure account known (spec.burst.aci.subscriptionId and resourceGroup)',
    );
  });
});
