/**
 * The cost model: what one replica costs per hour on a VM node and on ACI, and the ski-rental
 * comparison between *bridging* an overflow (new VM nodes, covered on ACI while they boot) and
 * *spilling* it (ACI only). Formulas and a worked example: docs/cost-model.md.
 *
 * Pure: prices and policy in, numbers and readable lines out.
 */
import type { AciCostPolicy, BurstReplica, Prices, Resources, VmCostPolicy } from './types.ts';

/** ACI accepts CPU in steps of 0.01 vCPU. */
export const ACI_CPU_STEP = 0.01;
/** ACI accepts memory in steps of 0.1 GB. */
export const ACI_MEMORY_STEP_GB = 0.1;
/** What ACI gives a container group whose template requests nothing (virtual-kubelet's defaults). */
export const ACI_DEFAULT_REQUESTS = { cpu: 1, memoryGB: 1.5 } as const;
/** Kubelet's default pod limit: the slots of a node when the template requests no CPU and no memory. */
export const DEFAULT_MAX_PODS_PER_NODE = 110;
/**
 * A placement keeps its previous mode unless the other one is cheaper by more than this share of the
 * cost, so a forecast hovering at the break-even does not flip bridge/spill every tick.
 */
export const MODE_SWITCH_MARGIN = 0.1;

/**
 * The cost policy at list prices (the BurstScaler's `spec.cost` defaults): a Standard_D4s_v5 node at East US
 * pay-as-you-go, and ACI Linux at East US per second. Returns a fresh object each call.
 */
export function listPriceCost(): { vm: VmCostPolicy; aci: AciCostPolicy } {
  return {
    vm: {
      nodeHourlyUSD: 0.192,
      discountPercent: 0,
      nodeVCPU: 4,
      nodeMemoryGiB: 16,
      reservedPercent: 15,
      provisionSeconds: 300,
      minNodeLifetimeSeconds: 600,
      packingPercent: 85,
    },
    aci: { vcpuSecondUSD: 0.00001125, gbSecondUSD: 0.000001236, startSeconds: 45, spotPriceRatio: 0.3 },
  };
}

/** Resources of one ACI container group as ACI bills them. */
export interface AciBilled {
  cpu: number;
  memoryGB: number;
}

/** roundUpToStep's answers by step and value (a handful of distinct requests; toFixed is slow). */
const rounded = new Map<number, Map<number, number>>();

function roundUpToStep(value: number, step: number): number {
  let byValue = rounded.get(step);
  if (!byValue) rounded.set(step, (byValue = new Map<number, number>()));
  let out = byValue.get(value);
  if (out === undefined) {
    out = roundUpToStepOnce(value, step);
    if (byValue.size < 4096) byValue.set(value, out);
  }
  return out;
}

function roundUpToStepOnce(value: number, step: number): number {
  // The small epsilon keeps 0.3 / 0.1 = 2.9999999999999996 at 3 steps instead of 4.
  const steps = Math.ceil(value / step - 1e-9);
  return Number((steps * step).toFixed(6));
}

/**
 * Requests as ACI bills them: CPU rounded up to 0.01 vCPU and memory rounded up to 0.1 GB (ACI's
 * granularity; rounding up never gives a container less than its request), with ACI's defaults (1 vCPU,
 * 1.5 GB) for a resource the template does not request. ACI's "GB" is taken to be the Kubernetes GiB value
 * without conversion — a 4Gi request becomes `memoryInGB: 4` — because that is what the ACI provider
 * (src/aci/translate.ts) and virtual-kubelet put in the container group, and ACI bills what the group
 * requests. The provider rounds per container; this rounds the template's sum, which is the same for
 * one-container templates and can be up to 0.1 GB per extra container lower otherwise.
 */
export function aciBilledResources(requests: Resources): AciBilled {
  return {
    cpu: requests.cpu > 0 ? roundUpToStep(requests.cpu, ACI_CPU_STEP) : ACI_DEFAULT_REQUESTS.cpu,
    memoryGB:
      requests.memoryGiB > 0
        ? roundUpToStep(requests.memoryGiB, ACI_MEMORY_STEP_GB)
        : ACI_DEFAULT_REQUESTS.memoryGB,
  };
}

/** USD per second for one ACI group of `billed` resources at `priority`. */
export function aciSecondUSD(billed: AciBilled, prices: Prices, priority: 'Regular' | 'Spot'): number {
  const regular = billed.cpu * prices.aciVcpuSecondUSD + billed.memoryGB * prices.aciGbSecondUSD;
  return priority === 'Spot' ? regular * prices.aciSpotPriceRatio : regular;
}

/** USD per hour of one existing burst replica (its own recorded resources and priority). */
export function burstReplicaHourUSD(replica: BurstReplica, prices: Prices): number {
  const billed = aciBilledResources({ cpu: replica.cpu, memoryGiB: replica.memoryGiB });
  return aciSecondUSD(billed, prices, replica.priority) * 3600;
}

/**
 * Replicas of a template that fit on one new node after system reservations and daemonsets:
 * `floor(min(nodeVCPU × (1 − reserved) ÷ cpu, nodeMemoryGiB × (1 − reserved) ÷ memoryGiB))`, a resource
 * the template does not request imposing no limit, and at most {@link DEFAULT_MAX_PODS_PER_NODE}.
 */
export function computedSlotsPerNode(vm: VmCostPolicy, requests: Resources): number {
  const usable = 1 - vm.reservedPercent / 100;
  const byCpu = requests.cpu > 0 ? (vm.nodeVCPU * usable) / requests.cpu : Infinity;
  const byMemory = requests.memoryGiB > 0 ? (vm.nodeMemoryGiB * usable) / requests.memoryGiB : Infinity;
  // The epsilon keeps 3.4 / 0.85-style float noise from losing a whole slot.
  return Math.max(0, Math.min(DEFAULT_MAX_PODS_PER_NODE, Math.floor(Math.min(byCpu, byMemory) + 1e-9)));
}

/** Per-replica prices for one template, with the arithmetic that produced them. */
export interface UnitCosts {
  billed: AciBilled;
  priority: 'Regular' | 'Spot';
  aciReplicaSecondUSD: number;
  aciReplicaHourUSD: number;
  /** Node price after the discount. */
  nodeHourUSD: number;
  nodeSecondUSD: number;
  slotsPerNode: number;
  slotsSource: 'observed' | 'computed';
  /** Node price ÷ slots; Infinity when a replica does not fit on a node. */
  vmReplicaHourUSD: number;
  /**
   * A new node's price per second as bridging counts it: ÷ the packing a new node reaches over its life
   * (`cost.vm.packingPercent`), i.e. what serving a full node's worth of replicas on new nodes costs.
   */
  newNodeSecondUSD: number;
  /** {@link newNodeSecondUSD} per replica-hour: a new node's price ÷ (slots × packing). */
  newNodeReplicaHourUSD: number;
  /** One line per step, for `explanation.cost`. */
  lines: string[];
}

/** Formats USD with enough digits for per-second prices. */
export function usd(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return `$${value.toFixed(digits)}`;
}

/** Formats seconds as "45 s", "12.5 min" or "3.2 h". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export interface UnitCostInput {
  requests: Resources;
  prices: Prices;
  vm: VmCostPolicy;
  priority: 'Regular' | 'Spot';
  /** `snapshot.vm.slotsPerNode`: used when > 0 (it knows node selectors and daemonsets). */
  observedSlotsPerNode: number;
}

/**
 * Prices one replica of the template: an ACI replica-hour from its billed resources (× the Spot ratio on
 * Spot), and a VM replica-hour as `nodeHourlyUSD × (1 − discount) ÷ slotsPerNode`.
 */
export function unitCosts(input: UnitCostInput): UnitCosts {
  const { requests, prices, vm, priority } = input;
  const billed = aciBilledResources(requests);
  const aciReplicaSecondUSD = aciSecondUSD(billed, prices, priority);
  const aciReplicaHourUSD = aciReplicaSecondUSD * 3600;
  const nodeHourUSD = prices.vmNodeHourlyUSD * (1 - vm.discountPercent / 100);
  const observed = input.observedSlotsPerNode > 0;
  const slotsPerNode = observed ? input.observedSlotsPerNode : computedSlotsPerNode(vm, requests);
  const vmReplicaHourUSD = slotsPerNode > 0 ? nodeHourUSD / slotsPerNode : Infinity;
  const packing = Math.min(1, Math.max(0.01, (vm.packingPercent ?? 100) / 100));
  const newNodeReplicaHourUSD = vmReplicaHourUSD / packing;

  const lines: string[] = [];
  lines.push(
    `ACI bills ${billed.cpu} vCPU + ${billed.memoryGB} GB per replica (requests ${requests.cpu} vCPU / ` +
      `${requests.memoryGiB} GiB, rounded up to 0.01 vCPU and 0.1 GB) at ${usd(prices.aciVcpuSecondUSD, 8)}/vCPU-s + ` +
      `${usd(prices.aciGbSecondUSD, 9)}/GB-s (prices: ${prices.source})` +
      (priority === 'Spot' ? ` × Spot ratio ${prices.aciSpotPriceRatio}` : '') +
      ` = ${usd(aciReplicaSecondUSD, 8)}/s = ${usd(aciReplicaHourUSD)}/h`,
  );
  const usable = 1 - vm.reservedPercent / 100;
  const round = (x: number) => Number(x.toFixed(3));
  const slotsWhy = observed
    ? 'as observed on the cluster'
    : `${vm.reservedPercent}% reserved leaves ${round(vm.nodeVCPU * usable)} vCPU and ${round(vm.nodeMemoryGiB * usable)} GiB: ` +
      `floor(min(${requests.cpu > 0 ? `${round(vm.nodeVCPU * usable)} ÷ ${requests.cpu}` : 'no CPU request'}, ` +
      `${requests.memoryGiB > 0 ? `${round(vm.nodeMemoryGiB * usable)} ÷ ${requests.memoryGiB}` : 'no memory request'}))` +
      (requests.cpu > 0 || requests.memoryGiB > 0 ? '' : `, at most ${DEFAULT_MAX_PODS_PER_NODE} pods`);
  lines.push(
    `VM node ${usd(prices.vmNodeHourlyUSD, 3)}/h × (1 − ${vm.discountPercent}% discount) = ${usd(nodeHourUSD)}/h; ` +
      `${slotsPerNode} replicas fit per node (${slotsWhy}) → ${usd(vmReplicaHourUSD)}/h per VM replica on a full new node`,
  );
  if (slotsPerNode === 0) {
    lines.push('One replica does not fit on a new node: new VMs cannot serve it, only ACI can.');
  } else {
    if (packing < 1)
      lines.push(
        `New nodes fill ${Math.round(packing * 100)}% of their slots over their life (spec.cost.vm.packingPercent) → ` +
          `${usd(newNodeReplicaHourUSD)}/h per replica served on new nodes`,
      );
    const ratio = aciReplicaHourUSD / newNodeReplicaHourUSD;
    lines.push(
      `ACI / VM replica-hour = ${ratio.toFixed(2)}×` +
        (ratio <= 1
          ? ': ACI is cheaper than even a full new node, so a steady ACI share beats adding VMs for this template'
          : ': a full new node is cheaper per hour, if it lives long enough to pay back its minimum lifetime'),
    );
  }
  return {
    billed,
    priority,
    aciReplicaSecondUSD,
    aciReplicaHourUSD,
    nodeHourUSD,
    nodeSecondUSD: nodeHourUSD / 3600,
    slotsPerNode,
    slotsSource: observed ? 'observed' : 'computed',
    vmReplicaHourUSD,
    newNodeSecondUSD: nodeHourUSD / 3600 / packing,
    newNodeReplicaHourUSD,
    lines,
  };
}

/** Timing inputs of the break-even, in seconds. */
export interface OverflowTimes {
  /** From "pods pending" to "new node Ready". */
  provisionSeconds: number;
  /** A node, once added, stays (and is paid) this long after it is last needed. */
  minNodeLifetimeSeconds: number;
  /** ACI create → Ready; billing starts at image pull, about the create time. */
  aciStartSeconds: number;
  /** An ACI replica is paid through its drain grace period. */
  drainGraceSeconds: number;
}

/** One way to serve an overflow: `newNodes` VMs for `bridged` replicas, ACI only for `spilled`. */
export interface OverflowOption {
  newNodes: number;
  bridged: number;
  spilled: number;
  aciUSD: number;
  vmUSD: number;
  costUSD: number;
}

export interface OverflowChoice {
  chosen: OverflowOption;
  options: OverflowOption[];
  /**
   * Remaining burst duration above which bridging all of the overflow on new nodes costs less than
   * spilling it; Infinity when it never does (ACI is cheaper than the new nodes per hour).
   */
  breakEvenSeconds: number;
  lines: string[];
}

/** ACI seconds paid by a replica created now that runs `runSeconds`: at least its start, plus the drain grace. */
function aciPaidSeconds(runSeconds: number, times: OverflowTimes): number {
  return Math.max(runSeconds, times.aciStartSeconds) + times.drainGraceSeconds;
}

/**
 * Cost of serving `k` overflow replicas for `T` more seconds with `m` new nodes:
 * - bridged b = min(k, m × slotsPerNode) replicas pend for the new nodes, covered on ACI meanwhile
 *   (only when provisioning outlasts an ACI start): b × aciReplicaSecond × (max(min(T, P), start) + grace);
 * - new nodes are paid from boot to removal: m × nodeSecond × (max(T, P) + minNodeLifetime);
 * - spilled s = k − b replicas stay on ACI: s × aciReplicaSecond × (max(T, start) + grace).
 */
export function overflowOptionCost(
  k: number,
  m: number,
  remainingSeconds: number,
  unit: UnitCosts,
  times: OverflowTimes,
): OverflowOption {
  const T = Math.max(0, remainingSeconds);
  const bridged = Math.min(k, m * unit.slotsPerNode);
  const spilled = k - bridged;
  const coverSeconds =
    times.provisionSeconds > times.aciStartSeconds
      ? aciPaidSeconds(Math.min(T, times.provisionSeconds), times)
      : 0;
  const aciUSD = unit.aciReplicaSecondUSD * (bridged * coverSeconds + spilled * aciPaidSeconds(T, times));
  const vmUSD =
    m > 0
      ? m * unit.newNodeSecondUSD * (Math.max(T, times.provisionSeconds) + times.minNodeLifetimeSeconds)
      : 0;
  return { newNodes: m, bridged, spilled, aciUSD, vmUSD, costUSD: aciUSD + vmUSD };
}

/**
 * The smallest remaining duration T for which bridging all `k` replicas on `m` new nodes costs no more
 * than spilling them. spill(T) − bridge(T) is constant before the nodes arrive and grows at
 * k × aciReplicaSecond − m × nodeSecond after, so: with cover = P + grace (provisioning outlasts an ACI start),
 * `T* = (k·a·P + m·v·L) ÷ (k·a − m·v)` when k·a > m·v, and never otherwise. Computed from the same cost
 * functions as the decision: the difference is linear between its breakpoints (the ACI start and the
 * provisioning time), so each piece is solved exactly.
 */
export function breakEvenSeconds(k: number, m: number, unit: UnitCosts, times: OverflowTimes): number {
  if (k <= 0 || m <= 0) return Infinity;
  const diff = (T: number) =>
    overflowOptionCost(k, 0, T, unit, times).costUSD - overflowOptionCost(k, m, T, unit, times).costUSD;
  const b1 = Math.min(times.aciStartSeconds, times.provisionSeconds);
  const b2 = Math.max(times.aciStartSeconds, times.provisionSeconds);
  const segments: [number, number][] = [
    [0, b1],
    [b1, b2],
  ];
  for (const [from, to] of segments) {
    const dFrom = diff(from);
    if (dFrom >= 0) return from;
    const dTo = diff(to);
    if (to > from && dTo >= 0) return from + ((to - from) * -dFrom) / (dTo - dFrom);
  }
  const dLast = diff(b2);
  if (dLast >= 0) return b2;
  const slope = diff(b2 + 1) - dLast;
  return slope > 0 ? b2 - dLast / slope : Infinity;
}

export interface OverflowInput {
  /** Replicas that neither running nor arriving VM capacity can serve (k). */
  overflow: number;
  /** Forecast remaining duration of the burst, seconds (T). */
  remainingSeconds: number;
  unit: UnitCosts;
  times: OverflowTimes;
  /** The previous tick's choice, favoured by {@link MODE_SWITCH_MARGIN}. */
  previous?: 'bridge' | 'spill';
  switchMargin?: number;
}

/**
 * Chooses how many new nodes to add for an overflow: the cheapest over T of no new node (spill all),
 * only full nodes (spill the remainder: a steady ACI share beats a mostly empty node when the numbers say
 * so), or full nodes plus one partly used node (bridge all). Costs are linear in whole nodes, so these three
 * candidates contain the optimum. The previous tick's mode wins unless the other is cheaper by the margin.
 */
export function chooseOverflow(input: OverflowInput): OverflowChoice {
  const { overflow: k, unit, times } = input;
  const T = Math.max(0, input.remainingSeconds);
  const margin = input.switchMargin ?? MODE_SWITCH_MARGIN;
  const candidates = new Set<number>([0]);
  if (unit.slotsPerNode > 0 && k > 0) {
    candidates.add(Math.floor(k / unit.slotsPerNode));
    candidates.add(Math.ceil(k / unit.slotsPerNode));
  }
  const options = [...candidates].sort((a, b) => a - b).map((m) => overflowOptionCost(k, m, T, unit, times));
  const score = (o: OverflowOption) => {
    const favoured =
      (input.previous === 'bridge' && o.newNodes > 0) || (input.previous === 'spill' && o.newNodes === 0);
    return favoured ? o.costUSD * (1 - margin) : o.costUSD;
  };
  let chosen = options[0] as OverflowOption;
  for (const option of options) if (score(option) < score(chosen)) chosen = option;

  const fullBridge = options[options.length - 1] as OverflowOption;
  const breakEven = breakEvenSeconds(k, fullBridge.newNodes, unit, times);
  const lines: string[] = [];
  lines.push(
    `Overflow of ${k} replicas, expected to last ${duration(T)} more; a new node takes ${duration(times.provisionSeconds)} ` +
      `and is paid at least ${duration(times.provisionSeconds + times.minNodeLifetimeSeconds)} (provisioning + ` +
      `${duration(times.minNodeLifetimeSeconds)} minimum lifetime); an ACI replica starts in ${duration(times.aciStartSeconds)} ` +
      `and is paid through a ${duration(times.drainGraceSeconds)} drain.`,
  );
  for (const o of options) {
    const what =
      o.newNodes === 0
        ? `spill all ${k} on ACI`
        : `${o.newNodes} new node(s) for ${o.bridged} replica(s)` +
          (o.spilled > 0 ? `, ${o.spilled} stay on ACI` : '') +
          (times.provisionSeconds > times.aciStartSeconds ? ', ACI covers them while the nodes boot' : '');
    lines.push(
      `  ${what}: ACI ${usd(o.aciUSD)} + VM ${usd(o.vmUSD)} = ${usd(o.costUSD)}` +
        (input.previous && score(o) !== o.costUSD
          ? ` (counted as ${usd(score(o))}: keeps the previous mode, ${Math.round(margin * 100)}% hysteresis)`
          : ''),
    );
  }
  if (fullBridge.newNodes > 0) {
    const ka = k * unit.aciReplicaHourUSD;
    const mv = fullBridge.newNodes * unit.newNodeSecondUSD * 3600;
    lines.push(
      Number.isFinite(breakEven)
        ? `Break-even: bridging all ${k} on ${fullBridge.newNodes} node(s) pays off for bursts longer than ${duration(breakEven)} ` +
            `(T* = (k·a·P + m·v·L) ÷ (k·a − m·v) with k·a = ${usd(ka)}/h and m·v = ${usd(mv)}/h).`
        : `Break-even: never — ${k} ACI replicas cost ${usd(ka)}/h, not more than ${fullBridge.newNodes} new node(s) at ${usd(mv)}/h.`,
    );
  } else if (unit.slotsPerNode === 0) {
    lines.push('No break-even: a replica does not fit on a new node.');
  }
  lines.push(
    `Chosen: ${
      chosen.newNodes === 0
        ? `spill only (${k} on ACI)`
        : `bridge ${chosen.bridged} on ${chosen.newNodes} new node(s)` +
          (chosen.spilled > 0 ? ` and keep ${chosen.spilled} on ACI` : '')
    }.`,
  );
  return { chosen, options, breakEvenSeconds: breakEven, lines };
}
