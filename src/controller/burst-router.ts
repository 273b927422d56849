/**
 * One {@link BurstProvider} over several Azure accounts: each BurstScaler names the subscription and
 * resource group its container groups live in (`spec.burst.aci`), while a provider instance speaks to
 * one of them. The router sends each call to the provider of the right account:
 *
 * - `list`/`create` — by the scaler's account;
 * - `markDraining`/`delete` — by the account the group was last seen in (every tick and every GC sweep
 *   lists before it drains or deletes, so a group is always known by then; an unknown name is an error,
 *   never a guess, so nothing is deleted in the wrong place);
 * - `listOwned` — every account in use, plus any configured ones (GC of scalers deleted before a
 *   restart whose account no other scaler names);
 * - `quota` and `createBudget` — by the scaler's account (quota is per subscription and region, the create
 *   pacing per account); without a scaler, the first account's;
 * - template checks — account-independent.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { BurstReplica, Resources, ScalerKey } from '../core/types.ts';
import type { BurstabilityCheck, BurstProvider, CreateBurstRequest, OwnedBurstReplica } from '../ports.ts';

/** Where container groups live. */
export interface BurstAccount {
  subscriptionId: string;
  resourceGroup: string;
}

export interface BurstRouterOptions {
  /** The account of a scaler (from its compiled spec); undefined when the scaler is unknown or invalid. */
  accountOf(scaler: ScalerKey): BurstAccount | undefined;
  /** Every account the current scalers use. */
  accountsInUse(): BurstAccount[];
  /** Builds the provider of an account; called once per account. */
  providerFor(account: BurstAccount): BurstProvider;
  /** Accounts always included in `listOwned`. */
  extraAccounts?: readonly BurstAccount[];
  /** Account-independent template checks. */
  checks: Pick<BurstProvider, 'checkBurstable' | 'billedResources'>;
}

/** A stable key of an account (subscription ids are case-insensitive GUIDs, resource groups too). */
export function accountKey(account: BurstAccount): string {
  return `${account.subscriptionId.toLowerCase()}/${account.resourceGroup.toLowerCase()}`;
}

export class BurstRouter implements BurstProvider {
  readonly #options: BurstRouterOptions;
  readonly #providers = new Map<string, { account: BurstAccount; provider: BurstProvider }>();
  readonly #location = new Map<string, string>();

  constructor(options: BurstRouterOptions) {
    this.#options = options;
  }

  /** Accounts a provider has been built for, by key. */
  accounts(): string[] {
    return [...this.#providers.keys()].sort();
  }

  async list(scaler: ScalerKey): Promise<BurstReplica[]> {
    const { key, provider } = this.#forScaler(scaler);
    const groups = await provider.list(scaler);
    for (const group of groups) this.#location.set(group.name, key);
    return groups;
  }

  async listOwned(): Promise<OwnedBurstReplica[]> {
    const accounts = new Map<string, BurstAccount>();
    for (const account of [...this.#options.accountsInUse(), ...(this.#options.extraAccounts ?? [])])
      accounts.set(accountKey(account), account);
    for (const { account } of this.#providers.values()) accounts.set(accountKey(account), account);
    const all: OwnedBurstReplica[] = [];
    for (const [key, account] of [...accounts].sort(([a], [b]) => a.localeCompare(b))) {
      const groups = await this.#provider(account).listOwned();
      for (const group of groups) this.#location.set(group.name, key);
      all.push(...groups);
    }
    return all;
  }

  async create(request: CreateBurstRequest): Promise<BurstReplica> {
    const { key, provider } = this.#forScaler(request.scaler);
    this.#location.set(request.name, key);
    return provider.create(request);
  }

  markDraining(name: string, since: number): Promise<void> {
    return this.#forGroup(name, 'marking the drain of').markDraining(name, since);
  }

  resumeDraining(name: string): Promise<void> {
    return this.#forGroup(name, 'ending the drain of').resumeDraining(name);
  }

  async delete(name: string): Promise<void> {
    await this.#forGroup(name, 'deleting').delete(name);
    this.#location.delete(name);
  }

  checkBurstable(template: V1PodTemplateSpec): BurstabilityCheck {
    return this.#options.checks.checkBurstable(template);
  }

  billedResources(template: V1PodTemplateSpec): Resources {
    return this.#options.checks.billedResources(template);
  }

  /** The pacing of the scaler's account (creates are paced per account and region). */
  createBudget(
    region: string,
    scaler?: ScalerKey,
  ): { region: string; available: number; capacity: number } | undefined {
    const account = this.#accountFor(scaler);
    return account ? this.#provider(account).createBudget?.(region) : undefined;
  }

  /** The quota of the scaler's subscription in `region`. */
  quota(
    region: string,
    scaler?: ScalerKey,
  ): Promise<{ region: string; limitCores: number; usedCores: number } | undefined> {
    const account = this.#accountFor(scaler);
    if (!account) return Promise.resolve(undefined);
    return this.#provider(account).quota(region);
  }

  /** The scaler's account; without a scaler (or an unknown one), the first account in use. */
  #accountFor(scaler: ScalerKey | undefined): BurstAccount | undefined {
    const own = scaler ? this.#options.accountOf(scaler) : undefined;
    if (own) return own;
    const accounts = this.#options.accountsInUse();
    return [...accounts].sort((a, b) => accountKey(a).localeCompare(accountKey(b)))[0];
  }

  #forScaler(scaler: ScalerKey): { key: string; provider: BurstProvider } {
    const account = this.#options.accountOf(scaler);
    if (!account)
      throw new Error(
        `BurstScaler ${scaler.namespace}/${scaler.name}: no Azure account known (spec.burst.aci.subscriptionId and resourceGroup)`,
      );
    return { key: accountKey(account), provider: this.#provider(account) };
  }

  #forGroup(name: string, verb: string): BurstProvider {
    const key = this.#location.get(name);
    const entry = key === undefined ? undefined : this.#providers.get(key);
    if (!entry)
      throw new Error(
        `${verb} container group ${name}: not seen in any Azure account yet (it is listed before it is drained or deleted)`,
      );
    return entry.provider;
  }

  #provider(account: BurstAccount): BurstProvider {
    const key = accountKey(account);
    let entry = this.#providers.get(key);
    if (!entry) {
      entry = { account, provider: this.#options.providerFor(account) };
      this.#providers.set(key, entry);
    }
    return entry.provider;
  }
}
