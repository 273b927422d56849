/**
 * Resource requests as the scheduler counts them, in exact integers: CPU in millicores, every other
 * resource in its base unit (bytes for memory and ephemeral-storage, a count for extended resources).
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { Resources } from '../core/types.ts';
import { parseQuantity } from './quantity.ts';

/** Resource name → amount (millicores for `cpu`, base units otherwise). */
export type ResourceMap = Record<string, number>;

const GIB = 1024 ** 3;

/** Parses a ResourceList (`{cpu: "500m", memory: "1Gi"}`) into a {@link ResourceMap}. */
export function resourceList(list: Record<string, string | number> | undefined, field: string): ResourceMap {
  const out: ResourceMap = {};
  if (!list) return out;
  for (const [name, value] of Object.entries(list)) {
    out[name] = parseQuantity(value, name === 'cpu' ? 'milli' : 'unit', `${field}.${name}`);
  }
  return out;
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addInto(a: ResourceMap, b: ResourceMap): ResourceMap {
  for (const [name, value] of Object.entries(b)) a[name] = (a[name] ?? 0) + value;
  return a;
}

/** Subtracts `b` from `a` (mutates and returns `a`). */
export function subtractInto(a: ResourceMap, b: ResourceMap): ResourceMap {
  for (const [name, value] of Object.entries(b)) a[name] = (a[name] ?? 0) - value;
  return a;
}

function maxInto(a: ResourceMap, b: ResourceMap): ResourceMap {
  for (const [name, value] of Object.entries(b)) a[name] = Math.max(a[name] ?? 0, value);
  return a;
}

/**
 * A container's requests. A resource with a limit but no request is requested at its limit: the API
 * server applies that default when it creates a pod, but not to a Deployment's template, which is what
 * we read.
 */
export function containerRequests(container: V1Container, field: string): ResourceMap {
  const requests = resourceList(container.resources?.requests, `${field}.resources.requests`);
  const limits = resourceList(container.resources?.limits, `${field}.resources.limits`);
  for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
  return requests;
}

/**
 * The pod's effective request, as kube-scheduler computes it (`resourcehelper.PodRequests`): the sum of
 * the app containers and of restartable init containers (sidecars), or, if larger, the peak during
 * initialisation (each regular init container runs alone beside the sidecars started before it); plus
 * the pod overhead.
 */
export function podRequests(spec: V1PodSpec, field = 'spec'): ResourceMap {
  const total: ResourceMap = {};
  spec.containers.forEach((container, i) =>
    addInto(total, containerRequests(container, `${field}.containers[${i}]`)),
  );
  const sidecars: ResourceMap = {};
  const initPeak: ResourceMap = {};
  (spec.initContainers ?? []).forEach((container, i) => {
    const requests = containerRequests(container, `${field}.initContainers[${i}]`);
    if (container.restartPolicy === 'Always') {
      addInto(total, requests);
      addInto(sidecars, requests);
      maxInto(initPeak, sidecars);
    } else {
      maxInto(initPeak, addInto({ ...requests }, sidecars));
    }
  });
  maxInto(total, initPeak);
  addInto(total, resourceList(spec.overhead, `${field}.overhead`));
  return total;
}

/** The core's view of requests: vCPU and GiB. */
export function toResources(requests: ResourceMap): Resources {
  return { cpu: (requests.cpu ?? 0) / 1000, memoryGiB: (requests.memory ?? 0) / GIB };
}
