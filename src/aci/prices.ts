/**
 * Prices from the public Azure Retail Prices API (no authentication), refreshed in the background.
 *
 * Decisions call {@link RetailPriceSource.prices}, which reads memory only: it returns the cached
 * prices for the region (and VM size), or — when they have not been fetched (yet) — the caller's
 * fallback with its `source` ('spec' or 'default'), so a condition can say that list prices are not in
 * use. A miss also asks the background loop to fetch that region soon.
 *
 * Meters read (serviceName 'Container Instances', priceType Consumption):
 * - skuName 'Standard': 'Standard vCPU Duration' (1 Hour) and 'Standard Memory Duration' (1 GB Hour);
 * - skuName 'Standard Spot': 'Standard Spot vCPU Duration' — its ratio to the Standard vCPU price is
 *   the Spot price ratio.
 * VMs (serviceName 'Virtual Machines', armSkuName = the node size, Consumption): the Linux
 * pay-as-you-go hourly price (products without "Windows", meters without "Spot"/"Low Priority").
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Prices } from '../core/types.ts';
import type { Clock, PriceSource } from '../ports.ts';
import { noLog, type AciLogFn } from './log.ts';

/** The public endpoint. */
export const RETAIL_PRICES_ENDPOINT = 'https://prices.azure.com/api/retail/prices';

const Item = Type.Object({
  currencyCode: Type.Optional(Type.String()),
  tierMinimumUnits: Type.Optional(Type.Number()),
  retailPrice: Type.Number(),
  armRegionName: Type.String(),
  effectiveStartDate: Type.Optional(Type.String()),
  meterName: Type.String(),
  productName: Type.String(),
  skuName: Type.String(),
  serviceName: Type.String(),
  unitOfMeasure: Type.String(),
  type: Type.String(),
  armSkuName: Type.Optional(Type.String()),
});
const Page = Type.Object({
  Items: Type.Array(Item),
  NextPageLink: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  Count: Type.Optional(Type.Number()),
});
const pageValidator = Compile(Page);

/** One row of the Retail Prices API. */
export type RetailPriceItem = Static<typeof Item>;

/** ACI prices of one region, per hour. */
export interface AciRegionPrices {
  vcpuHourUSD: number;
  gbHourUSD: number;
  spotVcpuHourUSD?: number;
  fetchedAt: number;
}

export interface RetailPriceSourceOptions {
  clock: Clock;
  log?: AciLogFn;
  /** @default {@link RETAIL_PRICES_ENDPOINT} */
  endpoint?: string;
  /** Injected for tests; @default global fetch */
  fetch?: typeof fetch;
  /** Time between refreshes. @default 6 h (list prices change monthly at most) */
  refreshIntervalMs?: number;
  /** Time before retrying after a failed refresh. @default 10 min */
  retryIntervalMs?: number;
  /** Per-request timeout. @default 20 s */
  timeoutMs?: number;
  /** Pages followed per query at most (a filtered query needs one or two). @default 10 */
  maxPages?: number;
  /** Regions and VM sizes to load from the start; others are added when prices() asks for them. */
  regions?: string[];
  vmSizes?: string[];
}

/** What the last refresh did, for status and conditions. */
export interface PriceStatus {
  lastSuccessAt?: number;
  lastFailureAt?: number;
  /** The last failure's message (no secrets: the API is public). */
  lastError?: string;
  aciRegions: string[];
  vmSizes: string[];
}

const REGION = /^[a-z0-9]+$/;
const VM_SIZE = /^[A-Za-z0-9_]+$/;

/** Hours in one unit of measure ("1 Hour", "1 GB Hour", "100 Hours", "1 Second"); undefined if unknown. */
export function unitHours(unit: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(?:GB\s*)?(Hours?|Seconds?|Minutes?)$/i.exec(unit.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  const word = match[2]!.toLowerCase();
  const hours = word.startsWith('hour') ? 1 : word.startsWith('minute') ? 1 / 60 : 1 / 3600;
  return count * hours;
}

/** Per-hour price of an item, or undefined when its unit is not a duration. */
function hourly(item: RetailPriceItem): number | undefined {
  const hours = unitHours(item.unitOfMeasure);
  return hours === undefined ? undefined : item.retailPrice / hours;
}

/** The current row among several of one meter: the latest effectiveStartDate not in the future, lowest tier. */
function current(items: RetailPriceItem[], now: number): RetailPriceItem | undefined {
  const usable = items.filter((i) => {
    const start = Date.parse(i.effectiveStartDate ?? '');
    return Number.isNaN(start) || start <= now;
  });
  usable.sort(
    (a, b) =>
      (a.tierMinimumUnits ?? 0) - (b.tierMinimumUnits ?? 0) ||
      Date.parse(b.effectiveStartDate ?? '') - Date.parse(a.effectiveStartDate ?? ''),
  );
  return usable[0];
}

/** ACI prices of a region from its Retail Prices rows; undefined when the Standard meters are absent. */
export function pickAciPrices(
  items: RetailPriceItem[],
  region: string,
  now: number,
): Omit<AciRegionPrices, 'fetchedAt'> | undefined {
  const rows = items.filter(
    (i) => i.serviceName === 'Container Instances' && i.type === 'Consumption' && i.armRegionName === region,
  );
  const meter = (sku: string, name: string): number | undefined => {
    const row = current(
      rows.filter((i) => i.skuName === sku && i.meterName === name),
      now,
    );
    return row ? hourly(row) : undefined;
  };
  const vcpu = meter('Standard', 'Standard vCPU Duration');
  const gb = meter('Standard', 'Standard Memory Duration');
  if (vcpu === undefined || gb === undefined) return undefined;
  const spot = meter('Standard Spot', 'Standard Spot vCPU Duration');
  return { vcpuHourUSD: vcpu, gbHourUSD: gb, ...(spot === undefined ? {} : { spotVcpuHourUSD: spot }) };
}

/** The Linux pay-as-you-go hourly price of a VM size; undefined when absent. */
export function pickVmHourly(
  items: RetailPriceItem[],
  region: string,
  vmSize: string,
  now: number,
): number | undefined {
  const rows = items.filter(
    (i) =>
      i.serviceName === 'Virtual Machines' &&
      i.type === 'Consumption' &&
      i.armRegionName === region &&
      i.armSkuName?.toLowerCase() === vmSize.toLowerCase() &&
      !/windows/i.test(i.productName) &&
      !/spot|low priority/i.test(`${i.skuName} ${i.meterName}`),
  );
  const row = current(rows, now);
  return row ? hourly(row) : undefined;
}

/** {@link PriceSource} backed by the Azure Retail Prices API. */
export class RetailPriceSource implements PriceSource {
  private readonly clock: Clock;
  private readonly log: AciLogFn;
  private readonly endpoint: URL;
  private readonly fetchFn: typeof fetch;
  private readonly refreshIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxPages: number;
  private readonly aci = new Map<string, AciRegionPrices>();
  private readonly vm = new Map<string, { hourlyUSD: number; fetchedAt: number }>();
  private readonly wantedRegions = new Set<string>();
  private readonly wantedVm = new Set<string>();
  private readonly lastAttempt = new Map<string, number>();
  private readonly state: PriceStatus = { aciRegions: [], vmSizes: [] };
  private refreshing: Promise<boolean> | undefined;
  private controller: AbortController | undefined;

  constructor(options: RetailPriceSourceOptions) {
    this.clock = options.clock;
    this.log = options.log ?? noLog;
    try {
      this.endpoint = new URL(options.endpoint ?? RETAIL_PRICES_ENDPOINT);
    } catch {
      throw new RangeError(`endpoint: "${options.endpoint}" is not a URL`);
    }
    this.fetchFn = options.fetch ?? fetch;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 6 * 3600_000;
    this.retryIntervalMs = options.retryIntervalMs ?? 600_000;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.maxPages = options.maxPages ?? 10;
    for (const region of options.regions ?? []) this.want(region);
    for (const size of options.vmSizes ?? [])
      for (const region of options.regions ?? []) this.want(region, size);
  }

  private want(region: string, vmSize?: string): boolean {
    if (!REGION.test(region)) return false;
    this.wantedRegions.add(region);
    if (vmSize !== undefined) {
      if (!VM_SIZE.test(vmSize)) return false;
      this.wantedVm.add(`${region}/${vmSize}`);
    }
    return true;
  }

  /** Prices for a decision, from memory only. Unknown region or size → the fallback, and a fetch soon. */
  prices(policy: { region: string; vmSize?: string; fallback: Prices }): Prices {
    const { region, vmSize, fallback } = policy;
    const aci = this.aci.get(region);
    const vm = vmSize === undefined ? undefined : this.vm.get(`${region}/${vmSize}`);
    if (!aci || (vmSize !== undefined && !vm)) {
      if (this.want(region, vmSize)) this.kick(vmSize === undefined ? region : `${region}/${vmSize}`);
    }
    if (!aci) return { ...fallback };
    return {
      aciVcpuSecondUSD: aci.vcpuHourUSD / 3600,
      aciGbSecondUSD: aci.gbHourUSD / 3600,
      aciSpotPriceRatio:
        aci.spotVcpuHourUSD === undefined
          ? fallback.aciSpotPriceRatio
          : aci.spotVcpuHourUSD / aci.vcpuHourUSD,
      vmNodeHourlyUSD: vm?.hourlyUSD ?? fallback.vmNodeHourlyUSD,
      source: vmSize !== undefined && !vm ? fallback.source : 'retail-api',
    };
  }

  /** What the last refreshes did. */
  status(): PriceStatus {
    return { ...this.state, aciRegions: [...this.aci.keys()].sort(), vmSizes: [...this.vm.keys()].sort() };
  }

  /** Starts the background refresh loop (idempotent). */
  start(): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    void this.loop(controller.signal);
  }

  /** Stops the loop; a fetch under way is aborted. */
  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ok = await this.refresh();
      try {
        await this.clock.sleep(ok ? this.refreshIntervalMs : this.retryIntervalMs, signal);
      } catch {
        return;
      }
    }
  }

  /** Fetch soon a key the decision asked for, unless it was tried within the retry interval. */
  private kick(key: string): void {
    if (!this.controller) return;
    const last = this.lastAttempt.get(key);
    if (last !== undefined && this.clock.now() - last < this.retryIntervalMs) return;
    void this.refresh();
  }

  /**
   * Fetches every wanted region and VM size now. Resolves true when all succeeded; never rejects
   * (failures are logged and kept in {@link status}).
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshAll().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshAll(): Promise<boolean> {
    let ok = true;
    const now = this.clock.now();
    for (const region of [...this.wantedRegions].sort()) {
      this.lastAttempt.set(region, now);
      try {
        const items = await this.query(
          `serviceName eq 'Container Instances' and armRegionName eq '${region}' and priceType eq 'Consumption'`,
        );
        const picked = pickAciPrices(items, region, this.clock.now());
        if (!picked) throw new Error(`no Standard vCPU/memory meters for Container Instances in ${region}`);
        this.aci.set(region, { ...picked, fetchedAt: this.clock.now() });
      } catch (error) {
        ok = false;
        this.failed(`ACI prices for ${region}`, error);
      }
    }
    for (const key of [...this.wantedVm].sort()) {
      this.lastAttempt.set(key, now);
      const [region, size] = key.split('/') as [string, string];
      try {
        const items = await this.query(
          `serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and armSkuName eq '${size}' and priceType eq 'Consumption'`,
        );
        const price = pickVmHourly(items, region, size, this.clock.now());
        if (price === undefined) throw new Error(`no Linux pay-as-you-go price for ${size} in ${region}`);
        this.vm.set(key, { hourlyUSD: price, fetchedAt: this.clock.now() });
      } catch (error) {
        ok = false;
        this.failed(`VM price for ${size} in ${region}`, error);
      }
    }
    if (ok) {
      this.state.lastSuccessAt = this.clock.now();
      this.log('debug', 'retail prices refreshed', {
        regions: [...this.aci.keys()],
        vm: [...this.vm.keys()],
      });
    }
    return ok;
  }

  private failed(what: string, error: unknown): void {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    this.state.lastFailureAt = this.clock.now();
    this.state.lastError = message;
    this.log('warn', 'could not read Azure retail prices; decisions use the spec or built-in prices', {
      error: message,
    });
  }

  /** Every item of a filtered query, following NextPageLink on the same origin only. */
  private async query(filter: string): Promise<RetailPriceItem[]> {
    const items: RetailPriceItem[] = [];
    let url: string | undefined = `${this.endpoint.href}?$filter=${encodeURIComponent(filter)}`;
    for (let page = 0; url; page++) {
      if (page >= this.maxPages) throw new Error(`more than ${this.maxPages} pages for one query; stopped`);
      const next: URL = new URL(url);
      if (next.origin !== this.endpoint.origin)
        throw new Error(`refusing to follow NextPageLink to another host (${next.host})`);
      const signal = this.controller
        ? AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.timeoutMs)])
        : AbortSignal.timeout(this.timeoutMs);
      const response = await this.fetchFn(next, { headers: { accept: 'application/json' }, signal });
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${next.host}`);
      const body: unknown = await response.json();
      if (!pageValidator.Check(body)) {
        const first = [...pageValidator.Errors(body)][0];
        throw new Error(
          `unexpected response shape at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}`,
        );
      }
      items.push(...body.Items);
      url = body.NextPageLink ?? undefined;
    }
    return items;
  }
}
