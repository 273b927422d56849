/**
 * Benchmark of the kube adapter's per-scaler read path at the design's scale: 5,000 nodes, 50,000 pods,
 * 1,000 scalers (50 namespaces × 20 Deployments of 50 pods). Prints figures; asserts nothing.
 *
 *   node_modules/.bin/node test/kube/bench-capacity.ts
 */
import type { V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { applyFootprint, podFootprint, vmCapacity } from '../../src/kube/capacity.ts';
import type { NodeUsage } from '../../src/kube/capacity.ts';
import { podRequests } from '../../src/kube/resources.ts';
import { podInfo, selectorMatches } from '../../src/kube/workload.ts';

const NODES = 5000;
const NAMESPACES = 50;
const DEPLOYMENTS = 20;
const PODS_PER_DEPLOYMENT = 50;
const NOW = Date.parse('2026-11-02T10:00:00Z');

const nodes: V1Node[] = Array.from({ length: NODES }, (_, i) => ({
  metadata: {
    name: `aks-user-${i}`,
    labels: { 'kubernetes.azure.com/agentpool': i % 10 === 0 ? 'system' : 'user', zone: String(i % 3) },
    creationTimestamp: new Date(NOW - 86_400_000),
  },
  spec: i % 10 === 0 ? { taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] } : {},
  status: {
    allocatable: { cpu: '15820m', memory: '57986592Ki', pods: '110', 'ephemeral-storage': '119703055367' },
    conditions: [{ type: 'Ready', status: i % 250 === 0 ? 'False' : 'True' }],
  },
}));

const pods: V1Pod[] = [];
for (let n = 0; n < NAMESPACES; n++)
  for (let d = 0; d < DEPLOYMENTS; d++)
    for (let p = 0; p < PODS_PER_DEPLOYMENT; p++)
      pods.push({
        metadata: {
          name: `app-${d}-${p}`,
          namespace: `ns-${n}`,
          labels: { app: `app-${d}` },
          creationTimestamp: '2026-11-02T09:00:00Z' as unknown as Date,
        },
        spec: {
          nodeName: `aks-user-${(n * 1000 + d * 50 + p) % NODES}`,
          containers: [{ name: 'c', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
        },
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-02T09:00:30Z' as unknown as Date },
          ],
        },
      });

function time<T>(label: string, runs: number, fn: () => T): T {
  let result = fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) result = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(10)} ms`);
  return result;
}

console.log(
  `kube adapter read path: ${NODES} nodes, ${pods.length} pods, ${NAMESPACES * DEPLOYMENTS} scalers`,
);
const usage = time('usage index from all pods (startup, once)', 3, () => {
  const map = new Map<string, NodeUsage>();
  for (const pod of pods) {
    const footprint = podFootprint(pod);
    if (footprint) applyFootprint(map, footprint, 1);
  }
  return map;
});
const spec: V1PodSpec = {
  containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '2Gi' } } }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['0', '1'] }] }],
      },
    },
  },
};
const requests = podRequests(spec);
const capacity = time('vmCapacity for one template over all nodes', 20, () =>
  vmCapacity({
    spec,
    requests,
    nodes,
    usage,
    now: NOW,
    provisionEstimateMs: 300_000,
    incomingWindowMs: 900_000,
  }),
);
const namespacePods = pods.filter((p) => p.metadata?.namespace === 'ns-7');
time('target pods of one scaler (selector over 1,000 pods + PodInfo)', 200, () =>
  namespacePods
    .filter((p) => selectorMatches({ matchLabels: { app: 'app-3' } }, p.metadata?.labels))
    .map(podInfo),
);
const perScaler =
  time('one workload() equivalent (pods + capacity)', 20, () => {
    namespacePods
      .filter((p) => selectorMatches({ matchLabels: { app: 'app-3' } }, p.metadata?.labels))
      .map(podInfo);
    return vmCapacity({
      spec,
      requests,
      nodes,
      usage,
      now: NOW,
      provisionEstimateMs: 300_000,
      incomingWindowMs: 900_000,
    });
  }) && undefined;
void perScaler;
console.log(
  `freeSlots ${capacity.capacity.freeSlots}, slotsPerNode ${capacity.capacity.slotsPerNode}, incoming ${capacity.capacity.incoming.length}`,
);
console.log(`heap used ${(process.memoryUsage().heapUsed / 1024 ** 2).toFixed(0)} MiB`);
