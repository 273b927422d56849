import { describe, expect, it } from 'vitest';
import {
  aciBilledResources,
  breakEvenSeconds,
  chooseOverflow,
  computedSlotsPerNode,
  overflowOptionCost,
  unitCosts,
} from './cost-model.ts';
import type { OverflowTimes } from './cost-model.ts';
import { listPrices, testPolicy } from './testing.ts';

const vm = testPolicy().cost.vm;
const times: OverflowTimes = {
  provisionSeconds: 300,
  minNodeLifetimeSeconds: 600,
  aciStartSeconds: 45,
  drainGraceSeconds: 60,
};
const unit = (discountPercent = 0, requests = { cpu: 1, memoryGiB: 4 }) =>
  unitCosts({
    requests,
    prices: listPrices,
    vm: { ...vm, discountPercent },
    priority: 'Regular',
    observedSlotsPerNode: 0,
  });

describe('aciBilledResources', () => {
  it.each([
    [
      '1 vCPU / 4 GiB: the GiB value, as the provider requests it',
      { cpu: 1, memoryGiB: 4 },
      { cpu: 1, memoryGB: 4 },
    ],
    ['a quarter vCPU / 512 MiB', { cpu: 0.25, memoryGiB: 0.5 }, { cpu: 0.25, memoryGB: 0.5 }],
    ['333m CPU rounds up to 0.34', { cpu: 0.333, memoryGiB: 1 }, { cpu: 0.34, memoryGB: 1 }],
    [
      '0.3 vCPU stays 0.3 (no float creep)',
      { cpu: 0.3, memoryGiB: 0.27939677238464355 },
      { cpu: 0.3, memoryGB: 0.3 },
    ],
    ['no requests → ACI defaults', { cpu: 0, memoryGiB: 0 }, { cpu: 1, memoryGB: 1.5 }],
    ['memory only defaulted', { cpu: 2, memoryGiB: 0 }, { cpu: 2, memoryGB: 1.5 }],
  ])('%s', (_what, requests, billed) => {
    expect(aciBilledResources(requests)).toEqual(billed);
  });
});

describe('computedSlotsPerNode (D4s_v5: 4 vCPU / 16 GiB)', () => {
  it.each([
    ['1 vCPU / 4 GiB, 15% reserved: 3.4 of each fits 3', 1, 4, 15, 3],
    ['0.5 vCPU / 2 GiB, 15% reserved', 0.5, 2, 15, 6],
    ['0.5 vCPU / 2 GiB, 10% reserved', 0.5, 2, 10, 7],
    ['1.5 vCPU on a bare node: 2 fit, a quarter wasted', 1.5, 1, 0, 2],
    ['0.85 vCPU into 3.4: exactly 4, float noise does not lose one', 0.85, 0, 15, 4],
    ['8 vCPU does not fit at all', 8, 1, 15, 0],
    ['no requests: kubelet pod limit', 0, 0, 15, 110],
  ])('%s', (_what, cpu, memoryGiB, reservedPercent, slots) => {
    expect(computedSlotsPerNode({ ...vm, reservedPercent }, { cpu, memoryGiB })).toBe(slots);
  });
});

describe('unitCosts', () => {
  it('prices the DESIGN.md example: ACI $0.0583/h vs $0.064/h per VM replica on a D4s_v5', () => {
    const u = unit();
    expect(u.billed).toEqual({ cpu: 1, memoryGB: 4 });
    expect(u.aciReplicaSecondUSD).toBeCloseTo(0.000016194, 12);
    expect(u.aciReplicaHourUSD).toBeCloseTo(0.0582984, 8);
    expect(u.slotsPerNode).toBe(3);
    expect(u.vmReplicaHourUSD).toBeCloseTo(0.064, 10);
    expect(u.lines.join('\n')).toContain('a steady ACI share beats adding VMs');
  });
  it.each([
    ['40% savings plan', 40, 'Regular', 0.1152, 0.0384, 0.0582984],
    ['Spot ACI at 30%', 0, 'Spot', 0.192, 0.064, 0.01748952],
  ] as const)('%s', (_what, discountPercent, priority, nodeHour, vmReplicaHour, aciHour) => {
    const u = unitCosts({
      requests: { cpu: 1, memoryGiB: 4 },
      prices: listPrices,
      vm: { ...vm, discountPercent },
      priority,
      observedSlotsPerNode: 0,
    });
    expect(u.nodeHourUSD).toBeCloseTo(nodeHour, 10);
    expect(u.vmReplicaHourUSD).toBeCloseTo(vmReplicaHour, 10);
    expect(u.aciReplicaHourUSD).toBeCloseTo(aciHour, 9);
  });
  it('uses the slots observed on the cluster when known', () => {
    const u = unitCosts({
      requests: { cpu: 1, memoryGiB: 4 },
      prices: listPrices,
      vm,
      priority: 'Regular',
      observedSlotsPerNode: 2,
    });
    expect(u.slotsPerNode).toBe(2);
    expect(u.slotsSource).toBe('observed');
    expect(u.vmReplicaHourUSD).toBeCloseTo(0.096, 10);
  });
  it('a replica that fits no node has an infinite VM price', () => {
    const u = unit(0, { cpu: 8, memoryGiB: 4 });
    expect(u.slotsPerNode).toBe(0);
    expect(u.vmReplicaHourUSD).toBe(Infinity);
  });
});

describe('overflowOptionCost', () => {
  it('adds up the bridge of 3 replicas on 1 node for an hour by hand', () => {
    const u = unit(40);
    const o = overflowOptionCost(3, 1, 3600, u, times);
    // ACI covers 3 replicas for 300 s of provisioning + 60 s drain; the node is paid 3600 + 600 s.
    expect(o.aciUSD).toBeCloseTo(3 * 0.000016194 * 360, 10);
    expect(o.vmUSD).toBeCloseTo((0.1152 / 3600) * 4200, 10);
    expect(o).toMatchObject({ newNodes: 1, bridged: 3, spilled: 0 });
  });
  it('spilling pays ACI for the remaining time plus the drain, and at least the start', () => {
    const u = unit();
    expect(overflowOptionCost(2, 0, 600, u, times).costUSD).toBeCloseTo(2 * 0.000016194 * 660, 10);
    expect(overflowOptionCost(2, 0, 10, u, times).costUSD).toBeCloseTo(2 * 0.000016194 * 105, 10);
  });
});

describe('chooseOverflow: bridge or spill', () => {
  it.each([
    // [what, k, remaining s, discount %, previous, new nodes, bridged, spilled]
    ['2-minute burst, VMs at 40% off: spill (a node would be paid 15 min)', 3, 120, 40, undefined, 0, 0, 3],
    ['1-hour burst, VMs at 40% off: bridge', 3, 3600, 40, undefined, 1, 3, 0],
    [
      '10-hour burst at list price: spill (3 ACI replicas cost less than a full new node)',
      3,
      36000,
      0,
      undefined,
      0,
      0,
      3,
    ],
    [
      '7 replicas for an hour at 40% off: 2 full nodes, the 7th stays on ACI',
      7,
      3600,
      40,
      undefined,
      2,
      6,
      1,
    ],
    ['near break-even, bridge is 3% cheaper: bridge', 3, 2100, 40, undefined, 1, 3, 0],
    ['near break-even after spilling: stays spill (hysteresis)', 3, 2100, 40, 'spill', 0, 0, 3],
    ['well past break-even after spilling: switches to bridge', 3, 5000, 40, 'spill', 1, 3, 0],
  ] as const)('%s', (_what, k, T, discount, previous, newNodes, bridged, spilled) => {
    const choice = chooseOverflow({
      overflow: k,
      remainingSeconds: T,
      unit: unit(discount),
      times,
      ...(previous ? { previous } : {}),
    });
    expect(choice.chosen).toMatchObject({ newNodes, bridged, spilled });
    expect(choice.lines.join('\n')).toMatch(/Chosen: /);
  });

  it('break-even matches the closed form T* = (k·a·P + m·v·L) ÷ (k·a − m·v)', () => {
    const u = unit(40);
    const ka = 3 * u.aciReplicaSecondUSD;
    const mv = u.nodeSecondUSD;
    const closed = (ka * 300 + mv * 600) / (ka - mv);
    expect(closed).toBeCloseTo(2036.8, 0);
    expect(breakEvenSeconds(3, 1, u, times)).toBeCloseTo(closed, 2);
    expect(
      chooseOverflow({ overflow: 3, remainingSeconds: 3600, unit: u, times }).lines.join('\n'),
    ).toContain('pays off for bursts longer than 33.9 min');
  });

  it('break-even is never when ACI costs no more per hour than the new nodes', () => {
    const u = unit(0);
    expect(breakEvenSeconds(3, 1, u, times)).toBe(Infinity);
    expect(
      chooseOverflow({ overflow: 3, remainingSeconds: 3600, unit: u, times }).lines.join('\n'),
    ).toContain('Break-even: never');
  });

  it('a replica that fits no node can only spill', () => {
    const choice = chooseOverflow({
      overflow: 2,
      remainingSeconds: 86400,
      unit: unit(90, { cpu: 8, memoryGiB: 4 }),
      times,
    });
    expect(choice.chosen).toMatchObject({ newNodes: 0, spilled: 2 });
    expect(choice.options).toHaveLength(1);
  });

  it('when provisioning is faster than an ACI start, bridged replicas are not covered on ACI', () => {
    const fast = { ...times, provisionSeconds: 30 };
    const o = overflowOptionCost(3, 1, 3600, unit(40), fast);
    expect(o.aciUSD).toBe(0);
  });
});

describe('packing: a new node is priced at the share of its slots its replicas fill (cost.vm.packingPercent)', () => {
  const packed = (packingPercent: number) =>
    unitCosts({
      requests: { cpu: 1, memoryGiB: 4 },
      prices: listPrices,
      vm: { ...vm, discountPercent: 20, packingPercent },
      priority: 'Regular',
      observedSlotsPerNode: 0,
    });

  it.each([
    // 20 % off: a full slot is $0.0512/h, under ACI's $0.0583/h; at 85 % packing it is $0.0602/h, over it.
    [100, 0.0512, 'bridge 3 on 1 new node(s)'],
    [85, 0.0512 / 0.85, 'spill only (3 on ACI)'],
  ])('%i %%: $%d per replica-hour on a new node → %s for a 10-hour burst', (packing, perReplica, chosen) => {
    const u = packed(packing);
    expect(u.vmReplicaHourUSD).toBeCloseTo(0.0512, 10); // existing capacity keeps the full-node price
    expect(u.newNodeReplicaHourUSD).toBeCloseTo(perReplica, 10);
    expect(u.newNodeSecondUSD * 3600).toBeCloseTo(perReplica * 3, 10);
    const choice = chooseOverflow({ overflow: 3, remainingSeconds: 10 * 3600, unit: u, times });
    expect(choice.lines.join('\n')).toContain(`Chosen: ${chosen}.`);
    if (packing < 100) {
      expect(u.lines).toContain(
        'New nodes fill 85% of their slots over their life (spec.cost.vm.packingPercent) → $0.0602/h per replica served on new nodes',
      );
      expect(choice.breakEvenSeconds).toBe(Infinity);
    }
  });
});
