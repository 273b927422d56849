/**
 * The Kubernetes adapter: what the composition root (src/cli) builds. The controller never imports it;
 * it sees only ClusterPort and LeasePort.
 */
export { KubeCluster } from './cluster.ts';
export type { KubeClusterOptions } from './cluster.ts';
export { KubeLease } from './lease.ts';
export type { KubeLeaseOptions } from './lease.ts';
export type { BackoffOptions, InformerStatus, KubeLog } from './informer.ts';
export type { CapacityResult, NodeVerdict } from './capacity.ts';
export {
  InvalidObjectError,
  InvalidRequestError,
  KubeApiError,
  QuantityError,
  UnsupportedTargetError,
} from './errors.ts';
