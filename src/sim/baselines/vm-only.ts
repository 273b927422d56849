/**
 * Baseline: VM only — KEDA + HPA scaling the Deployment on the queue, and the cluster autoscaler adding
 * and removing VM nodes. No ACI.
 *
 * Assumptions (each from documented defaults):
 * - KEDA polls the queue every 30 s (`pollingInterval` default); the HPA syncs every 15 s and follows the
 *   autoscaling/v2 default behavior (see ./hpa.ts) with `queueLength` = the scenario's targetPerReplica;
 * - pods that fit no node stay Pending (Unschedulable); the cluster autoscaler (10 s scan) adds nodes for
 *   them, Ready after the scenario's provision delay; it removes nodes after 10 min unneeded below 50 %,
 *   never within 10 min of a scale-up, never below the pool's minimum (../cluster/autoscaler.ts);
 * - scale-in follows the ReplicaSet's ranking (no pod-deletion-cost is set), the scheduler spreads pods
 *   (LeastAllocated, the default scoring);
 * - the same node pool, replica size, prices and warm start as every other policy.
 */
import type { PolicyResult } from '../run.ts';
import type { BaselineInput } from './common.ts';
import { runHpaBaseline } from './common.ts';

export function runVmOnly(input: BaselineInput): Promise<PolicyResult> {
  return runHpaBaseline(input, {
    policy: 'vm-only',
    description: 'VM only: KEDA (30 s polling) + HPA defaults + cluster autoscaler',
    virtualNode: false,
    vmNodes: true,
    scaleIn: 'replicaset',
  });
}
