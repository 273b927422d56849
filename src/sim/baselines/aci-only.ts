/**
 * Baseline: ACI only — every replica is an ACI container group, scaled by KEDA + HPA (the workload pinned
 * to the AKS virtual node, or an equivalent ACI-only scaler). No VM node pool for the workload.
 *
 * Assumptions:
 * - KEDA polls the queue every 30 s; the HPA syncs every 15 s with the autoscaling/v2 default behavior
 *   (./hpa.ts), `queueLength` = the scenario's targetPerReplica;
 * - each replica is one container group (same latencies and per-second prices as Spillway's, through the
 *   same simulated ACI), billed from image pull to deletion, serving once running;
 * - no VM cost at all: the workload has no node pool (the cluster's system pool is not counted for any
 *   policy).
 */
import type { PolicyResult } from '../run.ts';
import type { BaselineInput } from './common.ts';
import { runHpaBaseline } from './common.ts';

export function runAciOnly(input: BaselineInput): Promise<PolicyResult> {
  return runHpaBaseline(input, {
    policy: 'aci-only',
    description: 'ACI only: KEDA (30 s polling) + HPA defaults, every replica a container group',
    virtualNode: true,
    vmNodes: false,
    scaleIn: 'replicaset',
  });
}
