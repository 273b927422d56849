/**
 * Baseline: KEDA + HPA + AKS virtual node (virtual-kubelet's ACI connector) — the common way to burst an
 * AKS workload to ACI today.
 *
 * Assumptions (each from documented defaults or documented behaviour):
 * - KEDA polls the queue every 30 s (`pollingInterval` default); the HPA syncs every 15 s with the
 *   autoscaling/v2 default behavior (./hpa.ts), `queueLength` = the scenario's targetPerReplica;
 * - the pod tolerates the virtual node's taint, and pods land on the virtual node whenever no VM node fits
 *   them (a `preferredDuringScheduling` affinity for the VM pool, as Microsoft's virtual-node docs show).
 *   This is generous to the baseline: without that affinity the scheduler's LeastAllocated scoring prefers
 *   the virtual node (it advertises 10,000 CPUs) even when VMs have room;
 * - a pod on the virtual node becomes one ACI container group in the first region (same latencies and
 *   per-second prices as Spillway's groups, through the same simulated ACI); it serves once the group
 *   runs and stops billing when the pod is deleted;
 * - pods never pend, so the cluster autoscaler never adds VM nodes; it still removes under-used ones
 *   (10 min below 50 %, never below the pool's minimum);
 * - scale-in picks among Running pods at random (Pending ones go first): the ReplicaSet knows nothing of
 *   cost, so cheap VM pods go as often as ACI ones. (The real ReplicaSet ranking prefers deleting pods
 *   co-located on a crowded node — the virtual node often is one — and recently Ready pods; DESIGN.md and
 *   issue 6 take random scale-in as the model.)
 */
import type { PolicyResult } from '../run.ts';
import type { BaselineInput } from './common.ts';
import { runHpaBaseline } from './common.ts';

export function runKedaVirtualNode(input: BaselineInput): Promise<PolicyResult> {
  return runHpaBaseline(input, {
    policy: 'keda-virtual-node',
    description: 'KEDA (30 s polling) + HPA defaults + AKS virtual node (overflow to ACI, random scale-in)',
    virtualNode: true,
    vmNodes: true,
    scaleIn: 'random',
  });
}
