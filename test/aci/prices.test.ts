/**
 * The Retail Prices client against a local server that serves responses in the API's format.
 * Nothing reaches the internet.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Prices } from '../../src/core/types.ts';
import { RetailPriceSource, pickAciPrices, unitHours } from '../../src/aci/prices.ts';
import { ManualClock } from './harness.ts';

const fixture = (file: string): string =>
  readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8');

const fallback: Prices = {
  aciVcpuSecondUSD: 0.00002,
  aciGbSecondUSD: 0.000002,
  aciSpotPriceRatio: 0.5,
  vmNodeHourlyUSD: 0.5,
  source: 'spec',
};

interface PriceServer {
  base: string;
  filters: string[];
  /** What to answer; by default the recorded responses. */
  respond: (filter: string, skip: string | null) => { status: number; body: string };
  close(): Promise<void>;
}

let server: PriceServer;
let clock: ManualClock;

async function startPriceServer(): Promise<PriceServer> {
  const state: PriceServer = {
    base: '',
    filters: [],
    respond(filter, skip) {
      if (filter.includes("serviceName eq 'Container Instances'"))
        return {
          status: 200,
          body: fixture(skip ? 'retail-prices-aci-eastus-2.json' : 'retail-prices-aci-eastus-1.json'),
        };
      if (filter.includes("armSkuName eq 'Standard_D4s_v5'"))
        return { status: 200, body: fixture('retail-prices-vm-eastus-d4s-v5.json') };
      return {
        status: 200,
        body: JSON.stringify({
          BillingCurrency: 'USD',
          CustomerEntityId: 'Default',
          CustomerEntityType: 'Retail',
          Items: [],
          NextPageLink: null,
          Count: 0,
        }),
      };
    },
    close: () => Promise.resolve(),
  };
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', state.base);
    const filter = url.searchParams.get('$filter') ?? '';
    state.filters.push(filter);
    const { status, body } = state.respond(filter, url.searchParams.get('$skip'));
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body.replaceAll('{{BASE}}', state.base));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return state;
}

function source(extra: Partial<ConstructorParameters<typeof RetailPriceSource>[0]> = {}): RetailPriceSource {
  return new RetailPriceSource({
    clock,
    endpoint: `${server.base}/api/retail/prices`,
    regions: ['eastus'],
    vmSizes: ['Standard_D4s_v5'],
    ...extra,
  });
}

beforeEach(async () => {
  server = await startPriceServer();
  clock = new ManualClock();
});
afterEach(async () => {
  await server.close();
});

describe('RetailPriceSource', () => {
  it('reads ACI and VM list prices from every page and serves them from memory', async () => {
    const prices = source();
    expect(await prices.refresh()).toBe(true);
    const result = prices.prices({ region: 'eastus', vmSize: 'Standard_D4s_v5', fallback });
    expect(result.source).toBe('retail-api');
    expect(result.aciVcpuSecondUSD).toBeCloseTo(0.0405 / 3600, 15);
    expect(result.aciGbSecondUSD).toBeCloseTo(0.00445 / 3600, 15);
    expect(result.aciSpotPriceRatio).toBeCloseTo(0.3, 10);
    expect(result.vmNodeHourlyUSD).toBe(0.192); // Linux pay-as-you-go, not Windows, Spot, Low Priority or DevTest
    expect(server.filters).toEqual([
      "serviceName eq 'Container Instances' and armRegionName eq 'eastus' and priceType eq 'Consumption'",
      "serviceName eq 'Container Instances' and armRegionName eq 'eastus' and priceType eq 'Consumption'",
      "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_D4s_v5' and priceType eq 'Consumption'",
    ]);
    const requests = server.filters.length;
    for (let i = 0; i < 100; i++) prices.prices({ region: 'eastus', vmSize: 'Standard_D4s_v5', fallback });
    expect(server.filters.length).toBe(requests); // decisions read memory only
  });

  it('falls back to the spec’s prices, and says so, until a region has been fetched', async () => {
    const prices = source({ regions: [] });
    expect(prices.prices({ region: 'westus2', fallback })).toEqual(fallback);
    expect(prices.prices({ region: 'eastus', fallback: { ...fallback, source: 'default' } }).source).toBe(
      'default',
    );
    await prices.refresh(); // both regions were asked for, so both are fetched now
    expect(prices.prices({ region: 'eastus', fallback }).source).toBe('retail-api');
    expect(prices.prices({ region: 'westus2', fallback })).toEqual(fallback); // the API has no rows for it
    expect(prices.status().lastError).toBe(
      'ACI prices for westus2: no Standard vCPU/memory meters for Container Instances in westus2',
    );
  });

  it('keeps ACI list prices but uses the fallback VM price (and source) when the size is unknown', async () => {
    const prices = source({ vmSizes: ['Standard_Z99_v9'] });
    await prices.refresh();
    const result = prices.prices({ region: 'eastus', vmSize: 'Standard_Z99_v9', fallback });
    expect(result.aciVcpuSecondUSD).toBeCloseTo(0.0405 / 3600, 15);
    expect(result.vmNodeHourlyUSD).toBe(fallback.vmNodeHourlyUSD);
    expect(result.source).toBe('spec');
  });

  it.each([
    ['an HTTP error', { status: 503, body: 'unavailable' }, 'ACI prices for eastus: HTTP 503 from 127.0.0.1'],
    [
      'a response of another shape',
      { status: 200, body: JSON.stringify({ items: [] }) },
      'unexpected response shape at /: ',
    ],
    [
      'an item without a price',
      { status: 200, body: JSON.stringify({ Items: [{ meterName: 'x' }], NextPageLink: null }) },
      'unexpected response shape at /Items/0',
    ],
    [
      'a NextPageLink to another host',
      {
        status: 200,
        body: JSON.stringify({
          Items: [],
          NextPageLink: 'https://prices.example.net/api/retail/prices?$skip=100',
        }),
      },
      'refusing to follow NextPageLink to another host (prices.example.net)',
    ],
  ])('survives %s: fallback prices, the failure kept in status', async (_what, answer, message) => {
    server.respond = () => answer;
    const logs: string[] = [];
    const prices = source({
      vmSizes: [],
      log: (_level, msg, fields) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    });
    expect(await prices.refresh()).toBe(false);
    expect(prices.prices({ region: 'eastus', fallback })).toEqual(fallback);
    expect(prices.status().lastError).toContain(message);
    expect(logs[0]).toContain('decisions use the spec or built-in prices');
  });

  it('refreshes in the background on its clock, retries sooner after a failure, and stops', async () => {
    const failing = { on: true };
    const recorded = server.respond.bind(server);
    server.respond = (filter, skip) => (failing.on ? { status: 500, body: '' } : recorded(filter, skip));
    const prices = source({ vmSizes: [], refreshIntervalMs: 3600_000, retryIntervalMs: 60_000 });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2));
    };
    prices.start();
    await settle();
    expect(server.filters.length).toBe(1);
    failing.on = false;
    clock.advance(60_000); // retry interval after the failure
    await settle();
    expect(prices.prices({ region: 'eastus', fallback }).source).toBe('retail-api');
    const afterSuccess = server.filters.length;
    clock.advance(60_000); // well inside the refresh interval: nothing
    await settle();
    expect(server.filters.length).toBe(afterSuccess);
    clock.advance(3600_000);
    await settle();
    expect(server.filters.length).toBe(afterSuccess + 2);
    prices.stop();
    clock.advance(10 * 3600_000);
    await settle();
    expect(server.filters.length).toBe(afterSuccess + 2);
  });

  it('fetches a region a decision asks for, once started', async () => {
    const prices = source({ regions: [], vmSizes: [] });
    prices.start();
    await new Promise((r) => setTimeout(r, 10));
    expect(server.filters).toEqual([]);
    expect(prices.prices({ region: 'eastus', fallback }).source).toBe('spec');
    for (let i = 0; i < 20 && prices.prices({ region: 'eastus', fallback }).source !== 'retail-api'; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(prices.prices({ region: 'eastus', fallback }).source).toBe('retail-api');
    prices.stop();
  });
});

describe('price parsing', () => {
  it.each([
    ['1 Hour', 1],
    ['1 GB Hour', 1],
    ['100 Hours', 100],
    ['1 Second', 1 / 3600],
    ['1 GB/Month', undefined],
    ['10K', undefined],
  ])('unit %s is %s hours', (unit, hours) => {
    expect(unitHours(unit)).toBe(hours);
  });

  it('takes the current price of a meter, not a future one', () => {
    const page = JSON.parse(fixture('retail-prices-aci-eastus-1.json')) as {
      Items: Parameters<typeof pickAciPrices>[0];
    };
    expect(pickAciPrices(page.Items, 'eastus', Date.parse('2026-11-02T00:00:00Z'))).toEqual({
      vcpuHourUSD: 0.0405,
      gbHourUSD: 0.00445,
    });
    expect(pickAciPrices(page.Items, 'eastus', Date.parse('2099-06-01T00:00:00Z'))?.vcpuHourUSD).toBe(0.05);
  });
});
