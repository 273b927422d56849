/**
 * The baselines by name: what {@link runBaseline} runs for each policy other than Spillway's.
 */
import type { PolicyName, PolicyResult } from '../run.ts';
import { runAciOnly } from './aci-only.ts';
import type { BaselineInput } from './common.ts';
import { runKedaVirtualNode } from './keda-virtual-node.ts';
import { runVmOnly } from './vm-only.ts';

/** Policies modelled as baselines (every policy but Spillway's own). */
export type BaselineName = Exclude<PolicyName, 'spillway'>;

export function isBaseline(policy: PolicyName): policy is BaselineName {
  return policy !== 'spillway';
}

/** Runs one baseline over the input's trace. */
export function runBaseline(policy: BaselineName, input: BaselineInput): Promise<PolicyResult> {
  switch (policy) {
    case 'vm-only':
      return runVmOnly(input);
    case 'keda-virtual-node':
      return runKedaVirtualNode(input);
    case 'aci-only':
      return runAciOnly(input);
  }
}
